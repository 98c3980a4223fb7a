import ArgumentParser
import Foundation
import SlotClient
import SlotCore
import SlotProtocol

/// Options of every verb that talks to the daemon.
struct ClientOptions: ParsableArguments {
    @Option(
        help: "The daemon's socket (default: $SLOTD_SOCKET, ./.slotd-dev/io.slotd if present, /run/slotd/io.slotd).")
    var socket: String?

    /// `--json`, defined once for every verb (`OutputOptions`).
    @OptionGroup var output: OutputOptions
    var json: Bool { output.json }

    var socketPath: String {
        if let socket { return socket }
        if let env = ProcessInfo.processInfo.environment["SLOTD_SOCKET"], !env.isEmpty { return env }
        let dev = FileManager.default.currentDirectoryPath + "/.slotd-dev/io.slotd"
        if FileManager.default.fileExists(atPath: dev) { return dev }
        return "/run/slotd/io.slotd"
    }

    @Option(
        help: ArgumentHelp(
            "Seconds to wait for the daemon's answer before giving up (0: forever).",
            valueName: "seconds"))
    var timeout: Double = 30

    /// The reply timeout, nil for none.
    var replyTimeout: Double? { timeout > 0 ? timeout : nil }

    func connect() throws -> VarlinkConnection {
        do {
            let connection = try VarlinkConnection(path: socketPath)
            connection.timeout = replyTimeout
            return connection
        } catch { try fail(error) }
    }

    /// One call; on a named error prints it and exits with the contract's code.
    func call<P: Codable & Sendable, R: Codable & Sendable>(_ method: String, _ parameters: P, as: R.Type = R.self)
        throws -> R
    {
        let connection = try connect()
        do { return try connection.call(method, parameters, as: R.self) } catch { try fail(error) }
    }

    /// A `more` call: hands each reply to `body` until the daemon stops continuing; on a named error prints it and
    /// exits with the contract's code.
    func stream<P: Codable & Sendable, R: Codable & Sendable>(
        _ method: String, _ parameters: P, as: R.Type = R.self, waitsForNews: Bool = false, _ body: (R) -> Void
    ) throws {
        let connection = try connect()
        do {
            try connection.stream(method, parameters, as: R.self) { reply in
                // The first reply shows the daemon is there; later ones may be hours apart (a quiet Watch).
                if waitsForNews { connection.timeout = nil }
                body(reply)
                return true
            }
        } catch { try fail(error) }
    }

    /// Prints `value` as JSON when --json, else `text()`.
    func emit<R: Encodable>(_ value: R, _ text: () -> String) {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print((try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}")
        } else {
            let out = text()
            if !out.isEmpty { print(out) }
        }
    }

    func fail(_ error: ClientError) throws -> Never {
        let status: ExitStatus
        var code = "client.error"
        switch error {
        case .remote(let wire):
            code = wire.name
            switch wire.shortName {
            case "NotFound", "InterfaceNotFound", "MethodNotFound": status = .notFound
            case "PermissionDenied", "NoAccount", "AgreementRequired", "AgreementMismatch": status = .permissionDenied
            case "PolicyViolation", "Invalid": status = .rejectedByPolicy
            case "InvalidParameter": status = .usage
            default: status = .error
            }
        case .daemonNotRunning: code = "client.daemon-not-running"; status = .error
        default: status = .error
        }
        if json {
            print(CLIError(code: code, message: error.description).json())
        } else {
            if case .remote(let wire) = error, wire.shortName == "AgreementRequired" { printNotice() }
            FileHandle.standardError.write(Data("slotctl: \(error)\n".utf8))
        }
        throw status.exitCode
    }

    /// The first-use notice (Art. 7.2): that allocation is automated, what decides it, and how to get an
    /// explanation or contest a decision. Shown when a submit is refused for want of an accepted agreement.
    func printNotice() {
        guard let connection = try? VarlinkConnection(path: socketPath),
            let agreement = try? connection.call("io.slotd.Accounts.Agreement", Empty(), as: AgreementReply.self)
        else { return }
        FileHandle.standardError.write(Data((agreement.notice + "\n\n").utf8))
    }
}

