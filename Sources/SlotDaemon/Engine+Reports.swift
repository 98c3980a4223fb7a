import Foundation
import SlotProtocol
import SlotReport
import SlotStore

/// io.slotd.Reports (Art. 8, 26.3): allocation figures rebuilt from the stored history by `SlotReport`'s rules.
extension Engine {
    /// The longest period one report may cover.
    static let maximumReportPeriod: Int64 = 3 * 366 * 86_400_000

    /// Checks the call and takes what the report needs from the engine; the returned job reads the history and
    /// builds the report off the engine (the Dispatcher runs it through `ExpensiveCalls`): a report over years
    /// must not hold up everyone's calls.
    func allocationReport(_ p: ReportParameters, _ caller: Caller) throws(WireError)
        -> @Sendable () throws(WireError) -> AllocationReport
    {
        let i = WireError.Interface.reports
        guard p.from < p.to else { throw .invalid(i, parameter: "to", "must be after from") }
        guard p.to - p.from <= Self.maximumReportPeriod else {
            throw .invalid(i, parameter: "from", "a report covers at most 3 years; split the period")
        }
        // Users see their own figures only, and their projects' where they are the PI (Art. 10); an admin's report
        // covers everyone. (A caller who is neither an admin nor an account holder never gets here: the route's
        // access is `accountOrAdmin`.)
        let own: String? = caller.isAdmin ? nil : caller.user
        let ownAccounts: [String]? =
            caller.isAdmin
            ? nil
            : [caller.user]
                + projects.values.filter { $0.pi == caller.user }.map { Self.projectAccount($0.id) }.sorted()
        let by = p.by ?? .sector
        let policy = policyState.policy
        let inventory = scheduler.inventory
        let reports = config.reports
        let watts: @Sendable (Int?) -> Int = { node in
            let model = node.flatMap {
                inventory.nodes.indices.contains($0) ? inventory.nodes[$0].gpus.first?.model : nil
            }
            return reports.watts(model: model)
        }
        var builder = ReportBuilder(
            from: p.from, to: p.to, by: by, asOf: now, minGroupAccounts: reports.minGroupAccounts,
            // Everyone's figures by sector or category are published material: small groups are suppressed. An
            // admin's per-account view and a user's own figures are not aggregates of other people.
            // By account, project or applicant the report is an admin's internal view (or a PI's own projects).
            suppress: own == nil && (by == .sector || by == .category),
            sectorWeights: Dictionary(policy.sectors.map { ($0.id, $0.weight) }, uniquingKeysWith: { $1 }))
        builder.applicants = Dictionary(
            projects.values.map { (Self.projectAccount($0.id), $0.applicant) }, uniquingKeysWith: { $1 })
        let awards = awardFigures(by: by, accounts: ownAccounts)
        let finalBuilder = builder
        let store = self.store
        let policyVersion = policy.revision ?? "version \(policy.version)"
        return { () throws(WireError) -> AllocationReport in
            do {
                let rows = try store.reportRows(from: p.from, to: p.to, accounts: ownAccounts, watts: watts)
                let contests = try store.reportContests(from: p.from, to: p.to, accounts: ownAccounts)
                var (groups, total) = finalBuilder.build(rows: rows, contests: contests)
                Self.attach(awards, to: &groups)
                return AllocationReport(
                    from: p.from, to: p.to, by: by, scope: own == nil ? "all" : "own", account: own,
                    minGroupAccounts: reports.minGroupAccounts, policyVersion: policyVersion, groups: groups,
                    total: total)
            } catch { throw .internalError("\(error)") }
        }
    }

    /// Award, used and left per group key, by project or applicant (the projects the caller may see).
    func awardFigures(by: ReportGrouping, accounts: [String]?) -> [String: (award: Double, used: Double)] {
        guard by == .project || by == .applicant else { return [:] }
        var figures: [String: (award: Double, used: Double)] = [:]
        for project in projects.values {
            let account = Self.projectAccount(project.id)
            guard accounts?.contains(account) ?? true else { continue }
            let use = scheduler.awardUse(account: account)
            let key = by == .project ? project.id : project.applicant
            let old = figures[key] ?? (0, 0)
            figures[key] = (old.award + project.awardGPUHours, old.used + (use?.used ?? 0) + (use?.committed ?? 0))
        }
        return figures
    }

    /// Sets the award figures of every group that has them; a project with no request in the period is listed too.
    static func attach(_ awards: [String: (award: Double, used: Double)], to groups: inout [ReportGroup]) {
        guard !awards.isEmpty else { return }
        let present = Set(groups.map(\.key))
        for key in awards.keys where !present.contains(key) {
            var group = ReportGroup(key: key, suppressed: false)
            group.accounts = 0
            group.requests = 0
            group.started = 0
            group.gpuHoursGranted = 0
            group.gpuHoursUsed = 0
            groups.append(group)
        }
        for index in groups.indices {
            guard let figures = awards[groups[index].key] else { continue }
            groups[index].awardGPUHours = figures.award
            groups[index].awardUsedGPUHours = figures.used
            groups[index].awardLeftGPUHours = max(0, figures.award - figures.used)
        }
        groups.sort { $0.key < $1.key }
    }

    /// The year's awards for the public record (admin): every project whose window overlaps the calendar year, with
    /// no applicant, person or project id (Art. 8, 10).
    func awardRecords(year: Int) throws(WireError) -> [AwardRecord] {
        guard (2000...9999).contains(year) else {
            throw .invalid(.reports, parameter: "year", "a calendar year, 2000 to 9999")
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        guard let start = calendar.date(from: DateComponents(year: year, month: 1, day: 1)),
            let end = calendar.date(from: DateComponents(year: year + 1, month: 1, day: 1))
        else { throw .internalError("calendar") }
        let from = Int64(start.timeIntervalSince1970 * 1_000)
        let to = Int64(end.timeIntervalSince1970 * 1_000)
        let routes: [String: String]
        do {
            routes = Dictionary(
                try store.applications(filedBy: nil, limit: 1_000_000).filter { $0.state == .approved }.map {
                    ($0.project, $0.route ?? "review")
                }, uniquingKeysWith: { $1 })
        } catch { throw .internalError("\(error)") }
        return projects.values.filter { $0.opens < to && $0.closes > from }
            .sorted { ($0.opens, $0.category, $0.awardGPUHours) < ($1.opens, $1.category, $1.awardGPUHours) }
            .map { project in
                let use = scheduler.awardUse(account: Self.projectAccount(project.id))
                return AwardRecord(
                    category: project.category, sectors: project.sectors, awardGPUHours: project.awardGPUHours,
                    usedGPUHours: (use?.used ?? 0) + (use?.committed ?? 0), opens: project.opens,
                    closes: project.closes, route: routes[project.id])
            }
    }
}
