import CYAJL
import Foundation

/// Why the yajl-backed JSON codec (``JSONWriter``, ``JSONReader``) failed. Decoding errors say what was expected
/// and what came instead; the client reports them as a protocol error, like Foundation's decoding errors.
public enum JSONCodecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not JSON: yajl's message.
    case syntax(String)
    /// Well-formed JSON of the wrong shape.
    case unexpected(expected: String, found: String)
    case missingKey(String)
    case unknownValue(key: String, value: String)
    /// The generator refused a call (a writer used out of order); yajl's status code.
    case generator(UInt32)

    public var description: String {
        switch self {
        case .syntax(let message): "invalid JSON: \(message)"
        case .unexpected(let expected, let found): "expected \(expected), found \(found)"
        case .missingKey(let key): "missing '\(key)'"
        case .unknownValue(let key, let value): "'\(key)' has an unknown value '\(value)'"
        case .generator(let status): "JSON generator refused a value (yajl status \(status))"
        }
    }
}

/// Writes one JSON value through yajl's generator, which does the escaping and checks the nesting. The caller
/// writes keys in the order it wants them on the wire; the hand-written encoders in this module write them sorted,
/// as ``Varlink/encoder()`` does, so both produce the same bytes (tested).
///
/// A writer is single-use and not thread-safe: make one per frame.
public final class JSONWriter {
    private let generator: yajl_gen
    /// The first status other than ok, reported by ``frame()``; later calls are then ignored.
    private var failure: yajl_gen_status?

    public init() throws(JSONCodecError) {
        guard let generator = yajl_gen_alloc(nil) else { throw .generator(UInt32.max) }
        self.generator = generator
    }

    deinit { yajl_gen_free(generator) }

    private func check(_ status: yajl_gen_status) {
        if status != yajl_gen_status_ok, failure == nil { failure = status }
    }

    public func beginObject() { check(yajl_gen_map_open(generator)) }
    public func endObject() { check(yajl_gen_map_close(generator)) }
    public func beginArray() { check(yajl_gen_array_open(generator)) }
    public func endArray() { check(yajl_gen_array_close(generator)) }
    public func null() { check(yajl_gen_null(generator)) }
    public func bool(_ value: Bool) { check(yajl_gen_bool(generator, value ? 1 : 0)) }
    public func int(_ value: Int64) { check(yajl_gen_integer(generator, value)) }
    public func int(_ value: Int) { int(Int64(value)) }

    public func key(_ key: StaticString) {
        check(yajl_gen_string(generator, key.utf8Start, key.utf8CodeUnitCount))
    }

    public func string(_ value: String) {
        var value = value
        value.withUTF8 { bytes in
            withUnsafePointer(to: UInt8(0)) { empty in
                check(yajl_gen_string(generator, bytes.baseAddress ?? empty, bytes.count))
            }
        }
    }

    public func strings(_ values: [String]) {
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    /// The JSON written so far, followed by the Varlink terminator.
    public func frame() throws(JSONCodecError) -> Data {
        if let failure { throw .generator(failure.rawValue) }
        var buffer: UnsafePointer<UInt8>?
        var length = 0
        check(yajl_gen_get_buf(generator, &buffer, &length))
        if let failure { throw .generator(failure.rawValue) }
        var data = Data(capacity: length + 1)
        if let buffer { data.append(buffer, count: length) }
        data.append(Varlink.terminator)
        return data
    }
}
