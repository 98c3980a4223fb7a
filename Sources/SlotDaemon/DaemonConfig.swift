import Foundation
import SlotCore
import SlotStore
import TOMLKit

/// The daemon's configuration: `/etc/slotd/slotd.toml` in system mode, embedded defaults with `--dev`.
/// Strict: an unknown key, a wrong type or an out-of-range value is an error naming the key; nothing is guessed.
public struct DaemonConfig: Sendable, Hashable {
    public enum Mode: String, Sendable { case dev, system }

    public var mode: Mode
    /// The Varlink socket (ignored when systemd passes one: socket activation).
    public var socket: String
    /// Database, slot records and slot logs live here.
    public var stateDirectory: String
    /// Where slots' logs go (nil: `<state_directory>/logs`). Put it on another filesystem than the database, so
    /// that a slot that writes much cannot fill the database's disk.
    public var logsDirectory: String?
    /// The logs' directory in force.
    public var logs: String { logsDirectory ?? stateDirectory + "/logs" }
    public var policyFile: String
    /// `detect`, or a declared inventory `COUNTxGPUS[:TYPE][:CPUS[:MEMORY_GIB]]` (e.g. `1x8:64:512`, `2x8:h100`).
    public var inventory: String
    /// Members of this Unix group (and root) are admins.
    public var adminGroup: String
    public var durability: SlotStore.Durability
    public var limits: Limits
    /// How slots run: `systemd` (transient units over D-Bus), `process` (child processes), `slurm` (batch jobs of
    /// an existing Slurm cluster, see ``Slurm``), or `auto`: systemd when it is PID 1 and slotd runs as root, the
    /// process executor otherwise.
    public var executor: Executor = .auto

    public enum Executor: String, Sendable, Hashable, CaseIterable { case auto, systemd, process, slurm }

    /// The Slurm cluster slotd fronts (`[slurm]`, with `executor = "slurm"`).
    public var slurm = Slurm()
    /// Run when a project enters its notice period before the window closes (`project_notice_command`, an
    /// absolute path): `COMMAND PROJECT CLOSES-ISO8601 PI MEMBER...`, as the daemon's user, with an empty
    /// environment, killed after 30 s. For e-mail; the journal has the notice either way.
    public var projectNoticeCommand: String?

    public struct Slurm: Sendable, Hashable {
        /// The partition only slotd submits to (guarded by Deploy/slurm/job_submit.lua).
        public var partition = "slotd"
        /// Where `sbatch`, `squeue`, `sinfo` and `scancel` are.
        public var toolsDirectory = "/usr/bin"
        /// `SLURM_CONF` for the tools; nil: Slurm's default (/etc/slurm/slurm.conf).
        public var configuration: String?
        /// The most seconds one tool call may take.
        public var commandTimeoutSeconds = 10
        /// How often slotd looks at its jobs and the nodes.
        public var pollMilliseconds = 500
    }

    /// Allocation reports (Art. 8, 26.3).
    public var reports = Reports()
    /// Prometheus metrics (off unless a file or a listener is configured).
    public var metrics = Metrics()

    public struct Metrics: Sendable, Hashable {
        /// A file for node_exporter's textfile collector, rewritten every `intervalSeconds`.
        public var textfile: String?
        /// A loopback address to serve `GET /metrics` on.
        public var listen: Address?
        public var intervalSeconds = 15

        public var enabled: Bool { textfile != nil || listen != nil }

        public struct Address: Sendable, Hashable {
            public var host: String
            public var port: Int

            /// `127.0.0.1:9464`, `[::1]:9464` or `localhost:9464`; nil for anything else (loopback only).
            public init?(_ text: String) {
                guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
                    (1...65_535).contains(port)
                else { return nil }
                var host = String(text[..<colon])
                if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
                let loopback =
                    host == "localhost" || host == "::1"
                    || (host.hasPrefix("127.") && host.split(separator: ".").count == 4
                        && host.split(separator: ".").allSatisfy { UInt8($0) != nil })
                guard loopback else { return nil }
                self.host = host == "localhost" ? "127.0.0.1" : host
                self.port = port
            }
        }
    }

