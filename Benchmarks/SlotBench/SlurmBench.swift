import Foundation
import SlotClient
import SlotProtocol
import SlotSlurm

/// slotd in front of Slurm against plain `sbatch`, on the three-node test cluster (`Deploy/slurm/test-cluster`,
/// started and stopped here on ports from 17350): the same jobs, alternated in one run.
///
/// - start: from the submission (slotd's Submit; sbatch's call) until squeue shows the job out of PENDING, and,
///   for slotd, from its grant (the request's `startedAt`) until then;
/// - end noticed: a job prints the time (ns) as its last act; slotd's record of its end (`endedAt`) minus that,
///   against the first squeue (polled every 20 ms) that no longer lists it running;
/// - throughput: `count` one-GPU `true` jobs, all submitted at once, until the last has ended.
enum SlurmBenchmark {
    struct Result {
        var submitToRunning: (slotd: [Double], sbatch: [Double])
        var grantToRunning: [Double]
        var endNoticed: (slotd: [Double], squeue: [Double])
        var batch: (count: Int, slotd: Double, sbatch: Double)
    }

    static let port = 17_350

    static func run(runs: Int, count: Int, poll: Int) throws -> Result {
        let directory = "/tmp/slotbench-slurm-\(getpid())"
        let script = FileManager.default.currentDirectoryPath + "/Deploy/slurm/test-cluster"
        let started = try Subprocess.run(
            script, ["start", directory + "/cluster"],
            environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "SLOTD_SLURM_PORT": String(port)], timeout: 120)
        guard started.status == 0 else {
            throw BenchError.slurm("the test cluster did not start: " + String(decoding: started.errors, as: UTF8.self))
        }
        defer {
            _ = try? Subprocess.run(
                script, ["stop", directory + "/cluster"], environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"],
                timeout: 60)
            try? FileManager.default.removeItem(atPath: directory)
        }
        let configuration = directory + "/cluster/slurm.conf"
        let tools = SlurmTools(configuration: configuration)
        try """
        executor = "slurm"
        [slurm]
        partition = "slotd"
        configuration = "\(configuration)"
        poll_milliseconds = \(poll)
        """.write(toFile: directory + "/slotd.toml", atomically: true, encoding: .utf8)
        let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let daemon = Process()
        daemon.executableURL = binaries.appendingPathComponent("slotd")
        daemon.arguments = [
            "--dev", "--config", directory + "/slotd.toml", "--state-directory", directory, "--policy",
            FileManager.default.currentDirectoryPath + "/Policies/default.toml", "--inventory", "slurm",
            "--log-level", "error",
        ]
        daemon.standardOutput = FileHandle.nullDevice
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        defer {
            kill(daemon.processIdentifier, SIGTERM)
            daemon.waitUntilExit()
        }
        var ready: VarlinkConnection?
        for _ in 0..<400 where ready == nil {
            ready = try? VarlinkConnection(path: directory + "/io.slotd")
            if ready == nil { usleep(25_000) }
        }
        guard let client = ready else { throw BenchError.daemonDidNotStart }
        let agreement = try client.call("io.slotd.Accounts.Agreement", Empty(), as: AgreementReply.self)
        if let version = agreement.version, let hash = agreement.hash, !agreement.accepted {
            _ = try client.call(
                "io.slotd.Accounts.AcceptAgreement", AcceptAgreementParameters(version: version, hash: hash),
                as: AgreementReply.self)
        }
        func submit(_ command: String) throws -> RequestInfo {
            try client.call(
                "io.slotd.Requests.Submit",
                SubmitParameters(
                    sector: "healthcare", gpus: 1, cpus: 1, memoryMiB: 64, durationSeconds: 600, purpose: "bench",
                    command: ["sh", "-c", command], workingDirectory: "/tmp", environment: nil),
                as: RequestReply.self
            ).request
        }
        func get(_ id: Int64) throws -> RequestInfo {
            try client.call("io.slotd.Requests.Get", IDParameters(id: id), as: RequestReply.self).request
        }
        func sbatch(_ command: String, output: String = "/dev/null") throws -> Int {
            let printed = try tools.run(
                "sbatch",
                [
                    "--parsable", "--partition=general", "--gres=gpu:1", "--cpus-per-task=1", "--mem=64M",
                    "--time=10", "--output=\(output)", "--wrap=\(command)",
                ])
            return Int(String(decoding: printed, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        }
        /// Polls squeue every 20 ms until `done` holds for the job it finds; returns the wall time (s since 1970).
        func watch(_ find: (SlurmJob) -> Bool, until done: (SlurmJob?) -> Bool) throws -> Double {
            while true {
                let job = try SlurmJSON.jobs(try tools.run("squeue", ["--json", "--all", "--states=all"]))
                    .first(where: find)
                if done(job) { return Date().timeIntervalSince1970 }
                usleep(20_000)
            }
        }
        let instance = try String(contentsOfFile: directory + "/instance", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let running: (SlurmJob?) -> Bool = { $0.map { $0.state != "PENDING" } ?? false }
        let finished: (SlurmJob?) -> Bool = { $0?.isFinished ?? false }
        var result = Result(
            submitToRunning: ([], []), grantToRunning: [], endNoticed: ([], []), batch: (count, 0, 0))
        let last = "sleep 1; date +%s%N"
        // A first job on a node waits for Slurm to set up its cgroups (about 3 s here): one of each, not counted.
        for warm in [try submit("true")] {
            _ = try watch({ $0.slotID == UInt64(warm.id) && $0.slotInstance == instance }, until: finished)
        }
        let warm = try sbatch("true")
        _ = try watch({ $0.jobID == warm }, until: finished)
        for run in 0..<runs {
            FileHandle.standardError.write(Data("slurm suite: start and end, run \(run + 1) of \(runs)\n".utf8))
            // slotd.
            var t0 = Date().timeIntervalSince1970
            let request = try submit(last)
            let id = UInt64(request.id)
            let up = try watch({ $0.slotID == id && $0.slotInstance == instance }, until: running)
            result.submitToRunning.slotd.append(up - t0)
            var ended = try get(request.id)
            while !ended.state.isFinal {
                usleep(20_000)
                ended = try get(request.id)
            }
            if let started = ended.startedAt { result.grantToRunning.append(up - Double(started) / 1e3) }
            let log = (try? String(contentsOfFile: directory + "/logs/\(id).log", encoding: .utf8)) ?? ""
            if let printed = log.split(separator: "\n").last.flatMap({ Double($0) }), let at = ended.endedAt {
                result.endNoticed.slotd.append(Double(at) / 1e3 - printed / 1e9)
            }
            // Plain sbatch.
            let output = directory + "/sbatch-\(run).out"
            t0 = Date().timeIntervalSince1970
            let job = try sbatch(last, output: output)
            _ = try watch({ $0.jobID == job }, until: running)
            result.submitToRunning.sbatch.append(Date().timeIntervalSince1970 - t0)
            let seen = try watch({ $0.jobID == job }, until: finished)
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            if let printed = text.split(separator: "\n").last.flatMap({ Double($0) }) {
                result.endNoticed.squeue.append(seen - printed / 1e9)
            }
        }
        FileHandle.standardError.write(Data("slurm suite: \(count) short jobs through slotd\n".utf8))
        var t0 = Date().timeIntervalSince1970
        for _ in 0..<count { _ = try submit("true") }
        while true {
            let status = try client.call("io.slotd.System.Status", Empty(), as: StatusReply.self)
            if status.pending == 0 && status.running == 0 { break }
            usleep(50_000)
        }
        result.batch.slotd = Date().timeIntervalSince1970 - t0
        FileHandle.standardError.write(Data("slurm suite: \(count) short jobs with plain sbatch\n".utf8))
        t0 = Date().timeIntervalSince1970
        var jobs: Set<Int> = []
        for _ in 0..<count { jobs.insert(try sbatch("true")) }
        while true {
            let left = try SlurmJSON.jobs(try tools.run("squeue", ["--json", "--all", "--states=all"]))
                .filter { jobs.contains($0.jobID) && !$0.isFinished }
            if left.isEmpty { break }
            usleep(50_000)
        }
        result.batch.sbatch = Date().timeIntervalSince1970 - t0
        return result
    }
}
