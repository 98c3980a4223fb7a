import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SlotProtocol
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The Varlink server on the Unix socket (SwiftNIO).
///
/// Every connection is identified once, by `SO_PEERCRED`, and served by its own task: calls are read in order and
/// answered in order (pipelining), at most `maxCallsInFlight` unanswered (see `serveCalls`).
/// A malformed or oversized frame gets a named error and the connection is closed; nothing else is affected.
/// On graceful shutdown it stops accepting, lets each connection finish its current call, and closes.
public final class ControlServer: Service, Sendable {
    public enum Listener: Sendable {
        /// Bind (and own) a socket at this path.
        case path(String)
        /// A socket already bound and listening, passed by systemd (socket activation).
        case descriptor(Int32)
    }

    let listener: Listener
    let limits: DaemonConfig.Limits
    let dispatcher: Dispatcher
    let identify: @Sendable (PeerCredentials) -> Caller
    let logger: Logger
    /// Open connections, in all and per uid (root's are counted in all but not limited per user).
    let connections = Mutex<(total: Int, perUser: [UInt32: Int])>((0, [:]))
    /// Open connections, to close the idle ones at shutdown.
    let open = Mutex<[ObjectIdentifier: (channel: any Channel, state: ConnectionState)]>([:])
    let shuttingDown = Atomic<Bool>(false)
    /// Set once the socket listens (for READY=1).
    let onListening: @Sendable () -> Void

    init(
        listener: Listener, limits: DaemonConfig.Limits, dispatcher: Dispatcher,
        identify: @escaping @Sendable (PeerCredentials) -> Caller, logger: Logger,
        onListening: @escaping @Sendable () -> Void
    ) {
        self.listener = listener
        self.limits = limits
        self.dispatcher = dispatcher
        self.identify = identify
        self.logger = logger
        self.onListening = onListening
    }

    typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    public func run() async throws {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
        let limits = self.limits
        let initializer: @Sendable (any Channel) -> EventLoopFuture<(Connection, PeerCredentials, ConnectionState)> = {
            channel in
            Self.credentials(channel).flatMapThrowing { credentials in
                let sync = channel.pipeline.syncOperations
                let state = ConnectionState()
                // However a connection ends (the peer left, a timeout, shutdown), what its calls wait on ends too.
                channel.closeFuture.whenComplete { _ in state.markClosed() }
                try sync.addHandler(IdleStateHandler(readTimeout: .seconds(Int64(limits.idleTimeoutSeconds))))
                try sync.addHandler(IdleCloser(state))
                try sync.addHandler(
                    ByteToMessageHandler(
                        VarlinkFrameDecoder(
                            maximum: limits.maxFrameBytes, deadline: .seconds(Int64(limits.frameTimeoutSeconds)))))
                let connection = try Connection(
                    wrappingChannelSynchronously: channel,
                    configuration: .init(
                        backPressureStrategy: .init(
                            lowWatermark: 1,
                            highWatermark: limits.maxCallsInFlight)))
                return (connection, credentials, state)
            }
        }
        let server: NIOAsyncChannel<(Connection, PeerCredentials, ConnectionState), Never>
        switch listener {
        case .path(let path):
            server = try await bootstrap.bind(
                unixDomainSocketPath: path, cleanupExistingSocketFile: true,
                childChannelInitializer: initializer)
            // Everyone may connect; what they may do is decided by their peer credentials.
            chmod(path, 0o666)
        case .descriptor(let fd):
            server = try await bootstrap.bind(fd, childChannelInitializer: initializer)
        }
        onListening()
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await (connection, credentials, state) in inbound {
                        group.addTask { await self.serve(connection, self.identify(credentials), state) }
                    }
                }
            }
        } onGracefulShutdown: {
            self.shuttingDown.store(true, ordering: .relaxed)
            server.channel.close(promise: nil)
            for (channel, state) in self.open.withLock({ Array($0.values) }) {
                // A stream (Watch, a List's pages) would never end by itself: it ends now, and the connection
                // closes once its last reply is written.
                state.endStream()
                if state.callsOpen.load(ordering: .relaxed) == 0 { channel.close(promise: nil) }
            }
        }
    }

    /// Reads the peer's uid, gid and pid from the kernel.
    static func credentials(_ channel: any Channel) -> EventLoopFuture<PeerCredentials> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
        }
        return provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SO_PEERCRED)
    }

    private func serve(_ connection: Connection, _ caller: Caller, _ state: ConnectionState) async {
        let refusal = admit(caller)
        let key = ObjectIdentifier(state)
        open.withLock { $0[key] = (connection.channel, state) }
        defer {
            open.withLock { $0[key] = nil }
            if refusal == nil { release(caller) }
        }
        do {
            try await connection.executeThenClose { inbound, outbound in
                if let refusal {
                    try await outbound.write(ByteBuffer(bytes: Dispatcher.encode(error: refusal)))
                    return
                }
                try await serveCalls(inbound, outbound, caller, state, channel: connection.channel)
            }
        } catch {
            logger.debug("connection of \(caller) ended: \(error)")
        }
    }

    /// Counts the connection in, or says why not: the daemon's limit, or the caller's own share of it, so that
    /// one user (with or without an account) cannot hold every connection. Root is limited only by the total.
    func admit(_ caller: Caller) -> WireError? {
        connections.withLock { count in
            guard count.total < limits.maxConnections else { return .tooManyConnections(limit: limits.maxConnections) }
            let mine = count.perUser[caller.uid, default: 0]
            guard caller.uid == 0 || mine < limits.maxConnectionsPerUser else {
                return .tooManyConnections(limit: limits.maxConnectionsPerUser, perUser: true)
            }
            count.total += 1
            count.perUser[caller.uid] = mine + 1
            return nil
        }
    }

    func release(_ caller: Caller) {
        connections.withLock { count in
            count.total -= 1
            let mine = count.perUser[caller.uid, default: 1] - 1
            count.perUser[caller.uid] = mine > 0 ? mine : nil
        }
    }

    /// Whether a connection is in a call; an idle connection (no call, nothing read for the idle timeout) is
    /// closed, but a long call such as a quiet Watch is not.
    final class ConnectionState: Sendable {
        let callsOpen = Atomic<Int>(0)
        /// The channel has closed; nothing more can be written.
        let closed = Atomic<Bool>(false)
        /// The task forwarding a streamed reply (a Watch, a List's pages), while one is being sent.
        let streaming = Mutex<Task<Void, Never>?>(nil)

        func markClosed() {
            closed.store(true, ordering: .sequentiallyConsistent)
            endStream()
        }

        /// Ends the stream being sent, if any (its source sees the cancellation and lets go of it).
        func endStream() { streaming.withLock { $0?.cancel() } }
    }

    /// Closes the channel when nothing was read for the idle timeout and no call is open.
    final class IdleCloser: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        let state: ConnectionState
        init(_ state: ConnectionState) { self.state = state }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read,
                state.callsOpen.load(ordering: .relaxed) == 0
            {
                context.close(promise: nil)
                return
            }
            context.fireUserInboundEventTriggered(event)
        }
    }
}
