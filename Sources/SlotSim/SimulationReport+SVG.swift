import Foundation

/// An SVG plot of the wait-time distribution per category: one empirical CDF line each, log-scaled wait axis.
extension SimulationReport {
    public func svg(title: String) -> String {
        let width = 960.0, height = 540.0, left = 80.0, right = 260.0, top = 60.0, bottom = 70.0
        let plotW = width - left - right, plotH = height - top - bottom
        let minWait = 60.0
        let maxWait = max(3_600.0, waitsByCategory.values.compactMap(\.last).max() ?? 3_600)
        let logMin = log10(minWait), logMax = log10(maxWait)
        func x(_ seconds: Double) -> Double {
            left + (log10(max(seconds, minWait)) - logMin) / (logMax - logMin) * plotW
        }
        func y(_ share: Double) -> Double { top + (1 - share) * plotH }
        let palette = [
            "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
            "#7f7f7f", "#bcbd22",
        ]
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="13">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="28" font-size="17" font-weight="bold">\(escape(title))</text>
            <text x="\(left)" y="47" fill="#555">Share of started jobs (y) that waited at most the time on x; \
            waits under 1 minute are drawn at 1 minute.</text>
            <rect x="\(left)" y="\(top)" width="\(plotW)" height="\(plotH)" fill="none" stroke="#333"/>

            """
        for share in stride(from: 0.0, through: 1.0, by: 0.25) {
            svg += "<line x1=\"\(left)\" y1=\"\(y(share))\" x2=\"\(left + plotW)\" y2=\"\(y(share))\" stroke=\"#ddd\"/>"
            svg += "<text x=\"\(left - 8)\" y=\"\(y(share) + 4)\" text-anchor=\"end\">\(Int(share * 100))%</text>\n"
        }
        for (seconds, label) in [
            (60.0, "1m"), (600, "10m"), (3_600, "1h"), (21_600, "6h"), (86_400, "1d"),
            (604_800, "1w"), (2_592_000, "30d"),
        ] where seconds <= maxWait {
            svg +=
                "<line x1=\"\(x(seconds))\" y1=\"\(top)\" x2=\"\(x(seconds))\" y2=\"\(top + plotH)\" stroke=\"#ddd\"/>"
            svg += "<text x=\"\(x(seconds))\" y=\"\(top + plotH + 18)\" text-anchor=\"middle\">\(label)</text>\n"
        }
        svg +=
            "<text x=\"\(left + plotW / 2)\" y=\"\(height - 20)\" text-anchor=\"middle\">wait before start (log scale)</text>\n"
        for (index, category) in waitsByCategory.keys.sorted().enumerated() {
            let waits = waitsByCategory[category] ?? []
            guard !waits.isEmpty else { continue }
            let color = palette[index % palette.count]
            // At most ~400 points per line: sample the sorted waits evenly.
            let step = max(1, waits.count / 400)
            var points: [String] = []
            for i in stride(from: 0, to: waits.count, by: step) {
                points.append("\(fmt(x(waits[i]))),\(fmt(y(Double(i + 1) / Double(waits.count))))")
            }
            points.append("\(fmt(x(waits[waits.count - 1]))),\(fmt(y(1)))")
            svg +=
                "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>\n"
            let legendY = top + 10 + Double(index) * 22
            svg += "<rect x=\"\(width - right + 20)\" y=\"\(legendY)\" width=\"14\" height=\"14\" fill=\"\(color)\"/>"
            svg +=
                "<text x=\"\(width - right + 40)\" y=\"\(legendY + 12)\">\(escape(category)) (\(waits.count))</text>\n"
        }
        return svg + "</svg>\n"
    }

    private func fmt(_ value: Double) -> String { String((value * 10).rounded() / 10) }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
