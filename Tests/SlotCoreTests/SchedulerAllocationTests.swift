import SlotCore
import Testing

/// Allocation: highest priority first, best-fit packing, EASY backfill around one reservation, hard ends.
@Suite struct SchedulerAllocationTests {
    typealias F = SchedulerFixture
    let hour = F.hour

    @Test("Invariant: small requests pack onto the fullest node that fits, keeping whole nodes free")
    func packing() {
        let scheduler = F.scheduler()
        let first = scheduler.handle(.submit(F.request(1, gpus: 3)), now: 0).slots
        let second = scheduler.handle(.submit(F.request(2, gpus: 1)), now: 0).slots
        #expect(first.map(\.node) == [0] && first.first?.gpuIndices == [0, 1, 2])
        #expect(second.map(\.node) == [0] && second.first?.gpuIndices == [3], "packed next to the 3-GPU slot")
        #expect(scheduler.handle(.submit(F.request(3, gpus: 4)), now: 0).slots.map(\.node) == [1], "node 1 kept whole")
    }

    @Test("Invariant: when the top request does not fit, it gets a reservation at the earliest hard end")
    func reservation() {
        let scheduler = F.scheduler()
        _ = scheduler.handle(.submit(F.request(1, gpus: 4, hours: 5)), now: 0)
        _ = scheduler.handle(.submit(F.request(2, "carol", gpus: 4, hours: 3)), now: 0)
        let actions = scheduler.handle(.submit(F.request(3, gpus: 4, hours: 2)), now: 0)
        #expect(actions.started.isEmpty)
        #expect(actions.contains(.estimate(requestID: 3, at: 3 * hour)))
        #expect(
            scheduler.reservation
                == Reservation(
                    requestID: 3, nodes: [1], start: 3 * hour,
                    resources: Resources(gpus: 4, cpus: 8, memoryMiB: 4_096)))
    }

    @Test("Invariant: a lower request is backfilled if it ends before the reservation, and not if it would delay it")
    func backfillOnlyWhenHarmless() {
        let scheduler = F.scheduler()
        _ = scheduler.handle(.submit(F.request(1, gpus: 4, hours: 5)), now: 0)  // node 0 until 5 h
        _ = scheduler.handle(.submit(F.request(2, "carol", gpus: 2, hours: 3)), now: 0)  // node 1 until 3 h
        // 3 needs a whole node: reserved on node 1 at 3 h. Node 1 has 2 GPUs free until then.
        _ = scheduler.handle(.submit(F.request(3, gpus: 4, hours: 2, at: 0)), now: 0)
        #expect(scheduler.reservation?.requestID == 3)
        // Lower priority (finance, sme): 2 GPUs for 4 h would still hold node 1 at 3 h: refused.
        let long = scheduler.handle(.submit(F.request(4, "bob", sector: "finance", gpus: 1, hours: 4)), now: 0)
        #expect(long.started.isEmpty)
        // 2 GPUs for 2 h end before 3 h: backfilled.
        let short = scheduler.handle(.submit(F.request(5, "carol", sector: "finance", gpus: 2, hours: 2)), now: 0)
        #expect(short.backfilled == [5])
        #expect(scheduler.earliestStart(for: Resources(gpus: 4, cpus: 8, memoryMiB: 4_096), now: 0)?.start == 3 * hour)
    }

    @Test("Invariant: a backfill on another node than the reservation may run past the reserved start")
    func backfillOnOtherNode() {
        let scheduler = F.scheduler(nodes: "1x4,1x2")
        _ = scheduler.handle(.submit(F.request(1, gpus: 3, hours: 5)), now: 0)  // node 0 (4 GPUs), 1 free
        _ = scheduler.handle(.submit(F.request(2, gpus: 4, hours: 1)), now: 0)  // only node 0 can hold it: reserved
        #expect(scheduler.reservation?.node == 0)
        // 2 GPUs for 10 h only fit on node 1, which the reservation does not use.
        let actions = scheduler.handle(.submit(F.request(3, "carol", sector: "finance", gpus: 2, hours: 10)), now: 0)
        #expect(actions.backfilled == [3])
        #expect(actions.slots.first?.node == 1)
    }

    @Test("Invariant: every slot expires at its hard end, and its resources go to the next request")
    func expiry() {
        let scheduler = F.scheduler(nodes: "1x4")
        _ = scheduler.handle(.submit(F.request(1, gpus: 4, hours: 2)), now: 0)
        _ = scheduler.handle(.submit(F.request(2, gpus: 4, hours: 1)), now: hour)
        #expect(scheduler.nextDeadline == 2 * hour)
        #expect(scheduler.handle(.tick, now: 2 * hour - 1).isEmpty == false, "still an estimate, no expiry")
        let actions = scheduler.handle(.tick, now: 2 * hour)
        #expect(actions.contains { if case .expire(let slot) = $0 { slot.requestID == 1 } else { false } })
        #expect(actions.started == [2])
    }

    @Test("Invariant: a request waits while its account is at its GPU cap, and starts when a slot ends")
    func accountCap() {
        let scheduler = F.scheduler()
        #expect(scheduler.handle(.submit(F.request(1, "bob", sector: "finance", gpus: 2)), now: 0).started == [1])
        #expect(scheduler.handle(.submit(F.request(2, "bob", sector: "finance", gpus: 1)), now: 0).started.isEmpty)
        #expect(scheduler.explain(2, now: 0)?.reasons.contains(.accountGPUCap(cap: 2, inUse: 2)) == true)
        #expect(scheduler.handle(.slotEnded(requestID: 1), now: hour / 2).started == [2])
    }

    @Test("Invariant: budgets are charged on actual use; a request waits while the budget cannot cover it")
    func budget() {
        let scheduler = F.scheduler()
        // bob (SME): 20 GPU-h per 30 days. 2 GPUs × 8 h = 16 GPU-h committed.
        #expect(
            scheduler.handle(.submit(F.request(1, "bob", sector: "finance", gpus: 2, hours: 8)), now: 0).started == [1])
        // Another 2 × 4 h = 8 GPU-h does not fit in the 4 left while 1 may still use its 16.
        #expect(
            scheduler.handle(.submit(F.request(2, "bob", sector: "finance", gpus: 2, hours: 4)), now: 0).started.isEmpty
        )
        // 1 ends after 1 h: charged 2 GPU-h only, so 18 are left and 2 starts.
        #expect(scheduler.handle(.slotEnded(requestID: 1), now: hour).started == [2])
    }

    @Test("Invariant: cancelling a pending request removes it; cancelling a running one stops it")
    func cancel() {
        let scheduler = F.scheduler(nodes: "1x4")
        _ = scheduler.handle(.submit(F.request(1, gpus: 4)), now: 0)
        _ = scheduler.handle(.submit(F.request(2, gpus: 4)), now: 0)
        #expect(scheduler.handle(.cancel(requestID: 2), now: 0).contains(.cancelled(requestID: 2)))
        let stop = scheduler.handle(.cancel(requestID: 1), now: 0)
        #expect(stop.contains { if case .stop(let slot) = $0 { slot.requestID == 1 } else { false } })
        #expect(
            scheduler.handle(.cancel(requestID: 1), now: 0)
                == [.ignored(reason: "request 1 is neither pending nor running")])
        #expect(scheduler.pendingCount == 0 && scheduler.running.isEmpty)
    }
}

