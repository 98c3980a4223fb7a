import HeapModule

extension SlotQueue {
    /// Calls `body` with pending items in priority order at `now`, best first, until it returns false. Consumer only.
    ///
    /// A lazy k-way merge of the class FIFOs: it costs O((classes + visited) × log classes) whatever the queue's
    /// size, so a scheduling pass that looks at the first few hundred candidates does not depend on how many requests
    /// are pending. Nothing is taken; claim a visited item with ``take(_:now:)`` afterwards.
    public func walk(now: Int64, _ body: (RankedItem) -> Bool) {
        enterConsumer()
        defer { leaveConsumer() }
        var cursors: [ClassCursor] = []
        forEachNonEmptyClass { c in
            var items: [RankedItem] = []
            forEachLive(in: c) { live in
                items.append(ranked(cells.item(live.cell, classIndex: c), handle: live.handle, now: now))
                return items.count < Self.walkBatch
            }
            if !items.isEmpty { cursors.append(ClassCursor(classIndex: c, items: items)) }
        }
        var heap = Heap<CursorRef>()
        for (index, cursor) in cursors.enumerated() { heap.insert(CursorRef(index: index, best: cursor.items[0])) }
        while let top = heap.popMax() {
            guard body(top.best) else { return }
            var cursor = cursors[top.index]
            cursor.position += 1
            if cursor.position == cursor.items.count, cursor.items.count == Self.walkBatch * cursor.batches {
                refill(&cursor, now: now)
            }
            if cursor.position < cursor.items.count {
                heap.insert(CursorRef(index: top.index, best: cursor.items[cursor.position]))
            }
            cursors[top.index] = cursor
        }
    }

    /// Items read from a class at a time; a walk that goes deeper reads the next batch.
    static let walkBatch = 32

    private func refill(_ cursor: inout ClassCursor, now: Int64) {
        let skip = cursor.items.count
        var seen = 0
        forEachLive(in: cursor.classIndex) { live in
            seen += 1
            if seen > skip {
                cursor.items.append(ranked(cells.item(live.cell, classIndex: cursor.classIndex), handle: live.handle,
                                           now: now))
            }
            return seen < skip + Self.walkBatch
        }
        cursor.batches += 1
    }
}

struct ClassCursor {
    var classIndex: Int
    var items: [RankedItem]
    var position = 0
    var batches = 1

    init(classIndex: Int, items: [RankedItem]) {
        self.classIndex = classIndex
        self.items = items
    }
}

/// A class in the merge heap, ordered by its current best item (max-heap: "greater" means served first).
struct CursorRef: Comparable {
    var index: Int
    var best: RankedItem

    static func < (a: CursorRef, b: CursorRef) -> Bool { b.best.precedes(a.best) }
    static func == (a: CursorRef, b: CursorRef) -> Bool { a.best == b.best }
}
