/// Capacity a cluster's node gives to work slotd did not start (another partition's job on a shared node, a job an
/// operator submitted by hand): slotd counts it as taken, so it never plans a slot onto GPUs Slurm has given away.
public struct OutsideHold: Sendable, Hashable {
    /// The cluster's job id.
    public var job: Int
    public var node: String
    public var gpus: Int
    public var cpus: Int
    public var memoryMiB: Int
    /// When the cluster will end it at the latest (its time limit), in ms since the epoch; nil: no limit.
    public var end: Int64?

    public init(job: Int, node: String, gpus: Int, cpus: Int, memoryMiB: Int, end: Int64?) {
        self.job = job
        self.node = node
        self.gpus = gpus
        self.cpus = cpus
        self.memoryMiB = memoryMiB
        self.end = end
    }
}
