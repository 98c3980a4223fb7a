import SlotQueue
import SlotTestSupport
import Testing

/// Seeded random operation sequences on one thread, checked step by step against a sorted-array model.
@Suite struct SlotQueueModelTests {
    struct ModelEntry {
        var item: QueueItem
        var handle: QueueHandle
    }

    @Test(
        "Invariant: every take returns exactly what the priority model says is best, for random workloads",
        arguments: [1, 2, 3, 42, 2026] as [UInt64]
    )
    func matchesModel(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let classes = Int.random(in: 1...70, using: &rng)  // more than one bitmap word sometimes
        let bases = (0..<classes).map { _ in Int64.random(in: 0...50, using: &rng) }
        let aging = AgingCurve(pointsPerUnit: Int64.random(in: 0...3, using: &rng), unit: 4, cap: 40)
        let queue = SlotQueue(capacity: 256, bases: bases, aging: aging, perClassCapacity: 64)
        var model: [ModelEntry] = []
        var now: Int64 = 0
        var nextID: UInt64 = 1
        for _ in 0..<5_000 {
            now += Int64.random(in: 0...3, using: &rng)
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<5:
                let item = QueueItem(id: nextID, submittedAt: now, classIndex: Int.random(in: 0..<classes, using: &rng))
                nextID += 1
                switch queue.push(item) {
                case .success(let handle): model.append(ModelEntry(item: item, handle: handle))
                case .failure(.classFull), .failure(.capacityExhausted): break
                case .failure(let other): Issue.record("unexpected refusal \(other)")
                }
            case 5..<7 where !model.isEmpty:
                let victim = model.remove(at: Int.random(in: 0..<model.count, using: &rng))
                #expect(queue.cancel(victim.handle) == .cancelled)
            default:
                let expected = best(in: model, queue: queue, now: now)
                let taken = queue.takeBest(now: now)
                #expect(taken?.item == expected?.item, "seed \(seed) at t=\(now)")
                if let expected { model.removeAll { $0.handle == expected.handle } }
            }
        }
        let rest = model.sorted { ranked($0, queue, now).precedes(ranked($1, queue, now)) }
        #expect(queue.candidates(now: now, limit: .max).map(\.item) == rest.map(\.item))
    }

    func ranked(_ entry: ModelEntry, _ queue: SlotQueue, _ now: Int64) -> RankedItem {
        queue.ranked(entry.item, handle: entry.handle, now: now)
    }

    func best(in model: [ModelEntry], queue: SlotQueue, now: Int64) -> ModelEntry? {
        model.min { ranked($0, queue, now).precedes(ranked($1, queue, now)) }
    }
}
