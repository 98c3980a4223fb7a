import GRDB

/// WAL checkpoints off the commit path.
extension SlotStore {
    /// What one checkpoint did, in WAL frames (pages).
    public struct Checkpoint: Sendable, Equatable {
        /// Frames in the WAL when it ran.
        public var walFrames: Int
        /// Frames now copied into the database file. Equal to `walFrames` when it caught up; then the next
        /// commit starts the WAL again from its beginning, so the file stops growing.
        public var copiedFrames: Int
    }

    /// Copies committed WAL frames into the database file (SQLite's PASSIVE mode) on the store's checkpoint
    /// connection. It takes no write lock: commits go on meanwhile, and frames a reader still needs are left for a
    /// later round. The daemon calls it about once a second (`CheckpointService`).
    public func checkpoint() async throws(StoreError) -> Checkpoint {
        do {
            let result = try await checkpointer.writeWithoutTransaction { db in try db.checkpoint(.passive) }
            return Checkpoint(walFrames: result.walFrameCount, copiedFrames: result.checkpointedFrameCount)
        } catch {
            throw .io("checkpoint: \(error)")
        }
    }
}
