import Foundation
import SlotProtocol
import SlotSlurm
import XCTest

/// slotd in front of a real Slurm cluster (Deploy/slurm/test-cluster, three GPU nodes on loopback): slotd decides,
/// Slurm runs. Skipped, with the reason, where the cluster cannot start (not root, Slurm not installed).
final class SlurmFlowTests: XCTestCase {
    var cluster = ""

    override func setUpWithError() throws {
        guard getuid() == 0 else { throw XCTSkip("the Slurm test cluster needs root") }
        guard FileManager.default.fileExists(atPath: "/usr/sbin/slurmctld") else {
            throw XCTSkip("Slurm is not installed (apt-get install slurm-wlm munge)")
        }
        cluster = "/tmp/slotd-slurm-flow-\(UUID().uuidString.prefix(8))"
        let result = try? Subprocess.run(
            DaemonHarness.repository.path + "/Deploy/slurm/test-cluster", ["start", cluster],
            environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "SLOTD_SLURM_PORT": "17150"], timeout: 120)
        guard let result, result.status == 0 else {
            throw XCTSkip(
                "the Slurm test cluster did not start: \(result.map { String(decoding: $0.errors, as: UTF8.self) } ?? "timed out")"
            )
        }
    }

    override func tearDown() {
        guard !cluster.isEmpty else { return }
        _ = try? Subprocess.run(
            DaemonHarness.repository.path + "/Deploy/slurm/test-cluster", ["stop", cluster],
            environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"], timeout: 60)
        try? FileManager.default.removeItem(atPath: cluster)
    }

    /// Invariant: the inventory comes from Slurm's partition (nodes, GPU types); a gang granted by slotd runs as a
    /// Slurm job on exactly the nodes slotd chose, one process per node, and its end is recorded with Slurm's
    /// outcome; cancel stops the Slurm job; a node Slurm drains is draining in slotd.
    func testSlotdDecidesSlurmRuns() throws {
        let daemon = try slurmDaemon()
        try daemon.start()
        let resources = try daemon.json(ResourcesReply.self, ["resources"])
        XCTAssertEqual(resources.nodes.map(\.name), ["node1", "node2", "node3"])
        XCTAssertEqual(resources.nodes.map { $0.gpuType ?? "-" }, ["h100", "h100", "l40s"])
        let gang = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "healthcare", "--nodes", "2", "--gpus-per-node", "1", "--gpu-type", "h100",
                "--cpus", "1", "--memory", "256M", "--duration", "10m", "--",
                "sh", "-c", "echo rank=$SLURM_PROCID node=$SLURMD_NODENAME slot=$SLOTD_SLOT_ID",
            ])
        let id = String(gang.request.id)
        var final = gang.request
        XCTAssertTrue(
            try eventually(30) {
                final = try daemon.json(RequestReply.self, ["show", id]).request
                return final.state.isFinal
            }, "\(final.state)")
        XCTAssertEqual(final.state, .completed, final.outcome ?? "")
        let nodes = try XCTUnwrap(gang.request.nodeList)
        XCTAssertEqual(Set(nodes), ["node1", "node2"], "the h100 nodes")
        let log = try daemon.slotctl(["logs", id]).stdout
        XCTAssertTrue(log.contains("rank=0 node=\(nodes[0]) slot=\(id)"), log)
        XCTAssertTrue(log.contains("rank=1 node=\(nodes[1]) slot=\(id)"), log)
        let tools = SlurmTools(configuration: cluster + "/slurm.conf")
        let jobs = try SlurmJSON.jobs(try tools.run("squeue", ["--json", "--all", "--states=all"]))
        let job = try XCTUnwrap(jobs.first { $0.slotID == gang.request.id.magnitude })
        XCTAssertEqual(job.partition, "slotd")
        XCTAssertEqual(job.state, "COMPLETED")
        // Cancel reaches Slurm.
        let long = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "healthcare", "--gpus", "1", "--gpu-type", "l40s", "--cpus", "1", "--memory",
                "128M", "--duration", "10m", "--", "sleep", "300",
            ])
        XCTAssertEqual(long.request.nodeList ?? [long.request.node ?? ""], ["node3"])
        XCTAssertTrue(
            try eventually(20) {
                try SlurmJSON.jobs(try tools.run("squeue", ["--json"])).first {
                    $0.slotID == long.request.id.magnitude
                }?
                .nodes == "node3"
            }, "a one-node slot is pinned to the node slotd chose")
        XCTAssertTrue(
            try eventually(20) {
                try SlurmJSON.jobs(try tools.run("squeue", ["--json"])).contains {
                    $0.slotID == long.request.id.magnitude && $0.state == "RUNNING"
                }
            })
        _ = try daemon.slotctl(["cancel", String(long.request.id)])
        XCTAssertTrue(
            try eventually(20) {
                try daemon.json(RequestReply.self, ["show", String(long.request.id)]).request.state == .cancelled
            })
        // Slurm drains a node: slotd places nothing new there.
        _ = try tools.run("scontrol", ["update", "nodename=node2", "state=drain", "reason=fan"])
        XCTAssertTrue(
            try eventually(20) {
                try daemon.json(ResourcesReply.self, ["resources"]).nodes.first { $0.name == "node2" }?.state
                    == "draining"
            })
        // The controller goes away: requests are taken and wait, status says why; it returns: they start.
        let pid = try String(contentsOfFile: cluster + "/slurmctld.pid", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        kill(pid_t(pid) ?? 0, SIGTERM)
        XCTAssertTrue(eventually(10) { kill(pid_t(pid) ?? 0, 0) != 0 })
        let waiting = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "healthcare", "--gpus", "1", "--cpus", "1", "--memory", "128M", "--duration",
                "10m", "--", "sh", "-c", "echo after the outage",
            ])
        XCTAssertTrue(
            try eventually(30) { try daemon.json(StatusReply.self, ["status"]).clusterError != nil },
            "status names the outage")
        XCTAssertEqual(
            try daemon.json(RequestReply.self, ["show", String(waiting.request.id)]).request.state, .pending)
        let restarted = try Subprocess.run(
            "/usr/sbin/slurmctld", ["-i"],
            environment: ["SLURM_CONF": cluster + "/slurm.conf", "PATH": "/usr/sbin:/usr/bin:/bin"], timeout: 30)
        XCTAssertEqual(restarted.status, 0)
        var after = waiting.request
        XCTAssertTrue(
            try eventually(60) {
                after = try daemon.json(RequestReply.self, ["show", String(waiting.request.id)]).request
                return after.state == .completed
            }, "\(after.state) \(after.outcome ?? "")")
        XCTAssertNil(try daemon.json(StatusReply.self, ["status"]).clusterError)
        let submitted = try SlurmJSON.jobs(try tools.run("squeue", ["--json", "--all", "--states=all"]))
            .filter { $0.slotID == waiting.request.id.magnitude }
        XCTAssertEqual(submitted.count, 1, "submitted once")

        // slotd restarts while the controller is away: its running slot is kept running, not lost, and is
        // followed again once the controller answers.
        let running = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "healthcare", "--gpus", "1", "--cpus", "1", "--memory", "128M", "--duration",
                "10m", "--", "sleep", "300",
            ])
        let runningID = String(running.request.id)
        XCTAssertTrue(
            try eventually(20) {
                try SlurmJSON.jobs(try tools.run("squeue", ["--json"])).contains {
                    $0.slotID == running.request.id.magnitude && $0.state == "RUNNING"
                }
            })
        daemon.stop()
        let controller = try String(contentsOfFile: cluster + "/slurmctld.pid", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        kill(pid_t(controller) ?? 0, SIGTERM)
        XCTAssertTrue(eventually(10) { kill(pid_t(controller) ?? 0, 0) != 0 })
        try daemon.start()
        XCTAssertNotNil(try daemon.json(StatusReply.self, ["status"]).clusterError)
        XCTAssertEqual(try daemon.json(RequestReply.self, ["show", runningID]).request.state, .running)
        _ = try Subprocess.run(
            "/usr/sbin/slurmctld", ["-i"],
            environment: ["SLURM_CONF": cluster + "/slurm.conf", "PATH": "/usr/sbin:/usr/bin:/bin"], timeout: 30)
        XCTAssertTrue(try eventually(60) { try daemon.json(StatusReply.self, ["status"]).clusterError == nil })
        XCTAssertEqual(try daemon.json(RequestReply.self, ["show", runningID]).request.state, .running, "adopted")
        _ = try daemon.slotctl(["cancel", runningID])
        XCTAssertTrue(
            try eventually(20) { try daemon.json(RequestReply.self, ["show", runningID]).request.state == .cancelled })
    }

    func slurmDaemon(_ extra: [String: String] = [:]) throws -> DaemonHarness {
        let daemon = try DaemonHarness(inventory: "slurm")
        try daemon.configure(
            """
            executor = "slurm"
            [slurm]
            partition = "slotd"
            configuration = "\(cluster)/slurm.conf"
            poll_milliseconds = 200
            command_timeout_seconds = 3
            """)
        daemon.extraEnvironment = extra
        return daemon
    }

    /// The jobs of `daemon`'s request `id` that Slurm lists, in any state.
    func jobs(of id: Int64, _ daemon: DaemonHarness) throws -> [SlurmJob] {
        let tools = SlurmTools(configuration: cluster + "/slurm.conf")
        let instance = try String(contentsOfFile: daemon.state + "/instance", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return try SlurmJSON.jobs(try tools.run("squeue", ["--json", "--all", "--states=all"]))
            .filter { $0.slotID == id.magnitude && $0.slotInstance == instance && $0.partition == "slotd" }
    }

    /// Invariant (never twice, never lost): slotd killed with SIGKILL at each point of a start (granted but not
    /// recorded; recorded but not handed to Slurm; handed to Slurm but its job not recorded) and restarted runs the
    /// request exactly once: one Slurm job, one run's output, completed.
    func testKilledAtEachPointOfAStartRunsItOnce() throws {
        for point in ["grant", "submit", "submitted"] {
            let daemon = try slurmDaemon(["SLOTD_FAILPOINT": point])
            try daemon.start()
            let submitted = try daemon.slotctl(
                [
                    "submit", "--json", "--sector", "healthcare", "--gpus", "1", "--cpus", "1", "--memory", "128M",
                    "--duration", "10m", "--", "sh", "-c", "echo ran-once-$SLOTD_SLOT_ID",
                ])
            XCTAssertTrue(daemon.awaitExit(30), "\(point): the fail point killed slotd: \(daemon.stderr)")
            daemon.extraEnvironment = [:]
            try daemon.start()
            // The reply may have been lost with slotd (at `grant`): the request is found by listing.
            let listed = try daemon.json(ListReply.self, ["list", "--all"] + HostileUserDaemonTests.everyState)
                .requests
            XCTAssertEqual(listed.count, 1, "\(point): the request was kept, once (\(submitted.stdout))")
            let id = try XCTUnwrap(listed.first?.id)
            var final = try XCTUnwrap(listed.first)
            XCTAssertTrue(
                try eventually(40) {
                    final = try daemon.json(RequestReply.self, ["show", String(id)]).request
                    return final.state.isFinal
                }, "\(point): \(final.state)")
            XCTAssertEqual(final.state, .completed, "\(point): \(final.outcome ?? "")")
            XCTAssertEqual(try jobs(of: id, daemon).count, 1, "\(point): submitted to Slurm once")
            XCTAssertNotNil(final.clusterJob, "\(point): the job id is recorded")
            let log = try daemon.slotctl(["logs", String(id)]).stdout
            XCTAssertEqual(log.components(separatedBy: "ran-once-\(id)").count - 1, 1, "\(point): ran once: \(log)")
            daemon.stop()
        }
        // slotd is killed while a one-minute slot runs: Slurm's --time ends it; the restarted slotd records it expired.
        let daemon = try slurmDaemon()
        try daemon.start()
        let long = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "healthcare", "--gpus", "1", "--cpus", "1", "--memory", "64M", "--duration",
                "1m", "--", "sleep", "600",
            ])
        XCTAssertTrue(try eventually(30) { try jobs(of: long.request.id, daemon).first?.state == "RUNNING" })
        daemon.crash()
        XCTAssertTrue(
            try eventually(180) { try jobs(of: long.request.id, daemon).first?.state == "TIMEOUT" },
            "Slurm's time limit ended it with slotd down")
        try daemon.start()
        var ended = long.request
        XCTAssertTrue(
            try eventually(30) {
                ended = try daemon.json(RequestReply.self, ["show", String(long.request.id)]).request
                return ended.state.isFinal
            })
        XCTAssertEqual(ended.state, .expired, ended.outcome ?? "")
    }

    /// Invariant: work on the partition's nodes that slotd did not start takes capacity slotd does not grant; a
    /// slot sees only the GPUs Slurm gave it (cgroup devices); a slot without a network has none on the node;
    /// `show` and `explain` name the Slurm job.
    func testOutsideWorkGPUsAndNetworkOnSlurmNodes() throws {
        let daemon = try slurmDaemon()
        try daemon.start()
        let tools = SlurmTools(configuration: cluster + "/slurm.conf")
        // An operator's job in the general partition takes both l40s GPUs of node3.
        let outside = try tools.run(
            "sbatch",
            [
                "--parsable", "--partition=general", "--nodelist=node3", "--gres=gpu:l40s:2", "--mem=64M",
                "--output=/dev/null", "--wrap=sleep 300",
            ])
        let outsideJob = String(decoding: outside, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(
            try eventually(20) {
                try SlurmJSON.jobs(try tools.run("squeue", ["--json"])).contains {
                    String($0.jobID) == outsideJob && $0.state == "RUNNING"
                }
            })
        usleep(1_000_000)  // a few polls: slotd has seen it
        let waiting = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "healthcare", "--gpus", "1", "--gpu-type", "l40s", "--cpus", "1", "--memory",
                "64M", "--duration", "10m", "--", "sh", "-c", "echo l40s",
            ])
        usleep(1_500_000)
        XCTAssertEqual(
            try daemon.json(RequestReply.self, ["show", String(waiting.request.id)]).request.state, .pending,
            "node3's GPUs are taken by work outside slotd")
        _ = try tools.run("scancel", [outsideJob])
        XCTAssertTrue(
            try eventually(30) {
                try daemon.json(RequestReply.self, ["show", String(waiting.request.id)]).request.state == .completed
            }, "granted once the outside job ended")

        // Devices: a one-GPU slot opens its GPU (no driver behind it: ENXIO) and is denied the other (EPERM).
        let probe = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "healthcare", "--gpus", "1", "--gpu-type", "h100", "--cpus", "1", "--memory",
                "64M", "--duration", "10m", "--", "sh", "-c",
                "for d in \(cluster)/dev/$SLURMD_NODENAME-nvidia*; do head -c1 $d; done 2>&1; sleep 2",
            ])
        let probeID = String(probe.request.id)
        XCTAssertTrue(
            try eventually(20) {
                try daemon.json(RequestReply.self, ["show", probeID]).request.clusterState?.contains("RUNNING") == true
            }, "show gives Slurm's state")
        let shown = try daemon.slotctl(["show", probeID]).stdout
        XCTAssertTrue(shown.contains("cluster    job "), shown)
        let explained = try daemon.json(ExplainReply.self, ["explain", probeID])
        XCTAssertTrue(explained.estimateNote.contains("Slurm job"), explained.estimateNote)
        XCTAssertTrue(explained.estimateNote.contains("time limit"), explained.estimateNote)
        XCTAssertTrue(
            try eventually(20) {
                try daemon.json(RequestReply.self, ["show", probeID]).request.state.isFinal
            })
        let devices = try daemon.slotctl(["logs", probeID]).stdout
        XCTAssertEqual(devices.components(separatedBy: "No such device or address").count - 1, 1, devices)
        XCTAssertEqual(devices.components(separatedBy: "Operation not permitted").count - 1, 1, devices)

        // No network: only a loopback in the slot's own namespace.
        let isolated = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "healthcare", "--gpus", "1", "--cpus", "1", "--memory", "64M", "--duration",
                "10m", "--no-network", "--", "cat", "/proc/net/dev",
            ])
        var final = isolated.request
        XCTAssertTrue(
            try eventually(30) {
                final = try daemon.json(RequestReply.self, ["show", String(isolated.request.id)]).request
                return final.state.isFinal
            })
        XCTAssertEqual(final.state, .completed, final.outcome ?? "")
        let interfaces = try daemon.slotctl(["logs", String(isolated.request.id)]).stdout
            .split(separator: "\n").filter { $0.contains(":") && !$0.contains("|") }
        XCTAssertEqual(interfaces.map { $0.split(separator: ":")[0].trimmingCharacters(in: .whitespaces) }, ["lo"])

        // Priority holds across the cluster: with every GPU taken, a finance request (weight 100) submitted before
        // a healthcare one (weight 400) still starts after it when one GPU frees.
        func submit(_ sector: String, _ command: [String]) throws -> RequestInfo {
            try daemon.json(
                RequestReply.self,
                [
                    "submit", "--sector", sector, "--gpus", "1", "--cpus", "1", "--memory", "64M", "--duration", "10m",
                    "--",
                ]
                    + command
            ).request
        }
        let blockers = try (0..<6).map { _ in try submit("healthcare", ["sleep", "300"]) }
        XCTAssertTrue(blockers.allSatisfy { $0.state == .running }, "\(blockers.map(\.state))")
        XCTAssertTrue(
            try eventually(30) {
                let running = try SlurmJSON.jobs(try tools.run("squeue", ["--json"])).filter { $0.state == "RUNNING" }
                return Set(blockers.map { $0.id.magnitude }).isSubset(of: Set(running.compactMap(\.slotID)))
            }, "the six run in Slurm")
        let low = try submit("finance", ["true"])
        let high = try submit("healthcare", ["true"])
        let seen =
            try daemon.slotctl(["list", "--all"]).stdout + String(decoding: try tools.run("squeue", []), as: UTF8.self)
        XCTAssertEqual([low.state, high.state], [.pending, .pending], seen)
        _ = try daemon.slotctl(["cancel", String(blockers[0].id)])
        var started: [Int64?] = []
        XCTAssertTrue(
            try eventually(40) {
                let both = try [high, low].map { try daemon.json(RequestReply.self, ["show", String($0.id)]).request }
                started = both.map(\.startedAt)
                return both.allSatisfy { $0.state == .completed }
            })
        XCTAssertLessThan(started[0] ?? .max, started[1] ?? .max, "the higher priority started first")
        for blocker in blockers.dropFirst() { _ = try daemon.slotctl(["cancel", String(blocker.id)]) }
        XCTAssertTrue(
            try eventually(30) {
                try blockers.allSatisfy {
                    try daemon.json(RequestReply.self, ["show", String($0.id)]).request.state.isFinal
                }
            })

        // Slurm sets a node down under a running slot (NODE_FAIL): slotd records the slot lost, not failed.
        let doomed = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "healthcare", "--gpus", "1", "--gpu-type", "l40s", "--cpus", "1", "--memory",
                "64M", "--duration", "10m", "--", "sleep", "300",
            ])
        XCTAssertTrue(
            try eventually(20) {
                try SlurmJSON.jobs(try tools.run("squeue", ["--json"])).contains {
                    $0.slotID == doomed.request.id.magnitude && $0.state == "RUNNING"
                }
            })
        _ = try tools.run("scontrol", ["update", "nodename=node3", "state=down", "reason=psu"])
        var lost = doomed.request
        XCTAssertTrue(
            try eventually(30) {
                lost = try daemon.json(RequestReply.self, ["show", String(doomed.request.id)]).request
                return lost.state.isFinal
            })
        // (The test cluster's ReturnToService=2 brings the node back at once, its slurmd being alive.)
        XCTAssertEqual(lost.state, .lost, lost.outcome ?? "")

    }
}