/// Parses `90m`, `2h`, `1d`, `45s`, or plain seconds.
struct DurationArgument: ExpressibleByArgument, Sendable {
    var seconds: Int64
    init?(argument: String) {
        if let plain = Int64(argument), plain > 0 { seconds = plain; return }
        guard let parsed = SlotDuration(parsing: argument), parsed.seconds > 0 else { return nil }
        seconds = parsed.seconds
    }
    static var defaultCompletionKind: CompletionKind { .list(["30m", "1h", "2h", "1d"]) }
}

/// Parses `16G`, `512M`, `1T` (binary units) or plain MiB.
struct SizeArgument: ExpressibleByArgument, Sendable {
    var mebibytes: Int
    init?(argument: String) {
        let text = argument.uppercased().replacingOccurrences(of: "IB", with: "").replacingOccurrences(
            of: "B", with: "")
        let units: [Character: Double] = ["M": 1, "G": 1_024, "T": 1_048_576]
        if let last = text.last, let factor = units[last], let value = Double(text.dropLast()), value > 0 {
            mebibytes = Int(value * factor)
        } else if let plain = Int(text), plain > 0 {
            mebibytes = plain
        } else {
            return nil
        }
    }
}

enum Format {
    static func time(_ ms: Int64?) -> String { ms.map { Timestamp($0).description } ?? "-" }

    static func duration(_ seconds: Int64) -> String { SlotDuration(seconds: seconds).description }

    static func memory(_ mib: Int) -> String { mib % 1_024 == 0 ? "\(mib / 1_024)G" : "\(mib)M" }

    /// A left-aligned table with a header row (``TextTable``).
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var table = TextTable(header: header)
        for row in rows { table.add(row) }
        return table.text
    }

    /// `8`, or `4x8` for a gang of 4 nodes with 8 on each.
    static func perNode(_ value: some CustomStringConvertible, _ nodes: Int?) -> String {
        nodes.map { "\($0)x\(value)" } ?? "\(value)"
    }

    /// Where a request runs: its node, `node0+3` for a gang on node0 and 3 more, `-` before it starts.
    static func nodes(_ r: RequestInfo) -> String {
        guard let first = r.node else { return "-" }
        guard let list = r.nodeList, list.count > 1 else { return first }
        return "\(first)+\(list.count - 1)"
    }

    static func request(_ r: RequestInfo) -> String {
        var lines = [
            "request \(r.id): \(r.state.rawValue)",
            "  account    \(r.account) (uid \(r.uid)), sector \(r.sector)",
            "  size       " + (r.nodes.map { "\($0) nodes × " } ?? "")
                + "\(r.gpus) GPU, \(r.cpus) CPU, \(memory(r.memoryMiB)) for \(duration(r.durationSeconds))",
            "  command    \(r.command.joined(separator: " "))  (in \(r.workingDirectory))",
            "  purpose    \(r.purpose.isEmpty ? "-" : r.purpose)",
            "  network    \(r.network == false ? "none (Art. 17.4)" : "yes")",
            "  GPU type   \(r.gpuTypes?.joined(separator: " or ") ?? "any")",
            "  submitted  \(time(r.submittedAt))",
        ]
        if let started = r.startedAt {
            lines.append(
                "  started    \(time(started)) on \(r.nodeList?.joined(separator: ", ") ?? r.node ?? "?")"
                    + ((r.gpuIndices ?? []).isEmpty || r.nodeList != nil
                        ? "" : ", GPUs \((r.gpuIndices ?? []).map(String.init).joined(separator: ","))"))
        }
        if let job = r.clusterJob {
            lines.append("  cluster    job \(job)" + (r.clusterState.map { ": \($0)" } ?? ""))
        } else if let state = r.clusterState {
            lines.append("  cluster    \(state)")
        }
        if let ended = r.endedAt { lines.append("  ended      \(time(ended))") }
        if let outcome = r.outcome { lines.append("  outcome    \(outcome)") }
        for reason in r.reasons ?? [] { lines.append("  rejected   \(reason.message) [\(reason.code)]") }
        if let log = r.logFile { lines.append("  log        \(log)  (slotctl logs \(r.id))") }
        return lines.joined(separator: "\n")
    }
}
