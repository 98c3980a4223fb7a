import Atomics

/// The cells of every class ring, 32 bytes each: the Vyukov sequence word (atomic), then the entry slot and a copy of
/// the item, so the consumer reads a published cell with one cache line instead of three.
///
/// Layout of one cell: `[0] sequence: UInt64 (atomic) [8] slot: UInt32 [16] id: UInt64 [24] submittedAt: Int64`.
/// The plain fields are written by the one producer that claimed the cell, before its release store of the
/// sequence, and read by the consumer after its acquire load of it.
struct RingCells: ~Copyable {
    static let stride = 32
    private typealias Sequence = UnsafeAtomic<UInt64>.Storage
    private let base: UnsafeMutableRawPointer
    let count: Int

    /// `count` cells; cell `i` starts with sequence `initialSequence(i)`.
    init(count: Int, initialSequence: (Int) -> UInt64) {
        self.count = count
        self.base = .allocate(byteCount: max(1, count) * Self.stride, alignment: 64)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: max(1, count) * Self.stride)
        for i in 0..<count {
            (base + i * Self.stride).bindMemory(to: Sequence.self, capacity: 1)
                .initialize(to: Sequence(initialSequence(i)))
        }
    }

    deinit {
        for i in 0..<count {
            _ = (base + i * Self.stride).assumingMemoryBound(to: Sequence.self).pointee.dispose()
        }
        base.deallocate()
    }

    @inline(__always)
    func sequence(_ cell: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic(at: (base + cell * Self.stride).assumingMemoryBound(to: Sequence.self))
    }

    @inline(__always)
    func slot(_ cell: Int) -> Int {
        Int(base.load(fromByteOffset: cell * Self.stride + 8, as: UInt32.self))
    }

    /// The item copy; its class index is the ring's class, passed in by the caller.
    @inline(__always)
    func item(_ cell: Int, classIndex: Int) -> QueueItem {
        QueueItem(id: base.load(fromByteOffset: cell * Self.stride + 16, as: UInt64.self),
                  submittedAt: base.load(fromByteOffset: cell * Self.stride + 24, as: Int64.self),
                  classIndex: classIndex)
    }

    /// Writes the plain fields; publish them afterwards with a release store of the sequence.
    @inline(__always)
    func write(_ cell: Int, slot: Int, item: QueueItem) {
        base.storeBytes(of: UInt32(slot), toByteOffset: cell * Self.stride + 8, as: UInt32.self)
        base.storeBytes(of: item.id, toByteOffset: cell * Self.stride + 16, as: UInt64.self)
        base.storeBytes(of: item.submittedAt, toByteOffset: cell * Self.stride + 24, as: Int64.self)
    }
}
