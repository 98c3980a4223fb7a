import SlotQueue
import SlotTestSupport
import Testing

/// Concurrent producers, a canceller and the consumer, checked afterwards by an oracle over tick-stamped records.
/// These run again under `swift test -c release --sanitize=thread` in CI.
@Suite struct SlotQueueStressTests {
    static let perProducer = 12_000
    static let classes = 12
    static let bases: [Int64] = (0..<classes).map { Int64(($0 * 7) % 5) * 10 }
    static let aging = AgingCurve(pointsPerUnit: 1, unit: 400, cap: 30)

    @Test(
        """
        Invariant: with producers, a canceller and the consumer running at once, every push is taken or cancelled \
        exactly once, each class is FIFO, and no take skips a better item fully pushed before the take began
        """,
        arguments: [11, 12] as [UInt64]
    )
    func priorityOrderUnderConcurrency(seed: UInt64) {
        // Each producer owns half the classes, so within a class submit stamps follow ring order exactly.
        let queue = SlotQueue(capacity: 1024, bases: Self.bases, aging: Self.aging, perClassCapacity: 128)
        let run = runStress(queue: queue, seed: seed) { producer, i in (i % (Self.classes / 2)) * 2 + Int(producer) }
        checkExactlyOnce(run)
        checkFIFOPerClass(run)
        checkNoSkip(run, queue: queue)
    }

    @Test(
        """
        Invariant: with producers sharing every class, a push that completed before another began (same class) is \
        taken first, and nothing is lost or duplicated
        """
    )
    func realTimeFIFOWithSharedClasses() {
        let queue = SlotQueue(capacity: 512, bases: Self.bases, aging: .none, perClassCapacity: 64)
        let run = runStress(queue: queue, seed: 7, backfillEvery: 0) { _, i in i % 3 }
        checkExactlyOnce(run)
        for c in 0..<3 {
            let pushes = Dictionary(uniqueKeysWithValues: run.pushes.map { ($0.item.id, $0) })
            let takenInClass = run.takes.compactMap { $0.taken }.filter { $0.item.classIndex == c }
                .compactMap { pushes[$0.item.id] }
            // For each take, every later take must have started its push after this push... or overlapped it:
            // i.e. no later-taken item's push ended before this item's push began.
            var laterMinEnd = Int64.max
            var violations = 0
            for record in takenInClass.reversed() {
                if laterMinEnd < record.start { violations += 1 }
                laterMinEnd = min(laterMinEnd, record.end)
            }
            #expect(violations == 0, "class \(c): \(violations) real-time FIFO violations")
        }
    }

    struct Run {
        var pushes: [PushRecord]
        var cancels: [CancelRecord]
        var takes: [TakeRecord]
    }

    /// Two producers, one canceller, and the consumer on four threads.
    func runStress(
        queue: SlotQueue, seed: UInt64, backfillEvery: Int = 8, classFor: @escaping @Sendable (UInt64, Int) -> Int
    ) -> Run {
        let clock = EventClock()
        let pool = HandlePool()
        let pushLogs = [ThreadLog<PushRecord>(), ThreadLog<PushRecord>()]
        let cancelLog = ThreadLog<CancelRecord>()
        let takeLog = ThreadLog<TakeRecord>()
        let producersDone = [Flag(), Flag()]
        let stopCancelling = Flag()
        let producers: [@Sendable () -> Void] = (0..<2).map { p in
            {
                produce(
                    queue, producer: UInt64(p), count: Self.perProducer, clock: clock, pool: pool,
                    log: pushLogs[p]
                ) { classFor(UInt64(p), $0) }
                producersDone[p].raise()
            }
        }
        let canceller: @Sendable () -> Void = {
            cancelRandomly(queue, seed: seed, clock: clock, pool: pool, stop: stopCancelling, log: cancelLog)
        }
        let consumer: @Sendable () -> Void = {
            consume(queue, clock: clock, backfillEvery: backfillEvery, log: takeLog) {
                producersDone.allSatisfy(\.isRaised)
            }
            stopCancelling.raise()
        }
        runOnThreads(producers + [canceller, consumer])
        return Run(pushes: pushLogs.flatMap(\.entries), cancels: cancelLog.entries, takes: takeLog.entries)
    }

