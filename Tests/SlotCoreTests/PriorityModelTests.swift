import SlotCore
import SlotQueue
import SlotTestSupport
import Testing

/// The priority formula: its terms, its monotonicity, and agreement between the model and the queue core.
@Suite struct PriorityModelTests {
    static let hour = PriorityModel.millisecondsPerHour
    static let seeds: [UInt64] = [1, 7, 99, 1234, 2026]

    static let policy = Policy(
        effective: "2026-12-01",
        sectors: [
            Sector(id: "health", name: "Health", weight: 300), Sector(id: "finance", name: "Finance", weight: 100),
        ],
        categories: [
            ApplicantCategory(
                id: "uni", name: "Universities", weight: 500, maxDuration: .hours(24),
                maxConcurrentGPUs: 8, gpuHoursPerPeriod: 100, sectors: ["*"])
        ],
        aging: AgingRule(pointsPerHour: 20, cap: 400),
        fairShare: FairShareRule(weight: 200, halfLife: .days(7))
    )

    @Test("Invariant: the total is the sum of the sector, category, aging and fair-share terms, each explained")
    func breakdownTerms() throws {
        let model = PriorityModel(policy: Self.policy)
        let request = PriorityInputs(requestID: 1, category: "uni", sector: "health", submittedAt: 0, usageGPUHours: 60)
        let result = try model.breakdown(of: request, now: 3 * Self.hour + Self.hour / 2)
        #expect(result.terms.map(\.kind) == [.sector, .category, .aging, .fairShare])
        #expect(result.terms.map(\.points) == [300, 500, 70, -100])  // 3.5 h × 20; 60/100 = band 2 → −200 × 2/4
        #expect(result.total == 770)
        #expect(result.terms[2].detail == "waited 3h30m × 20/h, cap 400")
        #expect(result.terms[3].detail == "usage 60 GPU-h = 60% of 100 GPU-h budget, band 2/4 × 200")
        let capped = try model.breakdown(of: request, now: 100 * Self.hour)
        #expect(capped.terms[2].points == 400)
    }

    @Test("Invariant: a request for a sector its category may not use has no class and no priority")
    func disallowedSector() {
        var policy = Self.policy
        policy.categories[0].sectors = ["health"]
        let model = PriorityModel(policy: policy)
        let request = PriorityInputs(requestID: 1, category: "uni", sector: "finance", submittedAt: 0)
        #expect(throws: PriorityModel.BreakdownError.sectorNotAllowed(category: "uni", sector: "finance")) {
            try model.breakdown(of: request, now: 0)
        }
        #expect(model.classIndex(category: "uni", sector: "finance", band: 0) == nil)
    }

    @Test("Invariant: priority never decreases as a request waits", arguments: seeds)
    func monotoneInWait(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        for _ in 0..<50 {
            let model = PriorityModel(policy: RandomPolicy.make(using: &rng))
            let request = RandomPolicy.request(1, in: model, at: 0, using: &rng)
            var previous = Int64.min
            var now: Int64 = 0
            for _ in 0..<100 {
                now += Int64.random(in: 0...(4 * Self.hour), using: &rng)
                let total = try model.breakdown(of: request, now: now).total
                #expect(total >= previous)
                previous = total
            }
        }
    }

    @Test(
        """
        Invariant: two requests' order changes only as the formula says: the older one's lead is constant while \
        neither is capped, shrinks only while the older alone is capped, and is the static difference once both are
        """,
        arguments: seeds
    )
    func relativeOrderFollowsFormula(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        for _ in 0..<50 {
            let model = PriorityModel(policy: RandomPolicy.make(using: &rng))
            let cap = model.policy.aging.cap * Self.hour  // in point-milliseconds, like the score
            let older = RandomPolicy.request(1, in: model, at: 0, using: &rng)
            let newer = RandomPolicy.request(
                2, in: model, at: Int64.random(in: 0...(10 * Self.hour), using: &rng),
                using: &rng)
            // Scores at each request's own submit time are its static part (aging 0), in point-milliseconds.
            let staticLead =
                try model.breakdown(of: older, now: older.submittedAt).score
                - model.breakdown(of: newer, now: newer.submittedAt).score
            var previousLead = Int64.max
            var previousUncapped = false
            var now = newer.submittedAt
            for _ in 0..<100 {
                now += Int64.random(in: 0...Self.hour, using: &rng)
                let a = try model.breakdown(of: older, now: now)
                let b = try model.breakdown(of: newer, now: now)
                let lead = a.score - b.score
                let agingA = model.agingCurve.score(base: 0, waited: now - older.submittedAt)
                let agingB = model.agingCurve.score(base: 0, waited: now - newer.submittedAt)
                #expect(lead == staticLead + agingA - agingB, "the lead is exactly the formula's")
                #expect(lead <= previousLead, "the older request gained: only the cap changes a lead, downward")
                let uncapped = agingA < cap
                if uncapped && previousUncapped { #expect(lead == previousLead, "uncapped: both age at one rate") }
                if agingA == cap && agingB == cap { #expect(lead == staticLead, "both capped: static difference") }
                let served =
                    lead > 0 || (lead == 0 && older.submittedAt < newer.submittedAt)
                    || (lead == 0 && older.submittedAt == newer.submittedAt)
                #expect(a.precedes(b) == served)
                previousLead = lead
                previousUncapped = uncapped
            }
        }
    }

    @Test(
        "Invariant: the queue core serves requests in exactly the order the priority model ranks them",
        arguments: seeds)
    func queueAgreesWithModel(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let model = PriorityModel(policy: RandomPolicy.make(using: &rng))
        let queue = SlotQueue(capacity: 512, bases: model.bases, aging: model.agingCurve, perClassCapacity: 512)
        var pending: [UInt64: PriorityInputs] = [:]
        var now: Int64 = 0
        for id in 1...400 as ClosedRange<UInt64> {
            now += Int64.random(in: 0...(Self.hour / 2), using: &rng)
            let request = RandomPolicy.request(id, in: model, at: now, using: &rng)
            let ranked = try model.breakdown(of: request, now: now)
            _ = try queue.push(QueueItem(id: id, submittedAt: now, classIndex: ranked.classIndex)).get()
            pending[id] = request
            if Int.random(in: 0..<3, using: &rng) == 0 {
                let expected = try pending.values.map { try model.breakdown(of: $0, now: now) }
                    .min { $0.precedes($1) }
                let taken = try #require(queue.takeBest(now: now))
                #expect(taken.item.id == expected?.requestID)
                #expect(taken.priority == expected?.total)
                pending[taken.item.id] = nil
            }
        }
    }
}
