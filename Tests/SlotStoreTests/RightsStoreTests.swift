import Foundation
import SlotProtocol
import SlotStore
import Testing

@Suite("SlotStore: rights and report rows")
struct RightsStoreTests {
    @Test(
        "reportRows holds exactly the requests submitted or started in the period (each once), with the category stored at submit"
    )
    func reportRowsPeriod() throws {
        let (store, directory) = try RequestStoreTests.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let base: Int64 = 1_700_000_000_000
        func request(_ id: Int64, submitted: Int64, account: String = "alice") -> StoredRequest {
            var r = RequestStoreTests.request(id)
            r.submittedAt = base + submitted
            r.account = account
            r.category = id == 4 ? nil : "uni"
            return r
        }
        // 1: submitted before, started inside. 2: submitted inside, never started. 3: submitted inside, started after.
        // 4: submitted and started before (outside). 5: bob's, inside.
        let rows = [
            request(1, submitted: -50), request(2, submitted: 10), request(3, submitted: 20),
            request(4, submitted: -90), request(5, submitted: 30, account: "bob"),
        ]
        try store.insert(rows)
        var changes: [(request: StoredRequest, detail: String, at: Int64)] = []
        for (id, start) in [(1, 5), (3, 150), (4, -80)] as [(Int64, Int64)] {
            var r = rows[Int(id) - 1]
            r.state = .running
            r.startedAt = base + start
            changes.append((r, "started", base + start))
        }
        try store.update(changes)
        let found = try store.reportRows(from: base, to: base + 100, accounts: nil, watts: { $0 == nil ? 0 : 700 })
        #expect(found.map(\.submittedAt).sorted() == [-50, 10, 20, 30].map { base + $0 })
        #expect(found.first { $0.submittedAt == base - 50 }?.gpuWatts == 0, "no node recorded: the closure decides")
        #expect(found.allSatisfy { $0.category == "uni" })
        let alice = try store.reportRows(from: base, to: base + 100, accounts: ["alice"], watts: { _ in 0 })
        #expect(alice.count == 3 && alice.allSatisfy { $0.account == "alice" })
    }

    @Test("contests: open, decide with a re-queue in one transaction, list by account and state, boosts in force")
    func contestsRoundTrip() throws {
        let (store, directory) = try RequestStoreTests.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var rejected = RequestStoreTests.request(1)
        try store.insert([rejected, RequestStoreTests.request(2)])
        rejected.state = .rejected
        try store.update([(rejected, "rejected", 1)])
        let event = AuditEvent(
            actor: "alice", actorUID: 1_000, action: "contest.open", target: "", reason: "why",
            detail: "")
        var first = try store.open(
            StoredContest(
                requestId: 1, account: "alice", uid: 1_000, kind: "rejection",
                reason: "why", openedAt: 10), audit: event)
        var second = try store.open(
            StoredContest(
                requestId: 2, account: "alice", uid: 1_000, kind: "position",
                reason: "why", openedAt: 11), audit: event)
        #expect(first.id == 1 && second.id == 2)
        #expect(try store.openContest(request: 1)?.id == 1)
        first.state = .granted
        first.decidedAt = 20
        rejected.state = .pending
        try store.decide(first, audit: event, requeued: rejected)
        #expect(try store.request(1)?.state == .pending)
        #expect(try store.transitions(of: 1).last?.detail == "re-queued: contest 1 granted")
        second.state = .granted
        second.boost = 300
        second.boostUntil = 100
        try store.decide(second, audit: event)
        #expect(try store.boosts(at: 99).map(\.id) == [2])
        #expect(try store.boosts(at: 100).isEmpty)
        #expect(try store.contests(account: "alice", states: [.granted], limit: 10).map(\.id) == [2, 1])
        #expect(try store.contests(account: "bob", states: [], limit: 10).isEmpty)
        #expect(try store.openContest(request: 1) == nil)
        #expect(try store.verifyAudit().intact && store.verifyAudit().records == 4)
    }
}
