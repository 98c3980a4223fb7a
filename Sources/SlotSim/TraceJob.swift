/// One job of a workload trace, as the trace describes it (before the mapping adds what traces lack).
public struct TraceJob: Sendable, Hashable {
    /// Submit time, milliseconds since the Unix epoch.
    public var submittedAt: Int64
    /// How long the job actually ran, milliseconds (at least 1 s).
    public var runtime: Int64
    /// The time limit the trace records, milliseconds; nil when the trace has none (Philly).
    public var requestedLimit: Int64?
    /// GPUs and CPUs on each node (the whole job when `nodes` is 1).
    public var gpus: Int
    public var cpus: Int
    /// Nodes the job spanned (a gang when more than one).
    public var nodes = 1
    /// The GPU type it ran on or asked for (sacct's `gres/gpu:TYPE`, the CSV's `gpu_type`); nil: any.
    public var gpuType: String?
    /// Memory per node when the trace says (sacct, CSV); nil: the mapping's default.
    public var memoryMiB: Int?
    /// Who submitted it: a Philly virtual cluster or an SWF user; becomes the account.
    public var owner: String
    /// The 1-based line of the trace file, for error messages.
    public var line: Int

    public init(
        submittedAt: Int64, runtime: Int64, requestedLimit: Int64?, gpus: Int, cpus: Int, owner: String,
        line: Int
    ) {
        self.submittedAt = submittedAt
        self.runtime = runtime
        self.requestedLimit = requestedLimit
        self.gpus = gpus
        self.cpus = cpus
        self.owner = owner
        self.line = line
    }
}

/// The trace formats `slotctl simulate` reads.
public enum TraceFormat: String, Sendable, CaseIterable, Codable {
    /// Parallel Workloads Archive Standard Workload Format: `;` comments, 18 fields per job.
    case swf
    /// The Philly GPU trace CSV: `timestamp,duration,num_gpus,gpu_time,cluster`.
    case philly
    /// A Slurm accounting export: `sacct --allocations --parsable2` with the fields of `docs/simulator.md`.
    case sacct
    /// slotd's own CSV for traces from elsewhere: `submit,duration,time_limit,nodes,gpus_per_node,gpu_type,
    /// cpus_per_node,memory_gib_per_node,user`.
    case jobs

    /// Guesses the format from the file name (`.swf`, `.sacct`) or, for a `.csv` or anything else, from its first
    /// line: sacct's `|`-separated header, slotd's `submit,duration,...` or Philly's `timestamp,...`.
    public static func guess(path: String, firstLine: String? = nil) -> TraceFormat? {
        if path.hasSuffix(".swf") { return .swf }
        if path.hasSuffix(".sacct") { return .sacct }
        let header = firstLine ?? ""
        if header.contains("|"), header.contains("Submit") { return .sacct }
        if header.hasPrefix("submit,duration") { return .jobs }
        if path.hasSuffix(".csv") { return .philly }
        return nil
    }
}

/// Why a trace could not be read. Each case names the line and what was expected.
public enum TraceError: Error, Sendable, Hashable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case malformed(path: String, line: Int, expected: String, found: String)
    case empty(path: String)

    public var code: String {
        switch self {
        case .unreadable: "trace.unreadable"
        case .malformed: "trace.malformed"
        case .empty: "trace.empty"
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read trace \(path): \(reason)"
        case .malformed(let path, let line, let expected, let found):
            "\(path):\(line): expected \(expected), found \"\(found.prefix(80))\""
        case .empty(let path): "trace \(path) has no usable jobs"
        }
    }
}
