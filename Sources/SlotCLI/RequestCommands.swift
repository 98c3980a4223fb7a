import ArgumentParser
import Foundation
import SlotClient
import SlotProtocol
import SlotCore

/// `slotctl submit -- CMD...`: asks for a slot.
struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Ask for a time-limited slot to run a command.",
        discussion: """
            The command runs as you, in its own session, confined to the slot's size, and is stopped at the end \
            of the duration (SIGTERM, then SIGKILL). Output goes to a log: `slotctl logs ID`.

            Examples:
              slotctl submit --sector healthcare --gpus 1 --duration 2h --purpose "fine-tune" -- python train.py
              slotctl submit --sector education_science --gpus 0 --duration 5m --wait -- sh -c 'echo hi'
              slotctl submit --sector healthcare --nodes 4 --gpus-per-node 8 --gpu-type h100 -- torchrun train.py
            A gang (--nodes N) gets N distinct nodes that start together and end together; --gpus-per-node,             --cpus and --memory are then per node, and GPU-hours count every GPU of every node. --gpus beyond             the largest node, without --nodes, becomes as few whole nodes as hold them.
            Exit status: 0 accepted (with --wait: the workload's exit status), 5 rejected by policy (every \
            reason is printed), 4 no account.
            """
    )

    @Option(help: "Priority economic sector (see `slotctl policy show`).")
    var sector: String?
    @Option(help: "GPUs in all (with --nodes: split evenly over the nodes; default 0).") var gpus: Int?
    @Option(help: "Nodes of a gang, started and ended together (default: 1; at most 1024).") var nodes: Int?
    @Option(help: "GPUs on each node of the gang (instead of --gpus).") var gpusPerNode: Int?
    @Option(help: "CPUs, per node with --nodes (default: 8 per GPU, at least 1).") var cpus: Int?
    @Option(help: "Memory, per node with --nodes, e.g. 16G or 512M (default: 4G per CPU).")
    var memory: SizeArgument?
    @Option(help: "How long the slot lasts, e.g. 90m, 2h, 1d (default: the policy's).") var duration: DurationArgument?
    @Option(help: "What the compute is for (seen by you and admins only).") var purpose = ""
    @Option(help: "Working directory (default: the current one).", completion: .directory) var workdir: String?
    @Option(name: .customLong("env"), help: "NAME=VALUE to set in the workload's environment (repeatable).")
    var environment: [String] = []
    @Flag(help: "Wait until the request ends; exit with the workload's exit status.") var wait = false
    @Flag(help: "Run with no network at all (Art. 17.4: restricted data).") var noNetwork = false
    @Option(
        help: "The project to run on: its award, window and category (`slotctl project list`; default: your account).")
    var project: String?
    @Option(
        name: .customLong("gpu-type"),
        help:
            "GPU models the slot may run on, comma-separated, e.g. h100 or h100,a100 (default: any; `slotctl resources` lists them)."
    )
    var gpuType: String?
    var gpuTypes: [String]? {
        gpuType.map { $0.split(separator: ",", omittingEmptySubsequences: false).map { String($0) } }
    }
    @OptionGroup var client: ClientOptions
    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.") var command: [String] = []

    func validate() throws {
        guard !command.isEmpty else { throw ValidationError("give the command after --, e.g. `-- sleep 60`") }
        if let gpuType, gpuTypes?.isEmpty != false || gpuTypes!.contains(where: { !GPU.isValidType($0) }) {
            throw ValidationError(
                "--gpu-type wants GPU models separated by commas, e.g. h100,a100 (lower-case letters, digits, -, _, .), got '\(gpuType)'"
            )
        }
        if let nodes, !(1...1_024).contains(nodes) { throw ValidationError("--nodes must be 1...1024") }
        if gpus != nil, gpusPerNode != nil { throw ValidationError("give --gpus or --gpus-per-node, not both") }
        if let gpus, let nodes, gpus % nodes != 0 {
            throw ValidationError(
                "--gpus \(gpus) does not split evenly over \(nodes) nodes; give --gpus-per-node instead")
        }
        for pair in environment where !pair.contains("=") {
            throw ValidationError("--env wants NAME=VALUE, got '\(pair)'")
        }
    }

    func run() throws {
        var env: [String: String] = [:]
        for pair in environment {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            env[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        let cwd =
            workdir.map { $0.hasPrefix("/") ? $0 : FileManager.default.currentDirectoryPath + "/" + $0 }
            ?? FileManager.default.currentDirectoryPath
        let parameters = SubmitParameters(
            sector: sector, gpus: gpusPerNode ?? (gpus ?? 0) / (nodes ?? 1), cpus: cpus,
            memoryMiB: memory?.mebibytes, durationSeconds: duration?.seconds, purpose: purpose, command: command,
            workingDirectory: cwd, environment: env.isEmpty ? nil : env, network: noNetwork ? false : nil,
            gpuTypes: gpuTypes, nodes: nodes)
        var withProject = parameters
        withProject.project = project
        let reply = try client.call("io.slotd.Requests.Submit", withProject, as: RequestReply.self)
        let request = reply.request
        guard wait else {
            client.emit(reply) { "request \(request.id) \(request.state.rawValue)" }
            return
        }
        if !client.json {
            FileHandle.standardError.write(Data("request \(request.id) \(request.state.rawValue)\n".utf8))
        }
        let final = try WatchCommand.follow(request.id, client, after: request.state) { info in
            if !client.json { FileHandle.standardError.write(Data("request \(info.id) \(info.state.rawValue)\n".utf8)) }
        }
        client.emit(RequestReply(request: final)) { Format.request(final) }
        switch final.state {
        case .completed: return
        case .failed: throw ExitCode(Int32(final.exitCode ?? 1))
        default: throw ExitStatus.error.exitCode
        }
    }
}

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List your requests (admins: --all for everyone's).",
        discussion: "Examples:\n  slotctl list\n  slotctl list --state completed --state failed --limit 20")
    @Flag(help: "Admins: every user's requests.") var all = false
    @Option(
        help: "Only this state (repeatable): pending, running, rejected, cancelled, completed, failed, expired, lost.")
    var state: [String] = []
    @Option(help: "At most this many, newest first (at most 1000000).") var limit = 100
    @OptionGroup var client: ClientOptions

    func validate() throws {
        guard (1...1_000_000).contains(limit) else { throw ValidationError("--limit must be 1...1000000") }
    }

    func run() throws {
        var states: [RequestState] = []
        for name in state {
            guard let s = RequestState(rawValue: name) else {
                throw ValidationError(
                    "unknown state '\(name)'; one of: \(RequestState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            states.append(s)
        }
        // Streamed: the daemon reads and sends one page of rows at a time while this decodes the previous one and
        // turns it into table rows, and no single reply has to hold the whole listing.
        var requests: [RequestInfo] = []
        var table = TextTable(header: [
            "ID", "STATE", "ACCOUNT", "SECTOR", "GPU", "CPU", "MEM", "DURATION", "SUBMITTED", "NODE",
            "COMMAND",
        ])
        try client.stream(
            "io.slotd.Requests.List",
            ListParameters(allUsers: all ? true : nil, states: states.isEmpty ? nil : states, limit: limit),
            as: ListReply.self
        ) { page in
            if client.json {
                requests += page.requests
            } else {
                for request in page.requests { table.add(Self.cells(request)) }
            }
        }
        client.emit(ListReply(requests: requests)) {
            table.rowCount > 0 ? table.text : "no requests" + (states.isEmpty ? " pending or running" : "")
        }
        // On stderr, so scripts reading the table are not disturbed.
        if !client.json {
            for notice in ProjectCommand.notices(client) {
                FileHandle.standardError.write(Data("notice: \(notice)\n".utf8))
            }
        }
    }

    static func cells(_ r: RequestInfo) -> [String] {
        [
            String(r.id), r.state.rawValue, r.account, r.sector, Format.perNode(r.gpus, r.nodes),
            Format.perNode(r.cpus, r.nodes), Format.perNode(Format.memory(r.memoryMiB), r.nodes),
            Format.duration(r.durationSeconds), Format.time(r.submittedAt), Format.nodes(r),
            r.command.joined(separator: " "),
        ]
    }
}

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one of your requests in full.")
    @Argument(help: "Request id.") var id: Int64
    @OptionGroup var client: ClientOptions

    func run() throws {
        let reply = try client.call("io.slotd.Requests.Get", IDParameters(id: id), as: RequestReply.self)
        client.emit(reply) { Format.request(reply.request) }
    }
}

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract:
            "Why a request has its priority, where it stands, every reason it is not running, and when it should start."
    )
    @Argument(help: "Request id.") var id: Int64
    @OptionGroup var client: ClientOptions

    func run() throws {
        let e = try client.call("io.slotd.Requests.Explain", IDParameters(id: id), as: ExplainReply.self)
        client.emit(e) {
            var lines = ["request \(e.id): \(e.state.rawValue)"]
            if let priority = e.priority {
                lines.append(
                    "priority \(Int(priority)) = "
                        + e.terms.map { "\($0.name) \(Int($0.points))" }.joined(separator: " + "))
                for term in e.terms {
                    lines.append(
                        "  \(term.name.padding(toLength: 11, withPad: " ", startingAt: 0)) \(String(Int(term.points)).padding(toLength: 6, withPad: " ", startingAt: 0)) \(term.detail)\(term.source.map { "  [\($0)]" } ?? "")"
                    )
                }
            }
            if let position = e.position {
                lines.append(
                    "position \(position) in the queue"
                        + (e.positionInClass.map { ", \($0) in class \(e.queueClass ?? "?")" } ?? ""))
            }
            if !e.reasons.isEmpty {
                lines.append("not running because:")
                for reason in e.reasons { lines.append("  - \(reason.message) [\(reason.code)]") }
            }
            lines.append("estimated start: \(Format.time(e.estimatedStart)) (\(e.estimateNote))")
            return lines.joined(separator: "\n")
        }
    }
}

struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel a pending request, or stop a running slot.")
    @Argument(help: "Request id.") var id: Int64
    @OptionGroup var client: ClientOptions

    func run() throws {
        let reply = try client.call("io.slotd.Requests.Cancel", IDParameters(id: id), as: RequestReply.self)
        client.emit(reply) {
            reply.request.state == .running
                ? "request \(id): stopping (SIGTERM, then SIGKILL after the grace period)"
                : "request \(id) \(reply.request.state.rawValue)"
        }
    }
}

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch", abstract: "Follow state changes of one request (or all of yours) as they happen.",
        discussion: "With an id it ends when the request ends. --json prints one JSON object per line.")
    @Argument(help: "Request id (default: all of your requests).") var id: Int64?
    @OptionGroup var client: ClientOptions

    func run() throws {
        let connection = try client.connect()
        // Watching everything has no first reply to wait for: news may be hours apart.
        if id == nil { connection.timeout = nil }
        do {
            try connection.stream("io.slotd.Requests.Watch", WatchParameters(id: id), as: WatchReply.self) {
                reply throws(ClientError) in
                connection.timeout = nil  // the daemon is there; the next change may be hours away
                let r = reply.request
                if client.json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                    print((try? encoder.encode(reply)).map { String(decoding: $0, as: UTF8.self) } ?? "{}")
                } else {
                    print(
                        "\(Format.time(r.endedAt ?? r.startedAt ?? r.submittedAt))  request \(r.id)  \(r.state.rawValue)"
                            + (r.outcome.map { "  (\($0))" } ?? ""))
                }
                fflush(nil)
                return true
            }
        } catch { try client.fail(error) }
    }

    /// Follows request `id` until it ends; returns its final state.
    static func follow(
        _ id: Int64, _ client: ClientOptions, after known: RequestState? = nil,
        _ onChange: (RequestInfo) -> Void
    ) throws -> RequestInfo {
        let connection = try client.connect()
        var last: RequestInfo?
        var lastState = known
        do {
            try connection.stream("io.slotd.Requests.Watch", WatchParameters(id: id), as: WatchReply.self) {
                reply throws(ClientError) in
                connection.timeout = nil  // the daemon is there; the slot may run for hours
                if lastState != reply.request.state { onChange(reply.request) }
                last = reply.request
                lastState = reply.request.state
                return !reply.request.state.isFinal
            }
        } catch { try client.fail(error) }
        guard let last else { throw ExitStatus.error.exitCode }
        return last
    }
}

struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Print a request's output (stdout and stderr).",
        discussion: "Examples:\n  slotctl logs 42\n  slotctl logs --follow 42")
    @Argument(help: "Request id.") var id: Int64
    @Flag(name: .shortAndLong, help: "Keep printing new output until the request ends.") var follow = false
    @OptionGroup var client: ClientOptions

    func run() throws {
        var offset: Int64 = 0
        var collected = ""
        while true {
            let reply = try client.call(
                "io.slotd.Requests.Logs", LogsParameters(id: id, offset: offset), as: LogsReply.self)
            offset = reply.offset
            if client.json { collected += reply.data } else { FileHandle.standardOutput.write(Data(reply.data.utf8)) }
            if reply.data.utf8.count >= 256 * 1_024 { continue }
            if !follow || reply.ended { break }
            usleep(500_000)
        }
        if client.json { client.emit(LogsReply(data: collected, offset: offset, ended: true)) { "" } }
    }
}

struct QueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "The queue in the order it is served; other users' requests are anonymised.")
    @Option(help: "At most this many entries.") var limit = 50
    @OptionGroup var client: ClientOptions

    func run() throws {
        let q = try client.call("io.slotd.Requests.Queue", QueueParameters(limit: limit), as: QueueReply.self)
        client.emit(q) {
            "\(q.pending) pending, \(q.running) running\n"
                + Format.table(
                    ["POS", "STATE", "CLASS", "GPU", "CPU", "MEM", "DURATION", "NODE", "ID"],
                    q.entries.map { e in
                        [
                            e.position.map(String.init) ?? "-", e.state.rawValue, e.queueClass,
                            Format.perNode(e.gpus, e.nodes), Format.perNode(e.cpus, e.nodes),
                            Format.perNode(Format.memory(e.memoryMiB), e.nodes), Format.duration(e.durationSeconds),
                            e.nodeList.map { $0.count > 1 ? "\($0[0])+\($0.count - 1)" : $0.joined() } ?? "-",
                            e.id.map { String($0) + (e.mine ? " (yours)" : "") } ?? "-",
                        ]
                    })
        }
    }
}
