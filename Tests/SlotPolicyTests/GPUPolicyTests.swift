import SlotCore
import SlotPolicy
import Testing

/// The policy's GPU rules: which types a category may use (`gpu_types`) and what an hour of each type costs
/// against budgets (`[gpu_rates]`), read as strictly as the rest of the policy.
@Suite struct GPUPolicyTests {
    static func policy(categoryExtra: String = "", rates: String = "") -> String {
        PolicyLoaderTests.minimal.replacingOccurrences(
            of: "sectors = [\"*\"]", with: "sectors = [\"*\"]\n" + categoryExtra) + "\n" + rates
    }

    @Test("Invariant: gpu_types and gpu_rates load as written; absent, every type at rate 1")
    func loads() throws {
        let plain = try #require(PolicyLoader.check(text: Self.policy(), file: "p.toml").policy)
        #expect(plain.categories[0].gpuTypes == nil && plain.gpuRates.isEmpty)
        #expect(plain.rate(ofGPUType: "h100") == 1)
        let text = Self.policy(
            categoryExtra: "gpu_types = [\"l40s\", \"a100-80gb\"]", rates: "[gpu_rates]\nh100 = 2.5\nl40s = 1\n")
        let check = PolicyLoader.check(text: text, file: "p.toml")
        let policy = try #require(check.policy, "\(check.diagnostics)")
        #expect(policy.categories[0].gpuTypes == ["l40s", "a100-80gb"])
        #expect(policy.gpuRates == ["h100": 2.5, "l40s": 1])
        #expect(policy.rate(ofGPUType: "h100") == 2.5 && policy.rate(ofGPUType: "a100") == 1)
    }

    @Test(
        "Invariant: a bad GPU rule is refused with its position and what was expected",
        arguments: [
            ("gpu_types = [\"H100\"]", "", "policy.range"),
            ("gpu_types = [\"l40s\", \"l40s\"]", "", "policy.range"),
            ("gpu_types = []", "", "policy.range"),
            ("gpu_types = \"l40s\"", "", "policy.type"),
            ("", "[gpu_rates]\nh100 = 0\n", "policy.range"),
            ("", "[gpu_rates]\nh100 = \"2\"\n", "policy.type"),
            ("", "[gpu_rates]\nH100 = 2\n", "policy.id"),
            ("", "[gpu_rates]\nh100 = [2]\n", "policy.type"),
        ])
    func refused(category: String, rates: String, code: String) {
        let check = PolicyLoader.check(text: Self.policy(categoryExtra: category, rates: rates), file: "p.toml")
        #expect(check.policy == nil)
        #expect(check.errors.map(\.code) == [code], "\(check.errors.map(\.message))")
        #expect(check.errors.allSatisfy { $0.location.line > 0 && $0.expected != nil })
    }
}
