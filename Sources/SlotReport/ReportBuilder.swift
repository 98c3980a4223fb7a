import SlotDomain

/// One request as a report sees it: only what the figures need, read from the stored history.
public struct ReportRow: Sendable, Hashable {
    public var account: String
    public var category: String
    public var sector: String
    public var gpus: Int
    public var durationMs: Int64
    public var submittedAt: Int64
    public var startedAt: Int64?
    public var endedAt: Int64?
    public var state: RequestState
    /// Reason codes of a rejection.
    public var rejectionCodes: [String]
    /// Power of one of the slot's GPUs, watts (from the node's GPU model and the configured table).
    public var gpuWatts: Int

    public init(
        account: String, category: String, sector: String, gpus: Int, durationMs: Int64, submittedAt: Int64,
        startedAt: Int64?, endedAt: Int64?, state: RequestState, rejectionCodes: [String] = [],
        gpuWatts: Int = 0
    ) {
        self.account = account
        self.category = category
        self.sector = sector
        self.gpus = gpus
        self.durationMs = durationMs
        self.submittedAt = submittedAt
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.state = state
        self.rejectionCodes = rejectionCodes
        self.gpuWatts = gpuWatts
    }
}

/// One contest as a report sees it: the group of its request, and its state.
public struct ReportContest: Sendable, Hashable {
    public var account: String
    public var category: String
    public var sector: String
    public var state: ContestState

    public init(account: String, category: String, sector: String, state: ContestState) {
        self.account = account
        self.category = category
        self.sector = sector
        self.state = state
    }
}

/// Builds an allocation report from stored history. Pure: the same rows give the same report, so a report of a
/// past period can be rebuilt and checked at any time (Art. 8).
///
/// The rules, over the period `[from, to)`:
/// - `requests`: requests submitted in the period; `rejections`: those rejected, by reason code.
/// - `started`, `gpuHoursGranted`, `gpuHoursUsed`, waits, energy: slots *started* in the period. Granted is GPUs ×
///   the slot's duration; used is GPUs × the time it ran (a slot still running counts up to `asOf`).
/// - `waitMeanSeconds`, `waitP95Seconds`: start − submit of those slots; p95 is the nearest-rank percentile.
/// - `contests`: contests opened in the period, by state, in the group of the contested request.
/// - `energyKWh`: used GPU-hours × the GPU's configured watts / 1000 (Art. 8.3), an estimate of the GPUs alone.
/// - `accounts`: distinct accounts with any of the above in the group. A group with fewer than `minGroupAccounts`
///   has every figure suppressed when `suppress` is set (reports over everyone, Art. 10); the total likewise.
public struct ReportBuilder: Sendable {
    public var from: Int64
    public var to: Int64
    public var by: ReportGrouping
    public var asOf: Int64
    public var minGroupAccounts: Int
    public var suppress: Bool
    /// Sector id → weight, for each sector's `weightShare`.
    public var sectorWeights: [String: Int64]
    /// Project account (`project:ID`) → its applicant, for grouping by applicant.
    public var applicants: [String: String] = [:]

    public init(
        from: Int64, to: Int64, by: ReportGrouping, asOf: Int64, minGroupAccounts: Int, suppress: Bool,
        sectorWeights: [String: Int64] = [:]
    ) {
        self.from = from
        self.to = to
        self.by = by
        self.asOf = asOf
        self.minGroupAccounts = minGroupAccounts
        self.suppress = suppress
        self.sectorWeights = sectorWeights
    }

    /// Figures being summed for one group.
    /// Sums are integers (GPU-milliseconds, joules), so the figures do not depend on the order rows are read in.
    struct Tally {
        var accounts: Set<String> = []
        var requests = 0
        var grantedGPUms: Int64 = 0
        var usedGPUms: Int64 = 0
        var joules: Int64 = 0
        var waits: [Int64] = []
        var rejections: [String: Int] = [:]
        var contests: [String: Int] = [:]
    }

    func key(account: String, category: String, sector: String) -> String {
        switch by {
        case .sector: sector
        case .category: category
        case .account: account
        case .project: account.hasPrefix("project:") ? String(account.dropFirst(8)) : ReportGrouping.noProject
        // A request on no project: its account is a personal applicant.
        case .applicant: applicants[account] ?? account
        }
    }

