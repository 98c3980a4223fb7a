import SlotCore
import SlotPolicy
import SlotQueue
import SlotTestSupport
import Testing

/// The starvation warning is exact: without it every class is served; with it, some class never is.
@Suite struct StarvationStreamTests {
    static let hour = PriorityModel.millisecondsPerHour

    /// A random policy file; weights, aging and fair share vary widely.
    static func randomPolicyText(using rng: inout SeededRandom) -> String {
        var text = """
            version = 1
            effective = 2026-12-01
            [aging]
            points_per_hour = \(Int.random(in: 0...40, using: &rng))
            cap = \(Int.random(in: 0...1_200, using: &rng))
            [fair_share]
            weight = \(Int.random(in: 0...300, using: &rng))
            half_life = "7d"

            """
        let sectors = Int.random(in: 1...4, using: &rng)
        for s in 0..<sectors {
            text += "[sectors.s\(s)]\nname = \"S\(s)\"\nweight = \(Int.random(in: 0...400, using: &rng))\n"
        }
        for c in 0..<Int.random(in: 1...4, using: &rng) {
            let allowed = (0..<sectors).filter { _ in Bool.random(using: &rng) }.map { "\"s\($0)\"" }
            text += """
                [categories.c\(c)]
                name = "C\(c)"
                weight = \(Int.random(in: 0...400, using: &rng))
                max_duration = "24h"
                max_concurrent_gpus = 8
                gpu_hours_per_period = 100
                sectors = [\(allowed.isEmpty ? "\"*\"" : allowed.joined(separator: ", "))]

                """
        }
        return text
    }

    /// One request per class waits from t = 0 at the worst fair-share band. The top class always has exactly one
    /// request pending: when it is served, a fresh one replaces it at the next hour (an endless supply of fresh
    /// top-priority work that does not pile up, so the load stays at capacity, not beyond). One request is served
    /// per hour. Returns the probes still waiting after `hours`.
    static func unservedProbes(_ model: PriorityModel, hours: Int) throws -> Set<UInt64> {
        let queue = SlotQueue(capacity: 4_096, bases: model.bases, aging: model.agingCurve, perClassCapacity: 4_096)
        let worst = PriorityModel.fairShareBands - 1
        var waiting = Set<UInt64>()
        var nextID: UInt64 = 1
        for entry in model.classes where entry.band == worst {
            _ = try queue.push(QueueItem(id: nextID, submittedAt: 0, classIndex: entry.index)).get()
            waiting.insert(nextID)
            nextID += 1
        }
        let top = try #require(model.effectiveOrder.first)
        var topPending = false
        for tick in 1...hours {
            let now = Int64(tick) * hour
            if !topPending {
                _ = try queue.push(QueueItem(id: nextID, submittedAt: now, classIndex: top.index)).get()
                nextID += 1
                topPending = true
            }
            let served = try #require(queue.takeBest(now: now))
            if waiting.remove(served.item.id) == nil { topPending = false }
        }
        return waiting
    }

    @Test(
        """
        Invariant: with any policy the validator accepts without a starvation warning, every class is served \
        behind an endless supply of fresh top-class requests; with the warning, some class never is
        """,
        arguments: [3, 17, 2025] as [UInt64]
    )
    func everyClassServedUnlessWarned(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        var safe = 0, risky = 0
        for _ in 0..<40 {
            let check = PolicyLoader.check(text: Self.randomPolicyText(using: &rng), file: "random.toml")
            let policy = try #require(check.policy, "\(check.errors)")
            let model = PriorityModel(policy: policy)
            let warned = check.warnings.contains { $0.code == "policy.starvation" }
            let probes = model.classes.count / PriorityModel.fairShareBands
            if warned {
                risky += 1
                // The worst class can never beat a fresh top request: run well past any aging horizon.
                #expect(try !Self.unservedProbes(model, hours: 3_000).isEmpty)
            } else {
                safe += 1
                let pph = Int(policy.aging.pointsPerHour)
                // Probes reach the top's fresh score by gap / pph hours, then alternate with the top request.
                let horizon = (pph > 0 ? Int(model.minimumSafeAgingCap) / pph + 1 : 0) + 2 * probes + 2
                #expect(try Self.unservedProbes(model, hours: horizon).isEmpty, "served within \(horizon)h")
            }
        }
        #expect(safe > 3 && risky > 3, "both kinds of policy were exercised (\(safe) safe, \(risky) risky)")
    }
}
