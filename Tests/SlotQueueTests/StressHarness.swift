import Foundation
import SlotQueue
import SlotTestSupport

/// Records of one concurrent run, stamped with a global `EventClock` so the oracle can tell which operations
/// completed before which others began.
struct PushRecord {
    var item: QueueItem
    var handle: QueueHandle
    var start: Int64
    var end: Int64
}

struct CancelRecord {
    var id: UInt64
    var start: Int64
    var outcome: CancelOutcome
}

struct TakeRecord {
    enum Kind { case best, backfill }
    var kind: Kind
    var start: Int64
    var end: Int64
    var taken: RankedItem?
}

/// Handles published by producers for the canceller to pick from.
///
/// Guarded by `NSLock` rather than `Synchronization.Mutex`: on Linux, Mutex waits on a raw futex that
/// ThreadSanitizer cannot see, so it reports false races; NSLock is a pthread mutex, which TSan understands.
final class HandlePool: @unchecked Sendable {
    // @unchecked Sendable is sound: `handles` is only touched inside `lock.withLock`.
    private let lock = NSLock()
    private var handles: [(id: UInt64, handle: QueueHandle)] = []
    func add(_ id: UInt64, _ handle: QueueHandle) { lock.withLock { handles.append((id, handle)) } }
    func pick(using rng: inout SeededRandom) -> (id: UInt64, handle: QueueHandle)? {
        lock.withLock {
            guard !handles.isEmpty else { return nil }
            handles.swapAt(Int.random(in: 0..<handles.count, using: &rng), handles.count - 1)
            return handles.popLast()
        }
    }
}

/// Pushes `count` items with retry on back-pressure; `classFor(i)` picks each item's class.
func produce(
    _ queue: SlotQueue, producer: UInt64, count: Int, clock: EventClock, pool: HandlePool,
    log: ThreadLog<PushRecord>, classFor: (Int) -> Int
) {
    for i in 0..<count {
        let id = producer << 32 | UInt64(i)
        while true {
            let start = clock.tick()
            let item = QueueItem(id: id, submittedAt: start, classIndex: classFor(i))
            switch queue.push(item) {
            case .success(let handle):
                let end = clock.tick()
                log.append(PushRecord(item: item, handle: handle, start: start, end: end))
                pool.add(id, handle)
            case .failure(.capacityExhausted), .failure(.classFull), .failure(.rebuilding):
                sched_yield()
                continue
            case .failure(let refusal):
                preconditionFailure("unexpected refusal \(refusal)")
            }
            break
        }
    }
}

/// Cancels random published handles until `stop` is raised.
func cancelRandomly(
    _ queue: SlotQueue, seed: UInt64, clock: EventClock, pool: HandlePool, stop: Flag, log: ThreadLog<CancelRecord>
) {
    var rng = SeededRandom(seed: seed)
    while !stop.isRaised {
        guard Int.random(in: 0..<4, using: &rng) == 0, let victim = pool.pick(using: &rng) else {
            sched_yield()
            continue
        }
        let start = clock.tick()
        log.append(CancelRecord(id: victim.id, start: start, outcome: queue.cancel(victim.handle)))
    }
}
