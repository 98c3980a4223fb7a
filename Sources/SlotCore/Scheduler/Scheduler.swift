import HeapModule
import SlotQueue

/// The decision-making core: events in, actions out, with the clock passed in on every call.
///
/// It performs no I/O and reads no clock, so the daemon and the offline simulator drive the same code, and tests
/// replay it exactly. It is single-threaded: one owner calls ``handle(_:now:)``. Pending requests live in the
/// lock-free ``SlotQueue`` (this scheduler is its consumer), ordered by the policy's ``PriorityModel``.
///
/// On every event it runs a pass: start the highest-priority request that fits; if the top request does not fit,
/// reserve its earliest start (from running slots' hard ends) and backfill lower requests that fit now and either
/// end before that start or leave the reserved resources free (EASY backfill). Only the first
/// ``backfillWindow`` pending requests are looked at per pass, so a pass does not grow with the queue.
///
/// Fair-share bands are set at submit and recomputed every ``rebandInterval`` (see `Scheduler+FairShare.swift`).
/// Where to look: admission in `+Admission`, the pass in `+Pass`, explanations in `+Explain` and `+Plan`, account
/// limits in `+Accounts`.
public final class Scheduler {
    public private(set) var policy: Policy
    public private(set) var model: PriorityModel
    public let inventory: Inventory
    /// Each node's full size, for the "larger than any node" admission rule.
    let nodeSizes: [Resources]
    /// The inventory's GPU models; model `i` is bit `i` of `Resources.gpuTypeBits`.
    public let gpuTypes: [String]
    /// Pending requests examined per pass (Slurm's `bf_max_job_test`).
    public var backfillWindow: Int

    var accounts: [String: Account]
    var ledger: AccountLedger
    var accountIndices: [String: Int] = [:]
    var accountLimits: [AccountLimits] = []
    /// The pass's view of each pending request, by queue slot.
    var hot: [HotRequest]
    /// The account index of each running slot.
    var slotAccounts: [UInt64: Int] = [:]
    /// GPU-hours each project account's award has used in ended slots (`Scheduler+Awards`).
    var awardSpent: [Int: Double] = [:]
    /// Whether any account has a window (then each event checks for closed ones).
    var windowed = false
    var pending: [UInt64: PendingRequest] = [:]
    public internal(set) var running: [UInt64: Slot] = [:]
    var hardEnds = Heap<HardEnd>()
    /// Each node's running slots by hard end, for reservations (`Scheduler+Nodes.swift`).
    var releases: [[Release]]
    var nodes: [NodeState]
    /// The accepting nodes by model and free capacity, kept current with `nodes`.
    var index: FreeIndex
    /// Changes whenever a node's free resources or condition, or the running slots, change.
    var nodesVersion: UInt64 = 0
    /// The reservation walk of the last pass, reused while `nodesVersion` stands.
    var gangFitCache: GangFitCache?
    var queue: SlotQueue
    let queueCapacity: Int
    let perClassCapacity: Int?
    /// The reservation made by the last pass, if the top request could not start.
    public internal(set) var reservation: Reservation?
    /// Requests started by backfill so far (for reports).
    public internal(set) var backfilledStarts = 0
    /// False: passes start nothing (the caller cannot record a start, e.g. its database is not writable); running
    /// slots still expire, end and are cancelled as usual, and pending requests keep their places.
    public var granting = true
    /// How often pending requests' fair-share bands are recomputed, milliseconds (default: one hour).
    public var rebandInterval: Int64 = 3_600_000
    var lastReband: Int64 = .min / 2
    /// Pending requests moved to another fair-share band so far.
    public internal(set) var rebands = 0
    /// Pending request ids by account, for re-banding one account's requests.
    var pendingByAccount: [Int: Set<UInt64>] = [:]
    /// Each account's band at the last re-band (-1: not yet seen).
    var bandAtReband: [Int] = []
    /// Accounts that submitted since the last re-band (their new requests carry the band of their submit time).
    var submittedSinceReband: Set<Int> = []
    /// Priority boosts granted to pending requests after a contest (see `Scheduler+Boost.swift`).
    var boosts: [UInt64: Boost] = [:]

