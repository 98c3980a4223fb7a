import ArgumentParser
import Foundation
import SlotSandbox

/// `slotbench`: the SlotQueue core against swift-collections' Heap, measured in the same run.
@main
struct SlotBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slotbench",
        abstract: "Benchmark the lock-free queue core against Mutex<Heap> in the same run.",
        discussion: """
            Build in release mode: swift run -c release slotbench
            Each scenario runs --repetitions times, alternating implementations; the median is reported with its \
            ratio to the baseline. Record results in BENCHMARKS.md with the machine they ran on.
            """
    )

    @Option(help: "Items per scenario.") var items = 1_000_000
    @Option(help: "Priority classes the items are spread over.") var classes = 16
    @Option(help: "Runs per implementation; the median is reported.") var repetitions = 5
    @Flag(help: "Print one JSON object instead of the table.") var json = false
    @Option(help: "Run only the scenario with this number (1-4), e.g. to profile it.") var only: Int?
    @Option(
        help:
            "What to measure: queue (core vs Mutex<Heap>), scheduler (pass cost), executor (start latency) daemon (durable Submit throughput against a release slotd) restart (READY=1 time, RSS and list with --pending requests) or codec (Foundation JSON per List row)."
    )
    var suite: Suite = .queue

    @Option(help: "Daemon suite: the store's durability, full (fsync per commit) or normal.")
    var durability = "full"

    @Option(
        help: """
            Daemon suite: how the clients talk. raw sends a frame encoded once and checks each reply is a Submit reply \
            (the daemon's cost, with a load generator as cheap as it gets); slotclient encodes and decodes every call \
            with SlotClient, as slotctl does.
            """)
    var loadGenerator = DaemonSubmitBenchmark.LoadGenerator.raw

    @Option(help: "Daemon suite: submits per configuration.")
    var submits = 4_000

    @Option(help: "Daemon suite: CLIENTSxWINDOW configurations, comma-separated, e.g. 8x1 to profile one.")
    var configurations = "1x1,8x1,32x1,1x16,8x16,32x16,8x64"

    @Option(
        help: "Executor suite: process (child processes) or systemd (transient units; needs systemd as PID 1 and root)."
    )
    var executor = "process"

    @Option(help: "Executor suite: how many slots to start.")
    var starts: Int?

    @Option(help: "Restart suite: pending requests in the state slotd restarts with.")
    var pending = 1_000_000

    @Option(help: "Restart suite: how many requests `slotctl list --all --limit N` lists.")
    var listLimit = 100_000

    @Option(
        help: """
            Restart suite: build the state in this directory and keep it afterwards (default: a temporary directory, \
            removed), to run `slotd --dev --state-directory DIR --config DIR/slotd.toml` on it by hand.
            """)
    var stateDirectory: String?

    @Option(help: "Slurm suite: alternated runs of one slotd job and one sbatch job (start and end latencies).")
    var slurmRuns = 20

    @Option(help: "Slurm suite: short jobs submitted at once, through slotd and with plain sbatch.")
    var slurmJobs = 500

    @Option(help: "Slurm suite: slotd's poll_milliseconds.")
    var slurmPoll = 500

    enum Suite: String, ExpressibleByArgument { case queue, scheduler, executor, daemon, restart, codec, slurm }

    func validate() throws {
        guard items >= 1_000 else { throw ValidationError("--items must be at least 1000") }
        guard (1...4096).contains(classes) else { throw ValidationError("--classes must be 1...4096") }
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1") }
        if let only, !(1...4).contains(only) { throw ValidationError("--only must be 1...4") }
    }

    func run() throws {
        if suite == .scheduler { return runSchedulerSuite() }
        if suite == .executor { return try runExecutorSuite() }
        if suite == .daemon { return try runDaemonSuite() }
        if suite == .restart { return try runRestartSuite() }
        if suite == .codec { return try runCodecSuite() }
        if suite == .slurm { return try runSlurmSuite() }
        let w = Workload(items: items, classes: classes)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var rows: [Row] = []
        var number = 0
        func scenario(
            _ name: String, threads: Int = 1, target: Double, baseline: String, _ ours: () -> Measurement,
            _ theirs: () -> Measurement
        ) {
            number += 1
            if let only, only != number { return }
            FileHandle.standardError.write(Data("running: \(name)\n".utf8))
            var a: [Double] = []
            var b: [Double] = []
            for _ in 0..<repetitions {
                a.append(ours().itemsPerSecond)
                b.append(theirs().itemsPerSecond)
            }
            let paired = zip(a, b).map { $0 / $1 }
            rows.append(
                Row(
                    scenario: name, baseline: baseline, ours: median(a), theirs: median(b), target: target,
                    low: paired.min() ?? 0, high: paired.max() ?? 0, pinned: threads > 1 && pinsThreads(threads)))
        }
        scenario(
            "1 thread: push all, take all", target: 3, baseline: "Heap",
            { singleThreadQueue(w) }, { singleThreadHeap(w) })
        scenario(
            "1 thread: push all, take all", target: 0, baseline: "Mutex<Heap>",
            { singleThreadQueue(w) }, { singleThreadLockedHeap(w) })
        scenario(
            "2 producers, 1 consumer", threads: 3, target: 3, baseline: "Mutex<Heap>",
            { concurrentQueue(w, producers: 2, cancelEvery: 0) },
            { concurrentLockedHeap(w, producers: 2, cancelEvery: 0) })
        scenario(
            "1 producer, 1 consumer, 10% cancels", threads: 2, target: 2.5, baseline: "Mutex<Heap>",
            { concurrentQueue(w, producers: 1, cancelEvery: 10) },
            { concurrentLockedHeap(w, producers: 1, cancelEvery: 10) })
        if json {
            print(jsonReport(rows, cores: cores))
        } else {
            print(
                "slotbench: \(items) items, \(classes) classes, median of \(repetitions), \(cores) cores "
                    + "(a scenario's threads are pinned one per core where there are cores enough: [pinned])")
            for row in rows { print(row.line) }
        }
    }
}

