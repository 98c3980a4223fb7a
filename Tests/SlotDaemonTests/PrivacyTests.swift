import Foundation
import SlotProtocol
import XCTest

/// Art. 8 and 10 with real, distinct Unix users (slotctl runs under `setpriv --reuid`): identity comes from the
/// kernel, users see and cancel only their own requests, and admin actions need an admin.
final class PrivacyTests: XCTestCase {
    /// Invariant: `nobody` and `daemon` (uids 65534 and 1) each see their own request in full, never the other's;
    /// neither can cancel the other's; the queue shows the other's request without id, user or purpose.
    func testUsersSeeAndCancelOnlyTheirOwnRequests() throws {
        try XCTSkipUnless(runningAsRoot, "switching to other uids needs root")
        let daemon = try DaemonHarness(inventory: "1x0:1:8")
        try daemon.start()
        for user in ["nobody", "daemon"] {
            let added = try daemon.slotctl([
                "account", "add", user, "--category", "university_research", "--reason",
                "privacy test",
            ])
            XCTAssertEqual(added.status, 0, added.stderr)
            try daemon.acceptAgreement(as: user)
        }
        // Root's slot fills the node, so both users' requests stay pending.
        _ = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "healthcare", "--cpus", "1", "--memory", "1G",
                "--duration", "1m", "--", "sleep", "60",
            ])
        let mine = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "education_science", "--cpus", "1",
                "--memory", "1G", "--duration", "1m", "--purpose",
                "secret-purpose", "--", "sleep", "1",
            ], as: "nobody")
        XCTAssertEqual(mine.request.account, "nobody")
        XCTAssertEqual(mine.request.uid, 65_534)
        let id = String(mine.request.id)

        XCTAssertEqual(try daemon.slotctl(["show", id], as: "daemon").status, 3)
        XCTAssertEqual(try daemon.slotctl(["explain", id], as: "daemon").status, 3)
        XCTAssertEqual(try daemon.slotctl(["cancel", id], as: "daemon").status, 3)
        XCTAssertEqual(try daemon.slotctl(["logs", id], as: "daemon").status, 3)
        let theirs = try daemon.json(ListReply.self, ["list", "--all"], as: "daemon")
        XCTAssertTrue(theirs.requests.isEmpty, "daemon sees \(theirs.requests)")

        let queue = try daemon.slotctl(["queue", "--json"], as: "daemon")
        XCTAssertEqual(queue.status, 0)
        XCTAssertFalse(queue.stdout.contains("secret-purpose"))
        XCTAssertFalse(queue.stdout.contains("nobody"))
        let entries = try JSONDecoder().decode(QueueReply.self, from: Data(queue.stdout.utf8)).entries
        XCTAssertEqual(entries.filter { $0.state == .pending }.count, 1)
        XCTAssertTrue(entries.allSatisfy { $0.id == nil && !$0.mine })

        let own = try daemon.json(RequestReply.self, ["show", id], as: "nobody")
        XCTAssertEqual(own.request.purpose, "secret-purpose")
        XCTAssertEqual(try daemon.json(RequestReply.self, ["cancel", id], as: "nobody").request.state, .cancelled)
    }

    /// Invariant: a non-admin cannot add accounts, read the audit trail or apply a policy (exit 4), and a user
    /// without an account is told how to get one.
    func testAdminActionsNeedAnAdmin() throws {
        try XCTSkipUnless(runningAsRoot, "switching to other uids needs root")
        let daemon = try DaemonHarness()
        try daemon.start()
        let submit = try daemon.slotctl(["submit", "--sector", "healthcare", "--", "true"], as: "nobody")
        XCTAssertEqual(submit.status, 4)
        XCTAssertTrue(submit.stderr.contains("slotctl account add nobody"), submit.stderr)
        XCTAssertEqual(
            try daemon.slotctl(
                [
                    "account", "add", "nobody", "--category", "university_research", "--reason",
                    "self-service",
                ], as: "nobody"
            ).status, 4)
        XCTAssertEqual(try daemon.slotctl(["audit"], as: "nobody").status, 4)
        XCTAssertEqual(
            try daemon.slotctl(["policy", "apply", daemon.policy, "--reason", "mine"], as: "nobody").status, 4)
        let whoami = try daemon.json(WhoamiReply.self, ["whoami"], as: "nobody")
        XCTAssertEqual(whoami.uid, 65_534)
        XCTAssertFalse(whoami.admin)
    }
}
