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

/// The lazy walk visits pending items in exactly the order takes would return them.
@Suite struct SlotQueueWalkTests {
    @Test(
        "Invariant: walk visits every pending item once, in priority order (checked against a sorted model), and takes nothing",
        arguments: [5, 6, 7] as [UInt64])
    func walkMatchesCandidates(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let bases = (0..<20).map { _ in Int64.random(in: 0...30, using: &rng) }
        let queue = SlotQueue(
            capacity: 2_048, bases: bases, aging: AgingCurve(pointsPerUnit: 1, unit: 3, cap: 25),
            perClassCapacity: 1_024)
        var pending: [(item: QueueItem, handle: QueueHandle)] = []
        for id in 1...1_500 as ClosedRange<UInt64> {  // many items per class
            let item = QueueItem(id: id, submittedAt: Int64(id), classIndex: Int.random(in: 0..<20, using: &rng))
            pending.append((item, try queue.push(item).get()))
        }
        pending.removeAll { entry in
            Bool.random(using: &rng) && Bool.random(using: &rng) && queue.cancel(entry.handle) == .cancelled
        }
        // The model: every pending item ranked independently, then sorted.
        let expected = pending.map { queue.ranked($0.item, handle: $0.handle, now: 2_000) }.sorted { $0.precedes($1) }
        var walked: [RankedItem] = []
        queue.walk(now: 2_000) {
            walked.append($0); return true
        }
        #expect(walked == expected)
        var prefix: [UInt64] = []
        queue.walk(now: 2_000) {
            prefix.append($0.item.id); return prefix.count < 10
        }
        #expect(prefix == walked.prefix(10).map(\.item.id))
        #expect(queue.takeBest(now: 2_000) == walked.first, "walking took nothing")
    }
}
