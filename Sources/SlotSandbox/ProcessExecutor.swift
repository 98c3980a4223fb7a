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
/// group outlives its slot. A process that calls `setsid` itself escapes the group; with ``cgroups`` it is still in
/// the slot's cgroup and ends with it.
///
/// Given a ``CgroupTree`` (slotd can write its cgroup v2 directory), each slot also runs in its own cgroup, with
/// its memory, CPU and task limits where the controllers are there, and is reported out of memory when the kernel
/// killed it at its limit.
///
/// When bubblewrap is installed and slotd is root, each workload also runs in its own namespaces with a read-only
/// system and only its working directory writable (``Bubblewrap``).
///
/// Each slot's process group is led by its **watchdog** (``ProcessSpawn``, `cslot_start`): a small root process
/// that runs nothing of the request's, waits for the workload, and ends the group at the time limit by itself, so a
/// slot ends on time even while slotd is stopped or dead (the systemd executor has systemd's `RuntimeMaxSec=`).
///
/// Timing does not depend on any shared thread pool: every slot has two dedicated OS threads, one blocked in
/// `waitpid`, one supervising the deadline and stop requests, so a busy process cannot delay a time limit.
/// Output goes to the slot's log file. Events are reported through `onEvent`, on those threads.
public final class ProcessExecutor: Sendable {
    /// What the executor reports.
    public enum Event: Sendable, Hashable {
        case started(id: UInt64, pid: Int32)
        case ended(id: UInt64, outcome: SlotOutcome)
        /// A cluster executor saw a node's state change (`up`, `draining`, `down`), with the cluster's reason.
        case node(name: String, state: String, reason: String)
        /// A cluster executor handed the slot over: the cluster's job `job` is now the slot's (it may still wait in
        /// the cluster's own queue before ``started(id:pid:)``).
        case submitted(id: UInt64, job: Int)
        /// A cluster executor could not hand the slot over; `unavailable`: the cluster could not be reached and
        /// nothing was submitted, so the slot may be granted again once it answers.
        case startFailed(id: UInt64, reason: String, unavailable: Bool)
        /// What runs on the cluster's nodes outside slotd, as last seen: the whole list each time it changes.
        case outside([OutsideHold])
    }

    /// How a slot ended and how long it ran, measured by the executor.
    public struct Result: Sendable, Hashable {
        public var outcome: SlotOutcome
        public var ran: Duration
    }

    /// What ``adopt()`` found for one record left by an earlier executor.
    public enum Adoption: Sendable, Hashable {
        /// The same process is still running: it is supervised again, with its original deadline.
        case adopted(id: UInt64, pid: Int32)
        /// The process is gone (or its pid now belongs to another process): the slot is lost, its record removed.
        case lost(id: UInt64, pid: Int32)
    }

    /// Time between SIGTERM and SIGKILL.
    public let gracePeriod: Duration
    /// Where running slots are recorded for re-adoption after a restart (nil: not recorded).
    public let stateDirectory: String?
    private let onEvent: @Sendable (Event) -> Void
    private let runs = Mutex<[UInt64: Run]>([:])
    private let finished = Mutex<[UInt64: Result]>([:])

    struct Run: Sendable {
        var pid: pid_t
        var supervisor: SlotSupervisor
    }

    /// Whether workloads run inside bubblewrap's namespaces (``Bubblewrap``).
    public let confined: Bool
    /// Where each slot gets its own cgroup (nil: none; ``CgroupTree/detect()`` finds slotd's).
    public let cgroups: CgroupTree?

    /// - Parameters:
    ///   - confined: run workloads inside bubblewrap; by default, when it is installed and slotd is root.
    ///   - cgroups: give each slot its own cgroup under this tree; by default none.
    public init(
        gracePeriod: Duration = .seconds(5), stateDirectory: String? = nil,
        confined: Bool = Bubblewrap.available, cgroups: CgroupTree? = nil,
        onEvent: @escaping @Sendable (Event) -> Void = { _ in }
    ) {
        self.gracePeriod = gracePeriod
        self.stateDirectory = stateDirectory
        self.confined = confined
        self.cgroups = cgroups
        self.onEvent = onEvent
    }

