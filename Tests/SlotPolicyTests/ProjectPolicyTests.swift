import SlotCore
import SlotPolicy
import Testing

/// The policy's `[projects]` table: the notice before a window closes and the application routes, read as
/// strictly as the rest of the policy.
@Suite struct ProjectPolicyTests {
    static func policy(_ projects: String) -> String { PolicyLoaderTests.minimal + "\n" + projects }

    static let routes = """
        [projects]
        notice_before_close = "3d"

        [projects.routes.starter]
        name = "Starter"
        max_gpu_hours = 5000
        max_window = "31d"
        categories = ["uni"]
        automatic = true

        [projects.routes.gateway]
        name = "Gateway"
        max_gpu_hours = 10000
        max_window = "90d"
        automatic = false
        """

    @Test("Invariant: [projects] loads as written; absent, a 7-day notice and no routes")
    func loads() throws {
        let plain = try #require(PolicyLoader.check(text: Self.policy(""), file: "p.toml").policy)
        #expect(plain.projects == ProjectRule())
        #expect(plain.projects.noticeBeforeClose == .days(7) && plain.projects.routes.isEmpty)
        let check = PolicyLoader.check(text: Self.policy(Self.routes), file: "p.toml")
        let policy = try #require(check.policy, "\(check.diagnostics)")
        #expect(policy.projects.noticeBeforeClose == .days(3))
        #expect(policy.projects.routes.map(\.id) == ["gateway", "starter"])
        let starter = try #require(policy.projects.route("starter"))
        #expect(starter.automatic && starter.maxGPUHours == 5000 && starter.maxWindow == .days(31))
        #expect(starter.categories == ["uni"])
        #expect(policy.projects.route("gateway")?.categories == nil, "no categories: every category")
    }

    @Test("Invariant: a route admits exactly what fits its hours, window and categories, and says why not")
    func misfit() throws {
        let route = ApplicationRoute(
            id: "starter", name: "S", maxGPUHours: 100, maxWindow: .days(10), categories: ["sme"], automatic: true)
        let day: Int64 = 86_400_000
        #expect(route.misfit(gpuHours: 100, opens: 0, closes: 10 * day, category: "sme") == nil)
        #expect(route.misfit(gpuHours: 100.5, opens: 0, closes: day, category: "sme")?.contains("at most 100") == true)
        #expect(route.misfit(gpuHours: 1, opens: 0, closes: 10 * day + 1, category: "sme")?.contains("10d") == true)
        #expect(route.misfit(gpuHours: 1, opens: 0, closes: day, category: "state_body")?.contains("sme only") == true)
    }

    @Test(
        "Invariant: a bad [projects] table is refused with its position and what was expected",
        arguments: [
            ("[projects]\nnotice_before_close = \"0s\"\n", "policy.range"),
            ("[projects]\nnotice = \"1d\"\n", "policy.unknown-key"),
            (
                "[projects.routes.x]\nname = \"X\"\nmax_gpu_hours = 0\nmax_window = \"30d\"\nautomatic = true\n",
                "policy.range"
            ),
            (
                "[projects.routes.x]\nname = \"X\"\nmax_gpu_hours = 10\nmax_window = \"30d\"\nautomatic = \"yes\"\n",
                "policy.type"
            ),
            (
                "[projects.routes.x]\nname = \"X\"\nmax_gpu_hours = 10\nmax_window = \"30d\"\nautomatic = true\n"
                    + "categories = [\"nobody_declared_this\"]\n",
                "policy.reference"
            ),
            ("[projects.routes.X]\nname = \"X\"\n", "policy.id"),
            ("[projects.routes.x]\nname = \"X\"\nmax_window = \"30d\"\nautomatic = true\n", "policy.missing-key"),
        ])
    func refused(text: String, code: String) {
        let check = PolicyLoader.check(text: Self.policy(text), file: "p.toml")
        #expect(check.policy == nil)
        #expect(check.errors.map(\.code) == [code], "\(check.errors.map(\.message))")
        #expect(check.errors.allSatisfy { $0.location.line > 0 && $0.expected != nil })
    }
}