    /// - Parameters:
    ///   - queueCapacity: the most pending requests; a submit beyond it is rejected with `queue-full`.
    ///   - perClassCapacity: ring size per queue class (default: `queueCapacity`, at most 4096).
    public init(
        policy: Policy, inventory: Inventory, accounts: [Account] = [], queueCapacity: Int = 65_536,
        perClassCapacity: Int? = nil, backfillWindow: Int = 256
    ) {
        self.policy = policy
        self.model = PriorityModel(policy: policy)
        self.inventory = inventory
        let models = inventory.gpuTypes
        self.gpuTypes = models
        let bit = { (node: Node) -> UInt64 in
            node.gpuType.flatMap { models.firstIndex(of: $0) }.map { UInt64(1) << UInt64($0) } ?? .max
        }
        self.nodeSizes = inventory.nodes.map {
            var size = Resources(gpus: $0.gpus.count, cpus: $0.cpus, memoryMiB: $0.memoryMiB)
            size.gpuTypeBits = bit($0)
            return size
        }
        self.backfillWindow = backfillWindow
        self.accounts = Dictionary(accounts.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
        self.ledger = AccountLedger(policy: policy)
        self.ledger.nodeRates = Self.nodeRates(inventory, policy)
        let nodes = inventory.nodes.map { NodeState($0, typeBit: bit($0)) }
        self.nodes = nodes
        self.releases = Array(repeating: [], count: nodes.count)
        self.index = FreeIndex(nodes, modelCount: models.count)
        self.queueCapacity = queueCapacity
        self.perClassCapacity = perClassCapacity
        self.queue = Self.makeQueue(model, capacity: queueCapacity, perClassCapacity: perClassCapacity)
        self.hot = [HotRequest](
            repeating: HotRequest(
                id: 0, account: 0, resources: .zero, nodes: 1, duration: 0,
                maximumGPUHours: 0), count: queueCapacity)
    }

    static func makeQueue(_ model: PriorityModel, capacity: Int, perClassCapacity: Int?) -> SlotQueue {
        SlotQueue(
            capacity: capacity, bases: model.bases.isEmpty ? [0] : model.bases, aging: model.agingCurve,
            perClassCapacity: perClassCapacity)
    }

    /// Handles one event at `now` (milliseconds) and returns what to do, in order.
    public func handle(_ event: SchedulerEvent, now: Int64) -> [SchedulerAction] {
        var actions = expireDue(now: now)
        rebandIfDue(now: now)
        switch event {
        case .submit(let request): actions += submitAll([request], now: now)
        case .submitBatch(let requests): actions += submitAll(requests, now: now)
        case .queueBatch(let requests): return actions + submitAll(requests, now: now)
        case .cancel(let id): actions += cancel(id, now: now)
        case .slotEnded(let id): actions += end(id, now: now)
        case .policyApplied(let newPolicy): actions += apply(newPolicy, now: now)
        case .accountChanged(let account):
            accounts[account.name] = account
            refreshLimits()
        case .tick: break
        case .resume(let slot): actions += resume(slot)
        case .nodeCondition(let node, let condition): actions += setCondition(condition, of: node, now: now)
        case .boost(let id, let boost):
            if !setBoost(boost, for: id) { actions.append(.ignored(reason: "request \(id) is not pending")) }
        }
        if windowed {
            actions += closeWindows(now: now)
        }
        return actions + schedulePass(now: now)
    }

    /// The earliest hard end of a running slot. Entries of slots that ended early are dropped on the way, so the
    /// caller is never woken for a slot that is gone.
    public var nextDeadline: Int64? {
        while let next = hardEnds.min, running[next.requestID]?.end != next.end { _ = hardEnds.popMin() }
        return hardEnds.min?.end
    }

    /// When the caller should send the next `.tick` after `now`: the next hard end, or the end of the budget period
    /// while requests wait (budgets reset then, so a request held by its budget can start).
    public func nextWakeup(after now: Int64) -> Int64? {
        let periodEnd = pending.isEmpty ? nil : ledger.periodEnd(at: now)
        return [nextDeadline, periodEnd, nextBoostEnd.map { max($0, now + 1) }, nextWindowClose(after: now)]
            .compactMap { $0 }.min()
    }

    public var pendingCount: Int { pending.count }

    /// Makes room for `count` more pending requests at once, so a restart that files a million of them in pages
    /// does not rehash the pending table each time it grows.
    public func reservePending(_ count: Int) {
        pending.reserveCapacity(pending.count + count)
    }

    /// Pending requests per queue class (only non-empty classes), for metrics. O(pending).
    public func pendingCountByClass() -> [PriorityClass: Int] {
        var counts: [Int: Int] = [:]
        for entry in pending.values { counts[entry.classIndex, default: 0] += 1 }
        var result: [PriorityClass: Int] = [:]
        for (index, count) in counts where model.classes.indices.contains(index) {
            result[model.classes[index]] = count
        }
        return result
    }

    /// What each node has free now, in inventory order.
    public var freeByNode: [Resources] { nodes.map(\.free) }

    /// The queue class of a pending request (`category/sector/band`), or nil when it is not pending.
    public func queueClass(of id: UInt64) -> PriorityClass? {
        guard let entry = pending[id], model.classes.indices.contains(entry.classIndex) else { return nil }
        return model.classes[entry.classIndex]
    }

    public func pendingRequest(_ id: UInt64) -> SlotRequest? { pending[id]?.request }

    // MARK: Events

    private func cancel(_ id: UInt64, now: Int64) -> [SchedulerAction] {
        if let entry = removePending(id) {
            _ = queue.cancel(entry.handle)
            return [.cancelled(requestID: id)]
        }
        if let slot = finish(id, now: now) { return [.stop(slot)] }
        return [.ignored(reason: "request \(id) is neither pending nor running")]
    }

    private func resume(_ slot: Slot) -> [SchedulerAction] {
        guard running[slot.requestID] == nil, pending[slot.requestID] == nil, claim(slot) else {
            return [.ignored(reason: "slot \(slot.requestID) does not fit the inventory or is already known")]
        }
        track(slot, account: accountIndex(slot.account))
        return []
    }

    private func end(_ id: UInt64, now: Int64) -> [SchedulerAction] {
        finish(id, now: now) == nil ? [.ignored(reason: "request \(id) is not running")] : []
    }

    /// Removes a running slot, frees its resources and charges its use up to `now`.
    @discardableResult
    func finish(_ id: UInt64, now: Int64) -> Slot? {
        guard let slot = running.removeValue(forKey: id) else { return nil }
        untrack(slot)
        let account = slotAccounts.removeValue(forKey: id) ?? accountIndex(slot.account)
        chargeAward(slot, account: account, now: now)
        ledger.slotEnded(slot, account: account, at: now)
        return slot
    }

    /// Expires every slot whose hard end has come (Art. 25: a limited period).
    private func expireDue(now: Int64) -> [SchedulerAction] {
        var actions: [SchedulerAction] = []
        while let next = hardEnds.min, next.end <= now {
            _ = hardEnds.popMin()
            guard let slot = running[next.requestID], slot.end == next.end else { continue }
            finish(slot.requestID, now: slot.end)
            actions.append(.expire(slot))
        }
        return actions
    }

    /// Re-ranks every pending request under `newPolicy`. A request the new policy forbids (its sector or category is
    /// gone, or it now breaks a limit) is rejected with every reason, never dropped silently.
    private func apply(_ newPolicy: Policy, now: Int64) -> [SchedulerAction] {
        policy = newPolicy
        model = PriorityModel(policy: newPolicy)
        ledger.periodMillis = max(1, newPolicy.defaults.budgetPeriod.milliseconds)
        ledger.halfLifeMillis = max(1, newPolicy.fairShare.halfLife.milliseconds)
        ledger.nodeRates = Self.nodeRates(inventory, newPolicy)
        refreshLimits()
        let old = pending
        queue = Self.makeQueue(model, capacity: queueCapacity, perClassCapacity: perClassCapacity)
        pending = [:]
        pendingByAccount = [:]
        // Oldest first keeps FIFO within each new class.
        var actions: [SchedulerAction] = []
        for var entry in old.values.sorted(by: {
            ($0.request.submittedAt, $0.request.id) < ($1.request.submittedAt, $1.request.id)
        }) {
            entry.request = typed(entry.request)  // the new policy may allow other GPU types
            let problems = admissionProblems(entry.request)
            let classified = problems.isEmpty ? classify(entry.request, now: now) : .failure(problems[0])
            let item = classified.map {
                QueueItem(id: entry.request.id, submittedAt: entry.request.submittedAt, classIndex: $0)
            }
            switch (classified, item.map { queue.push($0) }) {
            case (.success(let classIndex), .success(.success(let handle))):
                let moved = PendingRequest(
                    request: entry.request, handle: handle, classIndex: classIndex,
                    account: entry.account)
                addPending(moved)
                hot[Int(handle.slot)] = moved.hot(id: entry.request.id, chargeable: chargeableHours(moved.request))
            case (.failure(let reason), _):
                actions.append(.reject(requestID: entry.request.id, reasons: problems.isEmpty ? [reason] : problems))
            case (_, .success(.failure(let refusal))):
                actions.append(
                    .reject(requestID: entry.request.id, reasons: [.queueFull(detail: Self.publicDetail(refusal))]))
            default: break
            }
        }
        return actions
    }
}

extension Scheduler {
    /// The bits of `gpuTypes` among the inventory's models: all bits when the request accepts any model, none
    /// when it names only models no node has.
    func gpuTypeBits(_ accepted: [String]?) -> UInt64 {
        guard let accepted, !accepted.isEmpty else { return .max }
        var bits: UInt64 = 0
        for (index, type) in gpuTypes.enumerated() where accepted.contains(type) { bits |= 1 << UInt64(index) }
        return bits
    }

