import Foundation
import Testing

/// `slotctl simulate` on the shared SWF trace, as an admin would run it before changing a policy.
@Suite struct SimulateCommandTests {
    static var swf: String { SlotctlProcess.traces + "/HPC2N-2002-2.2-cln.first57days.swf" }

    @Test("Invariant: a run writes the table, the JSON and an SVG for every category")
    func tableJSONAndSVG() throws {
        let svg = FileManager.default.temporaryDirectory.appendingPathComponent("slotd-\(UUID().uuidString).svg").path
        defer { try? FileManager.default.removeItem(atPath: svg) }
        let text = try SlotctlProcess.run("simulate", "--trace", Self.swf, "--svg", svg)
        #expect(text.status == 0)
        #expect(text.stdout.contains("Replayed 3145 jobs"))
        #expect(text.stdout.contains("By category:") && text.stdout.contains("Starvation check"))
        let drawing = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(drawing.hasPrefix("<svg") && drawing.contains("university_research"))
        let json = try SlotctlProcess.run("simulate", "--trace", Self.swf, "--json")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(report["jobs"] as? Int == 3_145)
        #expect((report["by_category"] as? [[String: Any]])?.isEmpty == false)
        #expect((report["utilisation"] as? Double).map { $0 > 0 && $0 <= 1 } == true)
    }

    @Test("Invariant: --compare runs both policies on the same trace and prints the change per category")
    func compare() throws {
        let result = try SlotctlProcess.run(
            "simulate", "--trace", Self.swf, "--compare",
            "Policies/examples/equal-access.toml")
        #expect(result.status == 0)
        #expect(result.stdout.contains("What-if: A = Policies/default.toml, B = Policies/examples/equal-access.toml"))
        #expect(result.stdout.contains("MEAN WAIT A"))
    }

    @Test("Invariant: bad input gets a named error and the contract's exit code")
    func errors() throws {
        #expect(try SlotctlProcess.run("simulate", "--trace", "/nonexistent.swf").status == 3)
        #expect(try SlotctlProcess.run("simulate", "--trace", Self.swf, "--nodes", "lots").status == 2)
        #expect(try SlotctlProcess.run("simulate", "--trace", "trace.txt").status == 2)
        let broken = try SlotctlProcess.run(
            "simulate", "--trace", Self.swf, "--policy",
            "Tests/SlotPolicyTests/Fixtures/broken.toml")
        #expect(broken.status == 5)
    }
}
