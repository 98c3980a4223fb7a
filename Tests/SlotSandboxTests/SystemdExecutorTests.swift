import Foundation
@testable import SlotSandbox
import Testing

/// A private D-Bus with python3-dbusmock's systemd template standing in for PID 1: what the systemd executor sends
/// (exact property names and D-Bus types) and how it maps unit results to outcomes. `.ci/run` installs
/// `python3-dbusmock` and `dbus`; without them these tests are skipped.
@Suite(.serialized, .enabled(if: SystemdMock.available))
struct SystemdExecutorTests {
    @Test("Invariant: StartTransientUnit gets slotd-<id>.service, mode fail, and every property with its D-Bus type")
    func propertiesAndTypes() throws {
        let mock = try SystemdMock()
        let executor = try SystemdExecutor(busAddress: mock.address, gracePeriod: .seconds(7))
        var launch = SlotLaunch(
            id: 41, command: ["sleep", "60"], workingDirectory: "/home/alice/run",
            environment: ["SEED": "1"], gpuIndices: [2, 0], timeLimit: 5_400_000,
            logFile: "/var/lib/slotd/logs/41.log", user: SlotUser(uid: 1_000, gid: 100))
        launch.cpus = 4
        launch.memoryMiB = 8_192
        launch.network = false
        try executor.start(launch)

        let call = try #require(try mock.calls("StartTransientUnit").last)
        #expect(call.count == 4)
        #expect(call[0]["data"] as? String == "slotd-41.service")
        #expect(call[1]["data"] as? String == "fail")
        #expect(call[2]["type"] as? String == "a(sv)")
        #expect(call[3]["type"] as? String == "a(sa(sv))")
        var sent: [String: (type: String, data: Any)] = [:]
        for case let pair as [Any] in call[2]["data"] as? [Any] ?? [] {
            guard let name = pair.first as? String, let variant = pair.last as? [String: Any],
                let type = variant["type"] as? String
            else { continue }
            sent[name] = (type, variant["data"] ?? NSNull())
        }
        let expectedTypes: [String: String] = [
            "Description": "s", "Slice": "s", "ExecStart": "a(sasb)", "WorkingDirectory": "s", "Environment": "as",
            "RuntimeMaxUSec": "t", "TimeoutStopUSec": "t", "User": "s", "Group": "s", "MemoryMax": "t",
            "CPUQuotaPerSecUSec": "t", "TasksMax": "t", "DevicePolicy": "s", "DeviceAllow": "a(ss)",
            "NoNewPrivileges": "b", "PrivateTmp": "b", "ProtectSystem": "s", "ProtectHome": "s",
            "ReadWritePaths": "as", "ProtectKernelTunables": "b", "ProtectKernelModules": "b",
            "ProtectControlGroups": "b", "RestrictSUIDSGID": "b", "LockPersonality": "b", "PrivateNetwork": "b",
            "StandardOutputFileToAppend": "s", "StandardErrorFileToAppend": "s", "RemainAfterExit": "b",
        ]
        for (name, type) in expectedTypes { #expect(sent[name]?.type == type, "\(name)") }
        #expect(Set(sent.keys) == Set(expectedTypes.keys))
        #expect(sent["Slice"]?.data as? String == "slotd.slice")
        #expect(sent["RuntimeMaxUSec"]?.data as? Int == 5_400_000_000)
        #expect(sent["TimeoutStopUSec"]?.data as? Int == 7_000_000)
        #expect(sent["MemoryMax"]?.data as? Int == 8_192 * 1_048_576)
        #expect(sent["CPUQuotaPerSecUSec"]?.data as? Int == 4_000_000)
        #expect(sent["User"]?.data as? String == "1000")
        #expect(sent["DevicePolicy"]?.data as? String == "closed")
        #expect(sent["PrivateNetwork"]?.data as? Bool == true)
        #expect(sent["ProtectSystem"]?.data as? String == "strict")
        #expect(sent["ProtectHome"]?.data as? String == "read-only")
        #expect(sent["ReadWritePaths"]?.data as? [String] == ["/home/alice/run"])
        // Exactly the slot's GPUs, plus the control devices every CUDA process needs.
        let devices = (sent["DeviceAllow"]?.data as? [[String]]) ?? []
        #expect(
            devices == [
                ["/dev/nvidia0", "rw"], ["/dev/nvidia2", "rw"], ["/dev/nvidiactl", "rw"],
                ["/dev/nvidia-uvm", "rw"],
            ])
        let environment = (sent["Environment"]?.data as? [String]) ?? []
        #expect(environment.contains("CUDA_VISIBLE_DEVICES=2,0"))
        #expect(environment.contains("SEED=1"))
        let exec = (sent["ExecStart"]?.data as? [[Any]])?.first
        #expect((exec?[0] as? String)?.hasSuffix("/sleep") == true)
        #expect(exec?[1] as? [String] == ["sleep", "60"])
        #expect(exec?[2] as? Bool == false)
    }

