import Foundation
import SlotCore

/// The cost of one scheduling pass with N requests pending on a full 64-GPU machine (8 nodes × 8 GPUs).
///
/// The machine is filled with long 1-GPU slots, N requests from 1000 accounts wait across all classes, and the
/// scheduler handles `.tick` repeatedly: each pass walks the backfill window, makes the reservation for the top
/// request and tries to backfill the rest. Nothing can start, so every pass does the same work.
enum SchedulerPassBenchmark {
    static let hour: Int64 = 3_600_000

    static var policy: Policy {
        let sectors = (0..<6).map { Sector(id: "s\($0)", name: "Sector \($0)", weight: Int64($0) * 50) }
        let categories = (0..<5).map {
            ApplicantCategory(
                id: "c\($0)", name: "Category \($0)", weight: Int64($0) * 100, maxDuration: .days(7),
                maxConcurrentGPUs: 64, gpuHoursPerPeriod: 1_000_000, sectors: ["*"])
        }
        return Policy(
            effective: "2026-12-01", sectors: sectors, categories: categories,
            aging: AgingRule(pointsPerHour: 10, cap: 1_000), fairShare: FairShareRule(weight: 100, halfLife: .days(7)))
    }

    /// Median seconds per pass with `pending` requests waiting.
    static func secondsPerPass(pending: Int, passes: Int) -> Double {
        let policy = policy
        let accounts = (0..<1_000).map { Account(name: "a\($0)", category: "c\($0 % 5)") }
        let classes = policy.sectors.count * policy.categories.count
        let scheduler = Scheduler(
            policy: policy, inventory: Inventory(spec: "8x8")!, accounts: accounts,
            queueCapacity: pending + 64, perClassCapacity: pending / classes * 2 + 64)
        func request(_ id: Int, gpus: Int, at time: Int64) -> SlotRequest {
            SlotRequest(
                id: UInt64(id), account: "a\(id % 1_000)", sector: "s\(id % 6)",
                resources: Resources(gpus: gpus, cpus: gpus, memoryMiB: 1_024), duration: 24 * hour,
                purpose: "bench", submittedAt: time)
        }
        _ = scheduler.handle(.submitBatch((0..<64).map { request($0, gpus: 1, at: 0) }), now: 0)
        precondition(scheduler.running.count == 64, "the machine must be full")
        var batch: [SlotRequest] = []
        for id in 64..<(64 + pending) {
            batch.append(request(id, gpus: id % 3 + 1, at: Int64(id)))
            if batch.count == 100_000 {
                _ = scheduler.handle(.submitBatch(batch), now: hour)
                batch.removeAll(keepingCapacity: true)
            }
        }
        _ = scheduler.handle(.submitBatch(batch), now: hour)
        precondition(scheduler.pendingCount == pending, "every request must be pending")
        // Untimed warm-up passes: the first passes after a million inserts pay for cold caches and page faults.
        for pass in 0..<20 { _ = scheduler.handle(.tick, now: hour - 1_000 + Int64(pass)) }
        let clock = ContinuousClock()
        var samples: [Double] = []
        for pass in 0..<passes {
            let now = hour + Int64(pass) * 1_000
            let elapsed = clock.measure { _ = scheduler.handle(.tick, now: now) }
            samples.append(Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds))
        }
        return median(samples)
    }
}
