import Foundation
import SlotQueue
import Testing

/// The class rings are reserved up front but committed only as cells are used (`RingCells`).
@Suite struct SlotQueueMemoryTests {
    /// VmRSS of this process in bytes, from /proc/self/status.
    func residentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        let kib = try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
        return kib * 1024
    }

    @Test("Invariant: 1 GiB of class rings costs resident memory only for the cells used; the queue still works")
    func ringsAreCommittedLazily() throws {
        let classes = 512, ring = 65_536  // 512 × 65,536 × 32 B = 1 GiB of ring cells
        let before = try residentBytes()
        let queue = SlotQueue(
            capacity: 4_096, bases: [Int64](repeating: 0, count: classes), aging: .none,
            perClassCapacity: ring)
        // Lap one ring several times and touch one cell in every other class.
        for round in 0..<3 {
            for c in 0..<classes {
                _ = try queue.push(
                    QueueItem(
                        id: UInt64(round * classes + c + 1), submittedAt: Int64(round),
                        classIndex: c)
                ).get()
            }
            var seen: [UInt64] = []
            while let taken = queue.takeBest(now: 10) { seen.append(taken.item.id) }
            #expect(seen.count == classes)
            #expect(Set(seen).count == classes)
        }
        let grown = try residentBytes() - before
        // Other tests run in this process at the same time, so allow them 256 MiB; committing the rings is 1 GiB.
        #expect(grown < 256 << 20, "resident memory grew by \(grown >> 20) MiB")
        withExtendedLifetime(queue) {}
    }
}
