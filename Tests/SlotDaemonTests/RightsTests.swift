import Foundation
import SlotClient
import SlotProtocol
import XCTest

/// Users' rights against a real daemon, through slotctl: the user agreement (Art. 15.2.5), the Art. 7.2 notice,
/// contests (Art. 7.2, 16) and allocation reports (Art. 8, 10, 26.3).
final class RightsTests: XCTestCase {
    /// Invariant: Submit is refused (exit 4, nothing stored) until the current agreement is accepted; the refusal
    /// says plainly that allocation is automated and how to get an explanation and contest; a new version of the
    /// agreement needs a new acceptance; an acceptance of a text other than the one in force is refused.
    func testSubmitNeedsTheCurrentAgreement() throws {
        let daemon = try DaemonHarness()
        daemon.acceptAgreement = false
        try daemon.start()
        let refused = try daemon.slotctl(["submit", "--sector", "healthcare", "--", "true"])
        XCTAssertEqual(refused.status, 4, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("AgreementRequired"), refused.stderr)
        for words in ["automated", "slotctl explain ID", "slotctl contest ID --reason", "aging: 25 points per hour"] {
            XCTAssertTrue(refused.stderr.contains(words), "notice lacks '\(words)': \(refused.stderr)")
        }
        XCTAssertTrue(
            try daemon.json(ListReply.self, ["list", "--state", "rejected", "--state", "pending"]).requests.isEmpty)

        let shown = try daemon.json(AgreementReply.self, ["agreement", "show"])
        XCTAssertTrue(shown.required)
        XCTAssertFalse(shown.accepted)
        XCTAssertEqual(shown.version, "2026-11-example")
        XCTAssertTrue(shown.text?.contains("compute user agreement") == true)
        XCTAssertEqual(try daemon.slotctl(["agreement", "accept"]).status, 2, "no terminal and no --yes")
        // Accepting a text other than the one in force is refused.
        let connection = try daemon.connect()
        XCTAssertThrowsError(
            try connection.call(
                "io.slotd.Accounts.AcceptAgreement",
                AcceptAgreementParameters(version: "2026-11-example", hash: "beef"),
                as: AgreementReply.self)
        ) { error in
            XCTAssertTrue("\(error)".contains("AgreementMismatch"), "\(error)")
        }
        XCTAssertEqual(try daemon.slotctl(["agreement", "accept", "--yes"]).status, 0)
        XCTAssertEqual(try daemon.slotctl(["submit", "--sector", "healthcare", "--", "true"]).status, 0)

        // A new version (here: an edited text under a new version, applied with a reason) needs a new acceptance.
        try "New terms.\n".write(toFile: daemon.state + "/agreement.md", atomically: true, encoding: .utf8)
        let policy = try String(contentsOfFile: daemon.policy, encoding: .utf8)
            .replacingOccurrences(of: "version = \"2026-11-example\"", with: "version = \"2027-01\"")
        try policy.write(toFile: daemon.policy, atomically: true, encoding: .utf8)
        XCTAssertEqual(try daemon.slotctl(["policy", "apply", daemon.policy, "--reason", "new agreement"]).status, 0)
        let again = try daemon.slotctl(["submit", "--sector", "healthcare", "--", "true"])
        XCTAssertEqual(again.status, 4)
        XCTAssertTrue(again.stderr.contains("changed (now version 2027-01)"), again.stderr)
        XCTAssertEqual(try daemon.slotctl(["agreement", "accept", "--yes", "--version", "2027-01"]).status, 0)
        XCTAssertEqual(try daemon.slotctl(["submit", "--sector", "healthcare", "--", "true"]).status, 0)
        let actions = try daemon.json(AuditReply.self, ["audit", "--verify"])
        XCTAssertEqual(actions.verified, true)
        XCTAssertEqual(actions.entries.filter { $0.action == "agreement.accept" }.count, 2)
    }