    func checkExactlyOnce(_ run: Run) {
        let pushed = Set(run.pushes.map(\.item.id))
        #expect(pushed.count == 2 * Self.perProducer)
        let taken = run.takes.compactMap { $0.taken?.item.id }
        let cancelled = run.cancels.filter { $0.outcome == .cancelled }.map(\.id)
        #expect(Set(taken).count == taken.count, "an item was taken twice")
        #expect(Set(cancelled).count == cancelled.count, "an item was cancelled twice")
        #expect(Set(taken).isDisjoint(with: cancelled), "an item was both taken and cancelled")
        #expect(Set(taken).union(cancelled) == pushed, "an item was lost")
    }

    func checkFIFOPerClass(_ run: Run) {
        var pushIndex: [UInt64: Int] = [:]
        for log in [0, 1] {
            for (i, record) in run.pushes.enumerated() where Int(record.item.id >> 32) == log {
                pushIndex[record.item.id] = i
            }
        }
        var lastIndex: [Int: Int] = [:]
        var violations = 0
        for take in run.takes where take.kind == .best {
            guard let item = take.taken?.item, let index = pushIndex[item.id] else { continue }
            if let last = lastIndex[item.classIndex], last > index { violations += 1 }
            lastIndex[item.classIndex] = index
        }
        #expect(violations == 0, "\(violations) FIFO violations")
    }

    /// For every best-take: among items whose push ended before the take started, that were not taken earlier and
    /// had no cancel started before the take ended, none precedes the returned item at the take's `now`.
    func checkNoSkip(_ run: Run, queue: SlotQueue) {
        var byClass = [[PushRecord]](repeating: [], count: Self.classes)
        for record in run.pushes { byClass[record.item.classIndex].append(record) }  // per-producer order kept
        var firstCancel: [UInt64: Int64] = [:]
        for cancel in run.cancels { firstCancel[cancel.id] = min(firstCancel[cancel.id] ?? .max, cancel.start) }
        var taken = Set<UInt64>()
        var cursor = [Int](repeating: 0, count: Self.classes)
        var violations = 0
        var checked = 0
        for take in run.takes {
            if take.kind == .best {
                checked += 1
                for c in 0..<Self.classes {
                    while cursor[c] < byClass[c].count {
                        let id = byClass[c][cursor[c]].item.id
                        if taken.contains(id) || (firstCancel[id] ?? .max) < take.end { cursor[c] += 1 } else { break }
                    }
                    guard cursor[c] < byClass[c].count else { continue }
                    let candidate = byClass[c][cursor[c]]
                    guard candidate.end < take.start else { continue }
                    let ranked = queue.ranked(candidate.item, handle: candidate.handle, now: take.start)
                    if let returned = take.taken {
                        if ranked.precedes(returned) { violations += 1 }
                    } else {
                        violations += 1
                    }
                }
            }
            if let id = take.taken?.item.id { taken.insert(id) }
        }
        #expect(checked > 1000, "the consumer must have competed with producers")
        #expect(violations == 0, "\(violations) takes skipped a better, fully pushed item")
    }
}

/// Takes until `finished()` and the queue is drained; every `backfillEvery`-th round takes the last of three
/// candidates instead of the best.
func consume(
    _ queue: SlotQueue, clock: EventClock, backfillEvery: Int, log: ThreadLog<TakeRecord>, finished: () -> Bool
) {
    var round = 0
    while true {
        round += 1
        let done = finished()
        let start = clock.tick()
        if backfillEvery > 0, round % backfillEvery == 0,
            let pick = queue.candidates(now: start, limit: 3).last
        {
            let taken = queue.take(pick.handle, now: start)
            log.append(TakeRecord(kind: .backfill, start: start, end: clock.tick(), taken: taken))
            continue
        }
        let taken = queue.takeBest(now: start)
        log.append(TakeRecord(kind: .best, start: start, end: clock.tick(), taken: taken))
        if taken == nil && done { return }
    }
}
