import Foundation
import SlotProtocol
import XCTest

/// A developer's whole path through slotctl against a real daemon: submit, list, explain, watch, cancel, expiry.
final class RequestFlowTests: XCTestCase {
    /// Invariant: a submitted request is stored, runs, and its exit status comes back through `submit --wait`.
    func testSubmitWaitReturnsTheWorkloadExitStatus() throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        let ok = try daemon.slotctl([
            "submit", "--sector", "healthcare", "--duration", "1m", "--wait", "--",
            "sh", "-c", "echo out; echo err >&2",
        ])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let failing = try daemon.slotctl([
            "submit", "--sector", "healthcare", "--duration", "1m", "--wait", "--",
            "sh", "-c", "exit 7",
        ])
        XCTAssertEqual(failing.status, 7, failing.stderr)
        let logs = try daemon.slotctl(["logs", "1"])
        XCTAssertEqual(logs.stdout, "out\nerr\n")
        let done = try daemon.json(ListReply.self, ["list", "--state", "completed", "--state", "failed"])
        XCTAssertEqual(done.requests.map(\.state), [.failed, .completed])
        XCTAssertEqual(done.requests.first?.exitCode, 7)
    }

    /// Invariant: a workload inherits none of the daemon's descriptors (its client sockets, database, lock): only
    /// stdin, stdout and stderr.
    func testWorkloadInheritsNoDaemonDescriptors() throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        let run = try daemon.slotctl([
            "submit", "--sector", "healthcare", "--duration", "1m", "--wait", "--",
            "sh", "-c", "ls /proc/$$/fd",
        ])
        XCTAssertEqual(run.status, 0, run.stderr)
        let fds = try daemon.slotctl(["logs", "1"]).stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(fds.sorted(), ["0", "1", "2"])
    }

    /// Invariant: `submit --no-network` (Art. 17.4) runs the workload with loopback as its only interface, and
    /// the request says so.
    func testNoNetworkSlotHasOnlyLoopback() throws {
        guard getuid() == 0 else { throw XCTSkip("the process executor needs root for a network namespace") }
        let daemon = try DaemonHarness()
        try daemon.start()
        let run = try daemon.slotctl([
            "submit", "--sector", "healthcare", "--duration", "1m", "--no-network",
            "--wait", "--", "sh", "-c", "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '",
        ])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try daemon.slotctl(["logs", "1"]).stdout, "lo\n")
        let show = try daemon.json(RequestReply.self, ["show", "1"])
        XCTAssertEqual(show.request.network, false)
        XCTAssertTrue(try daemon.slotctl(["show", "1"]).stdout.contains("network    none (Art. 17.4)"))
    }

    /// Invariant: GPU models flow from the declared inventory to the slot: a request runs only on a node of a model
    /// it names, one naming only absent models is refused at admission, `resources` and `show` say the models, and
    /// a pending request keeps its models across a restart.
    func testGPUModelsFromInventoryToSlot() throws {
        let daemon = try DaemonHarness(inventory: "1x2:h100:4:16,1x2:l40s:4:16")
        try daemon.start()
        let first = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "healthcare", "--gpus", "1", "--cpus", "1", "--gpu-type", "l40s", "--duration",
                "1h",
                "--", "sleep", "600",
            ])
        XCTAssertEqual(first.request.state, .running)
        XCTAssertEqual(first.request.node, "node1", "the l40s node")
        XCTAssertEqual(first.request.gpuTypes, ["l40s"])
        XCTAssertTrue(try daemon.slotctl(["show", "1"]).stdout.contains("GPU type   l40s"))
        let absent = try daemon.slotctl([
            "submit", "--sector", "healthcare", "--gpus", "1", "--gpu-type", "a100", "--", "true",
        ])
        XCTAssertEqual(absent.status, 5)
        XCTAssertTrue(absent.stderr.contains("no-node-with-gpu-type"), absent.stderr)
        XCTAssertEqual(try daemon.slotctl(["submit", "--gpu-type", "H100", "--", "true"]).status, 2)
        let resources = try daemon.slotctl(["resources"]).stdout
        XCTAssertTrue(resources.contains("h100") && resources.contains("l40s"), resources)
        // Both l40s GPUs are asked for while one is taken: it waits, though the h100 node is free.
        let waiting = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "healthcare", "--gpus", "2", "--cpus", "1", "--gpu-type", "l40s", "--duration",
                "1h",
                "--", "sleep", "600",
            ])
        XCTAssertEqual(waiting.request.state, .pending)
        let id = String(waiting.request.id)
        XCTAssertTrue(try daemon.slotctl(["explain", id]).stdout.contains("with l40s GPUs"))
        daemon.stop()
        try daemon.start()
        XCTAssertEqual(try daemon.json(RequestReply.self, ["show", id]).request.gpuTypes, ["l40s"])
        XCTAssertEqual(try daemon.json(RequestReply.self, ["show", id]).request.state, .pending)
        XCTAssertTrue(try daemon.slotctl(["explain", id]).stdout.contains("with l40s GPUs"))
    }

    /// Invariant: a request that breaks the policy is refused with every reason, exit status 5, and kept in the
    /// history as rejected.
    func testPolicyViolationListsEveryReasonAndExits5() throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        let out = try daemon.slotctl([
            "submit", "--sector", "no_such_sector", "--gpus", "9", "--duration", "1m", "--",
            "true",
        ])
        XCTAssertEqual(out.status, 5)
        XCTAssertTrue(out.stderr.contains("unknown-sector"), out.stderr)
        XCTAssertTrue(out.stderr.contains("larger-than-any-node"), out.stderr)
        let rejected = try daemon.json(ListReply.self, ["list", "--state", "rejected"])
        XCTAssertEqual(rejected.requests.count, 1)
        XCTAssertEqual(
            Set(rejected.requests[0].reasons?.map(\.code) ?? []), ["unknown-sector", "larger-than-any-node"])
    }

    /// Invariant: a pending request explains its priority term by term, its position and why it waits; cancel
    /// removes it; a running slot is stopped at its time limit and recorded as expired.
    func testExplainCancelAndExpiry() throws {
        let daemon = try DaemonHarness(inventory: "1x0:2:16")
        try daemon.start()
        let first = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "healthcare", "--cpus", "2",
                "--duration", "2s", "--", "sleep", "60",
            ])
        XCTAssertEqual(first.request.state, .running)
        let second = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "energy_mining", "--cpus", "2",
                "--memory", "1G", "--duration", "1m", "--", "sleep", "60",
            ])
        XCTAssertEqual(second.request.state, .pending)
        let explain = try daemon.json(ExplainReply.self, ["explain", String(second.request.id)])
        XCTAssertEqual(explain.terms.map(\.name), ["sector", "category", "aging", "fair_share"])
        XCTAssertEqual(explain.position, 1)
        XCTAssertTrue(explain.reasons.map(\.code).contains("needs-resources"), "\(explain.reasons)")
        XCTAssertNotNil(explain.estimatedStart)
        let cancelled = try daemon.json(RequestReply.self, ["cancel", String(second.request.id)])
        XCTAssertEqual(cancelled.request.state, .cancelled)

        let started = Date()
        let watched = try daemon.slotctl(["watch", String(first.request.id)])
        XCTAssertEqual(watched.status, 0)
        XCTAssertTrue(watched.stdout.contains("expired"), watched.stdout)
        let final = try daemon.json(RequestReply.self, ["show", String(first.request.id)])
        XCTAssertEqual(final.request.state, .expired)
        let ran = Double((final.request.endedAt ?? 0) - (final.request.startedAt ?? 0)) / 1_000
        XCTAssertEqual(ran, 2, accuracy: 1, "expired \(ran) s after start; limit 2 s")
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }

    /// Invariant: bad parameters are named errors (exit 2), and an unknown request is "not found" (exit 3).
    func testInvalidParametersAndNotFound() throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        let relative = try daemon.connect()
        XCTAssertThrowsError(
            try relative.call(
                "io.slotd.Requests.Submit",
                SubmitParameters(
                    sector: "healthcare", gpus: 0, cpus: 1, memoryMiB: 1, durationSeconds: 1, purpose: "",
                    command: ["true"],
                    workingDirectory: "relative/dir", environment: nil), as: RequestReply.self)
        ) { error in
            XCTAssertTrue("\(error)".contains("io.slotd.Requests.InvalidParameter"), "\(error)")
        }
        XCTAssertEqual(try daemon.slotctl(["show", "424242"]).status, 3)
        XCTAssertEqual(try daemon.slotctl(["submit", "--sector", "healthcare", "--", ""]).status, 2)
    }
}
