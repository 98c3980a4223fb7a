import Foundation
import SlotProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking Varlink connection over a Unix socket, for the CLI and tests. One call at a time; `more` calls
/// deliver each reply to a closure until the server stops continuing.
///
/// It uses plain POSIX sockets, not SwiftNIO, so `slotctl` starts in milliseconds.
public final class VarlinkConnection {
    public let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    /// How much of `buffer` is known to hold no terminator (so a large reply is scanned once, not once per read).
    private var scanned = 0
    /// Where `read(2)` lands, allocated once: a fresh zeroed megabyte per read was a third of a small call's cost.
    /// Set last in `init`, so a failed connect leaks nothing.
    private let chunk: UnsafeMutableRawBufferPointer
    /// The largest reply accepted, bytes.
    public var maximumFrame = 64 << 20
    /// How long to wait for the daemon's next reply before giving up with ``ClientError/timedOut(seconds:)``
    /// (nil: forever, as a Watch waits for news).
    public var timeout: Double?

    /// Connects to the socket at `path`.
    public init(path: String) throws(ClientError) {
        self.path = path
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .cannotConnect(path: path, reason: String(cString: strerror(errno))) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw .cannotConnect(path: path, reason: "socket path is too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let error = errno
            close(fd)
            throw error == ENOENT || error == ECONNREFUSED
                ? .daemonNotRunning(path: path)
                : .cannotConnect(path: path, reason: String(cString: strerror(error)))
        }
        self.fd = fd
        chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    }

    deinit {
        close(fd)
        chunk.deallocate()
    }

    /// Calls `method` and returns its reply's parameters, or throws its named error.
    public func call<P: Codable & Sendable, R: Codable & Sendable>(
        _ method: String, _ parameters: P, as: R.Type = R.self
    ) throws(ClientError) -> R {
        try send(VarlinkCall(method: method, parameters: parameters))
        return try receive(R.self).parameters
    }

    /// Calls `method` with `more`, handing each reply to `body` until the server stops continuing or `body`
    /// returns false.
    public func stream<P: Codable & Sendable, R: Codable & Sendable>(
        _ method: String, _ parameters: P, as: R.Type = R.self, _ body: (R) throws(ClientError) -> Bool
    ) throws(ClientError) {
        try send(VarlinkCall(method: method, parameters: parameters, more: true))
        while true {
            let reply = try receive(R.self)
            guard try body(reply.parameters), reply.continues else { return }
        }
    }

    /// Sends a call without waiting for a reply (`oneway`).
    public func oneway<P: Codable & Sendable>(_ method: String, _ parameters: P) throws(ClientError) {
        try send(VarlinkCall(method: method, parameters: parameters, oneway: true))
    }

    /// Sends a call without reading its reply: pipelining. Read the replies, in order, with ``readReply(_:)``.
    public func send<P: Codable & Sendable>(_ method: String, _ parameters: P) throws(ClientError) {
        try send(VarlinkCall(method: method, parameters: parameters))
    }

    /// Reads the next reply of a pipelined call.
    public func readReply<R: Codable & Sendable>(_: R.Type) throws(ClientError) -> R {
        try receive(R.self).parameters
    }

