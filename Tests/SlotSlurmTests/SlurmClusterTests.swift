import Foundation
import SlotCore
import SlotSandbox
import Synchronization
import XCTest

@testable import SlotSlurm

/// The Slurm executor against a real three-node Slurm cluster on this machine (Deploy/slurm/test-cluster):
/// slots run as Slurm jobs on the nodes slotd chose, as the applicant, and their ends come back with Slurm's
/// outcome. Skipped, with the reason, where the cluster cannot start (not root, Slurm not installed).
final class SlurmClusterTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    var directory = ""
    var tools = SlurmTools()

    override func setUpWithError() throws {
        guard getuid() == 0 else { throw XCTSkip("the Slurm test cluster needs root (slurmd runs jobs as users)") }
        for tool in ["slurmctld", "slurmd", "munged", "sbatch"]
        where !FileManager.default.fileExists(atPath: "/usr/sbin/\(tool)")
            && !FileManager.default.fileExists(atPath: "/usr/bin/\(tool)")
        {
            throw XCTSkip("\(tool) is not installed (apt-get install slurm-wlm munge)")
        }
        directory = "/tmp/slotd-slurm-test-\(UUID().uuidString.prefix(8))"
        let (status, output) = Self.run(
            Self.repository.appendingPathComponent("Deploy/slurm/test-cluster").path, ["start", directory],
            environment: ["SLOTD_SLURM_PORT": "17050"])
        guard status == 0 else { throw XCTSkip("the Slurm test cluster did not start: \(output)") }
        tools = SlurmTools(timeout: 10, configuration: directory + "/slurm.conf")
    }

    override func tearDown() {
        guard !directory.isEmpty else { return }
        _ = Self.run(Self.repository.appendingPathComponent("Deploy/slurm/test-cluster").path, ["stop", directory])
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func run(_ path: String, _ arguments: [String], environment: [String: String] = [:]) -> (Int32, String) {
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        guard let result = try? Subprocess.run(path, arguments, environment: merged, timeout: 120) else {
            return (-1, "\(path) did not finish within 120 s")
        }
        return (result.status, String(decoding: result.output + result.errors, as: UTF8.self))
    }

    func restartedAdoptionIncludes103() -> Bool {
        let executor = SlurmExecutor(tools: tools, partition: "slotd", onEvent: { _ in })
        return executor.adopt().contains { if case .adopted(103, _) = $0 { true } else { false } }
    }

    /// Events an executor reported, in order.
    final class Events: Sendable {
        let list = Mutex<[ProcessExecutor.Event]>([])
        func append(_ event: ProcessExecutor.Event) { list.withLock { $0.append(event) } }
        func wait(_ seconds: Double, until condition: ([ProcessExecutor.Event]) -> Bool) -> [ProcessExecutor.Event] {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                let now = list.withLock { $0 }
                if condition(now) { return now }
                usleep(50_000)
            }
            return list.withLock { $0 }
        }
    }

    /// Invariant: the partition's nodes and GPU types are read from Slurm; a gang runs once per node on exactly
    /// the nodes slotd chose, as the applicant, and ends with its exit status; a slot found again after a
    /// restart is followed and stopped; a drain in Slurm is a draining node in slotd.
    func testSlotsRunAsSlurmJobsOnTheChosenNodes() throws {
        let nodes = try SlurmJSON.nodes(try tools.run("sinfo", ["--json"]))
        let (inventory, conditions) = try XCTUnwrap(SlurmJSON.inventory(nodes, partition: "slotd"))
        XCTAssertEqual(inventory.nodes.map(\.name), ["node1", "node2", "node3"])
        XCTAssertEqual(inventory.nodes.map { $0.gpuType ?? "-" }, ["h100", "h100", "l40s"])
        XCTAssertEqual(conditions, [.up, .up, .up])

        let logs = directory + "/slot-logs"
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        chmod(logs, 0o1777)
        let events = Events()
        let executor = SlurmExecutor(
            tools: tools, partition: "slotd", interval: .milliseconds(200), onEvent: { events.append($0) })
        var gang = SlotLaunch(
            id: 101,
            command: [
                "sh", "-c",
                "echo rank=$SLURM_PROCID node=$SLURMD_NODENAME uid=$(id -u) slot=$SLOTD_SLOT_ID; exit 3",
            ],
            workingDirectory: "/tmp", timeLimit: 120_000, logFile: logs + "/101.log",
            user: SlotUser(uid: 65_534, gid: 65_534))
        gang.cpus = 1
        gang.memoryMiB = 256
        gang.ranks = [SlotRank(node: "node1", gpuIndices: [0]), SlotRank(node: "node2", gpuIndices: [0])]
        try executor.startSlot(gang)
        let ended = events.wait(20) { $0.contains(.ended(id: 101, outcome: .exited(code: 3))) }
        XCTAssertTrue(ended.contains { if case .started(101, _) = $0 { true } else { false } }, "\(ended)")
        XCTAssertTrue(ended.contains(.ended(id: 101, outcome: .exited(code: 3))), "\(ended)")
        let log = (try? String(contentsOfFile: logs + "/101.log", encoding: .utf8)) ?? ""
        XCTAssertTrue(log.contains("rank=0 node=node1 uid=65534 slot=101"), log)
        XCTAssertTrue(log.contains("rank=1 node=node2 uid=65534 slot=101"), log)

        var long = SlotLaunch(
            id: 102, command: ["sleep", "300"], workingDirectory: "/tmp", timeLimit: 600_000,
            logFile: logs + "/102.log", user: SlotUser(uid: 65_534, gid: 65_534))
        long.cpus = 1
        long.memoryMiB = 128
        long.ranks = [SlotRank(node: "node3", gpuIndices: [0, 1])]
        try executor.startSlot(long)
        _ = events.wait(20) { $0.contains { if case .started(102, _) = $0 { true } else { false } } }
        // Its user cannot pass it off as another request's: the gate refuses users' changes to slotd's jobs.
        let job = try XCTUnwrap(executor.jobID(of: 102))
        let forged = try Subprocess.run(
            "/usr/sbin/runuser",
            ["-u", "nobody", "--", "/usr/bin/scontrol", "update", "jobid=\(job)", "comment=slotd:7"],
            environment: ["SLURM_CONF": directory + "/slurm.conf", "PATH": "/usr/bin:/bin"], timeout: 30)
        XCTAssertNotEqual(forged.status, 0, String(decoding: forged.output + forged.errors, as: UTF8.self))
        let stillOurs = try SlurmJSON.jobs(try tools.run("squeue", ["--json"])).first { $0.jobID == job }
        XCTAssertEqual(stillOurs?.slotID, 102)
        // A job of the same comment outside the partition is not taken for slotd's.
        _ = try tools.run(
            "sbatch", ["--partition=general", "--comment=slotd:103", "--output=/dev/null", "--wrap=sleep 30"])
        XCTAssertFalse(restartedAdoptionIncludes103())
        // A restarted slotd finds it by its comment and follows it.
        let later = Events()
        let restarted = SlurmExecutor(
            tools: tools, partition: "slotd", interval: .milliseconds(200), onEvent: { later.append($0) })
        let adopted = restarted.adopt()
        XCTAssertTrue(adopted.contains { if case .adopted(102, _) = $0 { true } else { false } }, "\(adopted)")
        try restarted.stop(102)
        let stopped = later.wait(20) { $0.contains(.ended(id: 102, outcome: .stopped)) }
        XCTAssertTrue(stopped.contains(.ended(id: 102, outcome: .stopped)), "\(stopped)")

        _ = try tools.run("scontrol", ["update", "nodename=node3", "state=drain", "reason=slotd test"])
        let drained = try SlurmJSON.inventory(SlurmJSON.nodes(try tools.run("sinfo", ["--json"])), partition: "slotd")
        XCTAssertEqual(drained?.1, [.up, .up, .draining])
    }
}
