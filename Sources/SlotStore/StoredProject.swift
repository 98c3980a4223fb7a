import GRDB

/// A project (issue 20): an applicant's award of GPU-hours for a window, in some sectors, for its members. Its id is
/// also the account its requests are scheduled and charged under. The applicant (a person or an organisation, in
/// one applicant category) is kept on the project row; its registration identifier is for admins only (Art. 10).
public struct StoredProject: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "project"

    public var id: String
    /// The applicant's name (a person or an organisation).
    public var applicant: String
    /// `person` or `organisation`.
    public var applicantKind: String
    /// The organisation's registration identifier (BIN) or the person's; admins only.
    public var registration: String
    /// The applicant category (Art. 26.2): the project's requests rank under it.
    public var category: String
    /// The principal investigator's Unix user: sees the project's requests and use.
    public var pi: String
    /// Unix users who may submit on the project (the PI may too).
    public var members: [String]
    public var sectors: [String]
    public var purpose: String
    public var awardGPUHours: Double
    /// The window, ms since the epoch.
    public var opens: Int64
    public var closes: Int64
    public var createdAt: Int64
    /// When members were told that the window is closing (nil: not yet).
    public var noticedAt: Int64?

    public init(
        id: String, applicant: String, applicantKind: String, registration: String, category: String, pi: String,
        members: [String], sectors: [String], purpose: String, awardGPUHours: Double, opens: Int64, closes: Int64,
        createdAt: Int64
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
        self.createdAt = createdAt
    }

    /// Whether Unix user `name` works on the project.
    public func includes(_ name: String) -> Bool { pi == name || members.contains(name) }
}

extension SlotStore {
    public func projects() throws(StoreError) -> [StoredProject] {
        try read { db in try StoredProject.order(Column("id")).fetchAll(db) }
    }

    /// Saves (inserts or replaces) a project and its audit record in one transaction.
    public func save(_ project: StoredProject, audit: AuditEvent, at: Int64) throws(StoreError) {
        try write { db in
            try project.save(db)
            try Self.appendAudit(audit, at: at, db)
        }
    }
}
