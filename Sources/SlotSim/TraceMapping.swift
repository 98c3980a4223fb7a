import SlotCore

/// What traces lack, filled in by a seeded, documented mapping, so a simulation is reproducible from its seed.
///
/// - **Account**: one per SWF user (`user-<id>`). Philly has no users: each virtual cluster is split into 8 accounts
///   (`tenant-<cluster>-u<k>`, k from a fixed hash of the job's line), since a cluster is a team, not one applicant.
/// - **Category**: per account, drawn uniformly from the policy's categories (sorted by id) by a generator seeded
///   with `seed` and the account name, so an account keeps its category across runs and policies with the same ids.
/// - **Sector**: per job, drawn uniformly from the sectors the category may use (sorted by id), by a generator
///   seeded with `seed` and the job's position in the trace.
/// - **Time limit**: the trace's requested limit if it has one (SWF), else the run time rounded up to the next of
///   15m, 1h, 2h, 4h, 8h, 12h, 24h, 48h, 72h, 7d, 14d, 30d, 90d; then capped at the category's `max_duration`. A job
///   that runs longer than its limit expires at the limit, as on the platform (Art. 25).
/// - **Resources**: Philly: the job's GPUs, 4 CPUs and 16 GiB per GPU. SWF: the job's processors as CPUs, 1 GiB
///   each, no GPUs. sacct and slotd's CSV: the job's nodes, and per node its GPUs, CPUs and memory (16 GiB per GPU,
///   or 1 GiB per CPU without GPUs, when the trace gives none), on the GPU type it ran on if it names one.
public struct TraceMapping: Sendable {
    public let seed: UInt64
    public let policy: Policy

    static let buckets: [Int64] = [
        15 * 60, 3_600, 7_200, 14_400, 28_800, 43_200, 86_400, 172_800, 259_200, 604_800, 1_209_600, 2_592_000,
        7_776_000,
    ].map { $0 * 1_000 }

    public init(seed: UInt64, policy: Policy) {
        self.seed = seed
        self.policy = policy
    }

    public func account(for job: TraceJob) -> Account {
        var rng = SplitMix64(seed: seed ^ Self.fnv1a(job.owner))
        let categories = policy.categories.map(\.id).sorted()
        return Account(name: job.owner, category: categories[Int(rng.next() % UInt64(categories.count))])
    }

    /// The request for job number `index` of the trace.
    public func request(for job: TraceJob, index: Int, id: UInt64) -> SlotRequest {
        let account = account(for: job)
        let category = policy.category(account.category)
        var rng = SplitMix64(seed: seed &+ 0x5EC7_0000_0000 &+ UInt64(index))
        let allowed = policy.sectors.map(\.id).filter { category?.allows(sector: $0) ?? true }.sorted()
        let sector = allowed.isEmpty ? "" : allowed[Int(rng.next() % UInt64(allowed.count))]
        let limit = job.requestedLimit ?? (Self.buckets.first { $0 >= job.runtime } ?? Self.buckets.last!)
        let capped = min(limit, category?.maxDuration.milliseconds ?? limit)
        // sacct and the CSV give sizes per node (their readers fill memory when the trace has none).
        let given = job.memoryMiB != nil
        let resources =
            job.gpus > 0
            ? Resources(
                gpus: job.gpus, cpus: given ? max(1, job.cpus) : 4 * job.gpus,
                memoryMiB: job.memoryMiB ?? 16 * 1_024 * job.gpus)
            : Resources(gpus: 0, cpus: max(1, job.cpus), memoryMiB: job.memoryMiB ?? 1_024 * job.cpus)
        return SlotRequest(
            id: id, account: account.name, sector: sector, resources: resources, duration: capped,
            purpose: "trace line \(job.line)", submittedAt: job.submittedAt,
            gpuTypes: job.gpuType.map { [$0] }, nodes: max(1, job.nodes))
    }

    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01B3
        }
        return hash
    }
}
