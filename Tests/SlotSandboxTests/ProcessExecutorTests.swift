import Foundation
import SlotSandbox
import Testing

/// The process executor end to end, with real processes.
@Suite struct ProcessExecutorTests {
    let directory: String

    init() throws {
        directory =
            FileManager.default.temporaryDirectory.appendingPathComponent("slotd-exec-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func launch(_ id: UInt64, _ script: String, limit: Int64 = 30_000, gpus: [Int] = []) -> SlotLaunch {
        SlotLaunch(
            id: id, command: ["/bin/sh", "-c", script], workingDirectory: directory,
            environment: ["PATH": "/usr/bin:/bin"], gpuIndices: gpus, timeLimit: limit,
            logFile: directory + "/slot-\(id).log")
    }

    /// Waits (on this thread, not the task pool, which other tests may keep busy) for slot `id` to end.
    func outcome(_ executor: ProcessExecutor, _ id: UInt64, within seconds: Int = 30) -> SlotOutcome? {
        executor.waitForOutcome(of: id, timeout: .seconds(seconds))
    }

    func log(_ id: UInt64) throws -> String {
        try String(contentsOfFile: directory + "/slot-\(id).log", encoding: .utf8)
    }

    @Test("Invariant: the workload's exit status comes through, and its output and environment are captured")
    func exitCodeOutputEnvironment() async throws {
        let executor = ProcessExecutor()
        try executor.start(
            launch(1, "echo out; echo err >&2; echo gpus=$CUDA_VISIBLE_DEVICES; pwd; exit 7", gpus: [0, 2]))
        let ended = outcome(executor, 1)
        #expect(ended == .exited(code: 7))
        #expect(try log(1) == "out\nerr\ngpus=0,2\n\(directory)\n")
    }

    @Test(
        "Invariant: a workload may not dump core (its memory could hold applicants' data)",
        .enabled(if: access("/usr/bin/prlimit", X_OK) == 0))
    func resourceLimits() async throws {
        let executor = ProcessExecutor()
        try executor.start(launch(3, "echo core=$(ulimit -c) hard=$(ulimit -Hc)"))
        #expect(outcome(executor, 3) == .exited(code: 0))
        #expect(try log(3) == "core=0 hard=0\n")
    }

    @Test(
        "Invariant: a slot without network has no interface but loopback; one with network sees the host's",
        .enabled(if: getuid() == 0))
    func noNetwork() async throws {
        let executor = ProcessExecutor()
        // /proc/net/dev lists the interfaces of the process's own network namespace.
        let interfaces = "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort | tr '\\n' ' '"
        var isolated = launch(8, interfaces)
        isolated.network = false
        try executor.start(isolated)
        try executor.start(launch(9, interfaces))
        #expect(outcome(executor, 8) == .exited(code: 0))
        #expect(outcome(executor, 9) == .exited(code: 0))
        #expect(try log(8) == "lo ")
        #expect(try log(9) != "lo ", "the host has more than loopback, so the check can tell them apart")
    }

    @Test("Invariant: a workload running past its limit is stopped within 1 s of the limit")
    func timeLimit() async throws {
        let executor = ProcessExecutor(gracePeriod: .seconds(1))
        try executor.start(launch(2, "sleep 60", limit: 1_000))
        let ended = outcome(executor, 2, within: 10)
        #expect(ended == .timedOut)
        // Measured by the executor's own threads, so a busy test runner cannot blur it.
        let ran = try #require(executor.result(of: 2)?.ran)
        #expect(ran >= .milliseconds(1_000) && ran < .milliseconds(2_000), "ended after \(ran)")
    }

    @Test(
        "Invariant: stopping a slot kills its whole process group, grandchildren included, even if they ignore SIGTERM")
    func stopKillsGrandchildren() async throws {
        // Unconfined: the test reads the pids the workload writes, which inside bubblewrap's PID namespace would
        // not be the host's (confinedByBubblewrap checks the same for a confined slot without pids).
        let executor = ProcessExecutor(gracePeriod: .milliseconds(500), confined: false)
        try executor.start(
            launch(3, "(trap '' TERM; sleep 60) & echo $! > child.pid; sleep 60 & echo $! > grandchild.pid; wait"))
        let pidFile = directory + "/grandchild.pid"
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: pidFile) {
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(100))
        let pids = try ["child.pid", "grandchild.pid"].map {
            try #require(
                Int32(
                    try String(contentsOfFile: directory + "/" + $0, encoding: .utf8)
                        .trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        try executor.stop(3)
        let ended = outcome(executor, 3)
        #expect(ended == .stopped)
        try await Task.sleep(for: .milliseconds(700))  // past the grace period: SIGKILL for the one ignoring SIGTERM
        for pid in pids { #expect(!Self.isAlive(pid), "process \(pid) of the slot survived") }
    }

    @Test("Invariant: a workload that cannot start gets a named error, and nothing is left running")
    func failedToStart() throws {
        let executor = ProcessExecutor()
        var missing = launch(4, "true")
        missing.command = ["/nonexistent/program"]
        #expect(throws: ExecutorError.failedToStart(id: 4, reason: "/nonexistent/program: No such file or directory")) {
            try executor.start(missing)
        }
        var notOnPath = launch(6, "true")
        notOnPath.command = ["no-such-program-on-path"]
        #expect(throws: ExecutorError.self) { try executor.start(notOnPath) }
        var badDirectory = launch(5, "true")
        badDirectory.workingDirectory = "/nonexistent/dir"
        #expect(throws: ExecutorError.self) { try executor.start(badDirectory) }
        #expect(executor.running.isEmpty)
        #expect(throws: ExecutorError.notRunning(id: 9)) { try executor.stop(9) }
    }

    @Test("Invariant: one slot id runs at most once at a time")
    func noDoubleStart() async throws {
        let executor = ProcessExecutor(gracePeriod: .milliseconds(200))
        try executor.start(launch(6, "sleep 30"))
        #expect(throws: ExecutorError.alreadyRunning(id: 6)) { try executor.start(launch(6, "true")) }
        try executor.stop(6)
        let ended = outcome(executor, 6)
        #expect(ended == .stopped)
    }

    /// Alive means present and not a zombie.
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state != "Z" && state != "X"
    }
}

extension ProcessExecutorTests {
    @Test(
        """
        Invariant: inside bubblewrap the system is read-only, only the working directory is writable, /tmp is the \
        slot's own, the slot has its own PID namespace, and a stop still kills grandchildren that ignore SIGTERM
        """, .enabled(if: Bubblewrap.available))
    func confinedByBubblewrap() async throws {
        let executor = ProcessExecutor(gracePeriod: .milliseconds(500), confined: true)
        let marker = "slotd-private-\(UUID().uuidString)"
        try executor.start(
            launch(
                21,
                """
                touch /etc/\(marker) 2>/dev/null && echo etc-writable; echo x > inside && echo workdir-writable; \
                echo t > /tmp/\(marker) && echo tmp-writable; echo pid=$$
                """))
        #expect(outcome(executor, 21) == .exited(code: 0))
        let lines = try log(21).split(separator: "\n").map(String.init)
        #expect(lines.prefix(2) == ["workdir-writable", "tmp-writable"], "\(lines)")
        #expect(lines.count == 3 && (Int(lines[2].dropFirst(4)) ?? 99) < 10, "a fresh PID namespace: \(lines)")
        #expect(FileManager.default.fileExists(atPath: directory + "/inside"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/" + marker), "/tmp is the slot's own")
        #expect(!FileManager.default.fileExists(atPath: "/etc/" + marker))

        // A grandchild that ignores SIGTERM and beats into a file: after the stop and the grace period it beats no more.
        try executor.start(launch(22, "(trap '' TERM; while :; do echo . >> beat; sleep 0.1; done) & wait"))
        let beat = directory + "/beat"
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: beat) {
            try await Task.sleep(for: .milliseconds(20))
        }
        try executor.stop(22)
        #expect(outcome(executor, 22) == .stopped)
        try await Task.sleep(for: .milliseconds(700))
        let size = { (try? FileManager.default.attributesOfItem(atPath: beat)[.size] as? Int) ?? -1 }
        let before = size()
        try await Task.sleep(for: .milliseconds(500))
        #expect(before > 0 && size() == before, "the grandchild still beats: \(before) → \(size())")
    }

    @Test("Invariant: a workload runs as the applicant's uid and gid, not as slotd", .enabled(if: getuid() == 0))
    func runsAsApplicant() throws {
        let executor = ProcessExecutor()
        var asNobody = launch(11, "id -u; id -g")
        asNobody.user = SlotUser(uid: 65_534, gid: 65_534)
        try executor.start(asNobody)
        let ended = outcome(executor, 11)
        #expect(ended == .exited(code: 0))
        #expect(try log(11) == "65534\n65534\n")
    }

    @Test(
        "Invariant: without root, starting as another user is refused with a named error", .enabled(if: getuid() != 0))
    func otherUserNeedsRoot() {
        var other = launch(12, "true")
        other.user = SlotUser(uid: getuid() + 1, gid: getgid())
        #expect(throws: ExecutorError.self) { try ProcessExecutor().start(other) }
    }
}
