import Foundation
import SlotCore
import SlotSandbox

/// One node as `sinfo --json` (Slurm 22.05, OpenAPI v0.0.38) describes it: the fields slotd reads.
public struct SlurmNode: Sendable, Hashable, Decodable {
    public var name: String
    /// `idle`, `mixed`, `allocated`, `down`, `drained`, `draining`, `unknown`, ...
    public var state: String
    /// `DRAIN`, `NOT_RESPONDING`, `COMPLETING`, ...
    public var stateFlags: [String]
    public var cpus: Int
    public var realMemory: Int
    /// `gpu:h100:2`, `gpu:2`, `gpu:h100:2(S:0-1)`, or empty.
    public var gres: String
    public var partitions: [String]
    public var reason: String

    enum CodingKeys: String, CodingKey {
        case name, state, cpus, gres, partitions, reason
        case stateFlags = "state_flags"
        case realMemory = "real_memory"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        state = try c.decode(String.self, forKey: .state)
        stateFlags = try c.decodeIfPresent([String].self, forKey: .stateFlags) ?? []
        cpus = try c.decode(Int.self, forKey: .cpus)
        realMemory = try c.decode(Int.self, forKey: .realMemory)
        gres = try c.decodeIfPresent(String.self, forKey: .gres) ?? ""
        partitions = try c.decodeIfPresent([String].self, forKey: .partitions) ?? []
        reason = try c.decodeIfPresent(String.self, forKey: .reason) ?? ""
    }

    /// The node's GPUs and their type from its GRES (`gpu:h100:2` → 2, h100); several GPU entries add up, and
    /// the type is the first one named.
    public var gpus: (count: Int, type: String?) {
        var count = 0
        var type: String?
        for entry in gres.split(separator: ",") {
            let fields = entry.split(separator: "(")[0].split(separator: ":")
            guard fields.first == "gpu", let last = fields.last, let n = Int(last) else { continue }
            count += n
            if fields.count == 3, type == nil { type = String(fields[1]) }
        }
        return (count, type)
    }

    /// What slotd's scheduler makes of Slurm's state: drained or draining takes nothing new; down, failing or not
    /// responding is down; the rest (idle, mixed, allocated, completing) is up.
    public var condition: NodeCondition {
        let all = Set(stateFlags.map { $0.uppercased() } + [state.uppercased()])
        if !all.isDisjoint(with: ["DOWN", "NOT_RESPONDING", "FAIL", "FAILING", "POWERED_DOWN", "POWER_DOWN", "FUTURE"])
        {
            return .down
        }
        if !all.isDisjoint(with: ["DRAIN", "DRAINED", "DRAINING"]) { return .draining }
        return .up
    }
}

/// One job as `squeue --json` describes it.
public struct SlurmJob: Sendable, Hashable, Decodable {
    public var jobID: Int
    /// `PENDING`, `RUNNING`, `COMPLETED`, `FAILED`, `CANCELLED`, `TIMEOUT`, `NODE_FAIL`, `OUT_OF_MEMORY`, ...
    public var state: String
    public var name: String
    public var comment: String
    public var partition: String
    /// Slurm's hostlist, e.g. `node[1-2]`.
    public var nodes: String
    public var stateReason: String
    public var exitCode: Int
    public var userID: Int
    /// Each allocated node with its memory (MiB) and cores, in Slurm's order; empty while pending.
    public var allocated: [(node: String, cpus: Int, memoryMiB: Int)] = []
    /// Each allocated node's GRES, in the same order: `gpu:h100:1(IDX:0)`.
    public var gresDetail: [String] = []
    /// When Slurm ends it at the latest, in seconds since the epoch (0: not known).
    public var endTime: Int64 = 0

    public static func == (a: SlurmJob, b: SlurmJob) -> Bool {
        a.jobID == b.jobID && a.state == b.state && a.comment == b.comment && a.nodes == b.nodes
            && a.stateReason == b.stateReason && a.exitCode == b.exitCode && a.userID == b.userID
    }
    public func hash(into hasher: inout Hasher) { hasher.combine(jobID) }

    enum CodingKeys: String, CodingKey {
        case name, comment, partition, nodes
        case resources = "job_resources"
        case gresDetail = "gres_detail"
        case endTime = "end_time"
        case jobID = "job_id"
        case state = "job_state"
        case stateReason = "state_reason"
        case exitCode = "exit_code"
        case userID = "user_id"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        jobID = try c.decode(Int.self, forKey: .jobID)
        state = try c.decode(String.self, forKey: .state)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        comment = try c.decodeIfPresent(String.self, forKey: .comment) ?? ""
        partition = try c.decodeIfPresent(String.self, forKey: .partition) ?? ""
        nodes = try c.decodeIfPresent(String.self, forKey: .nodes) ?? ""
        stateReason = try c.decodeIfPresent(String.self, forKey: .stateReason) ?? ""
        exitCode = (try? c.decodeIfPresent(Int.self, forKey: .exitCode)) ?? 0
        userID = try c.decodeIfPresent(Int.self, forKey: .userID) ?? -1
        gresDetail = (try? c.decodeIfPresent([String].self, forKey: .gresDetail)) ?? []
        endTime = (try? c.decodeIfPresent(Int64.self, forKey: .endTime)) ?? 0
        if let resources = try? c.decodeIfPresent(Resources.self, forKey: .resources) {
            allocated = resources.nodes.map { ($0.name, $0.cores, $0.memory) }
        }
    }

