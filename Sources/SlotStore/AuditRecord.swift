import Crypto
import Foundation
import GRDB
import SlotDomain

/// One audit record (Art. 8): who did what, when, to what, and why. Records form a hash chain: each `hash` is the
/// SHA-256 of the previous record's hash and this record's fields, so an edited, deleted or reordered record breaks
/// every hash after it (see ``SlotStore/verifyAudit()``).
public struct AuditRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "audit"
    public var seq: Int64?
    public var at: Int64
    public var actor: String
    public var actorUID: Int64
    public var action: String
    public var target: String
    public var reason: String
    public var detail: String
    public var prevHash: String
    public var hash: String

    /// The chain's anchor: the `prevHash` of the first record.
    public static let genesis = String(repeating: "0", count: 64)

    /// The hash this record must have, given its fields and `prevHash`.
    public var computedHash: String {
        // Length-prefixed fields: no two different records serialise the same.
        let fields = [String(seq ?? 0), String(at), actor, String(actorUID), action, target, reason, detail]
        var text = prevHash
        for field in fields { text += "\n\(field.utf8.count):\(field)" }
        return sha256Hex(text)
    }

    public var entry: AuditEntry {
        AuditEntry(
            seq: seq ?? 0, at: at, actor: actor, actorUID: actorUID, action: action, target: target,
            reason: reason, detail: detail, hash: hash)
    }
}

/// What an admin did, before it is chained into the audit trail.
public struct AuditEvent: Sendable, Hashable {
    public var actor: String
    public var actorUID: Int64
    public var action: String
    public var target: String
    public var reason: String
    public var detail: String

    public init(actor: String, actorUID: Int64, action: String, target: String, reason: String, detail: String) {
        self.actor = actor
        self.actorUID = actorUID
        self.action = action
        self.target = target
        self.reason = reason
        self.detail = detail
    }
}

/// The result of checking the whole chain.
public struct AuditVerification: Sendable, Hashable {
    public var intact: Bool
    public var records: Int
    /// The first record that does not chain.
    public var brokenAt: Int64?
    public var problem: String?
}

/// Lowercase hex SHA-256 of `text`: policy hashes and the audit chain.
public func sha256Hex(_ text: String) -> String {
    SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
}