extension SlotBench {
    /// Pass cost at 10k, 100k and 1M pending (target: pass(1M) / pass(10k) <= 3), then at cluster scale.
    func runSchedulerSuite() {
        let small = smallPendingRows()
        let cluster = clusterRows()
        if json {
            print(
                "{\"suite\":\"scheduler\",\"inventory\":\"8x8\",\"results\":[\(small.joined(separator: ","))],"
                    + "\"cluster\":[\(cluster.joined(separator: ","))]}")
        }
    }

    /// Cluster scale, 100k pending of 1-GPU, 8-GPU and 4-node × 8-GPU requests on full machines of 8 × 8 and
    /// 1,250 × 8 GPUs (target: 1,250 nodes ÷ 8 nodes <= 3): a pass with nothing changed (the reservation is kept),
    /// and, with the filling slots ending at distinct times, a pass after one slot ended and another took its GPU
    /// (the reservation is worked out again). Returns the JSON rows.
    func clusterRows() -> [String] {
        let pending = 100_000
        var rows: [String] = []
        if !json {
            print("cluster scale: \(pending) pending (1-GPU, 8-GPU, 4 nodes x 8), full machines, median of 200")
        }
        for changing in [false, true] {
            var seconds: [String: Double] = [:]
            for spec in ["8x8", "1250x8"] {
                FileHandle.standardError.write(
                    Data("running: \(spec), \(changing ? "a slot ends before each pass" : "unchanged")\n".utf8))
                seconds[spec] =
                    changing
                    ? SchedulerPassBenchmark.secondsPerChangedPass(pending: pending, passes: 200, inventory: spec)
                    : SchedulerPassBenchmark.secondsPerPass(
                        pending: pending, passes: 200, inventory: spec, mix: .cluster, staggered: true)
            }
            let ratio = seconds["1250x8"]! / seconds["8x8"]!
            let kind = changing ? "after a slot ends" : "unchanged"
            rows.append(
                "{\"pass\":\"\(kind)\",\"pending\":\(pending),\"seconds_8x8\":\(seconds["8x8"]!),"
                    + "\"seconds_1250x8\":\(seconds["1250x8"]!),\"ratio\":\(ratio)}")
            if !json {
                print(
                    pad(kind, 18) + " 8x8 " + fixed(seconds["8x8"]! * 1e6, 1) + " µs   1250x8 "
                        + fixed(seconds["1250x8"]! * 1e6, 1) + " µs   ratio " + fixed(ratio, 2) + "x"
                        + (changing ? "" : "  target <= 3: \(ratio <= 3 ? "met" : "MISSED")"))
            }
        }
        return rows
    }

