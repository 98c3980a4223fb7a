import ArgumentParser
import Foundation
import SlotProtocol
import SlotReport

/// `slotctl report`: allocation over a period (Art. 8, 26.3), rebuilt by the daemon from the stored history.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "GPU-hours, waits, rejections, contests and energy over a period, per sector, category or account.",
        discussion: """
            Users get their own figures; admins get everyone's. In a report over everyone, a group with fewer \
            accounts than the configured minimum (default 5) shows no figures, and neither does the next smallest \
            group when only one would be hidden (Art. 10). The report of a past period is the same whenever it is \
            made: it is rebuilt from the stored history by fixed rules.

            Rules, over the period: REQUESTS were submitted in it, and REJECTIONS are those rejected, by reason \
            code. Slots started in the period give GPU-H GRANTED (GPUs x the slot's duration), GPU-H USED (GPUs x \
            the time it ran; a running slot counts up to now), the waits (start - submit; p95 by nearest rank) and \
            ENERGY (GPU-hours used x the configured watts of the node's GPU model). CONTESTS are those opened in \
            the period, by state. SHARE is the group's share of all GPU-hours used; WEIGHT SHARE (by sector) is the \
            sector's share of the policy's sector weights, its relative priority, not a quota. Categories are those \
            the requests were ranked under.

            Examples:
              slotctl report --from 2026-11-01 --to 2026-11-30
              slotctl report --from 2026-01-01 --to 2026-12-31 --by category --csv > 2026.csv
              slotctl report --from 2026-11-01 --to 2026-11-30 --svg sectors.svg
            """)

    @Option(help: "First day (YYYY-MM-DD, UTC) or time (ISO 8601) of the period (default: 30 days before --to).")
    var from: DateArgument?
    @Option(help: "Last day of the period, included (YYYY-MM-DD), or an exclusive ISO 8601 time (default: now).")
    var to: DateArgument?
    @Option(
        help: """
            Group by sector, category, account, project or applicant (the last three: admins' internal view, or a \
            PI's own projects; not for publication). By project and applicant, AWARD, AWARD USED and AWARD LEFT \
            cover each project's whole window.
            """)
    var by: ReportGrouping = .sector
    @Flag(help: "Print CSV (RFC 4180) instead of a table.") var csv = false
    @Option(
        help: "Also write an SVG chart of each group's share of GPU-hours (by sector: against the policy's weights).",
        completion: .file(extensions: ["svg"]))
    var svg: String?
    @OptionGroup var client: ClientOptions

    func validate() throws {
        if csv && client.json { throw ValidationError("choose one of --csv and --json") }
    }

    func run() throws {
        let day: Int64 = 86_400_000
        let end =
            to.map { $0.dayOnly ? $0.milliseconds + day : $0.milliseconds }
            ?? Int64(Date().timeIntervalSince1970 * 1_000)
        let start = from?.milliseconds ?? end - 30 * day
        guard start < end else { try usageFailure("--from must be before --to") }
        let reply = try client.call(
            "io.slotd.Reports.Allocation", ReportParameters(from: start, to: end, by: by),
            as: ReportReply.self)
        let report = reply.report
        if let svg {
            let title = "GPU-hours by \(report.by.rawValue), \(Format.time(report.from)) to \(Format.time(report.to))"
            do { try report.svg(title: title).write(toFile: svg, atomically: true, encoding: .utf8) } catch {
                FileHandle.standardError.write(
                    Data("slotctl: cannot write \(svg): \(error.localizedDescription)\n".utf8))
                throw ExitStatus.error.exitCode
            }
            if !client.json && !csv { FileHandle.standardError.write(Data("chart written to \(svg)\n".utf8)) }
        }
        if csv {
            print(report.csv(), terminator: "")
            return
        }
        client.emit(reply) { Self.text(report) }
    }

    static func text(_ r: AllocationReport) -> String {
        func number(_ value: Double?, _ digits: Int = 1) -> String {
            value.map { String(format: "%.\(digits)f", $0) } ?? "-"
        }
        func counts(_ map: [String: Int]?) -> String {
            guard let map, !map.isEmpty else { return "-" }
            return map.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }
        let awards = r.by == .project || r.by == .applicant
        func row(_ g: ReportGroup) -> [String] {
            guard !g.suppressed else { return [g.key, "<\(r.minGroupAccounts)", "suppressed"] }
            let figures: [String] = [
                g.key, g.accounts.map(String.init) ?? "-", g.requests.map(String.init) ?? "-",
                number(g.gpuHoursGranted), number(g.gpuHoursUsed),
                g.share.map { String(format: "%.1f%%", $0 * 100) } ?? "-",
                g.weightShare.map { String(format: "%.1f%%", $0 * 100) } ?? "-",
                g.waitMeanSeconds.map { Format.duration(Int64($0)) } ?? "-",
                g.waitP95Seconds.map { Format.duration(Int64($0)) } ?? "-",
                number(g.energyKWh), counts(g.rejections), counts(g.contests),
            ]
            guard awards else { return figures }
            let award: [String] = [
                number(g.awardGPUHours), number(g.awardUsedGPUHours), number(g.awardLeftGPUHours),
            ]
            return figures + award
        }
        let header =
            "Allocation \(Format.time(r.from)) to \(Format.time(r.to)) by \(r.by.rawValue), "
            + (r.scope == "own" ? "your requests only (\(r.account ?? "?"))" : "all accounts")
            + "; policy \(r.policyVersion)"
        return header + "\n"
            + Format.table(
                [
                    r.by.rawValue.uppercased(), "ACCOUNTS", "REQUESTS", "GPU-H GRANTED", "GPU-H USED", "SHARE",
                    "WEIGHT SHARE",
                    "WAIT MEAN", "WAIT P95", "ENERGY KWH", "REJECTIONS", "CONTESTS",
                ] + (awards ? ["AWARD", "AWARD USED", "AWARD LEFT"] : []),
                r.groups.map(row) + [row(r.total)])
    }
}

extension ReportGrouping: ExpressibleByArgument {}
