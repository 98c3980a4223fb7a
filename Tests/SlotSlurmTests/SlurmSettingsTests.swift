import Foundation
import SlotSandbox
import Testing

@testable import SlotSlurm

/// The Slurm settings slotd checks at start, what it reads of jobs outside it, and how it marks its own.
@Suite struct SlurmSettingsTests {
    static let config = """
        Configuration data as of 2026-12-06T05:16:03
        JobSubmitPlugins        = lua
        MinJobAge               = 300 sec
        ProctrackType           = proctrack/cgroup
        """
    static let partition = "PartitionName=slotd\n   AllowGroups=ALL RootOnly=NO State=UP TotalCPUs=12\n"

    @Test("Invariant: a cluster set up as slotd needs passes; each wrong setting is named")
    func settings() {
        #expect(SlurmSettings.problems(config: Self.config, partition: "slotd", partitionInfo: Self.partition) == [])
        let young = Self.config.replacingOccurrences(of: "300 sec", with: "10 sec")
        let problems = SlurmSettings.problems(config: young, partition: "slotd", partitionInfo: Self.partition)
        #expect(problems.count == 1 && problems[0].hasPrefix("MinJobAge is 10 s"), "\(problems)")
        let ungated = Self.config.replacingOccurrences(of: "= lua", with: "= (null)")
        #expect(
            SlurmSettings.problems(config: ungated, partition: "slotd", partitionInfo: Self.partition)
                .first?.hasPrefix("JobSubmitPlugins") == true)
        let rootOnly = Self.partition.replacingOccurrences(of: "RootOnly=NO", with: "RootOnly=YES")
        #expect(
            SlurmSettings.problems(config: Self.config, partition: "slotd", partitionInfo: rootOnly)
                .first?.contains("RootOnly=YES") == true)
        #expect(
            SlurmSettings.problems(config: Self.config, partition: "slotd", partitionInfo: "")
                .first?.contains("no partition 'slotd'") == true)
        let down = Self.partition.replacingOccurrences(of: "State=UP", with: "State=DOWN")
        #expect(
            SlurmSettings.problems(config: Self.config, partition: "slotd", partitionInfo: down)
                .first?.contains("State=DOWN") == true)
    }

    @Test(
        "Invariant: a running job outside slotd holds, on each of its nodes, the GPUs, cores and memory Slurm gave it")
    func outsideHolds() throws {
        // squeue --json of Slurm 22.05 for `sbatch -N2 --gres=gpu:h100:1 --mem=100M`, trimmed to what slotd reads.
        let json = #"""
            {"jobs":[{"job_id":1,"job_state":"RUNNING","partition":"general","nodes":"node[1-2]","end_time":1828070226,
             "gres_detail":["gpu:h100:1(IDX:0)","gpu:h100:2(IDX:0,1)"],
             "job_resources":{"nodes":"node[1-2]","allocated_nodes":[
               {"sockets":{"0":{"cores":{"0":"allocated"}}},"nodename":"node1","memory_allocated":100},
               {"sockets":{"0":{"cores":{"0":"allocated","1":"allocated"}}},"nodename":"node2","memory_allocated":100}]}},
             {"job_id":2,"job_state":"PENDING","partition":"general","nodes":""}]}
            """#
        let jobs = try SlurmJSON.jobs(Data(json.utf8))
        #expect(
            jobs[0].holds == [
                OutsideHold(job: 1, node: "node1", gpus: 1, cpus: 1, memoryMiB: 100, end: 1_828_070_226_000),
                OutsideHold(job: 1, node: "node2", gpus: 2, cpus: 2, memoryMiB: 100, end: 1_828_070_226_000),
            ])
        #expect(jobs[1].holds.isEmpty, "a pending job holds nothing")
    }

    @Test("Invariant: slotd's jobs carry its installation's mark; a comment without one is read as before")
    func comments() throws {
        #expect(SlurmSubmission.comment(7, instance: "k3x9") == "slotd:7:k3x9")
        func job(_ comment: String) throws -> SlurmJob {
            try JSONDecoder().decode(
                SlurmJob.self, from: Data(#"{"job_id":1,"job_state":"RUNNING","comment":"\#(comment)"}"#.utf8))
        }
        #expect(try job("slotd:7:k3x9").slotID == 7 && job("slotd:7:k3x9").slotInstance == "k3x9")
        #expect(try job("slotd:7").slotID == 7 && job("slotd:7").slotInstance == "")
        #expect(try job("mine").slotID == nil)
    }

    @Test("Invariant: a slot without a network runs its command (each rank's, for a gang) under unshare --net")
    func noNetwork() {
        var launch = SlurmSubmissionTests.gang()
        launch.network = false
        #expect(
            SlurmSubmission.script(for: launch).contains(
                "exec srun --ntasks-per-node=1 --export=ALL 'unshare' '--net' '--map-current-user' '--' 'python3'"))
        launch.ranks = [launch.ranks[0]]
        #expect(
            SlurmSubmission.script(for: launch).contains("\nexec 'unshare' '--net' '--map-current-user' '--' 'python3'")
        )
    }
}
