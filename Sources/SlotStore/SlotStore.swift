import Foundation
import GRDB
import SlotDomain

/// slotd's durable state in one SQLite database (WAL mode, through GRDB).
///
/// The daemon's engine is the only writer; readers (`Get`, `List`) read committed state concurrently. Every write
/// is one transaction, so a caller that gets control back after a write knows it is on disk (with the durability
/// `synchronous` gives: `FULL` survives power loss, `NORMAL` survives a crash of slotd).
public final class SlotStore: Sendable {
    public enum Durability: String, Sendable, CaseIterable {
        /// Every commit is fsynced: survives power loss.
        case full
        /// WAL appends without fsync per commit: survives a crash or kill of slotd, not of the machine.
        case normal
    }

    public let path: String
    let pool: DatabasePool
    /// A second connection that only runs WAL checkpoints (``checkpoint()``), so commits never wait for one.
    let checkpointer: DatabaseQueue

    /// WAL pages after which a commit checkpoints by itself: a backstop for when nobody calls ``checkpoint()``
    /// (tools, tests) or it falls behind. 16,384 pages is 64 MiB.
    public static let backstopCheckpointPages = 16_384

    /// Opens (creating if needed) the database at `path` and runs pending migrations. Refuses a database written
    /// by a newer slotd (it has migrations this build does not know), so a downgrade never corrupts state.
    ///
    /// SQLite's own checkpoint runs inside the commit that crosses its threshold, and copies the WAL into the
    /// database with an fsync while every later commit waits: with the default threshold that was the 1% of
    /// submits that took 10 ms instead of 1. So the threshold is raised to `backstopPages`, and the daemon
    /// checkpoints from a second connection instead (``checkpoint()``), which writers do not wait for.
    /// Fault injection for tests: while a file exists at this path, every write fails as a full disk would (nil:
    /// never). slotd sets it only in dev mode (`SLOTD_DEV_STORE_FAULT_FILE`), for the tests of its write rule.
    public let faultFile: String?

