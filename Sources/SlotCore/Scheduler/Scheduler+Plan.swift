extension Scheduler {
    /// Plans the requests `ahead` (in priority order) and then `entry` onto the machines, every slot running to its
    /// hard end, and returns when `entry` would start. That is an upper bound as long as no higher-priority request
    /// arrives: slots that end early only bring starts forward.
    func plannedStart(_ entry: PendingRequest, ahead: [PendingRequest], total: Int, now: Int64) -> (Int64?, String) {
        guard total <= Self.planDepth else {
            return (nil, "no estimate: \(total) requests are ahead (estimates cover the first \(Self.planDepth))")
        }
        var plan = Plan(capacities: nodeSizes, accepting: nodes.map(\.accepting), now: now)
        for slot in running.values {
            for node in slot.nodes { plan.add(node: node, slot.resources, from: slot.start, to: slot.end) }
        }
        for other in ahead {
            _ = plan.place(
                other.request.resources, nodes: other.request.nodes, duration: other.request.duration, notBefore: now)
        }
        var note = "upper bound: planned with every running slot using its full time and no new higher-priority request"
        let unavailable = nodes.filter { !$0.accepting }.count
        if unavailable > 0 {
            note += "; without the \(unavailable) draining or down node" + (unavailable == 1 ? "" : "s")
        }
        var notBefore = now
        for reason in accountHold(entry.request, now: now) {
            switch reason {
            case .budgetExhausted(_, _, let resetsAt):
                notBefore = max(notBefore, resetsAt)
                note += "; not before the budget resets"
            case .accountGPUCap(let cap, let inUse):
                // When enough of the account's own slots have ended (at their hard ends) to fit this request.
                var held = inUse
                for slot in running.values.filter({ $0.account == entry.request.account }).sorted(by: {
                    $0.end < $1.end
                })
                where held + entry.request.totalGPUs > cap {
                    held -= slot.totalGPUs
                    notBefore = max(notBefore, slot.end)
                }
                note += "; not before the account's own slots free enough GPUs"
            default: break
            }
        }
        guard
            let start = plan.place(
                entry.request.resources, nodes: entry.request.nodes, duration: entry.request.duration,
                notBefore: notBefore)
        else {
            return (
                nil,
                unavailable > 0
                    ? "no estimate: too few of the nodes that take new slots can hold it (\(unavailable) draining or down)"
                    : "no estimate: no node can hold the request"
            )
        }
        return (start, note)
    }
}

/// A forward plan of resource use per node: intervals `[start, end)` of allocated resources. Nodes that do not
/// accept new slots (draining, down) keep their running slots in the plan and get nothing new.
struct Plan {
    var capacities: [Resources]
    var accepting: [Bool]
    var intervals: [[(start: Int64, end: Int64, resources: Resources)]]
    let now: Int64

    init(capacities: [Resources], accepting: [Bool], now: Int64) {
        self.capacities = capacities
        self.accepting = accepting
        self.intervals = Array(repeating: [], count: capacities.count)
        self.now = now
    }

    mutating func add(node: Int, _ resources: Resources, from start: Int64, to end: Int64) {
        intervals[node].append((max(start, now), end, resources))
    }

    /// Places `resources` on `count` distinct nodes for `duration` at the earliest time, not before `notBefore`,
    /// that that many nodes can hold them; returns that time.
    mutating func place(_ resources: Resources, nodes count: Int, duration: Int64, notBefore: Int64) -> Int64? {
        guard count > 1 else { return place(resources, duration: duration, notBefore: notBefore) }
        let usable = capacities.indices.filter { accepting[$0] && capacities[$0].covers(resources) }
        guard usable.count >= count else { return nil }
        // A gang can start only where some node's use drops: at `notBefore` or at an interval's end.
        var times = Set([notBefore])
        for node in usable {
            for interval in intervals[node] where interval.end > notBefore { times.insert(interval.end) }
        }
        for start in times.sorted() {
            var fitting: [Int] = []
            for node in usable
            where fitting.count < count && fits(resources, on: node, from: start, to: start + duration) {
                fitting.append(node)
            }
            guard fitting.count == count else { continue }
            for node in fitting { add(node: node, resources, from: start, to: start + duration) }
            return start
        }
        return nil
    }

    /// Places `resources` for `duration` at the earliest time, not before `notBefore`, that some node can hold them;
    /// returns that time.
    mutating func place(_ resources: Resources, duration: Int64, notBefore: Int64) -> Int64? {
        var best: (node: Int, start: Int64)?
        for node in capacities.indices where accepting[node] && capacities[node].covers(resources) {
            let candidates = ([notBefore] + intervals[node].map(\.end).filter { $0 > notBefore }).sorted()
            for start in candidates where best == nil || start < best!.start {
                if fits(resources, on: node, from: start, to: start + duration) {
                    best = (node, start)
                    break
                }
            }
        }
        guard let best else { return nil }
        add(node: best.node, resources, from: best.start, to: best.start + duration)
        return best.start
    }

    /// True when `resources` fit on `node` throughout `[start, end)`: usage only rises where an interval begins.
    private func fits(_ resources: Resources, on node: Int, from start: Int64, to end: Int64) -> Bool {
        let points = [start] + intervals[node].map(\.start).filter { $0 > start && $0 < end }
        for point in points {
            let used = intervals[node].filter { $0.start <= point && point < $0.end }
                .reduce(Resources.zero) { $0 + $1.resources }
            if !(capacities[node] - used).covers(resources) { return false }
        }
        return true
    }
}
