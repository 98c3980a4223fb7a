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

    /// The exact priority of `base` after waiting `waited` ticks, in point-ticks: `base × unit +
    /// min(cap × unit, pointsPerUnit × waited)`. Ordering uses this, not whole points: rounding each request's aging
    /// down separately would let two requests' order flip back and forth by one point as they wait.
    @inline(__always)
    public func score(base: Int64, waited: Int64) -> Int64 {
        let wait = max(0, waited)
        let (fixed, o1) = base.multipliedReportingOverflow(by: unit)
        let (capScore, o2) = cap.multipliedReportingOverflow(by: unit)
        let (gained, o3) = wait.multipliedReportingOverflow(by: pointsPerUnit)
        let aging = (o2 || o3) ? (o2 ? Int64.max / 4 : capScore) : min(capScore, gained)
        return o1 ? (base < 0 ? Int64.min / 2 : Int64.max / 2) : fixed &+ aging
    }

    /// Aging points earned after waiting `waited` ticks, rounded down; 0 for a non-positive wait.
    @inline(__always)
    public func points(waited: Int64) -> Int64 {
        guard waited > 0, pointsPerUnit > 0 else { return 0 }
        let (product, overflow) = waited.multipliedReportingOverflow(by: pointsPerUnit)
        if overflow { return cap }
        return min(cap, product / unit)
    }
}
