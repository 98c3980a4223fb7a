import Foundation

/// Varlink framing and envelopes (https://varlink.org): each message is one JSON object ended by a NUL byte.
///
/// A call is `{"method": "io.slotd.Requests.Get", "parameters": {...}, "more": true, "oneway": true}`; a reply is
/// `{"parameters": {...}, "continues": true}` or `{"error": "io.slotd.Requests.NotFound", "parameters": {...}}`.
public enum Varlink {
    /// The byte that ends every frame.
    public static let terminator: UInt8 = 0
    /// Default cap on one frame, bytes (a larger frame is refused and the connection closed).
    public static let defaultMaximumFrame = 1 << 20

    /// A JSON encoder for the wire: stable key order, so frames are reproducible in tests and logs.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// Encodes `value` as one frame, terminator included.
    public static func frame(_ value: some Encodable) throws -> Data {
        var data = try encoder().encode(value)
        data.append(terminator)
        return data
    }
}

/// The part of a call every method shares; decoded first to route the call.
public struct VarlinkCallHeader: Decodable, Sendable {
    public var method: String
    public var more: Bool?
    public var oneway: Bool?
    public var upgrade: Bool?

    public init(method: String, more: Bool? = nil, oneway: Bool? = nil, upgrade: Bool? = nil) {
        self.method = method
        self.more = more
        self.oneway = oneway
        self.upgrade = upgrade
    }

    /// `io.slotd.Requests.Get` → `io.slotd.Requests`.
    public var interface: String {
        guard let dot = method.lastIndex(of: ".") else { return "" }
        return String(method[..<dot])
    }
}

/// A call with typed parameters (decoded once the method is known). Missing `parameters` means `{}`.
public struct VarlinkCall<Parameters: Codable & Sendable>: Codable, Sendable {
    public var method: String
    public var parameters: Parameters?
    public var more: Bool?
    public var oneway: Bool?

    public init(method: String, parameters: Parameters?, more: Bool? = nil, oneway: Bool? = nil) {
        self.method = method
        self.parameters = parameters
        self.more = more
        self.oneway = oneway
    }
}

/// A reply: parameters, or a named error with its parameters.
public struct VarlinkReply<Parameters: Codable & Sendable>: Codable, Sendable {
    public var parameters: Parameters?
    public var continues: Bool?
    public var error: String?

    public init(parameters: Parameters?, continues: Bool? = nil, error: String? = nil) {
        self.parameters = parameters
        self.continues = continues
        self.error = error
    }
}

/// Parameters of a method that takes or returns none.
public struct Empty: Codable, Sendable, Hashable {
    public init() {}
}
