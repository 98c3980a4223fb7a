import Foundation
import SlotCore
import SlotSim
import Testing

/// The operator's own history (a sacct export made by a real Slurm) and slotd's CSV replay with their multi-node
/// jobs as gangs and their GPU types as such.
@Suite struct ClusterTraceTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// Made by `Tests/SlotSimTests/Fixtures/generate-sacct` with Debian 12's Slurm 22.05.
    static let fixture = repository.appendingPathComponent("Tests/SlotSimTests/Fixtures/slurm-22.05.sacct").path

    static let policy = Policy(
        effective: "2026-12-01", sectors: [Sector(id: "health", name: "Health", weight: 0)],
        categories: [
            ApplicantCategory(
                id: "uni", name: "Universities", weight: 0, maxDuration: .days(30), maxConcurrentGPUs: 64,
                gpuHoursPerPeriod: 100_000, sectors: ["*"])
        ],
        aging: AgingRule(pointsPerHour: 1, cap: 10), fairShare: FairShareRule(weight: 0, halfLife: .days(7)))

    func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("slotd-\(UUID().uuidString).csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("Invariant: a real sacct export reads per node: nodes, GPUs, type, CPUs, memory, limit and user")
    func readsSacct() throws {
        #expect(TraceFormat.guess(path: Self.fixture) == .sacct)
        let jobs = try TraceReader.read(path: Self.fixture, format: .sacct)
        #expect(jobs.count == 9, "the cancelled job never started and is left out")
        let gang = try #require(jobs.first { $0.line == 3 })  // -N 2 --gres=gpu:h100:2 -c 2 --mem=1G -t 0:30:00
        #expect(gang.nodes == 2 && gang.gpus == 2 && gang.gpuType == "h100" && gang.cpus == 2)
        #expect(gang.memoryMiB == 1_024 && gang.requestedLimit == 30 * 60_000)
        let mixed = try #require(jobs.first { $0.line == 7 })  // -N 3 --gres=gpu:1: got h100 and l40s
        #expect(mixed.nodes == 3 && mixed.gpus == 1 && mixed.gpuType == nil)
        let cpuOnly = try #require(jobs.first { $0.line == 6 })  // -c 4 --mem=1G -t 2-00:00:00
        #expect(cpuOnly.gpus == 0 && cpuOnly.cpus == 4 && cpuOnly.requestedLimit == 2 * 86_400_000)
        #expect(jobs.first { $0.line == 9 }?.owner == "nobody")
        #expect(jobs.filter { $0.nodes > 1 }.count == 4)
    }

    @Test("Invariant: replayed on the cluster it came from, every job starts, gangs as gangs, per-type use adds up")
    func replaysSacct() throws {
        let jobs = try TraceReader.read(path: Self.fixture, format: .sacct)
        let inventory = try #require(Inventory(spec: "2x2:h100:4:4,2x2:l40s:4:4"))
        let run = Simulation(policy: Self.policy, inventory: inventory, seed: 1).run(jobs)
        #expect(run.outcomes.allSatisfy { $0.start != nil && $0.rejected.isEmpty })
        let report = SimulationReport(run: run)
        #expect(report.multiNodeJobs == 4 && report.multiNodeStarted == 4)
        let h100 = try #require(report.utilisationByGPUType["h100"])
        let l40s = try #require(report.utilisationByGPUType["l40s"])
        #expect(abs((h100 * 4 + l40s * 4) / 8 - report.utilisation) < 1e-9, "by type sums to the whole")
        // The h100 gang ran on two h100 nodes.
        let gang = try #require(run.outcomes.first { $0.nodes == 2 && $0.gpus == 4 })
        #expect(gang.gpusByType == ["h100": 4])
    }

    @Test("Invariant: slotd's CSV is read strictly, sizes per node")
    func readsJobsCSV() throws {
        let header = TraceReader.jobsHeader
        let path = try write(
            "\(header)\n1700000000,3600,7200,4,8,h100,32,256,alice\n2026-01-02T03:04:05,60,,1,0,,2,1.5,bob\n")
        #expect(TraceFormat.guess(path: path, firstLine: header) == .jobs)
        let jobs = try TraceReader.read(path: path, format: .jobs)
        #expect(jobs.count == 2)
        #expect(
            jobs[0].nodes == 4 && jobs[0].gpus == 8 && jobs[0].gpuType == "h100" && jobs[0].memoryMiB == 256 * 1_024)
        #expect(jobs[0].submittedAt == 1_700_000_000_000 && jobs[0].requestedLimit == 7_200_000)
        #expect(jobs[1].requestedLimit == nil && jobs[1].memoryMiB == 1_536 && jobs[1].owner == "bob")
        for bad in ["1,60,,0,1,,1,1,u", "1,60,,1,1,H100,1,1,u", "1,60,,1,1,,1,1,", "x,60,,1,1,,1,1,u"] {
            let file = try write("\(header)\n\(bad)\n")
            #expect(throws: TraceError.self, "\(bad)") { try TraceReader.read(path: file, format: .jobs) }
        }
        let noHeader = try write("1,60,,1,1,,1,1,u\n")
        #expect(throws: TraceError.self) { try TraceReader.read(path: noHeader, format: .jobs) }
    }

    @Test("Invariant: a public trace converted by Tools/swf-to-jobs-csv replays its parallel jobs as gangs")
    func convertedPublicTrace() throws {
        let swf = TraceReaderTests.traces.appendingPathComponent("HPC2N-2002-2.2-cln.first57days.swf").path
        try #require(FileManager.default.fileExists(atPath: swf), "set SLOTD_SHARED_DIR to the shared/ folder")
        let converter = Process()
        converter.executableURL = Self.repository.appendingPathComponent("Tools/swf-to-jobs-csv")
        converter.arguments = [swf, "2"]
        let pipe = Pipe()
        converter.standardOutput = pipe
        try converter.run()
        let csv = pipe.fileHandleForReading.readDataToEndOfFile()
        converter.waitUntilExit()
        #expect(converter.terminationStatus == 0)
        let path = try write(String(decoding: csv, as: UTF8.self))
        let jobs = try TraceReader.read(path: path, format: .jobs)
        #expect(jobs.count == 3_145)
        let run = Simulation(policy: Self.policy, inventory: Inventory(spec: "120x0:2")!, seed: 1).run(jobs)
        let report = SimulationReport(run: run)
        #expect(report.multiNodeJobs > 2_000 && report.multiNodeStarted == report.multiNodeJobs)
        #expect(run.outcomes.allSatisfy { $0.rejected.isEmpty })
    }
}