    /// Starts the slot now; returns the workload's pid.
    @discardableResult
    public func start(_ launch: SlotLaunch) throws(ExecutorError) -> Int32 {
        var plan = try Self.plan(for: launch, confined: confined)
        plan.environment["SLOTD_SLOT_ID"] = String(launch.id)
        // The kernel-side end: the slot's watchdog ends it on time even while slotd is stopped or dead.
        plan.timeLimitMs = max(1, launch.timeLimit)
        plan.graceMs =
            gracePeriod.components.seconds * 1_000 + gracePeriod.components.attoseconds / 1_000_000_000_000_000
        let started = ContinuousClock.now
        let deadline = started + .milliseconds(launch.timeLimit)
        let run: Run = try runs.withLock { runs throws(ExecutorError) -> Run in
            guard runs[launch.id] == nil else { throw .alreadyRunning(id: launch.id) }
            try cgroups?.create(for: launch)  // after the check: a running slot's cgroup is left alone
            switch ProcessSpawn.spawn(
                plan, logFile: launch.logFile,
                cgroupProcs: cgroups.map { $0.path(of: launch.id) + "/cgroup.procs" })
            {
            case .failure(let failure):
                cgroups?.remove(launch.id)
                throw .failedToStart(id: launch.id, reason: failure.reason)
            case .success(let pid):
                let run = Run(pid: pid, supervisor: SlotSupervisor(pid: pid, deadline: deadline, grace: gracePeriod))
                runs[launch.id] = run
                return run
            }
        }
        _ = finished.withLock { $0.removeValue(forKey: launch.id) }
        if let stateDirectory {
            // A slot a restart could not find would run on unsupervised: without its record it does not run at all.
            do {
                guard let startTime = ProcStat.startTime(of: run.pid) else { throw POSIXError(.ESRCH) }
                let deadlineEpoch = Int64(Date().timeIntervalSince1970 * 1_000) + launch.timeLimit
                try SlotRecord(
                    id: launch.id, pid: run.pid, startTime: startTime, deadlineEpochMillis: deadlineEpoch,
                    logFile: launch.logFile
                ).write(to: stateDirectory)
            } catch {
                kill(-run.pid, SIGKILL)
                _ = ProcessSpawn.wait(run.pid)
                cgroups?.killAll(launch.id)
                cgroups?.remove(launch.id)
                runs.withLock { _ = $0.removeValue(forKey: launch.id) }
                throw .failedToStart(
                    id: launch.id,
                    reason: "cannot record the slot in \(stateDirectory) for a restart to "
                        + "find (\(error)); nothing was left running")
            }
        }
        onEvent(.started(id: launch.id, pid: run.pid))
        Self.thread("slotd-supervise-\(launch.id)") { run.supervisor.supervise() }
        Self.thread("slotd-wait-\(launch.id)") { [self] in
            let status = ProcessSpawn.wait(run.pid)
            reap(
                launch.id, run: run, started: started,
                natural: status.exited.map { .exited(code: $0) } ?? .killed(signal: status.signal ?? 0))
        }
        return run.pid
    }

    /// Finds the slots an earlier executor left running (from ``stateDirectory``) and supervises them again.
    /// Never starts anything: a slot is either re-adopted (same pid, same kernel start time) or reported lost.
    public func adopt() -> [Adoption] {
        guard let stateDirectory else { return [] }
        var found: [Adoption] = []
        for record in SlotRecord.readAll(in: stateDirectory).sorted(by: { $0.id < $1.id }) {
            guard ProcStat.startTime(of: record.pid) == record.startTime,
                runs.withLock({ $0[record.id] == nil })
            else {
                if let cgroups {  // anything the lost slot left behind in its cgroup ends with it
                    cgroups.killAll(record.id)
                    cgroups.remove(record.id)
                }
                SlotRecord.remove(directory: stateDirectory, id: record.id)
                found.append(.lost(id: record.id, pid: record.pid))
                continue
            }
            let remaining = record.deadlineEpochMillis - Int64(Date().timeIntervalSince1970 * 1_000)
            let started = ContinuousClock.now
            let run = Run(
                pid: record.pid,
                supervisor: SlotSupervisor(
                    pid: record.pid, deadline: started + .milliseconds(max(0, remaining)), grace: gracePeriod))
            runs.withLock { $0[record.id] = run }
            Self.thread("slotd-supervise-\(record.id)") { run.supervisor.supervise() }
            Self.thread("slotd-watch-\(record.id)") { [self] in
                // Not our child: watch /proc until the process is gone.
                while ProcStat.startTime(of: record.pid) == record.startTime { usleep(50_000) }
                reap(record.id, run: run, started: started, natural: .endedAfterRestart)
            }
            found.append(.adopted(id: record.id, pid: record.pid))
        }
        return found
    }

    /// Stops a running slot: SIGTERM to its process group, SIGKILL after the grace period.
    public func stop(_ id: UInt64) throws(ExecutorError) {
        guard let run = runs.withLock({ $0[id] }) else { throw .notRunning(id: id) }
        run.supervisor.requestStop()
    }

