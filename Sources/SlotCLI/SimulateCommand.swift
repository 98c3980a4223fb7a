import ArgumentParser
import Foundation
import SlotCore
import SlotPolicy
import SlotSim

/// `slotctl simulate`: replays a real workload trace through the scheduler engine on virtual time, offline.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Replay a workload trace through the scheduler under a policy, offline, and report waits.",
        discussion: """
            Runs the same engine as slotd on virtual time. Jobs without a sector, category or time limit get them \
            from a seeded mapping (see docs/simulator.md), so a run is reproducible from --seed. \
            Use --compare to see what a policy change would do before applying it.
            Examples:
              slotctl simulate --trace ../shared/traces/philly_pollux_jobs.csv
              slotctl simulate --trace ../shared/traces/HPC2N-2002-2.2-cln.first57days.swf --svg waits.svg
              slotctl simulate --trace T.csv --compare Policies/examples/equal-access.toml
              slotctl simulate --trace history.sacct --nodes 32x8:h100,16x4:l40s
            A Slurm accounting export (sacct, see docs/simulator.md for the command) or slotd's own CSV replays \
            multi-node jobs as gangs and GPU types as such; give the cluster's nodes with --nodes.
            """
    )

    @Option(help: "The policy to simulate.", completion: .file(extensions: ["toml"]))
    var policy = "Policies/default.toml"

    @Option(help: "The workload trace (Philly CSV, SWF, a sacct export or slotd's jobs CSV).", completion: .file())
    var trace: String

    @Option(help: "Trace format: swf, philly, sacct or jobs (default: from the file name and its first line).")
    var format: TraceFormat?

    @Option(
        help:
            "Machines: COUNTxGPUS[:TYPE][:CPUS[:MEMORY_GIB]], comma-separated (default: 16x8 for philly, 1x0:240 for swf; required for sacct and jobs)."
    )
    var nodes: String?

    @Option(help: "Seed of the mapping from trace jobs to categories and sectors.")
    var seed: UInt64 = 1

    @Option(help: "Pending requests examined per scheduling pass.")
    var backfillWindow = 256

    @Option(
        help: "A second policy to run on the same trace; prints the difference per category.",
        completion: .file(extensions: ["toml"]))
    var compare: String?

    @Option(help: "Write an SVG plot of wait-time distributions per category to this file.", completion: .file())
    var svg: String?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if let nodes, Inventory(spec: nodes) == nil {
            throw ValidationError(
                "--nodes '\(nodes)' is not COUNTxGPUS[:TYPE][:CPUS[:MEMORY_GIB]], e.g. 16x8, 4x8:h100 or 1x0:240")
        }
        guard let format = format ?? TraceFormat.guess(path: trace, firstLine: Self.firstLine(of: trace)) else {
            throw ValidationError(
                "cannot tell the format of '\(trace)' from its name or first line; pass --format swf, philly, sacct or jobs"
            )
        }
        if nodes == nil, format == .sacct || format == .jobs {
            throw ValidationError(
                "a \(format.rawValue) trace does not say what machines ran it: give --nodes, e.g. 4x8:h100")
        }
        guard backfillWindow >= 1 else { throw ValidationError("--backfill-window must be at least 1") }
    }

    /// The first line of `path`, for guessing its format (nil when it cannot be read; reading it reports that).
    static func firstLine(of path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 4_096)) ?? Data()
        return String(decoding: head, as: UTF8.self).split(separator: "\n", maxSplits: 1).first.map(String.init)
    }

    func run() throws {
        let format = self.format ?? TraceFormat.guess(path: trace, firstLine: Self.firstLine(of: trace)) ?? .philly
        let inventory = Inventory(spec: nodes ?? (format == .philly ? "16x8" : "1x0:240"))!
        let primary = try loadPolicy(policy)
        let jobs: [TraceJob]
        do {
            jobs = try TraceReader.read(path: trace, format: format)
        } catch {
            let missing = !FileManager.default.fileExists(atPath: trace)
            try fail(code: error.code, message: error.description, status: missing ? .notFound : .error)
        }
        let first = simulate(primary, jobs: jobs, inventory: inventory, label: "A")
        let title =
            "Simulation of \(trace) (\(format.rawValue), \(jobs.count) jobs) on \(nodes ?? "default") "
            + "machines (\(inventory.totalGPUs) GPUs), policy \(policy), seed \(seed)"
        if let svg {
            do {
                try first.svg(title: "Wait before start by category: \(policy)")
                    .write(toFile: svg, atomically: true, encoding: .utf8)
            } catch {
                try fail(
                    code: "output.unwritable", message: "cannot write \(svg): \(error.localizedDescription)",
                    status: .error)
            }
        }
        guard let compare else {
            print(output.json ? encodeJSON(first) : first.text(title: title))
            return
        }
        let other = try loadPolicy(compare)
        let second = simulate(other, jobs: jobs, inventory: inventory, label: "B")
        let comparison = SimulationComparison(first, second, names: [policy, compare])
        if output.json {
            struct Both: Encodable {
                var a: SimulationReport; var b: SimulationReport; var comparison: SimulationComparison
            }
            print(encodeJSON(Both(a: first, b: second, comparison: comparison)))
        } else {
            print(first.text(title: title) + "\n\n" + comparison.text())
        }
    }

    private func simulate(_ policy: Policy, jobs: [TraceJob], inventory: Inventory, label: String) -> SimulationReport {
        var simulation = Simulation(policy: policy, inventory: inventory, seed: seed)
        simulation.backfillWindow = backfillWindow
        let run = simulation.run(jobs) { progress in
            FileHandle.standardError.write(
                Data(
                    ("simulate \(label): replayed \(progress.jobsReplayed)/"
                        + "\(progress.jobsTotal) jobs, simulated time \(Timestamp(progress.simulatedTime)), "
                        + "\(Int(progress.eventsPerSecond)) events/s\n").utf8))
        }
        return SimulationReport(run: run)
    }

    private func loadPolicy(_ path: String) throws -> Policy {
        do {
            return try PolicyLoader.load(contentsOf: path).policy
        } catch {
            let status: ExitStatus =
                switch error {
                case .unreadable: FileManager.default.fileExists(atPath: path) ? .error : .notFound
                case .rejected: .rejectedByPolicy
                }
            try fail(code: error.code, message: error.description, status: status)
        }
    }

    private func fail(code: String, message: String, status: ExitStatus) throws -> Never {
        if output.json {
            print(CLIError(code: code, message: message).json())
        } else {
            FileHandle.standardError.write(Data("slotctl: \(message)\n".utf8))
        }
        throw status.exitCode
    }
}

extension TraceFormat: ExpressibleByArgument {}
