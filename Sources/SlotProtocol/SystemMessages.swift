/// Messages of `io.slotd.System`, `io.slotd.Accounts` and `io.slotd.Policy`.

public struct StatusReply: Codable, Sendable, Hashable {
    public var version: String
    /// `dev` or `system`.
    public var mode: String
    /// `process` or `systemd`.
    public var executor: String
    public var startedAt: Int64
    public var pending: Int
    public var running: Int
    public var policyVersion: String
    public var policyHash: String
    public var policyFile: String
    /// The error of the last reload that was refused (the old policy stayed in force), if any.
    public var policyError: String?
    public var nodes: Int
    public var gpus: Int
    public var freeGPUs: Int
    /// How the executor confines slots here (namespaces, cgroups, limits), in one line. Absent from older daemons.
    public var confinement: String?
    /// Why the database cannot be written, while it cannot: nothing is granted and no change accepted meanwhile.
    public var storeError: String?
    /// While the executor's cluster (Slurm's controller) cannot be reached: since when and why; no slot starts.
    public var clusterError: String?

    public init(
        version: String, mode: String, executor: String, startedAt: Int64, pending: Int, running: Int,
        policyVersion: String, policyHash: String, policyFile: String, policyError: String?, nodes: Int,
        gpus: Int, freeGPUs: Int, confinement: String? = nil, storeError: String? = nil
    ) {
        self.confinement = confinement
        self.storeError = storeError
        self.version = version
        self.mode = mode
        self.executor = executor
        self.startedAt = startedAt
        self.pending = pending
        self.running = running
        self.policyVersion = policyVersion
        self.policyHash = policyHash
        self.policyFile = policyFile
        self.policyError = policyError
        self.nodes = nodes
        self.gpus = gpus
        self.freeGPUs = freeGPUs
    }
}

public struct NodeInfo: Codable, Sendable, Hashable {
    public var name: String
    public var gpus: Int
    public var cpus: Int
    public var memoryMiB: Int
    public var freeGPUs: Int
    public var freeCPUs: Int
    public var freeMemoryMiB: Int
    /// The node's GPU model; nil on a node without GPUs.
    public var gpuType: String?
    /// `draining` or `down`; nil: up.
    public var state: String?
    /// Why it is draining or down, and who said so.
    public var stateReason: String?
    public init(
        name: String, gpus: Int, cpus: Int, memoryMiB: Int, freeGPUs: Int, freeCPUs: Int,
        freeMemoryMiB: Int, gpuType: String? = nil, state: String? = nil, stateReason: String? = nil
    ) {
        self.gpuType = gpuType
        self.state = state
        self.stateReason = stateReason
        self.name = name
        self.gpus = gpus
        self.cpus = cpus
        self.memoryMiB = memoryMiB
        self.freeGPUs = freeGPUs
        self.freeCPUs = freeCPUs
        self.freeMemoryMiB = freeMemoryMiB
    }
}

public struct ResourcesReply: Codable, Sendable, Hashable {
    public var nodes: [NodeInfo]
    public init(nodes: [NodeInfo]) { self.nodes = nodes }
}

/// Drains, resumes or downs a node (admin, with a reason for the audit trail).
public struct NodeStateParameters: Codable, Sendable, Hashable {
    public var node: String
    /// `up`, `draining` or `down`.
    public var state: String
    public var reason: String
    public init(node: String, state: String, reason: String) {
        self.node = node
        self.state = state
        self.reason = reason
    }
}

public struct NodeReply: Codable, Sendable, Hashable {
    public var node: NodeInfo
    public init(node: NodeInfo) { self.node = node }
}

public struct AuditParameters: Codable, Sendable, Hashable {
    public var limit: Int?
    /// Recompute the hash chain over every record and report the first break.
    public var verify: Bool?
    public init(limit: Int? = nil, verify: Bool? = nil) {
        self.limit = limit
        self.verify = verify
    }
}

