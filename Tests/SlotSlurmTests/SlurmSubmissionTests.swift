import Foundation
import SlotCore
import SlotSandbox
import Testing

@testable import SlotSlurm

/// How a slot becomes a Slurm job, and how Slurm's JSON reads: pure, no Slurm needed.
@Suite struct SlurmSubmissionTests {
    static func gang() -> SlotLaunch {
        var launch = SlotLaunch(
            id: 42, command: ["python3", "train.py", "--name=it's"], workingDirectory: "/home/alice",
            environment: ["EVIL": "x'\n#SBATCH --uid=0", "1BAD": "skipped"], timeLimit: 90_000,
            logFile: "/var/log/slotd/slots/42.log", user: SlotUser(uid: 1_000, gid: 100))
        launch.cpus = 4
        launch.memoryMiB = 2_048
        launch.ranks = [SlotRank(node: "node1", gpuIndices: [0, 1]), SlotRank(node: "node2", gpuIndices: [0, 1])]
        return launch
    }

    @Test(
        "Invariant: a slot is submitted pinned to its nodes, as its applicant, tied to its request, with a backstop limit"
    )
    func arguments() {
        let arguments = SlurmSubmission.arguments(for: Self.gang(), partition: "slotd")
        for expected in [
            "--partition=slotd", "--comment=slotd:42", "--job-name=slotd-42", "--nodes=2", "--nodelist=node1,node2",
            "--time=2", "--cpus-per-task=4", "--mem=2048M", "--gres=gpu:2", "--uid=1000", "--gid=100",
            "--chdir=/home/alice", "--output=/var/log/slotd/slots/42.log", "--export=NONE", "--parsable",
        ] {
            #expect(arguments.contains(expected), "\(expected) in \(arguments)")
        }
    }

    @Test("Invariant: the batch script quotes every word and ends sbatch's directives before the request's text")
    func script() {
        let script = SlurmSubmission.script(for: Self.gang())
        let lines = script.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "#!/bin/sh" && lines[1] == ": slotd batch script")
        #expect(script.contains("export EVIL='x'\\''\n#SBATCH --uid=0'"))
        #expect(!script.contains("1BAD"), "not a shell name: left out")
        #expect(script.contains("exec srun --ntasks-per-node=1 --export=ALL 'python3' 'train.py' '--name=it'\\''s'"))
        // The shell reads it back word for word.
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/bin/sh")
        check.arguments = ["-n", "-c", script]
        try? check.run()
        check.waitUntilExit()
        #expect(check.terminationStatus == 0)
    }

    @Test("Invariant: Slurm's end states map to slotd's outcomes")
    func outcomes() throws {
        func job(_ state: String, exit: Int = 0) throws -> SlurmJob {
            try JSONDecoder().decode(
                SlurmJob.self,
                from: Data(#"{"job_id":7,"job_state":"\#(state)","exit_code":\#(exit),"comment":"slotd:9"}"#.utf8))
        }
        #expect(SlurmSubmission.outcome(of: try job("COMPLETED")) == .exited(code: 0))
        #expect(SlurmSubmission.outcome(of: try job("FAILED", exit: 3 << 8)) == .exited(code: 3))
        #expect(SlurmSubmission.outcome(of: try job("CANCELLED")) == .stopped)
        #expect(SlurmSubmission.outcome(of: try job("TIMEOUT")) == .timedOut)
        #expect(SlurmSubmission.outcome(of: try job("OUT_OF_MEMORY")) == .outOfMemory)
        #expect(SlurmSubmission.outcome(of: try job("NODE_FAIL")) == .nodeFailed)
        #expect(SlurmSubmission.outcome(of: try job("PREEMPTED")) == .killed(signal: 9))
        #expect(try job("RUNNING").isFinished == false && job("COMPLETED").isFinished)
        #expect(try job("RUNNING").slotID == 9)
    }

    @Test("Invariant: sinfo's nodes become the inventory with GPU types, and Slurm's states slotd's conditions")
    func nodes() throws {
        let json = #"""
            {"nodes":[
             {"name":"node1","state":"idle","state_flags":[],"cpus":4,"real_memory":4096,"gres":"gpu:h100:2","partitions":["slotd","general"],"reason":""},
             {"name":"node2","state":"idle","state_flags":["DRAIN"],"cpus":4,"real_memory":4096,"gres":"gpu:h100:2(S:0)","partitions":["slotd"],"reason":"fan"},
             {"name":"node3","state":"down","state_flags":["NOT_RESPONDING"],"cpus":8,"real_memory":8192,"gres":"gpu:l40s:1,gpu:l40s:1","partitions":["slotd"],"reason":""},
             {"name":"login","state":"idle","state_flags":[],"cpus":2,"real_memory":1024,"gres":"","partitions":["general"],"reason":""}
            ]}
            """#
        let nodes = try SlurmJSON.nodes(Data(json.utf8))
        let (inventory, conditions) = try #require(SlurmJSON.inventory(nodes, partition: "slotd"))
        #expect(inventory.nodes.map(\.name) == ["node1", "node2", "node3"], "only the partition's nodes")
        #expect(inventory.nodes.map(\.gpus.count) == [2, 2, 2])
        #expect(inventory.gpuTypes == ["h100", "l40s"])
        #expect(conditions == [.up, .draining, .down])
        #expect(SlurmJSON.inventory(nodes, partition: "none") == nil)
        #expect(throws: SlurmError.self) { try SlurmJSON.nodes(Data("{}".utf8)) }
    }
}
