/// A request for a slot, as submitted. The applicant's category is not here: it comes from the account.
public struct SlotRequest: Sendable, Hashable, Codable {
    public var id: UInt64
    /// The account (a Unix user name) the request is charged to.
    public var account: String
    public var sector: String
    /// What the slot needs on each of its nodes.
    public var resources: Resources
    /// How many distinct nodes the slot spans (a gang: all start together and end together); 1 for a slot within
    /// one node.
    public var nodes: Int
    /// The slot's hard length, milliseconds.
    public var duration: Int64
    public var purpose: String
    /// Milliseconds on the scheduler's clock.
    public var submittedAt: Int64
    /// The GPU models the request accepts (any of them; nil or empty: any model). Only nodes of these models are
    /// considered for it.
    public var gpuTypes: [String]?

    public init(
        id: UInt64, account: String, sector: String, resources: Resources, duration: Int64, purpose: String,
        submittedAt: Int64, gpuTypes: [String]? = nil, nodes: Int = 1
    ) {
        self.gpuTypes = gpuTypes
        self.nodes = nodes
        self.id = id
        self.account = account
        self.sector = sector
        self.resources = resources
        self.duration = duration
        self.purpose = purpose
        self.submittedAt = submittedAt
    }

    /// Every GPU of the slot, over all its nodes.
    public var totalGPUs: Int { resources.gpus * nodes }

    /// GPU-hours the request uses if it runs to its hard end: nodes × GPUs per node × hours.
    public var maximumGPUHours: Double { Double(totalGPUs) * Double(duration) / 3_600_000 }
}

/// An account: a Unix user mapped to an applicant category (set by an admin, never by a request).
public struct Account: Sendable, Hashable, Codable {
    public var name: String
    public var category: String
    /// A project's award: its requests must fit its window, sectors and GPU-hours (Art. 25.1); nil for an account
    /// limited only by its category, as before projects.
    public var award: Award?

    public init(name: String, category: String, award: Award? = nil) {
        self.name = name
        self.category = category
        self.award = award
    }
}

/// What a project was awarded: GPU-hours (at the policy's GPU-type rates) to use within a window, in some sectors.
public struct Award: Sendable, Hashable, Codable {
    public var gpuHours: Double
    /// The window, ms since the epoch: requests are admitted from `opens` until `closes`, and no slot outlives it.
    public var opens: Int64
    public var closes: Int64
    /// The sectors the project's requests may name.
    public var sectors: [String]

    public init(gpuHours: Double, opens: Int64, closes: Int64, sectors: [String]) {
        self.gpuHours = gpuHours
        self.opens = opens
        self.closes = closes
        self.sectors = sectors
    }
}

/// A granted slot: a concrete assignment of resources on one or more nodes (a gang) for a bounded time.
public struct Slot: Sendable, Hashable, Codable {
    public var requestID: UInt64
    public var account: String
    /// The nodes the slot holds, rank 0 first, each with its GPU indices. A slot within one node has one.
    public var placements: [Placement]
    /// CPUs on each node.
    public var cpus: Int
    /// Memory on each node.
    public var memoryMiB: Int
    public var start: Int64
    /// The hard end: the engine emits `expire` at this time if the slot is still running.
    public var end: Int64

    public init(
        requestID: UInt64, account: String, node: Int, gpuIndices: [Int], cpus: Int, memoryMiB: Int,
        start: Int64, end: Int64
    ) {
        self.init(
            requestID: requestID, account: account, placements: [Placement(node: node, gpuIndices: gpuIndices)],
            cpus: cpus, memoryMiB: memoryMiB, start: start, end: end)
    }

    public init(
        requestID: UInt64, account: String, placements: [Placement], cpus: Int, memoryMiB: Int, start: Int64,
        end: Int64
    ) {
        self.requestID = requestID
        self.account = account
        self.placements = placements
        self.cpus = cpus
        self.memoryMiB = memoryMiB
        self.start = start
        self.end = end
    }

    /// The first node (rank 0).
    public var node: Int { placements.first?.node ?? 0 }
    /// The GPU indices on the first node.
    public var gpuIndices: [Int] { placements.first?.gpuIndices ?? [] }
    /// Every node the slot holds, rank order.
    public var nodes: [Int] { placements.map(\.node) }
    /// Every GPU of the slot, over all its nodes.
    public var totalGPUs: Int { placements.reduce(0) { $0 + $1.gpuIndices.count } }

    /// What the slot holds on each node.
    public var resources: Resources { Resources(gpus: gpuIndices.count, cpus: cpus, memoryMiB: memoryMiB) }
}

/// One node of a slot and the GPUs it holds there.
public struct Placement: Sendable, Hashable, Codable {
    public var node: Int
    public var gpuIndices: [Int]

    public init(node: Int, gpuIndices: [Int]) {
        self.node = node
        self.gpuIndices = gpuIndices
    }
}
