import CSlotSpawn
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The process executor's cgroups (v2): each slot gets its own cgroup under slotd's, named `slot-<id>`.
///
/// - **Containment.** The workload joins its cgroup before it runs anything (the child writes `0` to its `cgroup.procs` before exec), so every process
///   it ever starts is in there, including one that leaves the slot's process group with `setsid`. Ending a slot
///   writes `cgroup.kill`, which kills all of them at once.
/// - **Limits**, for each controller slotd's cgroup can hand to its children (`cgroup.subtree_control`): `memory.max`
///   (and `memory.swap.max = 0`) from the slot's memory, `cpu.max` from its CPUs, `pids.max` from its task limit:
///   what the systemd executor sets as `MemoryMax`, `CPUQuotaPerSecUSec` and `TasksMax`. A slot that the kernel's OOM
///   killer ended at its memory limit is reported as ``SlotOutcome/outOfMemory`` (`memory.events`).
///
/// Used where slotd can write its own cgroup: as root in the cgroup v2 tree, or under systemd with `Delegate=yes`.
/// A cgroup that holds processes cannot give controllers to children (the "no internal processes" rule), so
/// ``detect()`` moves slotd itself into a leaf `daemon` first when it must, as systemd's delegation guide says. On a
/// systemd host it uses its cgroup only when the unit has `Delegate=yes`; otherwise the systemd executor is the one
/// to use.
public struct CgroupTree: Sendable, Hashable {
    /// slotd's cgroup: the parent of the slots' cgroups.
    public let directory: String
    /// The controllers each slot's cgroup has, of `memory`, `cpu` and `pids`: the limits that are enforced.
    public let controllers: Set<String>

    static let wanted = ["memory", "cpu", "pids"]

    /// A tree at `directory`, with `controllers` enabled for its children (tests use a plain directory).
    public init(directory: String, controllers: Set<String>) {
        self.directory = directory
        self.controllers = controllers
    }

    /// slotd's own cgroup v2 directory, when it is writable; enables the controllers it can for the slots. The
    /// failure says why not, for the start-up log.
    public static func detect() -> Result<CgroupTree, ExecutorError> {
        guard let mount = mountPoint() else {
            return .failure(.cgroupsUnavailable(reason: "no cgroup v2 tree is mounted"))
        }
        guard let own = ownPath() else {
            return .failure(.cgroupsUnavailable(reason: "/proc/self/cgroup names no cgroup v2 path"))
        }
        let directory = own == "/" ? mount : mount + own
        guard access(directory + "/cgroup.procs", W_OK) == 0 else {
            return .failure(
                .cgroupsUnavailable(
                    reason: "\(directory) is not writable by slotd (needs root or Delegate=yes)"))
        }
        // Under systemd a unit's cgroup is systemd's to manage unless the unit has Delegate=yes (which systemd marks
        // with the trusted.delegate or user.delegate attribute): slotd makes no cgroups of its own there.
        if own != "/", access("/run/systemd/system", F_OK) == 0, !delegated(directory) {
            return .failure(
                .cgroupsUnavailable(
                    reason: "systemd manages \(directory) and did not delegate it (Delegate=yes); "
                        + "on a systemd host the systemd executor confines slots"))
        }
        let available = Set(read(directory + "/cgroup.controllers")?.split(separator: " ").map(String.init) ?? [])
        var enabled: Set<String> = []
        for controller in wanted where available.contains(controller) {
            if enable(controller, in: directory) {
                enabled.insert(controller)
            } else if own != "/", moveSelfToLeaf(directory), enable(controller, in: directory) {
                enabled.insert(controller)
            }
        }
        if let failure = probe(directory) { return .failure(failure) }
        return .success(CgroupTree(directory: directory, controllers: enabled))
    }