    public init(
        path: String, durability: Durability = .full,
        backstopPages: Int = SlotStore.backstopCheckpointPages, faultFile: String? = nil
    ) throws(StoreError) {
        self.path = path
        self.faultFile = faultFile
        var config = Configuration()
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(backstopPages)")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            checkpointer = try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw .cannotOpen(path: path, reason: "\(error)")
        }
        let migrator = Migrations.migrator
        do {
            let unknown = try pool.read { db in
                try migrator.appliedIdentifiers(db).subtracting(migrator.migrations)
            }
            guard unknown.isEmpty else {
                throw StoreError.newerSchema(path: path, unknown: unknown.sorted())
            }
            try migrator.migrate(pool)
        } catch let error as StoreError {
            throw error
        } catch {
            throw .cannotOpen(path: path, reason: "migration failed: \(error)")
        }
    }

    /// The names of the migrations applied to this database, in order.
    public func appliedMigrations() throws(StoreError) -> [String] {
        try read { db in try Migrations.migrator.appliedMigrations(db) }
    }

    /// Runs `body` in one write transaction.
    func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws(StoreError) -> T {
        try injectedFault()
        do { return try pool.write(body) } catch { throw .io("\(error)") }
    }

    private func injectedFault() throws(StoreError) {
        guard let faultFile, access(faultFile, F_OK) == 0 else { return }
        throw .io("SQLite error 13: database or disk is full (injected: \(faultFile) exists)")
    }

    func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws(StoreError) -> T {
        do { return try pool.read(body) } catch { throw .io("\(error)") }
    }

    // MARK: Requests

    /// Stores new requests and their `pending` transitions in one transaction (group commit).
    ///
    /// This is the Submit hot path, so it binds prepared (cached) statements directly instead of going through the
    /// Codable record encoder; the columns and their JSON encoding are those of ``StoredRequest`` (a round-trip
    /// test reads them back through the record).
    public func insert(_ requests: [StoredRequest]) throws(StoreError) {
        try write { db in try Self.insert(requests, db) }
    }

    /// ``insert(_:)`` without blocking the caller's thread: GRDB runs the transaction on its writer queue, and the
    /// caller resumes after the commit. The daemon's group commit uses it, so submits keep arriving meanwhile.
    public func insertAsync(_ requests: [StoredRequest]) async throws(StoreError) {
        try injectedFault()
        do { try await pool.write { db in try Self.insert(requests, db) } } catch { throw .io("\(error)") }
    }

    static func insert(_ requests: [StoredRequest], _ db: Database) throws {
        let request = try db.cachedStatement(
            sql: """
                INSERT INTO request (id, uid, gid, account, sector, gpus, cpus, memoryMiB, durationMs, purpose, \
                command, workingDirectory, environment, submittedAt, state, network, category, gpuTypes, nodes) \
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        let transition = try db.cachedStatement(
            sql: "INSERT INTO transition (requestId, state, at, detail) VALUES (?, ?, ?, 'submitted')")
        let json = JSONEncoder()
        json.outputFormatting = .sortedKeys
        for r in requests {
            let command = String(decoding: try json.encode(r.command), as: UTF8.self)
            let environment = String(decoding: try json.encode(r.environment), as: UTF8.self)
            let gpuTypes = try r.gpuTypes.map { String(decoding: try json.encode($0), as: UTF8.self) }
            try request.execute(arguments: [
                r.id, r.uid, r.gid, r.account, r.sector, r.gpus, r.cpus, r.memoryMiB, r.durationMs, r.purpose,
                command, r.workingDirectory, environment, r.submittedAt, r.state.rawValue, r.network, r.category,
                gpuTypes, r.nodes,
            ])
            try transition.execute(arguments: [r.id, r.state.rawValue, r.submittedAt])
        }
    }

    /// Saves changed requests and one transition each, in one transaction.
    public func update(_ changes: [(request: StoredRequest, detail: String, at: Int64)]) throws(StoreError) {
        guard !changes.isEmpty else { return }
        let changes = changes.map { ($0.request, $0.detail, $0.at) }
        try write { db in
            for (request, detail, at) in changes {
                try request.update(db)
                try Transition(requestId: request.id, state: request.state, at: at, detail: detail).insert(db)
            }
        }
    }

    /// Writes one small row and commits: whether the database can be written at all (after a full disk or an I/O
    /// error), without touching any request.
    public func probeWrite(at: Int64) throws(StoreError) {
        try write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO write_probe (id, at) VALUES (1, ?)", arguments: [at])
        }
    }

    public func request(_ id: Int64) throws(StoreError) -> StoredRequest? {
        try read { db in try StoredRequest.fetchOne(db, key: id) }
    }

    /// Requests in `states`, newest first; only `uid`'s when given; only ids below `before` when given.
    public func requests(
        states: [RequestState], uid: Int64?, before: Int64? = nil, limit: Int
    ) throws(StoreError) -> [StoredRequest] {
        try read { db in
            let ids = try Self.newestIDs(db, states: states, uid: uid, before: before, limit: limit)
            return try Array(
                try Self.rows(db, ids, columns: StoredRequest.columns).1.map { try StoredRequest(row: $0) })
        }
    }

    /// The ids of `requests(states:uid:before:limit:)`, newest first.
    ///
    /// Each state is read newest first through its (state, id) or (uid, state, id) index, at most `limit` ids
    /// each; the ids are merged, and only the `limit` newest rows are read in full. Paging with `before` (the last
    /// id of the previous page) reads each page in O(limit × states), however deep it is.
    static func newestIDs(
        _ db: Database, states: [RequestState], uid: Int64?, before: Int64?, limit: Int
    ) throws -> ArraySlice<Int64> {
        let bound = before ?? Int64.max
        var ids: [Int64] = []
        for state in Set(states) {
            if let uid {
                ids += try Int64.fetchAll(
                    db,
                    sql: """
                        SELECT id FROM request WHERE uid = ? AND state = ? AND id < ? ORDER BY id DESC LIMIT ?
                        """, arguments: [uid, state.rawValue, bound, limit])
            } else {
                ids += try Int64.fetchAll(
                    db,
                    sql: """
                        SELECT id FROM request WHERE state = ? AND id < ? ORDER BY id DESC LIMIT ?
                        """, arguments: [state.rawValue, bound, limit])
            }
        }
        return ids.sorted(by: >).prefix(limit)
    }

    /// A cursor over the rows of `ids`, newest first, with `columns` in that order, and the statement it steps.
    /// One cached statement per column list, the ids bound as one JSON array: an `id IN (...)` of hundreds of
    /// literals was generated and parsed anew for every page.
    static func rows(_ db: Database, _ ids: ArraySlice<Int64>, columns: [String]) throws -> (Statement, RowCursor) {
        let statement = try db.cachedStatement(
            sql: """
                SELECT \(columns.map { "\"\($0)\"" }.joined(separator: ", ")) FROM request
                WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id DESC
                """)
        let ids = "[" + ids.map(String.init).joined(separator: ",") + "]"
        return (statement, try Row.fetchCursor(statement, arguments: [ids]))
    }

    /// The next unused request id.
    public func nextRequestID() throws(StoreError) -> Int64 {
        try read { db in (try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM request") ?? 0) + 1 }
    }

    public func transitions(of id: Int64) throws(StoreError) -> [Transition] {
        try read { db in try Transition.filter(Column("requestId") == id).order(Column("seq")).fetchAll(db) }
    }

    // MARK: Accounts

    public func accounts() throws(StoreError) -> [StoredAccount] {
        try read { db in try StoredAccount.order(Column("name")).fetchAll(db) }
    }

    public func account(_ name: String) throws(StoreError) -> StoredAccount? {
        try read { db in try StoredAccount.fetchOne(db, key: name) }
    }

    /// Saves (inserts or replaces) an account and its audit record in one transaction.
    public func save(_ account: StoredAccount, audit: AuditEvent, at: Int64) throws(StoreError) {
        try write { db in
            try account.save(db)
            try Self.appendAudit(audit, at: at, db)
        }
    }

    /// Deletes an account and records why, in one transaction.
    public func remove(account name: String, audit: AuditEvent, at: Int64) throws(StoreError) {
        try write { db in
            _ = try StoredAccount.deleteOne(db, key: name)
            try Self.appendAudit(audit, at: at, db)
        }
    }

    // MARK: Policies

    public func currentPolicy() throws(StoreError) -> StoredPolicy? {
        try read { db in try StoredPolicy.order(Column("seq").desc).fetchOne(db) }
    }

    public func policyHistory() throws(StoreError) -> [StoredPolicy] {
        try read { db in try StoredPolicy.order(Column("seq")).fetchAll(db) }
    }

    /// Records a policy coming into force, and its audit record, in one transaction.
    public func record(_ policy: StoredPolicy, audit: AuditEvent) throws(StoreError) {
        try write { db in
            try policy.insert(db)
            try Self.appendAudit(audit, at: policy.appliedAt, db)
        }
    }

    // MARK: Audit

    /// Appends one record to the audit chain.
    public func audit(_ event: AuditEvent, at: Int64) throws(StoreError) {
        try write { db in try Self.appendAudit(event, at: at, db) }
    }

    static func appendAudit(_ event: AuditEvent, at: Int64, _ db: Database) throws {
        let last = try AuditRecord.order(Column("seq").desc).fetchOne(db)
        var record = AuditRecord(
            seq: (last?.seq ?? 0) + 1, at: at, actor: event.actor, actorUID: event.actorUID, action: event.action,
            target: event.target, reason: event.reason, detail: event.detail,
            prevHash: last?.hash ?? AuditRecord.genesis, hash: "")
        record.hash = record.computedHash
        try record.insert(db)
    }

    /// The newest `limit` audit records, newest first.
    public func auditRecords(limit: Int) throws(StoreError) -> [AuditRecord] {
        try read { db in try AuditRecord.order(Column("seq").desc).limit(limit).fetchAll(db) }
    }

    /// Recomputes the whole chain: every record must follow its predecessor (seq 1, 2, 3...), name its hash, and
    /// hash to its stored value.
    public func verifyAudit() throws(StoreError) -> AuditVerification {
        try read { db in
            var previous = AuditRecord.genesis
            var expectedSeq: Int64 = 1
            var count = 0
            let cursor = try AuditRecord.order(Column("seq")).fetchCursor(db)
            while let record = try cursor.next() {
                count += 1
                let seq = record.seq ?? 0
                if seq != expectedSeq {
                    return AuditVerification(
                        intact: false, records: count, brokenAt: expectedSeq,
                        problem: "record \(expectedSeq) is missing")
                }
                if record.prevHash != previous {
                    return AuditVerification(
                        intact: false, records: count, brokenAt: seq,
                        problem: "record \(seq) does not follow record \(seq - 1)")
                }
                if record.computedHash != record.hash {
                    return AuditVerification(
                        intact: false, records: count, brokenAt: seq,
                        problem: "record \(seq) was changed after it was written")
                }
                previous = record.hash
                expectedSeq += 1
            }
            return AuditVerification(intact: true, records: count, brokenAt: nil, problem: nil)
        }
    }

    // MARK: Backup

    /// Copies the database online into a new file at `path` through SQLite's backup API: a consistent snapshot
    /// while the daemon keeps writing.
    public func backup(to path: String) throws(StoreError) -> Int64 {
        guard !FileManager.default.fileExists(atPath: path) else { throw .io("\(path) already exists") }
        do {
            let destination = try DatabaseQueue(path: path)
            try pool.backup(to: destination)
            try destination.close()
        } catch {
            throw .io("backup to \(path) failed: \(error)")
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        return (attributes?[.size] as? NSNumber)?.int64Value ?? 0
    }
}

/// Why the store failed. Stable codes for logs.
public enum StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    /// The database was written by a newer slotd.
    case newerSchema(path: String, unknown: [String])
    case io(String)

    public var code: String {
        switch self {
        case .cannotOpen: "store.cannot-open"
        case .newerSchema: "store.newer-schema"
        case .io: "store.io"
        }
    }

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): "cannot open the database \(path): \(reason)"
        case .newerSchema(let path, let unknown):
            "the database \(path) was written by a newer slotd (unknown migrations: "
                + "\(unknown.joined(separator: ", "))); refusing to downgrade it. Install that version again, or "
                + "restore a backup made by this one."
        case .io(let reason): "database error: \(reason)"
        }
    }
}
