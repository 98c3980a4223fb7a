import ArgumentParser
import Foundation
import SlotProtocol

/// `slotctl agreement show|accept`: the platform's user agreement (Art. 15.2.5) and the notice on automated
/// allocation (Art. 7.2).
struct AgreementCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agreement",
        abstract: "Read and accept the platform's user agreement (needed before your first request).",
        discussion: """
            The policy in force names the agreement and its version. Submit is refused until your account has \
            accepted the current version; a new version, or any change of its text, needs a new acceptance.

            Examples:
              slotctl agreement show
              slotctl agreement accept          # shows it and asks (on a terminal)
              slotctl agreement accept --yes    # after reading it with `show` (scripts)
            """,
        subcommands: [Show.self, Accept.self], defaultSubcommand: Show.self)

    static func text(_ a: AgreementReply) -> String {
        var lines = [a.notice, ""]
        guard a.required, let version = a.version else {
            return (lines + ["This platform's policy names no user agreement: nothing to accept."]).joined(
                separator: "\n")
        }
        lines.append("User agreement, version \(version) (sha256 \(a.hash ?? "-")):")
        lines.append("")
        lines.append(a.text ?? "")
        if let at = a.acceptedAt {
            lines.append("You accepted this version on \(Format.time(at)).")
        } else {
            lines.append("You have not accepted this version. To accept it: slotctl agreement accept")
        }
        return lines.joined(separator: "\n")
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show the agreement, how allocation works, and whether you have accepted it.")
        @OptionGroup var client: ClientOptions
        func run() throws {
            let a = try client.call("io.slotd.Accounts.Agreement", Empty(), as: AgreementReply.self)
            client.emit(a) { AgreementCommand.text(a) }
        }
    }

    struct Accept: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "accept",
            abstract: "Accept the agreement in force (the exact version and text you were shown).",
            discussion: """
                Without --yes, the agreement is shown and you are asked to confirm; this needs a terminal. With \
                --yes, the version and text in force are accepted: read them first with `slotctl agreement show`. \
                --version makes sure you accept only the version you read.
                """)
        @Flag(help: "Accept without asking (you have read `slotctl agreement show`).") var yes = false
        @Option(help: "Accept only if this is the version in force.") var version: String?
        @OptionGroup var client: ClientOptions

        func run() throws {
            let current = try client.call("io.slotd.Accounts.Agreement", Empty(), as: AgreementReply.self)
            guard current.required, let inForce = current.version, let hash = current.hash else {
                client.emit(current) { "This platform's policy names no user agreement: nothing to accept." }
                return
            }
            if let version, version != inForce {
                try usageFailure(
                    "version \(inForce) is in force, not \(version); read it with `slotctl agreement show`")
            }
            if current.accepted {
                client.emit(current) { "You accepted version \(inForce) on \(Format.time(current.acceptedAt))." }
                return
            }
            if !yes {
                guard isatty(STDIN_FILENO) == 1 else {
                    try usageFailure(
                        "not a terminal: read it with `slotctl agreement show`, then run "
                            + "`slotctl agreement accept --yes`")
                }
                print(AgreementCommand.text(current))
                print("\nAccept version \(inForce)? [y/N] ", terminator: "")
                let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased()
                guard answer == "y" || answer == "yes" else {
                    FileHandle.standardError.write(Data("not accepted\n".utf8))
                    throw ExitStatus.error.exitCode
                }
            }
            let a = try client.call(
                "io.slotd.Accounts.AcceptAgreement",
                AcceptAgreementParameters(version: inForce, hash: hash), as: AgreementReply.self)
            client.emit(a) { "You accepted the user agreement, version \(inForce), on \(Format.time(a.acceptedAt))." }
        }
    }
}