    /// Sends raw bytes (tests of malformed input).
    public func sendRaw(_ bytes: [UInt8]) throws(ClientError) {
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a daemon that closed the connection is an error to report (EPIPE), not a SIGPIPE that
            // kills the client.
            let written = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else {
                throw errno == EPIPE || errno == ECONNRESET ? .connectionClosed : .io(String(cString: strerror(errno)))
            }
            offset += written
        }
    }

    func send<P: Codable & Sendable>(_ call: VarlinkCall<P>) throws(ClientError) {
        let data: Data
        do { data = try Varlink.frame(call) } catch { throw .protocolError("cannot encode the call: \(error)") }
        try sendRaw([UInt8](data))
    }

    /// Reads one frame; nil at end of stream.
    public func readFrame() throws(ClientError) -> [UInt8]? {
        while true {
            if let end = buffer[scanned...].firstIndex(of: Varlink.terminator) {
                let frame = Array(buffer[..<end])
                buffer.removeSubrange(...end)
                scanned = 0
                return frame
            }
            scanned = buffer.count
            guard buffer.count <= maximumFrame else { throw .protocolError("reply larger than \(maximumFrame) bytes") }
            try awaitReadable()
            let count = read(fd, chunk.baseAddress, chunk.count)
            if count == 0 { return nil }
            if count < 0 {
                if errno == EINTR { continue }
                throw .io(String(cString: strerror(errno)))
            }
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[..<count]))
        }
    }

    /// Waits until the socket has bytes (or the peer closed it), at most ``timeout``.
    private func awaitReadable() throws(ClientError) {
        guard let timeout else { return }
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1_000))
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            let milliseconds = max(
                0,
                Int32(
                    clamping: left.components.seconds * 1_000
                        + left.components.attoseconds / 1_000_000_000_000_000))
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, milliseconds)
            if ready > 0 { return }
            if ready < 0 && errno == EINTR { continue }
            if ready < 0 { throw .io(String(cString: strerror(errno))) }
            throw .timedOut(seconds: timeout)
        }
    }

    private struct Received<R> {
        var parameters: R
        var continues: Bool
    }

    /// Reads one reply and decodes it in one pass: its parameters as `R`, or, when it names an error, as the
    /// error's parameters.
    private func receive<R: Codable & Sendable>(_: R.Type) throws(ClientError) -> Received<R> {
        guard let frame = try readFrame() else { throw .connectionClosed }
        if let fast = R.self as? any FastReplyDecodable.Type,
            let received = try Self.decodeFast(frame, fast, as: R.self)
        {
            return received
        }
        let envelope: ReplyEnvelope<R>
        do {
            envelope = try JSONDecoder().decode(ReplyEnvelope<R>.self, from: Data(frame))
        } catch {
            // A well-formed envelope whose parameters are not what the method returns, or no envelope at all.
            let inParameters = Self.codingPath(of: error)?.first?.stringValue == "parameters"
            throw .protocolError((inParameters ? "unexpected reply: " : "reply is not a Varlink reply: ") + "\(error)")
        }
        if let error = envelope.error { throw .remote(error) }
        guard let parameters = envelope.parameters else { throw .protocolError("reply has no parameters") }
        return Received(parameters: parameters, continues: envelope.continues)
    }

    /// Decodes a reply with the parameters' own ``FastReplyDecodable`` decoder. Returns nil for an error reply,
    /// which the caller decodes with Foundation as any other (errors are small, and their parameters vary).
    private static func decodeFast<R>(
        _ frame: [UInt8], _ fast: any FastReplyDecodable.Type,
        as: R.Type
    ) throws(ClientError) -> Received<R>? {
        do {
            var reader = try frame.withUnsafeBytes { try JSONReader(parsing: $0) }
            var continues = false
            var parametersAt: Int?
            try reader.beginObject()
            while let key = try reader.nextKey() {
                switch key {
                case "error": return nil
                case "continues": continues = reader.readNull() ? false : try reader.bool()
                case "parameters": parametersAt = reader.position; try reader.skipValue()
                default: try reader.skipValue()
                }
            }
            try reader.finish()
            guard let parametersAt else { throw JSONCodecError.missingKey("parameters") }
            reader.position = parametersAt
            guard let parameters = try fast.init(json: &reader) as? R else {
                throw JSONCodecError.unexpected(expected: "\(R.self)", found: "\(fast)")
            }
            return Received(parameters: parameters, continues: continues)
        } catch {
            throw .protocolError("unexpected reply: \(error)")
        }
    }

    private static func codingPath(of error: any Error) -> [any CodingKey]? {
        switch error as? DecodingError {
        case .keyNotFound(_, let context), .typeMismatch(_, let context), .valueNotFound(_, let context),
            .dataCorrupted(let context):
            context.codingPath
        default: nil
        }
    }
}

/// A reply envelope decoded in one pass: `error` first, then `parameters` as that error's parameters or as `R`.
private struct ReplyEnvelope<R: Decodable>: Decodable {
    var parameters: R?
    var error: WireError?
    var continues: Bool

    enum CodingKeys: String, CodingKey { case parameters, continues, error }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        continues = try container.decodeIfPresent(Bool.self, forKey: .continues) ?? false
        if let name = try container.decodeIfPresent(String.self, forKey: .error) {
            let details = try container.decodeIfPresent(WireError.Parameters.self, forKey: .parameters)
            error = WireError(name, details ?? WireError.Parameters())
        } else {
            parameters = try container.decodeIfPresent(R.self, forKey: .parameters)
        }
    }
}

/// Why a call failed, from the client's side.
public enum ClientError: Error, Sendable, CustomStringConvertible {
    /// Nothing listens on the socket.
    case daemonNotRunning(path: String)
    case cannotConnect(path: String, reason: String)
    /// The daemon answered with a named error.
    case remote(WireError)
    case connectionClosed
    case protocolError(String)
    case io(String)
    /// The daemon did not answer in time (stopped, overloaded, or hung).
    case timedOut(seconds: Double)

    public var description: String {
        switch self {
        case .daemonNotRunning(let path):
            "slotd is not running (nothing listens on \(path)).\n"
                + "  Start it: `systemctl start slotd.socket` (installed), or `swift run slotd --dev` (from a checkout).\n"
                + "  Another socket: --socket PATH or SLOTD_SOCKET."
        case .cannotConnect(let path, let reason): "cannot connect to \(path): \(reason)"
        case .remote(let error): "\(error)"
        case .connectionClosed: "the daemon closed the connection"
        case .protocolError(let reason): "protocol error: \(reason)"
        case .io(let reason): "I/O error: \(reason)"
        case .timedOut(let seconds):
            "slotd did not answer within \(seconds.formatted(.number.precision(.fractionLength(0...1)))) s; is it running? "
                + "(`systemctl status slotd`; wait longer with --timeout SECONDS, or --timeout 0 to wait forever)"
        }
    }
}