    /// Invariant: a granted contest raises a pending request's priority by the granted points, shown as its own
    /// Explain term, and the boost survives a restart; bounds and roles are enforced; every step is audited.
    func testGrantedContestBoostsAndIsExplained() throws {
        let daemon = try DaemonHarness(inventory: "1x1:2:8")
        try daemon.start()
        func submit(_ sector: String) throws -> Int64 {
            try daemon.json(
                RequestReply.self,
                [
                    "submit", "--sector", sector, "--gpus", "1", "--cpus", "1", "--memory",
                    "1G", "--duration", "10m", "--", "sleep", "600",
                ]
            ).request.id
        }
        let holder = try submit("healthcare")
        let low = try submit("finance")  // sector weight 100
        let high = try submit("healthcare")  // sector weight 400: ahead of `low`
        defer { _ = try? daemon.slotctl(["cancel", String(holder)]) }
        XCTAssertEqual(try daemon.json(ExplainReply.self, ["explain", String(low)]).position, 2)

        let opened = try daemon.json(
            ContestReply.self, ["contest", String(low), "--reason", "deadline for the ministry"])
        XCTAssertEqual(opened.contest.kind, "position")
        XCTAssertEqual(opened.contest.state, .open)
        XCTAssertEqual(try daemon.slotctl(["contest", String(low), "--reason", "twice"]).status, 1, "one open contest")
        let queue = try daemon.json(ContestListReply.self, ["admin", "contests"])
        XCTAssertEqual(queue.contests.map(\.id), [opened.contest.id])
        let id = String(opened.contest.id)
        // Out of the policy's bounds (max_boost 500, max_boost_duration 7d): refused, nothing decided.
        XCTAssertEqual(
            try daemon.slotctl(["admin", "resolve", id, "--grant", "--boost", "501", "--reason", "too much"]).status, 2)
        XCTAssertEqual(
            try daemon.slotctl([
                "admin", "resolve", id, "--grant", "--until", "2099-01-01", "--reason",
                "too long",
            ]).status, 2)
        let granted = try daemon.json(
            ContestReply.self,
            [
                "admin", "resolve", id, "--grant", "--boost", "400",
                "--reason", "confirmed by the ministry",
            ])
        XCTAssertEqual(granted.contest.state, .granted)
        XCTAssertEqual(granted.contest.boost, 400)
        XCTAssertEqual(
            try daemon.slotctl(["admin", "resolve", id, "--uphold", "--reason", "changed my mind"]).status, 1)

        func boosted() throws -> ExplainReply { try daemon.json(ExplainReply.self, ["explain", String(low)]) }
        var explained = try boosted()
        XCTAssertEqual(explained.position, 1)
        XCTAssertEqual(explained.terms.map(\.name), ["sector", "category", "aging", "fair_share", "boost"])
        XCTAssertEqual(explained.terms.last?.points, 400)
        XCTAssertEqual(try daemon.json(ExplainReply.self, ["explain", String(high)]).position, 2)
        daemon.stop()
        try daemon.start()
        explained = try boosted()
        XCTAssertEqual(explained.terms.last?.name, "boost", "the boost is restored at start")
        XCTAssertEqual(explained.position, 1)
        // The applicant sees the outcome and its reason.
        let mine = try daemon.json(ContestListReply.self, ["contest", "list"])
        XCTAssertEqual(mine.contests.first?.decision, "confirmed by the ministry")
        XCTAssertEqual(mine.contests.first?.effect?.hasPrefix("priority +400 until"), true)
        let audit = try daemon.json(AuditReply.self, ["audit", "--verify"])
        XCTAssertEqual(audit.verified, true)
        XCTAssertEqual(Array(audit.entries.map(\.action).prefix(2)), ["contest.grant", "contest.open"])
    }