extension SchedulerAllocationTests {
    @Test("Invariant: the next deadline is always a running slot's hard end, never one of a slot that ended early")
    func noStaleDeadlines() {
        let scheduler = F.scheduler()
        _ = scheduler.handle(.submit(F.request(1, hours: 2)), now: 0)
        _ = scheduler.handle(.submit(F.request(2, "carol", hours: 5)), now: 0)
        _ = scheduler.handle(.slotEnded(requestID: 1), now: hour)
        #expect(scheduler.nextDeadline == 5 * hour)
        _ = scheduler.handle(.slotEnded(requestID: 2), now: hour)
        #expect(scheduler.nextDeadline == nil)
        #expect(scheduler.nextWakeup(after: hour) == nil, "nothing running, nothing pending: no wake-up")
    }
}

extension SchedulerAllocationTests {
    @Test("Invariant: a policy change re-ranks pending requests and rejects, with reasons, those it now forbids")
    func policyChange() throws {
        let scheduler = F.scheduler(nodes: "1x4")
        _ = scheduler.handle(.submit(F.request(1, gpus: 4, hours: 2)), now: 0)  // running
        _ = scheduler.handle(.submit(F.request(2, "bob", sector: "finance", gpus: 1, hours: 1)), now: 0)
        _ = scheduler.handle(.submit(F.request(3, "carol", sector: "finance", gpus: 1, hours: 1)), now: 0)
        _ = scheduler.handle(.submit(F.request(4, "carol", sector: "health", gpus: 1, hours: 1)), now: 0)
        #expect(scheduler.pendingInOrder(now: 0, limit: 10) == [4, 3, 2], "uni before sme; health before finance")
        // New policy: finance is worth most, and SMEs may no longer use it.
        var policy = F.policy
        policy.sectors = [
            Sector(id: "health", name: "Health", weight: 0), Sector(id: "finance", name: "Finance", weight: 500),
        ]
        let sme = try #require(policy.categories.firstIndex { $0.id == "sme" })
        policy.categories[sme].sectors = ["health"]
        let actions = scheduler.handle(.policyApplied(policy), now: 0)
        #expect(actions.rejections.map(\.code) == ["sector-not-allowed"])
        #expect(actions.contains { if case .reject(2, _) = $0 { true } else { false } })
        #expect(scheduler.pendingInOrder(now: 0, limit: 10) == [3, 4], "re-ranked, nothing else lost")
        #expect(scheduler.running.keys.sorted() == [1], "running slots are untouched")
    }
}
