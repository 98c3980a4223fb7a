import Logging
import ServiceLifecycle
import SlotStore

/// Runs the store's WAL checkpoint about once a second, so commits never stop for one (see
/// `SlotStore.init(path:durability:backstopPages:)`). A failure is logged once per run of failures, and the commits'
/// own backstop checkpoint keeps the WAL bounded meanwhile.
struct CheckpointService: Service {
    let store: SlotStore
    let logger: Logger
    var period: Duration = .seconds(1)

    func run() async throws {
        await cancelWhenGracefulShutdown { await loop() }
    }

    private func loop() async {
        var failing = false
        while !Task.isCancelled {
            do {
                let done = try await store.checkpoint()
                if failing { logger.info("WAL checkpoints work again (\(done.copiedFrames) frame(s) copied)") }
                failing = false
            } catch {
                if !failing { logger.warning("WAL checkpoint failed: \(error); commits checkpoint by themselves") }
                failing = true
            }
            try? await Task.sleep(for: period)
        }
    }
}
