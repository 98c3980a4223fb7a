import SlotCore
import SlotTestSupport

/// Random but valid policies for property tests.
enum RandomPolicy {
    static func make(using rng: inout SeededRandom) -> Policy {
        let sectorCount = Int.random(in: 1...5, using: &rng)
        let sectors = (0..<sectorCount).map {
            Sector(id: "s\($0)", name: "Sector \($0)", weight: Int64.random(in: 0...500, using: &rng))
        }
        let categories = (0..<Int.random(in: 1...4, using: &rng)).map { index in
            let allowed = sectors.filter { _ in Bool.random(using: &rng) }.map(\.id)
            return ApplicantCategory(
                id: "c\(index)", name: "Category \(index)", weight: Int64.random(in: 0...500, using: &rng),
                maxDuration: .hours(24), maxConcurrentGPUs: 8,
                gpuHoursPerPeriod: Int64.random(in: 1...1_000, using: &rng),
                sectors: allowed.isEmpty ? ["*"] : allowed
            )
        }
        return Policy(
            effective: "2026-12-01", sectors: sectors, categories: categories,
            aging: AgingRule(
                pointsPerHour: Int64.random(in: 0...50, using: &rng),
                cap: Int64.random(in: 0...1_500, using: &rng)),
            fairShare: FairShareRule(weight: Int64.random(in: 0...300, using: &rng), halfLife: .days(7))
        )
    }

    /// A random request in an allowed class of `model`, submitted at `time`.
    static func request(_ id: UInt64, in model: PriorityModel, at time: Int64, using rng: inout SeededRandom)
        -> PriorityInputs
    {
        let entry = model.classes.randomElement(using: &rng)!
        let budget = model.policy.category(entry.category)!.gpuHoursPerPeriod
        return PriorityInputs(
            requestID: id, category: entry.category, sector: entry.sector, submittedAt: time,
            usageGPUHours: Double.random(in: 0...1.2, using: &rng) * Double(budget))
    }
}
