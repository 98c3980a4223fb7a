import Atomics

extension SlotQueue {
    /// Queues `item`. Safe from any thread; lock-free; never blocks.
    ///
    /// - Returns: the handle for ``cancel(_:)``, or why the item was refused. A refused item was not queued.
    public func push(_ item: QueueItem) -> Result<QueueHandle, QueueRefusal> {
        beginPush(item).map { finishPush($0) }
    }

    /// The first half of ``push(_:)``: takes an entry and publishes its ring cell, leaving the entry RESERVED, so
    /// takes and cancels do not see it yet. Tests use it to hold a push in flight; ``finishPush(_:)`` completes it.
    @_spi(Testing)
    @inline(__always)
    public func beginPush(_ item: QueueItem) -> Result<InFlightPush, QueueRefusal> {
        let c = item.classIndex
        guard c >= 0 && c < activeClassCount[0].load(ordering: .relaxed) else {
            return .failure(.unknownClass(classIndex: c))
        }
        let slot: Int
        switch popSlot() {
        case .success(let s): slot = s
        case .failure(let refusal): return .failure(refusal)
        }
        // Checked again after the pop: a rebuild cannot complete while this push holds an entry (it waits for us), and a
        // pop after a rebuild reopened intake sees the new class count (acquire on the free-list head).
        guard c >= 0 && c < activeClassCount[0].load(ordering: .relaxed) else {
            pushFree(slot)
            return .failure(.unknownClass(classIndex: c))
        }
        let word = entryState[slot].load(ordering: .relaxed)
        let generation = EntryWord.generation(word)
        entryState[slot].store(EntryWord.make(generation, EntryWord.reserved), ordering: .relaxed)

        guard claimAndPublish(slot: slot, item: item) else {
            entryState[slot].store(EntryWord.free(generation: generation), ordering: .relaxed)
            pushFree(slot)
            return .failure(.classFull(classIndex: c))
        }
        return .success(InFlightPush(slot: slot, generation: generation, classIndex: c))
    }

    /// The second half of ``push(_:)``: makes the entry PENDING, visible to takes and cancels.
    @_spi(Testing)
    @inline(__always)
    public func finishPush(_ push: InFlightPush) -> QueueHandle {
        let c = push.classIndex
        // The entry becomes visible to takes and cancels only now, after its ring cell is published.
        entryState[push.slot].store(EntryWord.make(push.generation, EntryWord.pending), ordering: .releasing)
        // Skip the read-modify-write when the bit is already set (the common case under load). See `markEmpty`
        // for why the seq-cst pair (tail CAS, this load) cannot lose the bit against a concurrent clear.
        let bit: UInt64 = 1 << UInt64(c & 63)
        if nonEmpty[c >> 6].load(ordering: .sequentiallyConsistent) & bit == 0 {
            _ = nonEmpty[c >> 6].loadThenBitwiseOr(with: bit, ordering: .sequentiallyConsistent)
        }
        return QueueHandle(slot: UInt32(push.slot), generation: push.generation)
    }

    /// Cancels the entry `handle` names. Safe from any thread; wait-free (one CAS).
    public func cancel(_ handle: QueueHandle) -> CancelOutcome {
        let slot = Int(handle.slot)
        guard slot < capacity else { return .notPending }
        let (exchanged, _) = entryState[slot].compareExchange(
            expected: EntryWord.make(handle.generation, EntryWord.pending),
            desired: EntryWord.make(handle.generation, EntryWord.cancelled),
            ordering: .acquiringAndReleasing
        )
        return exchanged ? .cancelled : .notPending
    }

    /// Claims the next cell of class `c`'s ring (Vyukov's bounded-queue protocol) and publishes `slot` in it.
    /// Returns false when the ring is full.
    @inline(__always)
    private func claimAndPublish(slot: Int, item: QueueItem) -> Bool {
        let c = item.classIndex
        let tail = tails[c]
        let ringBase = c * perClassCapacity
        var position = tail.load(ordering: .relaxed)
        while true {
            let cell = ringBase + Int(position & UInt64(ringMask))
            let sequence = cells.sequence(cell).loadAcquiring()
            let lag = Int64(bitPattern: sequence &- position)
            if lag == 0 {
                let (won, current) = tail.weakCompareExchange(
                    expected: position, desired: position &+ 1, ordering: .sequentiallyConsistent
                )
                if won {
                    entryCell[slot] = UInt32(truncatingIfNeeded: cell)
                    cells.write(cell, slot: slot, item: item)
                    cells.sequence(cell).storeReleasing(position &+ 1)
                    cells.commitAhead(ringBase: ringBase, position: position, ring: perClassCapacity)
                    return true
                }
                position = current
            } else if lag < 0 {
                return false
            } else {
                position = tail.load(ordering: .relaxed)
            }
        }
    }

