import Atomics

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension SlotQueue {
    /// Re-files every pending entry under new class bases, for example after a policy change. Consumer only.
    ///
    /// Nothing is lost or duplicated: each pending entry keeps its slot, generation (so its handle stays valid) and
    /// submit time, and is placed in the class `classOf` names. Within each new class, entries are ordered by submit
    /// time, ties kept in their previous queue order. Entries cancelled during the rebuild stay cancelled.
    ///
    /// While it runs, pushes return ``QueueRefusal/rebuilding``; it first waits for pushes already holding an entry
    /// to publish it. On a thrown refusal the queue is unchanged and open again.
    ///
    /// - Parameters:
    ///   - bases: the new base priority of each class; at most ``maxClasses`` classes.
    ///   - classOf: the new class of a pending item (the item still carries its old class index).
    public func rebuild(bases newBases: [Int64], classOf: (QueueItem) -> Int) throws(RebuildRefusal) {
        enterConsumer()
        defer { leaveConsumer() }
        guard !newBases.isEmpty, newBases.count <= maxClasses else {
            throw .tooManyClasses(requested: newBases.count, maximum: maxClasses)
        }
        setIntakeClosed(true)
        defer {
            flushFreed()
            setIntakeClosed(false)
        }
        flushFreed()  // freed-but-unflushed slots would look like pushes in flight
        waitForInFlightPushes()

        // Validate against a read-only snapshot first, so a refusal leaves the queue untouched.
        var newClass: [Int: Int] = [:]  // slot → new class
        var perClass = [Int](repeating: 0, count: newBases.count)
        for (slot, item) in collectPending() {
            let c = classOf(item)
            guard c >= 0 && c < newBases.count else { throw .unknownClass(id: item.id, classIndex: c) }
            newClass[slot] = c
            perClass[c] += 1
        }
        if let c = perClass.firstIndex(where: { $0 > perClassCapacity }) {
            throw .classOverflow(classIndex: c, entries: perClass[c], capacity: perClassCapacity)
        }

        // One pass decides each entry's fate from a single state read: pending entries are kept, dead ones freed.
        // An entry cancelled after that read is re-filed in its CANCELLED state and reclaimed later like any other;
        // deciding twice (collect, then free) would free and re-file the same slot.
        var refiled = [[(slot: Int, item: QueueItem)]](repeating: [], count: newBases.count)
        for (slot, item) in drainRings() {
            guard let c = newClass[slot] else { continue }  // cannot happen: no entry turns pending while closed
            refiled[c].append((slot, QueueItem(id: item.id, submittedAt: item.submittedAt, classIndex: c)))
        }
        for c in 0..<newBases.count {
            // Stable sort: equal submit times keep their previous queue order.
            let ordered = refiled[c].enumerated().sorted {
                ($0.element.item.submittedAt, $0.offset) < ($1.element.item.submittedAt, $1.offset)
            }
            for (position, entry) in ordered.map(\.element).enumerated() {
                let cell = c * perClassCapacity + position
                entryCell[entry.slot] = UInt32(truncatingIfNeeded: cell)
                cells.write(cell, slot: entry.slot, item: entry.item)
                cells.sequence(cell).storeReleasing(UInt64(position + 1))
            }
            tails[c].store(UInt64(ordered.count), ordering: .releasing)
            if !ordered.isEmpty {
                _ = nonEmpty[c >> 6].loadThenBitwiseOr(with: 1 << UInt64(c & 63), ordering: .sequentiallyConsistent)
            }
        }
        bases = newBases
        headCache.clear()
        activeClassCount[0].store(newBases.count, ordering: .relaxed)
    }

    /// Waits until no push holds an entry that is not yet published.
    ///
    /// Intake is closed, so no pop can succeed and the free list below its head is frozen. Walking the list first and
    /// then scanning entry states counts every entry at most once; the total falls short of `capacity` exactly while
    /// some push sits between its pop and its RESERVED mark (or a refused push is handing its entry back). A RESERVED
    /// entry belongs to a push that will publish or hand back shortly. Both windows are a few instructions long.
    private func waitForInFlightPushes() {
        while true {
            // Entries never handed out are accounted for by the fresh count; a producer that took one and found
            // intake closed puts it on the free list.
            var accounted = capacity - min(capacity, Int(fresh[0].load(ordering: .acquiring) & ~Self.closedBit))
            var next = freeHead[0].load(ordering: .acquiring) & 0xFFFF_FFFF
            while next != 0 {
                accounted += 1
                next = UInt64(freeNext[Int(next - 1)].load(ordering: .acquiring))
            }
            var reserved = 0
            for slot in 0..<capacity {
                let state = EntryWord.state(entryState[slot].load(ordering: .acquiring))
                if state == EntryWord.reserved { reserved += 1 }
                if state != EntryWord.free { accounted += 1 }
            }
            if accounted == capacity && reserved == 0 { return }
            sched_yield()
        }
    }

    /// Every pending entry in ring order, class by class.
    private func collectPending() -> [(slot: Int, item: QueueItem)] {
        var pending: [(slot: Int, item: QueueItem)] = []
        for c in 0..<maxClasses {
            forEachLive(in: c) { found in
                pending.append((found.slot, cells.item(found.cell, classIndex: c)))
                return true
            }
        }
        return pending
    }

    /// Empties every ring: returns the entries that are pending at this pass (in ring order, class by class) and
    /// frees the taken and cancelled ones. Intake is closed, so every claimed cell is published.
    private func drainRings() -> [(slot: Int, item: QueueItem)] {
        var pending: [(slot: Int, item: QueueItem)] = []
        for c in 0..<maxClasses {
            let tail = tails[c].load(ordering: .acquiring)
            var position = heads[c]
            while position != tail {
                let cell = c * perClassCapacity + Int(position & UInt64(ringMask))
                let slot = cells.slot(cell)
                let word = entryState[slot].load(ordering: .acquiring)
                switch EntryWord.state(word) {
                case EntryWord.pending: pending.append((slot, cells.item(cell, classIndex: c)))
                case EntryWord.taken, EntryWord.cancelled: release(slot: slot, generation: EntryWord.generation(word))
                default: break  // FREE or RESERVED cannot be in a ring while intake is closed
                }
                position &+= 1
            }
            // Only cells at positions below the tail were ever written; the rest still hold their initial zero
            // bytes, and leaving them alone keeps their pages uncommitted.
            for i in 0..<Int(min(tail, UInt64(perClassCapacity))) {
                cells.sequence(c * perClassCapacity + i).storeRelaxed(UInt64(i))
            }
            heads[c] = 0
            tails[c].store(0, ordering: .relaxed)
            _ = nonEmpty[c >> 6].loadThenBitwiseAnd(with: ~(1 << UInt64(c & 63)), ordering: .sequentiallyConsistent)
        }
        return pending
    }
}
