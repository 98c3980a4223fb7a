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
        scheduler.restoreUsage(account: "bob", gpuHours: 5, endedAt: 3 * period)            // this period
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
