import Atomics

/// The lock-free priority-queue core: per-class FIFO rings, an atomic bitmap of non-empty classes, and a
/// preallocated entry table for O(1) cancellation.
///
/// ## Model
/// Every item belongs to a class `c` with a base priority `base[c]`. Its priority at time `now` is
/// `base[c] + aging.points(waited: now - submittedAt)`. Aging is the same capped linear curve for every class, so
/// within a class the first-arrived live item (the class head) is the class's best item, and the best item overall is
/// the best of the non-empty class heads. Ties go to the earlier submit, then the smaller id.
///
/// ## Threads
/// - ``push(_:)`` and ``cancel(_:)`` may be called from any number of threads at once.
/// - The *consumer* operations (``takeBest(now:)``, ``candidates(now:limit:)``, ``walk(now:_:)``,
///   ``take(_:now:)`` and ``rebuild(bases:classOf:)``) must be called by one thread at a time: the scheduler. Debug builds trap when
///   two consumers overlap.
///
/// ## Progress guarantee (precisely)
/// - `push` is lock-free: it takes a fresh entry with one fetch-and-add, or once every entry has been used pops a
///   tagged Treiber free list, and claims a ring cell with a CAS loop; each retry means
///   another thread's operation succeeded. It never waits for another thread: when the table or the class ring is
///   full, or a rebuild is in progress, it returns a ``QueueRefusal`` at once.
/// - `cancel` is wait-free: one CAS on the entry's state word (PENDING → CANCELLED).
/// - `takeBest` is lock-free: a producer that stalls after claiming a ring cell and before publishing it does *not*
///   block takes, because the consumer looks past unpublished cells to later published ones (the stalled push has not
///   completed, so serving later items first is a valid linearization). The only cost of such a stall is that the
///   consumer cannot *reclaim* ring cells past it; if the stall lasts until the class ring wraps, pushes to that one
///   class return ``QueueRefusal/classFull(classIndex:)``.
/// - `rebuild` is blocking by design (rare, policy change): it closes intake (pushes return `.rebuilding`), waits
///   for pushes already past the free list to publish, then re-files every pending entry. Cancels keep working
///   throughout and handles stay valid across a rebuild.
///
/// ## Ordering guarantees
/// - Comparisons use the exact score `base × unit + min(cap × unit, pointsPerUnit × waited)`
///   (``AgingCurve/score(base:waited:)``), never rounded aging, so two waiting items cannot swap places back and forth.
/// - Exact FIFO within a class: a push that completed before another push to the same class began is taken first,
///   and listed first by ``walk(now:_:)``. A scan that skipped an in-flight cell re-reads the cells before the entry
///   it found, so a push that completed while the scan was passing cannot be overtaken (see `firstLive`).
/// - A take never skips an item whose push completed before the take began and that has higher priority (or equal
///   priority and earlier submit) than the item returned.
/// - Aging counts from the caller-supplied `submittedAt`. Two producers racing on one class may publish stamps out
///   of order; the queue then serves arrival order, and the priority error is bounded by that stamp skew.
/// - Exactly once: every successful push is returned by exactly one take, or cancelled, never both.
///
/// ## Memory and reclamation
/// Entries (state word with generation, free-list link, and the index of the ring cell they were published in: 16
/// bytes) are preallocated; a taken or cancelled entry is reclaimed by the consumer when its ring cell reaches the
/// class head, and returned to the free list in batches of `min(32, capacity / 8)` (flushed whenever a take finds
/// nothing). Ring cells are 32 bytes and hold the slot and a copy of the item next to the sequence word, so a take
/// touches one cell line and one entry-state word. `maxClasses × perClassCapacity × 32` bytes of address space are
/// reserved up front; a ring's pages are committed only as its cells are first used (``RingCells``).
///
/// ## The consumer's class heads
/// The consumer caches each class's first live entry in a tournament tree (``HeadTable``), so a take costs one claim
/// and O(log classes), not a comparison of every class. Cached heads are not rechecked before the claim: the claim is
/// the check (see ``bestClass(now:)``).
public final class SlotQueue: @unchecked Sendable {
    // @unchecked Sendable is sound because:
    // - every field touched by producers or cancellers is an atomic (`entryState`, `freeHead`, `freeNext`, `fresh`, the
    //   sequence words of `cells`, `tails`, `nonEmpty`, `activeClassCount`), or plain memory (`entryCell`, the other
    //   fields of `cells`) that is written by exactly one producer between claiming it (a free-list pop / ring CAS)
    //   and publishing it with a release store, and read only after the matching acquire load;
    // - every other mutable field (`heads`, `headCache`, `consumerWords`, `gapSkipped`, `emptyScans`, `freed`,
    //   `bases`) is consumer-only, and the API contract allows one consumer at a time (checked by `consumerGuard` in
    //   debug builds);
    // - `entryCell` and the cells' plain fields are rewritten by the consumer only in `rebuild`, while intake is closed
    //   and no producer owns an entry.

