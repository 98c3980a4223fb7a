// Contests of a rejection or a position (Art. 16), as recorded and shown.

public enum ContestState: String, Codable, Sendable, CaseIterable {
    case open, upheld, granted
}

/// A contest of a request's rejection or position, and its decision. Seen only by the request's owner and admins.
public struct ContestInfo: Codable, Sendable, Hashable {
    public var id: Int64
    public var requestID: Int64
    public var account: String
    /// `rejection` or `position`: what was contested (the request's state when it was opened).
    public var kind: String
    public var reason: String
    public var openedAt: Int64
    public var state: ContestState
    public var decidedAt: Int64?
    public var decidedBy: String?
    /// The admin's reason for the decision.
    public var decision: String?
    /// Priority points granted (a grant on a pending request).
    public var boost: Int64?
    public var boostUntil: Int64?
    /// What the grant did, in words (e.g. "re-queued", "priority +300 until ...").
    public var effect: String?

    public init(
        id: Int64, requestID: Int64, account: String, kind: String, reason: String, openedAt: Int64,
        state: ContestState
    ) {
        self.id = id
        self.requestID = requestID
        self.account = account
        self.kind = kind
        self.reason = reason
        self.openedAt = openedAt
        self.state = state
    }
}
