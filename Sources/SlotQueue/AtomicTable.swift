import Atomics

/// A fixed-size, heap-allocated array of atomics with stable addresses.
///
/// swift-atomics' `UnsafeAtomic` is a pointer to storage; this type owns one contiguous block of that storage so the
/// queue can hold thousands of atomics without one allocation each. Elements are `stride` storage units apart, which
/// lets hot counters sit on their own 128-byte lines (see ``init(count:stride:initial:)``).
struct AtomicTable<Value: AtomicValue>: ~Copyable where Value.AtomicRepresentation.Value == Value {
    private typealias Storage = UnsafeAtomic<Value>.Storage
    private let base: UnsafeMutablePointer<Storage>
    private let stride: Int
    let count: Int

    /// - Parameters:
    ///   - count: the number of atomics.
    ///   - stride: storage units between neighbours; 1 packs them, 16 keeps 8-byte atomics 128 bytes apart.
    ///   - initial: the value of element `i`.
    init(count: Int, stride: Int = 1, initial: (Int) -> Value) {
        precondition(count >= 0 && stride >= 1)
        self.count = count
        self.stride = stride
        self.base = allocateOwnLines(Storage.self, count: max(1, count * stride))
        for i in 0..<(count * stride) {
            (base + i).initialize(to: Storage(initial(i / stride)))
        }
    }

    deinit {
        for i in 0..<(count * stride) {
            _ = (base + i).pointee.dispose()
        }
        base.deallocate()
    }

    /// The atomic at `index`; valid while this table lives.
    @inline(__always)
    subscript(index: Int) -> UnsafeAtomic<Value> {
        UnsafeAtomic(at: base + index * stride)
    }
}

/// Uninitialized memory for `count` values on whole 128-byte lines of its own (two 64-byte lines: the adjacent-line
/// prefetcher pairs them), so no other allocation shares a line with it: a consumer-only word next to a producers'
/// counter would bounce that line between cores on every write. Free it with `deallocate()`.
func allocateOwnLines<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
    let line = 128
    let bytes = (max(1, count) * MemoryLayout<T>.stride + line - 1) / line * line
    return UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: line)
        .bindMemory(to: T.self, capacity: bytes / MemoryLayout<T>.stride)
}
