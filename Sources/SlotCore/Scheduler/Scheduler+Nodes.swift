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
        nodesVersion &+= 1
        let slot = Slot(
            requestID: request.id, account: accountLimits[request.account].name, placements: placements,
            cpus: request.resources.cpus, memoryMiB: request.resources.memoryMiB, start: now,
            end: min(now + request.duration, accountLimits[request.account].closes))
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
        nodesVersion &+= 1
        return !claimed.isEmpty
    }

    /// Records a slot that holds its resources: running, its account's use, its hard end.
    func track(_ slot: Slot, account: Int) {
        running[slot.requestID] = slot
        slotAccounts[slot.requestID] = account
        ledger.slotStarted(slot, account: account)
        let end = HardEnd(end: slot.end, requestID: slot.requestID)
        hardEnds.insert(end)
        let release = Release(end: end, resources: slot.resources)
        for placement in slot.placements where nodes.indices.contains(placement.node) {
            releases[placement.node].insert(release, at: releases[placement.node].lowerBound(end))
        }
    }

    /// Gives back `slot`'s resources on every node and forgets its hard end.
    func untrack(_ slot: Slot) {
        for placement in slot.placements where nodes.indices.contains(placement.node) {
            nodes[placement.node].release(placement.gpuIndices, cpus: slot.cpus, memoryMiB: slot.memoryMiB)
            index.update(placement.node, nodes[placement.node])
        }
        nodesVersion &+= 1
        let end = HardEnd(end: slot.end, requestID: slot.requestID)
        for placement in slot.placements where nodes.indices.contains(placement.node) {
            let at = releases[placement.node].lowerBound(end)
            if at < releases[placement.node].count, releases[placement.node][at].end == end {
                releases[placement.node].remove(at: at)
            }
        }
    }

    /// Each node's condition, in inventory order.
    public var nodeConditions: [NodeCondition] { nodes.map(\.condition) }

    /// Sets node `node`'s condition. Down ends every slot that holds the node (on all its gang's nodes: a gang
    /// ends together) and reports each as lost; draining and down take the node out of placement.
    func setCondition(_ condition: NodeCondition, of node: Int, now: Int64) -> [SchedulerAction] {
        guard nodes.indices.contains(node) else { return [.ignored(reason: "no node \(node)")] }
        nodes[node].condition = condition
        index.update(node, nodes[node])
        nodesVersion &+= 1
        guard condition == .down else { return [] }
        let lost = running.values.filter { $0.nodes.contains(node) }.sorted { $0.requestID < $1.requestID }
        return lost.compactMap { finish($0.requestID, now: now).map { SchedulerAction.lost($0, node: node) } }
    }

    /// The earliest time `count` distinct accepting nodes each fit `resources` if every running slot ends at its
    /// hard end; those nodes (best fit at that time) and what each has free then. Nil when that never happens.
    ///
    /// It walks each node's running slots in end order until the node fits, which on a full cluster of a thousand
    /// nodes is thousands of slots. The answer depends only on the nodes and the running slots (every slot still
    /// running ends after `now`), so it is kept for the next pass and reused while none of them changed.
    func earliestGangFit(_ resources: Resources, count: Int, now: Int64) -> GangFit? {
        if let cached = gangFitCache, cached.version == nodesVersion, cached.resources == resources,
            cached.resources.gpuTypeBits == resources.gpuTypeBits, cached.count == count
        {
            return cached.fit
        }
        let fit = walkEnds(resources, count: count, now: now)
        gangFitCache = GangFitCache(version: nodesVersion, resources: resources, count: count, fit: fit)
        return fit
    }

    /// For each accepting node big enough, the time it first fits `resources` (its own slots ending in order);
    /// the gang starts at the `count`-th earliest of those times, on the best fits among the nodes fitting then.
    private func walkEnds(_ resources: Resources, count: Int, now: Int64) -> GangFit? {
        var times: [(time: Int64, node: Int)] = []
        for node in nodes.indices where nodes[node].accepting && nodeSizes[node].covers(resources) {
            var free = nodes[node].free
            if free.covers(resources) {
                times.append((now, node))
                continue
            }
            for release in releases[node] {
                free = free + release.resources
                if free.covers(resources) {
                    times.append((max(now, release.end.end), node))
                    break
                }
            }
        }
        guard times.count >= count else { return nil }
        times.sort { ($0.time, $0.node) < ($1.time, $1.node) }
        let start = times[count - 1].time
        let freeAt = { (node: Int) -> Resources in
            var free = self.nodes[node].free
            for release in self.releases[node] where release.end.end <= start {
                free = free + release.resources
            }
            return free
        }
        let fitting = times.prefix { $0.time <= start }.map { ($0.node, freeAt($0.node)) }
        let chosen = fitting.sorted { ($0.1.gpus, $0.1.cpus, $0.0) < ($1.1.gpus, $1.1.cpus, $1.0) }.prefix(count)
        return GangFit(
            nodes: chosen.map(\.0), start: start,
            freeAtStart: Dictionary(uniqueKeysWithValues: chosen.map { ($0.0, $0.1) }))
    }

    /// The earliest time `resources` fit on `count` nodes if every running slot ends at its hard end, and the first
    /// of those nodes.
    public func earliestStart(for resources: Resources, nodes count: Int = 1, now: Int64) -> (node: Int, start: Int64)?
    {
        walkEnds(resources, count: count, now: now).map { ($0.nodes[0], $0.start) }
    }
}

/// Where and when a gang fits first (``Scheduler/earliestGangFit(_:count:now:)``).
struct GangFit {
    var nodes: [Int]
    var start: Int64
    /// What each of `nodes` has free at `start`.
    var freeAtStart: [Int: Resources]
}

/// The last ``GangFit`` worked out, valid while `version` is the scheduler's `nodesVersion`.
struct GangFitCache {
    var version: UInt64
    var resources: Resources
    var count: Int
    var fit: GangFit?
}

/// A running slot's hard end on one of its nodes, and what it gives back there then.
struct Release {
    var end: HardEnd
    var resources: Resources
}

extension Array where Element == Release {
    /// The first position whose end is not below `end` (the list is sorted by end).
    func lowerBound(_ end: HardEnd) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if self[middle].end < end { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
