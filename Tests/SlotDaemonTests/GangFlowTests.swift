import Foundation
import SlotProtocol
import XCTest

/// Gangs and node states through the daemon in dev mode, with a declared inventory of several nodes.
final class GangFlowTests: XCTestCase {
    static let report = """
        echo "rank=$SLURM_PROCID of $SLURM_NNODES on $SLURMD_NODENAME gpus=$CUDA_VISIBLE_DEVICES list=$SLURM_JOB_NODELIST"; \
        sleep 600
        """

    /// Invariant: a gang runs on N distinct nodes as one slot, one process per node with its rank and the gang's
    /// nodes; it is stored, shown and re-adopted as such; a gang no N nodes can hold is refused at admission.
    func testGangRunsOneProcessPerNodeWithItsRank() throws {
        let daemon = try DaemonHarness(inventory: "3x2:h100:4:16")
        try daemon.start()
        let gang = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "healthcare", "--nodes", "2", "--gpus-per-node", "2", "--cpus", "1",
                "--duration", "1h", "--", "sh", "-c", Self.report,
            ])
        XCTAssertEqual(gang.request.state, .running)
        XCTAssertEqual(gang.request.nodes, 2)
        let nodes = try XCTUnwrap(gang.request.nodeList)
        XCTAssertEqual(Set(nodes).count, 2, "two distinct nodes: \(nodes)")
        let id = String(gang.request.id)
        var log = ""
        XCTAssertTrue(
            try eventually(5) {
                log = try daemon.slotctl(["logs", id]).stdout
                return log.contains("rank=0") && log.contains("rank=1")
            }, log)
        let list = nodes.joined(separator: ",")
        XCTAssertTrue(log.contains("rank=0 of 2 on \(nodes[0]) gpus=0,1 list=\(list)"), log)
        XCTAssertTrue(log.contains("rank=1 of 2 on \(nodes[1]) gpus=0,1 list=\(list)"), log)
        XCTAssertTrue(try daemon.slotctl(["show", id]).stdout.contains("2 nodes × 2 GPU"))
        XCTAssertTrue(try daemon.slotctl(["list"]).stdout.contains("\(nodes[0])+1"))
        // Four nodes on a three-node platform: refused at once, with the count there is.
        let refused = try daemon.slotctl([
            "submit", "--sector", "healthcare", "--nodes", "4", "--gpus-per-node", "1", "--cpus", "1", "--", "true",
        ])
        XCTAssertEqual(refused.status, 5)
        XCTAssertTrue(refused.stderr.contains("not-enough-nodes"), refused.stderr + refused.stdout)
        // More GPUs than a node has, without --nodes: whole nodes.
        let whole = try daemon.json(
            RequestReply.self, ["submit", "--sector", "healthcare", "--gpus", "6", "--cpus", "3", "--", "true"])
        XCTAssertEqual(whole.request.nodes, 3)
        XCTAssertEqual(whole.request.gpus, 2)
        XCTAssertEqual(whole.request.state, .pending)
        // A restart re-adopts the gang on the same nodes, with all its processes.
        daemon.stop()
        try daemon.start()
        let after = try daemon.json(RequestReply.self, ["show", id]).request
        XCTAssertEqual(after.state, .running)
        XCTAssertEqual(after.nodeList, nodes)
        let queue = try daemon.json(QueueReply.self, ["queue"])
        XCTAssertEqual(queue.entries.first { $0.id == gang.request.id }?.nodeList, nodes)
        XCTAssertEqual(queue.entries.first { $0.id == whole.request.id }?.nodes, 3)
    }

    /// Invariant: an admin drains a node (audited, kept across a restart) and nothing new lands on it; Explain
    /// says so; a node marked down loses its slots, a gang on all its nodes; resumed, it takes work again.
    func testNodeDrainResumeAndDown() throws {
        let daemon = try DaemonHarness(inventory: "2x2:h100:4:16")
        try daemon.start()
        XCTAssertEqual(try daemon.slotctl(["node", "drain", "node0"]).status, 2, "--reason is required")
        let short = try daemon.slotctl(["node", "drain", "node0", "--reason", "x"])
        XCTAssertEqual(short.status, 2, "a real reason")
        XCTAssertTrue(short.stderr.contains("audit trail"), short.stderr)
        let bogus = try daemon.slotctl(["node", "drain", "node9", "--reason", "repair"])
        XCTAssertNotEqual(bogus.status, 0)
        XCTAssertTrue(bogus.stderr.contains("no node 'node9'"), bogus.stderr)
        let drained = try daemon.json(NodeReply.self, ["node", "drain", "node0", "--reason", "ECC errors on GPU 1"])
        XCTAssertEqual(drained.node.state, "draining")
        let one = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "healthcare", "--gpus", "2", "--cpus", "1", "--duration", "1h", "--", "sleep",
                "600",
            ])
        XCTAssertEqual(one.request.node, "node1", "not on the draining node")
        let waiting = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "healthcare", "--gpus", "1", "--cpus", "1", "--duration", "1h", "--", "sleep",
                "600",
            ])
        XCTAssertEqual(waiting.request.state, .pending)
        let explain = try daemon.slotctl(["explain", String(waiting.request.id)]).stdout
        XCTAssertTrue(explain.contains("1 is draining"), explain)
        XCTAssertTrue(try daemon.slotctl(["resources"]).stdout.contains("ECC errors on GPU 1"))
        XCTAssertTrue(try daemon.slotctl(["audit"]).stdout.contains("node.draining"))
        daemon.stop()
        try daemon.start()
        let resources = try daemon.json(ResourcesReply.self, ["resources"])
        XCTAssertEqual(resources.nodes.map { $0.state ?? "up" }, ["draining", "up"], "kept across the restart")
        // Resumed: the waiting request starts on it.
        _ = try daemon.json(NodeReply.self, ["node", "resume", "node0", "--reason", "GPU replaced"])
        XCTAssertTrue(
            try eventually(5) {
                try daemon.json(RequestReply.self, ["show", String(waiting.request.id)]).request.state == .running
            })
        // Down: the slot on node1 is lost.
        _ = try daemon.json(NodeReply.self, ["node", "down", "node1", "--reason", "power supply failed"])
        XCTAssertTrue(
            try eventually(10) {
                try daemon.json(RequestReply.self, ["show", String(one.request.id)]).request.state == .lost
            })
        XCTAssertEqual(try daemon.slotctl(["node", "drain", "node0", "--reason", "nobody"], as: "nobody").status, 4)
    }
}
