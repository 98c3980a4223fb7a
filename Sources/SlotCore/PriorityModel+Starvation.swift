/// A pair of classes where the lower can wait forever behind a stream of fresh requests in the higher.
public struct StarvationRisk: Sendable, Hashable, Codable {
    /// The class that can starve, at the worst fair-share band.
    public var low: PriorityClass
    /// The class whose fresh requests keep beating it, at band 0.
    public var high: PriorityClass
    /// `high.base − low.base`: the aging points `low` needs to overtake a fresh `high` request.
    public var gap: Int64
}

extension PriorityModel {
    /// Classes that can starve forever.
    ///
    /// A waiting request in class L reaches `base(L) + cap` and then stops gaining; a fresh request in class H
    /// arrives at `base(H)`. L beats every fresh H request (ties go to the earlier submit) exactly when
    /// `base(L) + cap ≥ base(H)`. The check takes L at the worst fair-share band and H at band 0, so it holds for
    /// every account. With `points_per_hour = 0` nothing ages, and any positive gap starves.
    ///
    /// - Returns: for each class that can starve, the risk against the top class, worst first.
    public func starvationRisks() -> [StarvationRisk] {
        guard let top = effectiveOrder.first else { return [] }
        let reach = policy.aging.pointsPerHour > 0 ? policy.aging.cap : 0
        return
            classes
            .filter { $0.band == Self.fairShareBands - 1 }
            .compactMap { low -> StarvationRisk? in
                let gap = top.base - low.base
                return gap > reach ? StarvationRisk(low: low, high: top, gap: gap) : nil
            }
            .sorted { ($0.gap, $1.low.category, $1.low.sector) > ($1.gap, $0.low.category, $0.low.sector) }
    }

    /// The smallest aging cap with which no class can starve.
    public var minimumSafeAgingCap: Int64 {
        let bases = classes.map(\.base)
        guard let high = bases.max(), let low = bases.min() else { return 0 }
        return max(0, high - low)
    }

    /// Classes at band 0 in the order fresh requests are served, best first.
    public var effectiveOrder: [PriorityClass] {
        classes.filter { $0.band == 0 }.sorted {
            ($0.base, $1.category, $1.sector) > ($1.base, $0.category, $0.sector)
        }
    }
}