    public struct Reports: Sendable, Hashable {
        /// Groups with fewer distinct accounts are suppressed in reports over everyone (Art. 10).
        public var minGroupAccounts = 5
        /// Power of one GPU, watts, for the energy estimate (Art. 8.3), when its model is not in `gpuWattsByModel`.
        public var gpuWatts = 700
        /// Power per GPU model name (as the inventory reports it, e.g. from `nvidia-smi -L`).
        public var gpuWattsByModel: [String: Int] = [:]

        /// The watts of one GPU of `model`.
        public func watts(model: String?) -> Int { model.flatMap { gpuWattsByModel[$0] } ?? gpuWatts }
    }

    public struct Limits: Sendable, Hashable {
        public var maxFrameBytes = 1 << 20
        public var maxConnections = 1_024
        /// Connections one uid may hold at once (root: only the total applies).
        public var maxConnectionsPerUser = 64
        /// A frame must arrive whole within this many seconds of its first byte (slow senders are closed).
        public var frameTimeoutSeconds = 10
        /// Calls read ahead of the one being answered, per connection (back-pressure beyond it).
        public var maxCallsInFlight = 64
        /// A connection that sends nothing for this long (and has no call open) is closed.
        public var idleTimeoutSeconds = 300
        /// Most pending requests; beyond it Submit is refused with `queue-full`.
        public var queueCapacity = 200_000
        /// Most pending requests in one queue class (category × sector × fair-share band); a power of two.
        /// Every class's ring is allocated up front: 32 bytes × this × the number of classes.
        public var queueClassCapacity = 16_384
        /// SIGTERM → SIGKILL grace when a slot is stopped.
        public var stopGraceSeconds = 10
        /// Requests one uid (root too) may have pending at once; beyond it Submit is refused with
        /// `TooManyPending`, and nothing is stored. Keeps one user from filling a queue class for everyone.
        public var maxPendingPerUser = 2_000
        /// A slot's log may grow to this many bytes; a slot that writes more is stopped (outcome "log limit").
        public var maxLogBytes: Int64 = 1 << 30
        /// New requests are refused (`DiskNearlyFull`) while the database's or the logs' filesystem has less than
        /// this many MiB free; reads, cancels and running slots go on.
        public var minFreeDiskMiB = 256
        /// Expensive calls (`Policy.Check`, `Reports.Allocation`) one uid may make per minute; they run one at a
        /// time on their own thread, off the engine.
        public var expensiveCallsPerMinute = 30
    }

    /// Dev mode: everything under `stateDirectory` (default `.slotd-dev` in the working directory), the
    /// repository's default policy, a detected inventory, and the invoking user as admin.
    public static func dev(stateDirectory: String = ".slotd-dev", policyFile: String = "Policies/default.toml")
        -> DaemonConfig
    {
        let state = absolute(stateDirectory)
        return DaemonConfig(
            mode: .dev, socket: state + "/io.slotd", stateDirectory: state, policyFile: absolute(policyFile),
            inventory: "detect", adminGroup: "slotd-admin", durability: .full, limits: Limits())
    }

    /// System mode defaults (what `/etc/slotd/slotd.toml` overrides).
    public static let system = DaemonConfig(
        mode: .system, socket: "/run/slotd/io.slotd", stateDirectory: "/var/lib/slotd",
        policyFile: "/etc/slotd/policy.toml", inventory: "detect", adminGroup: "slotd-admin", durability: .full,
        limits: Limits())