    /// The 10k–1M pending suite on 8 × 8; returns the JSON rows.
    func smallPendingRows() -> [String] {
        var results: [(pending: Int, seconds: Double)] = []
        for pending in [10_000, 100_000, 1_000_000] {
            FileHandle.standardError.write(Data("running: scheduling pass with \(pending) pending\n".utf8))
            results.append((pending, SchedulerPassBenchmark.secondsPerPass(pending: pending, passes: 200)))
        }
        let base = results[0].seconds
        let rows = results.map {
            "{\"pending\":\($0.pending),\"seconds_per_pass\":\($0.seconds),\"ratio\":\($0.seconds / base)}"
        }
        if json { return rows }
        print("scheduling pass on a full 64-GPU machine (8x8), median of 200 passes, backfill window 256")
        for row in results {
            let ratio = row.seconds / base
            let goal =
                row.pending == 1_000_000 ? "  target pass(1M)/pass(10k) <= 3: \(ratio <= 3 ? "met" : "MISSED")" : ""
            print(
                pad("\(row.pending) pending", 16) + pad(fixed(row.seconds * 1e6, 1), 9, left: true)
                    + " µs/pass   ratio "
                    + fixed(ratio, 2) + "x" + goal)
        }
        return rows
    }
}

extension SlotBench {
    /// Start latency of an executor: p50 and p99; the target is p99 < 100 ms.
    func runExecutorSuite() throws {
        let systemd = executor == "systemd"
        guard systemd || executor == "process" else { throw ValidationError("--executor is process or systemd") }
        let count = starts ?? (systemd ? 200 : 1_000)
        FileHandle.standardError.write(Data("running: \(count) \(executor)-executor starts\n".utf8))
        if systemd {
            report(
                try ExecutorStartBenchmark.systemdLatencies(count: count),
                what: "starts of /bin/sleep (until the unit runs with its main PID)", cgroups: nil)
            return
        }
        report(try ExecutorStartBenchmark.latencies(count: count), what: "starts of /bin/true", cgroups: false)
        // As the daemon runs them where it can write its cgroup v2 directory: each slot in its own cgroup.
        if case .success(let tree) = CgroupTree.detect() {
            report(
                try ExecutorStartBenchmark.latencies(count: count, cgroups: tree),
                what: "starts of /bin/true, each in its own cgroup", cgroups: true)
        }
    }

    private func report(_ samples: [Double], what: String, cgroups: Bool?) {
        let p50 = samples[samples.count / 2], p99 = samples[samples.count * 99 / 100], worst = samples.last ?? 0
        if json {
            let cgroupField = cgroups.map { ",\"cgroups\":\($0)" } ?? ""
            print(
                "{\"suite\":\"executor\",\"executor\":\"\(executor)\"\(cgroupField),\"starts\":\(samples.count),"
                    + "\"p50_s\":\(p50),\"p99_s\":\(p99),\"max_s\":\(worst)}")
        } else {
            print(
                "\(executor) executor, \(samples.count) \(what): p50 \(fixed(p50 * 1e3, 2)) ms, "
                    + "p99 \(fixed(p99 * 1e3, 2)) ms, max \(fixed(worst * 1e3, 2)) ms  "
                    + "(target p99 < 100 ms: \(p99 < 0.1 ? "met" : "MISSED"))")
        }
    }
}

struct Row {
    var scenario: String
    var baseline: String
    var ours: Double
    var theirs: Double
    var target: Double
    /// The lowest and highest ratio of one repetition's pair (ours and the baseline run back to back).
    var low: Double
    var high: Double
    /// Whether the scenario's threads ran pinned one per core (``pinsThreads(_:)``).
    var pinned: Bool
    var ratio: Double { ours / theirs }
    var line: String {
        let goal = target > 0 ? "  target >= \(fixed(target, 1))x: \(ratio >= target ? "met" : "MISSED")" : ""
        return pad(scenario, 38) + "SlotQueue " + pad(fixed(ours / 1e6, 2), 6, left: true) + " M/s   "
            + pad(baseline, 12) + pad(fixed(theirs / 1e6, 2), 6, left: true) + " M/s   ratio "
            + pad(fixed(ratio, 2), 5, left: true) + "x (pairs \(fixed(low, 2))-\(fixed(high, 2)))" + goal
            + (pinned ? " [pinned]" : "")
    }
}

func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - text.count))
    return left ? fill + text : text + fill
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1
        ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func jsonReport(_ rows: [Row], cores: Int) -> String {
    let items = rows.map {
        """
        {"scenario":"\($0.scenario)","baseline":"\($0.baseline)","slotqueue_per_s":\(Int($0.ours)),\
        "baseline_per_s":\(Int($0.theirs)),"ratio":\(fixed($0.ratio, 3)),"pair_ratio_min":\(fixed($0.low, 3)),\
        "pair_ratio_max":\(fixed($0.high, 3)),"target":\($0.target),"pinned":\($0.pinned)}
        """
    }
    return "{\"cores\":\(cores),\"results\":[\(items.joined(separator: ","))]}"

}

