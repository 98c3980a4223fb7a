import SlotCore
import SlotSim
import Testing

/// The simulator replays jobs through the real engine and reports exactly what happened.
@Suite struct SimulationTests {
    static let policy = Policy(
        effective: "2026-12-01", sectors: [Sector(id: "health", name: "Health", weight: 0)],
        categories: [
            ApplicantCategory(
                id: "uni", name: "Universities", weight: 0, maxDuration: .hours(10),
                maxConcurrentGPUs: 8, gpuHoursPerPeriod: 10_000, sectors: ["*"])
        ],
        aging: AgingRule(pointsPerHour: 1, cap: 10), fairShare: FairShareRule(weight: 0, halfLife: .days(7))
    )
    static let hour: Int64 = 3_600_000

    func job(_ at: Int64, runtime: Int64, gpus: Int, line: Int) -> TraceJob {
        TraceJob(
            submittedAt: at, runtime: runtime, requestedLimit: nil, gpus: gpus, cpus: 4 * gpus, owner: "team",
            line: line)
    }

    @Test("Invariant: a small replay starts, waits, backfills, expires and rejects exactly as the engine decides")
    func smallReplay() {
        let jobs = [
            job(0, runtime: 2 * Self.hour, gpus: 4, line: 1),  // starts at 0 on the 8-GPU node, ends at 2 h
            job(0, runtime: 3 * Self.hour, gpus: 4, line: 2),  // starts beside it, ends at 3 h
            job(0, runtime: Self.hour / 2, gpus: 2, line: 3),  // node full: starts when job 0 ends at 2 h
            job(0, runtime: 20 * Self.hour, gpus: 1, line: 4),  // starts at 2 h; limit capped at 10 h: expires
            job(0, runtime: Self.hour, gpus: 16, line: 5),  // larger than the node: rejected
        ]
        let run = Simulation(policy: Self.policy, inventory: Inventory(spec: "1x8")!, seed: 7).run(jobs)
        let outcome = Dictionary(uniqueKeysWithValues: run.outcomes.map { ($0.id, $0) })
        #expect(outcome[0]?.start == 0 && outcome[0]?.end == 2 * Self.hour)
        #expect(outcome[1]?.start == 0 && outcome[1]?.end == 3 * Self.hour)
        #expect(outcome[2]?.start == 2 * Self.hour && outcome[3]?.start == 2 * Self.hour)
        #expect(outcome[4]?.rejected == ["larger-than-any-node", "over-concurrent-gpu-cap"])
        #expect(outcome[3]?.expired == true)
        #expect(
            outcome[3].flatMap { o in o.end.flatMap { end in o.start.map { end - $0 } } } == 10 * Self.hour,
            "stopped at the category's 10 h maximum")
        let report = SimulationReport(run: run)
        #expect(report.jobs == 5 && report.rejected == 1 && report.started == 4)
        #expect(report.expired == 1)
        #expect(report.utilisation > 0 && report.utilisation <= 1)
    }

    @Test("Invariant: the same seed gives the same mapping and the same result")
    func reproducible() {
        let jobs = (0..<200).map {
            job(Int64($0) * 600_000, runtime: Int64($0 % 7 + 1) * 1_800_000, gpus: $0 % 4 + 1, line: $0)
        }
        let a = Simulation(policy: Self.policy, inventory: Inventory(spec: "2x4")!, seed: 3).run(jobs).outcomes
        let b = Simulation(policy: Self.policy, inventory: Inventory(spec: "2x4")!, seed: 3).run(jobs).outcomes
        #expect(a == b)
        #expect(a.allSatisfy { $0.start != nil }, "every admitted job starts eventually")
    }

    @Test("Invariant: Jain's index is 1 when all slowdowns are equal and 1/n when one job takes all")
    func jain() {
        let equal = (0..<4).map { job(0, runtime: Self.hour, gpus: 1, line: $0) }
        let run = Simulation(policy: Self.policy, inventory: Inventory(spec: "1x8")!, seed: 1).run(equal)
        #expect(SimulationReport(run: run).byCategory.first?.jainIndex == 1)
    }
}
