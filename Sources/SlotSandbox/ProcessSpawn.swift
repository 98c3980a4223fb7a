import CSlotSpawn

#if canImport(Glibc)
import Glibc
#endif

/// `posix_spawnp` in a new session (so the workload leads its own process group), with stdin from /dev/null,
/// stdout and stderr appended to a log file, a working directory, a clean signal mask and default dispositions.
enum ProcessSpawn {
    /// Starts `command`; returns its pid, or the reason it could not start.
    static func spawn(_ command: [String], environment: [String: String], workingDirectory: String,
                      logFile: String) -> Result<pid_t, SpawnFailure> {
        guard let program = command.first, !program.isEmpty else { return .failure(SpawnFailure(reason: "empty command")) }
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o640)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        cslot_spawn_addchdir(&actions, workingDirectory)
        cslot_spawn_addclosefrom(&actions, 3)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, cslot_spawn_setsid_flag() | Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = command.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let status = posix_spawnp(&pid, program, &actions, &attributes, argv, envp)
        guard status == 0 else { return .failure(SpawnFailure(reason: "\(program): \(String(cString: strerror(status)))")) }
        return .success(pid)
    }

    /// Blocks until `pid` ends; returns how.
    static func wait(_ pid: pid_t) -> (exited: Int32?, signal: Int32?) {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return (nil, nil) }
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros; spelled out here.
        if status & 0x7F == 0 { return ((status >> 8) & 0xFF, nil) }
        return (nil, status & 0x7F)
    }
}

/// Why `posix_spawnp` failed, in words.
struct SpawnFailure: Error {
    var reason: String
}
