import HeapModule

extension SlotQueue {
    /// Calls `body` with pending items in priority order at `now`, best first, until it returns false. Consumer only.
    ///
    /// A lazy k-way merge of the class FIFOs: each class contributes its first live item, and a class advances by one
    /// item (resuming from its ring position) each time its item is visited. It costs
    /// O((classes + visited) × log classes) whatever the queue's size, so a scheduling pass that looks at the first
    /// few hundred candidates does not depend on how many requests are pending. Nothing is taken; claim a visited
    /// item with ``take(_:now:)`` afterwards.
    public func walk(now: Int64, _ body: (RankedItem) -> Bool) {
        enterConsumer()
        defer { leaveConsumer() }
        var heap = Heap<WalkCursor>()
        forEachNonEmptyClass { c in
            if let cursor = nextLive(in: c, from: heads[c], now: now) { heap.insert(cursor) }
        }
        while let top = heap.popMax() {
            guard body(top.item) else { return }
            if let next = nextLive(in: top.classIndex, from: top.resume, now: now) { heap.insert(next) }
        }
    }

    /// The first live item of class `c` at or after ring position `start`.
    private func nextLive(in c: Int, from start: UInt64, now: Int64) -> WalkCursor? {
        var clean = true
        guard let live = firstLive(in: c, from: start, gap: &clean) else { return nil }
        return WalkCursor(
            classIndex: c, resume: live.after,
            item: ranked(cells.item(live.entry.cell, classIndex: c), handle: live.entry.handle, now: now))
    }
}

/// One class in the walk's merge heap: its next item and where to resume scanning its ring.
/// The heap is a max-heap, and "greater" means served first.
struct WalkCursor: Comparable {
    var classIndex: Int
    var resume: UInt64
    var item: RankedItem

    static func < (a: WalkCursor, b: WalkCursor) -> Bool { b.item.precedes(a.item) }
    static func == (a: WalkCursor, b: WalkCursor) -> Bool { a.item == b.item }
}
