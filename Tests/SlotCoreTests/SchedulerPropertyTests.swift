import SlotCore
import SlotTestSupport
import Testing

/// Properties of the engine on seeded random workloads.
@Suite struct SchedulerPropertyTests {
    typealias F = SchedulerFixture
    static let accounts = ["alice", "bob", "carol"]

    /// A random request: mostly small, sometimes a whole node, for an account and sector it may use.
    static func randomRequest(_ id: UInt64, at now: Int64, using rng: inout SeededRandom) -> SlotRequest {
        let account = accounts.randomElement(using: &rng)!
        let sector = account == "bob" ? "finance" : ["health", "finance"].randomElement(using: &rng)!
        let gpus = account == "bob" ? Int.random(in: 1...2, using: &rng) : [1, 1, 2, 3, 4].randomElement(using: &rng)!
        let maxHours: Int64 = account == "bob" ? 4 : 24
        return F.request(
            id, account, sector: sector, gpus: gpus, hours: Int64.random(in: 1...maxHours, using: &rng),
            at: now)
    }

    @Test("Invariant: backfill never delays a reservation", arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func backfillNeverDelaysReservation(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        let scheduler = F.scheduler(nodes: "3x4")
        var now: Int64 = 0
        var reservationsChecked = 0
        var backfills = 0
        for id in 1...400 as ClosedRange<UInt64> {
            now += Int64.random(in: 0...(F.hour / 2), using: &rng)
            var events: [SchedulerEvent] = [.submit(Self.randomRequest(id, at: now, using: &rng))]
            if let victim = scheduler.running.keys.sorted().randomElement(using: &rng),
                Int.random(in: 0..<4, using: &rng) == 0
            {
                events.append(.slotEnded(requestID: victim))  // some slots end early
            }
            for event in events {
                let actions = scheduler.handle(event, now: now)
                backfills += actions.backfilled.count
                guard let reserved = scheduler.reservation else { continue }
                reservationsChecked += 1
                // The plan made before backfilling promised `reserved.start`; with everything started in this pass
                // running to its hard end, the reserved request must still be able to start by then.
                let after = scheduler.earliestStart(for: reserved.resources, now: now)
                #expect(
                    after != nil && after!.start <= reserved.start,
                    "seed \(seed): request \(reserved.requestID) reserved at \(reserved.start), now \(after?.start ?? -1)"
                )
            }
        }
        #expect(reservationsChecked > 50, "the workload must make reservations")
        #expect(backfills > 5, "and backfill around them")
    }

    @Test(
        "Invariant: a reserved request starts no later than its reservation when slots run to their hard ends",
        arguments: [11, 12, 13, 14] as [UInt64])
    func reservationsAreKept(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        // One account per request, so no account limit holds anyone back: only backfill could break a promise.
        let accounts = (1...60).map { Account(name: "u\($0)", category: "uni") }
        let scheduler = Scheduler(policy: F.policy, inventory: Inventory(spec: "2x4")!, accounts: accounts)
        // Submit a burst at time 0, then only let time pass: no new arrivals can overtake the reserved request.
        for id in 1...60 as ClosedRange<UInt64> {
            var request = Self.randomRequest(id, at: 0, using: &rng)
            request.account = "u\(id)"
            _ = scheduler.handle(.submit(request), now: 0)
        }
        var promised: [UInt64: Int64] = [:]
        var startedAt: [UInt64: Int64] = [:]
        var now: Int64 = 0
        while scheduler.pendingCount > 0, let deadline = scheduler.nextDeadline {
            now = deadline
            for action in scheduler.handle(.tick, now: now) {
                if case .start(let slot, _) = action { startedAt[slot.requestID] = slot.start }
            }
            if let reserved = scheduler.reservation, promised[reserved.requestID] == nil {
                promised[reserved.requestID] = reserved.start
            }
        }
        #expect(promised.count > 3)
        for (id, promise) in promised {
            #expect(startedAt[id].map { $0 <= promise } ?? false, "request \(id) promised \(promise)")
        }
    }
}
