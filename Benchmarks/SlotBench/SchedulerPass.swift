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

    /// What waits: 1 to 3 GPUs (the 10k–1M suite), or the cluster mix of 1-GPU, 8-GPU and 4-node × 8-GPU requests.
    enum Mix { case small, cluster }

    /// Median seconds per pass with `pending` requests waiting on `inventory` (full of 1-GPU slots).
    /// - Parameter staggered: the filling slots end at distinct times (ten seconds apart, in a shuffled order), as on a
    ///   real cluster, instead of all at once; the reservation of a gang then walks thousands of them.
    static func secondsPerPass(
        pending: Int, passes: Int, inventory spec: String = "8x8", mix: Mix = .small, staggered: Bool = false
    ) -> Double {
        let scheduler = full(pending: pending, inventory: spec, mix: mix, staggered: staggered)
        let clock = ContinuousClock()
        var samples: [Double] = []
        for pass in 0..<passes {
            let now = hour + Int64(pass) * 1_000
            let elapsed = clock.measure { _ = scheduler.handle(.tick, now: now) }
            samples.append(Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds))
        }
        return median(samples)
    }

    /// Median seconds of a pass after a change: a running slot (drawn at random) ends early, the pass gives its GPU
    /// to a waiting request and works the reservation out again. The cluster mix, staggered ends.
    static func secondsPerChangedPass(pending: Int, passes: Int, inventory spec: String) -> Double {
        let scheduler = full(pending: pending, inventory: spec, mix: .cluster, staggered: true)
        var rng = SplitMix64(seed: 11)
        let clock = ContinuousClock()
        var samples: [Double] = []
        for pass in 0..<passes {
            let now = hour + Int64(pass) * 1_000
            let victim = scheduler.running.keys.sorted().randomElement(using: &rng)!
            let elapsed = clock.measure { _ = scheduler.handle(.slotEnded(requestID: victim), now: now) }
            samples.append(Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds))
        }
        return median(samples)
    }

    /// A scheduler on `spec` full of 24-hour 1-GPU slots, with `pending` requests of `mix` waiting, warmed up.
    static func full(pending: Int, inventory spec: String, mix: Mix, staggered: Bool) -> Scheduler {
        let policy = policy
        let accounts = (0..<1_000).map { Account(name: "a\($0)", category: "c\($0 % 5)") }
        let classes = policy.sectors.count * policy.categories.count
        let inventory = Inventory(spec: spec)!
        let capacity = inventory.totalGPUs
        let scheduler = Scheduler(
            policy: policy, inventory: inventory, accounts: accounts,
            queueCapacity: pending + capacity, perClassCapacity: pending / classes * 2 + capacity)
        func request(_ id: Int, gpus: Int, nodes: Int = 1, at time: Int64, hours: Int64 = 24) -> SlotRequest {
            SlotRequest(
                id: UInt64(id), account: "a\(id % 1_000)", sector: "s\(id % 6)",
                resources: Resources(gpus: gpus, cpus: gpus, memoryMiB: 1_024), duration: hours * hour,
                purpose: "bench", submittedAt: time, nodes: nodes)
        }
        var fill = (0..<capacity).map { request($0, gpus: 1, at: 0) }
        if staggered {
            var order = Array(0..<capacity)
            var rng = SplitMix64(seed: 7)
            order.shuffle(using: &rng)
            for (slot, rank) in order.enumerated() { fill[slot].duration = 24 * hour + Int64(rank) * 10_000 }
        }
        _ = scheduler.handle(.submitBatch(fill), now: 0)
        // A pass starts at most a backfill window's worth; further passes start the rest.
        for _ in 0..<(capacity / scheduler.backfillWindow + 1) where scheduler.running.count < capacity {
            _ = scheduler.handle(.tick, now: 0)
        }
        precondition(scheduler.running.count == capacity, "the machine must be full")
        var batch: [SlotRequest] = []
        for id in capacity..<(capacity + pending) {
            switch mix {
            case .small: batch.append(request(id, gpus: id % 3 + 1, at: Int64(id)))
            case .cluster:
                batch.append(request(id, gpus: id % 3 == 0 ? 1 : 8, nodes: id % 3 == 2 ? 4 : 1, at: Int64(id)))
            }
            if batch.count == 100_000 {
                _ = scheduler.handle(.submitBatch(batch), now: hour)
                batch.removeAll(keepingCapacity: true)
            }
        }
        _ = scheduler.handle(.submitBatch(batch), now: hour)
        precondition(
            scheduler.pendingCount == pending, "every request must be pending: \(scheduler.pendingCount) of \(pending)")
        // Untimed warm-up passes: the first passes after a million inserts pay for cold caches and page faults.
        for pass in 0..<20 { _ = scheduler.handle(.tick, now: hour - 1_000 + Int64(pass)) }
        return scheduler
    }
}
