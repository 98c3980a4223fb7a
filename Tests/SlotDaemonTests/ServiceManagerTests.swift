import Foundation
import SlotClient
import SlotProtocol
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// What a service manager and a crowd of clients see: the watchdog, socket activation, the connection limit and
/// the idle timeout.
final class ServiceManagerTests: XCTestCase {
    /// Invariant: with `WATCHDOG_USEC` set (systemd's `WatchdogSec=`), slotd pings `WATCHDOG=1` at least every half
    /// interval while it is healthy.
    func testWatchdogPings() throws {
        let notify = try NotifySocket()
        let daemon = try DaemonHarness()
        daemon.extraEnvironment["NOTIFY_SOCKET"] = notify.path
        daemon.extraEnvironment["WATCHDOG_USEC"] = "1000000"
        try daemon.start(waitReady: false)
        _ = try notify.waitFor("READY=1", timeout: 20)
        let start = Date()
        _ = try notify.waitFor("WATCHDOG=1", timeout: 2)
        _ = try notify.waitFor("WATCHDOG=1", timeout: 2)
        XCTAssertLessThan(Date().timeIntervalSince(start), 2.5, "two pings should come within about one interval")
    }

    /// Invariant: under socket activation slotd serves the descriptor systemd passes (fd name `varlink`) and does
    /// not bind a socket of its own.
    func testSocketActivation() throws {
        let daemon = try DaemonHarness()
        let activated = daemon.state + "/activated.sock"
        let own = daemon.state + "/own.sock"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-socket-activate")
        guard FileManager.default.isExecutableFile(atPath: process.executableURL!.path) else {
            throw XCTSkip("systemd-socket-activate is not installed")
        }
        process.arguments = [
            "-l", activated, "--fdname=varlink",
            DaemonHarness.binaries.appendingPathComponent("slotd").path, "--dev",
            "--state-directory", daemon.state, "--policy", daemon.policy, "--socket", own,
            "--inventory", daemon.inventory, "--log-level", "warning",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        var status: StatusReply?
        let deadline = Date().addingTimeInterval(20)
        while status == nil, Date() < deadline {
            status = try? VarlinkConnection(path: activated).call(
                "io.slotd.System.Status", Empty(), as: StatusReply.self)
            if status == nil { usleep(50_000) }
        }
        XCTAssertNotNil(status, "slotd did not answer on the activated socket")
        XCTAssertFalse(FileManager.default.fileExists(atPath: own), "slotd bound its own socket too")
    }

    /// Invariant: beyond `max_connections`, a new connection gets `TooManyConnections` and is closed, while the
    /// admitted ones keep being served; a freed place admits the next.
    func testConnectionLimit() throws {
        let daemon = try DaemonHarness()
        try daemon.configure("[limits]\nmax_connections = 3\n")
        try daemon.start()
        // The readiness probe's connection is released by the server asynchronously: until it is, only two of
        // three places are free. Take all three once they are.
        var pool: [VarlinkConnection?] = []
        for _ in 0..<40 where pool.isEmpty {
            let attempt = try (0..<3).map { _ in try daemon.connect() }
            if attempt.allSatisfy({ (try? $0.call("io.slotd.System.Status", Empty(), as: StatusReply.self)) != nil }) {
                pool = attempt
            } else {
                usleep(100_000)
            }
        }
        XCTAssertEqual(pool.count, 3, "three connections were never admitted at once")
        guard let first = pool.first ?? nil else { return }
        let refused = try daemon.connect()
        XCTAssertThrowsError(try refused.call("io.slotd.System.Status", Empty(), as: StatusReply.self)) { error in
            XCTAssertTrue("\(error)".contains("TooManyConnections"), "\(error)")
        }
        XCTAssertNoThrow(try first.call("io.slotd.System.Status", Empty(), as: StatusReply.self))
        pool[1] = nil  // closes the second
        var admitted = false
        let deadline = Date().addingTimeInterval(5)
        while !admitted, Date() < deadline {
            admitted = (try? daemon.connect().call("io.slotd.System.Status", Empty(), as: StatusReply.self)) != nil
            if !admitted { usleep(50_000) }
        }
        XCTAssertTrue(admitted, "a freed place did not admit a new connection")
    }

    /// Invariant: a connection with no call open that sends nothing for `idle_timeout_seconds` is closed; one that
    /// keeps calling is not.
    func testIdleTimeout() throws {
        let daemon = try DaemonHarness()
        try daemon.configure("[limits]\nidle_timeout_seconds = 1\n")
        try daemon.start()
        let idle = try daemon.connect(), busy = try daemon.connect()
        XCTAssertNoThrow(try idle.call("io.slotd.System.Status", Empty(), as: StatusReply.self))
        for _ in 0..<6 {
            usleep(400_000)
            XCTAssertNoThrow(try busy.call("io.slotd.System.Status", Empty(), as: StatusReply.self))
        }
        XCTAssertThrowsError(
            try idle.call("io.slotd.System.Status", Empty(), as: StatusReply.self),
            "an idle connection was still open after 2.4 s with a 1 s idle timeout")
    }
}
