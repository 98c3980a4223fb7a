import Foundation
import GRDB
import SlotProtocol
@testable import SlotStore
import Testing

@Suite("SlotStore: requests")
struct RequestStoreTests {
    /// A fresh store in its own temporary directory, removed by the caller's `defer`.
    static func temporaryStore() throws -> (SlotStore, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slotstore-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return (try SlotStore(path: directory + "/slotd.sqlite", durability: .normal), directory)
    }

    static func request(
        _ id: Int64, uid: Int64 = 1_000, command: [String] = ["python3", "train.py", "--lr=0.1"],
        environment: [String: String] = ["A": "1", "QUOTE": "say \"hi\"\n"]
    ) -> StoredRequest {
        StoredRequest(
            id: id, uid: uid, gid: 100, account: "alice", sector: "healthcare", gpus: 2, cpus: 16,
            memoryMiB: 65_536, durationMs: 7_200_000, purpose: "fine-tune ü/тест", command: command,
            workingDirectory: "/home/alice", environment: environment, submittedAt: 1_700_000_000_000 + id)
    }

    @Test("insert (hand-bound statements) reads back field for field through the Codable record")
    func insertRoundTrip() throws {
        let (store, directory) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let written = [
            Self.request(1), Self.request(2, command: ["sh", "-c", "echo 'a b'; exit 3"], environment: [:]),
        ]
        try store.insert(written)
        for expected in written {
            #expect(try store.request(expected.id) == expected)
            let transitions = try store.transitions(of: expected.id)
            #expect(transitions.map(\.state) == [.pending])
            #expect(transitions.first?.detail == "submitted")
            #expect(transitions.first?.at == expected.submittedAt)
        }
        #expect(try store.nextRequestID() == 3)
    }

    @Test("StoredRequest.columns, which rows are read by position in, names every column of the request table")
    func positionalColumnsCoverTheTable() throws {
        let (store, directory) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let table = try DatabaseQueue(path: store.path).read { db in try db.columns(in: "request").map(\.name) }
        #expect(Set(table) == Set(StoredRequest.columns), "a migration added or dropped a column: update the list")
        #expect(StoredRequest.columns.count == table.count)
        var request = Self.request(3)
        request.network = false
        request.category = "research"
        request.gpuTypes = ["h100", "l40s"]
        try store.insert([request])
        #expect(try store.request(3) == request)
        #expect(try store.pendingSummaries().first?.gpuTypes == ["h100", "l40s"], "a restart re-queues the models")
        var gang = Self.request(4)
        gang.nodes = 3
        try store.insert([gang])
        #expect(try store.pendingSummaries().last?.nodes == 3, "a restart re-queues the gang")
        gang.state = .running
        gang.node = 2
        gang.gpuIndices = [0, 1]
        gang.gang = [[0, 4, 5], [1, 0, 1]]
        try store.update([(gang, "started", 2)])
        #expect(try store.request(4) == gang)
        #expect(try store.request(4)?.nodeIndices == [2, 0, 1])
        #expect(try store.request(4)?.info(nodeNames: ["a", "b", "c"]).nodeList == ["c", "a", "b"])
    }

