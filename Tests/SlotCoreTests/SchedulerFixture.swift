import SlotCore

/// A small world for scheduler tests: 2 nodes × 4 GPUs, two sectors, two categories, hours as the time unit.
enum SchedulerFixture {
    static let hour: Int64 = 3_600_000

    static let policy = Policy(
        effective: "2026-12-01",
        sectors: [
            Sector(id: "health", name: "Health", weight: 100), Sector(id: "finance", name: "Finance", weight: 0),
        ],
        categories: [
            ApplicantCategory(
                id: "uni", name: "Universities", weight: 200, maxDuration: .hours(48),
                maxConcurrentGPUs: 8, gpuHoursPerPeriod: 1_000, sectors: ["*"]),
            ApplicantCategory(
                id: "sme", name: "SMEs", weight: 0, maxDuration: .hours(12), maxConcurrentGPUs: 2,
                gpuHoursPerPeriod: 20, sectors: ["finance"]),
        ],
        aging: AgingRule(pointsPerHour: 10, cap: 400),
        fairShare: FairShareRule(weight: 100, halfLife: .days(7))
    )

    static let accounts = [
        Account(name: "alice", category: "uni"), Account(name: "bob", category: "sme"),
        Account(name: "carol", category: "uni"),
    ]

    static func scheduler(nodes: String = "2x4") -> Scheduler {
        Scheduler(policy: policy, inventory: Inventory(spec: nodes)!, accounts: accounts)
    }

    static func request(
        _ id: UInt64, _ account: String = "alice", sector: String = "health", gpus: Int = 1,
        hours: Int64 = 1, at time: Int64 = 0
    ) -> SlotRequest {
        SlotRequest(
            id: id, account: account, sector: sector,
            resources: Resources(gpus: gpus, cpus: gpus * 2, memoryMiB: gpus * 1_024),
            duration: hours * hour, purpose: "test", submittedAt: time)
    }
}

extension [SchedulerAction] {
    var started: [UInt64] { compactMap { if case .start(let slot, _) = $0 { slot.requestID } else { nil } } }
    var backfilled: [UInt64] {
        compactMap { if case .start(let slot, true) = $0 { slot.requestID } else { nil } }
    }
    var slots: [Slot] { compactMap { if case .start(let slot, _) = $0 { slot } else { nil } } }
    var rejections: [Rejection] {
        flatMap { action -> [Rejection] in
            if case .reject(_, let reasons) = action { return reasons }
            return []
        }
    }
}
