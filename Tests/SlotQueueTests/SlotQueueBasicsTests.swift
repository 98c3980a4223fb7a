import SlotQueue
import Testing

/// Deterministic behaviour of the queue core on one thread: ordering rules, cancellation, back-pressure.
@Suite struct SlotQueueBasicsTests {
    let noAging = AgingCurve.none

    func item(_ id: UInt64, at time: Int64, class c: Int) -> QueueItem {
        QueueItem(id: id, submittedAt: time, classIndex: c)
    }

    @Test("Invariant: within one class, items leave in arrival order")
    func fifoWithinClass() throws {
        let queue = SlotQueue(capacity: 16, bases: [0], aging: noAging)
        for id in 1...5 { _ = try queue.push(item(UInt64(id), at: 10, class: 0)).get() }
        let order = (1...5).compactMap { _ in queue.takeBest(now: 100)?.item.id }
        #expect(order == [1, 2, 3, 4, 5])
        #expect(queue.takeBest(now: 100) == nil)
    }

    @Test("Invariant: across classes the higher base wins until aging closes the gap; ties go to the earlier submit")
    func agingOvertakes() throws {
        // Class 0 base 100, class 1 base 0; one aging point per tick, capped at 100.
        let queue = SlotQueue(capacity: 16, bases: [100, 0], aging: AgingCurve(pointsPerUnit: 1, unit: 1, cap: 100))
        _ = try queue.push(item(1, at: 0, class: 1)).get()  // low class, old
        _ = try queue.push(item(2, at: 150, class: 0)).get()  // high class, new
        // At 200: item 1 = 0 + min(100, 200) = 100; item 2 = 100 + 50 = 150.
        #expect(queue.candidates(now: 200, limit: 2).map(\.item.id) == [2, 1])
        // At 250: item 1 = 100, item 2 = 200: still 2 first. The cap keeps 1 at 100.
        #expect(queue.takeBest(now: 250)?.item.id == 2)
        _ = try queue.push(item(3, at: 250, class: 0)).get()
        // At 250: item 1 = 100, item 3 = 100 + 0 = 100: equal, earlier submit (item 1) wins.
        let taken = queue.takeBest(now: 250)
        #expect(taken?.item.id == 1)
        #expect(taken?.priority == 100)
    }

    @Test("Invariant: equal priority and equal submit time fall back to the smaller id")
    func idBreaksTies() throws {
        let queue = SlotQueue(capacity: 4, bases: [5, 5], aging: noAging)
        _ = try queue.push(item(9, at: 1, class: 0)).get()
        _ = try queue.push(item(4, at: 1, class: 1)).get()
        #expect(queue.takeBest(now: 1)?.item.id == 4)
    }

    @Test("Invariant: a cancelled item is never taken, and a handle cancels at most once")
    func cancelByHandle() throws {
        let queue = SlotQueue(capacity: 8, bases: [0], aging: noAging)
        let a = try queue.push(item(1, at: 0, class: 0)).get()
        let b = try queue.push(item(2, at: 0, class: 0)).get()
        #expect(queue.cancel(a) == .cancelled)
        #expect(queue.cancel(a) == .notPending)
        #expect(queue.takeBest(now: 0)?.item.id == 2)
        #expect(queue.cancel(b) == .notPending, "taken items cannot be cancelled")
        #expect(queue.takeBest(now: 0) == nil)
    }

    @Test("Invariant: a stale handle never touches the slot's next occupant")
    func staleHandle() throws {
        let queue = SlotQueue(capacity: 1, bases: [0], aging: noAging)
        let old = try queue.push(item(1, at: 0, class: 0)).get()
        #expect(queue.takeBest(now: 0)?.item.id == 1)
        let new = try queue.push(item(2, at: 0, class: 0)).get()
        #expect(old != new)
        #expect(queue.cancel(old) == .notPending)
        #expect(queue.takeBest(now: 0)?.item.id == 2)
    }

    @Test("Invariant: a full queue refuses explicitly and loses nothing already queued")
    func backPressure() throws {
        let queue = SlotQueue(capacity: 3, bases: [0, 0], aging: noAging, perClassCapacity: 2)
        _ = try queue.push(item(1, at: 0, class: 0)).get()
        _ = try queue.push(item(2, at: 0, class: 0)).get()
        #expect(queue.push(item(3, at: 0, class: 0)) == .failure(.classFull(classIndex: 0)))
        _ = try queue.push(item(4, at: 0, class: 1)).get()
        #expect(queue.push(item(5, at: 0, class: 1)) == .failure(.capacityExhausted))
        #expect(queue.push(item(6, at: 0, class: 7)) == .failure(.unknownClass(classIndex: 7)))
        var ids: [UInt64] = []
        while let next = queue.takeBest(now: 0) { ids.append(next.item.id) }
        #expect(ids.sorted() == [1, 2, 4])
    }

    @Test("Invariant: every entry is handed out once, fresh (striped) or reclaimed, and none twice while in use")
    func entriesHandedOutOnce() throws {
        for capacity in [1, 7, 8, 37, 64] {  // striping covers capacity / 8 * 8 entries; the rest map to themselves
            let queue = SlotQueue(capacity: capacity, bases: [0], aging: noAging, perClassCapacity: 64)
            for lap in 0..<3 {
                var slots = Set<UInt32>()
                for i in 0..<capacity {
                    let handle = try queue.push(item(UInt64(lap * 100 + i), at: 0, class: 0)).get()
                    #expect(handle.slot < UInt32(capacity))
                    slots.insert(handle.slot)
                }
                #expect(slots.count == capacity, "capacity \(capacity), lap \(lap): an entry was handed out twice")
                #expect(queue.push(item(999, at: 0, class: 0)) == .failure(.capacityExhausted))
                var taken = 0
                while queue.takeBest(now: 0) != nil { taken += 1 }
                #expect(taken == capacity)
            }
        }
    }

    @Test("Invariant: candidates list the next items in priority order without removing them")
    func candidatesLookPastTheHead() throws {
        let queue = SlotQueue(capacity: 16, bases: [10, 0], aging: noAging)
        for id in 1...3 { _ = try queue.push(item(UInt64(id), at: Int64(id), class: 1)).get() }
        for id in 4...5 { _ = try queue.push(item(UInt64(id), at: Int64(id), class: 0)).get() }
        let next = queue.candidates(now: 10, limit: 4)
        #expect(next.map(\.item.id) == [4, 5, 1, 2])
        // Backfill takes the third candidate; everyone else keeps their place.
        #expect(queue.take(next[2].handle, now: 10)?.item.id == 1)
        #expect(queue.take(next[2].handle, now: 10) == nil, "a handle is taken once")
        #expect(queue.candidates(now: 10, limit: 10).map(\.item.id) == [4, 5, 2, 3])
    }
}
