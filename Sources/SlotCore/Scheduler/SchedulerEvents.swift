/// What happens to the scheduler. Each event is handled at a `now` the caller passes in (the injected clock).
public enum SchedulerEvent: Sendable, Hashable {
    case submit(SlotRequest)
    /// Many submits with one pass at the end: bulk import, or restoring pending requests after a restart.
    case submitBatch([SlotRequest])
    /// Queues requests with no pass at all: a restart feeds its pending requests in several of these, then sends
    /// `.tick`, so the one pass sees them all, exactly as after one `.submitBatch` of the whole lot.
    case queueBatch([SlotRequest])
    /// Cancels a pending or running request (authorization is the caller's job).
    case cancel(requestID: UInt64)
    /// A running slot ended before its hard end (exited, failed, killed).
    case slotEnded(requestID: UInt64)
    /// A new policy replaces the current one; pending requests are re-ranked under it.
    case policyApplied(Policy)
    /// An account was created or changed.
    case accountChanged(Account)
    /// Time passed; slots at their hard end expire.
    case tick
    /// A slot that was running before a restart and is still running (the executor re-adopted it): it holds its
    /// resources again until its original hard end. Ignored when the node, its GPUs or the id do not fit.
    case resume(Slot)
    /// Sets (or with nil clears) the priority boost of a pending request, granted after a contest (Art. 7.2).
    case boost(requestID: UInt64, Boost?)
    /// A node's condition changed (an admin drained or resumed it, the executor found it down). Down ends the slots
    /// on it with `.lost`.
    case nodeCondition(node: Int, NodeCondition)
}

/// What the scheduler asks its caller to do, or tells it.
public enum SchedulerAction: Sendable, Hashable {
    /// Start this slot now. `backfilled` when it jumped ahead of a reservation without delaying it.
    case start(Slot, backfilled: Bool)
    /// The slot reached its hard end: stop it (Art. 25, limited period).
    case expire(Slot)
    /// The request can never run as asked: every violated rule.
    case reject(requestID: UInt64, reasons: [Rejection])
    /// The pending request was removed.
    case cancelled(requestID: UInt64)
    /// The running slot was ended at the caller's request; stop it.
    case stop(Slot)
    /// The highest-priority request that cannot start yet is reserved to start no later than `at`.
    case estimate(requestID: UInt64, at: Int64)
    /// The slot was lost with node `node`, which went down: it ended on all its nodes (record it as lost).
    case lost(Slot, node: Int)
    /// The event referred to something the scheduler does not have (already ended, unknown id).
    case ignored(reason: String)
}

