/// An allocation policy: the authorized body's applicant categories (Art. 26.2) and the Government's priority sectors
/// (Art. 12.3, 26.3), with the anti-starvation and fair-share rules that keep allocation equal (Art. 6).
///
/// Built by `SlotPolicy`'s loader from a TOML file; every weight remembers where it was written.
public struct Policy: Sendable, Hashable, Codable {
    /// The policy file format; this build reads format 1.
    public static let formatVersion = 1

    public var version: Int
    /// The date from which the policy applies, `YYYY-MM-DD`.
    public var effective: String
    /// A free-form label the admin chooses, e.g. `2026-11 draft`.
    public var revision: String?
    /// A notice shown with every summary, e.g. that the lists are examples.
    public var notice: String?
    /// Sectors, sorted by id.
    public var sectors: [Sector]
    /// Applicant categories, sorted by id.
    public var categories: [ApplicantCategory]
    public var aging: AgingRule
    public var fairShare: FairShareRule
    public var defaults: PolicyDefaults
    /// The platform's user agreement (Art. 15.2.5), when the policy names one: applicants must accept its current
    /// version before they submit.
    public var agreement: AgreementReference?
    /// How far an admin may raise a contested request's priority (Art. 7.2).
    public var contests: ContestRule
    /// What one GPU-hour of a type costs against budgets (`[gpu_rates]`, e.g. h100 2.0, l40s 0.5); a type not
    /// named costs 1.
    public var gpuRates: [String: Double] = [:]
    /// `[projects]`: the notice before a window closes and the application routes.
    public var projects = ProjectRule()

    /// The budget rate of GPU type `type` (1 when the policy names none).
    public func rate(ofGPUType type: String?) -> Double { type.flatMap { gpuRates[$0] } ?? 1 }

    public init(
        version: Int = Policy.formatVersion, effective: String, revision: String? = nil, notice: String? = nil,
        sectors: [Sector], categories: [ApplicantCategory], aging: AgingRule, fairShare: FairShareRule,
        defaults: PolicyDefaults = PolicyDefaults(), agreement: AgreementReference? = nil,
        contests: ContestRule = ContestRule()
    ) {
        self.version = version
        self.effective = effective
        self.revision = revision
        self.notice = notice
        self.sectors = sectors.sorted { $0.id < $1.id }
        self.categories = categories.sorted { $0.id < $1.id }
        self.aging = aging
        self.fairShare = fairShare
        self.defaults = defaults
        self.agreement = agreement
        self.contests = contests
    }

    public func sector(_ id: String) -> Sector? { sectors.first { $0.id == id } }
    public func category(_ id: String) -> ApplicantCategory? { categories.first { $0.id == id } }
}

/// A priority economic sector.
public struct Sector: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var weight: Int64
    public var source: SourceLocation

    public init(id: String, name: String, weight: Int64, source: SourceLocation? = nil) {
        self.id = id
        self.name = name
        self.weight = weight
        self.source = source ?? .builtIn("sectors.\(id).weight")
    }
}

/// A category of applicants with its priority weight and per-account limits.
public struct ApplicantCategory: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var weight: Int64
    /// The longest slot an applicant of this category may hold (Art. 25: "for a limited period of time").
    public var maxDuration: SlotDuration
    /// GPUs one account may hold at once.
    public var maxConcurrentGPUs: Int
    /// GPU-hours one account may use per budget period (``PolicyDefaults/budgetPeriod``).
    public var gpuHoursPerPeriod: Int64
    /// Sector ids this category may request, or `["*"]` for all.
    public var sectors: [String]
    /// The GPU types its applicants may use (`gpu_types`); nil: every type.
    public var gpuTypes: [String]?
    public var source: SourceLocation

    public init(
        id: String, name: String, weight: Int64, maxDuration: SlotDuration, maxConcurrentGPUs: Int,
        gpuHoursPerPeriod: Int64, sectors: [String], source: SourceLocation? = nil
    ) {
        self.id = id
        self.name = name
        self.weight = weight
        self.maxDuration = maxDuration
        self.maxConcurrentGPUs = maxConcurrentGPUs
        self.gpuHoursPerPeriod = gpuHoursPerPeriod
        self.sectors = sectors
        self.source = source ?? .builtIn("categories.\(id).weight")
    }

    public func allows(sector id: String) -> Bool { sectors.contains("*") || sectors.contains(id) }
}

/// Linear anti-starvation aging, identical for every class.
public struct AgingRule: Sendable, Hashable, Codable {
    public var pointsPerHour: Int64
    public var cap: Int64
    public var source: SourceLocation

    public init(pointsPerHour: Int64, cap: Int64, source: SourceLocation? = nil) {
        self.pointsPerHour = pointsPerHour
        self.cap = cap
        self.source = source ?? .builtIn("aging")
    }

    /// Hours of waiting after which the cap is reached; nil when aging is off.
    public var hoursToCap: Double? { pointsPerHour > 0 ? Double(cap) / Double(pointsPerHour) : nil }
}

/// Fair share: an account's recent usage lowers the priority of its new requests.
public struct FairShareRule: Sendable, Hashable, Codable {
    /// The most points usage can take away (at or above the full period budget).
    public var weight: Int64
    /// Usage older than this counts half as much.
    public var halfLife: SlotDuration
    public var source: SourceLocation

    public init(weight: Int64, halfLife: SlotDuration, source: SourceLocation? = nil) {
        self.weight = weight
        self.halfLife = halfLife
        self.source = source ?? .builtIn("fair_share")
    }
}

/// Values used where a request or account says nothing.
public struct PolicyDefaults: Sendable, Hashable, Codable {
    /// Slot duration when a request names none (clamped to the category's maximum).
    public var duration: SlotDuration
    /// The period GPU-hour budgets refer to.
    public var budgetPeriod: SlotDuration

    public init(duration: SlotDuration = .hours(1), budgetPeriod: SlotDuration = .days(30)) {
        self.duration = duration
        self.budgetPeriod = budgetPeriod
    }
}

/// The user agreement a policy names: a text file (relative to the policy file's directory) and its version.
public struct AgreementReference: Sendable, Hashable, Codable {
    public var file: String
    public var version: String
    public var source: SourceLocation

    public init(file: String, version: String, source: SourceLocation? = nil) {
        self.file = file
        self.version = version
        self.source = source ?? .builtIn("agreement.version")
    }
}

/// Bounds on what granting a contest may do: raise a pending request's priority by at most `maxBoost` points, for
/// at most `maxBoostDuration`. Both bounds keep a grant from turning into a permanent exception (Art. 6).
public struct ContestRule: Sendable, Hashable, Codable {
    public var maxBoost: Int64
    public var maxBoostDuration: SlotDuration
    public var source: SourceLocation

    public init(maxBoost: Int64 = 500, maxBoostDuration: SlotDuration = .days(7), source: SourceLocation? = nil) {
        self.maxBoost = maxBoost
        self.maxBoostDuration = maxBoostDuration
        self.source = source ?? .builtIn("contests.max_boost")
    }
}
