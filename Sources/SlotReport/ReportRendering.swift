import Foundation
import SlotDomain

/// CSV and SVG renderings of an allocation report, for spreadsheets and for a glance at whether the allocation
/// followed the policy's priorities.
extension AllocationReport {
    /// The CSV columns, in order.
    public static let csvColumns = [
        "group", "accounts", "suppressed", "requests", "gpu_hours_granted", "gpu_hours_used", "share",
        "weight_share", "started", "wait_mean_s", "wait_p95_s", "rejections", "contests", "energy_kwh",
        "award_gpu_hours", "award_used_gpu_hours", "award_left_gpu_hours",
    ]

    /// RFC 4180 CSV: a header, one line per group, then the total. Maps are written `key=count;key=count`.
    public func csv() -> String {
        var lines = [Self.csvColumns.joined(separator: ",")]
        for group in groups + [total] {
            let fields: [String] = [
                group.key, group.accounts.map(String.init) ?? "", group.suppressed ? "true" : "false",
                group.requests.map(String.init) ?? "", number(group.gpuHoursGranted), number(group.gpuHoursUsed),
                number(group.share, digits: 4), number(group.weightShare, digits: 4),
                group.started.map(String.init) ?? "", number(group.waitMeanSeconds), number(group.waitP95Seconds),
                counts(group.rejections), counts(group.contests), number(group.energyKWh),
                number(group.awardGPUHours), number(group.awardUsedGPUHours), number(group.awardLeftGPUHours),
            ]
            lines.append(fields.map(Self.csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    public static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    func counts(_ map: [String: Int]?) -> String {
        (map ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
    }

    func number(_ value: Double?, digits: Int = 2) -> String {
        guard let value else { return "" }
        return String(format: "%.\(digits)f", value)
    }

    /// Paired bars per group: the share of GPU-hours used, and (by sector) the share of the sector weights, so an
    /// admin sees at a glance whether the allocation followed the priorities. Suppressed groups are drawn as such.
    public func svg(title: String) -> String {
        let rowHeight = 34.0, left = 230.0, barWidth = 520.0, top = 90.0
        let height = top + Double(max(1, groups.count)) * rowHeight + 60
        let width = left + barWidth + 150
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="13">
            <rect width="100%" height="100%" fill="white"/>
            <text x="20" y="28" font-size="17" font-weight="bold">\(Self.escape(title))</text>
            <text x="20" y="50" fill="#555">Share of GPU-hours used per \(by.rawValue)\
            \(by == .sector ? " (blue) against its share of the policy's sector weights (grey)" : "") \
            — policy \(Self.escape(policyVersion))</text>
            <text x="20" y="70" fill="#555">Groups with fewer than \(minGroupAccounts) accounts are suppressed \
            (Art. 10).</text>

            """
        for (index, group) in groups.enumerated() {
            let y = top + Double(index) * rowHeight
            svg += "<text x=\"\(left - 10)\" y=\"\(y + 16)\" text-anchor=\"end\">\(Self.escape(group.key))</text>\n"
            guard !group.suppressed else {
                svg += "<text x=\"\(left)\" y=\"\(y + 16)\" fill=\"#999\">suppressed</text>\n"
                continue
            }
            let share = group.share ?? 0
            svg +=
                "<rect x=\"\(left)\" y=\"\(y + 2)\" width=\(quoted(share * barWidth)) height=\"13\" fill=\"#1f77b4\"/>"
            svg += "<text x=\"\(left + share * barWidth + 6)\" y=\"\(y + 13)\">\(percent(share))</text>\n"
            if let weight = group.weightShare {
                svg +=
                    "<rect x=\"\(left)\" y=\"\(y + 17)\" width=\(quoted(weight * barWidth)) height=\"9\" fill=\"#aaa\"/>"
                svg +=
                    "<text x=\"\(left + weight * barWidth + 6)\" y=\"\(y + 26)\" fill=\"#777\" font-size=\"11\">\(percent(weight))</text>\n"
            }
        }
        return svg + "</svg>\n"
    }

    func quoted(_ value: Double) -> String { "\"\(String(format: "%.1f", value))\"" }
    func percent(_ share: Double) -> String { String(format: "%.1f%%", share * 100) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
