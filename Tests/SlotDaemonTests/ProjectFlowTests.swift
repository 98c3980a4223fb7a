import Foundation
import SlotProtocol
import XCTest

/// Projects end to end with distinct Unix users (issue 20): an admin creates a project with a PI (`daemon`) and a
/// member (`nobody`); `bin` is a stranger.
final class ProjectFlowTests: XCTestCase {
    /// Invariant: a member's request on the project runs under it (account `project:ID`) and ends at the window's
    /// close even though it asked for an hour; what would exceed the award is refused with the reason; after the
    /// close nothing is admitted until an admin extends the window; the PI sees the member's request; a stranger
    /// sees neither the project nor its requests and cannot submit on it; every change is audited.
    func testTheLifeOfAProject() throws {
        try XCTSkipUnless(runningAsRoot, "switching to other uids needs root")
        let daemon = try DaemonHarness(inventory: "1x2:4:16")
        try daemon.start()
        for user in ["nobody", "daemon", "bin"] {
            let added = try daemon.slotctl([
                "account", "add", user, "--category", "sme", "--reason", "project test",
            ])
            XCTAssertEqual(added.status, 0, added.stderr)
            try daemon.acceptAgreement(as: user)
        }
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        let closes = now + 8_000
        let created = try daemon.json(
            ProjectReply.self,
            [
                "project", "create", "kazllm", "--applicant", "KazNU", "--kind", "organisation", "--registration",
                "990140000123", "--category", "university_research", "--pi", "daemon", "--member", "nobody",
                "--sector", "healthcare", "--award", "1.5", "--opens", String(now - 3_600_000), "--closes",
                String(closes), "--purpose", "Kazakh LLM", "--reason", "gateway route, ref 12",
            ])
        XCTAssertEqual(created.project.registration, "990140000123", "admins see the registration")

        // A member's hour-long slot on the project runs as the project and is clamped to the close.
        let slot = try daemon.json(
            RequestReply.self,
            [
                "submit", "--project", "kazllm", "--gpus", "1", "--cpus", "1", "--memory", "1G", "--duration", "1h",
                "--", "sleep", "600",
            ], as: "nobody")
        XCTAssertEqual(slot.request.account, "project:kazllm")
        XCTAssertEqual(slot.request.state, .running)
        let why = try daemon.json(ExplainReply.self, ["explain", String(slot.request.id)], as: "nobody")
        XCTAssertTrue(why.estimateNote.contains("ends at project kazllm's window close"), why.estimateNote)
        // More than the award: refused, with the reason (exit 5).
        let over = try daemon.slotctl(
            [
                "submit", "--project", "kazllm", "--gpus", "2", "--cpus", "1", "--memory", "1G", "--duration", "1h",
                "--", "true",
            ], as: "nobody")
        XCTAssertEqual(over.status, 5, over.stdout + over.stderr)
        XCTAssertTrue((over.stdout + over.stderr).contains("award-exceeded"), over.stdout + over.stderr)

        // The PI sees the member's request and the project, without the registration; the stranger sees nothing.
        XCTAssertEqual(try daemon.slotctl(["show", String(slot.request.id)], as: "daemon").status, 0)
        let pisView = try daemon.json(ProjectListReply.self, ["project", "list"], as: "daemon")
        XCTAssertEqual(pisView.projects.map(\.id), ["kazllm"])
        XCTAssertNil(pisView.projects.first?.registration)
        XCTAssertEqual(try daemon.json(ProjectListReply.self, ["project", "list"], as: "bin").projects, [])
        XCTAssertEqual(try daemon.slotctl(["show", String(slot.request.id)], as: "bin").status, 3)
        let stranger = try daemon.slotctl(
            ["submit", "--project", "kazllm", "--gpus", "1", "--duration", "1m", "--", "true"], as: "bin")
        XCTAssertNotEqual(stranger.status, 0)
        XCTAssertTrue(stranger.stderr.contains("no project 'kazllm' of yours"), stranger.stderr)
        XCTAssertNotEqual(
            try daemon.slotctl(["project", "change", "kazllm", "--add-hours", "5", "--reason", "mine now"], as: "bin")
                .status, 0, "only admins change projects")

        // The window closes on the running slot: it ends then, as any slot at its limit.
        var ended = slot.request
        XCTAssertTrue(
            try eventually(20) {
                ended = try daemon.json(RequestReply.self, ["show", String(slot.request.id)]).request
                return ended.state.isFinal
            })
        XCTAssertEqual(ended.state, .expired, ended.outcome ?? "")
        XCTAssertLessThan(abs((ended.endedAt ?? 0) - closes), 2_000, "ended at the close")
        let late = try daemon.slotctl(
            ["submit", "--project", "kazllm", "--gpus", "1", "--duration", "1m", "--", "true"], as: "nobody")
        XCTAssertEqual(late.status, 5)
        XCTAssertTrue((late.stdout + late.stderr).contains("project-window-closed"), late.stdout + late.stderr)

        // An admin extends the window: the member's request is admitted again.
        let extended = try daemon.json(
            ProjectReply.self,
            [
                "project", "change", "kazllm", "--closes", String(now + 3_600_000), "--reason",
                "extension granted, ref 31",
            ])
        XCTAssertEqual(extended.project.closes, now + 3_600_000)
        XCTAssertGreaterThan(extended.project.usedGPUHours, 0, "the ended slot's use is charged to the award")
        let again = try daemon.json(
            RequestReply.self,
            [
                "submit", "--project", "kazllm", "--gpus", "1", "--cpus", "1", "--memory", "1G", "--duration", "1m",
                "--", "true",
            ], as: "nobody")
        XCTAssertNotEqual(again.request.state, .rejected)
        let audit = try daemon.slotctl(["audit", "--json"]).stdout
        XCTAssertTrue(audit.contains("project.create") && audit.contains("project.change"), audit)
    }

