public struct AuditEntry: Codable, Sendable, Hashable {
    public var seq: Int64
    public var at: Int64
    public var actor: String
    public var actorUID: Int64
    public var action: String
    public var target: String
    public var reason: String
    public var detail: String
    public var hash: String
    public init(
        seq: Int64, at: Int64, actor: String, actorUID: Int64, action: String, target: String,
        reason: String, detail: String, hash: String
    ) {
        self.seq = seq
        self.at = at
        self.actor = actor
        self.actorUID = actorUID
        self.action = action
        self.target = target
        self.reason = reason
        self.detail = detail
        self.hash = hash
    }
}
