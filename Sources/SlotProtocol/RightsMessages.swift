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

public struct ReportReply: Codable, Sendable, Hashable {
    public var report: AllocationReport
    public init(report: AllocationReport) { self.report = report }
}

public struct AwardsParameters: Codable, Sendable, Hashable {
    public var year: Int
    public init(year: Int) { self.year = year }
}

public struct AwardsReply: Codable, Sendable, Hashable {
    public var awards: [AwardRecord]
    public init(awards: [AwardRecord]) { self.awards = awards }
}
