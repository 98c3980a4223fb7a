import Foundation
import SlotSandbox

/// Time from `ProcessExecutor.start` until the workload process is running. glibc's posix_spawn returns after the
/// child has exec'd the program (it uses CLONE_VFORK), so the call's duration is that time.
enum ExecutorStartBenchmark {
    /// Start latencies in seconds for `count` starts of `/bin/true`, one at a time, each reaped before the next.
    static func latencies(count: Int) throws -> [Double] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slotbench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let executor = ProcessExecutor()
        let clock = ContinuousClock()
        var samples: [Double] = []
        for id in 0..<UInt64(count) {
            let launch = SlotLaunch(id: id, command: ["/bin/true"], workingDirectory: directory,
                                    environment: ["PATH": "/usr/bin:/bin"], timeLimit: 60_000,
                                    logFile: directory + "/slot.log")
            let elapsed = try clock.measure { try executor.start(launch) }
            samples.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            while executor.outcome(of: id) == nil { usleep(200) }
        }
        return samples.sorted()
    }
}
