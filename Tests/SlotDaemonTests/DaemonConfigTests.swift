import SlotDaemon
import XCTest

/// `slotd.toml` is strict: a key slotd does not know, a value out of range or of the wrong type is a named error
/// that names the key, never a silent default.
final class DaemonConfigTests: XCTestCase {
    private func load(_ text: String) throws -> DaemonConfig {
        let path = NSTemporaryDirectory() + "slotd-config-\(UUID()).toml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try DaemonConfig.load(path, over: .dev(stateDirectory: "/tmp/unused"))
    }

    private func assertInvalid(_ text: String, key: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try load(text), file: file, line: line) { error in
            guard case ConfigError.invalid(_, let named, _) = error else {
                return XCTFail("expected an invalid-key error, got \(error)", file: file, line: line)
            }
            XCTAssertEqual(named, key, file: file, line: line)
        }
    }

    /// Invariant: given keys override the base, the rest keep the base's values.
    func testOverridesOnlyWhatIsGiven() throws {
        let config = try load(
            """
            durability = "normal"
            executor = "process"
            [limits]
            queue_capacity = 1200000
            queue_class_capacity = 32768
            [reports]
            min_group_accounts = 10
            [reports.gpu_watts_by_model]
            "NVIDIA H100 80GB HBM3" = 700
            "NVIDIA A100-SXM4-80GB" = 400
            """)
        XCTAssertEqual(config.reports.minGroupAccounts, 10)
        XCTAssertFalse(config.metrics.enabled, "metrics are opt-in")
        let metrics = try load("[metrics]\nlisten = \"[::1]:9464\"\ntextfile = \"/var/lib/node/slotd.prom\"")
        XCTAssertEqual(metrics.metrics.listen?.host, "::1")
        XCTAssertEqual(metrics.metrics.listen?.port, 9464)
        XCTAssertEqual(metrics.metrics.textfile, "/var/lib/node/slotd.prom")
        XCTAssertEqual(config.reports.watts(model: "NVIDIA A100-SXM4-80GB"), 400)
        XCTAssertEqual(config.reports.watts(model: "unknown"), 700)
        XCTAssertEqual(config.durability, .normal)
        XCTAssertEqual(config.executor, .process)
        XCTAssertEqual(DaemonConfig.dev().executor, .auto)
        XCTAssertEqual(config.limits.queueCapacity, 1_200_000)
        XCTAssertEqual(config.limits.queueClassCapacity, 32_768)
        XCTAssertEqual(config.limits.maxConnections, DaemonConfig.dev().limits.maxConnections)
        XCTAssertEqual(config.stateDirectory, "/tmp/unused")
    }

    /// Invariant: unknown keys, out-of-range values and a ring size that is not a power of two are refused by name.
    func testRefusesWhatItDoesNotKnow() {
        assertInvalid("sockett = \"/run/x\"", key: "sockett")
        assertInvalid("[limits]\nmax_connections = 0", key: "limits.max_connections")
        assertInvalid("[limits]\nqueue_class_capacity = 10000", key: "limits.queue_class_capacity")
        assertInvalid("[limits]\nidle_timeout_seconds = \"soon\"", key: "limits.idle_timeout_seconds")
        assertInvalid("durability = \"sometimes\"", key: "durability")
        assertInvalid("executor = \"docker\"", key: "executor")
        assertInvalid("[reports]\nmin_group_accounts = 0", key: "reports.min_group_accounts")
        assertInvalid("[metrics]\nlisten = \"0.0.0.0:9464\"", key: "metrics.listen")
        assertInvalid("[metrics]\nlisten = \"10.0.0.5:9464\"", key: "metrics.listen")
        assertInvalid("[metrics]\ntextfile = \"relative.prom\"", key: "metrics.textfile")
        assertInvalid("[reports]\nminimum = 5", key: "reports.minimum")
        assertInvalid("[reports.gpu_watts_by_model]\nH100 = \"lots\"", key: "reports.gpu_watts_by_model.H100")
        XCTAssertThrowsError(try load("this is = not toml ["))
    }
}