/// One rule a request breaks; a rejection lists all of them.
public enum Rejection: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    case unknownAccount(account: String)
    case unknownSector(sector: String)
    case sectorNotAllowed(category: String, sector: String)
    case durationOverMaximum(requested: Int64, maximum: Int64)
    case durationNotPositive
    /// Every slot needs at least one CPU (the daemon's validation already insists; this keeps the core exact).
    case noCPU
    case largerThanAnyNode(requested: Resources, largest: Resources)
    /// A gang needs more nodes that can each hold its per-node share than the platform has (or fewer than one).
    case notEnoughNodes(requested: Int, available: Int, perNode: Resources)
    /// The account's category may not use any GPU type the request accepts (the policy's `gpu_types`).
    case gpuTypeNotAllowed(category: String, allowed: [String])
    /// The request names only GPU models no node has.
    case noNodeWithGPUType(requested: [String], available: [String])
    case overConcurrentGPUCap(requested: Int, cap: Int)
    case overPeriodBudget(requestedGPUHours: Double, budget: Int64)
    case duplicateID(id: UInt64)
    /// The pending queue is full (back-pressure); nothing was queued. Retry later.
    case queueFull(detail: String)
    /// The project's window has not opened yet (ms since the epoch).
    case projectWindowNotOpen(project: String, opens: Int64)
    /// The project's window has closed: nothing more runs on its award.
    case projectWindowClosed(project: String, closed: Int64)
    /// The request could use more than is left of the project's award (running and granted slots counted in full).
    case awardExceeded(project: String, requestedGPUHours: Double, leftGPUHours: Double)
    /// The project was not awarded for this sector.
    case sectorNotInProject(project: String, sector: String, sectors: [String])

    /// A stable dotted code for the wire and scripts.
    public var code: String {
        switch self {
        case .unknownAccount: "unknown-account"
        case .unknownSector: "unknown-sector"
        case .sectorNotAllowed: "sector-not-allowed"
        case .durationOverMaximum: "duration-over-maximum"
        case .durationNotPositive: "duration-not-positive"
        case .noCPU: "no-cpu"
        case .largerThanAnyNode: "larger-than-any-node"
        case .notEnoughNodes: "not-enough-nodes"
        case .noNodeWithGPUType: "no-node-with-gpu-type"
        case .gpuTypeNotAllowed: "gpu-type-not-allowed"
        case .overConcurrentGPUCap: "over-concurrent-gpu-cap"
        case .overPeriodBudget: "over-period-budget"
        case .duplicateID: "duplicate-id"
        case .queueFull: "queue-full"
        case .projectWindowNotOpen: "project-window-not-open"
        case .projectWindowClosed: "project-window-closed"
        case .awardExceeded: "award-exceeded"
        case .sectorNotInProject: "sector-not-in-project"
        }
    }

    public var description: String {
        switch self {
        case .unknownAccount(let account):
            "no account '\(account)': ask an admin to run `slotctl account add \(account) --category ...`"
        case .unknownSector(let sector): "unknown sector '\(sector)'"
        case .sectorNotAllowed(let category, let sector): "category '\(category)' may not use sector '\(sector)'"
        case .durationOverMaximum(let requested, let maximum):
            "duration \(SlotDuration(seconds: requested / 1_000)) is over the category maximum "
                + "\(SlotDuration(seconds: maximum / 1_000))"
        case .durationNotPositive: "duration must be positive"
        case .noCPU: "a slot needs at least one CPU"
        case .largerThanAnyNode(let requested, let largest):
            "needs \(requested) on one node; the largest node has \(largest)"
        case .notEnoughNodes(let requested, _, _) where requested < 1: "a slot needs at least one node"
        case .notEnoughNodes(let requested, let available, let perNode):
            "needs \(requested) nodes with \(perNode) each; the platform has \(available) such node"
                + (available == 1 ? "" : "s")
        case .gpuTypeNotAllowed(let category, let allowed):
            "category '\(category)' may use GPU types \(allowed.joined(separator: ", ")) only, and this platform has "
                + "none of them that the request accepts"
        case .noNodeWithGPUType(let requested, let available):
            "no node has a GPU of type \(requested.joined(separator: " or ")); this platform has "
                + (available.isEmpty ? "no GPUs" : available.joined(separator: ", "))
        case .overConcurrentGPUCap(let requested, let cap):
            "needs \(requested) GPUs; the category allows \(cap) at once"
        case .overPeriodBudget(let hours, let budget):
            "needs up to \(formatHours(hours)) GPU-hours; the category budget is \(budget) per period"
        case .duplicateID(let id): "request id \(id) is already in use"
        case .queueFull(let detail): "the pending queue is full (\(detail)); try again later"
        case .projectWindowNotOpen(let project, let opens):
            "project \(project)'s window opens at \(Timestamp(opens))"
        case .projectWindowClosed(let project, let closed):
            "project \(project)'s window closed at \(Timestamp(closed)); an admin may extend it"
        case .awardExceeded(let project, let requested, let left):
            "needs up to \(formatHours(requested)) GPU-hours; project \(project) has \(formatHours(max(0, left))) "
                + "left of its award (running slots counted in full)"
        case .sectorNotInProject(let project, let sector, let sectors):
            "project \(project) was awarded for \(sectors.joined(separator: ", ")), not \(sector)"
        }
    }
}
