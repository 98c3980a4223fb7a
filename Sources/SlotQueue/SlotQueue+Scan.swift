import Atomics

/// A published, PENDING entry met by a scan of one class ring.
typealias LiveEntry = (handle: QueueHandle, slot: Int, cell: Int)

extension SlotQueue {
    /// Class `c`'s first live entry at or after ring position `start`, and the position after it. Consumer only.
    ///
    /// The scan skips cells whose push is still in flight rather than wait for them (see "Progress guarantee"). Such a
    /// push can complete, and another push to the class begin and publish a later cell, while the scan is still on
    /// its way to that later cell. Returning the later entry would break FIFO: the earlier push completed before the
    /// later one began. So when the scan skipped a gap, the cells before the entry it found are read again, now that
    /// the entry has been seen published. A push that completed before the found entry's push began is visible by
    /// then (its release store happens before the found push's tail CAS and publish, which this scan acquired). An
    /// earlier live entry found by the re-read becomes the answer and is checked the same way; every round ends
    /// strictly earlier in the ring, so the loop stops.
    ///
    /// `clean` becomes false when the first scan skipped a gap (callers cache a head only when it is clean).
    @inline(__always)
    func firstLive(in c: Int, from start: UInt64, gap clean: inout Bool) -> (entry: LiveEntry, after: UInt64)? {
        var found: (entry: LiveEntry, after: UInt64)?
        forEachLive(in: c, from: start, gap: &clean) { live, after in
            found = (live, after)
            return false
        }
        guard !clean, var current = found else { return found }
        while true {
            var earlier: (entry: LiveEntry, after: UInt64)?
            var ignored = true
            forEachLive(in: c, from: start, until: current.after &- 1, gap: &ignored) { live, after in
                earlier = (live, after)
                return false
            }
            guard let better = earlier else { return current }
            current = better
        }
    }

    /// Calls `body` with each published, pending entry of class `c` in FIFO order until it returns false.
    /// Unpublished cells (a push in flight) and dead entries are skipped, not waited for.
    @inline(__always)
    func forEachLive(in c: Int, _ body: (LiveEntry) -> Bool) {
        var clean = true
        _ = forEachLive(in: c, from: heads[c], gap: &clean) { live, _ in body(live) }
    }

    /// Scans class `c` from ring position `start` up to, not including, `limit` (default: the ring's end); `body`
    /// also gets the position after the visited cell. Returns the position where the scan stopped (after the last
    /// visited cell, or the end). `clean` becomes false if an unpublished or RESERVED cell was skipped.
    @inline(__always)
    @discardableResult
    func forEachLive(
        in c: Int, from start: UInt64, until limit: UInt64? = nil, gap clean: inout Bool,
        _ body: (LiveEntry, UInt64) -> Bool
    ) -> UInt64 {
        var tail: UInt64?  // read only when an unpublished cell is met: it is either the end or a push in flight
        let ringBase = c * perClassCapacity
        var position = start
        while position != limit {
            let cell = ringBase + Int(position & UInt64(ringMask))
            position &+= 1
            guard cells.sequence(cell).loadAcquiring() == position else {
                if tail == nil { tail = tails[c].load(ordering: .acquiring) }
                if let end = tail, position &- 1 >= end { return position &- 1 }
                clean = false
                gapSkipped?(c)
                continue
            }
            let slot = cells.slot(cell)
            let word = entryState[slot].load(ordering: .acquiring)
            let state = EntryWord.state(word)
            guard state == EntryWord.pending else {
                if state == EntryWord.reserved {
                    clean = false
                    gapSkipped?(c)
                }
                continue
            }
            let handle = QueueHandle(slot: UInt32(slot), generation: EntryWord.generation(word))
            if !body((handle, slot, cell), position) { return position }
        }
        return position
    }
}
