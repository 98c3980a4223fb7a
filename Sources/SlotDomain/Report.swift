// The public allocation report (Art. 8): what `SlotReport` builds from the store's rows.

public enum ReportGrouping: String, Codable, Sendable, CaseIterable {
    case sector, category, account, project, applicant

    /// The group key of a request on no project, by project.
    public static let noProject = "(no project)"
}

/// One project's award as the public record shows it: no applicant, person or project id (Art. 8, 10).
public struct AwardRecord: Codable, Sendable, Hashable {
    public var category: String
    public var sectors: [String]
    public var awardGPUHours: Double
    public var usedGPUHours: Double
    public var opens: Int64
    public var closes: Int64
    public var route: String?

    public init(
        category: String, sectors: [String], awardGPUHours: Double, usedGPUHours: Double, opens: Int64, closes: Int64,
        route: String?
    ) {
        self.category = category
        self.sectors = sectors
        self.awardGPUHours = awardGPUHours
        self.usedGPUHours = usedGPUHours
        self.opens = opens
        self.closes = closes
        self.route = route
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
    /// By project or applicant: the awards of the group's projects over their whole windows, what ended and running
    /// slots used of them (running ones at their full length) and what is left.
    public var awardGPUHours: Double?
    public var awardUsedGPUHours: Double?
    public var awardLeftGPUHours: Double?

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