extension SlotBench {
    /// Durable Submit throughput with 1, 8 and 32 clients, strict request-reply (window 1) and pipelined (window
    /// 16, and 8 clients × 64); latency p50/p99 per call, and CPU per submit. Durability `full` (fsync per commit) unless `--durability normal`.
    func runDaemonSuite() throws {
        var rows: [String] = []
        var peakEight: Double?
        let pairs = configurations.split(separator: ",").compactMap { item -> (Int, Int)? in
            let parts = item.split(separator: "x").compactMap { Int($0) }
            return parts.count == 2 && parts.allSatisfy({ $0 > 0 }) ? (parts[0], parts[1]) : nil
        }
        guard pairs.count == configurations.split(separator: ",").count else {
            throw ValidationError("--configurations: give CLIENTSxWINDOW pairs such as 8x1,32x16")
        }
        for (clients, window) in pairs {
            let perClient = max(50, submits / clients)
            FileHandle.standardError.write(
                Data("running: \(clients) client(s), window \(window), \(clients * perClient) submits\n".utf8))
            let r = try DaemonSubmitBenchmark.run(
                clients: clients, window: window, perClient: perClient,
                durability: durability, generator: loadGenerator)
            if clients == 8 && window == 1 { peakEight = max(peakEight ?? 0, r.perSecond) }
            if json {
                rows.append(
                    "{\"clients\":\(r.clients),\"window\":\(r.window),\"submits\":\(r.submits),\"per_second\":\(Int(r.perSecond)),\"p50_s\":\(r.p50),\"p99_s\":\(r.p99),\"daemon_cpu_us\":\(Int(r.daemonMicros)),\"client_cpu_us\":\(Int(r.clientMicros))}"
                )
            } else {
                print(
                    "\(r.clients) client(s), window \(r.window): \(r.submits) durable submits in \(fixed(r.seconds, 2)) s = "
                        + "\(Int(r.perSecond))/s; latency p50 \(fixed(r.p50 * 1e3, 2)) ms, p99 \(fixed(r.p99 * 1e3, 2)) ms; "
                        + "CPU per submit: daemon \(Int(r.daemonMicros)) µs, clients \(Int(r.clientMicros)) µs")
            }
        }
        // Latency at half the peak: the fastest 8-client strict request-reply rate measured above, halved, paced.
        if let peak = peakEight {
            let rate = peak / 2
            let perClient = max(50, submits / 8)
            FileHandle.standardError.write(Data("running: 8 clients paced at \(Int(rate))/s (half the peak)\n".utf8))
            let r = try DaemonSubmitBenchmark.run(
                clients: 8, window: 1, perClient: perClient, durability: durability,
                rate: rate, generator: loadGenerator)
            if json {
                rows.append(
                    "{\"clients\":8,\"paced_per_second\":\(Int(rate)),\"per_second\":\(Int(r.perSecond)),\"p50_s\":\(r.p50),\"p99_s\":\(r.p99)}"
                )
            } else {
                print(
                    "8 clients paced at half the peak (\(Int(rate))/s): achieved \(Int(r.perSecond))/s; latency p50 "
                        + "\(fixed(r.p50 * 1e3, 2)) ms, p99 \(fixed(r.p99 * 1e3, 2)) ms")
            }
        }
        if json {
            print(
                "{\"suite\":\"daemon\",\"durability\":\"\(durability)\",\"load_generator\":\"\(loadGenerator)\",\"results\":[\(rows.joined(separator: ","))]}"
            )
        }
    }
}

