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
/// Timing does not depend on any shared thread pool: every slot has two dedicated OS threads, one blocked in
/// `waitpid`, one supervising the deadline and stop requests, so a busy process cannot delay a time limit.
/// Output goes to the slot's log file. Events are reported through `onEvent`, on those threads.
public final class ProcessExecutor: Sendable {
    /// What the executor reports.
    public enum Event: Sendable, Hashable {
        case started(id: UInt64, pid: Int32)
        case ended(id: UInt64, outcome: SlotOutcome)
    }

    /// How a slot ended and how long it ran, measured by the executor.
    public struct Result: Sendable, Hashable {
        public var outcome: SlotOutcome
        public var ran: Duration
    }

    /// Time between SIGTERM and SIGKILL.
    public let gracePeriod: Duration
    private let onEvent: @Sendable (Event) -> Void
    private let runs = Mutex<[UInt64: Run]>([:])
    private let finished = Mutex<[UInt64: Result]>([:])

    struct Run: Sendable {
        var pid: pid_t
        var supervisor: SlotSupervisor
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
        let started = ContinuousClock.now
        let deadline = started + .milliseconds(launch.timeLimit)
        let run: Run = try runs.withLock { runs throws(ExecutorError) -> Run in
            guard runs[launch.id] == nil else { throw .alreadyRunning(id: launch.id) }
            switch ProcessSpawn.spawn(launch.command, environment: environment,
                                      workingDirectory: launch.workingDirectory, logFile: launch.logFile) {
            case .failure(let failure): throw .failedToStart(id: launch.id, reason: failure.reason)
            case .success(let pid):
                let run = Run(pid: pid, supervisor: SlotSupervisor(pid: pid, deadline: deadline, grace: gracePeriod))
                runs[launch.id] = run
                return run
            }
        }
        _ = finished.withLock { $0.removeValue(forKey: launch.id) }
        onEvent(.started(id: launch.id, pid: run.pid))
        Self.thread("slotd-supervise-\(launch.id)") { run.supervisor.supervise() }
        Self.thread("slotd-wait-\(launch.id)") { [self] in reap(launch.id, run: run, started: started) }
        return run.pid
    }

    /// Stops a running slot: SIGTERM to its process group, SIGKILL after the grace period.
    public func stop(_ id: UInt64) throws(ExecutorError) {
        guard let run = runs.withLock({ $0[id] }) else { throw .notRunning(id: id) }
        run.supervisor.requestStop()
    }

    /// How slot `id` ended, once it has.
    public func outcome(of id: UInt64) -> SlotOutcome? { finished.withLock { $0[id]?.outcome } }

    /// How slot `id` ended and how long it ran, once it has.
    public func result(of id: UInt64) -> Result? { finished.withLock { $0[id] } }

    /// Ids of the slots running now.
    public var running: [UInt64] { runs.withLock { Array($0.keys) } }

    /// Waits for the group leader, cleans up its group, and reports the outcome.
    private func reap(_ id: UInt64, run: Run, started: ContinuousClock.Instant) {
        let status = ProcessSpawn.wait(run.pid)
        let ran = ContinuousClock.now - started
        kill(-run.pid, SIGKILL)  // stragglers in the slot's group end with it
        let endedBy = run.supervisor.finish()
        runs.withLock { _ = $0.removeValue(forKey: id) }
        let outcome: SlotOutcome = endedBy
            ?? (status.exited.map { .exited(code: $0) } ?? .killed(signal: status.signal ?? 0))
        finished.withLock { $0[id] = Result(outcome: outcome, ran: ran) }
        onEvent(.ended(id: id, outcome: outcome))
    }

    private static func thread(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.stackSize = 256 * 1_024
        thread.start()
    }
}

/// One slot's deadline and stop requests, on its own thread: waits until the deadline, a stop request or the
/// end; then SIGTERM to the group, and SIGKILL if it has not ended after the grace period.
final class SlotSupervisor: @unchecked Sendable {
    // @unchecked Sendable is sound: `stopRequested`, `done` and `endedBy` are read and written only while
    // `condition` is locked; `pid`, `deadline` and `grace` are immutable.
    private let condition = NSCondition()
    private let pid: pid_t
    private let deadline: ContinuousClock.Instant
    private let grace: Duration
    private var stopRequested = false
    private var done = false
    private var endedBy: SlotOutcome?

    init(pid: pid_t, deadline: ContinuousClock.Instant, grace: Duration) {
        self.pid = pid
        self.deadline = deadline
        self.grace = grace
    }

    func requestStop() {
        condition.lock()
        stopRequested = true
        condition.broadcast()
        condition.unlock()
    }

    /// Called once the leader has been reaped; returns why the executor ended it, if it did.
    func finish() -> SlotOutcome? {
        condition.lock()
        defer { condition.unlock() }
        done = true
        condition.broadcast()
        return endedBy
    }

    func supervise() {
        condition.lock()
        while !done && !stopRequested && ContinuousClock.now < deadline { wait(until: deadline) }
        guard !done else { return condition.unlock() }
        endedBy = stopRequested ? .stopped : .timedOut
        condition.unlock()
        kill(-pid, SIGTERM)
        let killAt = ContinuousClock.now + grace
        condition.lock()
        while !done && ContinuousClock.now < killAt { wait(until: killAt) }
        let stillRunning = !done
        condition.unlock()
        if stillRunning { kill(-pid, SIGKILL) }
    }

    /// Waits on the condition (locked by the caller) until `instant` or a broadcast.
    private func wait(until instant: ContinuousClock.Instant) {
        let remaining = ContinuousClock.now.duration(to: instant)
        let seconds = Double(remaining.components.seconds) + Double(remaining.components.attoseconds) / 1e18
        _ = condition.wait(until: Date(timeIntervalSinceNow: max(0, seconds)))
    }
}
