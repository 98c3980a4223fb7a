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
        flushFreed()
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
        return ranked(item, handle: handle, now: now)
    }

    /// The first `limit` pending items in priority order at `now`, without taking them. Consumer only.
    ///
    /// Backfill uses this to look past the head: nobody loses their place, and a candidate is then claimed with
    /// ``take(_:now:)``, which fails harmlessly if the entry was cancelled meanwhile.
    public func candidates(now: Int64, limit: Int) -> [RankedItem] {
        guard limit > 0 else { return [] }
        var found: [RankedItem] = []
        walk(now: now) { item in
            found.append(item)
            return found.count < limit
        }
        return found
    }

    // MARK: Internals (consumer only)

    /// The best live class head at `now`.
    @inline(__always)
    func bestHead(now: Int64) -> RankedItem? {
        var best: RankedItem?
        for word in 0..<nonEmpty.count {
            var bits = nonEmpty[word].load(ordering: .sequentiallyConsistent)
            while bits != 0 {
                let c = word << 6 | bits.trailingZeroBitCount
                bits &= bits &- 1
                guard let head = classHead(c) else { continue }
                let candidate = ranked(head.item, handle: head.handle, now: now)
                if let current = best, !candidate.precedes(current) { continue }
                best = candidate
            }
        }
        return best
    }

    /// Class `c`'s first live entry: the cached one while it is still pending, else found by a scan.
    ///
    /// A head is cached only when no unpublished or RESERVED cell precedes it; otherwise a push finishing later could
    /// publish an earlier (FIFO-first) entry, so such a class is rescanned on every take.
    @inline(__always)
    func classHead(_ c: Int) -> CachedHead? {
        if let cached = headCache[c] {
            let word = entryState[Int(cached.handle.slot)].load(ordering: .acquiring)
            if word == EntryWord.make(cached.handle.generation, EntryWord.pending) { return cached }
            headCache[c] = nil
        }
        let head = reclaim(c)
        if isEmpty(c, head: head) {
            emptyScans[c] &+= 1
            // Lazy clearing: a class that just drained usually refills soon; clearing and re-setting its bit on
            // every item would bounce the bitmap's cache line between producers and the consumer.
            if emptyScans[c] >= Self.emptyScansBeforeClear {
                emptyScans[c] = 0
                markEmpty(c, head: head)
            }
            return nil
        }
        emptyScans[c] = 0
        var clean = true
        guard let live = firstLive(in: c, from: head, gap: &clean) else { return nil }
        let found = CachedHead(handle: live.entry.handle, item: cells.item(live.entry.cell, classIndex: c))
        if clean { headCache[c] = found }
        return found
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
                let head = reclaim(c)
                if isEmpty(c, head: head) {
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
    /// first cell that is unpublished or still live. Reads only ring cells, not the producers' tail.
    @discardableResult
    @inline(__always)
    func reclaim(_ c: Int) -> UInt64 {
        var position = heads[c]
        let ringBase = c * perClassCapacity
        while true {
            let cell = ringBase + Int(position & UInt64(ringMask))
            guard cells.sequence(cell).loadAcquiring() == position &+ 1 else { break }
            let slot = cells.slot(cell)
            let word = entryState[slot].load(ordering: .acquiring)
            let state = EntryWord.state(word)
            guard state == EntryWord.taken || state == EntryWord.cancelled else { break }
            release(slot: slot, generation: EntryWord.generation(word))
            cells.sequence(cell).storeReleasing(position &+ UInt64(perClassCapacity))
            position &+= 1
        }
        heads[c] = position
        return position
    }

    /// True when no push has claimed a cell of class `c` at or after `head`. Reads the tail only when the head cell is
    /// unpublished (a published head cell means non-empty).
    @inline(__always)
    func isEmpty(_ c: Int, head: UInt64) -> Bool {
        let cell = c * perClassCapacity + Int(head & UInt64(ringMask))
        if cells.sequence(cell).loadAcquiring() == head &+ 1 { return false }
        return tails[c].load(ordering: .acquiring) == head
    }

    /// Returns a dead entry's slot to the free list under a new generation, so old handles go stale.
    @inline(__always)
    func release(slot: Int, generation: UInt32) {
        entryState[slot].store(EntryWord.free(generation: generation &+ 1), ordering: .relaxed)
        freed[freedCount] = slot
        freedCount += 1
        if freedCount == freedBatch { flushFreed() }
    }

    /// Links the batch of freed slots into one chain and splices it onto the free list with one CAS.
    func flushFreed() {
        guard freedCount > 0 else { return }
        for i in 0..<(freedCount - 1) {
            freeNext[freed[i]].store(UInt32(freed[i + 1] + 1), ordering: .relaxed)
        }
        pushFreeChain(first: freed[0], last: freed[freedCount - 1])
        freedCount = 0
    }
}
