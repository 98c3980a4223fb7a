/// What a request's priority is computed from.
public struct PriorityInputs: Sendable, Hashable {
    public var requestID: UInt64
    public var category: String
    public var sector: String
    /// Submit time, milliseconds on the scheduler's clock.
    public var submittedAt: Int64
    /// The account's decayed GPU-hour usage when the fair-share band was last computed.
    public var usageGPUHours: Double

    public init(requestID: UInt64, category: String, sector: String, submittedAt: Int64, usageGPUHours: Double = 0) {
        self.requestID = requestID
        self.category = category
        self.sector = sector
        self.submittedAt = submittedAt
        self.usageGPUHours = usageGPUHours
    }
}

/// A priority with every term, its inputs, and the policy line its weight came from. `slotctl explain` prints this.
public struct PriorityBreakdown: Sendable, Hashable, Codable {
    /// The sum of the terms, in whole points.
    public var total: Int64
    /// The exact priority in point-milliseconds (aging not rounded); requests are ordered by this, so two requests
    /// with the same whole-point total are ordered by who has aged more, exactly.
    public var score: Int64
    public var terms: [PriorityTerm]
    /// The queue class the request sits in.
    public var classIndex: Int
    public var submittedAt: Int64
    public var requestID: UInt64

    /// True when `self` is served before `other`: higher exact score, then earlier submit, then smaller id.
    public func precedes(_ other: PriorityBreakdown) -> Bool {
        if score != other.score { return score > other.score }
        if submittedAt != other.submittedAt { return submittedAt < other.submittedAt }
        return requestID < other.requestID
    }
}

/// One term of the priority formula.
public struct PriorityTerm: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case sector, category, aging
        case fairShare = "fair_share"
        /// A granted contest's boost (Art. 7.2): only while it lasts.
        case boost
    }

    public var kind: Kind
    public var points: Int64
    /// The inputs in words, e.g. `waited 3h12m × 20/h, cap 1200`.
    public var detail: String
    /// Where the weight was set.
    public var source: SourceLocation
}

extension PriorityModel {
    /// Errors a breakdown can meet; each names what to fix.
    public enum BreakdownError: Error, Sendable, Hashable {
        case unknownCategory(String)
        case unknownSector(String)
        case sectorNotAllowed(category: String, sector: String)
    }

    /// The priority of `request` at `now` (milliseconds), term by term.
    public func breakdown(of request: PriorityInputs, now: Int64) throws(BreakdownError) -> PriorityBreakdown {
        guard let category = policy.category(request.category) else { throw .unknownCategory(request.category) }
        guard let sector = policy.sector(request.sector) else { throw .unknownSector(request.sector) }
        let band = Self.band(usage: request.usageGPUHours, budget: category.gpuHoursPerPeriod)
        guard let classIndex = classIndex(category: category.id, sector: sector.id, band: band) else {
            throw .sectorNotAllowed(category: category.id, sector: sector.id)
        }
        let waited = max(0, now - request.submittedAt)
        let aging = agingCurve.points(waited: waited)
        let penalty = Self.fairSharePenalty(band: band, policy: policy)
        let budget = category.gpuHoursPerPeriod
        let share = budget > 0 ? Int((100 * request.usageGPUHours / Double(budget)).rounded()) : 100
        let terms = [
            PriorityTerm(
                kind: .sector, points: sector.weight, detail: "sector \(sector.id) (\(sector.name))",
                source: sector.source),
            PriorityTerm(
                kind: .category, points: category.weight,
                detail: "category \(category.id) (\(category.name))", source: category.source),
            PriorityTerm(
                kind: .aging, points: aging,
                detail: "waited \(SlotDuration(seconds: waited / 1_000)) × \(policy.aging.pointsPerHour)/h, "
                    + "cap \(policy.aging.cap)", source: policy.aging.source),
            PriorityTerm(
                kind: .fairShare, points: -penalty,
                detail: "usage \(formatHours(request.usageGPUHours)) GPU-h = \(share)% of \(budget) GPU-h "
                    + "budget, band \(band)/4 × \(policy.fairShare.weight)", source: policy.fairShare.source),
        ]
        return PriorityBreakdown(
            total: terms.reduce(0) { $0 + $1.points },
            score: agingCurve.score(base: classes[classIndex].base, waited: waited),
            terms: terms, classIndex: classIndex,
            submittedAt: request.submittedAt, requestID: request.requestID
        )
    }
}

/// Hours for people: whole when whole, else one decimal (`12`, `1.5`).
public func formatHours(_ hours: Double) -> String {
    let tenths = (hours * 10).rounded() / 10
    return tenths == tenths.rounded() ? String(Int64(tenths)) : String(tenths)
}
