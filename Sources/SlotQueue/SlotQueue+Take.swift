import Atomics

extension SlotQueue {
    /// Takes the highest-priority pending item at `now`. Consumer only; lock-free.
    ///
    /// - Returns: the item with its priority, or nil when no published item is pending.
    public func takeBest(now: Int64) -> RankedItem? {
        enterConsumer()
        defer { leaveConsumer() }
        dropStaleHead()
        if headCache.scoredAt != now { headCache.rescore(now: now, bases: bases, aging: aging) }
        while let c = bestClass(now: now) {
            let handle = headCache.found(c).handle
            let taken = claim(handle)
            let item = headCache.found(c).item
            // Taken now, or found cancelled (or taken by `take(_:now:)`) since it was cached: either way the class
            // has a new head; finding it now updates the tree once instead of clearing the leaf and setting it again.
            scanHead(c, now: now)
            if taken { return ranked(item, handle: handle, now: now) }
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
        let cell = Int(entryCell[slot])
        let item = cells.item(cell, classIndex: cell / perClassCapacity)
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

    /// The class whose head comes first at `now` (its head is ``HeadTable/found(_:)``): the best cached head (the root
    /// of ``HeadTable``'s tree), against the heads of classes that are marked non-empty and have none cached, found by
    /// a scan.
    ///
    /// Cached heads are compared without checking that they are still pending: the claim that follows is the check
    /// (``takeBest(now:)`` rescans a class whose head's claim fails, and looks again). A cached head that was cancelled
    /// meanwhile cannot hide a better item of its own class: the items behind it in the FIFO waited no longer, so they
    /// score no higher (up to the stamp skew of racing producers, as for any head). So a take costs one claim, a scan
    /// of the class it took from and of classes without a cached head, and O(log classes) to update the tree, however
    /// many classes hold items. Precondition: the table is scored at `now`.
    @inline(__always)
    func bestClass(now: Int64) -> Int? {
        var best = headCache.best
        for word in 0..<nonEmpty.count {
            var bits = nonEmpty[word].load(ordering: .sequentiallyConsistent) & ~headCache.cached(word: word)
            while bits != 0 {
                let c = word << 6 | bits.trailingZeroBitCount
                bits &= bits &- 1
                guard scanHead(c, now: now) else { continue }
                if let current = best, !headCache.found(c).precedes(headCache.found(current)) { continue }
                best = c
            }
        }
        return best
    }

    /// Finds class `c`'s first live entry, scored at `now`, by a scan from its head (reclaiming dead cells on the way),
    /// and records it as ``HeadTable/found(_:)``; false when there is none. It becomes the class's cached head when no
    /// unpublished or RESERVED cell precedes it; otherwise a push finishing later could publish an earlier (FIFO-first)
    /// entry, so such a class has none cached and is rescanned on every take.
    @inline(__always)
    @discardableResult
    func scanHead(_ c: Int, now: Int64) -> Bool {
        guard let found = scanLive(c, now: now) else {
            if headCache.head(c) != nil { headCache.set(c, nil) }
            return false
        }
        if found.clean {
            headCache.set(c, found.head)
        } else {
            if headCache.head(c) != nil { headCache.set(c, nil) }
            headCache.setUncached(c, found.head)
        }
        return true
    }

    @inline(__always)
    private func scanLive(_ c: Int, now: Int64) -> (head: CachedHead, clean: Bool)? {
        let (head, first) = reclaimToLive(c)
        if let first {
            // The head cell itself is live: nothing precedes it, so it is clean (the common case, one pass).
            var found = CachedHead(handle: first.handle, item: cells.item(first.cell, classIndex: c))
            found.rescore(bases[c], aging, now: now)
            emptyScans[c] = 0
            return (found, true)
        }
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
        var found = CachedHead(handle: live.entry.handle, item: cells.item(live.entry.cell, classIndex: c))
        found.rescore(bases[c], aging, now: now)
        return (found, clean)
    }

    /// Checks one class's cached head per take, round-robin, and drops it if it is no longer pending. A cancelled head
    /// that never comes first would otherwise stay cached, and the dead entries from it to the class's next live one
    /// would wait for reclamation until the class's turn came; this bounds that wait to `classCount` takes.
    @inline(__always)
    func dropStaleHead() {
        let c = staleSweep
        staleSweep = c + 1 < bases.count ? c + 1 : 0
        guard let cached = headCache.head(c) else { return }
        let word = entryState[Int(cached.handle.slot)].load(ordering: .relaxed)
        if word != EntryWord.make(cached.handle.generation, EntryWord.pending) { headCache.set(c, nil) }
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
        reclaimToLive(c).head
    }

    /// ``reclaim(_:)``, also returning the entry it stopped at when that cell is published and its entry PENDING.
    @inline(__always)
    func reclaimToLive(_ c: Int) -> (head: UInt64, live: LiveEntry?) {
        var position = heads[c]
        let ringBase = c * perClassCapacity
        var live: LiveEntry?
        while true {
            let cell = ringBase + Int(position & UInt64(ringMask))
            guard cells.sequence(cell).loadAcquiring() == position &+ 1 else { break }
            let slot = cells.slot(cell)
            let word = entryState[slot].load(ordering: .acquiring)
            let state = EntryWord.state(word)
            guard state == EntryWord.taken || state == EntryWord.cancelled else {
                if state == EntryWord.pending {
                    live = (QueueHandle(slot: UInt32(slot), generation: EntryWord.generation(word)), slot, cell)
                }
                break
            }
            release(slot: slot, generation: EntryWord.generation(word))
            cells.sequence(cell).storeReleasing(position &+ UInt64(perClassCapacity))
            position &+= 1
        }
        heads[c] = position
        return (position, live)
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
