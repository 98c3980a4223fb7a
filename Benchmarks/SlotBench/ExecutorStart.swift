import Foundation
import SlotSandbox
import Synchronization

/// Time from `ProcessExecutor.start` until the workload process is running. glibc's posix_spawn returns after the
/// child has exec'd the program (it uses CLONE_VFORK), so the call's duration is that time.
enum ExecutorStartBenchmark {
    /// Start latencies in seconds for `count` starts of `/bin/true`, one at a time, each reaped before the next;
    /// with `cgroups`, each slot gets its cgroup as in the daemon (the first exec is then the joining shell).
    static func latencies(count: Int, cgroups: CgroupTree? = nil) throws -> [Double] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slotbench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let executor = ProcessExecutor(cgroups: cgroups)
        let clock = ContinuousClock()
        var samples: [Double] = []
        for id in 0..<UInt64(count) {
            let launch = SlotLaunch(
                id: id, command: ["/bin/true"], workingDirectory: directory,
                environment: ["PATH": "/usr/bin:/bin"], timeLimit: 60_000,
                logFile: directory + "/slot.log")
            let elapsed = try clock.measure { try executor.start(launch) }
            samples.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            while executor.outcome(of: id) == nil { usleep(200) }
        }
        return samples.sorted()
    }

    /// Time from `SystemdExecutor.start` (StartTransientUnit) until the executor reports the unit running with its
    /// main PID, for `count` slots of `/bin/sleep 30`, one at a time; each is stopped (and its end awaited) before
    /// the next. The executor polls every millisecond here, so the figure includes up to 1 ms of polling. Needs
    /// systemd as PID 1 and root: run it in the booted container (Deploy/e2e).
    static func systemdLatencies(count: Int) throws -> [Double] {
        // Not under /tmp: units get a private /tmp, where systemd would not find the log file (as slotd keeps its
        // slot logs in /var/lib/slotd).
        let directory = "/var/lib/slotbench-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = ContinuousClock()
        let started = Mutex<[UInt64: ContinuousClock.Instant]>([:])
        let ended = Mutex<[UInt64: SlotOutcome]>([:])
        let executor = try SystemdExecutor(
            gracePeriod: .seconds(1), stateDirectory: directory,
            pollInterval: .milliseconds(1)
        ) { event in
            switch event {
            case .started(let id, _): started.withLock { $0[id] = clock.now }
            case .ended(let id, let outcome): ended.withLock { $0[id] = outcome }
            case .node, .submitted, .startFailed, .outside: break
            }
        }
        var samples: [Double] = []
        let base = UInt64(Date().timeIntervalSince1970)  // unit names differ from earlier runs'
        for offset in 0..<UInt64(count) {
            let id = base * 10_000 + offset
            // The unit gets a private /tmp, so it works in the home directory, not in `directory`.
            let launch = SlotLaunch(
                id: id, command: ["/bin/sleep", "30"],
                workingDirectory: FileManager.default.homeDirectoryForCurrentUser.path,
                environment: ["PATH": "/usr/bin:/bin"], timeLimit: 60_000,
                logFile: directory + "/slot.log")
            let t0 = clock.now
            try executor.start(launch)
            while started.withLock({ $0[id] }) == nil {
                guard clock.now - t0 < .seconds(10), ended.withLock({ $0[id] }) == nil else {
                    throw BenchError.slotDidNotStart(
                        id, after: "\(clock.now - t0)",
                        ended: ended.withLock { $0[id] }.map { "\($0)" })
                }
                usleep(100)
            }
            let elapsed = (started.withLock { $0[id] } ?? t0) - t0
            samples.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            try executor.stop(id)
            while ended.withLock({ $0[id] }) == nil { usleep(1_000) }
        }
        return samples.sorted()
    }
}
