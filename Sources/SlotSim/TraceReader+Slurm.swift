import Foundation
import SlotCore

/// The operator's own history: a Slurm accounting export, and slotd's small CSV for traces from elsewhere.
extension TraceReader {
    /// The sacct fields a trace must have (any order, as `--format` names them); `AllocTRES` or `ReqTRES` gives
    /// the GPUs, CPUs and memory, `Account` and `State` are read when present.
    static let sacctFields = ["Submit", "Start", "End", "Timelimit", "NNodes", "User"]

    /// `sacct --allocations --parsable2` with a header line. Jobs that never started (no `Start` or `End`) are left
    /// out: their run time is unknown. Times are read as UTC (export with `TZ=UTC`).
    static func sacct(_ text: String, path: String) throws(TraceError) -> [TraceJob] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().makeIterator()
        guard let (_, headerLine) = lines.next() else { return [] }
        let header = headerLine.split(separator: "|", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        let column = Dictionary(header.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let missing = sacctFields.filter { column[$0] == nil }
        guard missing.isEmpty, column["AllocTRES"] != nil || column["ReqTRES"] != nil else {
            throw .malformed(
                path: path, line: 1,
                expected: "a sacct --parsable2 header with "
                    + (sacctFields + ["AllocTRES or ReqTRES"]).joined(
                        separator: ", "), found: String(headerLine))
        }
        var jobs: [TraceJob] = []
        while let (index, raw) = lines.next() {
            let line = String(raw)
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            func field(_ name: String) -> String? {
                column[name].flatMap { fields.indices.contains($0) ? fields[$0] : nil }
            }
            guard fields.count == header.count else {
                throw .malformed(path: path, line: index + 1, expected: "\(header.count) fields", found: line)
            }
            guard let submit = epochMillis(Substring(field("Submit") ?? "")) else {
                throw .malformed(path: path, line: index + 1, expected: "Submit as YYYY-MM-DDTHH:MM:SS", found: line)
            }
            // Never started, or still running: no run time to replay.
            guard let start = epochMillis(Substring(field("Start") ?? "")),
                let end = epochMillis(Substring(field("End") ?? ""))
            else { continue }
            guard let nodes = Int(field("NNodes") ?? ""), nodes >= 1 else {
                throw .malformed(path: path, line: index + 1, expected: "NNodes a positive number", found: line)
            }
            let allocated = field("AllocTRES") ?? ""
            let tres = try Self.tres(
                allocated.isEmpty ? field("ReqTRES") ?? "" : allocated, path: path, line: index + 1)
            let limit = try Self.slurmDuration(field("Timelimit") ?? "", path: path, line: index + 1)
            let gpusPerNode = (tres.gpus + nodes - 1) / nodes
            let cpusPerNode = max(1, (tres.cpus + nodes - 1) / nodes)
            var job = TraceJob(
                submittedAt: submit, runtime: max(1_000, end - start), requestedLimit: limit, gpus: gpusPerNode,
                cpus: cpusPerNode, owner: field("User").map { $0.isEmpty ? "unknown" : $0 } ?? "unknown",
                line: index + 1)
            job.nodes = nodes
            job.gpuType = tres.gpuType
            job.memoryMiB =
                tres.memoryMiB.map { max(1, ($0 + nodes - 1) / nodes) }
                ?? (gpusPerNode > 0 ? 16 * 1_024 * gpusPerNode : 1_024 * cpusPerNode)
            jobs.append(job)
        }
        return jobs
    }

    /// `billing=8,cpu=8,gres/gpu:h100=2,gres/gpu=2,mem=16G,node=2`: totals over the job's nodes.
    static func tres(_ text: String, path: String, line: Int) throws(TraceError)
        -> (gpus: Int, cpus: Int, memoryMiB: Int?, gpuType: String?)
    {
        var gpus = 0, cpus = 0
        var memory: Int?
        var types: [String] = []
        for item in text.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else {
                throw .malformed(path: path, line: line, expected: "TRES as name=value,...", found: text)
            }
            let name = pair[0], value = String(pair[1])
            switch name {
            case "cpu": cpus = Int(value) ?? 0
            case "mem": memory = mebibytes(value)
            case "gres/gpu": gpus = Int(value) ?? 0
            default:
                if name.hasPrefix("gres/gpu:"), GPU.isValidType(name.dropFirst(9)) {
                    types.append(String(name.dropFirst(9)))
                    if gpus == 0 { gpus = Int(value) ?? 0 }
                }
            }
        }
        // A job that got GPUs of several types ran on whatever was free: it replays as accepting any type.
        return (gpus, cpus, memory, types.count == 1 ? types[0] : nil)
    }

