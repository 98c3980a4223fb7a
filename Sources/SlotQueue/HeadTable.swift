/// The consumer's cache of class heads, kept in a tournament tree so that a take finds the best cached head in
/// O(1) and a changed head costs O(log classes), instead of comparing every class on every take.
///
/// Consumer only (see ``SlotQueue``'s thread rules). Every field is a pointer to consumer-owned memory, so the
/// methods are non-mutating and the queue holds the table in a `let` (no exclusivity checks on the hot path).
///
/// Scores are those at ``scoredAt``: the order of two heads can change only when `now` does (aging), so a take at a
/// new `now` rescores every cached head and rebuilds the tree once (``rescore(now:bases:aging:)``), and takes at the
/// same `now` reuse it.
struct HeadTable: ~Copyable {
    /// Leaves of the tree: a power of two, at least the number of classes.
    private let leaves: Int
    /// `heads[c]` is class `c`'s cached head while bit `c` of `cachedBits` is set; otherwise the head a scan found
    /// last (``setUncached(_:_:)``), or meaningless.
    private let heads: UnsafeMutablePointer<CachedHead>
    private let cachedBits: UnsafeMutablePointer<UInt64>
    /// Node `i` (1-based; leaves at `leaves..<2 × leaves`) holds the class of the best cached head below it, or -1.
    private let tree: UnsafeMutablePointer<Int32>
    private let scoredAtStorage: UnsafeMutablePointer<Int64>
    let words: Int

    init(classes: Int) {
        var leaves = 1
        while leaves < classes { leaves <<= 1 }
        self.leaves = leaves
        self.words = (classes + 63) / 64
        let empty = CachedHead(
            handle: QueueHandle(slot: 0, generation: 0), item: QueueItem(id: 0, submittedAt: 0, classIndex: 0))
        heads = .allocate(capacity: leaves)
        heads.initialize(repeating: empty, count: leaves)
        cachedBits = .allocate(capacity: max(1, words))
        cachedBits.initialize(repeating: 0, count: max(1, words))
        tree = .allocate(capacity: 2 * leaves)
        tree.initialize(repeating: -1, count: 2 * leaves)
        scoredAtStorage = .allocate(capacity: 1)
        scoredAtStorage.initialize(to: .min)
    }

    deinit {
        heads.deallocate()
        cachedBits.deallocate()
        tree.deallocate()
        scoredAtStorage.deallocate()
    }

    /// The `now` the cached scores are for.
    var scoredAt: Int64 { scoredAtStorage.pointee }

    /// Class `c`'s cached head, if any.
    @inline(__always)
    func head(_ c: Int) -> CachedHead? {
        cachedBits[c >> 6] & (1 << UInt64(c & 63)) != 0 ? heads[c] : nil
    }

    /// The head last recorded for class `c` by ``set(_:_:)`` or ``setUncached(_:_:)``, cached or not.
    @inline(__always)
    func found(_ c: Int) -> CachedHead { heads[c] }

    /// Records class `c`'s head for the current take without caching it (the class must have none cached).
    @inline(__always)
    func setUncached(_ c: Int, _ head: CachedHead) { heads[c] = head }

    /// The classes of word `word` that have a cached head, as a bitmap.
    @inline(__always)
    func cached(word: Int) -> UInt64 { cachedBits[word] }

    /// The class whose cached head comes first, if any head is cached.
    @inline(__always)
    var best: Int? {
        let winner = tree[1]
        return winner >= 0 ? Int(winner) : nil
    }

    /// Caches `head` (scored at ``scoredAt``) for class `c`, or forgets class `c`'s head.
    @inline(__always)
    func set(_ c: Int, _ head: CachedHead?) {
        let bit: UInt64 = 1 << UInt64(c & 63)
        if let head {
            heads[c] = head
            cachedBits[c >> 6] |= bit
        } else {
            cachedBits[c >> 6] &= ~bit
        }
        var node = leaves + c
        tree[node] = head == nil ? -1 : Int32(c)
        while node > 1 {
            node >>= 1
            tree[node] = better(tree[2 * node], tree[2 * node + 1])
        }
    }

    /// Rescores every cached head at `now` and rebuilds the tree.
    func rescore(now: Int64, bases: [Int64], aging: AgingCurve) {
        for word in 0..<words {
            var bits = cachedBits[word]
            while bits != 0 {
                let c = word << 6 | bits.trailingZeroBitCount
                bits &= bits &- 1
                heads[c].rescore(bases[c], aging, now: now)
            }
        }
        scoredAtStorage.pointee = now
        for node in stride(from: leaves - 1, through: 1, by: -1) {
            tree[node] = better(tree[2 * node], tree[2 * node + 1])
        }
    }

    /// Forgets every head, and the `now` they were scored at (after a rebuild changed the classes or their bases).
    func clear() {
        cachedBits.update(repeating: 0, count: max(1, words))
        tree.update(repeating: -1, count: 2 * leaves)
        scoredAtStorage.pointee = .min
    }

    @inline(__always)
    private func better(_ a: Int32, _ b: Int32) -> Int32 {
        if a < 0 { return b }
        if b < 0 { return a }
        return heads[Int(b)].precedes(heads[Int(a)]) ? b : a
    }
}

/// A class head the consumer found: its entry (PENDING when it was found, with this generation; an entry's generation
/// changes whenever it is freed, so a reused slot never matches a stale handle) and its score at the table's `now`.
struct CachedHead {
    var handle: QueueHandle
    var item: QueueItem
    var score: Int64 = 0

    init(handle: QueueHandle, item: QueueItem) {
        self.handle = handle
        self.item = item
    }

    @inline(__always)
    mutating func rescore(_ base: Int64, _ aging: AgingCurve, now: Int64) {
        score = aging.score(base: base, waited: now &- item.submittedAt)
    }

    /// ``RankedItem/precedes(_:)`` for two heads scored at the same `now`.
    @inline(__always)
    func precedes(_ other: CachedHead) -> Bool {
        RankedItem.precedes(score, item, other.score, other.item)
    }
}