extension SlotBench {
    /// Restart with `--pending` requests: time until READY=1, RSS, and `slotctl list --all --limit N`.
    func runRestartSuite() throws {
        FileHandle.standardError.write(Data("building a state with \(pending) pending requests...\n".utf8))
        let r = try DaemonRestartBenchmark.run(pending: pending, listLimit: listLimit, keep: stateDirectory)
        if json {
            print(
                "{\"suite\":\"restart\",\"pending\":\(r.pending),\"ready_s\":\(r.readySeconds),\"rss_mib\":\(r.rssMiB),"
                    + "\"peak_rss_mib\":\(r.peakRSSMiB),\"queue_class_capacity\":\(r.classCapacity),"
                    + "\"list_s\":\(r.listSeconds),\"list_min_s\":\(r.listRange.0),\"list_max_s\":\(r.listRange.1),"
                    + "\"list_daemon_cpu_s\":\(r.listDaemonCPUSeconds),\"list_json_s\":\(r.listJSONSeconds),\"listed\":\(r.listed),\"list_default_s\":\(r.listDefaultSeconds)}"
            )
        } else {
            print(
                "state with \(r.pending) pending requests built in \(fixed(r.buildSeconds, 1)) s "
                    + "(queue_class_capacity \(r.classCapacity))")
            print(
                "restart until READY=1: \(fixed(r.readySeconds, 2)) s; RSS \(fixed(r.rssMiB, 0)) MiB "
                    + "(peak \(fixed(r.peakRSSMiB, 0)) MiB)")
            let perRow =
                r.listed > 0 ? " (\(fixed(r.listDaemonCPUSeconds / Double(r.listed) * 1e6, 1)) µs per row)" : ""
            print(
                "slotctl list --all --limit \(listLimit): \(r.listed) rows in \(fixed(r.listSeconds, 2)) s, median of 5 "
                    + "(\(fixed(r.listRange.0, 2))–\(fixed(r.listRange.1, 2)) s); slotd CPU \(fixed(r.listDaemonCPUSeconds, 2)) s\(perRow)"
            )
            print("slotctl list --all --limit \(listLimit) --json: \(fixed(r.listJSONSeconds, 2)) s (one run)")
            print(
                "slotctl list --all (default limit, the newest 100): \(fixed(r.listDefaultSeconds * 1e3, 1)) ms "
                    + "(median of 5)")
        }
    }
}

extension SlotBench {
    /// slotd in front of Slurm against plain sbatch (`SlurmBenchmark`); needs root, slurm-wlm and munge.
    func runSlurmSuite() throws {
        let r = try SlurmBenchmark.run(runs: slurmRuns, count: slurmJobs, poll: slurmPoll)
        func summary(_ samples: [Double]) -> (p50: Double, p99: Double) {
            let sorted = samples.sorted()
            guard !sorted.isEmpty else { return (.nan, .nan) }
            return (sorted[sorted.count / 2], sorted[min(sorted.count - 1, sorted.count * 99 / 100)])
        }
        let rows: [(String, [Double])] = [
            ("submit to running, slotd", r.submitToRunning.slotd),
            ("submit to running, sbatch", r.submitToRunning.sbatch),
            ("grant to running, slotd", r.grantToRunning),
            ("end noticed, slotd", r.endNoticed.slotd),
            ("end seen by squeue every 20 ms", r.endNoticed.squeue),
        ]
        if json {
            let fields = rows.map { name, samples in
                let s = summary(samples)
                return "{\"what\":\"\(name)\",\"n\":\(samples.count),\"p50_s\":\(s.p50),\"p99_s\":\(s.p99)}"
            }
            print(
                "{\"suite\":\"slurm\",\"poll_ms\":\(slurmPoll),\"latencies\":[\(fields.joined(separator: ","))],"
                    + "\"jobs\":\(r.batch.count),\"slotd_s\":\(r.batch.slotd),\"sbatch_s\":\(r.batch.sbatch)}")
            return
        }
        print("slotd in front of Slurm (3-node test cluster, poll \(slurmPoll) ms), \(slurmRuns) alternated runs:")
        for (name, samples) in rows {
            let s = summary(samples)
            print("  \(name): p50 \(fixed(s.p50 * 1e3, 1)) ms, p99 \(fixed(s.p99 * 1e3, 1)) ms (n=\(samples.count))")
        }
        let slotdP50 = summary(r.submitToRunning.slotd).p50, sbatchP50 = summary(r.submitToRunning.sbatch).p50
        print("  submit to running, slotd ÷ sbatch (p50): \(fixed(slotdP50 / sbatchP50, 2))×")
        print(
            "  \(r.batch.count) one-GPU `true` jobs: slotd \(fixed(r.batch.slotd, 1)) s, sbatch \(fixed(r.batch.sbatch, 1)) s "
                + "(\(fixed(r.batch.slotd / r.batch.sbatch, 2))×)")
        let noticed = summary(r.endNoticed.slotd).p99
        print("  end noticed p99 \(fixed(noticed, 2)) s (target ≤ 2 s: \(noticed <= 2 ? "met" : "MISSED"))")
    }
}
