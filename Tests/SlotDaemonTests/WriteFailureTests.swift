import Foundation
import SlotClient
import SlotProtocol
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 16, finding 9: what slotd does when its database cannot be written. The rule (Engine+WriteGuard): stop
/// granting, refuse changes with StoreUnavailable, keep serving reads, write what happened once it can, and never
/// run a slot twice nor lose an acknowledged request, across a kill -9 at that point too.
final class WriteFailureTests: XCTestCase {
    /// A daemon on a one-node inventory of 2 CPUs, with request A (`sleep 2`, all CPUs) running and request B
    /// (appends a line to `marks`) pending behind it; every store write fails while `fault` exists (dev mode).
    struct Scene {
        let daemon: DaemonHarness
        let fault: String
        let marks: String
        let a: Int64
        let b: Int64

        var runsOfB: Int {
            ((try? String(contentsOfFile: marks, encoding: .utf8)) ?? "").split(separator: "\n").count
        }

        func status() throws -> StatusReply {
            try daemon.connect().call("io.slotd.System.Status", Empty(), as: StatusReply.self)
        }

        func show(_ id: Int64) throws -> RequestInfo {
            try daemon.json(RequestReply.self, ["show", String(id)]).request
        }
    }

    /// Sets the scene, then makes writes fail and waits until A's end could not be recorded.
    func failingScene() throws -> Scene {
        let daemon = try DaemonHarness(inventory: "1x0:2:16")
        let fault = daemon.state + "/fault"
        let marks = daemon.state + "/marks"
        daemon.extraEnvironment["SLOTD_DEV_STORE_FAULT_FILE"] = fault
        try daemon.configure("[limits]\nstop_grace_seconds = 1\n")
        try daemon.start()
        let a = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "healthcare", "--cpus", "2",
                "--duration", "1m", "--", "sleep", "2",
            ]
        ).request
        XCTAssertEqual(a.state, .running)
        let b = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "healthcare", "--cpus", "2",
                "--duration", "1m", "--", "/bin/sh", "-c", "echo ran >> \(marks)",
            ]
        ).request
        XCTAssertEqual(b.state, .pending)
        _ = FileManager.default.createFile(atPath: fault, contents: Data())
        let scene = Scene(daemon: daemon, fault: fault, marks: marks, a: a.id, b: b.id)
        XCTAssertTrue(
            try eventually(10) { try scene.status().storeError != nil },
            "A ended while writes failed, and status does not say the database is not writable")
        return scene
    }

    /// Invariant: while writes fail, nothing is granted (B waits although A's CPUs are free), Submit and Cancel
    /// answer StoreUnavailable, reads answer; once writes work, A's end is recorded and B runs, once. Before: a
    /// cancel during a full disk left its request `running` with no process, then `lost`.
    func testWritesFailStopsGrantingAndResumes() throws {
        let scene = try failingScene()
        let daemon = scene.daemon
        let submit = try daemon.slotctl(["submit", "--sector", "healthcare", "--json", "--", "true"])
        XCTAssertTrue(submit.stdout.contains("io.slotd.System.StoreUnavailable"), submit.stdout + submit.stderr)
        let cancel = try daemon.slotctl(["cancel", String(scene.b), "--json"])
        XCTAssertTrue(cancel.stdout.contains("io.slotd.System.StoreUnavailable"), cancel.stdout + cancel.stderr)
        XCTAssertEqual(try daemon.slotctl(["status"]).stdout.contains("database NOT WRITABLE"), true)
        XCTAssertEqual(try daemon.json(ListReply.self, ["list", "--all"]).requests.count, 2, "reads keep working")
        usleep(1_500_000)
        XCTAssertEqual(scene.runsOfB, 0, "B was started while its start could not be recorded")

        try FileManager.default.removeItem(atPath: scene.fault)
        XCTAssertTrue(
            try eventually(10) { try scene.show(scene.b).state == .completed }, "B never ran after writes resumed")
        XCTAssertNil(try scene.status().storeError)
        XCTAssertEqual(try scene.show(scene.a).state, .completed, "A's end, kept in memory, was recorded")
        XCTAssertEqual(scene.runsOfB, 1)

        daemon.crash()
        try daemon.start()
        usleep(1_000_000)
        XCTAssertEqual(scene.runsOfB, 1, "B ran again after a restart")
        XCTAssertEqual(try scene.show(scene.b).state, .completed)
    }

    /// Invariant: a kill -9 while writes fail loses nothing acknowledged and runs nothing twice: after the restart,
    /// B (pending on disk) runs once, and A (its end never recorded) is accounted for, not left `running`.
    /// Before: a request started during a full disk was started a second time after the restart.
    func testKillWhileWritesFailRunsEachSlotOnce() throws {
        let scene = try failingScene()
        let daemon = scene.daemon
        usleep(1_000_000)
        XCTAssertEqual(scene.runsOfB, 0)
        daemon.crash()
        try FileManager.default.removeItem(atPath: scene.fault)
        try daemon.start()
        XCTAssertTrue(
            try eventually(10) { try scene.show(scene.b).state == .completed }, "B never ran after the restart")
        usleep(500_000)
        XCTAssertEqual(scene.runsOfB, 1)
        XCTAssertTrue(try scene.show(scene.a).state.isFinal, "A is still recorded running after the restart")
    }

    /// Invariant, with a real full filesystem (a 24 MiB tmpfs under the state directory; needs root to mount):
    /// slotd stays up and answers reads, refuses or accepts each Submit with a named answer, and after the disk is
    /// freed and slotd killed and restarted, every acknowledged request is there. Before: `Engine.commit` logged
    /// the failed write and went on.
    func testFullFilesystem() throws {
        guard getuid() == 0 else { throw XCTSkip("mounting a tmpfs needs root") }
        let daemon = try DaemonHarness()
        let held = NSTemporaryDirectory() + "slotd-held-\(UUID().uuidString)"
        try FileManager.default.moveItem(atPath: daemon.state, toPath: held)
        try FileManager.default.createDirectory(atPath: daemon.state, withIntermediateDirectories: false)
        guard run("/bin/mount", ["-t", "tmpfs", "-o", "size=24m", "tmpfs", daemon.state]) == 0 else {
            try FileManager.default.removeItem(atPath: daemon.state)
            try FileManager.default.moveItem(atPath: held, toPath: daemon.state)
            throw XCTSkip("cannot mount a tmpfs here")
        }
        defer {
            daemon.stop()
            _ = run("/bin/umount", ["-l", daemon.state])
            try? FileManager.default.removeItem(atPath: held)
        }
        for name in try FileManager.default.contentsOfDirectory(atPath: held) {
            try FileManager.default.copyItem(atPath: held + "/" + name, toPath: daemon.state + "/" + name)
        }
        try daemon.configure("[limits]\nmin_free_disk_mib = 0\n")
        try daemon.start()
        let running = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "healthcare", "--duration", "1m",
                "--", "sleep", "60",
            ]
        ).request
        // Fill the filesystem.
        let filler = open(daemon.state + "/filler", O_WRONLY | O_CREAT, 0o600)
        let chunk = [UInt8](repeating: 7, count: 1 << 16)
        while write(filler, chunk, chunk.count) > 0 {}
        close(filler)

        // A burst of Submits with 30 KiB of environment each, pipelined on one connection: one group commit that
        // the full filesystem cannot hold.
        let connection = try daemon.connect()
        let environment = ["PAD": String(repeating: "p", count: 30_000)]
        let frame =
            Array(
                try JSONEncoder().encode(
                    VarlinkCall(
                        method: "io.slotd.Requests.Submit",
                        parameters: SubmitParameters(
                            sector: "healthcare", gpus: 0, cpus: 1, memoryMiB: 64, durationSeconds: 60, purpose: "",
                            command: ["true"],
                            workingDirectory: "/tmp", environment: environment)))) + [0]
        for _ in 0..<24 { try connection.sendRaw(frame) }
        var acknowledged: [Int64] = []
        var refusals: [String] = []
        for _ in 0..<24 {
            guard let reply = try connection.readFrame() else { break }
            let text = String(decoding: reply, as: UTF8.self)
            if let decoded = try? JSONDecoder().decode(VarlinkReply<RequestReply>.self, from: Data(reply)),
                let request = decoded.parameters?.request
            {
                acknowledged.append(request.id)
            } else {
                refusals.append(text)
            }
        }
        XCTAssertEqual(acknowledged.count + refusals.count, 24, "every Submit is answered")
        XCTAssertFalse(refusals.isEmpty, "24 submits of 30 KiB each fit on a full 24 MiB filesystem")
        for refusal in refusals {
            XCTAssertTrue(refusal.contains("io.slotd.System.StoreUnavailable"), refusal)
        }
        XCTAssertNoThrow(try daemon.connect().call("io.slotd.System.Status", Empty(), as: StatusReply.self))
        XCTAssertNoThrow(try daemon.json(ListReply.self, ["list", "--all"]), "reads work on a full disk")

        try FileManager.default.removeItem(atPath: daemon.state + "/filler")
        daemon.crash()
        try daemon.start()
        let every = RequestState.allCases.flatMap { ["--state", $0.rawValue] }
        let ids = Set(try daemon.json(ListReply.self, ["list", "--all", "--limit", "1000"] + every).requests.map(\.id))
        XCTAssertTrue(ids.isSuperset(of: acknowledged), "acknowledged \(acknowledged), stored \(ids.sorted())")
        XCTAssertTrue(ids.contains(running.id))
    }

    @discardableResult
    func run(_ path: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