    /// Invariant: a granted contest of a rejection puts the request back in the queue once the policy admits it,
    /// and is refused (nothing decided) while the request still breaks a rule.
    func testGrantedRejectionContestRequeues() throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        let user = try daemon.json(WhoamiReply.self, ["whoami"]).user
        XCTAssertEqual(
            try daemon.slotctl([
                "account", "update", user, "--category", "individual_researcher",
                "--reason", "test",
            ]).status, 0)
        let rejected = try daemon.slotctl(["submit", "--sector", "finance", "--duration", "1m", "--json", "--", "true"])
        XCTAssertEqual(rejected.status, 5, rejected.stdout)
        let id = try XCTUnwrap(try daemon.json(ListReply.self, ["list", "--state", "rejected"]).requests.first?.id)
        let contest = try daemon.json(
            ContestReply.self, ["contest", String(id), "--reason", "finance is allowed to us"])
        XCTAssertEqual(contest.contest.kind, "rejection")
        let early = try daemon.slotctl(["admin", "resolve", String(contest.contest.id), "--grant", "--reason", "yes"])
        XCTAssertEqual(early.status, 1, "still breaks sector-not-allowed")
        XCTAssertTrue(early.stderr.contains("sector-not-allowed"), early.stderr)
        XCTAssertEqual(
            try daemon.slotctl([
                "account", "update", user, "--category", "domestic_startup",
                "--reason", "category corrected",
            ]).status, 0)
        let granted = try daemon.json(
            ContestReply.self,
            [
                "admin", "resolve", String(contest.contest.id), "--grant",
                "--reason", "category was wrong",
            ])
        XCTAssertEqual(granted.contest.effect, "re-queued")
        let deadline = Date().addingTimeInterval(10)
        var state = RequestState.rejected
        while Date() < deadline, state != .completed {
            state = try daemon.json(RequestReply.self, ["show", String(id)]).request.state
            usleep(100_000)
        }
        XCTAssertEqual(state, .completed, "the re-queued request ran")
    }

    /// Invariant: contests are the owner's: another user can neither contest, nor see, nor decide them.
    func testContestsBelongToTheirOwner() throws {
        try XCTSkipUnless(runningAsRoot, "switching to other uids needs root")
        let daemon = try DaemonHarness(inventory: "1x0:1:8")
        try daemon.start()
        XCTAssertEqual(
            try daemon.slotctl([
                "account", "add", "nobody", "--category", "university_research",
                "--reason", "test",
            ]).status, 0)
        try daemon.acceptAgreement(as: "nobody")
        let holder = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "healthcare", "--cpus", "1", "--memory",
                "1G", "--duration", "1m", "--", "sleep", "60",
            ])
        defer { _ = try? daemon.slotctl(["cancel", String(holder.request.id)]) }
        let mine = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "healthcare", "--cpus", "1", "--memory",
                "1G", "--duration", "1m", "--", "true",
            ])
        XCTAssertEqual(
            try daemon.slotctl(["contest", String(mine.request.id), "--reason", "not yours"], as: "nobody").status, 3)
        let contest = try daemon.json(ContestReply.self, ["contest", String(mine.request.id), "--reason", "mine"])
        XCTAssertTrue(try daemon.json(ContestListReply.self, ["contest", "list"], as: "nobody").contests.isEmpty)
        XCTAssertEqual(try daemon.slotctl(["admin", "contests"], as: "nobody").status, 4)
        XCTAssertEqual(
            try daemon.slotctl(
                [
                    "admin", "resolve", String(contest.contest.id), "--grant", "--reason",
                    "self-service",
                ], as: "nobody"
            ).status, 4)
    }

    /// Invariant: a report is rebuilt from the stored history: the same period gives the same figures after a
    /// restart; with fewer accounts than the minimum, everyone's figures are suppressed, an admin's per-account view
    /// and a user's own figures are not; a user's report holds only their own requests.
    func testReportsAreReproducibleAndSuppressSmallGroups() throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        for command in ["true", "sleep 0.2"] {
            XCTAssertEqual(
                try daemon.slotctl([
                    "submit", "--sector", "healthcare", "--gpus", "1", "--duration", "1m",
                    "--wait", "--", "sh", "-c", command,
                ]).status, 0)
        }
        _ = try daemon.slotctl(["submit", "--sector", "no_such_sector", "--", "true"])
        let to = ISO8601DateFormatter().string(from: Date().addingTimeInterval(1))
        let period = ["--from", "2026-01-01", "--to", to]
        let everyone = try daemon.json(ReportReply.self, ["report"] + period).report
        XCTAssertEqual(everyone.scope, "all")
        XCTAssertTrue(everyone.total.suppressed, "one account is fewer than 5")
        XCTAssertNil(everyone.total.gpuHoursUsed)
        let byAccount = try daemon.json(ReportReply.self, ["report", "--by", "account"] + period).report
        let row = try XCTUnwrap(byAccount.groups.first)
        XCTAssertEqual(row.requests, 3)
        XCTAssertEqual(row.started, 2)
        XCTAssertEqual(row.rejections, ["unknown-sector": 1])
        XCTAssertEqual(row.gpuHoursGranted ?? 0, 2.0 / 60, accuracy: 1e-9)
        XCTAssertGreaterThan(row.gpuHoursUsed ?? 0, 0)
        XCTAssertGreaterThan(row.energyKWh ?? 0, 0)
        let csv = try daemon.slotctl(["report", "--by", "account", "--csv"] + period)
        XCTAssertEqual(csv.status, 0)
        XCTAssertTrue(csv.stdout.hasPrefix("group,accounts,suppressed,requests,"), csv.stdout)
        let svg = daemon.state + "/report.svg"
        XCTAssertEqual(try daemon.slotctl(["report", "--svg", svg] + period).status, 0)
        XCTAssertTrue(try String(contentsOfFile: svg, encoding: .utf8).hasPrefix("<svg"))

        daemon.stop()
        try daemon.start()
        let again = try daemon.json(ReportReply.self, ["report", "--by", "account"] + period).report
        XCTAssertEqual(again.groups, byAccount.groups)
        XCTAssertEqual(again.total, byAccount.total)

        if runningAsRoot {
            XCTAssertEqual(
                try daemon.slotctl([
                    "account", "add", "nobody", "--category", "university_research",
                    "--reason", "test",
                ]).status, 0)
            let own = try daemon.json(ReportReply.self, ["report", "--by", "account"] + period, as: "nobody").report
            XCTAssertEqual(own.scope, "own")
            XCTAssertEqual(own.account, "nobody")
            XCTAssertTrue(own.groups.isEmpty, "nobody has no requests; root's are not theirs to see")
        }
    }
}
