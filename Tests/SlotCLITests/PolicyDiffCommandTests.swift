import Foundation
import Testing

/// `slotctl policy diff NEW --from OLD` (offline): what applying a policy would change, setting by setting.
@Suite struct PolicyDiffCommandTests {
    /// A copy of the default policy with `edit` applied, in a temporary file.
    static func variant(_ edit: (String) -> String) throws -> String {
        let source = try String(
            contentsOf: SlotctlProcess.repository.appendingPathComponent("Policies/default.toml"),
            encoding: .utf8)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID()).toml").path
        try edit(source).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("Invariant: identical policies have no changes; --exit-code gives 0")
    func identical() throws {
        let result = try SlotctlProcess.run(
            "policy", "diff", "Policies/default.toml", "--from", "Policies/default.toml",
            "--exit-code")
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("no changes"))
    }

    @Test("Invariant: an added sector is one change, a changed weight names its path and both values")
    func addedAndChanged() throws {
        let path = try Self.variant {
            $0.replacingOccurrences(
                of: "[sectors.healthcare]\nname = \"Healthcare\"\nweight = 400",
                with: "[sectors.healthcare]\nname = \"Healthcare\"\nweight = 450\n\n"
                    + "[sectors.space]\nname = \"Space\"\nweight = 100")
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = try SlotctlProcess.run("policy", "diff", path, "--from", "Policies/default.toml", "--exit-code")
        #expect(text.status == 1)
        #expect(text.stdout.contains("+ sectors.space\n"))
        #expect(text.stdout.contains("~ sectors.healthcare.weight: 400 → 450\n"))
        #expect(text.stdout.hasSuffix("2 changes\n"))
        // Moving text around (the `source` of every value changes) is not a change.
        #expect(!text.stdout.contains("source"))

        let json = try SlotctlProcess.run("policy", "diff", path, "--from", "Policies/default.toml", "--json")
        #expect(json.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let changes = object?["changes"] as? [[String: String]]
        #expect(changes?.count == 2)
        #expect(
            changes?.contains { $0["path"] == "sectors.healthcare.weight" && $0["old"] == "400" && $0["new"] == "450" }
                == true)
    }

    @Test("Invariant: a new file with errors changes nothing and exits 5 with the errors; a missing file exits 3")
    func brokenOrMissing() throws {
        let broken = try SlotctlProcess.run(
            "policy", "diff", "Tests/SlotPolicyTests/Fixtures/broken.toml",
            "--from", "Policies/default.toml")
        #expect(broken.status == 5)
        #expect(broken.stderr.contains("has errors"))
        let missing = try SlotctlProcess.run("policy", "diff", "/nonexistent.toml", "--from", "Policies/default.toml")
        #expect(missing.status == 3)
    }
}
