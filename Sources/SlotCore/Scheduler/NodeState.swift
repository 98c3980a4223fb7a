/// What a node has free right now, and which GPU indices.
struct NodeState: Sendable, Hashable {
    var gpuFree: [Bool]
    var cpus: Int
    var memoryMiB: Int
    /// The node's GPU model as a bit of the scheduler's model list (`Resources.gpuTypeBits`).
    let typeBit: UInt64

    init(_ node: Node, typeBit: UInt64) {
        gpuFree = [Bool](repeating: true, count: node.gpus.count)
        cpus = node.cpus
        memoryMiB = node.memoryMiB
        self.typeBit = typeBit
    }

    var free: Resources {
        var free = Resources(gpus: gpuFree.filter { $0 }.count, cpus: cpus, memoryMiB: memoryMiB)
        free.gpuTypeBits = typeBit
        return free
    }

    /// Takes `resources`, lowest GPU indices first; returns the GPU indices taken.
    mutating func allocate(_ resources: Resources) -> [Int] {
        var taken: [Int] = []
        for index in gpuFree.indices where gpuFree[index] && taken.count < resources.gpus {
            gpuFree[index] = false
            taken.append(index)
        }
        cpus -= resources.cpus
        memoryMiB -= resources.memoryMiB
        return taken
    }

    /// Takes exactly `slot`'s GPUs and sizes (a slot resumed after a restart); false, changing nothing, when they
    /// are not free.
    mutating func claim(_ slot: Slot) -> Bool {
        guard slot.gpuIndices.allSatisfy({ gpuFree.indices.contains($0) && gpuFree[$0] }),
            Set(slot.gpuIndices).count == slot.gpuIndices.count, cpus >= slot.cpus, memoryMiB >= slot.memoryMiB
        else { return false }
        for index in slot.gpuIndices { gpuFree[index] = false }
        cpus -= slot.cpus
        memoryMiB -= slot.memoryMiB
        return true
    }

    mutating func release(_ slot: Slot) {
        for index in slot.gpuIndices where index < gpuFree.count { gpuFree[index] = true }
        cpus += slot.cpus
        memoryMiB += slot.memoryMiB
    }
}

/// Where the top request that cannot start now will start: the node and the time, computed from running slots'
/// hard ends (slots may end earlier, so the time is an upper bound).
public struct Reservation: Sendable, Hashable, Codable {
    public var requestID: UInt64
    public var node: Int
    public var start: Int64
    public var resources: Resources

    public init(requestID: UInt64, node: Int, start: Int64, resources: Resources) {
        self.requestID = requestID
        self.node = node
        self.start = start
        self.resources = resources
    }
}

extension Array where Element == NodeState {
    /// Best fit: the node that fits `resources` with the fewest GPUs (then CPUs) left over, lowest index on ties, so
    /// small requests pack together and whole nodes stay free for large ones.
    func bestFit(_ resources: Resources) -> Int? {
        var best: (node: Int, leftover: (Int, Int))?
        for (index, node) in enumerated() where node.free.covers(resources) {
            let free = node.free
            let leftover = (free.gpus - resources.gpus, free.cpus - resources.cpus)
            if best == nil || leftover < best!.leftover { best = (index, leftover) }
        }
        return best?.node
    }
}

/// The earliest time `resources` fit on some node if running slots end at their hard ends, and that node.
/// `running` must be sorted by end time. Returns nil when no node can ever hold them.
func earliestFit(of resources: Resources, nodes: [NodeState], running: [Slot], now: Int64)
    -> (node: Int, start: Int64, freeAtStart: Resources)?
{
    var best: (node: Int, start: Int64, freeAtStart: Resources)?
    for (index, node) in nodes.enumerated() {
        var free = node.free
        var time = now
        if !free.covers(resources) {
            let releases = running.filter { $0.node == index }
            var next = 0
            while next < releases.count, !free.covers(resources) {
                time = max(now, releases[next].end)
                // Every slot ending at this instant frees its resources at once.
                while next < releases.count, max(now, releases[next].end) == time {
                    free = free + releases[next].resources
                    next += 1
                }
            }
            guard free.covers(resources) else { continue }
        }
        if best == nil || time < best!.start { best = (index, time, free) }
    }
    return best
}
