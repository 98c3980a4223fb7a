/// The nodes' side of the scheduler: taking and giving back resources (keeping the free-capacity index and the
/// end-ordered list of running slots current), node conditions, and the earliest start of a gang.
extension Scheduler {
    /// Allocates `request` on `chosen` (one node per rank) now and records the running slot.
    func startSlot(_ request: HotRequest, on chosen: [Int], now: Int64) -> Slot {
        let placements = chosen.map { node in
            let gpus = nodes[node].allocate(request.resources)
            index.update(node, nodes[node])
            return Placement(node: node, gpuIndices: gpus)
        }
        let slot = Slot(
            requestID: request.id, account: accountLimits[request.account].name, placements: placements,
            cpus: request.resources.cpus, memoryMiB: request.resources.memoryMiB, start: now,
            end: now + request.duration)
        track(slot, account: request.account)
        return slot
    }

    /// Takes exactly `slot`'s GPUs and sizes on all its nodes (a slot resumed after a restart); false, changing
    /// nothing, when any of them is not free or the node is unknown.
    func claim(_ slot: Slot) -> Bool {
        var claimed: [Placement] = []
        for placement in slot.placements {
            guard nodes.indices.contains(placement.node), !claimed.contains(where: { $0.node == placement.node }),
                nodes[placement.node].claim(placement.gpuIndices, cpus: slot.cpus, memoryMiB: slot.memoryMiB)
            else {
                for undo in claimed {
                    nodes[undo.node].release(undo.gpuIndices, cpus: slot.cpus, memoryMiB: slot.memoryMiB)
                }
                return false
            }
            claimed.append(placement)
        }
        for placement in claimed { index.update(placement.node, nodes[placement.node]) }
        return !claimed.isEmpty
    }

    /// Records a slot that holds its resources: running, its account's use, its hard end.
    func track(_ slot: Slot, account: Int) {
        running[slot.requestID] = slot
        slotAccounts[slot.requestID] = account
        ledger.slotStarted(slot, account: account)
        let end = HardEnd(end: slot.end, requestID: slot.requestID)
        hardEnds.insert(end)
        byEnd.insert(end, at: byEnd.lowerBound(end))
    }

    /// Gives back `slot`'s resources on every node and forgets its hard end.
    func untrack(_ slot: Slot) {
        for placement in slot.placements where nodes.indices.contains(placement.node) {
            nodes[placement.node].release(placement.gpuIndices, cpus: slot.cpus, memoryMiB: slot.memoryMiB)
            index.update(placement.node, nodes[placement.node])
        }
        let end = HardEnd(end: slot.end, requestID: slot.requestID)
        let at = byEnd.lowerBound(end)
        if at < byEnd.count, byEnd[at] == end { byEnd.remove(at: at) }
    }

    /// Each node's condition, in inventory order.
    public var nodeConditions: [NodeCondition] { nodes.map(\.condition) }

    /// Sets node `node`'s condition. Down ends every slot that holds the node (on all its gang's nodes: a gang
    /// ends together) and reports each as lost; draining and down take the node out of placement.
    func setCondition(_ condition: NodeCondition, of node: Int, now: Int64) -> [SchedulerAction] {
        guard nodes.indices.contains(node) else { return [.ignored(reason: "no node \(node)")] }
        nodes[node].condition = condition
        index.update(node, nodes[node])
        guard condition == .down else { return [] }
        let lost = running.values.filter { $0.nodes.contains(node) }.sorted { $0.requestID < $1.requestID }
        return lost.compactMap { finish($0.requestID, now: now).map { SchedulerAction.lost($0, node: node) } }
    }

    /// The earliest time `count` distinct accepting nodes each fit `resources` if every running slot ends at its
    /// hard end; those nodes (best fit at that time) and what each has free then. Nil when that never happens.
    func earliestGangFit(_ resources: Resources, count: Int, now: Int64)
        -> (nodes: [Int], start: Int64, freeAtStart: [Int: Resources])?
    {
        var fits = Set(index.fitting(resources, limit: count, nodes: nodes))
        var free: [Int: Resources] = [:]
        var time = now
        var next = 0
        while fits.count < count, next < byEnd.count {
            time = max(now, byEnd[next].end)
            // Every slot ending at this instant frees its resources at once.
            while next < byEnd.count, max(now, byEnd[next].end) == time {
                if let slot = running[byEnd[next].requestID] {
                    for node in slot.nodes {
                        let now = (free[node] ?? nodes[node].free) + slot.resources
                        free[node] = now
                        if nodes[node].accepting, now.covers(resources) { fits.insert(node) }
                    }
                }
                next += 1
            }
        }
        guard fits.count >= count else { return nil }
        let freeAt = { (node: Int) in free[node] ?? self.nodes[node].free }
        let chosen = fits.sorted { (freeAt($0).gpus, freeAt($0).cpus, $0) < (freeAt($1).gpus, freeAt($1).cpus, $1) }
            .prefix(count)
        return (Array(chosen), time, Dictionary(uniqueKeysWithValues: chosen.map { ($0, freeAt($0)) }))
    }

    /// The earliest time `resources` fit on `count` nodes if every running slot ends at its hard end, and the first
    /// of those nodes.
    public func earliestStart(for resources: Resources, nodes count: Int = 1, now: Int64) -> (node: Int, start: Int64)?
    {
        earliestGangFit(resources, count: count, now: now).map { ($0.nodes[0], $0.start) }
    }
}

extension Array where Element == HardEnd {
    /// The first position whose element is not below `end` (the list is sorted).
    func lowerBound(_ end: HardEnd) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if self[middle] < end { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
