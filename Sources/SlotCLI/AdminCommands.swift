import ArgumentParser
import Foundation
import SlotProtocol

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "The daemon's state: queue sizes, GPUs, the policy in force, reload errors.")
    @OptionGroup var client: ClientOptions

    func run() throws {
        let s = try client.call("io.slotd.System.Status", Empty(), as: StatusReply.self)
        let notices = client.json ? [] : ProjectCommand.notices(client)
        client.emit(s) {
            var lines = [
                "slotd \(s.version) (\(s.mode) mode, \(s.executor) executor), up since \(Format.time(s.startedAt))",
                "requests  \(s.running) running, \(s.pending) pending",
                "GPUs      \(s.freeGPUs) of \(s.gpus) free on \(s.nodes) node(s)",
                "policy    \(s.policyVersion) (sha256 \(s.policyHash.prefix(12))) from \(s.policyFile)",
            ]
            if let confinement = s.confinement { lines.append("slots     \(confinement)") }
            if let error = s.storeError {
                lines.append("database NOT WRITABLE: \(error)")
                lines.append("  no slot is granted and no change accepted until it is; reads keep working")
            }
            if let error = s.clusterError {
                lines.append("cluster   \(error)")
                lines.append("  requests are taken and queued; none starts until the cluster answers")
            }
            if let error = s.policyError {
                lines.append("policy reload REFUSED; the policy above stays in force:")
                lines += error.split(separator: "\n").map { "  " + $0 }
            }
            lines += notices.map { "notice    " + $0 }
            return lines.joined(separator: "\n")
        }
    }
}

struct ResourcesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resources", abstract: "Nodes and what is free on them.")
    @OptionGroup var client: ClientOptions

    func run() throws {
        let r = try client.call("io.slotd.System.Resources", Empty(), as: ResourcesReply.self)
        client.emit(r) {
            Format.table(
                ["NODE", "STATE", "GPU TYPE", "GPU FREE", "CPU FREE", "MEM FREE", "REASON"],
                r.nodes.map { n in
                    [
                        n.name, n.state ?? "up", n.gpuType ?? "-", "\(n.freeGPUs)/\(n.gpus)", "\(n.freeCPUs)/\(n.cpus)",
                        "\(Format.memory(n.freeMemoryMiB))/\(Format.memory(n.memoryMiB))", n.stateReason ?? "",
                    ]
                })
        }
    }
}

struct WhoamiCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whoami", abstract: "Who the daemon says you are (from the kernel), your role and account.")
    @OptionGroup var client: ClientOptions

    func run() throws {
        let w = try client.call("io.slotd.Accounts.Whoami", Empty(), as: WhoamiReply.self)
        client.emit(w) {
            "\(w.user) (uid \(w.uid))\(w.admin ? ", admin" : "")\n"
                + (w.account.map { "account: category \($0.category)" }
                    ?? "no account: ask an admin to run `slotctl account add \(w.user) --category ... --reason ...`")
        }
    }
}

struct AccountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account", abstract: "Manage accounts: Unix users and their applicant categories (admins).",
        subcommands: [Add.self, Update.self, Remove.self, List.self])

    /// Add, Update and Remove: one audited change of one account, printed the same way.
    static func change(
        _ method: String, _ client: ClientOptions, _ parameters: AccountParameters,
        done: (AccountInfo) -> String
    ) throws {
        let reply = try client.call(method, parameters, as: AccountReply.self)
        client.emit(reply) { done(reply.account) }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Give a Unix user an account in an applicant category.",
            discussion:
                "Example:\n  slotctl account add alice --category university --reason \"ticket 123: PhD project\"")
        @Argument(help: "Unix user name.") var user: String
        @Option(help: "Applicant category (see `slotctl policy show`).") var category: String
        @Option(help: "Why (recorded in the audit trail).") var reason: String
        @OptionGroup var client: ClientOptions
        func run() throws {
            try change("io.slotd.Accounts.Add", client, .init(name: user, category: category, reason: reason)) {
                "account \($0.name): category \($0.category)"
            }
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update", abstract: "Change an account's category.")
        @Argument(help: "Unix user name.") var user: String
        @Option(help: "New applicant category.") var category: String
        @Option(help: "Why (recorded in the audit trail).") var reason: String
        @OptionGroup var client: ClientOptions
        func run() throws {
            try change("io.slotd.Accounts.Update", client, .init(name: user, category: category, reason: reason)) {
                "account \($0.name): category \($0.category)"
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove", abstract: "Remove an account (its history stays).")
        @Argument(help: "Unix user name.") var user: String
        @Option(help: "Why (recorded in the audit trail).") var reason: String
        @OptionGroup var client: ClientOptions
        func run() throws {
            try change("io.slotd.Accounts.Remove", client, .init(name: user, category: nil, reason: reason)) {
                "account \($0.name) removed"
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Every account.")
        @OptionGroup var client: ClientOptions
        func run() throws {
            let l = try client.call("io.slotd.Accounts.List", Empty(), as: AccountListReply.self)
            client.emit(l) {
                Format.table(
                    ["USER", "CATEGORY", "SINCE"],
                    l.accounts.map { [$0.name, $0.category, Format.time($0.createdAt)] })
            }
        }
    }
}

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The audit trail of admin actions and policy changes (admins).",
        discussion: "--verify recomputes the hash chain over every record; exit status 1 when it is broken.")
    @Option(help: "Show at most this many records, newest first.") var limit = 50
    @Flag(help: "Check the whole hash chain.") var verify = false
    @OptionGroup var client: ClientOptions

    func run() throws {
        let a = try client.call(
            "io.slotd.System.Audit", AuditParameters(limit: limit, verify: verify ? true : nil),
            as: AuditReply.self)
        client.emit(a) {
            var text = Format.table(
                ["SEQ", "AT", "ACTOR", "ACTION", "TARGET", "REASON"],
                a.entries.map {
                    [String($0.seq), Format.time($0.at), $0.actor, $0.action, $0.target, $0.reason]
                })
            if let verified = a.verified {
                text +=
                    verified
                    ? "\naudit chain intact" : "\naudit chain BROKEN at record \(a.brokenAt ?? 0): \(a.problem ?? "")"
            }
            return text
        }
        if a.verified == false { throw ExitStatus.error.exitCode }
    }
}

struct AdminCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Operator tasks: backups, the review of contests and applications, the year's awards.",
        subcommands: [Backup.self, Contests.self, Resolve.self, Applications.self, Awards.self])

    struct Backup: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backup",
            abstract: "An online, consistent copy of the database (SQLite backup API), written by the daemon.",
            discussion: "Example:\n  slotctl admin backup /var/backups/slotd-$(date +%F).sqlite --reason \"nightly\"")
        @Argument(help: "Where to write it (must not exist; written by the daemon's user).") var file: String
        @Option(help: "Why (recorded in the audit trail).") var reason = "backup"
        @OptionGroup var client: ClientOptions
        func run() throws {
            let path = file.hasPrefix("/") ? file : FileManager.default.currentDirectoryPath + "/" + file
            let b = try client.call(
                "io.slotd.System.Backup", BackupParameters(path: path, reason: reason), as: BackupReply.self)
            client.emit(b) { "backup written: \(b.path) (\(b.bytes) bytes)" }
        }
    }
}
