import Foundation

/// A call as the server reads it: the envelope and its typed parameters, decoded from the frame in one pass.
///
/// The parameters' type is looked up by method in the ``ParameterTypes`` the decoder carries; a method not listed
/// takes none. A frame that
/// is not a call (no string `method`) fails to decode at all: the server answers `InvalidFrame` and closes. A call
/// whose parameters do not fit their type decodes, with `parameters` holding the `InvalidParameter` error that
/// names the offending field, so the connection stays open.
public struct IncomingCall: Decodable, Sendable {
    public var header: VarlinkCallHeader
    public var parameters: Result<(any Sendable)?, WireError>

    /// Which parameter type each method takes: the server's route table gives it (`decode(_:parameterTypes:)`).
    public typealias ParameterTypes = [String: any (Decodable & Sendable).Type]

    /// Where `init(from:)` finds the `ParameterTypes` (a decoder without them decodes no parameters).
    public static let parameterTypesKey = CodingUserInfoKey(rawValue: "io.slotd.parameterTypes")!

    /// A decoder of calls whose parameters decode to `types`.
    public static func decoder(_ types: ParameterTypes) -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.userInfo[parameterTypesKey] = types
        return decoder
    }

    enum Keys: String, CodingKey { case method, parameters, more, oneway, upgrade }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        header = VarlinkCallHeader(
            method: try c.decode(String.self, forKey: .method), more: try c.decodeIfPresent(Bool.self, forKey: .more),
            oneway: try c.decodeIfPresent(Bool.self, forKey: .oneway),
            upgrade: try c.decodeIfPresent(Bool.self, forKey: .upgrade))
        let types = decoder.userInfo[Self.parameterTypesKey] as? ParameterTypes
        guard let type = types?[header.method] else {
            parameters = .success(nil)
            return
        }
        parameters = Self.decode(type, c)
    }

    static func decode<P: Decodable & Sendable>(_: P.Type, _ c: KeyedDecodingContainer<Keys>)
        -> Result<(any Sendable)?, WireError>
    {
        do {
            // Missing (or null) `parameters` means `{}`: the type's own defaults decide.
            if let given = try c.decodeIfPresent(P.self, forKey: .parameters) { return .success(given) }
            return .success(try JSONDecoder().decode(P.self, from: Data("{}".utf8)))
        } catch {
            return .failure(.invalidParameter(Self.field(of: error)))
        }
    }

    /// The dotted path of the parameter a decoding error is about, without the envelope's `parameters`.
    static func field(of error: any Error) -> String {
        let path: [String]
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            path = context.codingPath.map(\.stringValue) + [key.stringValue]
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
            DecodingError.dataCorrupted(let context):
            path = context.codingPath.map(\.stringValue)
        default:
            return "parameters"
        }
        let named = path.filter { $0 != "parameters" }.joined(separator: ".")
        return named.isEmpty ? "parameters" : named
    }

    /// The parameters as `P`: the decoded value, or the decoding error.
    public func parameters<P: Sendable>(as _: P.Type) throws(WireError) -> P {
        switch parameters {
        case .failure(let error): throw error
        case .success(let value as P): return value
        case .success: throw .internalError("\(header.method) has no parameters of type \(P.self)")
        }
    }
}
