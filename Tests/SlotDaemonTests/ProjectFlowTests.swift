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
}