    /// Runs `/bin/true` in a scratch cgroup: a writable `cgroup.procs` is not always
    /// enough (a container may refuse the move), and then every slot would fail to start.
    static func probe(_ directory: String) -> ExecutorError? {
        let probe = "\(directory)/slot-probe-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard mkdir(probe, 0o755) == 0 || errno == EEXIST else {
            let reason = String(cString: strerror(errno))
            return .cgroupsUnavailable(reason: "cannot create a cgroup under \(directory): \(reason)")
        }
        defer { rmdir(probe) }
        let plan = ProcessSpawn.Plan(
            candidates: ["/bin/true"], arguments: ["/bin/true"], environment: [:],
            workingDirectory: "/")
        guard
            case .success(let pid) = ProcessSpawn.spawn(
                plan, logFile: "/dev/null", cgroupProcs: probe + "/cgroup.procs")
        else { return .cgroupsUnavailable(reason: "a process cannot join a cgroup under \(directory)") }
        guard ProcessSpawn.wait(pid).exited == 0 else {
            return .cgroupsUnavailable(reason: "a process cannot join a cgroup under \(directory)")
        }
        return nil
    }

    /// The cgroup of slot `id`.
    public func path(of id: UInt64) -> String { "\(directory)/slot-\(id)" }

    /// Creates the slot's cgroup and writes its limits.
    public func create(for launch: SlotLaunch) throws(ExecutorError) {
        let path = path(of: launch.id)
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw .failedToStart(id: launch.id, reason: "cgroup \(path): \(String(cString: strerror(errno)))")
        }
        for (file, value) in limits(for: launch) {
            // Without swap accounting the kernel has no memory.swap.max; the memory limit still holds.
            if file == "memory.swap.max", !Self.isPlainDirectory(path), access("\(path)/\(file)", F_OK) != 0 {
                continue
            }
            guard Self.write(value, to: "\(path)/\(file)") else {
                let reason = String(cString: strerror(errno))
                remove(launch.id)
                throw .failedToStart(id: launch.id, reason: "cgroup \(path)/\(file) = \(value): \(reason)")
            }
        }
    }

    /// The limit files and values for `launch`, for the controllers this tree has.
    func limits(for launch: SlotLaunch) -> [(file: String, value: String)] {
        var limits: [(String, String)] = []
        if controllers.contains("memory"), let memory = launch.memoryMiB {
            limits.append(("memory.max", String(UInt64(memory) * 1_048_576)))
            limits.append(("memory.swap.max", "0"))
        }
        if controllers.contains("cpu"), let cpus = launch.cpus {
            limits.append(("cpu.max", "\(cpus * 100_000) 100000"))
        }
        if controllers.contains("pids") { limits.append(("pids.max", String(launch.tasksMax))) }
        return limits
    }

    /// Kills every process in the slot's cgroup (`cgroup.kill`, Linux 5.14+; else SIGKILL to each listed pid).
    public func killAll(_ id: UInt64) {
        let path = path(of: id)
        if Self.write("1", to: path + "/cgroup.kill") { return }
        for pid in Self.read(path + "/cgroup.procs")?.split(separator: "\n").compactMap({ pid_t($0) }) ?? [] {
            kill(pid, SIGKILL)
        }
    }

    /// Whether the kernel's OOM killer ended a process of the slot at its memory limit.
    public func outOfMemory(_ id: UInt64) -> Bool {
        guard let events = Self.read(path(of: id) + "/memory.events") else { return false }
        return events.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count == 2 && fields[0] == "oom_kill" && (Int(fields[1]) ?? 0) > 0
        }
    }

    /// Removes the slot's cgroup once its processes are gone (they may take a moment to exit after a kill).
    public func remove(_ id: UInt64) {
        let path = path(of: id)
        for _ in 0..<100 {
            if rmdir(path) == 0 || errno == ENOENT { return }
            // A plain directory (tests) holds the limit files; a real cgroup's files go with rmdir.
            if errno == ENOTEMPTY, Self.isPlainDirectory(path) {
                try? FileManager.default.removeItem(atPath: path)
                return
            }
            usleep(10_000)
        }
    }

    // MARK: Files

    static func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Writes `value` in one `write`, as cgroup files expect; false with `errno` set on failure.
    static func write(_ value: String, to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        return bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count
    }

    /// Whether systemd delegated `directory` (a unit with `Delegate=yes`).
    public static func delegated(_ directory: String) -> Bool {
        ["trusted.delegate", "user.delegate"].contains { name in
            var value = [UInt8](repeating: 0, count: 8)
            let count = cslot_getxattr(directory, name, &value, value.count)
            return count > 0 && value[0] == UInt8(ascii: "1")
        }
    }

    /// A real cgroup always has `cgroup.controllers`; a plain directory (tests) does not.
    private static func isPlainDirectory(_ path: String) -> Bool {
        access(path + "/cgroup.controllers", F_OK) != 0
    }

    private static func enable(_ controller: String, in directory: String) -> Bool {
        write("+" + controller, to: directory + "/cgroup.subtree_control")
    }

    /// Moves slotd into `<directory>/daemon`, so `directory` holds no process and may give controllers out: what
    /// systemd's delegation guide asks of a delegated service, and what a container's init would do.
    private static func moveSelfToLeaf(_ directory: String) -> Bool {
        let leaf = directory + "/daemon"
        guard mkdir(leaf, 0o755) == 0 || errno == EEXIST else { return false }
        return write("0", to: leaf + "/cgroup.procs")
    }

    /// Where the cgroup v2 tree is mounted, from /proc/self/mountinfo.
    static func mountPoint() -> String? {
        guard let info = read("/proc/self/mountinfo") else { return nil }
        for line in info.split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2, halves[1].hasPrefix("cgroup2 ") else { continue }
            let fields = halves[0].split(separator: " ")
            if fields.count >= 5 { return String(fields[4]) }
        }
        return nil
    }

    /// slotd's cgroup v2 path, from the `0::` line of /proc/self/cgroup.
    static func ownPath() -> String? {
        guard let lines = read("/proc/self/cgroup")?.split(separator: "\n") else { return nil }
        return lines.first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) }
    }
}
