import Foundation
import NIOCore
import SlotProtocol

/// One connection's calls: a reader that runs them, and a writer that sends their replies in order.
extension ControlServer {
    /// What the writer sends for one call, in call order.
    enum Outgoing: Sendable {
        case frame(Data)
        /// A queued Submit: its reply once committed.
        case deferred(Acknowledgement)
        case stream(AsyncStream<Data>)
    }

    /// Reads calls and answers them in order.
    ///
    /// Calls run one after another, except Submits: a Submit is queued for the group commit and the next call is
    /// read at once, so one connection's pipelined Submits share a commit instead of taking one each. Any other
    /// call first waits until every earlier reply is written, so it sees the earlier calls done, as if all had
    /// run one at a time. At most `maxCallsInFlight` replies wait to be written; beyond that the reader stops
    /// reading, so a client that sends without reading holds a bounded amount of the daemon.
    func serveCalls(
        _ inbound: NIOAsyncChannelInboundStream<ByteBuffer>,
        _ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, _ caller: Caller,
        _ state: ConnectionState, channel: any Channel
    ) async throws {
        let (replies, queue) = AsyncStream<(Outgoing, written: OneShot<Void>?)>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.write(replies, to: outbound, state, channel: channel) }
            await readCalls(inbound, into: queue, caller, state)
            queue.finish()
            try await group.waitForAll()
        }
        if shuttingDown.load(ordering: .relaxed) {
            try? await outbound.write(ByteBuffer(bytes: Dispatcher.encode(error: .shuttingDown())))
        }
    }

    private func readCalls(
        _ inbound: NIOAsyncChannelInboundStream<ByteBuffer>,
        into queue: AsyncStream<(Outgoing, written: OneShot<Void>?)>.Continuation,
        _ caller: Caller, _ state: ConnectionState
    ) async {
        var frames = inbound.makeAsyncIterator()
        // Replies not yet known to be written, oldest first.
        var unwritten: [OneShot<Void>] = []
        while !shuttingDown.load(ordering: .relaxed) {
            while unwritten.count >= limits.maxCallsInFlight { _ = try? await unwritten.removeFirst().value }
            let frame: ByteBuffer?
            do {
                frame = try await frames.next()
            } catch let error as FrameError {
                queue.yield((.frame(Dispatcher.encode(error: error.wire)), nil))
                return
            } catch {
                return
            }
            guard let frame else { return }
            state.callsOpen.add(1, ordering: .relaxed)
            // Forget the earlier replies only once they are known to be written: a Submit that fails its checks
            // is answered without waiting for them, and must not reset the bound above.
            var settled = false
            let answer = await dispatcher.answer(Data(frame.readableBytesView), caller: caller) {
                for reply in unwritten { _ = try? await reply.value }
                settled = true
            }
            if settled { unwritten.removeAll() }
            let written = OneShot<Void>()
            switch answer {
            case .none:
                state.callsOpen.subtract(1, ordering: .relaxed)
                continue
            case .reply(let data):
                queue.yield((.frame(data), written))
            case .deferred(let acknowledgement):
                queue.yield((.deferred(acknowledgement), written))
            case .stream(let frames):
                queue.yield((.stream(frames), written))
            case .fatal(let data):
                queue.yield((.frame(data), written))
                return
            }
            unwritten.append(written)
        }
    }

    /// Sends each call's reply in call order, then marks it written and the call closed. Once a write fails (the
    /// client went away), the rest are marked without being sent, so the reader never waits on them; queued
    /// Submits still commit. During a graceful shutdown, the connection is closed once its last call is answered
    /// (the reader may be waiting for a next call that will not be served).
    private func write(
        _ replies: AsyncStream<(Outgoing, written: OneShot<Void>?)>,
        to outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        _ state: ConnectionState, channel: any Channel
    ) async throws {
        var failure: (any Error)?
        for await (reply, written) in replies {
            defer {
                if let written {
                    written.resume(returning: ())
                    let open = state.callsOpen.subtract(1, ordering: .relaxed).newValue
                    if open == 0, shuttingDown.load(ordering: .relaxed) { channel.close(promise: nil) }
                }
            }
            guard failure == nil else { continue }
            do {
                try await Self.send(reply, to: outbound, state)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    private static func send(
        _ reply: Outgoing, to outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        _ state: ConnectionState
    ) async throws {
        switch reply {
        case .frame(let data):
            try await outbound.write(ByteBuffer(bytes: data))
        case .deferred(let acknowledgement):
            try await outbound.write(ByteBuffer(bytes: await Dispatcher.reply(to: acknowledgement)))
        case .stream(let frames):
            // A stream may wait forever (a quiet Watch): it runs in a task that the connection's close, or a
            // shutdown, cancels, so a peer that leaves mid-stream releases the connection and its watcher.
            let forward = Task {
                for await data in frames {
                    guard (try? await outbound.write(ByteBuffer(bytes: data))) != nil else { return }
                }
            }
            state.streaming.withLock { $0 = forward }
            if state.closed.load(ordering: .sequentiallyConsistent) { forward.cancel() }
            await withTaskCancellationHandler {
                await forward.value
            } onCancel: {
                forward.cancel()
            }
            state.streaming.withLock { $0 = nil }
            if state.closed.load(ordering: .sequentiallyConsistent) { throw ChannelError.ioOnClosedChannel }
        }
    }
}
