import Foundation
import SlotCore
@testable import SlotDaemon
import SlotProtocol
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The route table is the contract's only door: every IDL method has a route and every route an IDL method, and
/// "who may call what" is what `docs/daemon.md` says, cell by cell, for every method and every kind of caller.
@Suite struct RouteTableTests {
    @Test("Invariant: every method of the IDL has a route, and every route a method of the IDL")
    func routesAreTheIDL() {
        var declared = Set<String>()
        let texts = Interfaces.all.map { ($0.key, $0.value) } + [("org.varlink.service", Interfaces.service)]
        for (interface, text) in texts {
            for line in text.split(separator: "\n") {
                let words = line.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1)
                guard words.count == 2, words[0] == "method", let name = words[1].split(separator: "(").first
                else { continue }
                declared.insert("\(interface).\(name)")
            }
        }
        let routed = Set(Routes.all.map(\.method))
        #expect(declared.count > 20, "the IDL parse found too few methods: \(declared.sorted())")
        #expect(
            declared.subtracting(routed).isEmpty,
            "IDL methods without a route: \(declared.subtracting(routed).sorted())")
        #expect(
            routed.subtracting(declared).isEmpty,
            "routes without an IDL method: \(routed.subtracting(declared).sorted())")
        #expect(Routes.all.count == routed.count, "a method is routed twice")
    }

    // MARK: Who may call what

    static let alice = Caller.test("alice", uid: 3_001)
    static let bob = Caller.test("bob", uid: 3_002)
    static let carol = Caller.test("carol", uid: 3_003)
    static let admin = Caller.test(Caller.userName(getuid()) ?? "root", uid: getuid(), admin: true)
    /// In alice's request and contest: a cell says `ok: hers` when the reply carries it.
    static let secret = "alice-secret"

    /// The callers of the table's columns, in order.
    static let columns: [(name: String, caller: Caller)] = [
        ("no account", carol), ("account holder (alice, the owner)", alice), ("another user (bob)", bob),
        ("admin", admin),
    ]

    /// What the calls of the table name: alice's pending request `pending`, behind her running one; her open
    /// contest `contest` (on a third request).
    struct Scene {
        var daemon: InProcessDaemon
        var pending: Int64
        var contest: Int64
        var agreement: AgreementReply
    }

    static func scene() async throws -> Scene {
        let daemon = try await InProcessDaemon.start(inventory: "1x0:1:4")
        for user in ["alice", "bob"] {
            _ = await daemon.call(
                "io.slotd.Accounts.Add",
                #"{"name":"\#(user)","category":"state_body","reason":"route table test"}"#, as: admin)
        }
        let agreement = try await daemon.expect(AgreementReply.self, "io.slotd.Accounts.Agreement", as: alice)
        let accept = #"{"version":"\#(agreement.version ?? "")","hash":"\#(agreement.hash ?? "")"}"#
        for caller in [alice, bob] {
            _ = try await daemon.expect(AgreementReply.self, "io.slotd.Accounts.AcceptAgreement", accept, as: caller)
        }
        var ids: [Int64] = []
        for _ in 0..<3 {
            let reply = try await daemon.expect(
                RequestReply.self, "io.slotd.Requests.Submit", submit(purpose: secret),
                as: alice)
            ids.append(reply.request.id)
        }
        let contest = try await daemon.expect(
            ContestReply.self, "io.slotd.Contests.Open", #"{"id":\#(ids[2]),"reason":"\#(secret): a deadline"}"#,
            as: alice)
        return Scene(daemon: daemon, pending: ids[1], contest: contest.contest.id, agreement: agreement)
    }

    static func submit(purpose: String) -> String {
        #"{"sector":"healthcare","gpus":0,"cpus":1,"memoryMiB":512,"durationSeconds":600,"purpose":"\#(purpose)","#
            + #""command":["true"],"workingDirectory":"/tmp"}"#
    }

    /// The parameters each method is called with: a valid call, so that a refusal is the access rule's.
    static func call(_ route: Route, _ s: Scene, _ caller: Caller) -> (parameters: String, more: Bool) {
        let all = caller.isAdmin ? #"{"allUsers":true}"# : "{}"
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        let policy =
            (try? String(contentsOfFile: DaemonHarness.repository.path + "/Policies/default.toml", encoding: .utf8))
            ?? ""
        let source = String(decoding: (try? JSONEncoder().encode(policy)) ?? Data(), as: UTF8.self)
        switch route.method {
        case "org.varlink.service.GetInterfaceDescription": return (#"{"interface":"io.slotd.Requests"}"#, false)
        case "io.slotd.Requests.Submit": return (submit(purpose: "matrix"), false)
        case "io.slotd.Requests.Get", "io.slotd.Requests.Cancel", "io.slotd.Requests.Explain", "io.slotd.Requests.Logs":
            return (#"{"id":\#(s.pending)}"#, false)
        case "io.slotd.Requests.Watch": return (#"{"id":\#(s.pending)}"#, true)
        case "io.slotd.Requests.List", "io.slotd.Contests.List": return (all, false)
        case "io.slotd.Accounts.Add": return (#"{"name":"dave","category":"sme","reason":"route table test"}"#, false)
        case "io.slotd.Accounts.Update": return (#"{"name":"bob","category":"sme","reason":"route table test"}"#, false)
        case "io.slotd.Accounts.Remove": return (#"{"name":"bob","reason":"route table test"}"#, false)
        case "io.slotd.Accounts.AcceptAgreement":
            return (#"{"version":"\#(s.agreement.version ?? "")","hash":"\#(s.agreement.hash ?? "")"}"#, false)
        case "io.slotd.Contests.Open": return (#"{"id":\#(s.pending),"reason":"a second look"}"#, false)
        case "io.slotd.Contests.Resolve":
            return (#"{"id":\#(s.contest),"grant":false,"reason":"route table test"}"#, false)
        case "io.slotd.Reports.Allocation": return (#"{"from":\#(now - 86_400_000),"to":\#(now + 3_600_000)}"#, false)
        case "io.slotd.Policy.Check": return (#"{"source":\#(source)}"#, false)
        case "io.slotd.Policy.Apply": return (#"{"source":\#(source),"reason":"route table test"}"#, false)
        case "io.slotd.System.Backup":
            return (#"{"path":"\#(s.daemon.directory)/backup-\#(UUID()).sqlite","reason":"route table test"}"#, false)
        default: return ("{}", false)
        }
    }

    /// The cell: `ok`, `ok: hers` when the reply shows alice's private data, or the error's name.
    static func cell(_ outcome: InProcessDaemon.Outcome) -> String {
        if let error = outcome.error { return error }
        return outcome.text.contains(secret) ? "ok: hers" : "ok"
    }

    /// The table as `docs/daemon.md` shows it, measured: each cell on a fresh daemon in the same scene.
    static func measuredTable() async throws -> String {
        var lines = [
            "| method | access | scope | " + columns.map(\.name).joined(separator: " | ") + " |",
            "|---|---|---|" + String(repeating: "---|", count: columns.count),
        ]
        for route in Routes.all {
            var cells: [String] = []
            for (_, caller) in columns {
                let scene = try await scene()
                let (parameters, more) = call(route, scene, caller)
                cells.append(cell(await scene.daemon.call(route.method, parameters, as: caller, more: more)))
                await scene.daemon.stop()
            }
            let scope = route.scope == .none ? "" : route.scope.rawValue
            lines.append(
                "| `\(route.method)` | \(route.access.rawValue) | \(scope) | "
                    + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }

    @Test("Invariant: who may call what is the table in docs/daemon.md, measured cell by cell")
    func accessTableIsTheDocumentedOne() async throws {
        let measured = try await Self.measuredTable() + "\n"
        let doc = try String(contentsOfFile: DaemonHarness.repository.path + "/docs/daemon.md", encoding: .utf8)
        let begin = "<!-- access-table:begin (RouteTableTests writes it: SLOTD_WRITE_ACCESS_TABLE=1) -->\n"
        let end = "<!-- access-table:end -->"
        guard let start = doc.range(of: begin), let stop = doc.range(of: end, range: start.upperBound..<doc.endIndex)
        else {
            Issue.record("docs/daemon.md lacks the access table's markers")
            return
        }
        let documented = String(doc[start.upperBound..<stop.lowerBound])
        if documented != measured, ProcessInfo.processInfo.environment["SLOTD_WRITE_ACCESS_TABLE"] == "1" {
            try doc.replacingCharacters(in: start.upperBound..<stop.lowerBound, with: measured)
                .write(toFile: DaemonHarness.repository.path + "/docs/daemon.md", atomically: true, encoding: .utf8)
        }
        #expect(
            documented == measured, "docs/daemon.md's access table differs from the daemon's behaviour:\n\(measured)")
    }

    @Test("Invariant: an admin-only method refuses everyone else before it looks at the parameters")
    func adminRoutesRefuseBeforeParameters() async throws {
        let daemon = try await InProcessDaemon.start()
        for route in Routes.all where route.access == .admin {
            let typed = await daemon.call(route.method, #"{"id":"not a number","name":7}"#, as: Self.bob)
            #expect(typed.error == "PermissionDenied", "\(route.method): \(typed.text)")
        }
        await daemon.stop()
    }
}