    /// Reads `path` over `base`. Every key is optional; unknown keys are errors.
    public static func load(_ path: String, over base: DaemonConfig) throws(ConfigError) -> DaemonConfig {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw .cannotRead(path: path) }
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch {
            throw .invalid(path: path, key: "", reason: "not valid TOML: \(error)")
        }
        var config = base
        var reader = ConfigReader(path: path, table: table, prefix: "")
        config.socket = try reader.string("socket") ?? config.socket
        config.stateDirectory = try reader.string("state_directory") ?? config.stateDirectory
        config.policyFile = try reader.string("policy") ?? config.policyFile
        if let command = try reader.string("project_notice_command") {
            guard command.hasPrefix("/") else {
                throw .invalid(path: path, key: "project_notice_command", reason: "must be an absolute path")
            }
            config.projectNoticeCommand = command
        }
        if let logs = try reader.string("logs_directory") {
            guard logs.hasPrefix("/") else {
                throw .invalid(path: path, key: "logs_directory", reason: "must be an absolute path")
            }
            config.logsDirectory = logs
        }
        config.inventory = try reader.string("inventory") ?? config.inventory
        config.adminGroup = try reader.string("admin_group") ?? config.adminGroup
        if let durability = try reader.string("durability") {
            guard let value = SlotStore.Durability(rawValue: durability) else {
                throw .invalid(path: path, key: "durability", reason: "expected \"full\" or \"normal\"")
            }
            config.durability = value
        }
        if let executor = try reader.string("executor") {
            guard let value = Executor(rawValue: executor) else {
                throw .invalid(
                    path: path, key: "executor", reason: "expected \"auto\", \"systemd\", \"process\" or \"slurm\"")
            }
            config.executor = value
        }
        if let limits = try reader.table("limits") {
            var inner = ConfigReader(path: path, table: limits, prefix: "limits.")
            let l = config.limits
            config.limits.maxFrameBytes = try inner.int("max_frame_bytes", 1_024...(64 << 20)) ?? l.maxFrameBytes
            config.limits.maxConnections = try inner.int("max_connections", 1...100_000) ?? l.maxConnections
            config.limits.maxConnectionsPerUser =
                try inner.int("max_connections_per_user", 1...100_000)
                ?? l.maxConnectionsPerUser
            config.limits.frameTimeoutSeconds =
                try inner.int("frame_timeout_seconds", 1...3_600) ?? l.frameTimeoutSeconds
            config.limits.maxCallsInFlight = try inner.int("max_calls_in_flight", 1...10_000) ?? l.maxCallsInFlight
            config.limits.idleTimeoutSeconds = try inner.int("idle_timeout_seconds", 1...86_400) ?? l.idleTimeoutSeconds
            config.limits.queueCapacity = try inner.int("queue_capacity", 16...10_000_000) ?? l.queueCapacity
            config.limits.stopGraceSeconds = try inner.int("stop_grace_seconds", 0...3_600) ?? l.stopGraceSeconds
            config.limits.maxPendingPerUser =
                try inner.int("max_pending_per_user", 1...10_000_000) ?? l.maxPendingPerUser
            config.limits.maxLogBytes =
                try Int64(inner.int("max_log_mib", 1...(1 << 22)) ?? Int(l.maxLogBytes >> 20)) << 20
            config.limits.minFreeDiskMiB = try inner.int("min_free_disk_mib", 0...(1 << 30)) ?? l.minFreeDiskMiB
            config.limits.expensiveCallsPerMinute =
                try inner.int("expensive_calls_per_minute", 1...100_000)
                ?? l.expensiveCallsPerMinute
            let classCapacity = try inner.int("queue_class_capacity", 64...(1 << 20)) ?? l.queueClassCapacity
            guard classCapacity.nonzeroBitCount == 1 else {
                throw .invalid(
                    path: path, key: "limits.queue_class_capacity",
                    reason: "must be a power of two (e.g. 16384, 32768, 65536)")
            }
            config.limits.queueClassCapacity = classCapacity
            try inner.finish()
        }
        if let slurm = try reader.table("slurm") {
            var inner = ConfigReader(path: path, table: slurm, prefix: "slurm.")
            let s = config.slurm
            config.slurm.partition = try inner.string("partition") ?? s.partition
            config.slurm.toolsDirectory = try inner.string("tools_directory") ?? s.toolsDirectory
            config.slurm.configuration = try inner.string("configuration") ?? s.configuration
            for (key, value) in [
                ("tools_directory", config.slurm.toolsDirectory), ("configuration", config.slurm.configuration ?? "/"),
            ] where !value.hasPrefix("/") {
                throw .invalid(path: path, key: "slurm." + key, reason: "must be an absolute path")
            }
            config.slurm.commandTimeoutSeconds =
                try inner.int("command_timeout_seconds", 1...300) ?? s.commandTimeoutSeconds
            config.slurm.pollMilliseconds = try inner.int("poll_milliseconds", 100...60_000) ?? s.pollMilliseconds
            try inner.finish()
        }
        if let reports = try reader.table("reports") {
            var inner = ConfigReader(path: path, table: reports, prefix: "reports.")
            let r = config.reports
            config.reports.minGroupAccounts = try inner.int("min_group_accounts", 1...1_000) ?? r.minGroupAccounts
            config.reports.gpuWatts = try inner.int("gpu_watts", 0...10_000) ?? r.gpuWatts
            if let models = try inner.table("gpu_watts_by_model") {
                var byModel = ConfigReader(path: path, table: models, prefix: "reports.gpu_watts_by_model.")
                for model in models.keys {
                    config.reports.gpuWattsByModel[model] = try byModel.int(model, 0...10_000)
                }
                try byModel.finish()
            }
            try inner.finish()
        }
        if let metrics = try reader.table("metrics") {
            var inner = ConfigReader(path: path, table: metrics, prefix: "metrics.")
            config.metrics.textfile = try inner.string("textfile")
            if let textfile = config.metrics.textfile, !textfile.hasPrefix("/") {
                throw .invalid(path: path, key: "metrics.textfile", reason: "must be an absolute path")
            }
            if let listen = try inner.string("listen") {
                guard let address = Metrics.Address(listen) else {
                    throw .invalid(
                        path: path, key: "metrics.listen",
                        reason: "expected a loopback HOST:PORT, e.g. \"127.0.0.1:9464\" (metrics are never "
                            + "served beyond this machine; put a reverse proxy or node_exporter in front)")
                }
                config.metrics.listen = address
            }
            config.metrics.intervalSeconds =
                try inner.int("interval_seconds", 1...3_600) ?? config.metrics.intervalSeconds
            try inner.finish()
        }
        try reader.finish()
        return config
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}

