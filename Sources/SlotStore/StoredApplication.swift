import GRDB

/// An application for a project (issue 20): filed by a Unix user for an applicant, decided by the policy's automatic
/// route or by an admin, and contestable once declined. Approval creates the project (`project`, its id).
public struct StoredApplication: Codable, Sendable, Hashable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "application"

    public enum State: String, Codable, Sendable, CaseIterable {
        /// Waiting for an admin.
        case pending
        case approved
        case declined
        /// Declined, then contested by the applicant: waiting for an admin's second decision.
        case contested
    }

    public var id: Int64?
    /// The project id asked for; the project's id once approved.
    public var project: String
    /// The Unix user who filed it: the project's principal investigator once approved.
    public var filedBy: String
    public var applicant: String
    public var applicantKind: String
    /// Admins and the filer only (Art. 10).
    public var registration: String
    /// The category the applicant claims.
    public var category: String
    public var members: [String]
    public var sectors: [String]
    public var purpose: String
    /// GPU-hours asked for; once approved, awarded (an admin may award less).
    public var gpuHours: Double
    public var opens: Int64
    /// The window's close asked for; once approved, granted (an admin may grant a shorter window).
    public var closes: Int64
    /// The policy route it was filed under, if any.
    public var route: String?
    public var state: State
    public var filedAt: Int64
    /// `policy:<route>` for an automatic approval.
    public var decidedBy: String?
    public var decidedAt: Int64?
    /// The decision's reason, shown to the applicant.
    public var decision: String?
    /// The applicant's reason for contesting a decline.
    public var contest: String?

    public init(
        project: String, filedBy: String, applicant: String, applicantKind: String, registration: String,
        category: String, members: [String], sectors: [String], purpose: String, gpuHours: Double, opens: Int64,
        closes: Int64, route: String?, filedAt: Int64
    ) {
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
        self.state = .pending
        self.filedAt = filedAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// Whether it still waits for an admin.
    public var open: Bool { state == .pending || state == .contested }
}

extension SlotStore {
    /// Every application (admins), or those `filedBy` filed; newest first, at most `limit`.
    public func applications(filedBy: String?, limit: Int = 1_000) throws(StoreError) -> [StoredApplication] {
        try read { db in
            var query = StoredApplication.order(Column("id").desc).limit(limit)
            if let filedBy { query = query.filter(Column("filedBy") == filedBy) }
            return try query.fetchAll(db)
        }
    }

    /// Whether an application for project `id` waits for an admin.
    public func hasOpenApplication(project id: String) throws(StoreError) -> Bool {
        try read { db in
            try StoredApplication.filter(Column("project") == id)
                .filter(
                    [StoredApplication.State.pending.rawValue, StoredApplication.State.contested.rawValue].contains(
                        Column("state"))
                ).fetchCount(db) > 0
        }
    }

    public func application(_ id: Int64) throws(StoreError) -> StoredApplication? {
        try read { db in try StoredApplication.fetchOne(db, key: id) }
    }

    /// Saves an application with its audit record, and the project it created when approved, in one transaction.
    /// Returns the application with its id.
    public func save(
        _ application: StoredApplication, project: StoredProject?, audit: @Sendable (StoredApplication) -> AuditEvent,
        at: Int64
    ) throws(StoreError) -> StoredApplication {
        try write { db in
            var saved = application
            try saved.save(db)
            if let project { try project.save(db) }
            try Self.appendAudit(audit(saved), at: at, db)
            return saved
        }
    }

    /// Records that `project`'s members were told its window is closing.
    public func markNoticed(project: String, at: Int64) throws(StoreError) {
        try write { db in
            try db.execute(sql: "UPDATE project SET noticedAt = ? WHERE id = ?", arguments: [at, project])
        }
    }
}
