import SlotCore
import SlotPolicy

/// What `slotctl policy check` shows: the verdict, every diagnostic, and for a valid policy its classes in order.
struct PolicyReport: Encodable {
    struct ClassRow: Encodable {
        var rank: Int
        var category: String
        var sector: String
        var base: Int64
        var categoryWeight: Int64
        var sectorWeight: Int64
        var maxDuration: String
        var maxConcurrentGpus: Int
        var gpuHoursPerPeriod: Int64
    }

    struct Starvation: Encodable {
        var safe: Bool
        var minimumSafeAgingCap: Int64
        var agingCap: Int64
        var classesAtRisk: Int
    }

    var file: String
    var valid: Bool
    var errors: Int
    var warnings: Int
    var diagnostics: [PolicyDiagnostic]
    var policy: Policy?
    var classes: [ClassRow]
    var starvation: Starvation?

    init(file: String, check: PolicyCheck) {
        self.file = file
        self.valid = check.isValid
        self.errors = check.errors.count
        self.warnings = check.warnings.count
        self.diagnostics = check.diagnostics
        self.policy = check.policy
        guard let policy = check.policy else {
            self.classes = []
            return
        }
        let model = PriorityModel(policy: policy)
        self.classes = model.effectiveOrder.enumerated().compactMap { rank, entry in
            guard let category = policy.category(entry.category), let sector = policy.sector(entry.sector) else {
                return nil
            }
            return ClassRow(
                rank: rank + 1, category: category.id, sector: sector.id, base: entry.base,
                categoryWeight: category.weight, sectorWeight: sector.weight,
                maxDuration: category.maxDuration.description, maxConcurrentGpus: category.maxConcurrentGPUs,
                gpuHoursPerPeriod: category.gpuHoursPerPeriod
            )
        }
        let risks = model.starvationRisks()
        self.starvation = Starvation(
            safe: risks.isEmpty, minimumSafeAgingCap: model.minimumSafeAgingCap,
            agingCap: policy.aging.cap, classesAtRisk: risks.count)
    }

    var tally: String { "\(errors) error(s), \(warnings) warning(s)" }

    func json() -> String { encodeJSON(self) }

    func text() -> String {
        var lines: [String] = []
        guard let policy, let starvation else {
            lines += diagnostics.map(\.description)
            lines.append("")
            lines.append("\(file): rejected, \(tally)")
            return lines.joined(separator: "\n")
        }
        let revision = policy.revision.map { ", revision \($0)" } ?? ""
        lines.append("\(file): valid policy (format \(policy.version)\(revision), effective \(policy.effective))")
        if let notice = policy.notice { lines.append("note: \(notice)") }
        lines.append("")
        lines.append("Classes in the order fresh requests are served (no recent usage):")
        lines += table(policy)
        lines.append("")
        lines += rules(policy, starvation)
        if !diagnostics.isEmpty {
            lines.append("")
            lines += diagnostics.map(\.description)
        }
        return lines.joined(separator: "\n")
    }

    private func table(_ policy: Policy) -> [String] {
        let header = ["#", "CATEGORY", "SECTOR", "BASE", "= CAT", "+ SECT", "MAX SLOT", "GPUS", "GPU-H/PERIOD"]
        let rows = classes.map {
            [
                "\($0.rank)", $0.category, $0.sector, "\($0.base)", "\($0.categoryWeight)", "\($0.sectorWeight)",
                $0.maxDuration, "\($0.maxConcurrentGpus)", "\($0.gpuHoursPerPeriod)",
            ]
        }
        let numeric: Set<Int> = [0, 3, 4, 5, 7, 8]
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            "  "
                + row.enumerated().map { column, cell in
                    let fill = String(repeating: " ", count: widths[column] - cell.count)
                    return numeric.contains(column) ? fill + cell : cell + fill
                }.joined(separator: "  ")
        }
    }

    private func rules(_ policy: Policy, _ starvation: Starvation) -> [String] {
        let aging = policy.aging
        let toCap = aging.hoursToCap.map { " (reached after \(formatHours($0))h)" } ?? " (aging is off)"
        let band = policy.fairShare.weight / Int64(PriorityModel.fairShareBands - 1)
        var lines = [
            "Aging: +\(aging.pointsPerHour) points per hour waited, capped at \(aging.cap)\(toCap).",
            "Fair share: up to -\(policy.fairShare.weight) in steps of \(band) as an account's decayed usage "
                + "nears its GPU-hour budget per \(policy.defaults.budgetPeriod); half-life \(policy.fairShare.halfLife).",
        ]
        if starvation.safe {
            lines.append(
                "No class can starve: the widest gap between classes is \(starvation.minimumSafeAgingCap) "
                    + "points and the aging cap is \(aging.cap).")
        } else {
            lines.append(
                "STARVATION RISK: \(starvation.classesAtRisk) class(es) can wait forever; the aging cap "
                    + "must be at least \(starvation.minimumSafeAgingCap) (see the warning below).")
        }
        return lines
    }
}