/// Reads one table strictly, remembering which keys it read so ``finish()`` can reject the rest.
struct ConfigReader {
    let path: String
    let table: TOMLTable
    let prefix: String
    var read: Set<String> = []

    init(path: String, table: TOMLTable, prefix: String) {
        self.path = path
        self.table = table
        self.prefix = prefix
    }

    mutating func string(_ key: String) throws(ConfigError) -> String? {
        read.insert(key)
        guard let value = table[key] else { return nil }
        guard let string = value.string, !string.isEmpty else {
            throw .invalid(path: path, key: prefix + key, reason: "expected a non-empty string")
        }
        return string
    }

    mutating func int(_ key: String, _ range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        read.insert(key)
        guard let value = table[key] else { return nil }
        guard let int = value.int, range.contains(int) else {
            throw .invalid(
                path: path, key: prefix + key,
                reason: "expected an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return int
    }

    mutating func table(_ key: String) throws(ConfigError) -> TOMLTable? {
        read.insert(key)
        guard let value = table[key] else { return nil }
        guard let inner = value.table else { throw .invalid(path: path, key: prefix + key, reason: "expected a table") }
        return inner
    }

    func finish() throws(ConfigError) {
        let unknown = table.keys.filter { !read.contains($0) }.sorted()
        if let first = unknown.first {
            throw .invalid(
                path: path, key: prefix + first,
                reason: "unknown key (known: \(read.sorted().joined(separator: ", ")))")
        }
    }
}

/// Why the daemon cannot start. Stable codes.
public enum ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    case cannotRead(path: String)
    case invalid(path: String, key: String, reason: String)
    case inventory(String)

    public var description: String {
        switch self {
        case .cannotRead(let path): "cannot read the configuration file \(path)"
        case .invalid(let path, let key, let reason): "\(path): \(key.isEmpty ? "" : "'\(key)': ")\(reason)"
        case .inventory(let reason): "inventory: \(reason)"
        }
    }
}
