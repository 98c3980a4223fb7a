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

    /// Whether slots run inside bubblewrap here: it is installed, slotd is root (it then needs no user namespace),
    /// and it works: a container may forbid the mounts it makes (a new `/proc`, say). Checked once, by running
    /// `/bin/true` inside the same namespaces a slot gets; where it fails, slots run unconfined as before.
    public static let available: Bool = {
        guard getuid() == 0, access(path, X_OK) == 0, access("/bin/true", X_OK) == 0 else { return false }
        var probe = SlotLaunch(id: 0, command: ["/bin/true"], workingDirectory: "/", timeLimit: 10_000,
                               logFile: "/dev/null")
        probe.network = false
        guard case .success(let pid) = ProcessSpawn.spawn(
            arguments(for: probe) + ["/bin/true"], environment: [:], workingDirectory: "/", logFile: "/dev/null")
        else { return false }
        return ProcessSpawn.wait(pid).exited == 0
    }()

    /// The `bwrap` command line that runs what follows it confined to `launch`'s slot.
    public static func arguments(for launch: SlotLaunch) -> [String] {
        var arguments = [path, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
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
