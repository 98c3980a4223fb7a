import Foundation
import SlotStore
import Testing

/// The WAL stays bounded without a checkpoint inside the commits that matter: the store's checkpoint connection
/// catches it up, and the commits' own backstop bounds it when nobody does.
@Suite("SlotStore: WAL checkpoints")
struct CheckpointTests {
    static func store(backstopPages: Int) throws -> (SlotStore, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slotstore-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let store = try SlotStore(path: directory + "/slotd.sqlite", durability: .normal, backstopPages: backstopPages)
        return (store, directory)
    }

    static func walBytes(_ directory: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: directory + "/slotd.sqlite-wal"))?[.size] as? Int) ?? 0
    }

    /// One commit per request, as a quiet daemon makes them.
    static func commit(_ store: SlotStore, ids: ClosedRange<Int64>) throws {
        for id in ids { try store.insert([RequestStoreTests.request(id)]) }
    }

    @Test("a checkpoint copies every frame, and the WAL is then reused from its start instead of growing")
    func checkpointCatchesUp() async throws {
        let (store, directory) = try Self.store(backstopPages: SlotStore.backstopCheckpointPages)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.commit(store, ids: 1...300)
        let grown = Self.walBytes(directory)
        let done = try await store.checkpoint()
        #expect(done.walFrames >= 300, "each commit appends at least one frame; SQLite did not checkpoint by itself")
        #expect(done.copiedFrames == done.walFrames)
        try Self.commit(store, ids: 301...600)
        // Reused: the file holds the larger of the two rounds (the second writes a few more index pages), not both.
        let after = Self.walBytes(directory)
        #expect(after < grown * 3 / 2, "WAL grew from \(grown) to \(after) bytes: the second 300 commits appended")
        #expect(try store.pendingSummaries().count == 600)
    }

    @Test("without checkpoint(), the backstop threshold still bounds the WAL")
    func backstopBoundsTheWAL() throws {
        let (store, directory) = try Self.store(backstopPages: 64)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.commit(store, ids: 1...600)
        let frameBytes = 4_096 + 24
        let bytes = Self.walBytes(directory)
        #expect(bytes > 0)
        // 600 commits of at least one frame each would be 600 frames without the backstop.
        #expect(bytes <= (64 + 16) * frameBytes + 32, "WAL is \(bytes / frameBytes) frames")
    }
}