    /// `job_resources`: the allocated nodes, each with its memory and the cores marked allocated per socket.
    struct Resources: Decodable {
        struct AllocatedNode: Decodable {
            var name: String
            var memory: Int
            var cores: Int
            enum CodingKeys: String, CodingKey {
                case name = "nodename"
                case memory = "memory_allocated"
                case sockets
            }
            struct Socket: Decodable { var cores: [String: String]? }
            init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                name = try c.decode(String.self, forKey: .name)
                memory = (try? c.decodeIfPresent(Int.self, forKey: .memory)) ?? 0
                let sockets = (try? c.decodeIfPresent([String: Socket].self, forKey: .sockets)) ?? [:]
                cores = sockets.values.reduce(0) { $0 + ($1.cores?.count ?? 0) }
            }
        }
        var nodes: [AllocatedNode]
        enum CodingKeys: String, CodingKey { case nodes = "allocated_nodes" }
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            nodes = (try? c.decodeIfPresent([AllocatedNode].self, forKey: .nodes)) ?? []
        }
    }

    /// GPUs in one `gres_detail` entry: `gpu:h100:2(IDX:0-1)` → 2; several GPU entries add up.
    static func gpus(inDetail detail: String) -> Int {
        var count = 0
        var depth = 0
        var entry = ""
        // Entries are comma-separated, but IDX lists hold commas too: split only outside parentheses.
        for character in detail + "," {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if character == ",", depth == 0 {
                let fields = entry.split(separator: "(")[0].split(separator: ":")
                if fields.first == "gpu", let last = fields.last, let n = Int(last) { count += n }
                entry = ""
            } else {
                entry.append(character)
            }
        }
        return count
    }

    /// What this job holds on each node, for a job slotd did not start; empty unless it runs.
    public var holds: [OutsideHold] {
        guard ["RUNNING", "COMPLETING", "SUSPENDED", "CONFIGURING"].contains(state) else { return [] }
        return allocated.enumerated().map { index, node in
            OutsideHold(
                job: jobID, node: node.node,
                gpus: gresDetail.indices.contains(index) ? Self.gpus(inDetail: gresDetail[index]) : 0,
                cpus: node.cpus, memoryMiB: node.memoryMiB,
                end: endTime > 0 && endTime < 1 << 40 ? endTime * 1_000 : nil)
        }
    }

    /// The slot id slotd tied this job to (`--comment=slotd:ID`); nil for a job slotd did not start.
    public var slotID: UInt64? {
        guard comment.hasPrefix("slotd:") else { return nil }
        return UInt64(comment.dropFirst(6).split(separator: ":", omittingEmptySubsequences: false)[0])
    }

    /// The slotd installation that submitted it (`slotd:ID:INSTANCE`); empty for `slotd:ID`.
    public var slotInstance: String {
        let parts = comment.dropFirst(6).split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        return parts.count == 2 ? String(parts[1]) : ""
    }

    /// True once Slurm will not run it any further.
    public var isFinished: Bool {
        !["PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING", "SIGNALING"]
            .contains(state)
    }
}

/// Reading the tools' JSON.
public enum SlurmJSON {
    struct Nodes: Decodable {
        var nodes: [SlurmNode]
        var errors: [Problem]?
    }
    /// An entry of the `errors` list the tools print beside their data (e.g. the controller is unreachable).
    struct Problem: Decodable {
        var error: String?
        var description: String?
    }
    struct Jobs: Decodable { var jobs: [SlurmJob] }

    public static func nodes(_ data: Data) throws(SlurmError) -> [SlurmNode] {
        let decoded: Nodes
        do { decoded = try JSONDecoder().decode(Nodes.self, from: data) } catch {
            throw .unparsable(tool: "sinfo --json", reason: "\(error)")
        }
        if decoded.nodes.isEmpty, let problem = decoded.errors?.first {
            throw .failed(tool: "sinfo", status: 0, message: problem.description ?? problem.error ?? "an error")
        }
        return decoded.nodes
    }

    public static func jobs(_ data: Data) throws(SlurmError) -> [SlurmJob] {
        do { return try JSONDecoder().decode(Jobs.self, from: data).jobs } catch {
            throw .unparsable(tool: "squeue --json", reason: "\(error)")
        }
    }

    /// The inventory slotd schedules: the nodes of `partition` in Slurm's order, with their GPUs and types, and
    /// each node's condition. `sinfo --json` lists a node once, with every partition it is in.
    public static func inventory(_ nodes: [SlurmNode], partition: String) -> (Inventory, [NodeCondition])? {
        let members = nodes.filter { $0.partitions.contains(partition) }
        guard !members.isEmpty else { return nil }
        let inventory = Inventory(
            nodes: members.map { node in
                let gpus = node.gpus
                return Node(
                    name: node.name,
                    gpus: (0..<gpus.count).map { GPU(index: $0, model: gpus.type ?? GPU.unknownModel) },
                    cpus: node.cpus, memoryMiB: node.realMemory)
            })
        return (inventory, members.map(\.condition))
    }
}
