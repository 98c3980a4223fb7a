import ArgumentParser
import Foundation
import SlotCore
import SlotPolicy

/// `slotd`: the slot daemon.
///
/// This build validates its configuration (the policy) and stops: the control server, persistence and slot
/// execution are not built yet (issues 4 and 5). It exits with status 1 so no supervisor mistakes it for a running
/// daemon.
@main
struct SlotdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slotd",
        abstract: "The slotd daemon: grants sandboxed, time-limited compute slots.",
        discussion: """
            This build only loads and validates the policy, then exits with status 1: the Varlink control server, \
            the SQLite store and slot execution are not built yet. Use `slotctl policy check FILE` to validate \
            policies.
            """,
        version: "0.1.0"
    )

    @Flag(help: "Development mode: local state directory, embedded defaults, no root needed.")
    var dev = false

    @Option(help: "The allocation policy file.", completion: .file(extensions: ["toml"]))
    var policy = "Policies/default.toml"

    func run() throws {
        let loaded: (policy: Policy, warnings: [PolicyDiagnostic])
        do {
            loaded = try PolicyLoader.load(contentsOf: policy)
        } catch {
            FileHandle.standardError.write(Data("slotd: \(error)\n".utf8))
            throw ExitCode.failure
        }
        for warning in loaded.warnings { FileHandle.standardError.write(Data("slotd: \(warning)\n".utf8)) }
        let classes = PriorityModel(policy: loaded.policy).classes.count
        FileHandle.standardError.write(Data("""
            slotd: policy \(policy) is valid (\(loaded.policy.sectors.count) sectors, \
            \(loaded.policy.categories.count) categories, \(classes) queue classes).
            slotd: serving is not built yet (control server, store and executor are open issues); exiting.

            """.utf8))
        throw ExitCode.failure
    }
}
