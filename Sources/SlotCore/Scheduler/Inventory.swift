/// The machines slots run on: one or more nodes with GPUs, CPUs and memory. A slot lives on one node.
public struct Inventory: Sendable, Hashable, Codable {
    public var nodes: [Node]

    public init(nodes: [Node]) { self.nodes = nodes }

    public var totalGPUs: Int { nodes.reduce(0) { $0 + $1.gpus.count } }

    /// Parses `COUNTxGPUS[:CPUS[:MEMORY_GIB]]`, comma-separated, e.g. `16x8` or `4x8:64:512,2x0:32:128`.
    /// CPUs default to 8 per GPU (at least 8), memory to 8 GiB per CPU.
    public init?(spec: String) {
        var nodes: [Node] = []
        for group in spec.split(separator: ",") {
            let parts = group.split(separator: "x", maxSplits: 1)
            guard parts.count == 2, let count = Int(parts[0]), (1...10_000).contains(count) else { return nil }
            let fields = parts[1].split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
            guard (1...3).contains(fields.count), fields.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
            let gpus = fields[0]!
            let cpus = fields.count > 1 ? fields[1]! : max(8, 8 * gpus)
            let memoryGiB = fields.count > 2 ? fields[2]! : 8 * cpus
            guard gpus <= 64, cpus >= 1, cpus <= 100_000, memoryGiB >= 1 else { return nil }
            for _ in 0..<count {
                nodes.append(
                    Node(
                        name: "node\(nodes.count)", gpus: (0..<gpus).map { GPU(index: $0) }, cpus: cpus,
                        memoryMiB: memoryGiB * 1_024))
            }
        }
        guard !nodes.isEmpty else { return nil }
        self.nodes = nodes
    }
}

/// One machine.
public struct Node: Sendable, Hashable, Codable {
    public var name: String
    public var gpus: [GPU]
    public var cpus: Int
    public var memoryMiB: Int

    public init(name: String, gpus: [GPU], cpus: Int, memoryMiB: Int) {
        self.name = name
        self.gpus = gpus
        self.cpus = cpus
        self.memoryMiB = memoryMiB
    }
}

/// One GPU of a node.
public struct GPU: Sendable, Hashable, Codable {
    public var index: Int
    public var model: String
    public var memoryMiB: Int

    public init(index: Int, model: String = "unknown", memoryMiB: Int = 0) {
        self.index = index
        self.model = model
        self.memoryMiB = memoryMiB
    }
}

/// An amount of resources: what a request asks for, or what a node has free.
public struct Resources: Sendable, Hashable, Codable, CustomStringConvertible {
    public var gpus: Int
    public var cpus: Int
    public var memoryMiB: Int

    public init(gpus: Int, cpus: Int, memoryMiB: Int) {
        self.gpus = gpus
        self.cpus = cpus
        self.memoryMiB = memoryMiB
    }

    public static let zero = Resources(gpus: 0, cpus: 0, memoryMiB: 0)

    /// True when every component of `other` fits within `self`.
    public func covers(_ other: Resources) -> Bool {
        gpus >= other.gpus && cpus >= other.cpus && memoryMiB >= other.memoryMiB
    }

    public static func + (a: Resources, b: Resources) -> Resources {
        Resources(gpus: a.gpus + b.gpus, cpus: a.cpus + b.cpus, memoryMiB: a.memoryMiB + b.memoryMiB)
    }

    public static func - (a: Resources, b: Resources) -> Resources {
        Resources(gpus: a.gpus - b.gpus, cpus: a.cpus - b.cpus, memoryMiB: a.memoryMiB - b.memoryMiB)
    }

    public var description: String { "\(gpus) GPU, \(cpus) CPU, \(memoryMiB / 1_024) GiB" }
}
