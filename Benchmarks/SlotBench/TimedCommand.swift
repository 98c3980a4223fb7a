import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// Runs a command with `posix_spawn` and `wait4`, its standard output written to a file, and times it from spawn
/// to exit. Foundation's `Process` added about 55 ms to every run (its exit is noticed by polling), which a
/// 0.5 s target cannot carry.
enum TimedCommand {
    struct Run {
        var seconds: Double
        /// The child's user + system CPU (from `wait4`).
        var cpuSeconds: Double
        var output: Data
    }

    enum Failure: Error, CustomStringConvertible {
        case spawn(String, Int32)
        case exit(String, Int32)
        var description: String {
            switch self {
            case .spawn(let command, let code): "cannot start \(command): \(String(cString: strerror(code)))"
            case .exit(let command, let status): "\(command) exited with wait status \(status)"
            }
        }
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> Run {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("slotbench-\(UUID()).out").path
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let begin = ContinuousClock.now
        let code = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard code == 0 else { throw Failure.spawn(executable, code) }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let seconds = (ContinuousClock.now - begin).seconds
        guard status == 0 else { throw Failure.exit(executable, status) }
        func secs(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return Run(
            seconds: seconds, cpuSeconds: secs(usage.ru_utime) + secs(usage.ru_stime),
            output: FileManager.default.contents(atPath: outputPath) ?? Data())
    }
}
