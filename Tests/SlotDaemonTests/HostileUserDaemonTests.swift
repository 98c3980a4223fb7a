import Foundation
import SlotClient
import SlotProtocol
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 16, findings 4, 5, 7, 8, 9 and 10, through the daemon as a user meets it: what one user does can
/// neither fill the disk, nor the queue, nor the daemon's time, and a failed write never runs a slot twice.
final class HostileUserDaemonTests: XCTestCase {
    /// `slotctl list` options for requests in every state (it lists pending and running ones by default).
    static let everyState = RequestState.allCases.flatMap { ["--state", $0.rawValue] }

    func submit(_ daemon: DaemonHarness, _ arguments: [String]) throws -> RequestInfo {
        try daemon.json(RequestReply.self, ["submit", "--sector", "healthcare"] + arguments).request
    }

    func show(_ daemon: DaemonHarness, _ id: Int64) throws -> RequestInfo {
        try daemon.json(RequestReply.self, ["show", String(id)]).request
    }

    /// Invariant (finding 8): one uid has at most `max_pending_per_user` requests pending; the next is refused
    /// with TooManyPending and not stored, and the queue-full reason never shows internal detail. Before: one user
    /// filled a queue class (16,384) and the next user's submit was refused with `classFull(classIndex: 20)`.
    func testPendingRequestsPerUserAreBounded() throws {
        let daemon = try DaemonHarness(inventory: "1x0:2:16")
        try daemon.configure("[limits]\nmax_pending_per_user = 3\n")
        try daemon.start()
        let running = try submit(daemon, ["--cpus", "2", "--duration", "1m", "--", "sleep", "60"])
        XCTAssertEqual(running.state, .running)
        for _ in 0..<3 {
            XCTAssertEqual(try submit(daemon, ["--cpus", "2", "--duration", "1m", "--", "true"]).state, .pending)
        }
        let refused = try daemon.slotctl([
            "submit", "--sector", "healthcare", "--cpus", "2", "--duration", "1m",
            "--json", "--", "true",
        ])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stdout.contains("io.slotd.Requests.TooManyPending"), refused.stdout + refused.stderr)
        let all = try daemon.json(ListReply.self, ["list", "--all"] + Self.everyState)
        XCTAssertEqual(all.requests.count, 4, "the refused submit was stored")
        // A place frees up when one leaves the queue.
        _ = try daemon.slotctl(["cancel", String(all.requests.map(\.id).max() ?? 0)])
        XCTAssertEqual(try submit(daemon, ["--cpus", "2", "--duration", "1m", "--", "true"]).state, .pending)
    }

    /// Invariant (finding 4): new requests are refused while the database's filesystem is under
    /// `min_free_disk_mib`, while reads keep working. Before: another user's submits failed with
    /// `InternalError: database or disk is full` once a slot's log had filled the disk.
    func testNearlyFullDiskRefusesNewRequestsOnly() throws {
        let daemon = try DaemonHarness()
        try daemon.configure("[limits]\nmin_free_disk_mib = 1073741824\n")  // 1 PiB: no disk here has it
        try daemon.start()
        let refused = try daemon.slotctl(["submit", "--sector", "healthcare", "--json", "--", "true"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stdout.contains("io.slotd.System.DiskNearlyFull"), refused.stdout + refused.stderr)
        XCTAssertEqual(try daemon.slotctl(["status"]).status, 0)
        XCTAssertEqual(try daemon.json(ListReply.self, ["list", "--all"] + Self.everyState).requests.count, 0)
    }

    /// Invariant (finding 4): a slot whose log passes `max_log_mib` is stopped and recorded failed with the reason,
    /// and its log stays far below what it would have written; the logs go to `logs_directory`. Before: `yes`
    /// wrote 690 MiB/s with no limit, on the database's disk.
    func testLogIsBoundedAndInTheLogsDirectory() throws {
        let daemon = try DaemonHarness()
        let logs = daemon.state + "/elsewhere-logs"
        try daemon.configure("logs_directory = \"\(logs)\"\n[limits]\nmax_log_mib = 1\nstop_grace_seconds = 1\n")
        try daemon.start()
        let slot = try submit(daemon, ["--duration", "1m", "--", "yes"])
        var final = slot
        XCTAssertTrue(
            try eventually(20) {
                final = try show(daemon, slot.id)
                return final.state.isFinal
            }, "a slot writing `yes` for 20 s with a 1 MiB log limit is still \(final.state)")
        XCTAssertEqual(final.state, .failed)
        XCTAssertTrue(final.outcome?.contains("log passed the 1 MiB limit") == true, "\(final.outcome ?? "")")
        XCTAssertEqual(final.logFile, logs + "/\(slot.id).log")
        let size = (try FileManager.default.attributesOfItem(atPath: logs + "/\(slot.id).log")[.size] as? Int) ?? -1
        XCTAssertGreaterThan(size, 1 << 20)
        XCTAssertLessThan(size, 400 << 20, "checked four times a second, the log stays within a few hundred MiB")
    }

    /// Invariant (finding 10): the process executor ends a slot at its time limit while slotd is stopped (its
    /// watchdog needs no daemon). Before: with slotd stopped for 10 s, a slot with a 3 s limit ran 10.6 s.
    func testTimeLimitHoldsWhileTheDaemonIsStopped() throws {
        let daemon = try DaemonHarness()
        try daemon.configure("[limits]\nstop_grace_seconds = 1\n")
        try daemon.start()
        // A token no other process has: the workload is found by it in /proc (inside bubblewrap its own pid is
        // another namespace's).
        let token = "60.\(UInt32.random(in: 100_000...999_999))"
        let slot = try submit(daemon, ["--duration", "2s", "--", "sleep", token])
        XCTAssertTrue(eventually(5) { !Self.processes(with: token).isEmpty }, "the slot never started")
        kill(daemon.pid, SIGSTOP)
        let stoppedAt = Date()
        let ended = eventually(6) { Self.processes(with: token).isEmpty }
        let after = Date().timeIntervalSince(stoppedAt)
        kill(daemon.pid, SIGCONT)
        XCTAssertTrue(ended, "the slot's process outlived its 2 s limit by 6 s while slotd was stopped")
        XCTAssertLessThan(after, 5)
        var final = slot
        XCTAssertTrue(
            try eventually(10) {
                final = try show(daemon, slot.id)
                return final.state.isFinal
            })
        XCTAssertEqual(final.state, .expired, "\(final.outcome ?? "")")
    }

    /// Pids of the processes with `token` among their arguments.
    static func processes(with token: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry),
                let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
            else { return nil }
            return cmdline.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == token } ? pid : nil
        }
    }

    /// Invariant (finding 7): Policy.Check is rate-limited per user with a named error, and a big check does not
    /// hold up other calls. Before: four looping 750 KiB checks made another user's status take 7.8 s.
    func testPolicyCheckIsRateLimitedAndOffTheEngine() throws {
        let daemon = try DaemonHarness()
        try daemon.configure("[limits]\nexpensive_calls_per_minute = 2\nmax_frame_bytes = 8388608\n")
        try daemon.start()
        let source = try String(contentsOfFile: daemon.policy, encoding: .utf8)
        for _ in 0..<2 {
            XCTAssertTrue(
                try daemon.connect().call(
                    "io.slotd.Policy.Check", PolicyCheckParameters(source: source),
                    as: PolicyCheckReply.self
                ).valid)
        }
        XCTAssertThrowsError(
            try daemon.connect().call(
                "io.slotd.Policy.Check", PolicyCheckParameters(source: source),
                as: PolicyCheckReply.self)
        ) { error in
            XCTAssertTrue("\(error)".contains("io.slotd.System.RateLimited"), "\(error)")
        }
        XCTAssertNoThrow(try daemon.connect().call("io.slotd.System.Status", Empty(), as: StatusReply.self))
    }

    /// Invariant (finding 5): an environment value over 32 KiB, and a NUL byte in an argument or a value, are
    /// refused at the door and nothing is stored; a rejected request is stored without its environment. Before: a
    /// 900 KB value was accepted and failed at start, and 300 rejected submits grew the database by 323 MiB.
    func testOversizedFieldsAreRefusedAndRejectionsKeepNoEnvironment() throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        let connection = try daemon.connect()
        func parameters(_ command: [String], _ environment: [String: String], sector: String = "healthcare")
            -> SubmitParameters
        {
            SubmitParameters(
                sector: sector, gpus: 0, cpus: 1, memoryMiB: 64, durationSeconds: 60, purpose: "",
                command: command, workingDirectory: "/tmp", environment: environment)
        }
        for (command, environment) in [
            (["true"], ["BIG": String(repeating: "x", count: 40_000)]),
            (["true", "a\u{0}b"], [:]), (["true"], ["V": "a\u{0}b"]),
        ] {
            XCTAssertThrowsError(
                try connection.call(
                    "io.slotd.Requests.Submit", parameters(command, environment),
                    as: RequestReply.self)
            ) { error in
                XCTAssertTrue("\(error)".contains("io.slotd.Requests.InvalidParameter"), "\(error)")
            }
        }
        XCTAssertEqual(try daemon.json(ListReply.self, ["list", "--all"] + Self.everyState).requests.count, 0)
        XCTAssertThrowsError(
            try connection.call(
                "io.slotd.Requests.Submit", parameters(["true"], ["TOKEN": "secret"], sector: "no-such-sector"),
                as: RequestReply.self))
        let database = daemon.state + "/slotd.sqlite"
        let dump = Process()
        dump.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        dump.arguments = [
            "python3", "-c",
            """
            import sqlite3, sys
            print(sqlite3.connect(sys.argv[1]).execute("select environment from request").fetchall())
            """, database,
        ]
        let out = Pipe()
        dump.standardOutput = out
        try dump.run()
        dump.waitUntilExit()
        let rows = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(rows.contains("{}"), rows)
        XCTAssertFalse(rows.contains("secret"), "a rejected request kept its environment: \(rows)")
    }
}
