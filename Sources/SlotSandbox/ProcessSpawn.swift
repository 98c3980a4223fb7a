import CSlotSpawn

#if canImport(Glibc)
    import Glibc
#endif

/// Starts a slot's process through `cslot_start` (CSlotSpawn): fork, then in the child a new session, stdin from
/// /dev/null, stdout and stderr appended to the log, the cgroup, no core dumps, the network namespace, the switch
/// to the applicant's user, and only then the working directory and `execve` with the request's environment.
///
/// **Nothing the request controls runs as root** (docs/security.md): no root-run program ever sees the request's
/// environment (an `LD_PRELOAD` there would run with root's rights in it), and its working directory and program
/// are reached with the applicant's permissions, not root's, so a path into another user's 0700 directory fails
/// as it would for her own `cd`. The only program exec'd is the slot's own (or bubblewrap, started as the user).
enum ProcessSpawn {
    /// The Unix identity a child switches to: uid, gid and exactly these supplementary groups.
    struct Identity: Sendable, Hashable {
        var uid: uid_t
        var gid: gid_t
        var groups: [gid_t]

        /// `user` with the supplementary groups of its passwd entry (as `initgroups` would), or none without one.
        init(_ user: SlotUser) {
            uid = user.uid
            gid = user.gid
            groups = Self.groups(uid: user.uid, gid: user.gid)
        }

        init(uid: uid_t, gid: gid_t, groups: [gid_t]) {
            self.uid = uid
            self.gid = gid
            self.groups = groups
        }

        static func groups(uid: uid_t, gid: gid_t) -> [gid_t] {
            var buffer = [Int8](repeating: 0, count: 4_096)
            var entry = passwd()
            var found: UnsafeMutablePointer<passwd>?
            guard getpwuid_r(uid, &entry, &buffer, buffer.count, &found) == 0, found != nil, let name = entry.pw_name
            else { return [] }
            var count: Int32 = 64
            var groups = [gid_t](repeating: 0, count: Int(count))
            if getgrouplist(name, gid, &groups, &count) < 0 {
                groups = [gid_t](repeating: 0, count: Int(count))
                guard getgrouplist(name, gid, &groups, &count) >= 0 else { return [] }
            }
            return Array(groups.prefix(Int(count)))
        }
    }

    /// What to start. `candidates` are absolute paths tried in order; `arguments[0]` is what the program sees.
    struct Plan: Sendable {
        var candidates: [String]
        var arguments: [String]
        var environment: [String: String]
        var workingDirectory: String?
        var unshareNetwork = false
        /// nil: the child keeps slotd's own identity.
        var identity: Identity?
        /// Milliseconds after which the slot's watchdog ends it without the daemon (0: no watchdog), and the
        /// grace between its SIGTERM and SIGKILL.
        var timeLimitMs: Int64 = 0
        var graceMs: Int64 = 5_000
    }

    /// Starts `plan`; returns its pid, or where and why it could not start.
    static func spawn(_ plan: Plan, logFile: String, cgroupProcs: String? = nil) -> Result<pid_t, SpawnFailure> {
        guard !plan.candidates.isEmpty, !plan.arguments.isEmpty else {
            return .failure(SpawnFailure(reason: "empty command"))
        }
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard null >= 0 else { return .failure(SpawnFailure(reason: "/dev/null: \(String(cString: strerror(errno)))")) }
        defer { close(null) }
        // The log is slotd's file: opened here, as slotd, never through a link.
        let log = open(logFile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o640)
        guard log >= 0 else {
            return .failure(SpawnFailure(reason: "log \(logFile): \(String(cString: strerror(errno)))"))
        }
        defer { close(log) }
        var procs: Int32 = -1
        if let cgroupProcs {
            // O_CREAT changes nothing on cgroupfs, where cgroup.procs always exists; it lets tests use a plain
            // directory as a stand-in tree.
            procs = open(cgroupProcs, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
            guard procs >= 0 else {
                return .failure(
                    SpawnFailure(
                        reason: "cannot join the slot's cgroup \(cgroupProcs): \(String(cString: strerror(errno)))"))
            }
        }
        defer { if procs >= 0 { close(procs) } }

        let candidates: [UnsafePointer<CChar>?] = plan.candidates.map { UnsafePointer(strdup($0)) }
        let argv = plan.arguments.map { strdup($0) } + [nil]
        let envp = plan.environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        let workdir: UnsafePointer<CChar>? = plan.workingDirectory.flatMap { UnsafePointer(strdup($0)) }
        defer {
            candidates.forEach { free(UnsafeMutablePointer(mutating: $0)) }
            argv.forEach { free($0) }
            envp.forEach { free($0) }
            workdir.map { free(UnsafeMutablePointer(mutating: $0)) }
        }
        let groups = plan.identity?.groups ?? []
        var pid: pid_t = 0
        var stage: Int32 = 0
        var error: Int32 = 0
        let status = candidates.withUnsafeBufferPointer { candidatePointers in
            argv.withUnsafeBufferPointer { argvPointers in
                envp.withUnsafeBufferPointer { envpPointers in
                    groups.withUnsafeBufferPointer { groupPointers in
                        var options = cslot_start_options(
                            candidates: candidatePointers.baseAddress.map { UnsafePointer($0) },
                            candidate_count: candidatePointers.count,
                            argv: argvPointers.baseAddress, envp: envpPointers.baseAddress,
                            workdir: workdir, stdin_fd: null, log_fd: log, cgroup_procs_fd: procs,
                            unshare_net: plan.unshareNetwork ? 1 : 0, switch_user: plan.identity == nil ? 0 : 1,
                            uid: plan.identity?.uid ?? 0, gid: plan.identity?.gid ?? 0,
                            groups: groupPointers.baseAddress, group_count: groupPointers.count,
                            time_limit_ms: plan.timeLimitMs, grace_ms: plan.graceMs)
                        return cslot_start(&options, &pid, &stage, &error)
                    }
                }
            }
        }
        guard status == 0 else {
            return .failure(SpawnFailure(reason: describe(stage: stage, error: error, plan: plan)))
        }
        return .success(pid)
    }

    /// The failure in the applicant's words: which step, which path, and the system's reason.
    static func describe(stage: Int32, error: Int32, plan: Plan) -> String {
        let reason = String(cString: strerror(error))
        switch UInt32(stage) {
        case CSLOT_STAGE_CGROUP.rawValue: return "cannot join the slot's cgroup: \(reason)"
        case CSLOT_STAGE_NETWORK.rawValue: return "cannot make a network namespace: \(reason)"
        case CSLOT_STAGE_USER.rawValue: return "cannot switch to uid \(plan.identity?.uid ?? 0): \(reason)"
        case CSLOT_STAGE_WORKDIR.rawValue: return "working directory \(plan.workingDirectory ?? "/"): \(reason)"
        case CSLOT_STAGE_EXEC.rawValue: return "\(plan.arguments[0]): \(reason)"
        default: return "cannot start the process: \(reason)"
        }
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

/// Why a slot's process could not start, in words.
struct SpawnFailure: Error {
    var reason: String
}
