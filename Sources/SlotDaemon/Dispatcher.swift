import Foundation
import SlotProtocol

/// Routes one decoded frame to the engine and encodes the answer. It never throws: every failure becomes a named
/// Varlink error, so one bad call cannot hurt the connection's other calls, nor other connections.
struct Dispatcher: Sendable {
    let engine: Engine
    /// Where Policy.Check and reports run, rate-limited per uid (see ExpensiveCalls).
    var expensive = ExpensiveCalls(perMinute: DaemonConfig.Limits().expensiveCallsPerMinute)

    /// What the connection does with a call's answer.
    enum Answer: Sendable {
        /// One reply frame (terminator included).
        case reply(Data)
        /// A `oneway` call: nothing is sent back.
        case none
        /// A `more` call: a stream of reply frames.
        case stream(AsyncStream<Data>)
        /// Send this error frame, then close the connection (the peer is not speaking Varlink).
        case fatal(Data)
        /// A Submit queued for the next group commit: its reply frame once committed. The connection may read
        /// and queue its next calls meanwhile, and sends the replies in order.
        case deferred(Acknowledgement)
    }

    /// Answers one call. `settle` runs before any call but a Submit: the connection waits there for its earlier
    /// calls' replies, so each call but a Submit sees the earlier ones done, as if they had run one at a time.
    func answer(_ frame: Data, caller: Caller, settle: () async -> Void = {}) async -> Answer {
        let incoming: IncomingCall
        do {
            incoming = try IncomingCall.decode(frame)
        } catch {
            return .fatal(Self.encode(error: .invalidFrame("not a Varlink call (a JSON object with a string "
                + "'method'): \(Self.summary(error))")))
        }
        let header = incoming.header
        let oneway = header.oneway ?? false
        do {
            if header.method == "io.slotd.Requests.Submit", !oneway, header.more != true {
                return .deferred(try await engine.enqueueSubmit(incoming.parameters(as: SubmitParameters.self), caller))
            }
            await settle()
            if header.more == true, !oneway {
                return .stream(try await stream(incoming, caller))
            }
            let reply = try await call(incoming, caller)
            return oneway ? .none : .reply(reply)
        } catch {
            return oneway ? .none : .reply(Self.encode(anyError: error))
        }
    }

    private func call(_ incoming: IncomingCall, _ caller: Caller) async throws -> Data {
        let e = engine
        let header = incoming.header
        switch header.method {
        case "org.varlink.service.GetInfo":
            return try Self.encode(GetInfoReply(vendor: "slotd", product: "slotd", version: SlotdVersion.current,
                                                url: "https://github.com/slotd/slotd", interfaces: Interfaces.names))
        case "org.varlink.service.GetInterfaceDescription":
            let p = try incoming.parameters(as: InterfaceParameters.self)
            let text = p.interface == "org.varlink.service" ? Interfaces.service : Interfaces.all[p.interface]
            guard let text else { throw WireError.interfaceNotFound(p.interface) }
            return try Self.encode(InterfaceDescriptionReply(description: text))

        case "io.slotd.Requests.Submit":
            let p = try incoming.parameters(as: SubmitParameters.self)
            return try RequestReply(request: try await e.submit(p, caller)).frame()
        case "io.slotd.Requests.Get":
            let p = try incoming.parameters(as: IDParameters.self)
            return try RequestReply(request: try await e.get(p.id, caller)).frame()
        case "io.slotd.Requests.List":
            let p = try incoming.parameters(as: ListParameters.self)
            // The rows are read here, on the store's readers, not on the engine (see ListScope).
            return try await e.listScope(p, caller).all()
        case "io.slotd.Requests.Queue":
            let p = try incoming.parameters(as: QueueParameters.self)
            return try Self.encode(await e.queue(limit: p.limit, caller))
        case "io.slotd.Requests.Cancel":
            let p = try incoming.parameters(as: IDParameters.self)
            return try RequestReply(request: try await e.cancel(p.id, caller)).frame()
        case "io.slotd.Requests.Explain":
            let p = try incoming.parameters(as: IDParameters.self)
            return try Self.encode(try await e.explain(p.id, caller))
        case "io.slotd.Requests.Logs":
            let p = try incoming.parameters(as: LogsParameters.self)
            return try Self.encode(try await e.logs(p, caller))
        case "io.slotd.Requests.Watch":
            throw WireError("org.varlink.service.ExpectedMore")

        case "io.slotd.Accounts.Whoami":
            return try Self.encode(await e.whoami(caller))
        case "io.slotd.Accounts.Add", "io.slotd.Accounts.Update":
            let p = try incoming.parameters(as: AccountParameters.self)
            let update = header.method.hasSuffix("Update")
            return try Self.encode(AccountReply(account: try await e.addAccount(p, caller, update: update)))
        case "io.slotd.Accounts.Remove":
            let p = try incoming.parameters(as: AccountParameters.self)
            return try Self.encode(AccountReply(account: try await e.removeAccount(p, caller)))
        case "io.slotd.Accounts.List":
            return try Self.encode(AccountListReply(accounts: try await e.listAccounts(caller)))

        case "io.slotd.Accounts.Agreement":
            return try Self.encode(await e.agreement(caller))
        case "io.slotd.Accounts.AcceptAgreement":
            let p = try incoming.parameters(as: AcceptAgreementParameters.self)
            return try Self.encode(try await e.acceptAgreement(p, caller))

        case "io.slotd.Contests.Open":
            let p = try incoming.parameters(as: ContestOpenParameters.self)
            return try Self.encode(ContestReply(contest: try await e.openContest(p, caller)))
        case "io.slotd.Contests.List":
            let p = try incoming.parameters(as: ContestListParameters.self)
            return try Self.encode(ContestListReply(contests: try await e.listContests(p, caller)))
        case "io.slotd.Contests.Resolve":
            let p = try incoming.parameters(as: ContestResolveParameters.self)
            return try Self.encode(ContestReply(contest: try await e.resolveContest(p, caller)))

        case "io.slotd.Reports.Allocation":
            let p = try incoming.parameters(as: ReportParameters.self)
            let build = try await e.allocationReport(p, caller)
            try admitExpensive("io.slotd.Reports.Allocation", caller)
            let report = await expensive.run { () -> Result<AllocationReport, WireError> in
                do throws(WireError) { return .success(try build()) } catch { return .failure(error) }
            }
            return try Self.encode(ReportReply(report: try report.get()))

        case "io.slotd.Policy.Get":
            return try Self.encode(await e.currentPolicy())
        case "io.slotd.Policy.Check":
            let p = try incoming.parameters(as: PolicyCheckParameters.self)
            try admitExpensive("io.slotd.Policy.Check", caller)
            return try Self.encode(await expensive.run { Engine.checkPolicy(p.source) })
        case "io.slotd.Policy.Apply":
            let p = try incoming.parameters(as: PolicyApplyParameters.self)
            return try Self.encode(try await e.applyPolicy(p, caller))
        case "io.slotd.Policy.History":
            return try Self.encode(PolicyHistoryReply(versions: try await e.policyHistory()))

        case "io.slotd.System.Status":
            return try Self.encode(await e.status())
        case "io.slotd.System.Resources":
            return try Self.encode(await e.resources())
        case "io.slotd.System.Audit":
            let p = try incoming.parameters(as: AuditParameters.self)
            return try Self.encode(try await e.auditTrail(p, caller))
        case "io.slotd.System.Backup":
            let p = try incoming.parameters(as: BackupParameters.self)
            return try Self.encode(try await e.backup(p, caller))

        default:
            if !Interfaces.names.contains(header.interface) { throw WireError.interfaceNotFound(header.interface) }
            throw WireError.methodNotFound(header.method)
        }
    }

