import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Exports the metrics (opt-in, `[metrics]` in slotd.toml): every `interval_seconds` into a file for
/// node_exporter's textfile collector (written to a temporary name and renamed, so it is never read half-written),
/// and/or on a loopback HTTP listener (`GET /metrics`).
struct MetricsExporter: Service {
    let engine: Engine
    let metrics: DaemonMetrics
    let config: DaemonConfig.Metrics
    let logger: Logger

    func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let path = config.textfile {
                group.addTask { await writeLoop(path) }
            }
            if let listen = config.listen {
                let latest = LatestExposition(await exposition())
                group.addTask { await refreshLoop(latest) }
                group.addTask { try await serve(listen, latest) }
            }
            try await group.waitForAll()
        }
    }

    func exposition() async -> String { metrics.exposition(await engine.metricsSnapshot()) }

    private func writeLoop(_ path: String) async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let text = await exposition()
                let temporary = path + ".tmp"
                do {
                    try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
                    guard rename(temporary, path) == 0 else {
                        throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
                    }
                } catch {
                    logger.warning("cannot write the metrics file \(path): \(error)")
                }
                try? await Task.sleep(for: .seconds(config.intervalSeconds))
            }
        }
    }

    /// Keeps what the listener answers at most a second old: the handler answers from it at once, without a task
    /// of its own to wait for the engine.
    private func refreshLoop(_ latest: LatestExposition) async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                latest.set(await exposition())
            }
        }
    }

    private func serve(_ listen: DaemonConfig.Metrics.Address, _ latest: LatestExposition) async throws {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(MetricsHTTPHandler(latest: latest))
                }
            }
            .bind(host: listen.host, port: listen.port).get()
        logger.info("metrics on http://\(listen.host):\(listen.port)/metrics")
        // A future's get() does not end on cancellation: close the channel at shutdown, which completes it.
        await withGracefulShutdownHandler {
            try? await channel.closeFuture.get()
        } onGracefulShutdown: {
            channel.close(promise: nil)
        }
    }
}

/// Answers `GET /metrics` with the exposition, anything else with 404. One request per connection is enough for
/// Prometheus; keep-alive is honoured by NIO's HTTP server pipeline.
final class MetricsHTTPHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let latest: LatestExposition

    init(latest: LatestExposition) { self.latest = latest }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else { return }
        let found = head.method == .GET && (head.uri == "/metrics" || head.uri.hasPrefix("/metrics?"))
        let body = found ? latest.get() : "not found: the metrics are at /metrics\n"
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: found ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain")
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        let response = HTTPResponseHead(version: head.version, status: found ? .ok : .notFound, headers: headers)
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

/// The latest exposition text, refreshed every second by `MetricsExporter` and read by the HTTP handler.
final class LatestExposition: Sendable {
    private let text: Mutex<String>

    init(_ text: String) { self.text = Mutex(text) }

    func get() -> String { text.withLock { $0 } }
    func set(_ new: String) { text.withLock { $0 = new } }
}
