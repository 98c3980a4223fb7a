import ArgumentParser
import Foundation
import SlotCore
import SlotPolicy
import SlotProtocol

/// `slotctl policy ...`: work with allocation policies.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check, show and apply allocation policies (sector and applicant-category priorities).",
        subcommands: [PolicyCheckCommand.self, Show.self, Diff.self, Apply.self, History.self]
    )

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "The policy in force (its full text).")
        @OptionGroup var client: ClientOptions
        func run() throws {
            let p = try client.call("io.slotd.Policy.Get", Empty(), as: PolicyReply.self)
            client.emit(p) { "# \(p.version), sha256 \(p.hash), from \(p.file)\n\(p.source)" }
        }
    }

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "apply",
            abstract: "Apply a policy file now (admins). A file with errors changes nothing.",
            discussion:
                "Example:\n  slotctl policy apply Policies/default.toml --reason \"order 17 of the authorized body\"")
        @Argument(help: "The policy file.", completion: .file(extensions: ["toml"])) var file: String
        @Option(help: "Why (recorded with the policy version and in the audit trail).") var reason: String
        @OptionGroup var client: ClientOptions
        func run() throws {
            guard let source = try? String(contentsOfFile: file, encoding: .utf8) else {
                FileHandle.standardError.write(Data("slotctl: cannot read \(file)\n".utf8))
                throw ExitStatus.notFound.exitCode
            }
            let p = try client.call(
                "io.slotd.Policy.Apply", PolicyApplyParameters(source: source, reason: reason),
                as: PolicyReply.self)
            client.emit(p) { "policy \(p.version) in force (sha256 \(p.hash.prefix(12)))" }
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "history", abstract: "Every policy applied, who applied it and why.")
        @OptionGroup var client: ClientOptions
        func run() throws {
            let h = try client.call("io.slotd.Policy.History", Empty(), as: PolicyHistoryReply.self)
            client.emit(h) {
                Format.table(
                    ["SEQ", "APPLIED", "BY", "VERSION", "SHA256", "REASON"],
                    h.versions.map {
                        [
                            String($0.seq), Format.time($0.appliedAt), $0.appliedBy, $0.version,
                            String($0.hash.prefix(12)), $0.reason,
                        ]
                    })
            }
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diff",
            abstract: "What applying a policy file would change, setting by setting.",
            discussion: """
                Compares FILE with the policy in force (asks the daemon), or with --from OLD_FILE (offline, no \
                daemon). Sectors and categories are matched by id; where a value was written does not count.
                Lines: "+ path" added, "- path" removed, "~ path: old → new" changed.
                Exit status: 0 (with --exit-code: 0 no changes, 1 changes), 5 a file has errors, 3 not found.
                Examples:
                  slotctl policy diff Policies/2027.toml
                  slotctl policy diff Policies/2027.toml --from Policies/default.toml --json
                """)
        @Argument(help: "The new policy file.", completion: .file(extensions: ["toml"])) var file: String
        @Option(help: "Compare with this file instead of the policy in force.", completion: .file(extensions: ["toml"]))
        var from: String?
        @Flag(help: "Exit with 1 when there are changes (like diff).") var exitCode = false
        @OptionGroup var client: ClientOptions

        func run() throws {
            let new = try Self.load(file)
            let old: Policy
            let oldName: String
            if let from {
                old = try Self.load(from)
                oldName = from
            } else {
                let inForce = try client.call("io.slotd.Policy.Get", Empty(), as: PolicyReply.self)
                guard let policy = PolicyLoader.check(text: inForce.source, file: inForce.file).policy else {
                    FileHandle.standardError.write(Data("slotctl: the policy in force does not parse here\n".utf8))
                    throw ExitStatus.error.exitCode
                }
                old = policy
                oldName = "in force (\(inForce.version), sha256 \(inForce.hash.prefix(12)))"
            }
            let diff = PolicyDiff(old: old, new: new)
            client.emit(diff) { diff.text(from: oldName, to: file) }
            if exitCode && !diff.changes.isEmpty { throw ExitStatus.error.exitCode }
        }

        static func load(_ path: String) throws -> Policy {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                FileHandle.standardError.write(Data("slotctl: cannot read \(path)\n".utf8))
                throw ExitStatus.notFound.exitCode
            }
            let check = PolicyLoader.check(text: text, file: path)
            guard let policy = check.policy else {
                for error in check.errors { FileHandle.standardError.write(Data("\(error)\n".utf8)) }
                FileHandle.standardError.write(
                    Data("slotctl: \(path) has errors; run `slotctl policy check \(path)`\n".utf8))
                throw ExitStatus.rejectedByPolicy.exitCode
            }
            return policy
        }
    }
}
