import SlotCore
import Testing

/// After a restart the daemon replays ended slots into a new scheduler: budgets and fair share must come back as if
/// the scheduler had seen those slots end, so a restart never makes a heavy user look new (Art. 6).
@Suite struct UsageRestoreTests {
    typealias F = SchedulerFixture
    static let day: Int64 = 24 * F.hour

    @Test("Invariant: restored use in the current budget period is charged; use from an earlier period is not")
    func budgetPeriod() {
        let scheduler = F.scheduler()
        let period = F.policy.defaults.budgetPeriod.milliseconds
        let now = 3 * period + F.hour
        scheduler.restoreUsage(account: "bob", gpuHours: 7, endedAt: 2 * period + F.hour)  // earlier period
        scheduler.restoreUsage(account: "bob", gpuHours: 5, endedAt: 3 * period)  // this period
        scheduler.restoreUsage(account: "bob", gpuHours: 4, endedAt: 3 * period + F.hour / 2)
        #expect(scheduler.chargedGPUHours(account: "bob", now: now) == 9)
    }

    @Test("Invariant: restored fair-share use decays by the policy's half-life from when each slot ended")
    func decays() {
        let scheduler = F.scheduler()
        let halfLife = F.policy.fairShare.halfLife.milliseconds
        scheduler.restoreUsage(account: "alice", gpuHours: 8, endedAt: 0)
        scheduler.restoreUsage(account: "alice", gpuHours: 4, endedAt: halfLife)
        // At one half-life: 8 has halved to 4, plus the fresh 4. One half-life later, all of it halves.
        #expect(abs(scheduler.fairShareUsage(account: "alice", now: halfLife) - 8) < 1e-9)
        #expect(abs(scheduler.fairShareUsage(account: "alice", now: 2 * halfLife) - 4) < 1e-9)
        #expect(scheduler.fairShareUsage(account: "carol", now: halfLife) == 0)
    }

    @Test("Invariant: a restored heavy user waits behind a light user of the same category and sector")
    func heavyUserWaits() {
        let scheduler = F.scheduler(nodes: "1x4")
        let now = 10 * Self.day
        scheduler.restoreUsage(account: "alice", gpuHours: 900, endedAt: now - F.hour)
        // Fill the node, then queue alice first and carol second (same class but for fair share).
        #expect(scheduler.handle(.submit(F.request(1, "carol", gpus: 4, at: now)), now: now).started == [1])
        _ = scheduler.handle(.submit(F.request(2, "alice", gpus: 4, at: now)), now: now)
        _ = scheduler.handle(.submit(F.request(3, "carol", gpus: 4, at: now)), now: now)
        #expect(scheduler.handle(.slotEnded(requestID: 1), now: now + 1).started == [3])
    }
}

/// A restart re-queues its pending requests in pages (`.queueBatch`, then `.tick`).
@Suite struct QueueBatchTests {
    typealias F = SchedulerFixture

    @Test(
        "Invariant: pages of .queueBatch then .tick start, order and reject exactly as one .submitBatch, and queue no pass of their own"
    )
    func pagesEqualOneBatch() {
        var requests: [SlotRequest] = []
        for id in 1...40 as ClosedRange<UInt64> {
            let account = ["alice", "bob", "carol"][Int(id) % 3]
            let sector = account == "bob" ? "finance" : (id % 2 == 0 ? "health" : "finance")
            requests.append(
                F.request(
                    id, account, sector: sector, gpus: Int(id % 4) + 1, hours: Int64(id % 5) + 1,
                    at: Int64(id) * 1_000))
        }
        requests.append(F.request(41, "bob", sector: "health"))  // bob's category may not use health: rejected
        let now = 50 * F.hour

        let whole = F.scheduler()
        let wholeActions = whole.handle(.submitBatch(requests), now: now)

        let paged = F.scheduler()
        var pagedActions: [SchedulerAction] = []
        for start in stride(from: 0, to: requests.count, by: 7) {
            let page = paged.handle(.queueBatch(Array(requests[start..<min(start + 7, requests.count)])), now: now)
            #expect(page.started.isEmpty, "a page runs no pass")
            pagedActions += page
        }
        pagedActions += paged.handle(.tick, now: now)

        #expect(!wholeActions.started.isEmpty && !wholeActions.rejections.isEmpty, "the workload exercises both")
        #expect(pagedActions.started == wholeActions.started)
        #expect(pagedActions.rejections == wholeActions.rejections)
        #expect(paged.pendingInOrder(now: now, limit: 100) == whole.pendingInOrder(now: now, limit: 100))
    }

    @Test(
        "Invariant: one batch decides every request exactly as if each came alone, though it works out each account and sector's facts once"
    )
    func batchMemoDecidesAsAlone() {
        let now = 10 * UsageRestoreTests.day
        var requests: [SlotRequest] = []
        for id in 1...60 as ClosedRange<UInt64> {
            let account = ["alice", "bob", "carol", "nobody"][Int(id) % 4]  // nobody has no account
            let sector = ["health", "finance", "mining"][Int(id) % 3]  // mining is not in the policy
            requests.append(
                F.request(
                    id, account, sector: sector, gpus: Int(id % 5), hours: Int64(id % 20),
                    at: Int64(id) * 1_000))
        }
        requests.append(F.request(7, "alice"))  // a duplicate id inside the batch
        func world() -> Scheduler {
            let scheduler = F.scheduler(nodes: "1x4")
            scheduler.restoreUsage(account: "alice", gpuHours: 900, endedAt: now - F.hour)  // a lower fair-share band
            return scheduler
        }

        let batched = world()
        let batchActions = batched.handle(.queueBatch(requests), now: now) + batched.handle(.tick, now: now)
        let alone = world()
        var aloneActions: [SchedulerAction] = []
        for request in requests { aloneActions += alone.handle(.queueBatch([request]), now: now) }
        aloneActions += alone.handle(.tick, now: now)

        let rejected = Set(batchActions.rejections.map { "\($0)".prefix(while: { $0 != "(" }) })
        #expect(rejected.count >= 6, "the batch breaks many different rules: \(rejected.sorted())")
        #expect(batchActions == aloneActions)
        #expect(batched.pendingInOrder(now: now, limit: 100) == alone.pendingInOrder(now: now, limit: 100))
    }
}