    @Test("Invariant: a CPU-only slot with network gets no DeviceAllow and no PrivateNetwork")
    func cpuOnlyDefaults() {
        let launch = SlotLaunch(
            id: 1, command: ["/bin/true"], workingDirectory: "/tmp", timeLimit: 1_000,
            logFile: "/tmp/1.log")
        let names = UnitProperties.properties(for: launch, program: "/bin/true", grace: .seconds(1)).map(\.name)
        #expect(!names.contains("DeviceAllow"))
        #expect(!names.contains("PrivateNetwork"))
        #expect(names.contains("DevicePolicy"))
    }

    @Test("Invariant: systemd's Result and exit map to the slot's outcome: timeout, exit code, signal, OOM, stop")
    func resultsMapToOutcomes() throws {
        let mock = try SystemdMock()
        let events = EventLog()
        let executor = try SystemdExecutor(busAddress: mock.address, pollInterval: .milliseconds(50)) {
            events.add($0)
        }
        let cases: [(id: UInt64, result: String, code: Int32, status: Int32, expected: SlotOutcome)] = [
            (1, "timeout", 2, 15, .timedOut),
            (2, "exit-code", 1, 3, .exited(code: 3)),
            (3, "signal", 2, 9, .killed(signal: 9)),
            (4, "oom-kill", 2, 9, .outOfMemory),
            (5, "success", 1, 0, .exited(code: 0)),
        ]
        for c in cases {
            try mock.addRunningUnit(c.id)
            try executor.start(
                SlotLaunch(
                    id: c.id, command: ["/bin/true"], workingDirectory: "/tmp",
                    timeLimit: 60_000, logFile: "/tmp/\(c.id).log"))
        }
        #expect(events.wait(for: cases.count, { if case .started = $0 { true } else { false } }))
        for c in cases {
            try mock.endUnit(c.id, result: c.result, code: c.code, status: c.status)
        }
        #expect(events.wait(for: cases.count, { if case .ended = $0 { true } else { false } }))
        for c in cases { #expect(events.outcome(c.id) == c.expected, "unit \(c.id)") }

        try mock.addRunningUnit(6)
        try executor.start(
            SlotLaunch(
                id: 6, command: ["/bin/true"], workingDirectory: "/tmp", timeLimit: 60_000,
                logFile: "/tmp/6.log"))
        #expect(events.wait(for: cases.count + 1, { if case .started = $0 { true } else { false } }))
        try executor.stop(6)  // the mock's StopUnit makes it inactive
        #expect(events.wait(for: cases.count + 1, { if case .ended = $0 { true } else { false } }))
        #expect(events.outcome(6) == .stopped)
        #expect(try mock.calls("StopUnit").contains { $0.first?["data"] as? String == "slotd-6.service" })
    }

    @Test(
        "Invariant: systemd's signals (JobRemoved, a unit's PropertiesChanged) wake the executor; it does not wait for its poll"
    )
    func signalsWakeTheExecutor() throws {
        let mock = try SystemdMock()
        let events = EventLog()
        // A poll interval far beyond the test's deadlines: only signals can make these events come in time.
        let executor = try SystemdExecutor(busAddress: mock.address, pollInterval: .seconds(60)) { events.add($0) }
        usleep(200_000)  // let the poll thread make its first (empty) poll and start waiting
        try mock.addRunningUnit(7)
        let started = ContinuousClock.now
        try executor.start(
            SlotLaunch(
                id: 7, command: ["/bin/true"], workingDirectory: "/tmp", timeLimit: 60_000,
                logFile: "/tmp/7.log"))
        #expect(events.wait(for: 1, { if case .started = $0 { true } else { false } }))
        #expect(ContinuousClock.now - started < .seconds(5), "started was seen through the start job's JobRemoved")
        let ending = ContinuousClock.now
        try mock.endUnit(7, result: "exit-code", code: 1, status: 4)
        #expect(events.wait(for: 1, { if case .ended = $0 { true } else { false } }))
        #expect(ContinuousClock.now - ending < .seconds(5), "the end was seen through the unit's PropertiesChanged")
        #expect(events.outcome(7) == .exited(code: 4))
    }

    @Test("Invariant: another unit's signals do not wake the executor's wait; a slot unit's do")
    func onlySlotUnitsWake() throws {
        let mock = try SystemdMock()
        let bus = try SystemdBus(address: mock.address)
        #expect(bus.subscribe())
        try mock.busctl([
            "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1", "org.freedesktop.DBus.Mock",
            "AddMockUnit", "s", "other.service",
        ])
        try mock.busctl([
            "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1/unit/other_service",
            "org.freedesktop.DBus.Mock", "UpdateProperties", "sa{sv}", "org.freedesktop.systemd1.Unit",
            "1", "ActiveState", "s", "active",
        ])
        #expect(!bus.waitForChange(upTo: .milliseconds(500)))
        try mock.addRunningUnit(9)
        #expect(bus.waitForChange(upTo: .seconds(5)))
    }

    @Test("Invariant: when the bus goes away, the executor's wait sleeps out its timeout; it never spins")
    func brokenBusDoesNotSpin() throws {
        let mock = try SystemdMock()
        let bus = try SystemdBus(address: mock.address)
        #expect(bus.subscribe())
        mock.stop()
        let begin = ContinuousClock.now
        #expect(!bus.waitForChange(upTo: .milliseconds(400)))
        let took = ContinuousClock.now - begin
        #expect(took >= .milliseconds(350), "returned after \(took): a loop around it would spin")
    }

    @Test("Invariant: after a restart a loaded unit is adopted and its real end reported; a vanished one is lost")
    func adoption() throws {
        let mock = try SystemdMock()
        let state = mock.directory + "/state"
        do {
            let first = try SystemdExecutor(busAddress: mock.address, stateDirectory: state)
            for id: UInt64 in [21, 22] {
                try mock.addRunningUnit(id)
                try first.start(
                    SlotLaunch(
                        id: id, command: ["/bin/true"], workingDirectory: "/tmp",
                        timeLimit: 60_000, logFile: "/tmp/\(id).log"))
            }
        }
        // While "slotd" is down, 21 times out; 22 vanishes from systemd entirely (its record is all that is left).
        try mock.endUnit(21, result: "timeout", code: 2, status: 15)
        try FileManager.default.createDirectory(atPath: state + "/systemd-slots", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: state + "/systemd-slots/23", contents: nil)
        let events = EventLog()
        let second = try SystemdExecutor(
            busAddress: mock.address, stateDirectory: state,
            pollInterval: .milliseconds(50)
        ) { events.add($0) }
        let adopted = second.adopt()
        #expect(adopted.contains(.adopted(id: 21, pid: 4242)))
        #expect(adopted.contains(.adopted(id: 22, pid: 4242)))
        #expect(adopted.contains(.lost(id: 23, pid: 0)))
        #expect(events.wait(for: 1, { if case .ended = $0 { true } else { false } }))
        #expect(events.outcome(21) == .timedOut)
        #expect(events.outcome(22) == nil, "22 is still running")
    }

    @Test("Invariant: no bus is a named error, not a crash")
    func noBus() {
        #expect(throws: ExecutorError.self) {
            _ = try SystemdExecutor(busAddress: "unix:path=/nonexistent/bus")
        }
    }
}

