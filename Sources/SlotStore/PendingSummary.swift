import GRDB
import SlotDomain
import SlotJSON

/// The scheduling fields of a pending request: what the daemon keeps in memory per queued request. The command,
/// environment and purpose stay in the store until the slot starts, so a million queued requests cost little.
public struct PendingSummary: Sendable, Hashable {
    public var id: Int64
    public var uid: Int64
    public var account: String
    public var sector: String
    public var gpus: Int
    public var cpus: Int
    public var memoryMiB: Int
    public var durationMs: Int64
    public var submittedAt: Int64
    /// The GPU models the request accepts; nil: any.
    public var gpuTypes: [String]?
    /// How many nodes it spans; its sizes are per node.
    public var nodes = 1

    public init(_ r: StoredRequest) {
        self.init(
            id: r.id, uid: r.uid, account: r.account, sector: r.sector, gpus: r.gpus, cpus: r.cpus,
            memoryMiB: r.memoryMiB, durationMs: r.durationMs, submittedAt: r.submittedAt, gpuTypes: r.gpuTypes)
        nodes = r.nodes
    }

    public init(
        id: Int64, uid: Int64, account: String, sector: String, gpus: Int, cpus: Int, memoryMiB: Int,
        durationMs: Int64, submittedAt: Int64, gpuTypes: [String]? = nil
    ) {
        self.gpuTypes = gpuTypes
        self.id = id
        self.uid = uid
        self.account = account
        self.sector = sector
        self.gpus = gpus
        self.cpus = cpus
        self.memoryMiB = memoryMiB
        self.durationMs = durationMs
        self.submittedAt = submittedAt
    }
}

extension SlotStore {
    /// Every pending request's scheduling fields, in submission order (what a restarting daemon re-queues). Reads
    /// only those columns, through a cursor: no JSON column is decoded.
    public func pendingSummaries() throws(StoreError) -> [PendingSummary] {
        var all: [PendingSummary] = []
        var after: PendingSummary?
        while true {
            let page = try pendingSummaries(after: after, limit: Self.pendingPageSize)
            all += page
            guard page.count == Self.pendingPageSize else { return all }
            after = page.last
        }
    }

    /// How many pending summaries a restart reads at a time.
    public static let pendingPageSize = 65_536

    /// How many requests are pending (through the (state, submittedAt, id) index).
    public func pendingCount() throws(StoreError) -> Int {
        try read { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM request WHERE state = ?",
                arguments: [RequestState.pending.rawValue]) ?? 0
        }
    }

    /// At most `limit` pending requests' scheduling fields in submission order (submit time, then id), starting
    /// after `after` (nil: from the first). Pages through the (state, submittedAt, id) index, so a restart can
    /// re-queue a million requests without holding them all twice.
    public func pendingSummaries(after: PendingSummary?, limit: Int) throws(StoreError) -> [PendingSummary] {
        try read { db in
            var summaries: [PendingSummary] = []
            summaries.reserveCapacity(min(limit, Self.pendingPageSize))
            let columns = "id, uid, account, sector, gpus, cpus, memoryMiB, durationMs, submittedAt, gpuTypes, nodes"
            let rows =
                if let after {
                    try Row.fetchCursor(
                        db,
                        sql: """
                            SELECT \(columns) FROM request WHERE state = ? AND (submittedAt, id) > (?, ?) \
                            ORDER BY submittedAt, id LIMIT ?
                            """, arguments: [RequestState.pending.rawValue, after.submittedAt, after.id, limit])
                } else {
                    try Row.fetchCursor(
                        db,
                        sql: """
                            SELECT \(columns) FROM request WHERE state = ? ORDER BY submittedAt, id LIMIT ?
                            """, arguments: [RequestState.pending.rawValue, limit])
                }
            while let row = try rows.next() {
                let id: Int64 = row[0]
                // NULL (any model) in nearly every row: the JSON is read only where a request named models.
                let gpuTypes = try row.withUnsafeData(atIndex: 9) { data in
                    try data.map { data in
                        do {
                            return try data.withUnsafeBytes { bytes in
                                try JSONReader.decode(bytes) { r throws(JSONCodecError) in try r.strings() }
                            }
                        } catch {
                            throw StoreError.io("request \(id): column gpuTypes does not hold its JSON: \(error)")
                        }
                    }
                }
                var summary = PendingSummary(
                    id: id, uid: row[1], account: row[2], sector: row[3], gpus: row[4], cpus: row[5],
                    memoryMiB: row[6], durationMs: row[7], submittedAt: row[8], gpuTypes: gpuTypes)
                summary.nodes = row[10]
                summaries.append(summary)
            }
            return summaries
        }
    }

    /// Running requests in full (their slots are re-adopted or recorded as lost).
    public func runningRequests() throws(StoreError) -> [StoredRequest] {
        try read { db in
            try StoredRequest.filter(Column("state") == RequestState.running.rawValue).order(Column("id")).fetchAll(db)
        }
    }
}

/// One ended slot's GPU use, for the scheduler's budget and fair-share ledger after a restart.
public struct UsageRecord: Sendable, Hashable {
    public var account: String
    /// GPU-hours as used (every node of a gang), before any budget rate.
    public var gpuHours: Double
    public var endedAt: Int64
    /// The node it ran on (a gang's first), for the budget rate of its GPU type.
    public var node: Int?
}

extension SlotStore {
    /// GPU use of slots that ran and ended at or after `since`, oldest end first.
    public func usage(since: Int64) throws(StoreError) -> [UsageRecord] {
        try read { db in
            var records: [UsageRecord] = []
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT account, gpus * nodes, startedAt, endedAt, node FROM request \
                    WHERE gpus > 0 AND startedAt IS NOT NULL AND endedAt IS NOT NULL AND endedAt >= ? \
                    ORDER BY endedAt, id
                    """, arguments: [since])
            while let row = try rows.next() {
                let gpus: Int = row[1], started: Int64 = row[2], ended: Int64 = row[3]
                records.append(
                    UsageRecord(
                        account: row[0],
                        gpuHours: Double(gpus) * Double(max(0, ended - started))
                            / 3_600_000, endedAt: ended, node: row[4]))
            }
            return records
        }
    }
}
