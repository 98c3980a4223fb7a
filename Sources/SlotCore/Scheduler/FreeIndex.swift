/// An index of the nodes that take new slots, by GPU model and free GPU count, so placement looks only at nodes
/// that can fit a request instead of scanning the inventory (a platform has a thousand nodes and more).
///
/// `buckets[model][freeGPUs]` holds the accepting nodes of that model with exactly that many free GPUs, as keys
/// `(free CPUs << 32) | node` in ascending order. Walking the buckets from the request's GPU count upwards, each
/// from the request's CPU count, yields the fitting nodes in best-fit order (fewest free GPUs, then fewest free
/// CPUs, then lowest index) while skipping every node with too few GPUs or CPUs. Nodes without GPUs have a model
/// slot of their own, after the inventory's models.
struct FreeIndex: Sendable {
    private var buckets: [[[Int64]]]
    /// Each node's model slot.
    private let modelSlots: [Int]
    /// Each node's bucket (free GPUs) and key while it is indexed (accepting), nil otherwise.
    private var filed: [(gpus: Int, key: Int64)?]
    /// Indexed nodes with at least one free CPU: none means nothing can start, whatever waits.
    private(set) var withFreeCPU = 0

    init(_ nodes: [NodeState], modelCount: Int) {
        let widest = nodes.map(\.gpuFree.count).max() ?? 0
        modelSlots = nodes.map { $0.typeBit == .max ? modelCount : $0.typeBit.trailingZeroBitCount }
        buckets = Array(repeating: Array(repeating: [], count: widest + 1), count: modelCount + 1)
        filed = Array(repeating: nil, count: nodes.count)
        for (index, node) in nodes.enumerated() { update(index, node) }
    }

    /// Re-files node `index` after its free resources or condition changed.
    mutating func update(_ index: Int, _ node: NodeState) {
        if let old = filed[index] {
            let slot = modelSlots[index]
            if let at = Self.position(of: old.key, in: buckets[slot][old.gpus]) {
                buckets[slot][old.gpus].remove(at: at)
            }
            if old.key >> 32 > 0 { withFreeCPU -= 1 }
            filed[index] = nil
        }
        guard node.accepting else { return }
        let key = Int64(max(0, node.cpus)) << 32 | Int64(index)
        let slot = modelSlots[index]
        let bucket = Self.lowerBound(key, in: buckets[slot][node.freeGPUs])
        buckets[slot][node.freeGPUs].insert(key, at: bucket)
        filed[index] = (node.freeGPUs, key)
        if node.cpus > 0 { withFreeCPU += 1 }
    }

    /// Up to `limit` accepting nodes that fit `resources` now, best fit first.
    func fitting(_ resources: Resources, limit: Int, nodes: [NodeState]) -> [Int] {
        guard limit > 0 else { return [] }
        let models = acceptedSlots(resources)
        var result: [Int] = []
        var found: [Int64] = []
        let lowest = Int64(max(0, resources.cpus)) << 32
        for free in max(0, resources.gpus)..<max(0, buckets[0].count) {
            found.removeAll(keepingCapacity: true)
            for slot in models {
                let bucket = buckets[slot][free]
                var at = Self.lowerBound(lowest, in: bucket)
                var taken = 0
                while at < bucket.count, taken < limit - result.count {
                    if nodes[Int(bucket[at] & 0xFFFF_FFFF)].memoryMiB >= resources.memoryMiB {
                        found.append(bucket[at])
                        taken += 1
                    }
                    at += 1
                }
            }
            if models.count > 1 { found.sort() }
            for key in found.prefix(limit - result.count) { result.append(Int(key & 0xFFFF_FFFF)) }
            if result.count == limit { break }
        }
        return result
    }

    /// The model slots whose nodes can give `resources`: every slot for a request without GPUs, else the slots of
    /// the models it accepts.
    private func acceptedSlots(_ resources: Resources) -> [Int] {
        let modelCount = buckets.count - 1
        guard resources.gpus > 0 else { return Array(0...modelCount) }
        return (0..<modelCount).filter { resources.gpuTypeBits & (1 << UInt64($0)) != 0 }
    }

    private static func position(of key: Int64, in bucket: [Int64]) -> Int? {
        let at = lowerBound(key, in: bucket)
        return at < bucket.count && bucket[at] == key ? at : nil
    }

    private static func lowerBound(_ key: Int64, in bucket: [Int64]) -> Int {
        var low = 0
        var high = bucket.count
        while low < high {
            let middle = (low + high) / 2
            if bucket[middle] < key { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
