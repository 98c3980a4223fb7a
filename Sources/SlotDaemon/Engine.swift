import Foundation
import Logging
import SlotCore
import SlotPolicy
import SlotProtocol
import SlotSandbox
import SlotSlurm
import SlotStore

/// The daemon's single point of decision: it owns the scheduler, the store and the executor, and serialises every
/// change through this actor. Effects happen in a fixed order: store first (so nothing is acknowledged or started
/// that is not on disk), then the executor, then watchers.
///
/// Where to look, by capability (each file owns its state, declared there or named below):
/// - requests: Submit with group commit, queries, cancel (`Engine+Requests`, `RequestBook`, `GroupCommit`); List
///   read off the engine (`Engine+List`); watches (`Engine+Watches`); log limits (`Engine+LogLimit`);
/// - accounts, policy, audit, backup (`Engine+Admin`); rights: the agreement (`Engine+Rights`) and contests
///   (`Engine+Contests`); reports, built off the engine (`Engine+Reports`);
/// - nodes: drain, resume, down (`Engine+Nodes`);
/// - recovery at start (`Engine+Recovery`); failed writes, free space and per-user limits (`Engine+WriteGuard`);
/// - this file: the state, the run loops, and carrying out the scheduler's actions (store, executor, watchers).
public actor Engine {
    let config: DaemonConfig
    let store: SlotStore
    let executor: any SlotExecutor
    let logger: Logger
    /// Milliseconds since the Unix epoch (injected for tests).
    let clock: @Sendable () -> Int64
    let startedAt: Int64
    let nodeNames: [String]

    // The engine's state, by capability. Each group is declared beside the code that owns it; the scheduler is
    // the one thing every capability reads.
    var scheduler: Scheduler
    /// Requests: the running, the pending, the batch at hand, ids (`RequestBook`, below).
    var book: RequestBook
    /// Submits waiting for the next group commit (`GroupCommit`, `Engine+Requests`).
    var commits = GroupCommit()
    /// Asks `runFlushes` for a group commit (at most one waiting: a flush takes every submit queued).
    let flushes = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    /// Failed database writes and free space (`WriteGuardState`, `Engine+WriteGuard`).
    var writeGuard = WriteGuardState()
    /// Accounts and policy (`Engine+Admin`): the policy in force, the accounts, and their names for `Access.check`
    /// off the engine (kept in step by `setAccount`).
    var policyState: PolicyState
    var accounts: [String: StoredAccount] = [:]
    /// Projects by id (`Engine+Projects`).
    var projects: [String: StoredProject] = [:]
    /// Project ids by member or PI.
    var projectsOfUser: [String: Set<String>] = [:]
    /// When `noticeClosingProjects` looks next.
    var nextNoticeCheck: Int64 = 0
    let roster = AccountRoster()
    /// Rights (`Engine+Rights`): agreement acceptances, when each account accepted each version and text
    /// (Art. 15.2.5).
    var acceptances: [AcceptanceKey: Int64] = [:]
    /// Watches (below): open ones, and those whose clients went away, for the engine to forget at its next turn.
    var watchers: [UUID: Watcher] = [:]
    let endedWatches = EndedWatches()
    /// Since when the executor's cluster cannot be reached, and why (`Engine+Cluster`); nil while it can.
    var clusterUnreachable: (since: Int64, reason: String, probedAt: Int64)?
    /// Running slots found in the store while the cluster was unreachable at start, to adopt when it answers.
    var awaitingAdoption: Set<Int64> = []
    /// How many holds of work outside slotd were last logged (a change is logged, not every poll).
    var outsideSeen = 0
    /// Nodes that are not up and why, by node index (`Engine+Nodes`).
    var nodeNotes: [Int: StoredNodeState] = [:]
    /// Counters and histograms for Prometheus (exported only when `[metrics]` asks for it).
    let metrics = DaemonMetrics()
    var acceptingWork = true
    let executorEvents: AsyncStream<ProcessExecutor.Event>

    struct PendingSubmit {
        var request: StoredRequest
        var acknowledgement: Acknowledgement
    }

    struct Watcher {
        var uid: UInt32?
        var id: Int64?
        /// Watch reply frames, encoded here once per change for all the watches that see it.
        var continuation: AsyncStream<Data>.Continuation
    }

    /// The requests the engine holds in memory; the rest live in the store.
    struct RequestBook {
        /// Running requests in full.
        var active: [Int64: StoredRequest] = [:]
        /// Pending requests' scheduling fields; their full rows are read from the store when they start or end.
        var pendingRows = PendingRows()
        /// The batch being handed to the scheduler, in full (not yet worth a store read).
        var submitting: [Int64: StoredRequest] = [:]
        /// The id the next Submit gets.
        var nextID: Int64
        /// Why the executor is stopping a slot, so its end is recorded as that (cancelled, expired).
        var stopping: [Int64: RequestState] = [:]
        /// Slots being stopped because their log passed the limit (`Engine+LogLimit`).
        var logLimited: Set<Int64> = []
    }

    /// The policy in force and the last refused reload's error.
    struct PolicyState {
        var policy: Policy
        var source: String
        var hash: String
        var file: String
        var error: String?
        /// The user agreement the policy names, read from its file.
        var agreement: LoadedAgreement?
    }

    /// Makes the executor, given where it reports its events.
    typealias ExecutorFactory =
        @Sendable (@escaping @Sendable (ProcessExecutor.Event) -> Void) throws -> any SlotExecutor

    init(
        config: DaemonConfig, store: SlotStore, policy: PolicyState, inventory: Inventory, logger: Logger,
        clock: @escaping @Sendable () -> Int64, executor: ExecutorFactory? = nil
    ) throws {
        self.config = config
        self.store = store
        self.logger = logger
        self.clock = clock
        self.startedAt = clock()
        self.policyState = policy
        self.nodeNames = inventory.nodes.map(\.name)
        let (stream, continuation) = AsyncStream<ProcessExecutor.Event>.makeStream()
        self.executorEvents = stream
        let onEvent: @Sendable (ProcessExecutor.Event) -> Void = { continuation.yield($0) }
        self.executor = try executor?(onEvent) ?? Self.makeExecutor(config, logger: logger, onEvent: onEvent)
        self.scheduler = Scheduler(
            policy: policy.policy, inventory: inventory,
            queueCapacity: config.limits.queueCapacity,
            perClassCapacity: config.limits.queueClassCapacity)
        self.book = RequestBook(nextID: try store.nextRequestID())
    }

    var now: Int64 { clock() }

    /// The configured executor; `auto` picks systemd when it is PID 1 and slotd is root (it must start units for
    /// any applicant), the process executor otherwise (containers, CI, dev mode as a user).
    static func makeExecutor(
        _ config: DaemonConfig, logger: Logger,
        onEvent: @escaping @Sendable (ProcessExecutor.Event) -> Void
    ) throws -> any SlotExecutor {
        let grace = Duration.seconds(config.limits.stopGraceSeconds)
        let useSystemd =
            switch config.executor {
            case .systemd: true
            case .process, .slurm: false
            case .auto: Systemd.booted && getuid() == 0
            }
        if config.executor == .slurm {
            let tools = Self.slurmTools(config)
            switch SlurmSettings.check(tools, partition: config.slurm.partition) {
            case nil: logger.warning("cannot ask Slurm for its settings now; they are not checked")
            case let problems? where !problems.isEmpty:
                throw ConfigError.invalid(
                    path: "slurm.conf", key: "",
                    reason: "Slurm is not set up as slotd needs: " + problems.joined(separator: "; "))
            default: break
            }
            let executor = SlurmExecutor(
                tools: tools, partition: config.slurm.partition, instance: try Self.instance(config),
                interval: .milliseconds(config.slurm.pollMilliseconds), onEvent: onEvent)
            logger.info("executor: slurm; slots: \(executor.confinement)")
            return executor
        }
        if useSystemd {
            let executor = try SystemdExecutor(
                gracePeriod: grace, stateDirectory: config.stateDirectory,
                onEvent: onEvent)
            logger.info("executor: systemd; slots: \(executor.confinement)")
            return executor
        }
        let cgroups: CgroupTree?
        switch CgroupTree.detect() {
        case .success(let tree): cgroups = tree
        case .failure(let unavailable):
            cgroups = nil
            logger.info("executor: \(unavailable)")
        }
        let executor = ProcessExecutor(
            gracePeriod: grace, stateDirectory: config.stateDirectory + "/slots",
            cgroups: cgroups, onEvent: onEvent)
        logger.info("executor: process; slots: \(executor.confinement)")
        return executor
    }

    // MARK: Running

    /// Follows executor events and the scheduler's deadlines until cancelled.
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [executorEvents] in
                for await event in executorEvents { await self.executorEvent(event) }
            }

            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: Self.logCheckInterval)
                    await self.enforceLogLimits()
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    let wait = await self.millisecondsToWakeup()
                    try? await Task.sleep(for: .milliseconds(wait))
                    await self.tick()
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Group commits, one at a time, each when a Submit asks for one (`enqueueSubmit`), until `shutdown`. It runs
    /// beside `run`, not under it: stopping the scheduler's loops must not cancel a commit in flight (a cancelled
    /// write is rolled back), so it ends when its stream does, after the last commit.
    func runFlushes() async {
        for await _ in flushes.stream { await flush() }
    }

    private func millisecondsToWakeup() -> Int64 {
        let now = self.now
        guard let next = scheduler.nextWakeup(after: now) else { return 1_000 }
        return max(1, min(1_000, next - now))
    }

    func tick() {
        forgetEndedWatches()
        retryStore()
        retryCluster()
        noticeClosingProjects()
        perform(scheduler.handle(.tick, now: now))
    }

    /// Stops taking new work; running slots keep running (they are re-adopted on the next start).
    func shutdown() {
        acceptingWork = false
        flushes.continuation.finish()  // `runFlushes` commits what is queued, then returns
        for watcher in watchers.values { watcher.continuation.finish() }
        watchers = [:]
    }

    // MARK: Actions

    /// Carries out what the scheduler decided: store first, then executor, then watchers.
    func perform(_ actions: [SchedulerAction], rejected: inout [Int64: [Reason]]) {
        let now = self.now
        var changes: [(request: StoredRequest, detail: String, at: Int64)] = []
        var starts: [(StoredRequest, Slot)] = []
        for action in actions {
            switch action {
            case .start(let slot, let backfilled):
                guard var request = fullRequest(Int64(slot.requestID)) else { continue }
                request.state = .running
                request.startedAt = now
                request.node = slot.node
                request.gpuIndices = slot.gpuIndices
                request.gang =
                    slot.placements.count > 1 ? slot.placements.dropFirst().map { [$0.node] + $0.gpuIndices } : nil
                request.logFile = logFile(Int64(slot.requestID))
                changes.append((request, backfilled ? "started (backfilled)" : "started", now))
                starts.append((request, slot))
            case .reject(let id, let reasons):
                guard var request = fullRequest(Int64(id)) else { continue }
                let wire = reasons.map { Reason(code: $0.code, message: $0.description) }
                request.state = .rejected
                request.reasons = wire
                request.environment = [:]  // it will never run: its environment (secrets, bulk) is not kept
                request.endedAt = now
                rejected[Int64(id)] = wire
                changes.append((request, "rejected: " + reasons.map(\.code).joined(separator: ", "), now))
            case .cancelled(let id):
                guard var request = fullRequest(Int64(id)) else { continue }
                request.state = .cancelled
                request.endedAt = now
                changes.append((request, "cancelled while pending", now))
            case .stop(let slot) where Scheduler.isOutside(slot.requestID),
                .expire(let slot) where Scheduler.isOutside(slot.requestID),
                .lost(let slot, _) where Scheduler.isOutside(slot.requestID):
                break  // work outside slotd: the cluster ends it, not slotd
            case .stop(let slot):
                book.stopping[Int64(slot.requestID)] = .cancelled
                try? executor.stop(slot.requestID)
            case .expire(let slot):
                book.stopping[Int64(slot.requestID)] = .expired
                try? executor.stop(slot.requestID)
            case .lost(let slot, _):
                // Its node went down: the scheduler has freed it; whatever is left of it is stopped.
                book.stopping[Int64(slot.requestID)] = .lost
                try? executor.stop(slot.requestID)
            case .estimate, .ignored:
                break
            }
        }
        if !starts.isEmpty { FailPoint.hit("grant") }
        guard commit(changes) else {
            // Not on disk, so not started: the database still says pending, and so does the scheduler again.
            for (request, _) in starts { undoStart(request) }
            return
        }
        for (request, slot) in starts { launch(request, slot) }
    }

    /// Takes back a start whose record failed, before anything ran: the slot's resources are freed (the scheduler
    /// grants nothing meanwhile) and the request is pending again, in memory as on disk.
    private func undoStart(_ started: StoredRequest) {
        writeGuard.unrecorded.removeAll { $0.request.id == started.id && $0.request.state == .running }
        notify(requeue(started))
    }

    /// Makes a granted request that never ran pending again, in the scheduler and in memory, and returns its
    /// pending row (the caller records it, or not, and tells watchers).
    func requeue(_ started: StoredRequest) -> StoredRequest {
        _ = scheduler.handle(.slotEnded(requestID: UInt64(started.id)), now: now)
        let pending = started.neverStarted
        book.active[started.id] = nil
        book.pendingRows[started.id] = PendingSummary(pending)
        _ = scheduler.handle(.queueBatch([Self.schedulerRequest(PendingSummary(pending))]), now: now)
        return pending
    }

    func perform(_ actions: [SchedulerAction]) {
        var rejected: [Int64: [Reason]] = [:]
        perform(actions, rejected: &rejected)
    }

    /// Saves changes, updates the active set and tells watchers. Returns false when the database could not be
    /// written: the changes are kept to be written later, and slotd stops granting (`Engine+WriteGuard`).
    @discardableResult
    func commit(_ changes: [StateChange]) -> Bool {
        guard !changes.isEmpty else { return true }
        var recorded = true
        do {
            // Kept changes go first, in order: the history never skips one.
            try store.update(writeGuard.unrecorded + changes)
            writeGuard.unrecorded = []
        } catch {
            recorded = false
            storeWriteFailed(error, keeping: changes)
        }
        metrics.record(changes)
        for change in changes {
            let id = change.request.id
            switch change.request.state {
            case .pending: book.pendingRows[id] = PendingSummary(change.request)
            case .running:
                book.pendingRows[id] = nil
                book.active[id] = change.request
            default:
                book.pendingRows[id] = nil
                book.active[id] = nil
            }
            notify(change.request)
        }
        return recorded
    }

    /// A pending or running request in full: running ones and the batch at hand from memory, others from the store.
    func fullRequest(_ id: Int64) -> StoredRequest? {
        if let request = book.active[id] ?? book.submitting[id] { return request }
        do { return try store.request(id) } catch {
            logger.error("cannot read request \(id): \(error)")
            return nil
        }
    }

    func logFile(_ id: Int64) -> String { config.logs + "/\(id).log" }

    /// Starts a granted slot in the executor; a start failure ends the slot as failed.
    private func launch(_ request: StoredRequest, _ slot: Slot) {
        let runAsOther = request.uid != Int64(getuid())
        var launch = SlotLaunch(
            id: UInt64(request.id), command: request.command, workingDirectory: request.workingDirectory,
            environment: request.environment, gpuIndices: slot.gpuIndices, timeLimit: max(1, slot.end - now),
            logFile: logFile(request.id),
            user: runAsOther ? SlotUser(uid: UInt32(request.uid), gid: UInt32(request.gid)) : nil)
        launch.cpus = slot.cpus
        launch.memoryMiB = slot.memoryMiB
        launch.network = request.network
        // Every slot names its nodes (a cluster executor pins the job to them); only a gang fans out here.
        launch.ranks = slot.placements.map {
            SlotRank(node: StoredRequest.name(of: $0.node, nodeNames), gpuIndices: $0.gpuIndices)
        }
        do {
            try executor.startSlot(launch)
        } catch .unavailable(_, let reason) {
            requeueUnstarted(request, because: reason)
        } catch {
            startFailed(request, because: "\(error)")
        }
    }

    /// A granted slot the executor could not start ends as failed, with why.
    func startFailed(_ request: StoredRequest, because reason: String) {
        logger.warning("request \(request.id): \(reason)")
        var failed = request
        failed.state = .failed
        failed.endedAt = now
        failed.outcome = reason
        commit([(failed, "failed to start: \(reason)", now)])
        perform(scheduler.handle(.slotEnded(requestID: UInt64(request.id)), now: now))
    }

    /// A slot ended (or was re-adopted and ended): record how, free its resources, and schedule again.
    func executorEvent(_ event: ProcessExecutor.Event) {
        switch event {
        case .node(let name, let state, let reason):
            clusterNodeState(name: name, state: state, reason: reason)
            return
        case .submitted(let id, let job):
            clusterSubmitted(Int64(id), job: job)
            return
        case .startFailed(let id, let reason, let unavailable):
            clusterStartFailed(Int64(id), reason: reason, unavailable: unavailable)
            return
        case .outside(let holds):
            clusterOutside(holds)
            return
        case .started, .ended: break
        }
        guard case .ended(let id64, let outcome) = event else { return }
        let id = Int64(id64)
        let now = self.now
        let reason = book.stopping.removeValue(forKey: id)
        guard var request = book.active[id] ?? (try? store.request(id)) ?? nil, !request.state.isFinal || reason != nil
        else { return }
        switch (reason, outcome) {
        case (.some(let state), _): request.state = state
        case (nil, .timedOut): request.state = .expired
        case (nil, .exited(0)): request.state = .completed
        case (nil, .endedAfterRestart): request.state = .completed
        case (nil, .nodeFailed): request.state = .lost
        default: request.state = .failed
        }
        if case .exited(let code) = outcome { request.exitCode = Int(code) }
        if case .killed(let signal) = outcome { request.exitCode = 128 + Int(signal) }
        request.outcome = book.logLimited.remove(id) == nil ? outcome.description : logLimitOutcome()
        request.endedAt = now
        commit([(request, "\(request.state.rawValue): \(outcome)", now)])
        perform(scheduler.handle(.slotEnded(requestID: id64), now: now))
    }

    /// A request the caller may see in full, or NotFound (another user's request is not even confirmed to exist).
    func visibleRequest(_ id: Int64, _ caller: Caller) throws(WireError) -> StoredRequest {
        let request: StoredRequest?
        do { request = try book.active[id] ?? store.request(id) } catch { throw .internalError("\(error)") }
        guard let request,
            caller.isAdmin || request.uid == Int64(caller.uid) || isPrincipalInvestigator(of: request.account, caller)
        else { throw .notFound(id) }
        return request
    }
}
