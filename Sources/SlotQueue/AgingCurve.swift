/// Linear, capped anti-starvation aging shared by every class.
///
/// `points(waited:)` is `min(cap, waited × pointsPerUnit / unit)` with integer division, so it is monotone
/// non-decreasing in the wait and identical for every class. That identity is what keeps each class's FIFO head its
/// highest-priority member, and lets the queue compare only class heads.
public struct AgingCurve: Sendable, Hashable {
    /// Points gained per `unit` of waiting.
    public var pointsPerUnit: Int64
    /// The time unit of `pointsPerUnit`, in the caller's clock ticks (for example 3 600 000 ms for "per hour").
    public var unit: Int64
    /// The most aging points a request can gain.
    public var cap: Int64

    /// - Precondition: `pointsPerUnit >= 0`, `unit > 0`, `cap >= 0`.
    public init(pointsPerUnit: Int64, unit: Int64, cap: Int64) {
        precondition(pointsPerUnit >= 0 && unit > 0 && cap >= 0, "invalid aging curve")
        self.pointsPerUnit = pointsPerUnit
        self.unit = unit
        self.cap = cap
    }

    /// No aging at all.
    public static let none = AgingCurve(pointsPerUnit: 0, unit: 1, cap: 0)

    /// Aging points earned after waiting `waited` ticks; 0 for a non-positive wait.
    @inline(__always)
    public func points(waited: Int64) -> Int64 {
        guard waited > 0, pointsPerUnit > 0 else { return 0 }
        let (product, overflow) = waited.multipliedReportingOverflow(by: pointsPerUnit)
        if overflow { return cap }
        return min(cap, product / unit)
    }
}
