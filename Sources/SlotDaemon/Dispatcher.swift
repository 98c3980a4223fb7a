import Foundation
import SlotProtocol

/// Answers one decoded frame by its route (`Routes`): decodes its parameters to the route's type, checks the
/// route's `Access`, and runs its handler. It never throws: every failure becomes a named Varlink error, so one bad
/// call cannot hurt the connection's other calls, nor other connections.
struct Dispatcher: Sendable {
    let engine: Engine
    /// Where Policy.Check and reports run, rate-limited per uid (see ExpensiveCalls).
    var expensiveCalls = ExpensiveCalls(perMinute: DaemonConfig.Limits().expensiveCallsPerMinute)

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

    /// Answers one call. `settle` runs before any call but a deferred one: the connection waits there for its
    /// earlier calls' replies, so each such call sees the earlier ones done, as if they had run one at a time.
    func answer(_ frame: Data, caller: Caller, settle: () async -> Void = {}) async -> Answer {
        let incoming: IncomingCall
        do {
            incoming = try IncomingCall.decode(frame, parameterTypes: Routes.parameterTypes)
        } catch {
            return .fatal(
                Self.encode(
                    error: .invalidFrame(
                        "not a Varlink call (a JSON object with a string "
                            + "'method'): \(Self.summary(error))")))
        }
        let header = incoming.header
        let oneway = header.oneway ?? false
        let more = header.more == true && !oneway
        do {
            guard let route = Routes.byMethod[header.method] else {
                if !Interfaces.names.contains(header.interface) { throw WireError.interfaceNotFound(header.interface) }
                throw WireError.methodNotFound(header.method)
            }
            try route.access.check(header.method, caller, accounts: engine.roster, adminGroup: engine.config.adminGroup)
            if !oneway, !more, let deferred = route.deferred {
                return .deferred(try await deferred(self, incoming, caller))
            }
            await settle()
            if more, let stream = route.stream {
                return .stream(try await stream(self, incoming, caller))
            }
            guard let single = route.single else { throw WireError(.serviceExpectedMore) }
            let reply = try await single(self, incoming, caller)
            // A method without a stream answers a `more` call once, with continues unset: a valid answer.
            if more {
                return .stream(
                    AsyncStream {
                        $0.yield(reply); $0.finish()
                    })
            }
            return oneway ? .none : .reply(reply)
        } catch {
            return oneway ? .none : .reply(Self.encode(anyError: error))
        }
    }

    /// Runs a call whose cost the caller controls off the engine, after counting it against her share of
    /// `expensive_calls_per_minute` (RateLimited when it is used up).
    func expensive<T: Sendable>(
        _ method: String, _ caller: Caller,
        _ body: @escaping @Sendable () throws(WireError) -> T
    ) async throws(WireError) -> T {
        guard expensiveCalls.admit(caller.uid) else { throw .rateLimited(method, limit: expensiveCalls.perMinute) }
        let result = await expensiveCalls.run { () -> Result<T, WireError> in
            do throws(WireError) { return .success(try body()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Watch: the updates of one request (until it ends) or of all the caller may see, as reply frames (the engine
    /// encodes them, once per change for every watch that sees it).
    func watch(_ p: WatchParameters, _ caller: Caller) async throws -> AsyncStream<Data> {
        try await engine.watch(caller, id: p.id)
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
