/// Messages of `io.slotd.Projects` (see `Interfaces+Projects.swift` for the IDL). Times are ms since the epoch.

/// A project as the caller may see it: admins see everything; its PI and members see it without the applicant's
/// registration identifier (Art. 10).
public struct ProjectInfo: Codable, Sendable, Hashable {
    public var id: String
    public var applicant: String
    public var applicantKind: String
    public var registration: String?
    public var category: String
    public var pi: String
    public var members: [String]
    public var sectors: [String]
    public var purpose: String
    public var awardGPUHours: Double
    public var opens: Int64
    public var closes: Int64
    /// GPU-hours used by ended slots and committed to running ones (at their full length).
    public var usedGPUHours: Double
    public var committedGPUHours: Double
    public var createdAt: Int64
    /// Set once the window closes within the policy's notice period: what members are told.
    public var notice: String?

    public init(
        id: String, applicant: String, applicantKind: String, registration: String?, category: String, pi: String,
        members: [String], sectors: [String], purpose: String, awardGPUHours: Double, opens: Int64, closes: Int64,
        usedGPUHours: Double, committedGPUHours: Double, createdAt: Int64
    ) {
        self.id = id
        self.applicant = applicant
        self.applicantKind = applicantKind
        self.registration = registration
        self.category = category
        self.pi = pi
        self.members = members
        self.sectors = sectors
        self.purpose = purpose
        self.awardGPUHours = awardGPUHours
        self.opens = opens
        self.closes = closes
        self.usedGPUHours = usedGPUHours
        self.committedGPUHours = committedGPUHours
        self.createdAt = createdAt
    }
}

public struct ProjectCreateParameters: Codable, Sendable, Hashable {
    public var id: String
    public var applicant: String
    public var applicantKind: String
    public var registration: String
    public var category: String
    public var pi: String
    public var members: [String]
    public var sectors: [String]
    public var purpose: String
    public var awardGPUHours: Double
    public var opens: Int64
    public var closes: Int64
    public var reason: String

    public init(
        id: String, applicant: String, applicantKind: String, registration: String, category: String, pi: String,
        members: [String], sectors: [String], purpose: String, awardGPUHours: Double, opens: Int64, closes: Int64,
        reason: String
    ) {
        self.id = id
        self.applicant = applicant
        self.applicantKind = applicantKind
        self.registration = registration
        self.category = category
        self.pi = pi
        self.members = members
        self.sectors = sectors
        self.purpose = purpose
        self.awardGPUHours = awardGPUHours
        self.opens = opens
        self.closes = closes
        self.reason = reason
    }
}

/// An admin's change to a project: a later close (an extension), more GPU-hours (a top-up), members added.
public struct ProjectChangeParameters: Codable, Sendable, Hashable {
    public var id: String
    public var closes: Int64?
    public var addGPUHours: Double?
    public var addMembers: [String]?
    public var reason: String

    public init(id: String, closes: Int64?, addGPUHours: Double?, addMembers: [String]?, reason: String) {
        self.id = id
        self.closes = closes
        self.addGPUHours = addGPUHours
        self.addMembers = addMembers
        self.reason = reason
    }
}

public struct ProjectReply: Codable, Sendable, Hashable {
    public var project: ProjectInfo
    public init(project: ProjectInfo) { self.project = project }
}

public struct ProjectListReply: Codable, Sendable, Hashable {
    public var projects: [ProjectInfo]
    public init(projects: [ProjectInfo]) { self.projects = projects }
}
