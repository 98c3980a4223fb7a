import Foundation
import SlotDomain
import SlotReport
import Testing

/// Reports are rebuilt from stored rows by fixed rules; small groups never show (Art. 10).
@Suite struct ReportBuilderTests {
    let hour: Int64 = 3_600_000

    func row(
        _ account: String, _ sector: String, gpus: Int = 1, hours: Int64 = 2, submitted: Int64,
        waited: Int64? = nil, ran: Int64? = nil, state: RequestState = .completed, codes: [String] = [],
        watts: Int = 700
    ) -> ReportRow {
        let started = waited.map { submitted + $0 }
        return ReportRow(
            account: account, category: "uni", sector: sector, gpus: gpus, durationMs: hours * hour,
            submittedAt: submitted, startedAt: started, endedAt: started.flatMap { s in ran.map { s + $0 } },
            state: state, rejectionCodes: codes, gpuWatts: watts)
    }

    @Test("Invariant: every figure follows the documented rule (granted, used, waits, p95, energy, rejections, period)")
    func figures() throws {
        var rows: [ReportRow] = []
        // 20 slots of 2 GPUs × 2 h granted, each ran 1 h; waits 1..20 minutes.
        for i in 1...20 {
            rows.append(
                row(
                    "user\(i % 5)", "health", gpus: 2, submitted: Int64(i) * hour, waited: Int64(i) * 60_000,
                    ran: hour))
        }
        rows.append(
            row(
                "user1", "health", submitted: 3 * hour, state: .rejected,
                codes: ["duration-over-maximum", "over-gpu-cap"]))
        rows.append(row("user2", "health", submitted: 4 * hour, state: .rejected, codes: ["duration-over-maximum"]))
        // Outside the period: ignored.
        rows.append(row("user3", "health", submitted: 200 * hour, waited: 0, ran: hour))
        let contests = [ReportContest(account: "user1", category: "uni", sector: "health", state: .granted)]
        let builder = ReportBuilder(
            from: 0, to: 100 * hour, by: .sector, asOf: 300 * hour, minGroupAccounts: 5,
            suppress: true, sectorWeights: ["health": 300, "finance": 100])
        let (groups, total) = builder.build(rows: rows, contests: contests)
        #expect(groups.map(\.key) == ["health"])
        let health = try #require(groups.first)
        #expect(!health.suppressed && health.accounts == 5)
        #expect(health.requests == 22)
        #expect(health.started == 20)
        #expect(health.gpuHoursGranted == 80)
        #expect(health.gpuHoursUsed == 40)
        #expect(health.energyKWh == 28)  // 40 GPU-h × 700 W
        #expect(health.waitMeanSeconds == 630)  // mean of 1..20 minutes = 10.5 min
        #expect(health.waitP95Seconds == 1_140.0)  // nearest rank: the 19th of 20
        #expect(health.rejections == ["duration-over-maximum": 2, "over-gpu-cap": 1])
        #expect(health.contests == ["granted": 1])
        #expect(health.share == 1 && health.weightShare == 0.75)
        #expect(total.requests == 22 && total.gpuHoursUsed == 40)
    }

    @Test("Invariant: a group of fewer accounts than the minimum shows no figure, nor does one that would reveal it")
    func suppression() throws {
        var rows: [ReportRow] = []
        for i in 0..<6 { rows.append(row("big\(i)", "health", submitted: hour, waited: 0, ran: hour)) }
        for i in 0..<5 { rows.append(row("mid\(i)", "energy", submitted: hour, waited: 0, ran: hour)) }
        for i in 0..<7 { rows.append(row("large\(i)", "farm", submitted: hour, waited: 0, ran: hour)) }
        rows.append(row("lonely", "finance", gpus: 8, submitted: hour, waited: 0, ran: hour))
        let builder = ReportBuilder(
            from: 0, to: 10 * hour, by: .sector, asOf: 10 * hour, minGroupAccounts: 5,
            suppress: true)
        let (groups, total) = builder.build(rows: rows, contests: [])
        let byKey = Dictionary(uniqueKeysWithValues: groups.map { ($0.key, $0) })
        let finance = try #require(byKey["finance"])
        #expect(finance.suppressed && finance.gpuHoursUsed == nil && finance.accounts == nil && finance.requests == nil)
        // finance alone would be total − the rest: the smallest other group (energy, 5 accounts) is hidden too.
        #expect(byKey["energy"]?.suppressed == true)
        #expect(byKey["health"]?.suppressed == false && byKey["farm"]?.suppressed == false)
        #expect(total.suppressed == false && total.accounts == 19)
        // An own report (suppress off) shows everything.
        let own = ReportBuilder(
            from: 0, to: 10 * hour, by: .sector, asOf: 10 * hour, minGroupAccounts: 5,
            suppress: false
        ).build(rows: rows.filter { $0.account == "lonely" }, contests: [])
        #expect(own.groups.first?.gpuHoursUsed == 8)
    }

    @Test("Invariant: the same rows give the same report, in any order; CSV quotes what needs quoting")
    func reproducible() throws {
        var random = SystemRandomNumberGenerator()
        var rows: [ReportRow] = []
        for i in 0..<200 {
            rows.append(
                row(
                    "u\(i % 13)", ["a", "b", "c,d"][i % 3], gpus: 1 + i % 4, submitted: Int64(i) * 60_000,
                    waited: Int64(i % 7) * 60_000, ran: Int64(i % 5) * 600_000))
        }
        let builder = ReportBuilder(
            from: 0, to: 1_000 * hour, by: .sector, asOf: 1_000 * hour, minGroupAccounts: 5,
            suppress: true)
        let first = builder.build(rows: rows, contests: [])
        let second = builder.build(rows: rows.shuffled(using: &random), contests: [])
        #expect(first.groups == second.groups && first.total == second.total)
        let report = AllocationReport(
            from: 0, to: 1_000 * hour, by: .sector, scope: "all", account: nil,
            minGroupAccounts: 5, policyVersion: "t", groups: first.groups, total: first.total)
        let csv = report.csv()
        let lines = csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.count == 1 + first.groups.count + 1)
        #expect(lines.contains { $0.hasPrefix("\"c,d\",") })
        #expect(report.svg(title: "t").contains("<rect"))
    }
}
