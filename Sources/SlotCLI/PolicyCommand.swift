import ArgumentParser
import Foundation
import SlotProtocol

/// `slotctl policy ...`: work with allocation policies.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check, show and apply allocation policies (sector and applicant-category priorities).",
        subcommands: [PolicyCheckCommand.self, Show.self, Apply.self, History.self]
    )

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The policy in force (its full text).")
        @OptionGroup var client: ClientOptions
        func run() throws {
            let p = try client.call("io.slotd.Policy.Get", Empty(), as: PolicyReply.self)
            client.emit(p) { "# \(p.version), sha256 \(p.hash), from \(p.file)\n\(p.source)" }
        }
    }

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply a policy file now (admins). A file with errors changes nothing.",
            discussion: "Example:\n  slotctl policy apply Policies/default.toml --reason \"order 17 of the authorized body\"")
        @Argument(help: "The policy file.", completion: .file(extensions: ["toml"])) var file: String
        @Option(help: "Why (recorded with the policy version and in the audit trail).") var reason: String
        @OptionGroup var client: ClientOptions
        func run() throws {
            guard let source = try? String(contentsOfFile: file, encoding: .utf8) else {
                FileHandle.standardError.write(Data("slotctl: cannot read \(file)\n".utf8))
                throw ExitStatus.notFound.exitCode
            }
            let p = try client.call("io.slotd.Policy.Apply", PolicyApplyParameters(source: source, reason: reason),
                                    as: PolicyReply.self)
            client.emit(p) { "policy \(p.version) in force (sha256 \(p.hash.prefix(12)))" }
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every policy applied, who applied it and why.")
        @OptionGroup var client: ClientOptions
        func run() throws {
            let h = try client.call("io.slotd.Policy.History", Empty(), as: PolicyHistoryReply.self)
            client.emit(h) {
                Format.table(["SEQ", "APPLIED", "BY", "VERSION", "SHA256", "REASON"], h.versions.map {
                    [String($0.seq), Format.time($0.appliedAt), $0.appliedBy, $0.version, String($0.hash.prefix(12)), $0.reason]
                })
            }
        }
    }
}
