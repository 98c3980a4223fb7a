import Atomics

extension SlotQueue {
    /// Takes the highest-priority pending item at `now`. Consumer only; lock-free.
    ///
    /// - Returns: the item with its priority, or nil when no published item is pending.
    public func takeBest(now: Int64) -> RankedItem? {
        enterConsumer()
        defer { leaveConsumer() }
        while let best = bestHead(now: now) {
            if claim(best.handle) {
                reclaim(best.item.classIndex)
                return best
            }
            // Cancelled between the scan and the claim: look again.
        }
        return nil
    }

    /// Takes the entry `handle` names if it is still pending, for example a backfill candidate picked from
    /// ``candidates(now:limit:)``. Consumer only.
    public func take(_ handle: QueueHandle, now: Int64) -> RankedItem? {
        enterConsumer()
        defer { leaveConsumer() }
        let slot = Int(handle.slot)
        guard slot < capacity, claim(handle) else { return nil }
        let item = payload[slot]
        reclaim(item.classIndex)
        return RankedItem(handle: handle, item: item, priority: priority(of: item, now: now))
    }

    /// The first `limit` pending items in priority order at `now`, without taking them. Consumer only.
    ///
    /// Backfill uses this to look past the head: nobody loses their place, and a candidate is then claimed with
    /// ``take(_:now:)``, which fails harmlessly if the entry was cancelled meanwhile.
    public func candidates(now: Int64, limit: Int) -> [RankedItem] {
        enterConsumer()
        defer { leaveConsumer() }
        guard limit > 0 else { return [] }
        var all: [RankedItem] = []
        forEachNonEmptyClass { c in
            // Within a class FIFO order is priority order, so no class contributes more than `limit`.
            var taken = 0
            forEachLive(in: c) { ranked in
                all.append(rank(ranked, now: now))
                taken += 1
                return taken < limit
            }
        }
        all.sort { $0.precedes($1) }
        return all.count > limit ? Array(all.prefix(limit)) : all
    }

    // MARK: Internals (consumer only)

    /// The best live class head at `now`.
    @inline(__always)
    func bestHead(now: Int64) -> RankedItem? {
        var best: RankedItem?
        forEachNonEmptyClass { c in
            forEachLive(in: c) { found in
                let head = rank(found, now: now)
                if let current = best, !head.precedes(current) { return false }
                best = head
                return false
            }
        }
        return best
    }

    @inline(__always)
    func rank(_ found: (handle: QueueHandle, slot: Int), now: Int64) -> RankedItem {
        let item = payload[found.slot]
        return RankedItem(handle: found.handle, item: item, priority: priority(of: item, now: now))
    }

    /// CAS PENDING → TAKEN.
    @inline(__always)
    func claim(_ handle: QueueHandle) -> Bool {
        entryState[Int(handle.slot)].compareExchange(
            expected: EntryWord.make(handle.generation, EntryWord.pending),
            desired: EntryWord.make(handle.generation, EntryWord.taken),
            ordering: .acquiringAndReleasing
        ).exchanged
    }

    /// Calls `body` with each class whose non-empty bit is set; clears the bit of a class found empty.
    @inline(__always)
    func forEachNonEmptyClass(_ body: (Int) -> Void) {
        for word in 0..<nonEmpty.count {
            var bits = nonEmpty[word].load(ordering: .sequentiallyConsistent)
            while bits != 0 {
                let c = word << 6 | bits.trailingZeroBitCount
                bits &= bits &- 1
                let (head, tail) = reclaim(c)
                if head == tail {
                    markEmpty(c, head: head)
                } else {
                    body(c)
                }
            }
        }
    }

    /// Clears class `c`'s bit, then re-sets it if a push claimed a cell meanwhile.
    ///
    /// Producers claim a cell (seq-cst CAS on the tail) before they check the bit (seq-cst load), and this clears the
    /// bit before re-reading the tail, so in the single total order at least one side sees the other.
    @inline(__always)
    func markEmpty(_ c: Int, head: UInt64) {
        let bit: UInt64 = 1 << UInt64(c & 63)
        _ = nonEmpty[c >> 6].loadThenBitwiseAnd(with: ~bit, ordering: .sequentiallyConsistent)
        if tails[c].load(ordering: .sequentiallyConsistent) != head {
            _ = nonEmpty[c >> 6].loadThenBitwiseOr(with: bit, ordering: .sequentiallyConsistent)
        }
    }

    /// Advances class `c`'s head over cells whose entries are taken or cancelled, freeing those entries. Stops at the
    /// first cell that is unpublished or still live.
    @discardableResult
    @inline(__always)
    func reclaim(_ c: Int) -> (head: UInt64, tail: UInt64) {
        var position = heads[c]
        let tail = tails[c].load(ordering: .acquiring)
        let ringBase = c * perClassCapacity
        while position != tail {
            let cell = ringBase + Int(position & UInt64(ringMask))
            guard ringSeq[cell].load(ordering: .acquiring) == position &+ 1 else { break }
            let slot = Int(ringValue[cell])
            let word = entryState[slot].load(ordering: .acquiring)
            let state = EntryWord.state(word)
            guard state == EntryWord.taken || state == EntryWord.cancelled else { break }
            release(slot: slot, generation: EntryWord.generation(word))
            ringSeq[cell].store(position &+ UInt64(perClassCapacity), ordering: .releasing)
            position &+= 1
        }
        heads[c] = position
        return (position, tail)
    }

    /// Calls `body` with each published, pending entry of class `c` in FIFO order until it returns false.
    /// Unpublished cells (a push in flight) and dead entries are skipped, not waited for.
    @inline(__always)
    func forEachLive(in c: Int, _ body: ((handle: QueueHandle, slot: Int)) -> Bool) {
        let tail = tails[c].load(ordering: .acquiring)
        let ringBase = c * perClassCapacity
        var position = heads[c]
        while position != tail {
            let cell = ringBase + Int(position & UInt64(ringMask))
            position &+= 1
            guard ringSeq[cell].load(ordering: .acquiring) == position else { continue }
            let slot = Int(ringValue[cell])
            let word = entryState[slot].load(ordering: .acquiring)
            guard EntryWord.state(word) == EntryWord.pending else { continue }
            let handle = QueueHandle(slot: UInt32(slot), generation: EntryWord.generation(word))
            if !body((handle, slot)) { return }
        }
    }

    /// Returns a dead entry's slot to the free list under a new generation, so old handles go stale.
    @inline(__always)
    func release(slot: Int, generation: UInt32) {
        entryState[slot].store(EntryWord.free(generation: generation &+ 1), ordering: .relaxed)
        pushFree(slot)
    }
}
