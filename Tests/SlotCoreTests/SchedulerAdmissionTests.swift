import SlotCore
import Testing

/// Admission rejects at once, with every violated rule, any request that could never run.
@Suite struct SchedulerAdmissionTests {
    typealias F = SchedulerFixture

    @Test(
        "Invariant: each admission rule alone rejects with exactly its reason",
        arguments: [
            (F.request(1, "mallory"), "unknown-account"),
            (F.request(1, sector: "mining"), "unknown-sector"),
            (F.request(1, "bob", sector: "health"), "sector-not-allowed"),
            (F.request(1, hours: 49), "duration-over-maximum"),
            (F.request(1, hours: 0), "duration-not-positive"),
            (F.request(1, gpus: 0), "no-cpu"),
            (F.request(1, gpus: 5), "larger-than-any-node"),
            (F.request(1, "bob", sector: "finance", gpus: 3), "over-concurrent-gpu-cap"),
            (F.request(1, "bob", sector: "finance", gpus: 2, hours: 11), "over-period-budget"),
        ] as [(SlotRequest, String)])
    func eachRule(request: SlotRequest, code: String) {
        let actions = F.scheduler().handle(.submit(request), now: 0)
        #expect(actions.rejections.map(\.code) == [code])
    }

    @Test("Invariant: a request breaking several rules gets every reason at once")
    func allReasonsAtOnce() {
        // SME: health not allowed, 13 h over 12 h, 6 GPUs over the cap of 2 and larger than a node, 78 GPU-h > 20.
        let actions = F.scheduler().handle(.submit(F.request(1, "bob", sector: "health", gpus: 6, hours: 13)), now: 0)
        #expect(
            actions.rejections.map(\.code) == [
                "sector-not-allowed", "duration-over-maximum", "larger-than-any-node", "over-concurrent-gpu-cap",
                "over-period-budget",
            ])
    }

    @Test("Invariant: the category comes from the account, never from the request")
    func categoryFromAccount() {
        let scheduler = F.scheduler()
        // bob is an SME; a 13 h slot is over the SME maximum (12 h) even though universities may run 48 h.
        #expect(
            scheduler.handle(.submit(F.request(1, "bob", sector: "finance", hours: 13)), now: 0).rejections
                .map(\.code) == ["duration-over-maximum"])
        _ = scheduler.handle(.accountChanged(Account(name: "bob", category: "uni")), now: 0)
        #expect(scheduler.handle(.submit(F.request(2, "bob", sector: "finance", hours: 13)), now: 0).started == [2])
    }

    @Test("Invariant: a request id cannot be reused while the first is pending or running")
    func duplicateIDs() {
        let scheduler = F.scheduler()
        #expect(scheduler.handle(.submit(F.request(1)), now: 0).started == [1])
        #expect(scheduler.handle(.submit(F.request(1)), now: 0).rejections.map(\.code) == ["duplicate-id"])
    }
}
