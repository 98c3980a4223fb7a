/// Whether a node takes new slots. An admin drains a node for repair and resumes it; the executor (or Slurm) may
/// report it down.
public enum NodeCondition: String, Sendable, Hashable, Codable, CaseIterable {
    /// Takes new slots.
    case up
    /// Runs the slots it has and takes nothing new.
    case draining
    /// Its slots are lost (reported so) and nothing is placed on it.
    case down
}

/// What a node has free right now, and which GPU indices.
struct NodeState: Sendable, Hashable {
    var gpuFree: [Bool]
    /// How many of `gpuFree` are true.
    private(set) var freeGPUs: Int
    var cpus: Int
    var memoryMiB: Int
    /// The node's GPU model as a bit of the scheduler's model list (`Resources.gpuTypeBits`).
    let typeBit: UInt64
    var condition: NodeCondition = .up

    init(_ node: Node, typeBit: UInt64) {
        gpuFree = [Bool](repeating: true, count: node.gpus.count)
        freeGPUs = node.gpus.count
        cpus = node.cpus
        memoryMiB = node.memoryMiB
        self.typeBit = typeBit
    }

    /// True when new slots may be placed here.
    var accepting: Bool { condition == .up }

    var free: Resources {
        var free = Resources(gpus: freeGPUs, cpus: cpus, memoryMiB: memoryMiB)
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
        freeGPUs -= taken.count
        cpus -= resources.cpus
        memoryMiB -= resources.memoryMiB
        return taken
    }

    /// Takes exactly these GPUs and sizes (a slot resumed after a restart); false, changing nothing, when they are
    /// not free.
    mutating func claim(_ gpuIndices: [Int], cpus wanted: Int, memoryMiB wantedMemory: Int) -> Bool {
        guard gpuIndices.allSatisfy({ gpuFree.indices.contains($0) && gpuFree[$0] }),
            Set(gpuIndices).count == gpuIndices.count, cpus >= wanted, memoryMiB >= wantedMemory
        else { return false }
        for index in gpuIndices { gpuFree[index] = false }
        freeGPUs -= gpuIndices.count
        cpus -= wanted
        memoryMiB -= wantedMemory
        return true
    }

    mutating func release(_ gpuIndices: [Int], cpus returned: Int, memoryMiB returnedMemory: Int) {
        for index in gpuIndices where index < gpuFree.count && !gpuFree[index] {
            gpuFree[index] = true
            freeGPUs += 1
        }
        cpus += returned
        memoryMiB += returnedMemory
    }
}

/// Where the top request that cannot start now will start: its nodes and the time, computed from running slots'
/// hard ends (slots may end earlier, so the time is an upper bound).
public struct Reservation: Sendable, Hashable, Codable {
    public var requestID: UInt64
    /// The reserved nodes, one per node of the request's gang.
    public var nodes: [Int]
    public var start: Int64
    /// What the request needs on each node.
    public var resources: Resources

    public init(requestID: UInt64, nodes: [Int], start: Int64, resources: Resources) {
        self.requestID = requestID
        self.nodes = nodes
        self.start = start
        self.resources = resources
    }

    /// The first reserved node.
    public var node: Int { nodes.first ?? 0 }
}
