import ArgumentParser
import Foundation
@testable import SlotCLI
import Testing

/// The command table (`Slotctl.configuration.subcommands`) as users and scripts see it.
@Suite struct CommandTableTests {
    /// Every command in the table, with its path of names (`["account", "add"]`).
    static func commands() -> [(path: [String], type: any ParsableCommand.Type)] {
        var found: [(path: [String], type: any ParsableCommand.Type)] = []
        func walk(_ type: any ParsableCommand.Type, _ path: [String]) {
            found.append((path, type))
            for sub in type.configuration.subcommands {
                walk(sub, path + [sub.configuration.commandName ?? "?"])
            }
        }
        for sub in Slotctl.configuration.subcommands { walk(sub, [sub.configuration.commandName ?? "?"]) }
        return found
    }

    @Test("Invariant: every command names itself, so slotctl never derives a name from a type at start")
    func everyCommandHasAName() {
        // ArgumentParser derives a missing name with String(describing:) of the type: a scan of every protocol
        // conformance in the binary, which was a quarter of `slotctl --version`'s time (BENCHMARKS.md).
        let unnamed = Self.commands().filter { $0.type.configuration.commandName == nil }.map { "\($0.type)" }
        #expect(Self.commands().count > 30)
        #expect(unnamed.isEmpty, "commands without commandName: \(unnamed)")
    }

    @Test("Invariant: every verb's --help is its golden file (SLOTD_WRITE_GOLDEN=1 writes them)")
    func everyHelpIsGolden() throws {
        let write = ProcessInfo.processInfo.environment["SLOTD_WRITE_GOLDEN"] == "1"
        var seen = Set<String>()
        for (path, _) in Self.commands() {
            let name = "help-" + path.joined(separator: "-") + ".txt"
            seen.insert(name)
            let result = try SlotctlProcess.run(arguments: path + ["--help"])
            #expect(result.status == 0, "\(path): \(result.stderr)")
            let file = SlotctlProcess.repository.appendingPathComponent("Tests/SlotCLITests/Golden/\(name)")
            if write { try result.stdout.write(to: file, atomically: true, encoding: .utf8) }
            #expect(
                result.stdout == (try? SlotctlProcess.golden(name)),
                "\(name) differs from `slotctl \(path.joined(separator: " ")) --help`")
        }
        let files = try FileManager.default.contentsOfDirectory(
            atPath: SlotctlProcess.repository.appendingPathComponent("Tests/SlotCLITests/Golden").path)
        let stale = files.filter { $0.hasPrefix("help-") && !seen.contains($0) }
        #expect(stale.isEmpty, "golden help files of verbs that no longer exist: \(stale)")
    }
}
