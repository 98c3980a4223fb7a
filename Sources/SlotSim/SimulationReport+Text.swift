import SlotCore

extension SimulationReport {
    /// The human-readable report.
    public func text(title: String) -> String {
        var lines = [title]
        let rejectedDetail = rejectionsByReason.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }
            .joined(separator: ", ")
        lines.append(
            "Replayed \(jobs) jobs over \(waitText(simulatedSeconds)) of simulated time in "
                + "\(fixed(wallSeconds, 1)) s (\(Int(eventsPerSecond)) events/s).")
        lines.append(
            "Started \(started), rejected \(rejected)\(rejectedDetail.isEmpty ? "" : " (\(rejectedDetail))"), "
                + "expired at their limit \(expired), backfilled starts \(backfilledStarts).")
        lines.append("\(utilisationResource) utilisation: \(fixed(utilisation * 100, 1))%")
        if utilisationByGPUType.count > 1 || utilisationByGPUType.keys.contains(where: { $0 != GPU.unknownModel }) {
            lines.append(
                "GPU utilisation by type: "
                    + utilisationByGPUType.sorted { $0.key < $1.key }.map { "\($0.key) \(fixed($0.value * 100, 1))%" }
                    .joined(separator: ", "))
        }
        if multiNodeJobs > 0 { lines.append("Multi-node jobs: \(multiNodeJobs), \(multiNodeStarted) started as gangs") }
        if let stuck = firstStillQueued {
            lines.append(
                "Still queued at the end: request \(stuck.requestID) (first in queue order), because: "
                    + stuck.reasons.map(\.description).joined(separator: "; "))
        }
        lines.append("")
        lines.append("By category:")
        lines += table(byCategory)
        lines.append("")
        lines.append("By sector:")
        lines += table(bySector)
        lines.append("")
        lines.append("Starvation check, longest wait per class (category/sector), worst first:")
        lines += table(Array(byClass.sorted { $0.longestWaitSeconds > $1.longestWaitSeconds }.prefix(10)))
        lines.append("")
        lines.append(
            "Waits of jobs still queued at the end count up to the end. JAIN is Jain's fairness index of "
                + "bounded slowdowns within the group (1 = all slowed alike).")
        return lines.joined(separator: "\n")
    }

    func table(_ groups: [GroupStats]) -> [String] {
        let header = [
            "GROUP", "JOBS", "STARTED", "REJECTED", "QUEUED", "MEAN WAIT", "MEDIAN", "P95", "LONGEST",
            "SLOWDOWN", "JAIN",
        ]
        let rows = groups.map {
            [
                $0.name, "\($0.jobs)", "\($0.started)", "\($0.rejected)", "\($0.neverStarted)",
                waitText($0.meanWaitSeconds), waitText($0.medianWaitSeconds), waitText($0.p95WaitSeconds),
                waitText($0.longestWaitSeconds), fixed($0.meanBoundedSlowdown, 1), fixed($0.jainIndex, 2),
            ]
        }
        return renderTable(header, rows)
    }
}

/// Compares two policies on the same trace, per category: the what-if before a policy change.
public struct SimulationComparison: Sendable, Codable {
    public struct Row: Sendable, Codable {
        public var category: String
        public var jobs: Int
        public var meanWaitSeconds: [Double]
        public var p95WaitSeconds: [Double]
        public var meanBoundedSlowdown: [Double]
    }

    public var policies: [String]
    public var rows: [Row]
    public var utilisation: [Double]

    public init(_ a: SimulationReport, _ b: SimulationReport, names: [String]) {
        policies = names
        utilisation = [a.utilisation, b.utilisation]
        let other = Dictionary(b.byCategory.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
        rows = a.byCategory.map { left in
            let right = other[left.name]
            return Row(
                category: left.name, jobs: left.jobs,
                meanWaitSeconds: [left.meanWaitSeconds, right?.meanWaitSeconds ?? 0],
                p95WaitSeconds: [left.p95WaitSeconds, right?.p95WaitSeconds ?? 0],
                meanBoundedSlowdown: [left.meanBoundedSlowdown, right?.meanBoundedSlowdown ?? 0])
        }
    }

    public func text() -> String {
        let lines = [
            "What-if: A = \(policies[0]), B = \(policies[1]) (same trace, seed and machines)",
            "Utilisation: A \(fixed(utilisation[0] * 100, 1))%, B \(fixed(utilisation[1] * 100, 1))%", "",
        ]
        let header = [
            "CATEGORY", "JOBS", "MEAN WAIT A", "MEAN WAIT B", "CHANGE", "P95 A", "P95 B", "SLOWDOWN A",
            "SLOWDOWN B",
        ]
        let rows = self.rows.map {
            [
                $0.category, "\($0.jobs)", waitText($0.meanWaitSeconds[0]), waitText($0.meanWaitSeconds[1]),
                change($0.meanWaitSeconds[0], $0.meanWaitSeconds[1]), waitText($0.p95WaitSeconds[0]),
                waitText($0.p95WaitSeconds[1]), fixed($0.meanBoundedSlowdown[0], 1),
                fixed($0.meanBoundedSlowdown[1], 1),
            ]
        }
        return (lines + renderTable(header, rows)).joined(separator: "\n")
    }

    private func change(_ a: Double, _ b: Double) -> String {
        guard a > 0 else { return b > 0 ? "+∞" : "0%" }
        let percent = (b - a) / a * 100
        return (percent >= 0 ? "+" : "") + fixed(percent, 0) + "%"
    }
}

func renderTable(_ header: [String], _ rows: [[String]]) -> [String] {
    let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
    return ([header] + rows).map { row in
        "  "
            + row.enumerated().map { column, cell in
                let fill = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + fill : fill + cell
            }.joined(separator: "  ")
    }
}

func waitText(_ seconds: Double) -> String {
    guard seconds >= 1 else { return "0s" }
    let text = SlotDuration(seconds: Int64(seconds)).description
    // Two most significant units are enough to read: 3d4h, 2h15m.
    var units = 0
    var result = ""
    for character in text {
        result.append(character)
        if character.isLetter {
            units += 1
            if units == 2 { break }
        }
    }
    return result
}

func fixed(_ value: Double, _ digits: Int) -> String {
    let scale = pow10(digits)
    let rounded = (value * scale).rounded() / scale
    var text = String(rounded)
    if digits == 0 { return String(Int64(rounded)) }
    let fraction = text.split(separator: ".").last?.count ?? 0
    if !text.contains(".") { text += "." }
    return text + String(repeating: "0", count: max(0, digits - fraction))
}

private func pow10(_ n: Int) -> Double { (0..<n).reduce(1.0) { value, _ in value * 10 } }
