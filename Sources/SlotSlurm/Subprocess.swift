import CSlotSpawn
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a program to its end with posix_spawn, pipes and waitpid on the calling thread, with a deadline: no
/// Foundation `Process` (its exit notice depends on SIGCHLD reaching its manager thread, which a daemon that
/// supervises other children cannot promise).
public enum Subprocess {
    public struct Result: Sendable {
        public var status: Int32
        public var output: Data
        public var errors: Data
    }

    public enum Failure: Error, Sendable {
        case spawn(Int32)
        case timedOut
    }

    /// Runs `path` with `arguments` (argv[0] is the path) and exactly `environment`; `input` goes to its stdin.
    /// Output beyond `limit` bytes per stream is dropped. Past `timeout` seconds the program is killed.
    public static func run(
        _ path: String, _ arguments: [String], environment: [String: String], input: Data = Data(),
        timeout: Double, limit: Int = 64 << 20
    ) throws(Failure) -> Result {
        var stdin: [Int32] = [0, 0], stdout: [Int32] = [0, 0], stderr: [Int32] = [0, 0]
        // Close-on-exec, so a tool started meanwhile by another thread holds none of these ends open.
        guard pipe(&stdin) == 0, pipe(&stdout) == 0, pipe(&stderr) == 0 else { throw .spawn(errno) }
        for fd in stdin + stdout + stderr { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdout[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderr[1], 2)
        // Nothing of slotd's (sockets, the database) reaches the tool: every descriptor above stderr is closed.
        _ = cslot_spawn_addclosefrom(&actions, 3)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, envp)
        for fd in [stdin[0], stdout[1], stderr[1]] { close(fd) }
        guard spawned == 0 else {
            for fd in [stdin[1], stdout[0], stderr[0]] { close(fd) }
            throw .spawn(spawned)
        }
        // Input first (small: a batch script), then read both streams until they close or the deadline passes.
        input.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(stdin[1], bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
        close(stdin[1])
        var output = Data(), errors = Data()
        var open = [stdout[0], stderr[0]]
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !open.isEmpty {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 {
                timedOut = true
                break
            }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), Int32(min(left, 1) * 1_000))
            if ready < 0, errno != EINTR { break }
            for entry in fds where entry.revents != 0 {
                let count = read(entry.fd, &buffer, buffer.count)
                if count <= 0 {
                    close(entry.fd)
                    open.removeAll { $0 == entry.fd }
                } else if entry.fd == stdout[0] {
                    if output.count < limit { output.append(contentsOf: buffer[0..<count]) }
                } else if errors.count < limit {
                    errors.append(contentsOf: buffer[0..<count])
                }
            }
        }
        for fd in open { close(fd) }
        if timedOut { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        if timedOut { throw .timedOut }
        let exited = status & 0x7f == 0
        return Result(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), output: output, errors: errors)
    }
}
