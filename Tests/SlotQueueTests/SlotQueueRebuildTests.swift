import SlotQueue
import SlotTestSupport
import Testing

/// Rebuilding under a new policy re-files pending entries; handles stay valid and nothing is lost or duplicated.
@Suite struct SlotQueueRebuildTests {
    @Test("Invariant: a rebuild keeps every pending entry once, keeps handles valid, and orders by the new bases")
    func rebuildRefilesEverything() throws {
        let queue = SlotQueue(capacity: 64, bases: [0, 10], aging: .none, maxClasses: 4)
        var handles: [UInt64: QueueHandle] = [:]
        for id in 1...8 as ClosedRange<UInt64> {
            handles[id] = try queue.push(QueueItem(id: id, submittedAt: Int64(id), classIndex: Int(id % 2))).get()
        }
        #expect(queue.cancel(handles[3]!) == .cancelled)
        // New policy: three classes; even ids go to class 2 (the best), odd ids to class 0.
        try queue.rebuild(bases: [1, 0, 50]) { $0.id % 2 == 0 ? 2 : 0 }
        #expect(queue.classCount == 3)
        #expect(queue.cancel(handles[5]!) == .cancelled, "handles survive a rebuild")
        var order: [UInt64] = []
        while let next = queue.takeBest(now: 100) { order.append(next.item.id) }
        #expect(order == [2, 4, 6, 8, 1, 7])
    }

    @Test("Invariant: a refused rebuild leaves the queue exactly as it was, and open")
    func refusedRebuildChangesNothing() throws {
        let queue = SlotQueue(capacity: 8, bases: [0, 0], aging: .none, perClassCapacity: 2)
        for id in 1...3 as ClosedRange<UInt64> {
            _ = try queue.push(QueueItem(id: id, submittedAt: 0, classIndex: Int(id % 2))).get()
        }
        #expect(throws: RebuildRefusal.classOverflow(classIndex: 0, entries: 3, capacity: 2)) {
            try queue.rebuild(bases: [0, 0]) { _ in 0 }
        }
        #expect(throws: RebuildRefusal.unknownClass(id: 2, classIndex: 5)) { try queue.rebuild(bases: [0]) { _ in 5 } }
        #expect(throws: RebuildRefusal.tooManyClasses(requested: 3, maximum: 2)) {
            try queue.rebuild(bases: [0, 0, 0]) { _ in 0 }
        }
        _ = try queue.push(QueueItem(id: 4, submittedAt: 0, classIndex: 0)).get()
        var ids: [UInt64] = []
        while let next = queue.takeBest(now: 0) { ids.append(next.item.id) }
        #expect(ids.sorted() == [1, 2, 3, 4])
    }

    @Test("Invariant: rebuilds racing producers and a canceller lose and duplicate nothing")
    func rebuildUnderConcurrency() {
        let queue = SlotQueue(capacity: 512, bases: [0, 5, 10, 15], aging: .none, maxClasses: 8, perClassCapacity: 512)
        let clock = EventClock()
        let pool = HandlePool()
        let pushLogs = [ThreadLog<PushRecord>(), ThreadLog<PushRecord>()]
        let cancelLog = ThreadLog<CancelRecord>()
        let takeLog = ThreadLog<TakeRecord>()
        let producersDone = [Flag(), Flag()]
        let stop = Flag()
        let rebuilds = ThreadLog<Int>()
        let perProducer = 8_000
        let producers: [@Sendable () -> Void] = (0..<2).map { p in
            {
                produce(queue, producer: UInt64(p), count: perProducer, clock: clock, pool: pool, log: pushLogs[p]) {
                    $0 % 4
                }
                producersDone[p].raise()
            }
        }
        let consumer: @Sendable () -> Void = {
            var round = 0
            while true {
                round += 1
                if round % 50 == 0 {
                    let classes = 4 + round / 50 % 4
                    let bases = (0..<classes).map { Int64(($0 * 13 + round) % 17) }
                    do {
                        try queue.rebuild(bases: bases) { Int($0.id % UInt64(classes)) }
                        rebuilds.append(classes)
                    } catch {
                        Issue.record("rebuild refused: \(error)")
                    }
                }
                let done = producersDone.allSatisfy(\.isRaised)
                let taken = queue.takeBest(now: clock.tick())
                takeLog.append(TakeRecord(kind: .best, start: 0, end: 0, taken: taken))
                if taken == nil && done { break }
            }
            stop.raise()
        }
        let canceller: @Sendable () -> Void = {
            cancelRandomly(queue, seed: 5, clock: clock, pool: pool, stop: stop, log: cancelLog)
        }
        runOnThreads(producers + [canceller, consumer])

        let pushed = pushLogs.flatMap(\.entries).map(\.item.id)
        let taken = takeLog.entries.compactMap { $0.taken?.item.id }
        let cancelled = cancelLog.entries.filter { $0.outcome == .cancelled }.map(\.id)
        #expect(rebuilds.entries.count > 5, "rebuilds must have raced the producers")
        #expect(pushed.count == 2 * perProducer)
        #expect(Set(taken).count == taken.count, "duplicated by a rebuild")
        #expect(Set(taken).isDisjoint(with: cancelled))
        #expect(Set(taken).union(cancelled) == Set(pushed), "lost by a rebuild")
    }
}
