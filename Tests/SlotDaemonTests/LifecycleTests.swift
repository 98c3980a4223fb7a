import Foundation
import GRDB
import SlotProtocol
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon under a service manager: sd_notify, reload, graceful stop, one instance per state directory, the
/// audit chain and backups.
final class LifecycleTests: XCTestCase {
    /// Invariant: READY=1 comes only once the socket answers; SIGHUP gives RELOADING=1 then READY=1; SIGTERM gives
    /// STOPPING=1 and a clean exit (status 0).
    func testNotifyProtocol() throws {
        let notify = try NotifySocket()
        let daemon = try DaemonHarness()
        daemon.extraEnvironment["NOTIFY_SOCKET"] = notify.path
        try daemon.start(waitReady: false)
        let ready = try notify.waitFor("READY=1", timeout: 20)
        XCTAssertTrue(ready.contains("STATUS="), ready)
        XCTAssertNoThrow(
            try daemon.connect().call("io.slotd.System.Status", Empty(), as: StatusReply.self),
            "READY=1 was sent before the socket answered")
        kill(daemon.pid, SIGHUP)
        _ = try notify.waitFor("RELOADING=1", timeout: 10)
        _ = try notify.waitFor("READY=1", timeout: 10)
        kill(daemon.pid, SIGTERM)
        _ = try notify.waitFor("STOPPING=1", timeout: 10)
        daemon.process?.waitUntilExit()
        XCTAssertEqual(daemon.process?.terminationStatus, 0, daemon.stderr)
    }

    /// Invariant: a policy file with errors on reload keeps the policy in force, and `slotctl status` shows why.
    /// Status also says how slots are confined here.
    func testBadPolicyOnReloadKeepsTheOldOne() throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        let before = try daemon.json(StatusReply.self, ["status"])
        XCTAssertTrue(
            before.confinement?.hasPrefix("a process group each") == true, "\(String(describing: before.confinement))")
        XCTAssertTrue(try daemon.slotctl(["status"]).stdout.contains("slots     a process group each"))
        try "version = 1\nnot valid = = toml\n".write(toFile: daemon.policy, atomically: true, encoding: .utf8)
        kill(daemon.pid, SIGHUP)
        var after = before
        for _ in 0..<100 where after.policyError == nil {
            usleep(50_000)
            after = try daemon.json(StatusReply.self, ["status"])
        }
        XCTAssertEqual(after.policyHash, before.policyHash)
        XCTAssertNotNil(after.policyError)
        XCTAssertTrue(try daemon.slotctl(["status"]).stdout.contains("REFUSED"))
        // Still serving under the old policy.
        XCTAssertEqual(try daemon.slotctl(["submit", "--sector", "healthcare", "--", "true"]).status, 0)
    }

    /// Invariant: a second daemon on the same state directory refuses to start and says why.
    func testSecondInstanceRefuses() throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        let second = Process()
        second.executableURL = DaemonHarness.binaries.appendingPathComponent("slotd")
        second.arguments = [
            "--dev", "--state-directory", daemon.state, "--policy", daemon.policy,
            "--socket", daemon.state + "/other.sock",
        ]
        let err = Pipe()
        second.standardError = err
        try second.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        second.waitUntilExit()
        XCTAssertEqual(second.terminationStatus, 1)
        XCTAssertTrue(message.contains("already running"), message)
        XCTAssertTrue(message.contains("pid \(daemon.pid)"), message)
    }

    /// Invariant: admin actions are chained; `audit --verify` passes on the untouched trail and fails (exit 1)
    /// after a record is edited directly in the database file.
    func testAuditChainDetectsEdits() throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        XCTAssertEqual(
            try daemon.slotctl([
                "account", "add", "nobody", "--category", "university_research", "--reason",
                "first grant",
            ]).status, 0)
        XCTAssertEqual(
            try daemon.slotctl([
                "account", "update", "nobody", "--category", "state_body", "--reason",
                "moved",
            ]).status, 0)
        let intact = try daemon.json(AuditReply.self, ["audit", "--verify"])
        XCTAssertEqual(intact.verified, true)
        XCTAssertEqual(Array(intact.entries.map(\.action).prefix(2)), ["account.update", "account.add"])
        XCTAssertEqual(intact.entries.first?.reason, "moved")
        daemon.stop()
        let database = try DatabaseQueue(path: daemon.state + "/slotd.sqlite")
        try database.write {
            try $0.execute(sql: "UPDATE audit SET reason = 'nothing to see' WHERE action = 'account.add'")
        }
        try database.close()
        try daemon.start()
        let broken = try daemon.slotctl(["audit", "--verify"])
        XCTAssertEqual(broken.status, 1)
        XCTAssertTrue(broken.stdout.contains("BROKEN"), broken.stdout)
    }

    /// Invariant: `admin backup` writes a consistent copy that opens and holds the requests.
    func testOnlineBackup() throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        XCTAssertEqual(try daemon.slotctl(["submit", "--sector", "healthcare", "--", "true"]).status, 0)
        let target = daemon.state + "/backup.sqlite"
        let out = try daemon.slotctl(["admin", "backup", target, "--reason", "test", "--json"])
        XCTAssertEqual(out.status, 0, out.stderr)
        let reply = try JSONDecoder().decode(BackupReply.self, from: Data(out.stdout.utf8))
        let size = try FileManager.default.attributesOfItem(atPath: target)[.size] as? NSNumber
        XCTAssertEqual(reply.bytes, size?.int64Value, "the reply reports the copy's size")
        XCTAssertGreaterThan(reply.bytes, 0)
        let copy = try DatabaseQueue(path: target)
        XCTAssertEqual(try copy.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM request") }, 1)
        XCTAssertEqual(
            try daemon.slotctl(["admin", "backup", target, "--reason", "again"]).status, 2,
            "an existing file must not be overwritten")
    }
}

/// A datagram socket standing in for systemd's notify socket.
final class NotifySocket {
    let path: String
    let fd: Int32
    private var received: [String] = []

    init() throws {
        path = "/tmp/slotd-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(path.utf8))
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        XCTAssertEqual(bound, 0)
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// Waits for a datagram containing `line`; returns that datagram.
    func waitFor(_ line: String, timeout: TimeInterval) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var buffer = [UInt8](repeating: 0, count: 4_096)
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 {
                let message = String(decoding: buffer[..<count], as: UTF8.self)
                if message.split(separator: "\n").contains(Substring(line)) { return message }
                received.append(message)
            }
        }
        XCTFail("no \(line) within \(timeout) s; got \(received)")
        return ""
    }
}
