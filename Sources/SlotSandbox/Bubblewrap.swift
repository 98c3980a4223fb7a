#if canImport(Glibc)
    import Glibc
#endif

/// The process executor's namespaces, through bubblewrap (`bwrap`) when it is installed and slotd is root: the
/// nearest this executor comes to the systemd executor's confinement.
///
/// Inside, the workload sees:
/// - the whole file system read-only (`ProtectSystem=strict`, `ProtectHome=read-only`), except its working
///   directory, which is writable;
/// - its own `/tmp` (`PrivateTmp`), `/proc` and `/dev` with only the basic nodes, plus exactly its GPUs' nodes
///   (`DevicePolicy=closed` with `DeviceAllow`);
/// - its own PID, IPC and UTS namespaces, and, when the slot must have no network (Art. 17.4), its own network
///   namespace with only loopback.
///
/// bubblewrap does not start a new session (no `--new-session`): the workload stays in the process group the
/// executor created, so the deadline's SIGTERM and SIGKILL to the group reach every process of the slot. A workload
/// killed by signal N shows as exit status 128 + N, as bubblewrap reports it.
public enum Bubblewrap {
    public static let path = "/usr/bin/bwrap"

    /// Whether slots run inside bubblewrap here: it is installed, slotd is root, and it works the way applicants'
    /// slots use it: started *as the applicant* (never as root with anything of hers), making its namespaces in a
    /// user namespace of hers. A container or a kernel may forbid user namespaces or bubblewrap's mounts, so it is
    /// checked once, by running `/bin/true` as `nobody` inside the same namespaces a slot gets; where it fails,
    /// slots run unconfined (still as the applicant), and slotd says so at start and in `status`.
    public static let available: Bool = {
        guard getuid() == 0, access(path, X_OK) == 0, access("/bin/true", X_OK) == 0 else { return false }
        var probe = SlotLaunch(
            id: 0, command: ["/bin/true"], workingDirectory: "/", timeLimit: 10_000,
            logFile: "/dev/null")
        probe.network = false
        let plan = ProcessSpawn.Plan(
            candidates: [path], arguments: arguments(for: probe, userNamespace: true) + ["/bin/true"], environment: [:],
            workingDirectory: "/", identity: ProcessSpawn.Identity(uid: 65_534, gid: 65_534, groups: []))
        guard case .success(let pid) = ProcessSpawn.spawn(plan, logFile: "/dev/null") else { return false }
        return ProcessSpawn.wait(pid).exited == 0
    }()

    /// The `bwrap` command line that runs what follows it confined to `launch`'s slot. `userNamespace`: bubblewrap
    /// runs as the applicant (not root) and makes its namespaces inside a user namespace of hers, with her own uid
    /// and gid inside. Every path it binds is then reached with her permissions.
    public static func arguments(for launch: SlotLaunch, userNamespace: Bool) -> [String] {
        var arguments = [path]
        if userNamespace { arguments.append("--unshare-user") }
        arguments += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
        for device in launch.gpuDevices where access(device, F_OK) == 0 {
            arguments += ["--dev-bind", device, device]
        }
        arguments += ["--bind", launch.workingDirectory, launch.workingDirectory]
        arguments += ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
        if !launch.network { arguments.append("--unshare-net") }
        arguments += ["--chdir", launch.workingDirectory, "--"]
        return arguments
    }
}
