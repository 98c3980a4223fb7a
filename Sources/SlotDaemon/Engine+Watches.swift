import Foundation
import Synchronization
import SlotProtocol
import SlotStore

/// io.slotd.Requests.Watch: clients following requests as they change. The engine tells every watch that may see a
/// change (`notify`, called by `commit`), encoding each frame once for all of them.
extension Engine {
    func notify(_ request: StoredRequest) {
        forgetEndedWatches()
        guard !watchers.isEmpty else { return }
        let info = request.info(nodeNames: nodeNames)
        var frames: [Bool: Data] = [:]  // by `continues`: a watch of this one request ends with its final state
        for watcher in watchers.values {
            if let id = watcher.id, id != request.id { continue }
            if let uid = watcher.uid, Int64(uid) != request.uid { continue }
            let final = watcher.id != nil && request.state.isFinal
            if frames[!final] == nil { frames[!final] = Self.watchFrame(info, final: final) }
            if let frame = frames[!final] { watcher.continuation.yield(frame) }
            if final { watcher.continuation.finish() }
        }
    }

    static func watchFrame(_ info: RequestInfo, final: Bool) -> Data? {
        try? Dispatcher.encode(WatchReply(request: info), continues: !final)
    }

    /// Subscribes to changes of request `id` (or of every request the caller may see in full).
    func watch(_ caller: Caller, id: Int64?) throws(WireError) -> AsyncStream<Data> {
        if let id {
            _ = try visibleRequest(id, caller)
        }
        let (stream, continuation) = AsyncStream<Data>.makeStream(bufferingPolicy: .bufferingNewest(1_024))
        let key = UUID()
        watchers[key] = Watcher(uid: caller.isAdmin && id != nil ? nil : caller.uid, id: id, continuation: continuation)
        // Called on whatever thread ends the stream: it only marks the watch, which the engine forgets at its next
        // notify or tick (`forgetEndedWatches`), so no task outlives the watch.
        continuation.onTermination = { [endedWatches] _ in endedWatches.add(key) }
        if let id, let current = try? store.request(id) {
            let final = current.state.isFinal
            if let frame = Self.watchFrame(current.info(nodeNames: nodeNames), final: final) {
                continuation.yield(frame)
            }
            if final { continuation.finish() }
        }
        return stream
    }

    /// Drops the watches whose clients went away.
    func forgetEndedWatches() {
        for key in endedWatches.take() { watchers[key] = nil }
    }
}

/// The keys of watches whose streams ended, written from any thread, taken by the engine.
final class EndedWatches: Sendable {
    private let keys = Mutex<[UUID]>([])

    func add(_ key: UUID) { keys.withLock { $0.append(key) } }

    func take() -> [UUID] {
        keys.withLock { keys in
            defer { keys = [] }
            return keys
        }
    }
}