/// `slotctl contest ID --reason TEXT` and `slotctl contest list`: contesting a decision (Art. 7.2, 16).
struct ContestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contest",
        abstract: "Contest the rejection or the queue position of one of your requests, and see the outcomes.",
        discussion: """
            An admin reviews every contest and decides it with a reason: upheld (the decision stands) or granted \
            (a pending request's priority is raised for a bounded time, which `slotctl explain` shows as its own \
            term; a rejected request is put back in the queue). Contests are in the audit trail.

            Examples:
              slotctl contest 42 --reason "the sector should be healthcare: see the project's ministry letter"
              slotctl contest list
            """,
        subcommands: [Open.self, List.self], defaultSubcommand: Open.self)

    static func table(_ contests: [ContestInfo]) -> String {
        guard !contests.isEmpty else { return "no contests" }
        return Format.table(
            ["ID", "REQUEST", "ACCOUNT", "KIND", "STATE", "OPENED", "DECIDED", "BY", "EFFECT", "REASON", "DECISION"],
            contests.map {
                [
                    String($0.id), String($0.requestID), $0.account, $0.kind, $0.state.rawValue,
                    Format.time($0.openedAt),
                    Format.time($0.decidedAt), $0.decidedBy ?? "-", $0.effect ?? "-", $0.reason, $0.decision ?? "-",
                ]
            })
    }

    static func describe(_ c: ContestInfo) -> String {
        var lines = [
            "contest \(c.id) on request \(c.requestID) (\(c.kind)): \(c.state.rawValue)",
            "  opened    \(Format.time(c.openedAt)): \(c.reason)",
        ]
        if let at = c.decidedAt {
            lines.append("  decided   \(Format.time(at)) by \(c.decidedBy ?? "?"): \(c.decision ?? "")")
        }
        if let effect = c.effect { lines.append("  effect    \(effect)") }
        if c.state == .open { lines.append("  an admin will review it; follow it with `slotctl contest list`") }
        return lines.joined(separator: "\n")
    }

    struct Open: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "open", abstract: "Contest a request (the default: `slotctl contest ID --reason TEXT`).")
        @Argument(help: "The request's id.") var id: Int64
        @Option(help: "Why the decision is wrong (3 to 2000 characters); the admin and the audit trail see it.")
        var reason: String
        @OptionGroup var client: ClientOptions
        func run() throws {
            let c = try client.call(
                "io.slotd.Contests.Open", ContestOpenParameters(id: id, reason: reason),
                as: ContestReply.self)
            client.emit(c) { ContestCommand.describe(c.contest) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "Your contests and their outcomes, newest first.")
        @Option(help: "Only this state (repeatable).") var state: [ContestState] = []
        @Option(help: "At most this many.") var limit = 100
        @OptionGroup var client: ClientOptions
        func run() throws {
            let l = try client.call(
                "io.slotd.Contests.List",
                ContestListParameters(states: state.isEmpty ? nil : state, limit: limit),
                as: ContestListReply.self)
            client.emit(l) { ContestCommand.table(l.contests) }
        }
    }
}

extension ContestState: ExpressibleByArgument {}

/// `slotctl admin contests` and `slotctl admin resolve`: the admins' review queue.
extension AdminCommand {
    struct Contests: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "contests", abstract: "The contests awaiting review (--state for decided ones).",
            discussion: "Examples:\n  slotctl admin contests\n  slotctl admin contests --state granted --state upheld")
        @Option(help: "Only this state (repeatable; default: open).")
        var state: [ContestState] = []
        @Option(help: "At most this many.") var limit = 100
        @OptionGroup var client: ClientOptions
        func run() throws {
            let states = state.isEmpty ? [ContestState.open] : state
            let l = try client.call(
                "io.slotd.Contests.List",
                ContestListParameters(allUsers: true, states: states, limit: limit),
                as: ContestListReply.self)
            client.emit(l) {
                l.contests.isEmpty
                    ? "no \(states.map(\.rawValue).joined(separator: " or ")) contests"
                    : ContestCommand.table(l.contests)
            }
        }
    }

    struct Resolve: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resolve", abstract: "Decide a contest: uphold the decision, or grant it.",
            discussion: """
                A grant on a pending request raises its priority by --boost points (default and maximum: the \
                policy's contests.max_boost) until --until (default and latest: contests.max_boost_duration from \
                now). A grant on a rejection puts the request back in the queue with its original submit time, if \
                the policy in force admits it. The applicant sees the decision and its reason.

                Examples:
                  slotctl admin resolve 3 --grant --boost 300 --until 2026-12-01 --reason "sector confirmed by ministry"
                  slotctl admin resolve 4 --uphold --reason "the category limit applies to everyone"
                """)
        @Argument(help: "The contest's id.") var id: Int64
        @Flag(help: "Keep the decision.") var uphold = false
        @Flag(help: "Grant the contest.") var grant = false
        @Option(help: "Priority points to add (grant of a pending request).") var boost: Int64?
        @Option(help: "When the boost ends: YYYY-MM-DD (UTC midnight) or an ISO 8601 time.") var until: DateArgument?
        @Option(help: "Why (the applicant and the audit trail see it).") var reason: String
        @OptionGroup var client: ClientOptions

        func validate() throws {
            guard uphold != grant else { throw ValidationError("give exactly one of --uphold and --grant") }
            if uphold, boost != nil || until != nil { throw ValidationError("--boost and --until go with --grant") }
        }

        func run() throws {
            let r = try client.call(
                "io.slotd.Contests.Resolve",
                ContestResolveParameters(
                    id: id, grant: grant, boost: boost, until: until?.milliseconds, reason: reason),
                as: ContestReply.self)
            client.emit(r) { ContestCommand.describe(r.contest) }
        }
    }
}

/// A date or time on the command line: `YYYY-MM-DD` (midnight UTC) or ISO 8601 (`2026-11-22T14:00:00Z`).
struct DateArgument: ExpressibleByArgument, Sendable {
    var milliseconds: Int64
    /// True when only a day was given.
    var dayOnly: Bool

    init?(argument: String) {
        let day = DateFormatter()
        day.locale = Locale(identifier: "en_US_POSIX")
        day.timeZone = TimeZone(identifier: "UTC")
        day.dateFormat = "yyyy-MM-dd"
        if argument.count == 10, let date = day.date(from: argument) {
            milliseconds = Int64(date.timeIntervalSince1970 * 1_000)
            dayOnly = true
            return
        }
        let iso = ISO8601DateFormatter()
        guard let date = iso.date(from: argument) else { return nil }
        milliseconds = Int64(date.timeIntervalSince1970 * 1_000)
        dayOnly = false
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
