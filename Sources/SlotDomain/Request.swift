// A request as slotd records and shows it. Times are milliseconds since the Unix epoch; durations are seconds;
// memory is MiB. The raw values of the enums are stable names: the store keeps them and the wire carries them.

/// The lifecycle of a request. The raw values are stable wire names.
public enum RequestState: String, Codable, Sendable, CaseIterable {
    case pending, running, rejected, cancelled, completed, failed, expired, lost

    /// True once the request can change no more.
    public var isFinal: Bool { self != .pending && self != .running }
}

/// A request with every detail: only its owner and admins receive this.
public struct RequestInfo: Codable, Sendable, Hashable {
    public var id: Int64
    public var state: RequestState
    public var account: String
    public var uid: Int64
    public var sector: String
    public var gpus: Int
    public var cpus: Int
    public var memoryMiB: Int
    public var durationSeconds: Int64
    public var purpose: String
    public var command: [String]
    public var workingDirectory: String
    public var submittedAt: Int64
    public var startedAt: Int64?
    public var endedAt: Int64?
    /// How it ended (exit status, signal, time limit...), once it has.
    public var outcome: String?
    public var exitCode: Int?
    /// Why it was rejected, every rule.
    public var reasons: [Reason]?
    public var node: String?
    public var gpuIndices: [Int]?
    public var logFile: String?
    /// false: runs with no network (Art. 17.4). Absent means it has one.
    public var network: Bool?
    /// The GPU models the request accepts; absent: any.
    public var gpuTypes: [String]?
    /// How many nodes the slot spans when more than one (a gang); `gpus`, `cpus` and `memoryMiB` are per node.
    public var nodes: Int?
    /// A running gang's nodes, rank order (`node` is the first).
    public var nodeList: [String]?
    /// The cluster's job of a slot handed to a cluster (the Slurm job id).
    public var clusterJob: Int64?
    /// What the cluster says of that job now (Get only).
    public var clusterState: String?

    public init(
        id: Int64, state: RequestState, account: String, uid: Int64, sector: String, gpus: Int, cpus: Int,
        memoryMiB: Int, durationSeconds: Int64, purpose: String, command: [String], workingDirectory: String,
        submittedAt: Int64
    ) {
        self.id = id
        self.state = state
        self.account = account
        self.uid = uid
        self.sector = sector
        self.gpus = gpus
        self.cpus = cpus
        self.memoryMiB = memoryMiB
        self.durationSeconds = durationSeconds
        self.purpose = purpose
        self.command = command
        self.workingDirectory = workingDirectory
        self.submittedAt = submittedAt
    }
}

/// One reason with a stable code and a human message (policy violations, pending reasons).
public struct Reason: Codable, Sendable, Hashable {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}