/// Records executor events (they arrive on the executor's poll thread).
final class EventLog: @unchecked Sendable {
    // Safe: every access holds `lock`.
    private let lock = NSLock()
    private var events: [ProcessExecutor.Event] = []

    func add(_ event: ProcessExecutor.Event) { lock.withLock { events.append(event) } }

    func outcome(_ id: UInt64) -> SlotOutcome? {
        lock.withLock {
            events.lazy.compactMap { if case .ended(id, let outcome) = $0 { outcome } else { nil } }.first
        }
    }

    /// Waits up to 10 s until `count` events match.
    func wait(for count: Int, _ match: (ProcessExecutor.Event) -> Bool) -> Bool {
        for _ in 0..<200 {
            if lock.withLock({ events.filter(match).count }) >= count { return true }
            usleep(50_000)
        }
        return false
    }
}

/// A private dbus-daemon with python3-dbusmock's systemd template on it, stopped (by pid) on deinit.
final class SystemdMock {
    static let python = "/usr/bin/python3"
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/dbus-daemon")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/busctl")
            && FileManager.default.fileExists(atPath: "/usr/lib/python3/dist-packages/dbusmock/templates/systemd.py")
    }

    let directory: String
    let address: String
    private let daemon = Process()
    private let mock = Process()

    init() throws {
        directory = NSTemporaryDirectory() + "slotd-dbusmock-\(UUID())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        address = "unix:path=\(directory)/bus"
        daemon.executableURL = URL(fileURLWithPath: "/usr/bin/dbus-daemon")
        daemon.arguments = ["--session", "--nofork", "--address=\(address)"]
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        mock.executableURL = URL(fileURLWithPath: Self.python)
        mock.arguments = ["-m", "dbusmock", "--template", "systemd"]
        var environment = ProcessInfo.processInfo.environment
        environment["DBUS_SYSTEM_BUS_ADDRESS"] = address
        mock.environment = environment
        mock.standardOutput = FileHandle.nullDevice
        mock.standardError = FileHandle.nullDevice
        // The bus socket appears once dbus-daemon listens; then the mock can connect.
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: directory + "/bus") { usleep(20_000) }
        try mock.run()
        for _ in 0..<200 {
            if (try? busctl([
                "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                "org.freedesktop.DBus.Peer", "Ping",
            ])) != nil {
                return
            }
            usleep(25_000)
        }
        throw MockError.notReady
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    private var stopped = false

    /// Ends the mock and its bus (once: a reaped pid is never signalled again).
    func stop() {
        guard !stopped else { return }
        stopped = true
        // SIGKILL and reap by pid: the mock's GLib loop does not stop on SIGTERM, and Foundation's waitUntilExit
        // was seen to hang on a killed child.
        for process in [mock, daemon] where process.processIdentifier > 0 {
            let pid = process.processIdentifier
            kill(pid, SIGKILL)
            var status: Int32 = 0
            for _ in 0..<200 {
                let reaped = waitpid(pid, &status, WNOHANG)
                if reaped == pid || (reaped < 0 && errno == ECHILD) { break }
                usleep(10_000)
            }
        }
    }

    enum MockError: Error { case notReady, busctl(String) }

    @discardableResult
    func busctl(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/busctl")
        process.arguments = ["--address=\(address)"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw MockError.busctl(arguments.joined(separator: " ")) }
        return String(decoding: data, as: UTF8.self)
    }

    /// The arguments (each `{"type", "data"}`) of every recorded call of `method`, oldest first.
    func calls(_ method: String) throws -> [[[String: Any]]] {
        let text = try busctl([
            "--json=short", "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
            "org.freedesktop.DBus.Mock", "GetMethodCalls", "s", method,
        ])
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        let calls = ((object?["data"] as? [Any])?.first as? [Any]) ?? []
        return calls.compactMap { ($0 as? [Any])?.last as? [[String: Any]] }
    }

    func unitPath(_ id: UInt64) -> String { "/org/freedesktop/systemd1/unit/slotd_\(id)_service" }

    /// A loaded, running `slotd-<id>.service` with the Service properties the executor reads.
    func addRunningUnit(_ id: UInt64) throws {
        try busctl([
            "call", "org.freedesktop.systemd1", "/org/freedesktop/systemd1", "org.freedesktop.DBus.Mock",
            "AddMockUnit", "s", "slotd-\(id).service",
        ])
        try busctl([
            "call", "org.freedesktop.systemd1", unitPath(id), "org.freedesktop.DBus.Mock", "AddProperties",
            "sa{sv}", "org.freedesktop.systemd1.Unit", "1", "SubState", "s", "running",
        ])
        try busctl([
            "call", "org.freedesktop.systemd1", unitPath(id), "org.freedesktop.DBus.Mock", "AddProperties",
            "sa{sv}", "org.freedesktop.systemd1.Service", "4", "Result", "s", "success", "ExecMainCode", "i",
            "0", "ExecMainStatus", "i", "0", "MainPID", "u", "4242",
        ])
        try busctl([
            "call", "org.freedesktop.systemd1", unitPath(id), "org.freedesktop.DBus.Mock",
            "UpdateProperties", "sa{sv}", "org.freedesktop.systemd1.Unit", "1", "ActiveState", "s", "active",
        ])
    }

    /// The unit ends the way systemd reports it.
    func endUnit(_ id: UInt64, result: String, code: Int32, status: Int32) throws {
        try busctl([
            "call", "org.freedesktop.systemd1", unitPath(id), "org.freedesktop.DBus.Mock",
            "UpdateProperties", "sa{sv}", "org.freedesktop.systemd1.Service", "3", "Result", "s", result,
            "ExecMainCode", "i", "\(code)", "ExecMainStatus", "i", "\(status)",
        ])
        let state = result == "success" ? "inactive" : "failed"
        try busctl([
            "call", "org.freedesktop.systemd1", unitPath(id), "org.freedesktop.DBus.Mock",
            "UpdateProperties", "sa{sv}", "org.freedesktop.systemd1.Unit", "2", "ActiveState", "s", state,
            "SubState", "s", state == "failed" ? "failed" : "dead",
        ])
    }
}