    /// `request` with its resources limited to the GPU models it names and its account's category may use (the
    /// policy's `gpu_types`): what every fit compares.
    func typed(_ request: SlotRequest) -> SlotRequest {
        var typed = request
        let category = accounts[request.account].flatMap { policy.category($0.category) }
        typed.resources.gpuTypeBits = gpuTypeBits(request.gpuTypes) & gpuTypeBits(category?.gpuTypes)
        return typed
    }

    /// The GPU-hours a budget is charged if `request` (typed) runs to its hard end: its GPU-hours at the highest
    /// rate (`[gpu_rates]`) among the types it may run on.
    public func chargeableHours(_ request: SlotRequest) -> Double {
        guard request.totalGPUs > 0 else { return 0 }
        var highest = 0.0
        for (index, type) in gpuTypes.enumerated() where request.resources.gpuTypeBits & (1 << UInt64(index)) != 0 {
            highest = max(highest, policy.rate(ofGPUType: type))
        }
        return request.maximumGPUHours * (highest > 0 ? highest : 1)
    }

    /// The budget rate of node `node`'s GPUs (1 for an unknown node).
    public func budgetRate(ofNode node: Int) -> Double {
        inventory.nodes.indices.contains(node) ? policy.rate(ofGPUType: inventory.nodes[node].gpuType) : 1
    }

    static func nodeRates(_ inventory: Inventory, _ policy: Policy) -> [Double] {
        inventory.nodes.map { policy.rate(ofGPUType: $0.gpuType) }
    }
}

/// A pending request and where it sits in the queue.
struct PendingRequest: Sendable {
    var request: SlotRequest
    var handle: QueueHandle
    var classIndex: Int
    var account: Int

    /// The pass's view; `chargeable` is the worst-case GPU-hours at the budget rate (``Scheduler/chargeableHours``).
    func hot(id: UInt64, chargeable: Double) -> HotRequest {
        HotRequest(
            id: id, account: account, resources: request.resources, nodes: request.nodes, duration: request.duration,
            maximumGPUHours: chargeable)
    }
}

/// A running slot's hard end, for the expiry heap.
struct HardEnd: Comparable {
    var end: Int64
    var requestID: UInt64
    static func < (a: HardEnd, b: HardEnd) -> Bool { (a.end, a.requestID) < (b.end, b.requestID) }
}
