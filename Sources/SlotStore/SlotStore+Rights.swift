import Foundation
import GRDB
import SlotCore
import SlotDomain

/// One account's acceptance of one agreement version and text (Art. 15.2.5).
public struct AgreementAcceptance: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "agreement_acceptance"
    public var account: String
    public var uid: Int64
    public var version: String
    public var hash: String
    public var acceptedAt: Int64

    public init(account: String, uid: Int64, version: String, hash: String, acceptedAt: Int64) {
        self.account = account
        self.uid = uid
        self.version = version
        self.hash = hash
        self.acceptedAt = acceptedAt
    }
}

/// A contest as stored (Art. 7.2): opened by a request's owner, decided by an admin.
public struct StoredContest: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "contest"
    public var id: Int64?
    public var requestId: Int64
    public var account: String
    public var uid: Int64
    public var kind: String
    public var reason: String
    public var openedAt: Int64
    public var state: ContestState
    public var decidedAt: Int64?
    public var decidedBy: String?
    public var decision: String?
    public var boost: Int64?
    public var boostUntil: Int64?

    public init(requestId: Int64, account: String, uid: Int64, kind: String, reason: String, openedAt: Int64) {
        self.requestId = requestId
        self.account = account
        self.uid = uid
        self.kind = kind
        self.reason = reason
        self.openedAt = openedAt
        self.state = .open
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public var info: ContestInfo {
        var info = ContestInfo(
            id: id ?? 0, requestID: requestId, account: account, kind: kind, reason: reason,
            openedAt: openedAt, state: state)
        info.decidedAt = decidedAt
        info.decidedBy = decidedBy
        info.decision = decision
        info.boost = boost
        info.boostUntil = boostUntil
        if state == .granted {
            info.effect =
                kind == "rejection"
                ? "re-queued"
                : boost.map { "priority +\($0)" + (boostUntil.map { " until \(Timestamp($0))" } ?? "") }
        }
        return info
    }
}

extension SlotStore {
    // MARK: Agreement

    public func acceptances() throws(StoreError) -> [AgreementAcceptance] {
        try read { db in try AgreementAcceptance.fetchAll(db) }
    }

    /// Records an acceptance and its audit record in one transaction (accepting again is a no-op for the row).
    public func accept(_ acceptance: AgreementAcceptance, audit: AuditEvent) throws(StoreError) {
        try write { db in
            try acceptance.insert(db, onConflict: .ignore)
            try Self.appendAudit(audit, at: acceptance.acceptedAt, db)
        }
    }

    // MARK: Contests

    /// Stores a new contest and its audit record; returns it with its id.
    public func open(_ contest: StoredContest, audit: AuditEvent) throws(StoreError) -> StoredContest {
        try write { db in
            var contest = contest
            try contest.insert(db)
            var event = audit
            event.target = "contest \(contest.id ?? 0)"
            try Self.appendAudit(event, at: contest.openedAt, db)
            return contest
        }
    }

    /// Saves a decided contest and its audit record in one transaction, with the request it re-queues (a granted
    /// rejection contest: the request is pending again, with a transition saying why).
    public func decide(_ contest: StoredContest, audit: AuditEvent, requeued: StoredRequest? = nil) throws(StoreError) {
        try write { db in
            let at = contest.decidedAt ?? contest.openedAt
            try contest.update(db)
            if let requeued {
                try requeued.update(db)
                try Transition(
                    requestId: requeued.id, state: requeued.state, at: at,
                    detail: "re-queued: contest \(contest.id ?? 0) granted"
                ).insert(db)
            }
            try Self.appendAudit(audit, at: at, db)
        }
    }

    public func contest(_ id: Int64) throws(StoreError) -> StoredContest? {
        try read { db in try StoredContest.fetchOne(db, key: id) }
    }

    /// Contests newest first: one account's or everyone's, in `states` (all when empty).
    public func contests(account: String?, states: [ContestState], limit: Int) throws(StoreError) -> [StoredContest] {
        try read { db in
            var query = StoredContest.order(Column("id").desc).limit(limit)
            if let account { query = query.filter(Column("account") == account) }
            if !states.isEmpty { query = query.filter(states.map(\.rawValue).contains(Column("state"))) }
            return try query.fetchAll(db)
        }
    }

    /// The open contest of a request, if any.
    public func openContest(request id: Int64) throws(StoreError) -> StoredContest? {
        try read { db in
            try StoredContest.filter(Column("requestId") == id && Column("state") == ContestState.open.rawValue)
                .fetchOne(db)
        }
    }

    /// Granted contests whose boost may still be in force at `now` (the engine re-applies them after a restart).
    public func boosts(at now: Int64) throws(StoreError) -> [StoredContest] {
        try read { db in
            try StoredContest.filter(
                Column("state") == ContestState.granted.rawValue && Column("boost") != nil
                    && (Column("boostUntil") == nil || Column("boostUntil") > now)
            )
            .order(Column("id")).fetchAll(db)
        }
    }
}
