/// Messages of the users' rights: the user agreement (Art. 15.2.5), contests (Art. 7.2, 16) and allocation reports
/// (Art. 8, 26.3).

// MARK: Agreement (io.slotd.Accounts)

public struct AgreementReply: Codable, Sendable, Hashable {
    /// False when the policy names no agreement (nothing to accept).
    public var required: Bool
    public var version: String?
    /// SHA-256 of the text.
    public var hash: String?
    public var text: String?
    /// How allocation works and how to object: the Art. 7.2 notice, from the policy in force.
    public var notice: String
    /// Whether the caller's account has accepted this version and text.
    public var accepted: Bool
    public var acceptedAt: Int64?

    public init(
        required: Bool, version: String?, hash: String?, text: String?, notice: String, accepted: Bool,
        acceptedAt: Int64?
    ) {
        self.required = required
        self.version = version
        self.hash = hash
        self.text = text
        self.notice = notice
        self.accepted = accepted
        self.acceptedAt = acceptedAt
    }
}

/// The version and hash the caller read: acceptance is of exactly that text.
public struct AcceptAgreementParameters: Codable, Sendable, Hashable {
    public var version: String
    public var hash: String

    public init(version: String, hash: String) {
        self.version = version
        self.hash = hash
    }
}

// MARK: Contests (io.slotd.Contests)

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

public struct ContestOpenParameters: Codable, Sendable, Hashable {
    /// The request contested.
    public var id: Int64
    public var reason: String

    public init(id: Int64, reason: String) {
        self.id = id
        self.reason = reason
    }
}

public struct ContestListParameters: Codable, Sendable, Hashable {
    /// Admins: everyone's contests (default: the caller's own).
    public var allUsers: Bool?
    /// Default: every state.
    public var states: [ContestState]?
    public var limit: Int?

    public init(allUsers: Bool? = nil, states: [ContestState]? = nil, limit: Int? = nil) {
        self.allUsers = allUsers
        self.states = states
        self.limit = limit
    }
}

public struct ContestResolveParameters: Codable, Sendable, Hashable {
    /// The contest.
    public var id: Int64
    /// true: grant; false: uphold the decision.
    public var grant: Bool
    /// Priority points to add (grant of a pending request), at most the policy's `contests.max_boost`.
    public var boost: Int64?
    /// When the boost ends (ms since the epoch), at most `contests.max_boost_duration` from now.
    public var until: Int64?
    public var reason: String

    public init(id: Int64, grant: Bool, boost: Int64? = nil, until: Int64? = nil, reason: String) {
        self.id = id
        self.grant = grant
        self.boost = boost
        self.until = until
        self.reason = reason
    }
}

public struct ContestReply: Codable, Sendable, Hashable {
    public var contest: ContestInfo
    public init(contest: ContestInfo) { self.contest = contest }
}

public struct ContestListReply: Codable, Sendable, Hashable {
    public var contests: [ContestInfo]
    public init(contests: [ContestInfo]) { self.contests = contests }
}

// MARK: Reports (io.slotd.Reports)

public enum ReportGrouping: String, Codable, Sendable, CaseIterable {
    case sector, category, account
}

public struct ReportParameters: Codable, Sendable, Hashable {
    /// Start of the period, inclusive (ms since the epoch).
    public var from: Int64
    /// End of the period, exclusive.
    public var to: Int64
    /// Default: sector.
    public var by: ReportGrouping?

    public init(from: Int64, to: Int64, by: ReportGrouping? = nil) {
        self.from = from
        self.to = to
        self.by = by
    }
}

/// The figures of one group (or of the total). Every figure is nil when the group is suppressed (Art. 10).
public struct ReportGroup: Codable, Sendable, Hashable {
    public var key: String
    /// Distinct accounts with activity in the group (nil when suppressed).
    public var accounts: Int?
    public var suppressed: Bool
    public var requests: Int?
    public var gpuHoursGranted: Double?
    public var gpuHoursUsed: Double?
    /// Share of all GPU-hours used in the period, 0...1.
    public var share: Double?
    /// Sectors only: the sector's share of the sum of sector weights, the policy's relative priority (not a quota).
    public var weightShare: Double?
    public var started: Int?
    public var waitMeanSeconds: Double?
    public var waitP95Seconds: Double?
    /// Rejected requests by reason code (a request rejected for two reasons counts under both).
    public var rejections: [String: Int]?
    /// Contests opened in the period, by state.
    public var contests: [String: Int]?
    public var energyKWh: Double?

    public init(key: String, suppressed: Bool) {
        self.key = key
        self.suppressed = suppressed
    }
}

public struct AllocationReport: Codable, Sendable, Hashable {
    public var from: Int64
    public var to: Int64
    public var by: ReportGrouping
    /// `all` (an admin's report) or `own` (a user's: their requests only).
    public var scope: String
    public var account: String?
    public var minGroupAccounts: Int
    public var policyVersion: String
    public var groups: [ReportGroup]
    public var total: ReportGroup

    public init(
        from: Int64, to: Int64, by: ReportGrouping, scope: String, account: String?, minGroupAccounts: Int,
        policyVersion: String, groups: [ReportGroup], total: ReportGroup
    ) {
        self.from = from
        self.to = to
        self.by = by
        self.scope = scope
        self.account = account
        self.minGroupAccounts = minGroupAccounts
        self.policyVersion = policyVersion
        self.groups = groups
        self.total = total
    }
}

public struct ReportReply: Codable, Sendable, Hashable {
    public var report: AllocationReport
    public init(report: AllocationReport) { self.report = report }
}
