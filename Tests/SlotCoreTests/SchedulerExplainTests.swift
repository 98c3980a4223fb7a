import SlotCore
import Testing

/// Explain gives the breakdown, the position, every reason and an upper-bound start.
@Suite struct SchedulerExplainTests {
    typealias F = SchedulerFixture
    let hour = F.hour

    @Test("Invariant: explain lists every reason a request waits, its positions and a planned start")
    func everyReason() throws {
        let scheduler = F.scheduler(nodes: "1x4")
        _ = scheduler.handle(.submit(F.request(1, "bob", sector: "finance", gpus: 2, hours: 3)), now: 0)  // bob at cap
        _ = scheduler.handle(.submit(F.request(2, "alice", gpus: 4, hours: 2)), now: 0)  // reserved at 3 h
        _ = scheduler.handle(.submit(F.request(3, "bob", sector: "finance", gpus: 2, hours: 1)), now: 0)
        let explanation = try #require(scheduler.explain(3, now: 0))
        #expect(explanation.state == .pending)
        #expect(explanation.position == 2 && explanation.positionInClass == 1)
        // It fits now and would end before the reservation: only bob's own cap and the queue hold it.
        #expect(explanation.reasons == [.accountGPUCap(cap: 2, inUse: 2), .requestsAhead(count: 1)])
        // Plan: bob's cap frees at 3 h, when request 2 takes the whole node until 5 h; then 3 starts.
        #expect(explanation.estimatedStart == 5 * hour)
        #expect(explanation.estimateNote.hasPrefix("upper bound"))
        let terms = try #require(explanation.priority?.terms)
        #expect(terms.map(\.kind) == [.sector, .category, .aging, .fairShare])
        #expect(scheduler.explain(1, now: 0)?.state == .running)
        #expect(scheduler.explain(99, now: 0) == nil)
    }

    @Test("Invariant: a request that fits now but would break the reservation says so")
    func reservedReason() throws {
        let scheduler = F.scheduler(nodes: "1x4")
        _ = scheduler.handle(.submit(F.request(1, gpus: 2, hours: 3)), now: 0)
        _ = scheduler.handle(.submit(F.request(2, "carol", gpus: 4, hours: 2)), now: 0)  // reserved at 3 h
        _ = scheduler.handle(.submit(F.request(3, "bob", sector: "finance", gpus: 1, hours: 4)), now: 0)
        let reasons = try #require(scheduler.explain(3, now: 0)?.reasons)
        #expect(reasons.contains(.reservedForHigherPriority(requestID: 2, start: 3 * hour)))
        #expect(
            scheduler.explain(2, now: 0)?.reasons == [
                .needsResources(
                    requested: Resources(gpus: 4, cpus: 8, memoryMiB: 4_096),
                    mostFree: Resources(gpus: 2, cpus: 28, memoryMiB: 256 * 1_024 - 2_048), sizedNodes: 1)
            ])
        #expect(scheduler.explain(2, now: 0)?.estimatedStart == 3 * hour, "the reservation")
    }

    @Test("Invariant: backfill never spends the reserved request's own account limits")
    func sameAccountBackfill() {
        let scheduler = F.scheduler(nodes: "2x4")
        _ = scheduler.handle(.submit(F.request(1, "carol", gpus: 4, hours: 5)), now: 0)
        _ = scheduler.handle(.submit(F.request(2, "carol", gpus: 3, hours: 5)), now: 0)  // node 1 has 1 free
        _ = scheduler.handle(.submit(F.request(3, "alice", gpus: 4, hours: 2)), now: 0)  // reserved for alice
        #expect(scheduler.reservation?.requestID == 3)
        // alice's 1-GPU job would fit on node 1 and end before 5 h, but alice (cap 8) must keep 4 for request 3:
        // 1 + 4 ≤ 8 is fine, so it is backfilled; a 5-GPU total is not possible on this machine anyway.
        #expect(
            scheduler.handle(.submit(F.request(4, "alice", sector: "finance", gpus: 1, hours: 1)), now: 0)
                .backfilled == [4])
        // bob-like limits: an SME account with cap 2, reserved for 2 GPUs, must not backfill 1 more of its own.
        let small = F.scheduler(nodes: "1x4")
        _ = small.handle(.submit(F.request(10, "carol", gpus: 3, hours: 5)), now: 0)
        _ = small.handle(.submit(F.request(11, "bob", sector: "finance", gpus: 2, hours: 2)), now: 0)  // reserved
        #expect(small.reservation?.requestID == 11)
        #expect(
            small.handle(.submit(F.request(12, "bob", sector: "finance", gpus: 1, hours: 1)), now: 0)
                .backfilled.isEmpty, "1 + 2 GPUs would exceed bob's cap of 2 when 11 starts")
    }
}

extension SchedulerExplainTests {
    @Test("Invariant: a waiting request's fair-share band follows its account's decaying usage")
    func rebanding() throws {
        let scheduler = F.scheduler(nodes: "1x4")
        let day = 24 * hour
        // bob (SME, 20 GPU-h per period) uses 2 GPUs for 3 h: 6 GPU-h, 30% of his budget.
        _ = scheduler.handle(.submit(F.request(1, "bob", sector: "finance", gpus: 2, hours: 3)), now: 0)
        _ = scheduler.handle(.slotEnded(requestID: 1), now: 3 * hour)
        // 2 GPUs × 8 h = 16 GPU-h > 14 left: held by the budget, so it stays pending.
        _ = scheduler.handle(
            .submit(F.request(2, "bob", sector: "finance", gpus: 2, hours: 8, at: 3 * hour)),
            now: 3 * hour)
        #expect(try #require(scheduler.explain(2, now: 3 * hour)?.queueClass).band == 1, "30% of budget: band 1")
        // Eight days later (half-life 7 d) the 6 GPU-h count as 2.7, under 25%: the hourly re-band moves it.
        _ = scheduler.handle(.tick, now: 3 * hour + 8 * day)
        let after = try #require(scheduler.explain(2, now: 3 * hour + 8 * day))
        #expect(after.queueClass?.band == 0)
        #expect(after.priority?.terms.last?.points == 0, "the explained fair-share term agrees with the class")
        #expect(scheduler.rebands == 1)
    }
}
