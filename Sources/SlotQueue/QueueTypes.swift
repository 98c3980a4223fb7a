/// What the queue stores for one pending request: trivially copyable, no references.
public struct QueueItem: Sendable, Hashable {
    /// The request's identifier; also the last tie-breaker.
    public var id: UInt64
    /// When the request was submitted, in the caller's clock ticks. Aging counts from here.
    public var submittedAt: Int64
    /// The priority class, `0..<classCount`.
    public var classIndex: Int

    public init(id: UInt64, submittedAt: Int64, classIndex: Int) {
        self.id = id
        self.submittedAt = submittedAt
        self.classIndex = classIndex
    }
}

/// Names one queued entry for O(1) cancellation: a slot in the entry table and that slot's generation.
///
/// A handle goes stale when its entry is taken or cancelled and the slot reused; a stale handle never touches the
/// newer occupant.
public struct QueueHandle: Sendable, Hashable, CustomStringConvertible {
    /// The entry's index in `0..<capacity`: dense, so the owner can keep side tables by it (package-internal).
    package let slot: UInt32
    let generation: UInt32

    public var description: String { "\(slot).\(generation)" }
}

/// Why a push was refused. The queue never drops an item silently: every refusal is returned to the caller.
public enum QueueRefusal: Error, Sendable, Hashable {
    /// Every entry of the table is in use: pending, or taken/cancelled and not yet reclaimed by the consumer. The
    /// consumer returns freed entries in batches of `min(32, capacity / 8)`, flushed whenever a take finds nothing.
    case capacityExhausted
    /// The class's ring is full; the class holds `perClassCapacity` entries (live or awaiting reclamation).
    case classFull(classIndex: Int)
    /// A policy rebuild is in progress; retry after it finishes.
    case rebuilding
    /// The class index is outside `0..<classCount`.
    case unknownClass(classIndex: Int)
}

/// The outcome of a cancel.
public enum CancelOutcome: Sendable, Hashable {
    /// The entry was pending and is now cancelled; no take will return it.
    case cancelled
    /// The entry was already taken or cancelled, or the handle is stale.
    case notPending
}

/// An entry the consumer has looked at or taken, with the priority it had at the `now` the consumer passed in.
public struct RankedItem: Sendable, Hashable {
    public var handle: QueueHandle
    public var item: QueueItem
    /// Base priority of the class plus aging at the evaluation time, in whole points (for display).
    public var priority: Int64
    /// The exact priority in point-ticks (``AgingCurve/score(base:waited:)``); ordering uses this.
    public var score: Int64

    public init(handle: QueueHandle, item: QueueItem, priority: Int64, score: Int64) {
        self.handle = handle
        self.item = item
        self.priority = priority
        self.score = score
    }

    /// True when `self` comes strictly before `other`: higher exact score, then earlier submit, then smaller id.
    @inline(__always)
    public func precedes(_ other: RankedItem) -> Bool {
        Self.precedes(score, item, other.score, other.item)
    }

    /// The queue's one order: `a` (scored `aScore`) comes strictly before `b` (scored `bScore`).
    @inline(__always)
    static func precedes(_ aScore: Int64, _ a: QueueItem, _ bScore: Int64, _ b: QueueItem) -> Bool {
        if aScore != bScore { return aScore > bScore }
        if a.submittedAt != b.submittedAt { return a.submittedAt < b.submittedAt }
        return a.id < b.id
    }
}

/// Why a rebuild was refused; the queue is unchanged when one is returned.
public enum RebuildRefusal: Error, Sendable, Hashable {
    /// More classes than the queue was built for.
    case tooManyClasses(requested: Int, maximum: Int)
    /// The classifier put an item outside the new class range.
    case unknownClass(id: UInt64, classIndex: Int)
    /// A new class would hold more entries than one ring can.
    case classOverflow(classIndex: Int, entries: Int, capacity: Int)
}

/// A push between its two halves (``SlotQueue/beginPush(_:)`` and ``SlotQueue/finishPush(_:)``): its ring cell is
/// published, its entry not yet PENDING. Finish every one exactly once.
@_spi(Testing)
public struct InFlightPush: Sendable {
    let slot: Int
    let generation: UInt32
    let classIndex: Int
}
