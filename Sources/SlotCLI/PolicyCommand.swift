import ArgumentParser

/// `slotctl policy ...`: work with allocation policy files.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check allocation policies (sector and applicant-category priorities).",
        subcommands: [PolicyCheckCommand.self]
    )
}
