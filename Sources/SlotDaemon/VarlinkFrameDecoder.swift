import NIOCore
import SlotProtocol

/// Splits the byte stream into Varlink frames (NUL-terminated), refusing any frame longer than `maximum` bytes
/// before buffering more of it.
struct VarlinkFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    let maximum: Int
    /// Bytes of the current frame already searched for the terminator (no byte is searched twice).
    private var scanned = 0

    init(maximum: Int) { self.maximum = maximum }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        let start = view.startIndex + scanned
        guard let end = view[start...].firstIndex(of: Varlink.terminator) else {
            scanned = view.count
            if view.count > maximum { throw FrameError.tooLarge(limit: maximum) }
            return .needMoreData
        }
        let length = end - view.startIndex
        guard length <= maximum else { throw FrameError.tooLarge(limit: maximum) }
        scanned = 0
        // Safe: `length` readable bytes and the terminator were just found in the buffer.
        guard let frame = buffer.readSlice(length: length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 1)
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
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
