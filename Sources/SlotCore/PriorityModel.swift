import SlotQueue

/// The priority formula of a policy, and the queue classes it induces.
///
/// ```
/// priority = sector.weight + category.weight + aging + fairShare
/// aging     = min(aging.cap, hoursWaited × aging.points_per_hour)      (same for every class)
/// fairShare = −fair_share.weight × band / 4,  band = min(4, floor(4 × usage / budget))
/// ```
/// `usage` is the account's GPU-hours decayed with `fair_share.half_life`; `budget` is the category's
/// `gpu_hours_per_period`. Requests are ordered by the exact value (aging is shown rounded down to whole points,
/// but never rounded for ordering); ties go to the earlier submit, then the smaller request id.
///
/// The static part (sector + category + fair-share band) is a *class*: one per allowed (category, sector) pair and
/// band. Aging is identical for every class, so the queue core orders requests by comparing class heads only.
public struct PriorityModel: Sendable {
    /// Fair-share bands: 0 (no recent usage) to 4 (at or over the period budget).
    public static let fairShareBands = 5
    public static let millisecondsPerHour: Int64 = 3_600_000

    public let policy: Policy
    /// Every class, in index order (the index the queue uses).
    public let classes: [PriorityClass]
    private let indexByKey: [ClassKey: Int]

    public init(policy: Policy) {
        self.policy = policy
        var classes: [PriorityClass] = []
        var index: [ClassKey: Int] = [:]
        for category in policy.categories {
            for sector in policy.sectors where category.allows(sector: sector.id) {
                for band in 0..<Self.fairShareBands {
                    let key = ClassKey(category: category.id, sector: sector.id, band: band)
                    index[key] = classes.count
                    classes.append(
                        PriorityClass(
                            index: classes.count, category: category.id, sector: sector.id, band: band,
                            base: sector.weight + category.weight - Self.fairSharePenalty(band: band, policy: policy)
                        ))
                }
            }
        }
        self.classes = classes
        self.indexByKey = index
    }

    /// Base priority of each class, for ``SlotQueue``.
    public var bases: [Int64] { classes.map(\.base) }

    /// The aging curve in milliseconds, for ``SlotQueue``.
    public var agingCurve: AgingCurve {
        AgingCurve(pointsPerUnit: policy.aging.pointsPerHour, unit: Self.millisecondsPerHour, cap: policy.aging.cap)
    }

    /// The class of a (category, sector, band), or nil when the category may not use the sector.
    public func classIndex(category: String, sector: String, band: Int) -> Int? {
        indexByKey[ClassKey(category: category, sector: sector, band: band)]
    }

    /// The fair-share band for `usage` decayed GPU-hours against a `budget` of GPU-hours per period.
    public static func band(usage: Double, budget: Int64) -> Int {
        guard usage > 0 else { return 0 }
        guard budget > 0 else { return fairShareBands - 1 }
        let quarters = Int((4 * usage / Double(budget)).rounded(.down))
        return min(fairShareBands - 1, max(0, quarters))
    }

    static func fairSharePenalty(band: Int, policy: Policy) -> Int64 {
        policy.fairShare.weight * Int64(band) / Int64(fairShareBands - 1)
    }

    struct ClassKey: Hashable {
        var category: String
        var sector: String
        var band: Int
    }
}

/// One queue class: an allowed (category, sector) pair at one fair-share band.
public struct PriorityClass: Sendable, Hashable, Codable {
    public var index: Int
    public var category: String
    public var sector: String
    public var band: Int
    /// sector weight + category weight − fair-share penalty of the band.
    public var base: Int64
}