public struct AuditReply: Codable, Sendable, Hashable {
    public var entries: [AuditEntry]
    /// Set when `verify` was asked: true when the whole chain is intact.
    public var verified: Bool?
    /// The first record whose hash does not match, or that is missing.
    public var brokenAt: Int64?
    public var problem: String?
    public init(entries: [AuditEntry], verified: Bool?, brokenAt: Int64?, problem: String?) {
        self.entries = entries
        self.verified = verified
        self.brokenAt = brokenAt
        self.problem = problem
    }
}

public struct BackupParameters: Codable, Sendable, Hashable {
    /// An absolute path the daemon writes; it must not exist yet.
    public var path: String
    public var reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

public struct BackupReply: Codable, Sendable, Hashable {
    public var path: String
    public var bytes: Int64
    public init(path: String, bytes: Int64) {
        self.path = path
        self.bytes = bytes
    }
}

// MARK: io.slotd.Accounts

public struct WhoamiReply: Codable, Sendable, Hashable {
    public var user: String
    public var uid: Int64
    public var gid: Int64
    public var admin: Bool
    public var account: AccountInfo?
    public init(user: String, uid: Int64, gid: Int64, admin: Bool, account: AccountInfo?) {
        self.user = user
        self.uid = uid
        self.gid = gid
        self.admin = admin
        self.account = account
    }
}

public struct AccountParameters: Codable, Sendable, Hashable {
    public var name: String
    public var category: String?
    public var reason: String
    public init(name: String, category: String?, reason: String) {
        self.name = name
        self.category = category
        self.reason = reason
    }
}

public struct AccountReply: Codable, Sendable, Hashable {
    public var account: AccountInfo
    public init(account: AccountInfo) { self.account = account }
}

public struct AccountListReply: Codable, Sendable, Hashable {
    public var accounts: [AccountInfo]
    public init(accounts: [AccountInfo]) { self.accounts = accounts }
}

// MARK: io.slotd.Policy

public struct PolicyReply: Codable, Sendable, Hashable {
    public var version: String
    public var hash: String
    public var file: String
    public var source: String
    public init(version: String, hash: String, file: String, source: String) {
        self.version = version
        self.hash = hash
        self.file = file
        self.source = source
    }
}

public struct PolicyApplyParameters: Codable, Sendable, Hashable {
    /// The policy file's text (read by the client; the daemon need not see the client's files).
    public var source: String
    public var reason: String
    public init(source: String, reason: String) {
        self.source = source
        self.reason = reason
    }
}

public struct PolicyCheckParameters: Codable, Sendable, Hashable {
    public var source: String
    public init(source: String) { self.source = source }
}

public struct PolicyCheckReply: Codable, Sendable, Hashable {
    public var valid: Bool
    public var diagnostics: [String]
    public init(valid: Bool, diagnostics: [String]) {
        self.valid = valid
        self.diagnostics = diagnostics
    }
}

public struct PolicyVersionInfo: Codable, Sendable, Hashable {
    public var seq: Int64
    public var version: String
    public var hash: String
    public var appliedAt: Int64
    public var appliedBy: String
    public var reason: String
    public init(seq: Int64, version: String, hash: String, appliedAt: Int64, appliedBy: String, reason: String) {
        self.seq = seq
        self.version = version
        self.hash = hash
        self.appliedAt = appliedAt
        self.appliedBy = appliedBy
        self.reason = reason
    }
}

public struct PolicyHistoryReply: Codable, Sendable, Hashable {
    public var versions: [PolicyVersionInfo]
    public init(versions: [PolicyVersionInfo]) { self.versions = versions }
}

// MARK: org.varlink.service

public struct GetInfoReply: Codable, Sendable, Hashable {
    public var vendor: String
    public var product: String
    public var version: String
    public var url: String
    public var interfaces: [String]
    public init(vendor: String, product: String, version: String, url: String, interfaces: [String]) {
        self.vendor = vendor
        self.product = product
        self.version = version
        self.url = url
        self.interfaces = interfaces
    }
}

public struct InterfaceParameters: Codable, Sendable, Hashable {
    public var interface: String
    public init(interface: String) { self.interface = interface }
}

public struct InterfaceDescriptionReply: Codable, Sendable, Hashable {
    public var description: String
    public init(description: String) { self.description = description }
}
