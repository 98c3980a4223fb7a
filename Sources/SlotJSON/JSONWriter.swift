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
    /// Writes the digits itself and hands them to yajl as a number: `yajl_gen_integer` formats with `sprintf`,
    /// which was a tenth of the daemon's time on a long listing.
    public func int(_ value: Int64) {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 20) { digits in
            guard let base = digits.baseAddress else { return }
            var start = digits.count
            var magnitude = value.magnitude
            repeat {
                start -= 1
                digits[start] = CChar(UInt8(ascii: "0") + UInt8(magnitude % 10))
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                start -= 1
                digits[start] = CChar(UInt8(ascii: "-"))
            }
            check(yajl_gen_number(generator, base + start, digits.count - start))
        }
    }
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

    /// A string given as UTF-8 bytes (from SQLite, say), written without making a `String` of them.
    public func string(utf8 bytes: UnsafePointer<UInt8>?, count: Int) {
        withUnsafePointer(to: UInt8(0)) { empty in
            check(yajl_gen_string(generator, bytes ?? empty, count))
        }
    }

    /// Writes a JSON text as the next value: parsed by yajl and generated again, so its escaping and spacing
    /// become this writer's. Fails, writing nothing usable, if the text is not one JSON value.
    public func json(_ text: UnsafeRawBufferPointer) throws(JSONCodecError) {
        let callbacks = yajl_callbacks(
            yajl_null: { g in emit(g) { yajl_gen_null($0) } },
            yajl_boolean: { g, value in emit(g) { yajl_gen_bool($0, value) } },
            yajl_integer: nil,
            yajl_double: nil,
            yajl_number: { g, digits, count in emit(g) { yajl_gen_number($0, digits, count) } },
            yajl_string: { g, bytes, count in emit(g) { yajl_gen_string($0, bytes, count) } },
            yajl_start_map: { g in emit(g) { yajl_gen_map_open($0) } },
            yajl_map_key: { g, bytes, count in emit(g) { yajl_gen_string($0, bytes, count) } },
            yajl_end_map: { g in emit(g) { yajl_gen_map_close($0) } },
            yajl_start_array: { g in emit(g) { yajl_gen_array_open($0) } },
            yajl_end_array: { g in emit(g) { yajl_gen_array_close($0) } })
        let failure = yajlParse(text, callbacks, context: UnsafeMutableRawPointer(generator))
        if let failure {
            if self.failure == nil { self.failure = yajl_gen_invalid_string }
            throw .syntax(failure)
        }
    }

    public func strings(_ values: [String]) {
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    /// The JSON written so far, followed by `terminator` when one is given (a Varlink message ends in a NUL byte:
    /// `JSONWriter.frame()` in SlotProtocol).
    public func data(appending terminator: UInt8? = nil) throws(JSONCodecError) -> Data {
        if let failure { throw .generator(failure.rawValue) }
        var buffer: UnsafePointer<UInt8>?
        var length = 0
        check(yajl_gen_get_buf(generator, &buffer, &length))
        if let failure { throw .generator(failure.rawValue) }
        var data = Data(capacity: length + 1)
        if let buffer { data.append(buffer, count: length) }
        if let terminator { data.append(terminator) }
        return data
    }
}

/// Forwards one parse event to the generator `context` points to; 0 (stop parsing) when it refuses.
private func emit(_ context: UnsafeMutableRawPointer?, _ write: (yajl_gen) -> yajl_gen_status) -> Int32 {
    guard let context else { return 0 }
    return write(OpaquePointer(context)) == yajl_gen_status_ok ? 1 : 0
}
