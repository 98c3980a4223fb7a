import SlotQueue

/// A priority boost an admin granted to one pending request after a contest (Art. 7.2): `points` more until `until`
/// (milliseconds; nil: while the request waits). The daemon bounds both by the policy's `[contests]` rule.
public struct Boost: Sendable, Hashable, Codable {
    public var points: Int64
    public var until: Int64?
    /// Why, in words, for Explain (e.g. `contest 3 granted`).
    public var detail: String

    public init(points: Int64, until: Int64?, detail: String) {
        self.points = points
        self.until = until
        self.detail = detail
    }

    public func isActive(at now: Int64) -> Bool { points != 0 && (until.map { now < $0 } ?? true) }

    /// An exact score (point-ticks) raised by this boost; `unit` is the aging curve's ticks per point-rate unit.
    func raising(_ score: Int64, unit: Int64) -> Int64 {
        let (extra, overflow) = points.multipliedReportingOverflow(by: unit)
        return overflow ? score : score &+ extra
    }
}

/// Boosted requests stay in their queue class (so handles, cancels and capacity work as for any request), but every
/// ordered view of the queue goes through ``walkRanked(now:_:)``, which skips them in the class walk and merges them
/// back in at their boosted score. Boosts are rare (one per granted contest), so the merge is a sorted array.
extension Scheduler {
    /// Sets or (with nil) clears the boost of a pending request; false when it is not pending.
    @discardableResult
    func setBoost(_ boost: Boost?, for id: UInt64) -> Bool {
        guard pending[id] != nil else { return false }
        boosts[id] = boost
        return true
    }

    /// The boost a pending request has at `now`, if any.
    public func boost(of id: UInt64, now: Int64) -> Boost? {
        guard let boost = boosts[id], boost.isActive(at: now) else { return nil }
        return boost
    }

    /// Calls `body` with pending requests in the order they are served at `now`, boosts included, until it returns
    /// false.
    func walkRanked(now: Int64, _ body: (RankedItem) -> Bool) {
        dropEndedBoosts(now: now)
        guard !boosts.isEmpty else { return queue.walk(now: now, body) }
        let unit = model.agingCurve.unit
        let boosted: [RankedItem] = boosts.compactMap { id, boost in
            guard let entry = pending[id], model.classes.indices.contains(entry.classIndex) else { return nil }
            let base = model.classes[entry.classIndex].base
            let waited = now - entry.request.submittedAt
            let score = boost.raising(model.agingCurve.score(base: base, waited: waited), unit: unit)
            let item = QueueItem(id: id, submittedAt: entry.request.submittedAt, classIndex: entry.classIndex)
            return RankedItem(
                handle: entry.handle, item: item,
                priority: base + model.agingCurve.points(waited: waited) + boost.points, score: score)
        }.sorted { $0.precedes($1) }
        var next = 0
        var stopped = false
        queue.walk(now: now) { ranked in
            if boosts[ranked.item.id] != nil { return true }
            while next < boosted.count, boosted[next].precedes(ranked) {
                guard body(boosted[next]) else {
                    stopped = true
                    return false
                }
                next += 1
            }
            guard body(ranked) else {
                stopped = true
                return false
            }
            return true
        }
        while !stopped, next < boosted.count {
            guard body(boosted[next]) else { return }
            next += 1
        }
    }

    /// Forgets boosts of requests no longer pending and boosts whose time is up.
    func dropEndedBoosts(now: Int64) {
        guard !boosts.isEmpty else { return }
        for (id, boost) in boosts where pending[id] == nil || !boost.isActive(at: now) { boosts[id] = nil }
    }

    /// The earliest end of a boost, so the caller wakes the scheduler when the order changes.
    var nextBoostEnd: Int64? { boosts.values.compactMap(\.until).min() }
}
