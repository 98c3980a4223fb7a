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
        // Users see their own figures only (Art. 10); an admin's report covers everyone. (A caller who is neither
        // an admin nor an account holder never gets here: the route's access is `accountOrAdmin`.)
        let own: String? = caller.isAdmin ? nil : caller.user
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
        let builder = ReportBuilder(
            from: p.from, to: p.to, by: by, asOf: now, minGroupAccounts: reports.minGroupAccounts,
            // Everyone's figures by sector or category are published material: small groups are suppressed. An
            // admin's per-account view and a user's own figures are not aggregates of other people.
            suppress: own == nil && by != .account,
            sectorWeights: Dictionary(policy.sectors.map { ($0.id, $0.weight) }, uniquingKeysWith: { $1 }))
        let store = self.store
        let policyVersion = policy.revision ?? "version \(policy.version)"
        return { () throws(WireError) -> AllocationReport in
            do {
                let rows = try store.reportRows(from: p.from, to: p.to, account: own, watts: watts)
                let contests = try store.reportContests(from: p.from, to: p.to, account: own)
                let (groups, total) = builder.build(rows: rows, contests: contests)
                return AllocationReport(
                    from: p.from, to: p.to, by: by, scope: own == nil ? "all" : "own", account: own,
                    minGroupAccounts: reports.minGroupAccounts, policyVersion: policyVersion, groups: groups,
                    total: total)
            } catch { throw .internalError("\(error)") }
        }
    }
}
