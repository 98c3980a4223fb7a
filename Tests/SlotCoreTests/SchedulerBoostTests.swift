import SlotCore
import Testing

/// A granted contest's boost (Art. 7.2) moves one pending request by a bounded amount for a bounded time, shows as
/// its own term in Explain, and never loses or duplicates a request in the served order.
@Suite struct SchedulerBoostTests {
    typealias F = SchedulerFixture
    let hour = F.hour

    /// One node, fully used by request 1 for an hour; 2 (bob, finance: base 0) and 3 (alice, health: base 300) wait.
    func blocked() -> Scheduler {
        let scheduler = F.scheduler(nodes: "1x4")
        _ = scheduler.handle(.submit(F.request(1, "carol", gpus: 4, hours: 1)), now: 0)
        _ = scheduler.handle(.submit(F.request(2, "bob", sector: "finance", gpus: 2, hours: 1)), now: 0)
        _ = scheduler.handle(.submit(F.request(3, "alice", gpus: 4, hours: 1)), now: 0)
        return scheduler
    }

    @Test("Invariant: a boost above the gap puts the boosted request first, and it starts first")
    func boostReorders() throws {
        let scheduler = blocked()
        #expect(scheduler.pendingInOrder(now: 0, limit: 10) == [3, 2])
        let boost = Boost(points: 400, until: 10 * hour, detail: "contest 1 granted")
        #expect(
            !scheduler.handle(.boost(requestID: 2, boost), now: 0).contains {
                if case .ignored = $0 { true } else { false }
            })
        #expect(scheduler.pendingInOrder(now: 0, limit: 10) == [2, 3])
        let explanation = try #require(scheduler.explain(2, now: 0))
        #expect(explanation.position == 1)
        let terms = try #require(explanation.priority?.terms)
        #expect(terms.map(\.kind) == [.sector, .category, .aging, .fairShare, .boost])
        #expect(terms.last?.points == 400)
        #expect(explanation.priority?.total == terms.reduce(0) { $0 + $1.points })
        #expect(explanation.priority?.total == 400)
        // When the node frees, the boosted request is the one that starts.
        #expect(scheduler.handle(.slotEnded(requestID: 1), now: hour / 2).started == [2])
    }

    @Test("Invariant: a boost ends at its time, the order returns, and the scheduler is woken for it")
    func boostExpires() throws {
        let scheduler = blocked()
        _ = scheduler.handle(.boost(requestID: 2, Boost(points: 400, until: hour / 4, detail: "contest")), now: 0)
        #expect(scheduler.nextWakeup(after: 0) == hour / 4)
        #expect(scheduler.pendingInOrder(now: hour / 4 - 1, limit: 10) == [2, 3])
        #expect(scheduler.pendingInOrder(now: hour / 4, limit: 10) == [3, 2])
        let terms = try #require(scheduler.explain(2, now: hour / 4)?.priority?.terms)
        #expect(!terms.contains { $0.kind == .boost })
    }

    @Test("Invariant: only pending requests can be boosted; a boost goes with its request and survives a re-rank")
    func boostLifecycle() throws {
        let scheduler = blocked()
        let running = scheduler.handle(.boost(requestID: 1, Boost(points: 100, until: nil, detail: "x")), now: 0)
        #expect(running.contains { if case .ignored = $0 { true } else { false } })
        _ = scheduler.handle(.boost(requestID: 2, Boost(points: 400, until: nil, detail: "x")), now: 0)
        _ = scheduler.handle(.policyApplied(F.policy), now: 1)
        #expect(scheduler.pendingInOrder(now: 1, limit: 10) == [2, 3])
        _ = scheduler.handle(.boost(requestID: 2, nil), now: 2)
        #expect(scheduler.pendingInOrder(now: 2, limit: 10) == [3, 2])
        _ = scheduler.handle(.boost(requestID: 2, Boost(points: 400, until: nil, detail: "x")), now: 3)
        _ = scheduler.handle(.cancel(requestID: 2), now: 4)
        #expect(scheduler.boost(of: 2, now: 4) == nil)
        #expect(scheduler.pendingInOrder(now: 4, limit: 10) == [3])
    }

    @Test(
        "Invariant: with random boosts the served order holds every pending request once, by falling score, each boosted request exactly its boost above its plain score"
    )
    func mergedOrderIsExact() throws {
        var random = SplitMix64(seed: 7)
        for _ in 0..<20 {
            let plain = F.scheduler(nodes: "1x1"), boosted = F.scheduler(nodes: "1x1")
            var ids: [UInt64] = []
            var at: Int64 = 0  // submits arrive in time order, as in the daemon (the class FIFO serves arrival order)
            for scheduler in [plain, boosted] {
                _ = scheduler.handle(.submit(F.request(1, "carol", gpus: 1, hours: 40)), now: 0)
            }
            for id in UInt64(2)...41 {
                let account = ["alice", "bob", "carol"][Int(random.next() % 3)]
                let sector = account == "bob" ? "finance" : ["health", "finance"][Int(random.next() % 2)]
                at += Int64(random.next() % 3) * hour / 4
                for scheduler in [plain, boosted] {
                    _ = scheduler.handle(.submit(F.request(id, account, sector: sector, gpus: 1, at: at)), now: at)
                }
                ids.append(id)
            }
            var points: [UInt64: Int64] = [:]
            for id in ids where random.next() % 4 == 0 {
                let until: Int64? = random.next() % 2 == 0 ? nil : Int64(10 + random.next() % 10) * hour
                let boost = Boost(points: Int64(random.next() % 500), until: until, detail: "random")
                _ = boosted.handle(.boost(requestID: id, boost), now: 10 * hour)
                if boost.isActive(at: 15 * hour) { points[id] = boost.points }
            }
            let now = 15 * hour
            let ranked = boosted.rankedPending(now: now, limit: 1_000)
            #expect(ranked.map(\.item.id).sorted() == ids)
            #expect(zip(ranked, ranked.dropFirst()).allSatisfy { !$1.precedes($0) })
            let plainScores = Dictionary(
                uniqueKeysWithValues: plain.rankedPending(now: now, limit: 1_000)
                    .map { ($0.item.id, $0.score) })
            for item in ranked {
                #expect(item.score - (plainScores[item.item.id] ?? 0) == (points[item.item.id] ?? 0) * hour)
            }
        }
    }
}