    // MARK: Entries: fresh ones by counting, used ones from a free list (tagged Treiber stack)

    /// An entry for a push: a fresh one while any is left (one fetch-and-add, which never retries), else a
    /// reclaimed one from the free list.
    @inline(__always)
    func popSlot() -> Result<Int, QueueRefusal> {
        let counter = fresh[0]
        let seen = counter.load(ordering: .relaxed)
        if seen & Self.closedBit != 0 { return .failure(.rebuilding) }
        // Racing producers may each add one past `capacity` before they see it reached; the count has 63 bits.
        if seen < UInt64(capacity) {
            let taken = counter.loadThenWrappingIncrement(ordering: .acquiringAndReleasing)
            let slot = Int(taken & ~Self.closedBit)
            if taken & Self.closedBit != 0 {
                // A rebuild closed intake first. The count moved past this slot anyway, so the slot goes to the
                // free list, where the rebuild accounts for it (`waitForInFlightPushes`).
                if slot < capacity { pushFree(freshSlot(slot)) }
                return .failure(.rebuilding)
            }
            if slot < capacity { return .success(freshSlot(slot)) }
        }
        return popFree()
    }

    /// Fresh entries striped over the table: the `n`th is 8 entries from the `n - 1`th, so producers filling
    /// consecutive fresh entries write different cache lines of `entryState` than the ones the consumer is reading
    /// (the class heads, which are the entries pushed just before when the consumer keeps up). A bijection of
    /// `0..<capacity`: the first `capacity / 8 * 8` are interleaved, the rest map to themselves.
    @inline(__always)
    func freshSlot(_ n: Int) -> Int {
        let stripes = 8
        let perStripe = capacity / stripes
        guard n < perStripe * stripes else { return n }
        return (n % stripes) * perStripe + n / stripes
    }

    static let closedBit: UInt64 = 1 << 63
    static let tagUnit: UInt64 = 1 << 32
    static let tagMask: UInt64 = 0x7FFF_FFFF << 32

    /// The head's ABA tag plus one, wrapped inside its 31 bits so it can never reach the closed bit.
    @inline(__always)
    static func bumpedTag(_ head: UInt64) -> UInt64 {
        ((head & tagMask) &+ tagUnit) & tagMask
    }

    /// Pops a free entry slot, or says why there is none.
    @inline(__always)
    func popFree() -> Result<Int, QueueRefusal> {
        var head = freeHead[0].load(ordering: .acquiring)
        while true {
            if head & Self.closedBit != 0 { return .failure(.rebuilding) }
            let top = head & 0xFFFF_FFFF
            if top == 0 { return .failure(.capacityExhausted) }
            let slot = Int(top - 1)
            let next = UInt64(freeNext[slot].load(ordering: .relaxed))
            let desired = Self.bumpedTag(head) | next
            let (won, current) = freeHead[0].weakCompareExchange(
                expected: head, desired: desired, ordering: .acquiringAndReleasing
            )
            if won { return .success(slot) }
            head = current
        }
    }

    /// Returns a slot to the free list; keeps the closed bit as it is.
    @inline(__always)
    func pushFree(_ slot: Int) {
        pushFreeChain(first: slot, last: slot)
    }

    /// Splices a chain `first → … → last` (already linked through `freeNext`) onto the free list.
    @inline(__always)
    func pushFreeChain(first: Int, last: Int) {
        var head = freeHead[0].load(ordering: .relaxed)
        while true {
            freeNext[last].store(UInt32(truncatingIfNeeded: head & 0xFFFF_FFFF), ordering: .relaxed)
            let desired = (head & Self.closedBit) | Self.bumpedTag(head) | UInt64(first + 1)
            let (won, current) = freeHead[0].weakCompareExchange(
                expected: head, desired: desired, ordering: .acquiringAndReleasing
            )
            if won { return }
            head = current
        }
    }

    /// Sets or clears the closed bit that turns pushes away during a rebuild, on both sources of entries.
    func setIntakeClosed(_ closed: Bool) {
        if closed {
            _ = freeHead[0].loadThenBitwiseOr(with: Self.closedBit, ordering: .acquiringAndReleasing)
            _ = fresh[0].loadThenBitwiseOr(with: Self.closedBit, ordering: .acquiringAndReleasing)
        } else {
            _ = fresh[0].loadThenBitwiseAnd(with: ~Self.closedBit, ordering: .acquiringAndReleasing)
            _ = freeHead[0].loadThenBitwiseAnd(with: ~Self.closedBit, ordering: .acquiringAndReleasing)
        }
    }
}
