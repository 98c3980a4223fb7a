@preconcurrency import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs slots as ordinary processes: the fallback where systemd is not PID 1 (containers, CI).
///
/// Each workload starts in a new session, so it leads its own process group, and everything it forks stays in
/// that group. At the time limit the executor sends SIGTERM to the *whole group*, then SIGKILL after
/// ``gracePeriod``. When the leader ends by itself, stragglers left in its group are killed too: nothing in the
/// group outlives its slot. A process that calls `setsid` itself escapes the group; containing that needs cgroups
/// (the systemd executor, or cgroup v2 delegation), which this executor does not do yet.
///
/// Output goes to the slot's log file. Events are reported through the `onEvent` callback, on executor threads.
public final class ProcessExecutor: Sendable {
    /// What the executor reports.
    public enum Event: Sendable, Hashable {
        case started(id: UInt64, pid: Int32)
        case ended(id: UInt64, outcome: SlotOutcome)
    }

    /// Time between SIGTERM and SIGKILL.
    public let gracePeriod: Duration
    private let onEvent: @Sendable (Event) -> Void
    private let runs = Mutex<[UInt64: Run]>([:])
    private let finished = Mutex<[UInt64: SlotOutcome]>([:])

    struct Run: Sendable {
        var pid: pid_t
        /// Set when the executor decided to end the slot (time limit or stop), so the outcome says why.
        var endedBy: SlotOutcome?
    }

    public init(gracePeriod: Duration = .seconds(5), onEvent: @escaping @Sendable (Event) -> Void = { _ in }) {
        self.gracePeriod = gracePeriod
        self.onEvent = onEvent
    }

    /// Starts the slot now; returns the workload's pid.
    @discardableResult
    public func start(_ launch: SlotLaunch) throws(ExecutorError) -> Int32 {
        var environment = launch.environment
        environment["CUDA_VISIBLE_DEVICES"] = launch.gpuIndices.map(String.init).joined(separator: ",")
        environment["SLOTD_SLOT_ID"] = String(launch.id)
        let pid: pid_t = try runs.withLock { runs throws(ExecutorError) -> pid_t in
            guard runs[launch.id] == nil else { throw .alreadyRunning(id: launch.id) }
            switch ProcessSpawn.spawn(launch.command, environment: environment,
                                      workingDirectory: launch.workingDirectory, logFile: launch.logFile) {
            case .failure(let failure): throw .failedToStart(id: launch.id, reason: failure.reason)
            case .success(let pid):
                runs[launch.id] = Run(pid: pid)
                return pid
            }
        }
        _ = finished.withLock { $0.removeValue(forKey: launch.id) }
        onEvent(.started(id: launch.id, pid: pid))
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(clamping: launch.timeLimit))) {
            [self] in
            // Only if the same process still runs this slot (it may have ended, and the id been reused).
            if runs.withLock({ $0[launch.id]?.pid == pid }) { end(launch.id, as: .timedOut) }
        }
        let waiter = Thread { [self] in reap(launch.id, pid: pid) }
        waiter.name = "slotd-slot-\(launch.id)"
        waiter.start()
        return pid
    }

    /// Stops a running slot: SIGTERM to its process group, SIGKILL after the grace period.
    public func stop(_ id: UInt64) throws(ExecutorError) {
        guard runs.withLock({ $0[id] != nil }) else { throw .notRunning(id: id) }
        end(id, as: .stopped)
    }

    /// How slot `id` ended, once it has.
    public func outcome(of id: UInt64) -> SlotOutcome? { finished.withLock { $0[id] } }

    /// Ids of the slots running now.
    public var running: [UInt64] { runs.withLock { Array($0.keys) } }

    // MARK: Internals

    private func end(_ id: UInt64, as reason: SlotOutcome) {
        let pid: pid_t? = runs.withLock { runs in
            guard var run = runs[id] else { return nil }
            if run.endedBy == nil { run.endedBy = reason }
            runs[id] = run
            return run.pid
        }
        guard let pid else { return }
        kill(-pid, SIGTERM)
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(gracePeriod.milliseconds))) { [self] in
            // Only if the same process still runs this slot.
            if runs.withLock({ $0[id]?.pid == pid }) { kill(-pid, SIGKILL) }
        }
    }

    /// Waits for the group leader, cleans up its group, and reports the outcome.
    private func reap(_ id: UInt64, pid: pid_t) {
        let status = ProcessSpawn.wait(pid)
        kill(-pid, SIGKILL)  // stragglers in the slot's group end with it
        let run = runs.withLock { $0.removeValue(forKey: id) }
        let outcome: SlotOutcome = run?.endedBy
            ?? (status.exited.map { .exited(code: $0) } ?? .killed(signal: status.signal ?? 0))
        finished.withLock { $0[id] = outcome }
        onEvent(.ended(id: id, outcome: outcome))
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000 }
}
