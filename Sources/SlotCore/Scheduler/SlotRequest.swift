/// A request for a slot, as submitted. The applicant's category is not here: it comes from the account.
public struct SlotRequest: Sendable, Hashable, Codable {
    public var id: UInt64
    /// The account (a Unix user name) the request is charged to.
    public var account: String
    public var sector: String
    public var resources: Resources
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
        submittedAt: Int64, gpuTypes: [String]? = nil
    ) {
        self.gpuTypes = gpuTypes
        self.id = id
        self.account = account
        self.sector = sector
        self.resources = resources
        self.duration = duration
        self.purpose = purpose
        self.submittedAt = submittedAt
    }

    /// GPU-hours the request uses if it runs to its hard end.
    public var maximumGPUHours: Double { Double(resources.gpus) * Double(duration) / 3_600_000 }
}

/// An account: a Unix user mapped to an applicant category (set by an admin, never by a request).
public struct Account: Sendable, Hashable, Codable {
    public var name: String
    public var category: String

    public init(name: String, category: String) {
        self.name = name
        self.category = category
    }
}

/// A granted slot: a concrete assignment of resources on one node for a bounded time.
public struct Slot: Sendable, Hashable, Codable {
    public var requestID: UInt64
    public var account: String
    public var node: Int
    public var gpuIndices: [Int]
    public var cpus: Int
    public var memoryMiB: Int
    public var start: Int64
    /// The hard end: the engine emits `expire` at this time if the slot is still running.
    public var end: Int64

    public init(
        requestID: UInt64, account: String, node: Int, gpuIndices: [Int], cpus: Int, memoryMiB: Int,
        start: Int64, end: Int64
    ) {
        self.requestID = requestID
        self.account = account
        self.node = node
        self.gpuIndices = gpuIndices
        self.cpus = cpus
        self.memoryMiB = memoryMiB
        self.start = start
        self.end = end
    }

    public var resources: Resources { Resources(gpus: gpuIndices.count, cpus: cpus, memoryMiB: memoryMiB) }
}
