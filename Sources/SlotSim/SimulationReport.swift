import SlotCore

/// Wait and slowdown statistics of a group of jobs (a category, a sector or a class).
public struct GroupStats: Sendable, Hashable, Codable {
    public var name: String
    public var jobs: Int
    public var started: Int
    public var rejected: Int
    /// Jobs still waiting when the simulation ended (their wait is counted up to that end).
    public var neverStarted: Int
    public var meanWaitSeconds: Double
    public var medianWaitSeconds: Double
    public var p95WaitSeconds: Double
    public var longestWaitSeconds: Double
    /// Mean of max(1, (wait + run) / max(run, 10 s)).
    public var meanBoundedSlowdown: Double
    /// Jain's fairness index of the jobs' bounded slowdowns: 1 when every job was slowed alike.
    public var jainIndex: Double
}

/// The summary `slotctl simulate` prints: utilisation, waits and slowdowns by category, sector and class.
public struct SimulationReport: Sendable, Codable {
    public var jobs: Int
    public var started: Int
    public var rejected: Int
    public var rejectionsByReason: [String: Int]
    public var expired: Int
    public var backfilledStarts: Int
    /// Share of the machines' GPU time (CPU time when they have no GPUs) used, from first submit to last event.
    public var utilisation: Double
    public var utilisationResource: String
    /// GPU utilisation per GPU type of the inventory (same span), when it has GPUs.
    public var utilisationByGPUType: [String: Double]
    /// Jobs that spanned several nodes, and how many of them started.
    public var multiNodeJobs: Int
    public var multiNodeStarted: Int
    public var simulatedSeconds: Double
    public var wallSeconds: Double
    public var eventsPerSecond: Double
    public var byCategory: [GroupStats]
    public var bySector: [GroupStats]
    /// Per (category, sector): the starvation check (longest wait) and fairness within the class.
    public var byClass: [GroupStats]
    /// Sorted waits (seconds) of started jobs per category, for plots.
    public var waitsByCategory: [String: [Double]]
    /// Why the earliest job still queued at the end was waiting (nil when every admitted job started).
    public var firstStillQueued: Explanation?

    public init(run: SimulationRun) {
        let outcomes = run.outcomes
        let end = run.finishedAt
        jobs = outcomes.count
        started = outcomes.filter { $0.start != nil }.count
        rejected = outcomes.filter { !$0.rejected.isEmpty }.count
        rejectionsByReason = outcomes.flatMap(\.rejected).reduce(into: [:]) { $0[$1, default: 0] += 1 }
        expired = outcomes.filter(\.expired).count
        backfilledStarts = run.backfilledStarts
        let gpuMode = run.inventory.totalGPUs > 0
        utilisationResource = gpuMode ? "GPU" : "CPU"
        let capacity = Double(gpuMode ? run.inventory.totalGPUs : run.inventory.nodes.reduce(0) { $0 + $1.cpus })
        let first = outcomes.map(\.submittedAt).min() ?? 0
        let busy = outcomes.reduce(0.0) { total, job in
            guard let start = job.start else { return total }
            return total + Double((job.end ?? end) - start) / 1_000 * Double(gpuMode ? job.gpus : job.cpus)
        }
        simulatedSeconds = Double(max(1, end - first)) / 1_000
        utilisation = capacity > 0 ? busy / (capacity * simulatedSeconds) : 0
        var byType: [String: Double] = [:]
        for type in run.inventory.gpuTypes {
            let gpus = run.inventory.nodes.filter { $0.gpuType == type }.reduce(0) { $0 + $1.gpus.count }
            let used = outcomes.reduce(0.0) { total, job in
                guard let start = job.start, let gpus = job.gpusByType[type] else { return total }
                return total + Double((job.end ?? end) - start) / 1_000 * Double(gpus)
            }
            byType[type] = gpus > 0 ? used / (Double(gpus) * simulatedSeconds) : 0
        }
        utilisationByGPUType = byType
        multiNodeJobs = outcomes.filter { $0.nodes > 1 }.count
        multiNodeStarted = outcomes.filter { $0.nodes > 1 && $0.start != nil }.count
        wallSeconds = run.wallSeconds
        eventsPerSecond = Double(run.events) / max(run.wallSeconds, 1e-9)
        let admitted = outcomes.filter { $0.rejected.isEmpty }
        byCategory = Self.groups(outcomes, key: \.category, end: end)
        bySector = Self.groups(outcomes, key: \.sector, end: end)
        byClass = Self.groups(outcomes, key: { "\($0.category)/\($0.sector)" }, end: end)
        firstStillQueued = run.firstStillQueued
        waitsByCategory = Dictionary(grouping: admitted.filter { $0.start != nil }, by: \.category)
            .mapValues { $0.compactMap(\.wait).map { Double($0) / 1_000 }.sorted() }
    }

    static func groups(_ outcomes: [JobOutcome], key: (JobOutcome) -> String, end: Int64) -> [GroupStats] {
        Dictionary(grouping: outcomes, by: key).map { name, jobs in stats(name, jobs, end: end) }
            .sorted { $0.name < $1.name }
    }

    static func stats(_ name: String, _ jobs: [JobOutcome], end: Int64) -> GroupStats {
        let admitted = jobs.filter { $0.rejected.isEmpty }
        // A job still waiting at the end counts with the wait it has had so far (a lower bound).
        let waits = admitted.map { Double(($0.start ?? end) - $0.submittedAt) / 1_000 }.sorted()
        let slowdowns = admitted.map { job -> Double in
            let wait = Double((job.start ?? end) - job.submittedAt) / 1_000
            let run = Double(((job.end ?? end) - (job.start ?? end))) / 1_000
            return max(1, (wait + run) / max(run, 10))
        }
        let sum = slowdowns.reduce(0, +), squares = slowdowns.reduce(0) { $0 + $1 * $1 }
        return GroupStats(
            name: name, jobs: jobs.count, started: admitted.filter { $0.start != nil }.count,
            rejected: jobs.count - admitted.count, neverStarted: admitted.filter { $0.start == nil }.count,
            meanWaitSeconds: waits.isEmpty ? 0 : waits.reduce(0, +) / Double(waits.count),
            medianWaitSeconds: percentile(waits, 0.5), p95WaitSeconds: percentile(waits, 0.95),
            longestWaitSeconds: waits.last ?? 0,
            meanBoundedSlowdown: slowdowns.isEmpty ? 0 : sum / Double(slowdowns.count),
            jainIndex: squares > 0 ? sum * sum / (Double(slowdowns.count) * squares) : 1
        )
    }
}

/// The nearest-rank percentile of sorted `values` (0 for none).
func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}