    @Test("a database of the release before gangs opens with every request a gang of one, and keeps its slots")
    func migratesTheReleaseBeforeGangs() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slotstore-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/slotd.sqlite"
        // The schema as the release before wrote it: the same append-only migrations, up to its last one, and a
        // running and a pending request as its insert and update wrote them.
        let old = try DatabaseQueue(path: path)
        try Migrations.migrator.migrate(old, upTo: "v6-request-gpu-types")
        try old.write { db in
            for (id, state) in [(1, "running"), (2, "pending")] {
                try db.execute(
                    sql: """
                        INSERT INTO request (id, uid, gid, account, sector, gpus, cpus, memoryMiB, durationMs, purpose, \
                        command, workingDirectory, environment, submittedAt, state, network, category, node, \
                        gpuIndices, startedAt) VALUES (?, 1000, 100, 'alice', 'health', 2, 16, 4096, 3600000, '', \
                        '["sleep","60"]', '/tmp', '{}', ?, ?, 1, 'uni', ?, ?, ?)
                        """,
                    arguments: [id, 1_000 + id, state, id == 1 ? 0 : nil, id == 1 ? "[0,1]" : nil, id == 1 ? 5 : nil])
            }
        }
        try old.close()
        let store = try SlotStore(path: path, durability: .normal)
        let running = try #require(try store.request(1))
        #expect(running.nodes == 1 && running.gang == nil && running.node == 0 && running.gpuIndices == [0, 1])
        #expect(running.nodeIndices == nil)
        #expect(try store.pendingSummaries().map(\.nodes) == [1])
        #expect(try store.runningRequests().map(\.id) == [1])
        #expect(try store.nodeStates().isEmpty)
    }

    @Test("a batch that fails is rolled back whole: no request of it is stored")
    func batchIsAtomic() throws {
        let (store, directory) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try store.insert([Self.request(5)])
        // 6 is new, 5 collides with the primary key: the transaction must leave 6 out too.
        #expect(throws: StoreError.self) { try store.insert([Self.request(6), Self.request(5)]) }
        #expect(try store.request(6) == nil)
        #expect(try store.pendingSummaries().map(\.id) == [5])
    }

    @Test("pendingSummaries() gives pending requests in submission order; runningRequests() the running ones")
    func activeInOrder() throws {
        let (store, directory) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try store.insert((1...50).map { Self.request(Int64($0)) })
        var started = try #require(try store.request(7))
        started.state = .running
        started.startedAt = 1
        started.node = 0
        started.gpuIndices = [0, 3]
        started.logFile = "/var/lib/slotd/logs/7.log"
        var rejected = try #require(try store.request(8))
        rejected.state = .rejected
        rejected.endedAt = 2
        rejected.outcome = "rejected"
        rejected.exitCode = 1
        rejected.reasons = [Reason(code: "over-period-budget", message: "needs up to 2 GPU-hours")]
        try store.update([(started, "started", 1), (rejected, "rejected", 2)])
        // Every optional column, JSON ones included, reads back as written.
        #expect(try store.request(7) == started)
        #expect(try store.request(8) == rejected)
        #expect(try store.pendingSummaries().map(\.id) == (1...50).filter { $0 != 7 && $0 != 8 }.map(Int64.init))
        #expect(try store.pendingSummaries().first == PendingSummary(try #require(try store.request(1))))
        #expect(try store.runningRequests().map(\.id) == [7])
        #expect(try store.transitions(of: 7).map(\.state) == [.pending, .running])
        // Pages (as a restart reads them) cover the same requests once each, in the same order, also across
        // requests submitted in the same millisecond (a group commit stamps many at once).
        try store.insert(
            (51...60).map { id in
                var request = Self.request(Int64(id))
                request.submittedAt = 1_700_000_000_000 + 20
                return request
            })
        var paged: [PendingSummary] = []
        while true {
            let page = try store.pendingSummaries(after: paged.last, limit: 7)
            paged += page
            if page.count < 7 { break }
        }
        #expect(paged == (try store.pendingSummaries()))
        #expect(paged.count == 58 && Set(paged.map(\.id)).count == 58)
        #expect(try store.pendingCount() == 58)
    }

    @Test(
        "usage(since:) gives GPU-hours of ended GPU slots, oldest end first; pending, CPU-only and old ones are left out"
    )
    func usageSince() throws {
        let (store, directory) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try store.insert((1...4).map { Self.request(Int64($0)) })  // 2 GPUs each
        func end(_ id: Int64, started: Int64, ended: Int64, gpus: Int = 2) throws -> (StoredRequest, String, Int64) {
            var r = try #require(try store.request(id))
            r.gpus = gpus
            r.state = .completed
            r.startedAt = started
            r.endedAt = ended
            return (r, "completed", ended)
        }
        let hour: Int64 = 3_600_000
        try store.update([
            try end(1, started: 0, ended: 3 * hour),  // 6 GPU-h, ends last
            try end(2, started: hour, ended: 2 * hour),  // 2 GPU-h
            try end(3, started: 0, ended: hour / 2),  // before `since`
            try end(4, started: 0, ended: 2 * hour + 1, gpus: 0),  // CPU only
        ])
        let usage = try store.usage(since: hour)
        #expect(usage.map(\.gpuHours) == [2, 6])
        #expect(usage.map(\.endedAt) == [2 * hour, 3 * hour])
        #expect(usage.allSatisfy { $0.account == "alice" })
    }

    @Test("requests(states:uid:limit) gives the newest of the given states first, only the user's when asked")
    func listNewestFirst() throws {
        let (store, directory) = try Self.temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try store.insert((1...30).map { Self.request(Int64($0), uid: $0 % 2 == 0 ? 1_000 : 2_000) })
        var changes: [(StoredRequest, String, Int64)] = []
        for id: Int64 in [3, 10, 28] {
            var running = try #require(try store.request(id))
            running.state = .running
            changes.append((running, "started", 1))
        }
        try store.update(changes)
        #expect(
            try store.requests(states: [.pending, .running], uid: nil, limit: 5).map(\.id) == [30, 29, 28, 27, 26])
        #expect(try store.requests(states: [.running], uid: nil, limit: 10).map(\.id) == [28, 10, 3])
        #expect(try store.requests(states: [.running, .pending], uid: 2_000, limit: 4).map(\.id) == [29, 27, 25, 23])
        #expect(try store.requests(states: [.running], uid: 2_000, limit: 4).map(\.id) == [3])
        #expect(try store.requests(states: [.completed], uid: nil, limit: 4).isEmpty)
        #expect(try store.requests(states: [.pending], uid: nil, limit: 1_000).count == 27)
    }
}
