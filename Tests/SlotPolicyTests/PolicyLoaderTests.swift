import Foundation
import SlotCore
import SlotPolicy
import Testing

/// The loader is strict: a bad policy is never returned, and every error names its line, column and fix.
@Suite struct PolicyLoaderTests {
    static let minimal = """
        version = 1
        effective = 2026-12-01

        [aging]
        points_per_hour = 10
        cap = 100

        [fair_share]
        weight = 50
        half_life = "7d"

        [sectors.health]
        name = "Health"
        weight = 50

        [sectors.other]
        name = "Other"
        weight = 0

        [categories.uni]
        name = "Universities"
        weight = 0
        max_duration = "24h"
        max_concurrent_gpus = 4
        gpu_hours_per_period = 100
        sectors = ["*"]
        """

    @Test("Invariant: every shipped policy loads without errors or warnings", arguments: PolicyFiles.shipped)
    func shippedPoliciesAreClean(path: String) throws {
        let result = try PolicyLoader.check(contentsOf: PolicyFiles.policy(path))
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics.map(\.description))")
        #expect(result.policy != nil)
    }

    @Test("Invariant: the default policy declares the example sectors and categories with their limits")
    func defaultPolicyContents() throws {
        let policy = try PolicyLoader.load(contentsOf: PolicyFiles.policy("Policies/default.toml")).policy
        #expect(policy.sectors.count == 9)
        #expect(policy.categories.count == 7)
        #expect(policy.notice?.contains("EXAMPLE") == true)
        let university = try #require(policy.category("university_research"))
        #expect(university.maxDuration == .days(7))
        #expect(university.allows(sector: "finance"))
        #expect(policy.category("individual_researcher")?.allows(sector: "finance") == false)
        let text = try String(contentsOfFile: PolicyFiles.policy("Policies/default.toml"), encoding: .utf8)
        let header = try #require(
            text.split(separator: "\n", omittingEmptySubsequences: false)
                .firstIndex { $0 == "[sectors.healthcare]" })
        #expect(policy.sector("healthcare")?.source.line == header + 3, "the weight line, two below the header")
    }

    @Test("Invariant: a broken policy reports every error, each at its own file:line:column, and yields no policy")
    func brokenPolicyReportsEverything() throws {
        let path = PolicyFiles.fixture("broken.toml")
        let result = try PolicyLoader.check(contentsOf: path)
        #expect(result.policy == nil)
        let found = result.errors.map { "\($0.location.line):\($0.location.column) \($0.code)" }
        #expect(
            found == [
                "4:1 policy.unknown-key",
                "7:1 policy.range",
                "11:1 policy.type",
                "12:1 policy.type",
                "17:1 policy.unknown-key",
                "19:1 policy.id",
                "26:1 policy.range",
                "29:26 policy.reference",
                "29:39 policy.duplicate",
                "31:1 policy.missing-key",
                "36:12 policy.reference",
            ])
        #expect(result.errors.allSatisfy { $0.location.file == path && $0.expected != nil && $0.hint != nil })
        let typo = try #require(result.errors.first { $0.location.line == 17 })
        #expect(typo.hint == "did you mean 'weight'?")
        let missing = try #require(result.errors.first { $0.code == "policy.missing-key" })
        #expect(missing.location.keyPath == "categories.startup.weight")
    }

    @Test("Invariant: a missing or unsupported version is rejected")
    func versionRequired() {
        let missing = PolicyLoader.check(
            text: Self.minimal.replacingOccurrences(of: "version = 1\n", with: ""),
            file: "p.toml")
        #expect(missing.errors.map(\.code) == ["policy.missing-key"])
        #expect(missing.errors.first?.location.keyPath == "version")
        let future = PolicyLoader.check(
            text: Self.minimal.replacingOccurrences(of: "version = 1", with: "version = 2"),
            file: "p.toml")
        #expect(future.errors.map(\.code) == ["policy.version"])
        #expect(future.errors.first?.location.line == 1)
    }

    @Test("Invariant: TOML syntax errors and duplicate ids are reported with the parser's position")
    func syntaxAndDuplicates() {
        let duplicate = Self.minimal + "\n\n[sectors.health]\nname = \"Again\"\nweight = 1\n"
        let result = PolicyLoader.check(text: duplicate, file: "dup.toml")
        #expect(result.errors.map(\.code) == ["policy.syntax"])
        #expect(result.errors.first?.location.line == 28, "the second [sectors.health] header")
        let garbage = PolicyLoader.check(text: "version = = 1", file: "bad.toml")
        #expect(garbage.errors.first?.location.line == 1)
        #expect(garbage.policy == nil)
    }

    @Test("Invariant: a policy whose aging cap is below the gap between classes loads, with a starvation warning")
    func starvationWarning() throws {
        let text = Self.minimal.replacingOccurrences(of: "cap = 100", with: "cap = 90")
        let result = PolicyLoader.check(text: text, file: "p.toml")
        #expect(result.policy != nil)
        let warning = try #require(result.warnings.first)
        #expect(warning.code == "policy.starvation")
        #expect(warning.location.line == 6)  // the cap line
        #expect(warning.expected?.contains("aging.cap >= 100") == true)
        // Exactly at the gap (health 50 − other 0 + fair share 50) is safe: ties go to the earlier submit.
        #expect(PolicyLoader.check(text: Self.minimal, file: "p.toml").warnings.isEmpty)
    }

    @Test("Invariant: an unreadable file is a PolicyError, not a crash")
    func unreadable() {
        #expect(throws: PolicyError.self) { try PolicyLoader.check(contentsOf: "/nonexistent/policy.toml") }
    }

    @Test(
        "Invariant: [agreement] and [contests] are optional, read strictly, and default to no agreement and a 500-point, 7-day boost"
    )
    func agreementAndContests() throws {
        let plain = try #require(PolicyLoader.check(text: Self.minimal, file: "p.toml").policy)
        #expect(plain.agreement == nil)
        #expect(plain.contests.maxBoost == 500 && plain.contests.maxBoostDuration == .days(7))
        let full =
            Self.minimal + """

                [agreement]
                file = "terms.md"
                version = "v2"

                [contests]
                max_boost = 200
                max_boost_duration = "2d"
                """
        let policy = try #require(PolicyLoader.check(text: full, file: "p.toml").policy)
        #expect(policy.agreement?.file == "terms.md" && policy.agreement?.version == "v2")
        #expect(policy.contests.maxBoost == 200 && policy.contests.maxBoostDuration == .days(2))
        let broken =
            Self.minimal + """

                [agreement]
                file = "../../etc/shadow"
                version = "v2"
                signed = true

                [contests]
                max_boost = -1
                """
        let check = PolicyLoader.check(text: broken, file: "p.toml")
        #expect(check.policy == nil)
        let keys = Set(check.errors.map(\.location.keyPath))
        #expect(keys.isSuperset(of: ["agreement.file", "agreement.signed", "contests.max_boost"]), "\(keys)")
    }
}
