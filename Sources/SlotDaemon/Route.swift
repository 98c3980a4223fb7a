import Foundation
import SlotProtocol

/// One method of the public contract as the daemon serves it: its name, the type its parameters decode to, who may
/// call it (`Access`), what of others' data it shows (`Scope`), and how it answers. `Routes.all` lists every one;
/// decoding, authorization and dispatch are derived from it (`Dispatcher.answer`).
struct Route: Sendable {
    typealias Handler = @Sendable (Dispatcher, IncomingCall, Caller) async throws -> Data
    typealias StreamHandler = @Sendable (Dispatcher, IncomingCall, Caller) async throws -> AsyncStream<Data>
    typealias DeferredHandler = @Sendable (Dispatcher, IncomingCall, Caller) async throws -> Acknowledgement

    let method: String
    /// What `parameters` decode to; nil: the method takes none (whatever is sent is ignored).
    let parameters: (any (Decodable & Sendable).Type)?
    let access: Access
    let scope: Scope
    /// The one reply to a plain call; nil when the method answers only a `more` call (`ExpectedMore` otherwise).
    let single: Handler?
    /// The answer to a `more` call, when it is a stream (a method without one answers a `more` call once).
    var stream: StreamHandler?
    /// A plain call answered after the next group commit (Submit); `oneway` and `more` calls take `single`.
    var deferred: DeferredHandler?

    /// The interface a method belongs to: everything before its last dot.
    static func interface(of method: String) -> String {
        method.lastIndex(of: ".").map { String(method[..<$0]) } ?? method
    }

    /// The interface whose errors a method's refusals carry (`io.slotd.System` for the Varlink service's own).
    static func errorInterface(of method: String) -> WireError.Interface {
        WireError.Interface(rawValue: interface(of: method)) ?? .system
    }

    /// How the method answers, for the table in `docs/daemon.md`.
    var replyKind: String {
        if deferred != nil { return "after the group commit" }
        if stream != nil { return single == nil ? "stream (`more` only)" : "one reply, or a stream with `more`" }
        return "one reply"
    }
}

extension Route {
    /// A method whose parameters decode to `P`.
    static func call<P: Decodable & Sendable>(
        _ method: String, _ parameters: P.Type, _ access: Access, _ scope: Scope = .none,
        _ body: @escaping @Sendable (Dispatcher, P, Caller) async throws -> Data
    ) -> Route {
        Route(
            method: method, parameters: P.self, access: access, scope: scope,
            single: { d, incoming, caller in try await body(d, try incoming.parameters(as: P.self), caller) })
    }

    /// A method without parameters.
    static func call(
        _ method: String, _ access: Access, _ scope: Scope = .none,
        _ body: @escaping @Sendable (Dispatcher, Caller) async throws -> Data
    ) -> Route {
        Route(
            method: method, parameters: nil, access: access, scope: scope,
            single: { d, _, caller in try await body(d, caller) })
    }

    /// A method that answers only a `more` call, with a stream.
    static func stream<P: Decodable & Sendable>(
        _ method: String, _ parameters: P.Type, _ access: Access, _ scope: Scope,
        _ body: @escaping @Sendable (Dispatcher, P, Caller) async throws -> AsyncStream<Data>
    ) -> Route {
        Route(
            method: method, parameters: P.self, access: access, scope: scope, single: nil,
            stream: { d, incoming, caller in try await body(d, try incoming.parameters(as: P.self), caller) })
    }

    /// This route, answering a `more` call with a stream.
    func streaming<P: Decodable & Sendable>(
        _: P.Type, _ body: @escaping @Sendable (Dispatcher, P, Caller) async throws -> AsyncStream<Data>
    ) -> Route {
        var route = self
        route.stream = { d, incoming, caller in try await body(d, try incoming.parameters(as: P.self), caller) }
        return route
    }

    /// This route, answering a plain call after the next group commit.
    func deferring<P: Decodable & Sendable>(
        _: P.Type, _ body: @escaping @Sendable (Dispatcher, P, Caller) async throws -> Acknowledgement
    ) -> Route {
        var route = self
        route.deferred = { d, incoming, caller in try await body(d, try incoming.parameters(as: P.self), caller) }
        return route
    }
}
