/// The machines slots run on: one or more nodes with GPUs, CPUs and memory. A slot lives on one node.
public struct Inventory: Sendable, Hashable, Codable {
    public var nodes: [Node]

    public init(nodes: [Node]) { self.nodes = nodes }

    public var totalGPUs: Int { nodes.reduce(0) { $0 + $1.gpus.count } }

    /// Parses `COUNTxGPUS[:TYPE][:CPUS[:MEMORY_GIB]]`, comma-separated, e.g. `16x8`, `4x8:64:512,2x0:32:128` or
    /// `4x8:h100:96:1024,8x4:l40s`. TYPE is the GPU model (``GPU/isValidType(_:)``; `unknown` when left out).
    /// CPUs default to 8 per GPU (at least 8), memory to 8 GiB per CPU. At most ``maximumGPUTypes`` models.
    public init?(spec: String) {
        var nodes: [Node] = []
        for group in spec.split(separator: ",") {
            let parts = group.split(separator: "x", maxSplits: 1)
            guard parts.count == 2, let count = Int(parts[0]), (1...10_000).contains(count) else { return nil }
            var text = parts[1].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            var model = GPU.unknownModel
            if text.count > 1, Int(text[1]) == nil {
                guard GPU.isValidType(text[1]) else { return nil }
                model = text.remove(at: 1)
            }
            let fields = text.map { Int($0) }
            guard (1...3).contains(fields.count), fields.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
            let gpus = fields[0]!
            let cpus = fields.count > 1 ? fields[1]! : max(8, 8 * gpus)
            let memoryGiB = fields.count > 2 ? fields[2]! : 8 * cpus
            guard gpus <= 64, cpus >= 1, cpus <= 100_000, memoryGiB >= 1 else { return nil }
            for _ in 0..<count {
                nodes.append(
                    Node(
                        name: "node\(nodes.count)", gpus: (0..<gpus).map { GPU(index: $0, model: model) },
                        cpus: cpus, memoryMiB: memoryGiB * 1_024))
            }
        }
        guard !nodes.isEmpty else { return nil }
        self.nodes = nodes
        guard gpuTypes.count <= Self.maximumGPUTypes else { return nil }
    }

    /// The most GPU models one inventory may mix (the scheduler keeps a request's acceptable models as bits).
    public static let maximumGPUTypes = 64

    /// The GPU models of the nodes that have GPUs, each once, in order of first appearance.
    public var gpuTypes: [String] {
        var seen: [String] = []
        for node in nodes { if let model = node.gpuType, !seen.contains(model) { seen.append(model) } }
        return seen
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

    /// The node's GPU type (a node's GPUs are of one type: its first GPU's, ``GPU/type``); nil without GPUs.
    public var gpuType: String? { gpus.first?.type }
}

/// One GPU of a node.
public struct GPU: Sendable, Hashable, Codable {
    public var index: Int
    public var model: String
    public var memoryMiB: Int

    public init(index: Int, model: String = GPU.unknownModel, memoryMiB: Int = 0) {
        self.index = index
        self.model = model
        self.memoryMiB = memoryMiB
    }

    /// The model of a GPU whose model was neither detected nor declared.
    public static let unknownModel = "unknown"

    /// The short name requests use for this GPU's model (`--gpu-type`), as Slurm's GRES types are written: a
    /// declared type as it is (`h100`), a detected model name shortened to its family (``type(ofModel:)``).
    public var type: String { Self.type(ofModel: model) }

    /// `NVIDIA H100 80GB HBM3` → `h100`, `NVIDIA A100-SXM4-40GB` → `a100`, `NVIDIA L40S` → `l40s`,
    /// `NVIDIA RTX A6000` → `a6000`, `NVIDIA GeForce RTX 4090` → `rtx-4090`; a valid type name stays as it is.
    public static func type(ofModel model: String) -> String {
        if isValidType(model) { return model }
        let vendor: Set<Substring> = ["nvidia", "geforce", "tesla", "quadro"]
        let tokens = model.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" }).filter {
            !vendor.contains($0)
        }
        guard let index = tokens.firstIndex(where: { $0.contains(where: \.isNumber) }) ?? tokens.indices.first
        else { return unknownModel }
        var name = String(tokens[index].split(separator: "-").first ?? tokens[index])
        if name.first?.isNumber == true, index > tokens.startIndex { name = tokens[index - 1] + "-" + name }
        name = String(name.unicodeScalars.filter { $0.isASCII && (isValidType("a" + String($0))) })
        if !(name.first?.isLetter ?? false) { name = "gpu-" + name }
        return isValidType(name) ? name : unknownModel
    }

    /// A GPU model name as requests and inventories write it: 1 to 32 lower-case letters, digits, `-`, `_` or `.`,
    /// starting with a letter (`h100`, `a100-80gb`, `l40s`).
    public static func isValidType(_ name: some StringProtocol) -> Bool {
        guard let first = name.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first),
            name.utf8.count <= 32
        else { return false }
        return name.utf8.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        }
    }
}

/// An amount of resources: what a request asks for, or what a node has free.
public struct Resources: Sendable, Hashable, Codable, CustomStringConvertible {
    public var gpus: Int
    public var cpus: Int
    public var memoryMiB: Int
    /// The GPU models, as bits of the scheduler's model list (`Scheduler.gpuTypes`): on a node's side its one
    /// model, on a request's side every model it accepts; all bits (the default) is any model. The scheduler sets
    /// it (a request names models in ``SlotRequest/gpuTypes``), so fits respect models wherever they compare
    /// resources. Not encoded.
    public var gpuTypeBits: UInt64 = .max

    enum CodingKeys: String, CodingKey { case gpus, cpus, memoryMiB }

    /// Equal amounts are equal resources: the model bits are the scheduler's annotation, not an amount.
    public static func == (a: Resources, b: Resources) -> Bool {
        a.gpus == b.gpus && a.cpus == b.cpus && a.memoryMiB == b.memoryMiB
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(gpus)
        hasher.combine(cpus)
        hasher.combine(memoryMiB)
    }

    public init(gpus: Int, cpus: Int, memoryMiB: Int) {
        self.gpus = gpus
        self.cpus = cpus
        self.memoryMiB = memoryMiB
    }

    public static let zero = Resources(gpus: 0, cpus: 0, memoryMiB: 0)

    /// True when every component of `other` fits within `self`, GPUs of a model `other` accepts.
    public func covers(_ other: Resources) -> Bool {
        gpus >= other.gpus && cpus >= other.cpus && memoryMiB >= other.memoryMiB
            && (other.gpus == 0 || gpuTypeBits & other.gpuTypeBits != 0)
    }

    /// The sum, of `a`'s GPU model (a node's free resources plus a slot's).
    public static func + (a: Resources, b: Resources) -> Resources {
        var sum = Resources(gpus: a.gpus + b.gpus, cpus: a.cpus + b.cpus, memoryMiB: a.memoryMiB + b.memoryMiB)
        sum.gpuTypeBits = a.gpuTypeBits
        return sum
    }

    /// The difference, of `a`'s GPU model.
    public static func - (a: Resources, b: Resources) -> Resources {
        var difference = Resources(gpus: a.gpus - b.gpus, cpus: a.cpus - b.cpus, memoryMiB: a.memoryMiB - b.memoryMiB)
        difference.gpuTypeBits = a.gpuTypeBits
        return difference
    }

    public var description: String { "\(gpus) GPU, \(cpus) CPU, \(memoryMiB / 1_024) GiB" }
}