    /// RateLimited when the caller made its share of expensive calls in the last minute.
    private func admitExpensive(_ method: String, _ caller: Caller) throws(WireError) {
        guard expensive.admit(caller.uid) else { throw .rateLimited(method, limit: expensive.perMinute) }
    }

    private func stream(_ incoming: IncomingCall, _ caller: Caller) async throws -> AsyncStream<Data> {
        if incoming.header.method == "io.slotd.Requests.List" {
            // Pages of ListScope.pageSize rows, each read when the previous one has been written.
            return await engine.listScope(try incoming.parameters(as: ListParameters.self), caller).pages()
        }
        guard incoming.header.method == "io.slotd.Requests.Watch" else {
            // Any other method answers once, with continues unset: a valid answer to a `more` call.
            let one = try await call(incoming, caller)
            return AsyncStream { $0.yield(one); $0.finish() }
        }
        let p = try incoming.parameters(as: WatchParameters.self)
        let updates = try await engine.watch(caller, id: p.id)
        return AsyncStream { continuation in
            let task = Task {
                for await info in updates {
                    let final = p.id != nil && info.state.isFinal
                    guard let data = try? Self.encode(WatchReply(request: info), continues: !final) else { continue }
                    continuation.yield(data)
                    if final { break }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// The reply frame of a deferred Submit: the request, or the error that refused it.
    static func reply(to acknowledgement: Acknowledgement) async -> Data {
        do {
            return try RequestReply(request: try await acknowledgement.value).frame()
        } catch {
            return encode(anyError: error)
        }
    }

    // MARK: Encoding

    static func encode<R: Codable & Sendable>(_ value: R, continues: Bool? = nil) throws -> Data {
        try Varlink.frame(VarlinkReply(parameters: value, continues: continues))
    }

    static func encode(error: WireError) -> Data {
        (try? Varlink.frame(VarlinkReply(parameters: error.parameters, error: error.name)))
            ?? Data("{\"error\":\"io.slotd.System.InternalError\"}\0".utf8)
    }

    /// The error frame for anything a call threw: its named error, or InternalError for the unexpected.
    static func encode(anyError error: any Error) -> Data {
        encode(error: error as? WireError ?? .internalError("\(error)"))
    }

    static func summary(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted: "invalid JSON"
        case DecodingError.keyNotFound(let key, _): "missing '\(key.stringValue)'"
        case DecodingError.typeMismatch: "a field has the wrong type"
        default: "undecodable"
        }
    }
}
