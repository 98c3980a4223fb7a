/// Messages of `io.slotd.Requests` (see `Interfaces+Requests.swift` for the IDL and each field's meaning).
/// Times are milliseconds since the Unix epoch; durations are seconds; memory is MiB.

public struct SubmitParameters: Codable, Sendable, Hashable {
    public var sector: String?
    public var gpus: Int
    public var cpus: Int?
    public var memoryMiB: Int?
    public var durationSeconds: Int64?
    public var purpose: String
    public var command: [String]
    public var workingDirectory: String
    public var environment: [String: String]?
    /// false: the workload runs with no network at all (Art. 17.4, local systems for restricted data).
    public var network: Bool?
    /// The GPU models the request accepts (any of them); nil: any model.
    public var gpuTypes: [String]?
    /// A gang of this many nodes, the sizes per node; nil: one node.
    public var nodes: Int?
    /// The project the request is on (its award, window and category); nil: the caller's own account.
    public var project: String?

    public init(
        sector: String?, gpus: Int, cpus: Int?, memoryMiB: Int?, durationSeconds: Int64?, purpose: String,
        command: [String], workingDirectory: String, environment: [String: String]?, network: Bool? = nil,
        gpuTypes: [String]? = nil, nodes: Int? = nil
    ) {
        self.nodes = nodes
        self.network = network
        self.gpuTypes = gpuTypes
        self.sector = sector
        self.gpus = gpus
        self.cpus = cpus
        self.memoryMiB = memoryMiB
        self.durationSeconds = durationSeconds
        self.purpose = purpose
        self.command = command
        self.workingDirectory = workingDirectory
        self.environment = environment
    }
}

/// Another user's pending or running request as anyone may see it (Art. 10): no user, no purpose, no command.
public struct QueueEntry: Codable, Sendable, Hashable {
    /// 1 = next to be considered; nil for running requests.
    public var position: Int?
    public var state: RequestState
    /// The queue class: `category/sector/band`.
    public var queueClass: String
    public var gpus: Int
    public var cpus: Int
    public var memoryMiB: Int
    public var durationSeconds: Int64
    /// True when the caller owns it (then `id` is set too).
    public var mine: Bool
    public var id: Int64?
    /// How many nodes when more than one (a gang; the sizes are per node).
    public var nodes: Int?
    /// Where a running slot runs, rank order: shown to admins and to its owner only.
    public var nodeList: [String]?

    public init(
        position: Int?, state: RequestState, queueClass: String, gpus: Int, cpus: Int, memoryMiB: Int,
        durationSeconds: Int64, mine: Bool, id: Int64?
    ) {
        self.position = position
        self.state = state
        self.queueClass = queueClass
        self.gpus = gpus
        self.cpus = cpus
        self.memoryMiB = memoryMiB
        self.durationSeconds = durationSeconds
        self.mine = mine
        self.id = id
    }
}

public struct IDParameters: Codable, Sendable, Hashable {
    public var id: Int64
    public init(id: Int64) { self.id = id }
}

public struct RequestReply: Codable, Sendable, Hashable {
    public var request: RequestInfo
    public init(request: RequestInfo) { self.request = request }
}

public struct ListParameters: Codable, Sendable, Hashable {
    /// Admins: every user's requests in full. Others: ignored (they see their own).
    public var allUsers: Bool?
    /// Only these states (default: pending and running).
    public var states: [RequestState]?
    public var limit: Int?

    public init(allUsers: Bool? = nil, states: [RequestState]? = nil, limit: Int? = nil) {
        self.allUsers = allUsers
        self.states = states
        self.limit = limit
    }
}

public struct ListReply: Codable, Sendable, Hashable {
    public var requests: [RequestInfo]
    public init(requests: [RequestInfo]) { self.requests = requests }
}

public struct QueueParameters: Codable, Sendable, Hashable {
    public var limit: Int?
    public init(limit: Int? = nil) { self.limit = limit }
}

public struct QueueReply: Codable, Sendable, Hashable {
    public var pending: Int
    public var running: Int
    public var entries: [QueueEntry]
    public init(pending: Int, running: Int, entries: [QueueEntry]) {
        self.pending = pending
        self.running = running
        self.entries = entries
    }
}

/// One term of a priority: its value, how it was computed, and the policy line it came from.
public struct PriorityTermInfo: Codable, Sendable, Hashable {
    public var name: String
    public var points: Double
    public var detail: String
    public var source: String?
    public init(name: String, points: Double, detail: String, source: String?) {
        self.name = name
        self.points = points
        self.detail = detail
        self.source = source
    }
}

public struct ExplainReply: Codable, Sendable, Hashable {
    public var id: Int64
    public var state: RequestState
    public var priority: Double?
    public var terms: [PriorityTermInfo]
    public var position: Int?
    public var positionInClass: Int?
    public var queueClass: String?
    /// Every reason it is not running now.
    public var reasons: [Reason]
    public var estimatedStart: Int64?
    public var estimateNote: String

    public init(
        id: Int64, state: RequestState, priority: Double?, terms: [PriorityTermInfo], position: Int?,
        positionInClass: Int?, queueClass: String?, reasons: [Reason], estimatedStart: Int64?,
        estimateNote: String
    ) {
        self.id = id
        self.state = state
        self.priority = priority
        self.terms = terms
        self.position = position
        self.positionInClass = positionInClass
        self.queueClass = queueClass
        self.reasons = reasons
        self.estimatedStart = estimatedStart
        self.estimateNote = estimateNote
    }
}

public struct WatchParameters: Codable, Sendable, Hashable {
    /// Follow one request; without it, every request the caller can see in full.
    public var id: Int64?
    public init(id: Int64? = nil) { self.id = id }
}

public struct WatchReply: Codable, Sendable, Hashable {
    public var request: RequestInfo
    public init(request: RequestInfo) { self.request = request }
}

public struct LogsParameters: Codable, Sendable, Hashable {
    public var id: Int64
    public var offset: Int64?
    public init(id: Int64, offset: Int64? = nil) {
        self.id = id
        self.offset = offset
    }
}

public struct LogsReply: Codable, Sendable, Hashable {
    public var data: String
    /// Where the next call should start.
    public var offset: Int64
    public var ended: Bool
    public init(data: String, offset: Int64, ended: Bool) {
        self.data = data
        self.offset = offset
        self.ended = ended
    }
}
