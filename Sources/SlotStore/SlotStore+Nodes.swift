import GRDB

/// A node that is not up, as an admin (or the executor) left it: applied again at every start.
public struct StoredNodeState: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "node_state"
    /// The node's inventory name.
    public var name: String
    /// `draining` or `down` (an up node has no row).
    public var state: String
    public var reason: String
    public var changedAt: Int64
    public var changedBy: String

    public init(name: String, state: String, reason: String, changedAt: Int64, changedBy: String) {
        self.name = name
        self.state = state
        self.reason = reason
        self.changedAt = changedAt
        self.changedBy = changedBy
    }
}

extension SlotStore {
    /// Every node that is not up, by name.
    public func nodeStates() throws(StoreError) -> [StoredNodeState] {
        try read { db in try StoredNodeState.order(Column("name")).fetchAll(db) }
    }

    /// Records a node's new state and its audit record in one transaction; `up` removes the node's row.
    public func setNodeState(_ node: StoredNodeState, audit: AuditEvent) throws(StoreError) {
        try write { db in
            if node.state == "up" {
                _ = try StoredNodeState.deleteOne(db, key: node.name)
            } else {
                try node.save(db)
            }
            try Self.appendAudit(audit, at: node.changedAt, db)
        }
    }
}
