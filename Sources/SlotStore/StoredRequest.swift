import Foundation
import GRDB
import SlotDomain
import SlotJSON

/// A request as stored: everything submitted (so it can be restarted, explained and reported from the history)
/// and where it is in its lifecycle. One row per request; every change of `state` also appends a `transition` row.
public struct StoredRequest: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "request"

    public var id: Int64
    public var uid: Int64
    public var gid: Int64
    public var account: String
    public var sector: String
    public var gpus: Int
    public var cpus: Int
    public var memoryMiB: Int
    public var durationMs: Int64
    public var purpose: String
    public var command: [String]
    public var workingDirectory: String
    public var environment: [String: String]
    public var submittedAt: Int64
    public var state: RequestState
    public var startedAt: Int64?
    public var endedAt: Int64?
    public var outcome: String?
    public var exitCode: Int?
    public var reasons: [Reason]?
    public var node: Int?
    public var gpuIndices: [Int]?
    public var logFile: String?
    /// false: the workload runs with no network (Art. 17.4).
    public var network = true
    /// The applicant category the request was ranked under (nil in rows written before slotd stored it).
    public var category: String?
    /// The GPU models the request accepts (JSON array; NULL: any, as in rows written before slotd stored it).
    public var gpuTypes: [String]?
    /// How many nodes the slot spans (a gang when more than one); `gpus`, `cpus` and `memoryMiB` are per node.
    public var nodes = 1
    /// A running gang's further nodes, rank 1 on: each entry the node index, then its GPU indices. `node` and
    /// `gpuIndices` are rank 0.
    public var gang: [[Int]]?
    /// The cluster's job of a slot handed to a cluster (the Slurm job id), once the cluster took it.
    public var clusterJob: Int64?

    public init(
        id: Int64, uid: Int64, gid: Int64, account: String, sector: String, gpus: Int, cpus: Int,
        memoryMiB: Int, durationMs: Int64, purpose: String, command: [String], workingDirectory: String,
        environment: [String: String], submittedAt: Int64
    ) {
        self.id = id
        self.uid = uid
        self.gid = gid
        self.account = account
        self.sector = sector
        self.gpus = gpus
        self.cpus = cpus
        self.memoryMiB = memoryMiB
        self.durationMs = durationMs
        self.purpose = purpose
        self.command = command
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.submittedAt = submittedAt
        self.state = .pending
    }

    /// The columns every fetch of a request selects, in this order, so ``init(row:)`` reads them by position. A
    /// lookup by name scans the row's column names case-insensitively; for 25 columns that was most of the cost of
    /// building a request from its row.
    public static let columns = [
        "id", "uid", "gid", "account", "sector", "gpus", "cpus", "memoryMiB", "durationMs", "purpose",
        "workingDirectory", "submittedAt", "state", "startedAt", "endedAt", "outcome", "exitCode", "node", "logFile",
        "network", "category", "command", "environment", "reasons", "gpuIndices", "gpuTypes", "nodes", "gang",
        "clusterJob",
    ]
    public static var databaseSelection: [any SQLSelectable] { columns.map { Column($0) } }

    /// Reads a row by position, in the order of ``columns`` (every fetch through the query interface selects
    /// exactly those). The Codable default would run the record decoder and a fresh JSON decoder per JSON column;
    /// restart reads every pending request and List reads up to a million, so this is the hot path. The JSON
    /// columns hold what the Codable encoding wrote (``SlotStore/insert(_:)`` writes the same).
    public init(row: Row) throws {
        guard row.count == Self.columns.count else {
            throw StoreError.io("a request row has \(row.count) columns, not \(Self.columns.count)")
        }
        id = row[0]
        uid = row[1]
        gid = row[2]
        account = row[3]
        sector = row[4]
        gpus = row[5]
        cpus = row[6]
        memoryMiB = row[7]
        durationMs = row[8]
        purpose = row[9]
        workingDirectory = row[10]
        submittedAt = row[11]
        let stateName: String = row[12]
        guard let state = RequestState(rawValue: stateName) else {
            throw StoreError.io("request \(id) has an unknown state '\(stateName)'")
        }
        self.state = state
        startedAt = row[13]
        endedAt = row[14]
        outcome = row[15]
        exitCode = row[16]
        node = row[17]
        logFile = row[18]
        network = row[19] ?? true
        category = row[20]
        // The JSON columns hold what the Codable encoding wrote; yajl reads them in place, without a copy.
        command = try Self.json(row, 21, id: id) { r throws(JSONCodecError) in try r.strings() } ?? []
        environment = try Self.json(row, 22, id: id) { r throws(JSONCodecError) in try r.stringMap() } ?? [:]
        reasons = try Self.json(row, 23, id: id) { r throws(JSONCodecError) in
            try r.beginArray()
            var reasons: [Reason] = []
            while try r.hasNextElement() { reasons.append(try Reason(json: &r)) }
            return reasons
        }
        gpuIndices = try Self.json(row, 24, id: id) { r throws(JSONCodecError) in try r.ints() }
        gpuTypes = try Self.json(row, 25, id: id) { r throws(JSONCodecError) in try r.strings() }
        nodes = row[26] ?? 1
        gang = try Self.json(row, 27, id: id) { r throws(JSONCodecError) in
            try r.beginArray()
            var ranks: [[Int]] = []
            while try r.hasNextElement() { ranks.append(try r.ints()) }
            return ranks
        }
        clusterJob = row[28]
    }

    private static func json<T>(
        _ row: Row, _ index: Int, id: Int64,
        _ read: (inout JSONReader) throws(JSONCodecError) -> T
    ) throws -> T? {
        try row.withUnsafeData(atIndex: index) { data in
            guard let data else { return nil }
            do {
                return try data.withUnsafeBytes { bytes in try JSONReader.decode(bytes, read) }
            } catch {
                throw StoreError.io("request \(id): column \(columns[index]) does not hold its JSON: \(error)")
            }
        }
    }

    /// The full view, for the owner and admins. `nodeNames` maps node indices to names.
    public func info(nodeNames: [String] = []) -> RequestInfo {
        var info = RequestInfo(
            id: id, state: state, account: account, uid: uid, sector: sector, gpus: gpus, cpus: cpus,
            memoryMiB: memoryMiB, durationSeconds: durationMs / 1_000, purpose: purpose, command: command,
            workingDirectory: workingDirectory, submittedAt: submittedAt)
        info.startedAt = startedAt
        info.endedAt = endedAt
        info.outcome = outcome
        info.exitCode = exitCode
        info.reasons = reasons
        info.node = node.map { Self.name(of: $0, nodeNames) }
        info.gpuIndices = gpuIndices
        info.logFile = logFile
        info.network = network ? nil : false
        info.gpuTypes = gpuTypes
        info.nodes = nodes > 1 ? nodes : nil
        info.nodeList = nodeIndices.map { ranks in ranks.map { Self.name(of: $0, nodeNames) } }
        info.clusterJob = clusterJob
        return info
    }

    /// A granted request that never ran, pending again: what its start recorded is cleared.
    public var neverStarted: StoredRequest {
        var pending = self
        pending.state = .pending
        pending.startedAt = nil
        pending.node = nil
        pending.gpuIndices = nil
        pending.gang = nil
        pending.logFile = nil
        pending.clusterJob = nil
        return pending
    }

    /// Every node of a running gang, rank order; nil for a slot within one node or one not running.
    public var nodeIndices: [Int]? {
        guard let node, let gang, !gang.isEmpty else { return nil }
        return [node] + gang.compactMap(\.first)
    }

    /// A node index's name (`node7` when the inventory has no such node any more).
    public static func name(of node: Int, _ names: [String]) -> String {
        names.indices.contains(node) ? names[node] : "node\(node)"
    }
}