    /// Invariant: applications take the policy's routes: a small one on an automatic route is approved at once and
    /// its project opened, a large one waits for an admin, who approves it with less; a declined one is contested
    /// once and decided again; each applicant sees only their own applications and the reasons given. A member's
    /// request naming no project goes to their only project, is refused when it would exceed the award, and members
    /// are told the window is closing (list, status, the hook). The report by project and applicant shows awards
    /// granted, used and left, the PI sees only their own project's, and the public awards record names nobody.
    func testApplicationsDecisionsReportsAndNotices() throws {
        try XCTSkipUnless(runningAsRoot, "switching to other uids needs root")
        let daemon = try DaemonHarness(inventory: "1x2:4:16")
        let hook = daemon.state + "/notice-hook"
        let told = daemon.state + "/told"
        try "#!/bin/sh\necho \"$@\" >> \(told)\n".write(toFile: hook, atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(hook, 0o755), 0)
        try daemon.configure("project_notice_command = \"\(hook)\"\n")
        try daemon.start()
        for user in ["nobody", "daemon", "bin"] {
            XCTAssertEqual(
                try daemon.slotctl(["account", "add", user, "--category", "sme", "--reason", "applications test"])
                    .status, 0)
            try daemon.acceptAgreement(as: user)
        }
        func apply(_ project: String, _ hours: String, days: String, category: String, as user: String) throws
            -> ApplicationInfo
        {
            try daemon.json(
                ApplicationReply.self,
                [
                    "project", "apply", project, "--applicant", "Applicant of \(project)", "--kind", "organisation",
                    "--registration", "BIN-\(project)", "--category", category, "--sector", "healthcare",
                    "--member", "nobody", "--gpu-hours", hours, "--days", days, "--purpose", "research on \(project)",
                ], as: user
            ).application
        }

        // Small, within the starter route (automatic): approved by the policy, project open, PI the filer.
        let small = try apply("small", "0.5", days: "3", category: "individual_researcher", as: "daemon")
        XCTAssertEqual(small.state, "approved")
        XCTAssertEqual(small.decidedBy, "policy:starter")
        // Listed as a member of `small` by its applicant, nobody's requests naming no project stay on their own
        // account: membership alone never steers a request into a project whose PI would see it.
        let steered = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "healthcare", "--gpus", "1", "--cpus", "1", "--memory", "1G", "--duration", "1m",
                "--", "true",
            ], as: "nobody")
        XCTAssertEqual(steered.request.account, "nobody")
        // Large: waits for an admin, who approves less.
        let large = try apply("large", "50000", days: "60", category: "large_enterprise", as: "bin")
        XCTAssertEqual(large.state, "pending")
        XCTAssertNil(large.route)
        let pending = try daemon.json(
            ApplicationListReply.self, ["admin", "applications", "list", "--state", "pending"])
        XCTAssertEqual(pending.applications.map(\.project), ["large"])
        // The starter route approves one application per filer per its 31-day window: the next waits for an admin.
        XCTAssertEqual(
            try apply("small2", "0.5", days: "3", category: "individual_researcher", as: "daemon").state, "pending")
        let approved = try daemon.json(
            ApplicationReply.self,
            ["admin", "applications", "approve", String(large.id), "--gpu-hours", "20000", "--reason", "committee 12"])
        XCTAssertEqual(approved.application.state, "approved")
        XCTAssertEqual(approved.application.gpuHours, 20000)
        // Declined, contested, decided again; the applicant sees each reason, nobody else sees the application.
        let third = try apply("third", "90000", days: "60", category: "large_enterprise", as: "bin")
        _ = try daemon.json(
            ApplicationReply.self, ["admin", "applications", "decline", String(third.id), "--reason", "not research"])
        let binsView = try daemon.json(ApplicationListReply.self, ["project", "applications"], as: "bin")
        XCTAssertEqual(binsView.applications.first { $0.id == third.id }?.decision, "not research")
        XCTAssertEqual(binsView.applications.map(\.project).sorted(), ["large", "third"])
        XCTAssertEqual(
            try daemon.json(ApplicationListReply.self, ["project", "applications"], as: "nobody").applications, [])
        XCTAssertEqual(
            try daemon.slotctl(["project", "contest", String(third.id), "--reason", "it is"], as: "nobody").status, 3,
            "a stranger cannot even find it")
        let contested = try daemon.json(
            ApplicationReply.self,
            ["project", "contest", String(third.id), "--reason", "see our published papers"], as: "bin")
        XCTAssertEqual(contested.application.state, "contested")
        XCTAssertNotEqual(
            try daemon.slotctl(["project", "contest", String(third.id), "--reason", "again"], as: "bin").status, 0)
        XCTAssertNotEqual(
            try daemon.slotctl(
                ["admin", "applications", "decline", String(third.id), "--reason", "upheld"], as: "bin"
            ).status, 0, "only admins decide")
        _ = try daemon.json(
            ApplicationReply.self, ["admin", "applications", "decline", String(third.id), "--reason", "upheld"])

        // nobody is a member of two open projects and leads none: a request naming none runs on their own account.
        // On `small`, what would exceed its 0.5 GPU-hours is refused.
        let own = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "healthcare", "--gpus", "1", "--cpus", "1", "--memory", "1G", "--duration", "1m",
                "--", "true",
            ],
            as: "nobody")
        XCTAssertEqual(own.request.account, "nobody")
        let over = try daemon.slotctl(
            [
                "submit", "--project", "small", "--gpus", "1", "--cpus", "1", "--memory", "1G", "--duration", "1h",
                "--", "true",
            ], as: "nobody")
        XCTAssertEqual(over.status, 5, over.stdout + over.stderr)
        XCTAssertTrue((over.stdout + over.stderr).contains("award-exceeded"), over.stdout + over.stderr)
        // daemon (PI of small only) submits naming no project: it goes to small.
        let onSmall = try daemon.json(
            RequestReply.self,
            ["submit", "--gpus", "1", "--cpus", "1", "--memory", "1G", "--duration", "1m", "--", "true"], as: "daemon")
        XCTAssertEqual(onSmall.request.account, "project:small")

        // small closes in 3 days, inside the default 7-day notice: members are told, once.
        let list = try daemon.slotctl(["list"], as: "nobody")
        XCTAssertTrue(list.stderr.contains("project small's window closes"), list.stderr)
        XCTAssertTrue(try daemon.slotctl(["status"], as: "daemon").stdout.contains("notice    project small"))
        XCTAssertTrue(
            try eventually(10) { (try? String(contentsOfFile: told, encoding: .utf8))?.hasPrefix("small ") ?? false })
        let lines = try String(contentsOfFile: told, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "told once")
        XCTAssertTrue(lines[0].hasSuffix(" daemon nobody"), String(lines[0]))

        // Reports: by project with awards; by applicant; a PI sees their own projects only.
        let report = try daemon.json(ReportReply.self, ["report", "--by", "project", "--json"]).report
        let groups = Dictionary(uniqueKeysWithValues: report.groups.map { ($0.key, $0) })
        XCTAssertEqual(groups["small"]?.awardGPUHours, 0.5)
        XCTAssertEqual(groups["large"]?.awardGPUHours, 20000)
        XCTAssertEqual(groups["large"]?.awardLeftGPUHours, 20000)
        XCTAssertNotNil(groups["(no project)"], "nobody's own request")
        let byApplicant = try daemon.json(ReportReply.self, ["report", "--by", "applicant", "--json"]).report
        XCTAssertTrue(byApplicant.groups.contains { $0.key == "Applicant of large" && $0.awardGPUHours == 20000 })
        let pisReport = try daemon.json(ReportReply.self, ["report", "--by", "project", "--json"], as: "bin").report
        XCTAssertEqual(pisReport.groups.map(\.key), ["large"])
        // The public record: the awards of the year, with no applicant, registration or project id.
        let year = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date()).year!
        let awards = try daemon.slotctl(["admin", "awards", "--year", String(year), "--json"])
        XCTAssertEqual(awards.status, 0, awards.stderr)
        let record = try JSONDecoder().decode(AwardsReply.self, from: Data(awards.stdout.utf8))
        XCTAssertEqual(record.awards.map(\.awardGPUHours).sorted(), [0.5, 20000])
        for secret in ["Applicant of", "BIN-", "\"small\"", "\"large\"", "daemon", "nobody"] {
            XCTAssertFalse(awards.stdout.contains(secret), "the public record shows \(secret)")
        }
        XCTAssertNotEqual(try daemon.slotctl(["admin", "awards", "--year", String(year)], as: "bin").status, 0)
        let audit = try daemon.slotctl(["audit", "--json"]).stdout
        for action in ["application.file", "application.decide", "application.contest"] {
            XCTAssertTrue(audit.contains(action), action)
        }
    }
}
