/// Messages of `io.slotd.Projects`' applications (see `Interfaces+Projects.swift` for the IDL). Times are ms since the epoch.

/// An application as the caller may see it: its filer and admins only; registration too (Art. 10).
public struct ApplicationInfo: Codable, Sendable, Hashable {
    public var id: Int64
    public var project: String
    public var filedBy: String
    public var applicant: String
    public var applicantKind: String
    public var registration: String
    public var category: String
    public var members: [String]
    public var sectors: [String]
    public var purpose: String
    public var gpuHours: Double
    public var opens: Int64
    public var closes: Int64
    public var route: String?
    /// pending, approved, declined or contested.
    public var state: String
    public var filedAt: Int64
    public var decidedBy: String?
    public var decidedAt: Int64?
    public var decision: String?
    public var contest: String?

    public init(
        id: Int64, project: String, filedBy: String, applicant: String, applicantKind: String, registration: String,
        category: String, members: [String], sectors: [String], purpose: String, gpuHours: Double, opens: Int64,
        closes: Int64, route: String?, state: String, filedAt: Int64, decidedBy: String?, decidedAt: Int64?,
        decision: String?, contest: String?
    ) {
        self.id = id
        self.project = project
        self.filedBy = filedBy
        self.applicant = applicant
        self.applicantKind = applicantKind
        self.registration = registration
        self.category = category
        self.members = members
        self.sectors = sectors
        self.purpose = purpose
        self.gpuHours = gpuHours
        self.opens = opens
        self.closes = closes
        self.route = route
        self.state = state
        self.filedAt = filedAt
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt
        self.decision = decision
        self.contest = contest
    }
}

/// An application for a project: the caller becomes its principal investigator once approved.
public struct ApplyParameters: Codable, Sendable, Hashable {
    public var project: String
    public var applicant: String
    public var applicantKind: String
    public var registration: String
    public var category: String
    public var members: [String]
    public var sectors: [String]
    public var purpose: String
    public var gpuHours: Double
    /// nil: now.
    public var opens: Int64?
    public var closes: Int64
    /// A policy route; nil: the first automatic route it fits, or an admin's review.
    public var route: String?

    public init(
        project: String, applicant: String, applicantKind: String, registration: String, category: String,
        members: [String], sectors: [String], purpose: String, gpuHours: Double, opens: Int64?, closes: Int64,
        route: String?
    ) {
        self.project = project
        self.applicant = applicant
        self.applicantKind = applicantKind
        self.registration = registration
        self.category = category
        self.members = members
        self.sectors = sectors
        self.purpose = purpose
        self.gpuHours = gpuHours
        self.opens = opens
        self.closes = closes
        self.route = route
    }
}

public struct ApplicationListParameters: Codable, Sendable, Hashable {
    /// Only applications in this state.
    public var state: String?
    public init(state: String? = nil) { self.state = state }
}

/// An admin's decision: approve (possibly with fewer GPU-hours or an earlier close) or decline, with a reason.
public struct DecideParameters: Codable, Sendable, Hashable {
    public var id: Int64
    public var approve: Bool
    public var gpuHours: Double?
    public var closes: Int64?
    public var reason: String

    public init(id: Int64, approve: Bool, gpuHours: Double? = nil, closes: Int64? = nil, reason: String) {
        self.id = id
        self.approve = approve
        self.gpuHours = gpuHours
        self.closes = closes
        self.reason = reason
    }
}

/// The applicant contests a declined application, with a reason: an admin decides again.
public struct ContestApplicationParameters: Codable, Sendable, Hashable {
    public var id: Int64
    public var reason: String
    public init(id: Int64, reason: String) {
        self.id = id
        self.reason = reason
    }
}

public struct ApplicationReply: Codable, Sendable, Hashable {
    public var application: ApplicationInfo
    public init(application: ApplicationInfo) { self.application = application }
}

public struct ApplicationListReply: Codable, Sendable, Hashable {
    public var applications: [ApplicationInfo]
    public init(applications: [ApplicationInfo]) { self.applications = applications }
}
