import HeapModule
import Synchronization

/// What the heap baselines store: the same ordering as the queue (base desc, submit asc, id asc), no aging, because a
/// binary heap cannot re-key capped aging without a rebuild; this favours the baseline.
struct HeapEntry: Comparable {
    var base: Int64
    var submittedAt: Int64
    var id: UInt64

    static func < (a: HeapEntry, b: HeapEntry) -> Bool {
        if a.base != b.base { return a.base < b.base }
        if a.submittedAt != b.submittedAt { return a.submittedAt > b.submittedAt }
        return a.id > b.id
    }
}

/// The baseline for the concurrent scenarios: a swift-collections `Heap` behind a `Mutex`, with lazy cancellation
/// (cancelled ids are remembered and skipped when popped), which is how a heap is usually given cancel-by-id.
final class LockedHeap: Sendable {
    private struct State: ~Copyable {
        var heap = Heap<HeapEntry>()
        var cancelled = Set<UInt64>()
    }

    private let state = Mutex(State())

    func push(_ entry: HeapEntry) { state.withLock { $0.heap.insert(entry) } }

    func cancel(_ id: UInt64) { _ = state.withLock { $0.cancelled.insert(id) } }

    /// The best entry that was not cancelled, or nil when empty.
    func popBest() -> HeapEntry? {
        state.withLock { state in
            while let top = state.heap.popMax() {
                if state.cancelled.remove(top.id) == nil { return top }
            }
            return nil
        }
    }
}