/// One state change of one request: the history reports are rebuilt from.
public struct Transition: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "transition"
    public var seq: Int64?
    public var requestId: Int64
    public var state: RequestState
    public var at: Int64
    public var detail: String

    public init(requestId: Int64, state: RequestState, at: Int64, detail: String) {
        self.requestId = requestId
        self.state = state
        self.at = at
        self.detail = detail
    }
}

/// An account row: a Unix user name and its applicant category.
public struct StoredAccount: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "account"
    public var name: String
    public var category: String
    public var createdAt: Int64

    public init(name: String, category: String, createdAt: Int64) {
        self.name = name
        self.category = category
        self.createdAt = createdAt
    }

    public var info: AccountInfo { AccountInfo(name: name, category: category, createdAt: createdAt) }
}

/// A policy that was in force from `appliedAt`.
public struct StoredPolicy: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "policy_version"
    public var seq: Int64?
    public var version: String
    public var hash: String
    public var file: String
    public var source: String
    public var appliedAt: Int64
    public var appliedBy: String
    public var reason: String

    public init(
        version: String, hash: String, file: String, source: String, appliedAt: Int64, appliedBy: String,
        reason: String
    ) {
        self.version = version
        self.hash = hash
        self.file = file
        self.source = source
        self.appliedAt = appliedAt
        self.appliedBy = appliedBy
        self.reason = reason
    }
}

extension RequestState: DatabaseValueConvertible {}
