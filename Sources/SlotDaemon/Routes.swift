import Foundation
import SlotProtocol

/// Every method slotd serves: the one table to read for who may call what, and the one place to add a method
/// (with its IDL text in `Interfaces+<Name>.swift`; `RouteTableTests` holds the two together, and checks the table in
/// `docs/daemon.md` against this one).
enum Routes {
    static let all: [Route] = service + requests + accounts + rights + policy + system + projects

    /// The route of each method.
    static let byMethod: [String: Route] = Dictionary(uniqueKeysWithValues: all.map { ($0.method, $0) })

    /// What each method's parameters decode to (`IncomingCall.decode`).
    static let parameterTypes: [String: any (Decodable & Sendable).Type] =
        byMethod.compactMapValues { $0.parameters }

    static let service: [Route] = [
        .call("org.varlink.service.GetInfo", .anyone) { _, _ in
            try Dispatcher.encode(
                GetInfoReply(
                    vendor: "slotd", product: "slotd", version: SlotdVersion.current,
                    url: "https://github.com/slotd/slotd", interfaces: Interfaces.names))
        },
        .call("org.varlink.service.GetInterfaceDescription", InterfaceParameters.self, .anyone) { _, p, _ in
            let text = p.interface == "org.varlink.service" ? Interfaces.service : Interfaces.all[p.interface]
            guard let text else { throw WireError.interfaceNotFound(p.interface) }
            return try Dispatcher.encode(InterfaceDescriptionReply(description: text))
        },
    ]

    static let requests: [Route] = [
        .call("io.slotd.Requests.Submit", SubmitParameters.self, .account) { d, p, caller in
            try RequestReply(request: try await d.engine.submit(p, caller)).frame()
        }
        .deferring(SubmitParameters.self) { d, p, caller in try await d.engine.enqueueSubmit(p, caller) },
        .call("io.slotd.Requests.Get", IDParameters.self, .anyone, .ownerOrAdmin) { d, p, caller in
            try RequestReply(request: try await d.engine.get(p.id, caller)).frame()
        },
        // The rows are read on the store's readers, not on the engine (see ListScope).
        .call("io.slotd.Requests.List", ListParameters.self, .anyone, .ownUnlessAdmin) { d, p, caller in
            try await d.engine.listScope(p, caller).all()
        }
        .streaming(ListParameters.self) { d, p, caller in await d.engine.listScope(p, caller).pages() },
        .call("io.slotd.Requests.Queue", QueueParameters.self, .anyone, .anonymised) { d, p, caller in
            try Dispatcher.encode(await d.engine.queue(limit: p.limit, caller))
        },
        .call("io.slotd.Requests.Cancel", IDParameters.self, .anyone, .ownerOrAdmin) { d, p, caller in
            try RequestReply(request: try await d.engine.cancel(p.id, caller)).frame()
        },
        .call("io.slotd.Requests.Explain", IDParameters.self, .anyone, .ownerOrAdmin) { d, p, caller in
            try Dispatcher.encode(try await d.engine.explain(p.id, caller))
        },
        .call("io.slotd.Requests.Logs", LogsParameters.self, .anyone, .ownerOrAdmin) { d, p, caller in
            try Dispatcher.encode(try await d.engine.logs(p, caller))
        },
        .stream("io.slotd.Requests.Watch", WatchParameters.self, .anyone, .ownerOrAdmin) { d, p, caller in
            try await d.watch(p, caller)
        },
    ]

    static let projects: [Route] = [
        .call("io.slotd.Projects.Create", ProjectCreateParameters.self, .admin) { d, p, caller in
            try Dispatcher.encode(ProjectReply(project: try await d.engine.createProject(p, caller)))
        },
        .call("io.slotd.Projects.Change", ProjectChangeParameters.self, .admin) { d, p, caller in
            try Dispatcher.encode(ProjectReply(project: try await d.engine.changeProject(p, caller)))
        },
        .call("io.slotd.Projects.List", .anyone, .ownUnlessAdmin) { d, caller in
            try Dispatcher.encode(ProjectListReply(projects: await d.engine.listProjects(caller)))
        },
        .call("io.slotd.Projects.Apply", ApplyParameters.self, .anyone) { d, p, caller in
            try Dispatcher.encode(ApplicationReply(application: try await d.engine.apply(p, caller)))
        },
        .call("io.slotd.Projects.Applications", ApplicationListParameters.self, .anyone, .ownUnlessAdmin) {
            d, p, caller in
            try Dispatcher.encode(
                ApplicationListReply(applications: try await d.engine.listApplications(p, caller)))
        },
        .call("io.slotd.Projects.Decide", DecideParameters.self, .admin) { d, p, caller in
            try Dispatcher.encode(ApplicationReply(application: try await d.engine.decideApplication(p, caller)))
        },
        .call("io.slotd.Projects.ContestDecision", ContestApplicationParameters.self, .anyone, .owner) {
            d, p, caller in
            try Dispatcher.encode(ApplicationReply(application: try await d.engine.contestApplication(p, caller)))
        },
    ]