    /// Entries the table can hold (pending plus awaiting reclamation).
    public let capacity: Int
    /// Entries one class ring can hold; a power of two.
    public let perClassCapacity: Int
    /// The most classes a rebuild may declare.
    public let maxClasses: Int
    /// The aging curve shared by every class.
    public let aging: AgingCurve

    let ringMask: Int
    let entryState: AtomicTable<UInt64>
    /// The ring cell each entry was published in (valid while it is PENDING), so ``take(_:now:)`` can read the item
    /// from its cell by handle: 4 bytes per entry where a copy of the item took 24 (and a push wrote both).
    let entryCell: UnsafeMutablePointer<UInt32>
    /// Free list of entries that were used and reclaimed: `closed bit 63 | tag bits 32...62 | slot + 1` (0 in the
    /// low half means empty).
    let freeHead: AtomicTable<UInt64>
    let freeNext: AtomicTable<UInt32>
    /// Entries never used yet are handed out by counting: `closed bit 63 | the next fresh slot`. A fetch-and-add
    /// always succeeds, where two producers popping the free list retry each other's CAS (`popSlot`).
    let fresh: AtomicTable<UInt64>
    let cells: RingCells
    let tails: AtomicTable<UInt64>
    let nonEmpty: AtomicTable<UInt64>
    let heads: UnsafeMutablePointer<UInt64>
    /// Consumer-side cache of each class's first live entry, in a tournament tree (``HeadTable``).
    let headCache: HeadTable
    /// Consumer-side count of consecutive scans that found each class empty (see `scanHead`).
    let emptyScans: UnsafeMutablePointer<UInt32>
    static let emptyScansBeforeClear: UInt32 = 64
    /// Consumer-side batch of freed slots, returned to the free list with one CAS (see `flushFreed`).
    let freed: UnsafeMutablePointer<Int>
    /// Consumer-side counters, on a line of their own: as fields of this object they would share a cache line with the
    /// fields every push reads (the tables' addresses), and each take's write would cost the producers a miss.
    /// `[0]`: freed slots in `freed`; `[1]`: the class whose cached head the next take checks (``dropStaleHead()``).
    let consumerWords: UnsafeMutablePointer<Int>
    var freedCount: Int {
        get { consumerWords[0] }
        set { consumerWords[0] = newValue }
    }
    var staleSweep: Int {
        get { consumerWords[1] }
        set { consumerWords[1] = newValue }
    }
    let freedBatch: Int
    /// `bases.count`, readable by producers.
    let activeClassCount: AtomicTable<Int>
    var bases: [Int64]
    /// Called by a consumer scan each time it skips a cell whose push is in flight, with the class index. Consumer
    /// only, like `heads`: set it before the consumer starts. Tests use it to run pushes in the middle of a scan.
    @_spi(Testing) public var gapSkipped: ((Int) -> Void)?
    #if DEBUG
        let consumerGuard: AtomicTable<Bool>
    #endif

    /// The number of classes the current policy declares.
    public var classCount: Int { bases.count }

