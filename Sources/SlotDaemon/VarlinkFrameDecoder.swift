import NIOCore
import SlotProtocol

/// Splits the byte stream into Varlink frames (NUL-terminated), refusing any frame longer than `maximum` bytes
/// before buffering more of it, and closing a connection whose frame has not arrived whole `deadline` after its
/// first byte: a sender that trickles a byte at a time is not "active", however often its bytes come.
struct VarlinkFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    let maximum: Int
    let deadline: TimeAmount
    /// Bytes of the current frame already searched for the terminator (no byte is searched twice).
    private var scanned = 0
    /// When the frame now being received began (nil: none is), shared with the timer that checks it.
    private let partial = PartialFrame()

    init(maximum: Int, deadline: TimeAmount = .seconds(10)) {
        self.maximum = maximum
        self.deadline = deadline
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        let start = view.startIndex + scanned
        guard let end = view[start...].firstIndex(of: Varlink.terminator) else {
            scanned = view.count
            if view.count > maximum { throw FrameError.tooLarge(limit: maximum) }
            if !view.isEmpty { armDeadline(context) }
            return .needMoreData
        }
        let length = end - view.startIndex
        guard length <= maximum else { throw FrameError.tooLarge(limit: maximum) }
        scanned = 0
        partial.since = nil
        // Safe: `length` readable bytes and the terminator were just found in the buffer.
        guard let frame = buffer.readSlice(length: length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 1)
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    /// Starts the clock for the frame now arriving, once; the timer closes the channel if the same frame is
    /// still incomplete when it fires.
    private func armDeadline(_ context: ChannelHandlerContext) {
        guard partial.since == nil else { return }
        let began = NIODeadline.now()
        partial.since = began
        let loop = context.eventLoop
        let bound = NIOLoopBound((context, partial), eventLoop: loop)
        loop.scheduleTask(in: deadline) {
            let (context, partial) = bound.value
            if partial.since == began { context.close(promise: nil) }
        }
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        while try decode(context: context, buffer: &buffer) == .continue {}
        // An unterminated tail is a client that vanished mid-frame: drop it.
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        return .needMoreData
    }
}

/// Framing errors; each becomes a named Varlink error before the connection is closed.
enum FrameError: Error, Hashable {
    case tooLarge(limit: Int)

    var wire: WireError {
        switch self {
        case .tooLarge(let limit): .frameTooLarge(limit: limit)
        }
    }
}

/// The start of the frame being received. Touched only on the connection's event loop (the decoder and its timer).
final class PartialFrame {
    var since: NIODeadline?
}