    /// The groups, sorted by key, and the total.
    public func build(rows: some Sequence<ReportRow>, contests: some Sequence<ReportContest>)
        -> (groups: [ReportGroup], total: ReportGroup)
    {
        var tallies: [String: Tally] = [:]
        var total = Tally()
        let period = from..<to
        func add(_ key: String, _ change: (inout Tally) -> Void) {
            change(&tallies[key, default: Tally()])
            change(&total)
        }
        for row in rows {
            let key = key(account: row.account, category: row.category, sector: row.sector)
            if period.contains(row.submittedAt) {
                add(key) { tally in
                    tally.accounts.insert(row.account)
                    tally.requests += 1
                    if row.state == .rejected {
                        for code in Set(row.rejectionCodes.isEmpty ? ["unspecified"] : row.rejectionCodes) {
                            tally.rejections[code, default: 0] += 1
                        }
                    }
                }
            }
            if let started = row.startedAt, period.contains(started) {
                let end = min(row.endedAt ?? asOf, started + row.durationMs)
                let usedGPUms = Int64(row.gpus) * max(0, end - started)
                add(key) { tally in
                    tally.accounts.insert(row.account)
                    tally.grantedGPUms += Int64(row.gpus) * row.durationMs
                    tally.usedGPUms += usedGPUms
                    // Rounded per row, so the sum does not depend on order; saturating, so no history can trap.
                    let (energy, overflow) = usedGPUms.multipliedReportingOverflow(by: Int64(row.gpuWatts))
                    tally.joules = tally.joules.saturatingAdd(overflow ? .max : (energy + 500) / 1_000)
                    tally.waits.append(max(0, started - row.submittedAt))
                }
            }
        }
        for contest in contests {
            add(key(account: contest.account, category: contest.category, sector: contest.sector)) { tally in
                tally.accounts.insert(contest.account)
                tally.contests[contest.state.rawValue, default: 0] += 1
            }
        }
        let weightSum = sectorWeights.values.reduce(0, +)
        let hidden = suppressedKeys(tallies)
        let groups = tallies.keys.sorted().map { key -> ReportGroup in
            var group = figures(key, tallies[key] ?? Tally(), totalUsed: total.usedGPUms, hide: hidden.contains(key))
            if by == .sector, weightSum > 0, !group.suppressed {
                group.weightShare = Double(sectorWeights[key] ?? 0) / Double(weightSum)
            }
            return group
        }
        return (
            groups,
            figures(
                "total", total, totalUsed: total.usedGPUms,
                hide: suppress && total.accounts.count < minGroupAccounts)
        )
    }

    /// Groups below the minimum, plus, when that is exactly one group, the next smallest one: otherwise its figures
    /// would follow from the total minus the others (complementary suppression).
    func suppressedKeys(_ tallies: [String: Tally]) -> Set<String> {
        guard suppress else { return [] }
        var hidden = Set(tallies.filter { $0.value.accounts.count < minGroupAccounts }.keys)
        if hidden.count == 1, tallies.count > 1 {
            let next = tallies.filter { !hidden.contains($0.key) }
                .min { ($0.value.accounts.count, $0.key) < ($1.value.accounts.count, $1.key) }
            if let next { hidden.insert(next.key) }
        }
        return hidden
    }

    func figures(_ key: String, _ tally: Tally, totalUsed: Int64, hide: Bool) -> ReportGroup {
        var group = ReportGroup(key: key, suppressed: hide)
        guard !group.suppressed else { return group }
        group.accounts = tally.accounts.count
        group.requests = tally.requests
        group.gpuHoursGranted = Double(tally.grantedGPUms) / 3_600_000
        group.gpuHoursUsed = Double(tally.usedGPUms) / 3_600_000
        group.share = totalUsed > 0 ? Double(tally.usedGPUms) / Double(totalUsed) : 0
        group.started = tally.waits.count
        let waits = tally.waits.sorted()
        if !waits.isEmpty {
            group.waitMeanSeconds = Double(waits.reduce(0, +)) / Double(waits.count) / 1_000
            let rank = Int((0.95 * Double(waits.count)).rounded(.up))
            group.waitP95Seconds = Double(waits[max(0, min(waits.count - 1, rank - 1))]) / 1_000
        }
        group.rejections = tally.rejections
        group.contests = tally.contests
        group.energyKWh = Double(tally.joules) / 3_600_000
        return group
    }
}

extension Int64 {
    func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
