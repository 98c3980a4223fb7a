import SlotCore
import Testing

/// Projects' awards (Art. 25.1): GPU-hours within a window, in the awarded sectors.
@Suite struct SchedulerAwardTests {
    typealias F = SchedulerFixture
    let h = F.hour
    static let h = F.hour

    /// A scheduler with project `p` (category sme, which alone may not use health) awarded `hours` GPU-hours in
    /// health and finance from hour 10 to hour 20.
    static func scheduler(hours: Double = 10) -> Scheduler {
        let scheduler = F.scheduler()
        let award = Award(gpuHours: hours, opens: 10 * h, closes: 20 * h, sectors: ["finance"])
        _ = scheduler.handle(.accountChanged(Account(name: "project:p", category: "uni", award: award)), now: 0)
        return scheduler
    }

    @Test(
        "Invariant: outside the window, in a sector not awarded, or beyond the award, a request is refused with every reason"
    )
    func admission() {
        let scheduler = Self.scheduler()
        let early = scheduler.handle(.submit(F.request(1, "project:p", sector: "finance", at: 5 * h)), now: 5 * h)
        #expect(early.rejections.map(\.code) == ["project-window-not-open"])
        let late = scheduler.handle(.submit(F.request(2, "project:p", sector: "finance", at: 20 * h)), now: 20 * h)
        #expect(late.rejections.map(\.code) == ["project-window-closed"])
        let wrong = scheduler.handle(
            .submit(F.request(3, "project:p", sector: "health", gpus: 4, hours: 3, at: 11 * h)), now: 11 * h)
        #expect(wrong.rejections.map(\.code) == ["sector-not-in-project", "award-exceeded"])
        let fits = scheduler.handle(
            .submit(F.request(4, "project:p", sector: "finance", gpus: 2, hours: 2, at: 11 * h)), now: 11 * h)
        #expect(fits.started == [4])
    }

    @Test("Invariant: running slots count in full; what would overrun the award waits, and starts when use frees it")
    func runningCountsInFull() {
        let scheduler = Self.scheduler(hours: 10)
        #expect(
            scheduler.handle(
                .submit(F.request(1, "project:p", sector: "finance", gpus: 4, hours: 2, at: 11 * h)), now: 11 * h
            ).started == [1])
        // 8 of 10 committed: a 4 GPU-hour request is refused (4 > 2 left).
        let over = scheduler.handle(
            .submit(F.request(2, "project:p", sector: "finance", gpus: 2, hours: 2, at: 11 * h)), now: 11 * h)
        #expect(over.rejections.map(\.code) == ["award-exceeded"])
        // Ended after one hour: 4 used, 6 left.
        _ = scheduler.handle(.slotEnded(requestID: 1), now: 12 * h)
        #expect(scheduler.awardUse(account: "project:p")?.used == 4)
        #expect(
            scheduler.handle(
                .submit(F.request(3, "project:p", sector: "finance", gpus: 2, hours: 3, at: 12 * h)), now: 12 * h
            ).started == [3])
    }

    @Test("Invariant: no slot outlives its project's window; at the close, pending requests are rejected")
    func windowClose() {
        let scheduler = Self.scheduler(hours: 1_000)
        let started = scheduler.handle(
            .submit(F.request(1, "project:p", sector: "finance", gpus: 4, hours: 8, at: 18 * h)), now: 18 * h)
        #expect(started.slots.first?.end == 20 * h, "clamped to the close, not 26 h")
        let queued = scheduler.handle(
            .submit(F.request(2, "project:p", sector: "finance", gpus: 4, hours: 1, at: 18 * h)), now: 18 * h)
        let third = scheduler.handle(
            .submit(F.request(3, "project:p", sector: "finance", gpus: 4, hours: 1, at: 18 * h)), now: 18 * h)
        #expect(queued.started.count + third.started.count == 1, "one more fits the other node")
        #expect(scheduler.nextWakeup(after: 18 * h).map { $0 <= 20 * h } == true, "woken by the close at the latest")
        let closed = scheduler.handle(.tick, now: 20 * h)
        #expect(closed.rejections.map(\.code) == ["project-window-closed"])
        #expect(scheduler.pendingCount == 0)
    }

    @Test("Invariant: an extension (a later close) lets the project's requests in again")
    func extensionReopens() {
        let scheduler = Self.scheduler()
        #expect(
            scheduler.handle(.submit(F.request(1, "project:p", sector: "finance", at: 21 * h)), now: 21 * h).rejections
                .map(\.code) == ["project-window-closed"])
        let longer = Award(gpuHours: 10, opens: 10 * h, closes: 30 * h, sectors: ["finance"])
        _ = scheduler.handle(.accountChanged(Account(name: "project:p", category: "uni", award: longer)), now: 21 * h)
        #expect(
            scheduler.handle(.submit(F.request(2, "project:p", sector: "finance", at: 21 * h)), now: 21 * h).started
                == [2])
    }
}
