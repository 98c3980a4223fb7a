import Foundation
import GRDB
import SlotProtocol
import SlotStore
import SlotTestSupport
import Testing

/// `SlotStore.listPage` writes List pages from the rows straight to JSON, skipping `StoredRequest` and
/// `RequestInfo`. Invariant: its frame is byte for byte the frame of the values it skips, and Foundation reads
/// those values back from it.
@Suite("SlotStore: List pages written from the rows")
struct ListPageTests {
    static let awkward = [
        "", "plain", "with \"quotes\"", "back\\slash", "a/b", "tab\t", "line\n", "\u{01}", "Алматы",
        "数据 🚀", "\u{2028}",
    ]
    static let nodeNames = ["gpu-a", "gpu-b"]

    /// Requests in every state, with every optional field set or not, written both ways the daemon writes them:
    /// the hand-bound insert, then GRDB's record update for the lifecycle fields.
    static func populate(_ store: SlotStore, count: Int, seed: UInt64) throws -> [StoredRequest] {
        var rng = SeededRandom(seed: seed)
        func text() -> String {
            (0..<Int.random(in: 0...3, using: &rng)).map { _ in awkward.randomElement(using: &rng) ?? "" }.joined(
                separator: " ")
        }
        var requests: [StoredRequest] = []
        for id in 1...Int64(count) {
            var r = StoredRequest(
                id: id, uid: Int64.random(in: 1_000...1_003, using: &rng), gid: 100, account: text(), sector: text(),
                gpus: Int.random(in: 0...8, using: &rng), cpus: Int.random(in: 1...64, using: &rng),
                memoryMiB: Int.random(in: 1...1_000_000, using: &rng),
                durationMs: Int64.random(in: 0...999_999_999, using: &rng),
                purpose: text(), command: (0..<Int.random(in: 0...4, using: &rng)).map { _ in text() },
                workingDirectory: text(), environment: ["K": text()], submittedAt: 1_700_000_000_000 + id)
            r.network = Bool.random(using: &rng)
            if Bool.random(using: &rng) { r.gpuTypes = (0..<Int.random(in: 1...3, using: &rng)).map { _ in text() } }
            if Int.random(in: 0..<4, using: &rng) == 0 { r.nodes = Int.random(in: 2...4, using: &rng) }
            requests.append(r)
        }
        try store.insert(requests)
        var changes: [(request: StoredRequest, detail: String, at: Int64)] = []
        for index in requests.indices where Bool.random(using: &rng) {
            var r = requests[index]
            r.state = RequestState.allCases.randomElement(using: &rng) ?? .running
            r.startedAt = Bool.random(using: &rng) ? Int64.random(in: 0...Int64.max, using: &rng) : nil
            r.endedAt = Bool.random(using: &rng) ? Int64.random(in: 0...Int64.max, using: &rng) : nil
            r.outcome = Bool.random(using: &rng) ? text() : nil
            r.exitCode = Bool.random(using: &rng) ? Int.random(in: -255...255, using: &rng) : nil
            r.reasons = Bool.random(using: &rng) ? [Reason(code: text(), message: text())] : nil
            r.node = Bool.random(using: &rng) ? Int.random(in: 0...3, using: &rng) : nil  // 2 and 3 have no name
            r.gpuIndices = Bool.random(using: &rng) ? [Int.random(in: 0...7, using: &rng)] : nil
            if r.nodes > 1, Bool.random(using: &rng) {
                r.gang = (1..<r.nodes).map { _ in
                    [Int.random(in: 0...3, using: &rng), Int.random(in: 0...7, using: &rng)]
                }
            }
            r.logFile = Bool.random(using: &rng) ? text() : nil
            requests[index] = r
            changes.append((r, "test", 1))
        }
        try store.update(changes)
        return requests
    }

    @Test("a page is byte for byte the frame of its requests' infos, for every filter, size and continues")
    func pagesMatchTheValuePath() throws {
        let (store, directory) = try RequestStoreTests.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try Self.populate(store, count: 300, seed: 0x1157)
        var rng = SeededRandom(seed: 0xFA6E)
        for round in 0..<60 {
            let states = Array(RequestState.allCases.shuffled(using: &rng).prefix(Int.random(in: 1...8, using: &rng)))
            let uid: Int64? = Bool.random(using: &rng) ? Int64.random(in: 1_000...1_003, using: &rng) : nil
            let before: Int64? = Bool.random(using: &rng) ? Int64.random(in: 1...301, using: &rng) : nil
            let limit = Int.random(in: 1...120, using: &rng)
            let continues: Bool? = [nil, true, false][round % 3]
            let page = try store.listPage(
                states: states, uid: uid, before: before, limit: limit,
                nodeNames: Self.nodeNames
            ) { _, rows in try ListReply.frame(continues: continues, writeRequests: rows) }
            let infos = try store.requests(states: states, uid: uid, before: before, limit: limit)
                .map { $0.info(nodeNames: Self.nodeNames) }
            #expect(page.frame == (try ListReply(requests: infos).frame(continues: continues)), "round \(round)")
            #expect(page.count == infos.count)
            #expect(page.lastID == infos.last?.id)
            let decoded = try JSONDecoder().decode(VarlinkReply<ListReply>.self, from: page.frame.dropLast())
            #expect(decoded.parameters?.requests == infos)
            #expect(decoded.continues == continues)
        }
    }

    @Test("paging with lastID visits every matching request once, newest first")
    func pagingCoversEveryRowOnce() throws {
        let (store, directory) = try RequestStoreTests.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let all = try Self.populate(store, count: 250, seed: 0xA11)
        var seen: [Int64] = []
        var before: Int64?
        while true {
            let page = try store.listPage(
                states: RequestState.allCases, uid: nil, before: before, limit: 37,
                nodeNames: []
            ) { _, rows in try ListReply.frame(continues: true, writeRequests: rows) }
            let reply = try JSONDecoder().decode(VarlinkReply<ListReply>.self, from: page.frame.dropLast())
            seen += reply.parameters?.requests.map(\.id) ?? []
            guard page.count == 37, let last = page.lastID else { break }
            before = last
        }
        #expect(seen == all.map(\.id).sorted(by: >))
    }

    @Test("a row whose JSON column is corrupt is a named store error, not a crash or a bad frame")
    func corruptRowsAreNamedErrors() throws {
        let (store, directory) = try RequestStoreTests.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try store.insert([RequestStoreTests.request(1), RequestStoreTests.request(2)])
        try DatabaseQueue(path: store.path).write { db in
            try db.execute(sql: "UPDATE request SET command = '[\"unterminated' WHERE id = 1")
        }
        let error = #expect(throws: StoreError.self) {
            _ = try store.listPage(states: [.pending], uid: nil, before: nil, limit: 10, nodeNames: []) { _, rows in
                try ListReply.frame(continues: nil, writeRequests: rows)
            }
        }
        #expect("\(String(describing: error))".contains("request 1: column command"))
    }
}
