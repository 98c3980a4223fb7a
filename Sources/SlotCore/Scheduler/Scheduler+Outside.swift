/// Work a cluster runs outside slotd (another partition's job on a shared node, a job an operator submitted by
/// hand) takes capacity slotd must not plan onto. Each is held as a running slot of its own, on one node, with ids
/// from ``outsideBase`` up, charged to no account: it blocks placement and shifts reservations like a slot of
/// slotd's, and is never started, stopped or expired by slotd (the engine ignores actions on these ids).
extension Scheduler {
    /// Ids at or above this are holds of outside work, never requests.
    public static let outsideBase: UInt64 = 1 << 62

    /// The account outside holds are tracked under (no applicant's; nothing is charged to one).
    static let outsideAccount = "(outside slotd)"

    /// Whether `id` is an outside hold.
    public static func isOutside(_ id: UInt64) -> Bool { id >= outsideBase }

    /// What the cluster runs outside slotd now, each `(key, node, gpus, cpus, memoryMiB, end)`; replaces the
    /// previous set. A hold larger than what slotd sees free on its node (a slot of slotd's ending in the cluster
    /// a moment later than in slotd) holds what is free. Returns the pass that follows, as every event does.
    public func holdOutside(
        _ holds: [(key: UInt64, node: Int, gpus: Int, cpus: Int, memoryMiB: Int, end: Int64)], now: Int64
    ) -> [SchedulerAction] {
        let wanted = Dictionary(
            holds.filter { nodes.indices.contains($0.node) }.map { (Self.outsideBase | $0.key, $0) },
            uniquingKeysWith: { first, _ in first })
        for id in running.keys where Self.isOutside(id) && wanted[id] == nil { finish(id, now: now) }
        for (id, hold) in wanted where running[id] == nil {
            let state = nodes[hold.node]
            let gpus = state.gpuFree.indices.filter { state.gpuFree[$0] }.prefix(max(0, hold.gpus))
            let slot = Slot(
                requestID: id, account: Self.outsideAccount,
                placements: [Placement(node: hold.node, gpuIndices: Array(gpus))],
                cpus: min(max(0, hold.cpus), state.cpus), memoryMiB: min(max(0, hold.memoryMiB), state.memoryMiB),
                start: now, end: max(now + 1, hold.end))
            if claim(slot) { track(slot, account: accountIndex(Self.outsideAccount)) }
        }
        return schedulePass(now: now)
    }

    /// How many outside holds are counted now.
    public var outsideCount: Int { running.keys.count(where: Self.isOutside) }
}
