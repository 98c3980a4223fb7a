import Foundation
import Testing

/// `slotctl policy check` as scripts see it: exit codes from the contract, text and JSON output.
@Suite struct PolicyCheckCommandTests {
    @Test("Invariant: a valid policy exits 0 and prints its classes in the order they are served")
    func validPolicyPrintsTable() throws {
        let result = try SlotctlProcess.run("policy", "check", "Policies/default.toml")
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(
            lines.first
                == "Policies/default.toml: valid policy (format 1, revision example-2026-11, effective 2026-12-01)")
        #expect(lines.contains { $0.hasPrefix("   #  CATEGORY") })
        #expect(lines.contains { $0.hasPrefix("   1  state_body             education_science       900") })
        #expect(lines.contains { $0.hasPrefix("  49  foreign_organisation   finance                 100") })
        #expect(
            lines.contains(
                "No class can starve: the widest gap between classes is 1000 points and the aging cap is 1000."))
    }

    @Test("Invariant: a broken policy exits 5 and prints every error with file:line:column")
    func brokenPolicyExitsFive() throws {
        let result = try SlotctlProcess.run("policy", "check", "Tests/SlotPolicyTests/Fixtures/broken.toml")
        #expect(result.status == 5)
        let errors = result.stdout.split(separator: "\n").filter { $0.contains(": error: ") }
        #expect(errors.count == 11)
        #expect(errors.allSatisfy { $0.hasPrefix("Tests/SlotPolicyTests/Fixtures/broken.toml:") })
        #expect(
            errors.first
                == "Tests/SlotPolicyTests/Fixtures/broken.toml:4:1: error: unknown key 'colour' in the top level")
    }

    @Test("Invariant: --json gives one JSON document, before or after the verb, valid or not")
    func jsonOutput() throws {
        for arguments in [
            ["policy", "check", "--json", "Policies/default.toml"],
            ["--json", "policy", "check", "Policies/default.toml"],
        ] {
            let process = try SlotctlProcess.run(arguments[0], arguments[1], arguments[2], arguments[3])
            #expect(process.status == 0)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(process.stdout.utf8)) as? [String: Any])
            #expect(json["valid"] as? Bool == true)
            #expect((json["classes"] as? [[String: Any]])?.count == 49)
            #expect((json["starvation"] as? [String: Any])?["safe"] as? Bool == true)
        }
        let broken = try SlotctlProcess.run("policy", "check", "--json", "Tests/SlotPolicyTests/Fixtures/broken.toml")
        #expect(broken.status == 5)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(broken.stdout.utf8)) as? [String: Any])
        #expect(json["valid"] as? Bool == false)
        let diagnostics = try #require(json["diagnostics"] as? [[String: Any]])
        #expect(diagnostics.count == 11)
        let first = try #require(diagnostics.first?["location"] as? [String: Any])
        #expect(first["line"] as? Int == 4 && first["column"] as? Int == 1)
    }

    @Test("Invariant: a missing file exits 3 (not found) with a named error; a missing argument exits 2 (usage)")
    func notFoundAndUsage() throws {
        let missing = try SlotctlProcess.run("policy", "check", "/nonexistent.toml")
        #expect(missing.status == 3)
        #expect(missing.stderr.hasPrefix("slotctl: cannot read policy /nonexistent.toml"))
        let json = try SlotctlProcess.run("policy", "check", "--json", "/nonexistent.toml")
        #expect(json.status == 3)
        #expect(json.stdout.contains("\"code\" : \"policy.unreadable\""))
        let usage = try SlotctlProcess.run("policy", "check")
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("Missing expected argument '<file>'"))
    }
}
