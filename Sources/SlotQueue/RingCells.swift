import Atomics
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The cells of every class ring, 32 bytes each: the Vyukov sequence word (atomic), then the entry slot and a copy of
/// the item, so the consumer reads a published cell with one cache line instead of three.
///
/// Layout of one cell: `[0] sequence: UInt64 (atomic) [8] slot: UInt32 [16] id: UInt64 [24] submittedAt: Int64`.
/// The plain fields are written by the one producer that claimed the cell, before its release store of the
/// sequence, and read by the consumer after its acquire load of it.
///
/// ## Committed lazily
/// The block comes from an anonymous `mmap`, whose pages the kernel maps, zero-filled, on first touch. A cell's
/// sequence is stored as an offset from its initial value (its index in the ring), so an untouched cell's zero bytes
/// *are* its initial state and nothing is written at creation. A queue with 315 classes × 32,768 cells reserves
/// 330 MB of address space, but only the pages of cells that were ever used count in the resident set.
///
/// ## Committed ahead of the producers
/// Left to first touch, each page of a ring faulted *twice* in a producer's push: the producer reads a cell's
/// sequence before it claims it, which maps the kernel's shared zero page, and its write then faults again to copy
/// it (`perf record -e page-faults`: 17,300 faults in `push` for 1M items over 8,192 pages of ring). So a producer
/// that claims the first cell of a chunk of ``chunkCells`` cells, on a ring's first lap, commits the *next* chunk
/// with one `madvise(MADV_POPULATE_WRITE)` (``commitAhead(ringBase:position:ring:)``): pages are committed writable
/// in a batch, before any producer reads them, one system call per 1,024 pushes of a class. A class that is used
/// commits at most one chunk (32 KiB) beyond its tail; one never used commits nothing.
struct RingCells: ~Copyable {
    static let stride = 32
    /// Cells committed per `madvise`: 32 KiB.
    static let chunkCells = 1_024
    private typealias Sequence = UnsafeAtomic<UInt64>.Storage
    private let base: UnsafeMutableRawPointer
    private let byteCount: Int
    /// Whether `base` came from `mmap` (else from the allocator).
    private let mapped: Bool
    private let ringMask: Int
    let count: Int

    /// `count` cells in rings of `ring` cells (a power of two); cell `i` starts with sequence `i % ring`.
    init(count: Int, ring: Int) {
        precondition(ring > 0 && ring & (ring - 1) == 0, "ring size must be a power of two")
        self.count = count
        self.ringMask = ring - 1
        self.byteCount = max(1, count) * Self.stride
        let mapped = mmap(nil, byteCount, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        self.mapped = mapped != nil && mapped != MAP_FAILED
        if let mapped, self.mapped {
            self.base = mapped
        } else {
            // No mapping (an address-space limit, say): an ordinary zeroed block, committed at once as before.
            self.base = .allocate(byteCount: byteCount, alignment: 64)
            base.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
        }
        for i in 0..<count {
            // Binds the type only; it writes nothing, so the page stays uncommitted.
            _ = (base + i * Self.stride).bindMemory(to: Sequence.self, capacity: 1)
        }
    }

    deinit {
        if mapped { munmap(base, byteCount) } else { base.deallocate() }
    }

    /// Commits, on a ring's first lap, the chunk after the one that `position` (a position of the ring that starts at
    /// cell `ringBase`) begins, and at position 0 the first chunk too. Called by the producer that claimed
    /// `position`; does nothing unless `position` begins a chunk, so any caller may call it.
    @inline(__always)
    func commitAhead(ringBase: Int, position: UInt64, ring: Int) {
        guard position < UInt64(ring), position & UInt64(Self.chunkCells - 1) == 0 else { return }
        let first = Int(position) == 0 ? 0 : Int(position) + Self.chunkCells
        let end = min(Int(position) + 2 * Self.chunkCells, ring)
        guard first < end else { return }
        commit(ringBase + first..<ringBase + end)
    }

    /// Makes the pages of `cells` resident and writable.
    private func commit(_ range: Range<Int>) {
        guard mapped else { return }  // an allocated block is committed already
        let page = Self.pageSize
        let start = (range.lowerBound * Self.stride) / page * page
        let end = min(byteCount, (range.upperBound * Self.stride + page - 1) / page * page)
        guard start < end else { return }
        #if os(Linux)
            // Linux 5.14 and later; an older kernel answers EINVAL and the pages are touched below instead.
            if madvise(base + start, end - start, MADV_POPULATE_WRITE) == 0 { return }
        #endif
        // One write per page: an atomic add of zero to the page's first sequence word (whichever cell it is,
        // a producer may be claiming it; the add leaves its value as it is).
        for offset in Swift.stride(from: start, to: end, by: page) {
            let word = UnsafeAtomic<UInt64>(at: (base + offset).assumingMemoryBound(to: Sequence.self))
            _ = word.loadThenWrappingIncrement(by: 0, ordering: .relaxed)
        }
    }

    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// The sequence word of `cell`, read and written in the ring's own numbering.
    @inline(__always)
    func sequence(_ cell: Int) -> CellSequence {
        CellSequence(
            atomic: UnsafeAtomic(at: (base + cell * Self.stride).assumingMemoryBound(to: Sequence.self)),
            offset: UInt64(cell & ringMask))
    }

    @inline(__always)
    func slot(_ cell: Int) -> Int {
        Int(base.load(fromByteOffset: cell * Self.stride + 8, as: UInt32.self))
    }

    /// The item copy; its class index is the ring's class, passed in by the caller.
    @inline(__always)
    func item(_ cell: Int, classIndex: Int) -> QueueItem {
        QueueItem(
            id: base.load(fromByteOffset: cell * Self.stride + 16, as: UInt64.self),
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

/// One cell's sequence word. Memory holds `sequence - offset` (wrapping), where `offset` is the cell's index in its
/// ring, so the initial sequence reads from zero bytes; callers see the plain Vyukov sequence.
struct CellSequence {
    let atomic: UnsafeAtomic<UInt64>
    let offset: UInt64

    /// Acquiring load (swift-atomics wants a literal ordering at each call, so there is one method per ordering).
    @inline(__always)
    func loadAcquiring() -> UInt64 {
        atomic.load(ordering: .acquiring) &+ offset
    }

    @inline(__always)
    func storeReleasing(_ value: UInt64) {
        atomic.store(value &- offset, ordering: .releasing)
    }

    @inline(__always)
    func storeRelaxed(_ value: UInt64) {
        atomic.store(value &- offset, ordering: .relaxed)
    }
}