    static let accounts: [Route] = [
        .call("io.slotd.Accounts.Whoami", .anyone) { d, caller in try Dispatcher.encode(await d.engine.whoami(caller))
        },
        .call("io.slotd.Accounts.Add", AccountParameters.self, .admin) { d, p, caller in
            try Dispatcher.encode(AccountReply(account: try await d.engine.addAccount(p, caller, update: false)))
        },
        .call("io.slotd.Accounts.Update", AccountParameters.self, .admin) { d, p, caller in
            try Dispatcher.encode(AccountReply(account: try await d.engine.addAccount(p, caller, update: true)))
        },
        .call("io.slotd.Accounts.Remove", AccountParameters.self, .admin) { d, p, caller in
            try Dispatcher.encode(AccountReply(account: try await d.engine.removeAccount(p, caller)))
        },
        .call("io.slotd.Accounts.List", .admin) { d, _ in
            try Dispatcher.encode(AccountListReply(accounts: await d.engine.listAccounts()))
        },
        .call("io.slotd.Accounts.Agreement", .anyone) { d, caller in
            try Dispatcher.encode(await d.engine.agreement(caller))
        },
        .call("io.slotd.Accounts.AcceptAgreement", AcceptAgreementParameters.self, .account) { d, p, caller in
            try Dispatcher.encode(try await d.engine.acceptAgreement(p, caller))
        },
    ]

    static let rights: [Route] = [
        .call("io.slotd.Contests.Open", ContestOpenParameters.self, .anyone, .owner) { d, p, caller in
            try Dispatcher.encode(ContestReply(contest: try await d.engine.openContest(p, caller)))
        },
        .call("io.slotd.Contests.List", ContestListParameters.self, .anyone, .ownUnlessAdmin) { d, p, caller in
            try Dispatcher.encode(ContestListReply(contests: try await d.engine.listContests(p, caller)))
        },
        .call("io.slotd.Contests.Resolve", ContestResolveParameters.self, .admin) { d, p, caller in
            try Dispatcher.encode(ContestReply(contest: try await d.engine.resolveContest(p, caller)))
        },
        // Checked on the engine, read and built off it, rate-limited per user (ExpensiveCalls).
        .call("io.slotd.Reports.Allocation", ReportParameters.self, .accountOrAdmin, .ownUnlessAdmin) { d, p, caller in
            let build = try await d.engine.allocationReport(p, caller)
            let report = try await d.expensive("io.slotd.Reports.Allocation", caller) { () throws(WireError) in
                try build()
            }
            return try Dispatcher.encode(ReportReply(report: report))
        },
        .call("io.slotd.Reports.Awards", AwardsParameters.self, .admin) { d, p, _ in
            try Dispatcher.encode(AwardsReply(awards: try await d.engine.awardRecords(year: p.year)))
        },
    ]

    static let policy: [Route] = [
        .call("io.slotd.Policy.Get", .anyone) { d, _ in try Dispatcher.encode(await d.engine.currentPolicy()) },
        .call("io.slotd.Policy.Check", PolicyCheckParameters.self, .anyone) { d, p, caller in
            try Dispatcher.encode(
                try await d.expensive("io.slotd.Policy.Check", caller) { Engine.checkPolicy(p.source) })
        },
        .call("io.slotd.Policy.Apply", PolicyApplyParameters.self, .admin) { d, p, caller in
            try Dispatcher.encode(try await d.engine.applyPolicy(p, caller))
        },
        .call("io.slotd.Policy.History", .anyone) { d, _ in
            try Dispatcher.encode(PolicyHistoryReply(versions: try await d.engine.policyHistory()))
        },
    ]

    static let system: [Route] = [
        .call("io.slotd.System.Status", .anyone) { d, _ in try Dispatcher.encode(await d.engine.status()) },
        .call("io.slotd.System.Resources", .anyone) { d, _ in try Dispatcher.encode(await d.engine.resources()) },
        .call("io.slotd.System.SetNodeState", NodeStateParameters.self, .admin) { d, p, caller in
            try Dispatcher.encode(NodeReply(node: try await d.engine.setNodeState(p, caller)))
        },
        .call("io.slotd.System.Audit", AuditParameters.self, .admin) { d, p, _ in
            try Dispatcher.encode(try await d.engine.auditTrail(p))
        },
        .call("io.slotd.System.Backup", BackupParameters.self, .admin) { d, p, caller in
            try Dispatcher.encode(try await d.engine.backup(p, caller))
        },
    ]
}
