import SlotQueue

/// Everything slotd can say about one request: why it has the priority it has, where it stands, every reason it is
/// not running, and when it should start (Art. 7, 16).
public struct Explanation: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Codable { case pending, running }

    public var requestID: UInt64
    public var state: State
    /// The priority, term by term, with the policy line each weight came from (pending requests).
    public var priority: PriorityBreakdown?
    /// 1 = next to be considered, among all pending requests.
    public var position: Int?
    /// 1 = first within its class (category, sector and fair-share band).
    public var positionInClass: Int?
    public var queueClass: PriorityClass?
    /// Every reason it is not running now.
    public var reasons: [PendingReason]
    /// The planned start: an upper bound while no higher-priority request arrives, since slots can end early.
    public var estimatedStart: Int64?
    /// How the estimate was made, or why there is none.
    public var estimateNote: String
    /// The slot, when running.
    public var slot: Slot?
}

extension Scheduler {
    /// Requests planned ahead of one being estimated; deeper requests get no estimate.
    public static let planDepth = 100

    /// Explains request `id` at `now`, or nil when it is neither pending nor running.
    public func explain(_ id: UInt64, now: Int64) -> Explanation? {
        if let slot = running[id] {
            return Explanation(
                requestID: id, state: .running, reasons: [], estimatedStart: slot.start,
                estimateNote: "running since \(Timestamp(slot.start)); hard end \(Timestamp(slot.end))",
                slot: slot)
        }
        guard let entry = pending[id], let account = accounts[entry.request.account] else { return nil }
        let request = entry.request
        let inputs = PriorityInputs(
            requestID: id, category: account.category, sector: request.sector,
            submittedAt: request.submittedAt,
            usageGPUHours: ledger.decayedUsage(entry.account, at: now))
        var ahead: [PendingRequest] = []
        var inClass = 0
        walkRanked(now: now) { ranked in
            if ranked.item.id == id { return false }
            if let other = pending[ranked.item.id] {
                if ahead.count <= Self.planDepth { ahead.append(other) }
                if other.classIndex == entry.classIndex { inClass += 1 }
            }
            return true
        }
        // `ahead` is capped; count the rest by position.
        let position = positionOf(id, now: now)
        let reasons = pendingReasons(entry, position: position, now: now)
        let (estimate, note) = plannedStart(entry, ahead: ahead, total: position - 1, now: now)
        return Explanation(
            requestID: id, state: .pending, priority: boosted(try? model.breakdown(of: inputs, now: now), id, now: now),
            position: position,
            positionInClass: inClass + 1,
            queueClass: model.classes.indices.contains(entry.classIndex)
                ? model.classes[entry.classIndex] : nil,
            reasons: reasons, estimatedStart: estimate, estimateNote: note, slot: nil
        )
    }

    /// `breakdown` with the request's contest boost as its own term (Art. 7.2: the applicant sees what a grant did).
    private func boosted(_ breakdown: PriorityBreakdown?, _ id: UInt64, now: Int64) -> PriorityBreakdown? {
        guard var breakdown, let boost = boost(of: id, now: now) else { return breakdown }
        let until = boost.until.map { " until \(Timestamp($0))" } ?? " while it waits"
        breakdown.terms.append(
            PriorityTerm(
                kind: .boost, points: boost.points, detail: boost.detail + until,
                source: policy.contests.source))
        breakdown.total += boost.points
        breakdown.score = boost.raising(breakdown.score, unit: model.agingCurve.unit)
        return breakdown
    }

    private func positionOf(_ id: UInt64, now: Int64) -> Int {
        var position = 0
        walkRanked(now: now) { ranked in
            if pending[ranked.item.id] != nil { position += 1 }
            return ranked.item.id != id
        }
        return position
    }

    /// Every reason `entry` is not running now.
    private func pendingReasons(_ entry: PendingRequest, position: Int, now: Int64) -> [PendingReason] {
        let request = entry.request
        var reasons = accountHold(request, now: now)
        let fitting = index.fitting(
            request.resources, limit: request.nodes + (reservation?.nodes.count ?? 0), nodes: nodes)
        if fitting.count < request.nodes {
            let models = request.resources.gpuTypeBits
            let candidates = nodes.filter(\.accepting).map(\.free).filter {
                request.resources.gpus == 0 || $0.gpuTypeBits & models != 0
            }
            let most: Resources = candidates.max { ($0.gpus, $0.cpus) < ($1.gpus, $1.cpus) } ?? .zero
            let sized = nodeSizes.indices.filter { nodeSizes[$0].covers(request.resources) }
            reasons.append(
                .needsResources(
                    requested: request.resources, mostFree: most, gpuTypes: request.gpuTypes ?? [],
                    nodes: request.nodes, freeNodes: fitting.count, sizedNodes: sized.count,
                    draining: sized.filter { nodes[$0].condition == .draining }.count,
                    down: sized.filter { nodes[$0].condition == .down }.count))
        } else if let reserved = reservation, reserved.requestID != request.id,
            fitting.filter({ !reserved.nodes.contains($0) }).count < request.nodes,
            now + request.duration > reserved.start
        {
            reasons.append(.reservedForHigherPriority(requestID: reserved.requestID, start: reserved.start))
        }
        if position > 1 { reasons.append(.requestsAhead(count: position - 1)) }
        if position > backfillWindow { reasons.append(.beyondBackfillWindow(window: backfillWindow)) }
        return reasons
    }
}

extension Scheduler {
    /// The ids of the first `limit` pending requests in the order they are considered.
    public func pendingInOrder(now: Int64, limit: Int) -> [UInt64] {
        rankedPending(now: now, limit: limit).map(\.item.id)
    }

    /// The first `limit` pending requests in the order they are considered, with their exact scores (boosts
    /// included).
    public func rankedPending(now: Int64, limit: Int) -> [RankedItem] {
        var ranked: [RankedItem] = []
        walkRanked(now: now) { item in
            if pending[item.item.id] != nil { ranked.append(item) }
            return ranked.count < limit
        }
        return ranked
    }
}
