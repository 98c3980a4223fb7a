/// What the daemon needs of an executor: start a granted slot, stop one, and find the slots an earlier daemon
/// left running. Events (started, ended with an outcome) arrive through the callback given at creation.
public protocol SlotExecutor: Sendable {
    func startSlot(_ launch: SlotLaunch) throws(ExecutorError)
    func stop(_ id: UInt64) throws(ExecutorError)
    func adopt() -> [ProcessExecutor.Adoption]
    /// How slots are confined here, in one line for the log and `slotctl status`.
    var confinement: String { get }
    /// Whether the executor can start slots now (a cluster executor asks its controller); nil when it can, else
    /// why not. Asked while starts wait after ``ExecutorError/unavailable(id:reason:)``.
    func probe() -> String?
    /// Whether slots are jobs of a cluster that records each one it took: a slot with no job id on record that the
    /// cluster does not list was never handed over, and may be granted again after a restart (`Engine+Recovery`).
    var submitsJobs: Bool { get }
    /// What the cluster says of slot `id` now (its job, state and reason), for `show` and `explain`; nil if nothing.
    func describe(_ id: UInt64) -> String?
}

extension SlotExecutor {
    public func probe() -> String? { nil }
    public var submitsJobs: Bool { false }
    public func describe(_ id: UInt64) -> String? { nil }
}

extension ProcessExecutor: SlotExecutor {
    public func startSlot(_ launch: SlotLaunch) throws(ExecutorError) { try start(launch) }

    public var confinement: String {
        var parts = ["a process group each, no core dumps"]
        parts.append(
            confined
                ? "bubblewrap namespaces (a read-only system, a private /tmp, own PIDs)"
                : "no namespaces (bubblewrap is not installed, not usable here, or slotd is not root)")
        if let cgroups {
            parts.append(
                cgroups.controllers.isEmpty
                    ? "a cgroup each under \(cgroups.directory) (containment only: no memory or CPU limit controllers)"
                    : "a cgroup each under \(cgroups.directory) with \(cgroups.controllers.sorted().joined(separator: ", ")) limits"
            )
        } else {
            parts.append("no cgroups (memory and CPU not enforced)")
        }
        return parts.joined(separator: "; ")
    }
}

extension SystemdExecutor: SlotExecutor {
    public func startSlot(_ launch: SlotLaunch) throws(ExecutorError) { try start(launch) }

    public var confinement: String {
        "a transient unit each in slotd.slice: memory, CPU and task limits, only its GPUs' devices, "
            + "a read-only system, a private /tmp; stopped by systemd at its time limit"
    }
}