    /// Creates an empty queue.
    /// - Parameters:
    ///   - capacity: entries in the table, at most `UInt32.max - 1`.
    ///   - bases: base priority of each class; `bases.count` classes are active.
    ///   - aging: the shared aging curve.
    ///   - maxClasses: the most classes a later rebuild may declare (default: `bases.count`).
    ///   - perClassCapacity: ring size per class, rounded up to a power of two (default: `capacity`, at most 4096).
    public init(
        capacity: Int,
        bases: [Int64],
        aging: AgingCurve,
        maxClasses: Int? = nil,
        perClassCapacity: Int? = nil
    ) {
        let classes = maxClasses ?? bases.count
        precondition(capacity > 0 && capacity < Int(UInt32.max), "capacity out of range")
        precondition(!bases.isEmpty && bases.count <= classes, "need 1...maxClasses classes")
        var ring = 1
        while ring < (perClassCapacity ?? min(capacity, 4096)) { ring <<= 1 }
        let (cellCount, overflow) = classes.multipliedReportingOverflow(by: ring)
        precondition(!overflow && cellCount <= Int(UInt32.max), "maxClasses × perClassCapacity must fit in 32 bits")
        self.capacity = capacity
        self.perClassCapacity = ring
        self.maxClasses = classes
        self.aging = aging
        self.ringMask = ring - 1
        self.bases = bases
        self.entryState = AtomicTable(count: capacity) { _ in EntryWord.free(generation: 0) }
        self.entryCell = allocateOwnLines(UInt32.self, count: capacity)
        entryCell.initialize(repeating: 0, count: capacity)
        // Every entry starts fresh (handed out by `fresh`); the free list starts empty. The shared words get a
        // 128-byte line each, so producers' CASes do not bounce the words every push only reads.
        self.freeNext = AtomicTable(count: capacity) { _ in 0 }
        self.freeHead = AtomicTable(count: 1, stride: 16) { _ in 0 }
        self.fresh = AtomicTable(count: 1, stride: 16) { _ in 0 }
        self.cells = RingCells(count: classes * ring, ring: ring)
        self.tails = AtomicTable(count: classes, stride: 16) { _ in 0 }
        self.nonEmpty = AtomicTable(count: (classes + 63) / 64) { _ in 0 }
        self.heads = .allocate(capacity: classes)
        heads.initialize(repeating: 0, count: classes)
        self.headCache = HeadTable(classes: classes)
        self.emptyScans = .allocate(capacity: classes)
        emptyScans.initialize(repeating: 0, count: classes)
        self.freedBatch = max(1, min(32, capacity / 8))
        self.freed = .allocate(capacity: freedBatch)
        self.consumerWords = allocateOwnLines(Int.self, count: 2)
        consumerWords.initialize(repeating: 0, count: 2)
        let active = bases.count
        self.activeClassCount = AtomicTable(count: 1, stride: 16) { _ in active }
        #if DEBUG
            self.consumerGuard = AtomicTable(count: 1) { _ in false }
        #endif
    }

    deinit {
        entryCell.deallocate()
        heads.deallocate()
        emptyScans.deallocate()
        freed.deallocate()
        consumerWords.deallocate()
    }

    /// The priority of `item` at `now` in whole points, by this queue's current bases and aging.
    @inline(__always)
    public func priority(of item: QueueItem, now: Int64) -> Int64 {
        bases[item.classIndex] &+ aging.points(waited: now &- item.submittedAt)
    }

    /// `item` ranked at `now`: its whole-point priority and the exact score the queue orders by.
    @inline(__always)
    public func ranked(_ item: QueueItem, handle: QueueHandle, now: Int64) -> RankedItem {
        let waited = now &- item.submittedAt
        return RankedItem(
            handle: handle, item: item, priority: priority(of: item, now: now),
            score: aging.score(base: bases[item.classIndex], waited: waited))
    }
}

/// The entry state word: `generation << 32 | state`.
enum EntryWord {
    static let free: UInt64 = 0
    static let reserved: UInt64 = 1
    static let pending: UInt64 = 2
    static let taken: UInt64 = 3
    static let cancelled: UInt64 = 4

    @inline(__always) static func make(_ generation: UInt32, _ state: UInt64) -> UInt64 {
        UInt64(generation) << 32 | state
    }
    @inline(__always) static func free(generation: UInt32) -> UInt64 { make(generation, free) }
    @inline(__always) static func state(_ word: UInt64) -> UInt64 { word & 0xFFFF_FFFF }
    @inline(__always) static func generation(_ word: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: word >> 32) }
}

#if DEBUG
    extension SlotQueue {
        /// Traps when two consumer operations overlap (debug builds only).
        func enterConsumer() {
            let wasInside = consumerGuard[0].exchange(true, ordering: .acquiring)
            precondition(!wasInside, "SlotQueue: two consumers at once; consumer operations must be serialized")
        }
        func leaveConsumer() { consumerGuard[0].store(false, ordering: .releasing) }
    }
#else
    extension SlotQueue {
        @inline(__always) func enterConsumer() {}
        @inline(__always) func leaveConsumer() {}
    }
#endif
