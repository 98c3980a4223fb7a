import ArgumentParser
import Foundation

/// `slotctl`: the command-line client of slotd. The whole verb table is `configuration.subcommands`.
public struct Slotctl: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "slotctl",
        abstract: "Request and manage time-limited compute slots on the national AI platform.",
        discussion: """
            Talks to slotd over its Varlink socket; who you are comes from the kernel, not from any option.
            Every verb accepts --json for machine-readable output.
            Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 permission denied, 5 rejected by policy.
            """,
        version: SlotctlVersion.current,
        subcommands: [
            SubmitCommand.self, ListCommand.self, ShowCommand.self, ExplainCommand.self, CancelCommand.self,
            WatchCommand.self, LogsCommand.self, QueueCommand.self, ResourcesCommand.self, NodeCommand.self,
            WhoamiCommand.self,
            StatusCommand.self, PolicyCommand.self, AccountCommand.self, AuditCommand.self, AdminCommand.self,
            AgreementCommand.self, ContestCommand.self, ReportCommand.self, SimulateCommand.self, ProjectCommand.self,
        ]
    )

    public init() {}

    /// Runs slotctl with `arguments` (without the program name) and exits with the contract's exit code.
    ///
    /// `--json` is a per-verb flag; written before the verb (`slotctl --json policy check F`) it is moved after it.
    /// Usage errors exit with 2, as the contract says (ArgumentParser's own default is 64).
    public static func main(arguments: [String]) -> Never {
        do {
            var command = try parseAsRoot(JSONFlag.movedAfterVerb(arguments))
            try command.run()
            Foundation.exit(0)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code.isSuccess {
                if !message.isEmpty { print(message) }
                Foundation.exit(0)
            }
            if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            Foundation.exit(code == .validationFailure ? ExitStatus.usage.rawValue : code.rawValue)
        }
    }
}

/// The version `slotctl --version` prints.
public enum SlotctlVersion {
    public static let current = "0.3.0"
}

/// Options every verb shares: the one definition of `--json` (daemon verbs include it through `ClientOptions`).
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON document on stdout instead of text (for a daemon verb: its reply's parameters).")
    var json = false
}

enum JSONFlag {
    /// Moves a leading `--json` (before the first non-option argument) to the end, so it reaches the verb.
    static func movedAfterVerb(_ arguments: [String]) -> [String] {
        guard let verb = arguments.firstIndex(where: { !$0.hasPrefix("-") }),
            let flag = arguments[..<verb].firstIndex(of: "--json")
        else { return arguments }
        var moved = arguments
        moved.remove(at: flag)
        moved.append("--json")
        return moved
    }
}