    /// How slot `id` ended, once it has.
    public func outcome(of id: UInt64) -> SlotOutcome? { finished.withLock { $0[id]?.outcome } }

    /// Blocks the calling thread until slot `id` has ended, or `timeout` passes; returns how it ended. It waits on
    /// the OS thread itself, so it does not depend on a shared task pool being free.
    public func waitForOutcome(of id: UInt64, timeout: Duration) -> SlotOutcome? {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if let outcome = outcome(of: id) { return outcome }
            usleep(5_000)
        }
        return outcome(of: id)
    }

    /// How slot `id` ended and how long it ran, once it has.
    public func result(of id: UInt64) -> Result? { finished.withLock { $0[id] } }

    /// The pid of running slot `id`'s first process (the leader of its process group).
    public func pid(of id: UInt64) -> Int32? { runs.withLock { $0[id]?.pid } }

    /// Ids of the slots running now.
    public var running: [UInt64] { runs.withLock { Array($0.keys) } }

    /// After the group leader ended: cleans up its group, forgets the record, and reports the outcome.
    private func reap(_ id: UInt64, run: Run, started: ContinuousClock.Instant, natural: SlotOutcome) {
        let ran = ContinuousClock.now - started
        kill(-run.pid, SIGKILL)  // stragglers in the slot's group end with it
        cgroups?.killAll(id)  // and in its cgroup, also those that left the group
        let endedBy = run.supervisor.finish()
        let outOfMemory = cgroups?.outOfMemory(id) ?? false
        cgroups?.remove(id)
        runs.withLock { _ = $0.removeValue(forKey: id) }
        if let stateDirectory { SlotRecord.remove(directory: stateDirectory, id: id) }
        let outcome: SlotOutcome = endedBy ?? (outOfMemory ? .outOfMemory : natural)
        finished.withLock { $0[id] = Result(outcome: outcome, ran: ran) }
        onEvent(.ended(id: id, outcome: outcome))
    }

    /// How the workload starts (``ProcessSpawn``): in the child, no core dumps (a dump of a training process
    /// would copy its data onto disk, Art. 10), the network namespace when the slot must have no network, the
    /// switch to the applicant, and then her working directory and program with her environment. When `confined`,
    /// the program exec'd after the switch is bubblewrap (``Bubblewrap``), which runs the workload in its
    /// namespaces: as the applicant, bubblewrap makes them in a user namespace of hers, so it holds no root either.
    /// Memory and CPU need cgroups; an address-space rlimit would break CUDA, which maps far more than it uses.
    static func plan(for launch: SlotLaunch, confined: Bool = false) throws(ExecutorError) -> ProcessSpawn.Plan {
        // Checked with the applicant's permissions; a missing program stays a named failed-to-start error.
        let execution = launch.execution(program: try launch.executablePath())
        let identity = try identity(launch)
        if confined {
            let asUser = (identity?.uid ?? getuid()) != 0
            return ProcessSpawn.Plan(
                candidates: [Bubblewrap.path],
                arguments: Bubblewrap.arguments(for: launch, userNamespace: asUser) + [execution.program]
                    + execution.arguments.dropFirst(),
                environment: execution.environment, workingDirectory: launch.workingDirectory, identity: identity)
        }
        if !launch.network {
            guard getuid() == 0 else {
                throw .failedToStart(
                    id: launch.id,
                    reason: "running without a network needs root (or bubblewrap, or "
                        + "the systemd executor); slotd runs as uid \(getuid())")
            }
        }
        return ProcessSpawn.Plan(
            candidates: [execution.program], arguments: execution.arguments, environment: execution.environment,
            workingDirectory: launch.workingDirectory, unshareNetwork: !launch.network,
            identity: identity)
    }

    /// The identity to switch to: the applicant's, unless the slot runs as slotd's own user. Needs root.
    static func identity(_ launch: SlotLaunch) throws(ExecutorError) -> ProcessSpawn.Identity? {
        guard let user = launch.user, user.uid != getuid() || user.gid != getgid() else { return nil }
        guard getuid() == 0 else {
            throw .failedToStart(
                id: launch.id, reason: "running as uid \(user.uid) needs root; slotd runs as \(getuid())")
        }
        return ProcessSpawn.Identity(user)
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
        // Ended past its deadline before this supervisor acted (slotd was stopped): the slot's watchdog ended it.
        if endedBy == nil, ContinuousClock.now >= deadline { endedBy = .timedOut }
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