    /// Slurm's sizes: `16G`, `512M`, `1T`, `1024K`; a bare number is MiB.
    static func mebibytes(_ text: String) -> Int? {
        let units: [Character: Double] = ["K": 1.0 / 1_024, "M": 1, "G": 1_024, "T": 1_024 * 1_024]
        guard let last = text.last else { return nil }
        let factor = units[last] ?? 1
        guard let number = Double(units[last] == nil ? text : String(text.dropLast())) else { return nil }
        return Int((number * factor).rounded(.up))
    }

    /// Slurm's time limits: `[D-]HH:MM:SS`, `MM:SS`, `MM`; `UNLIMITED`, `Partition_Limit` and empty are none.
    static func slurmDuration(_ text: String, path: String, line: Int) throws(TraceError) -> Int64? {
        if text.isEmpty || text == "UNLIMITED" || text == "Partition_Limit" || text == "INVALID" { return nil }
        let dayParts = text.split(separator: "-", maxSplits: 1)
        let days = dayParts.count == 2 ? Int64(dayParts[0]) : 0
        let clock = (dayParts.count == 2 ? dayParts[1] : dayParts[0]).split(separator: ":").map { Int64($0) }
        guard let days, !clock.isEmpty, clock.count <= 3, clock.allSatisfy({ $0 != nil }) else {
            throw .malformed(path: path, line: line, expected: "a time limit as [D-]HH:MM:SS", found: text)
        }
        let values = clock.map { $0! }
        let seconds: Int64 =
            switch values.count {
            case 3: values[0] * 3_600 + values[1] * 60 + values[2]
            case 2: values[0] * 60 + values[1]
            default: values[0] * 60
            }
        return (days * 86_400 + seconds) * 1_000
    }

    /// The header slotd's CSV must start with.
    public static let jobsHeader =
        "submit,duration,time_limit,nodes,gpus_per_node,gpu_type,cpus_per_node,memory_gib_per_node,user"

    /// slotd's CSV (`docs/simulator.md`): submit as `YYYY-MM-DDTHH:MM:SS` (UTC) or Unix seconds, duration and
    /// time limit in seconds (limit may be empty), sizes per node, gpu_type empty for any.
    static func jobsCSV(_ text: String, path: String) throws(TraceError) -> [TraceJob] {
        var jobs: [TraceJob] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if index == 0 {
                guard line == jobsHeader else {
                    throw .malformed(path: path, line: 1, expected: jobsHeader, found: line)
                }
                continue
            }
            if line.isEmpty || line.hasPrefix("#") { continue }
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            let submit = f.count == 9 ? (Int64(f[0]).map { $0 * 1_000 } ?? epochMillis(Substring(f[0]))) : nil
            guard f.count == 9, let submit, let duration = Double(f[1]), duration >= 0,
                let nodes = Int(f[3]), (1...1_024).contains(nodes), let gpus = Int(f[4]), (0...64).contains(gpus),
                let cpus = Int(f[6]), cpus >= 1, let memory = Double(f[7]), memory > 0,
                f[5].isEmpty || GPU.isValidType(f[5]), f[2].isEmpty || Double(f[2]) != nil, !f[8].isEmpty
            else {
                throw .malformed(
                    path: path, line: index + 1, expected: jobsHeader + " (see docs/simulator.md)", found: line)
            }
            var job = TraceJob(
                submittedAt: submit, runtime: max(1_000, Int64(duration * 1_000)),
                requestedLimit: Double(f[2]).map { Int64($0 * 1_000) }, gpus: gpus, cpus: cpus, owner: f[8],
                line: index + 1)
            job.nodes = nodes
            job.gpuType = f[5].isEmpty ? nil : f[5]
            job.memoryMiB = Int((memory * 1_024).rounded(.up))
            jobs.append(job)
        }
        return jobs
    }
}
