import CYAJL

/// One event of yajl's parser.
public enum JSONToken: Sendable, Equatable {
    case objectStart, objectEnd, arrayStart, arrayEnd, null
    case key(String)
    case string(String)
    case integer(Int64)
    case double(Double)
    case bool(Bool)

    var kind: String {
        switch self {
        case .objectStart: "an object"
        case .objectEnd: "the end of an object"
        case .arrayStart: "an array"
        case .arrayEnd: "the end of an array"
        case .null: "null"
        case .key(let key): "key '\(key)'"
        case .string: "a string"
        case .integer: "an integer"
        case .double: "a number"
        case .bool: "a boolean"
        }
    }
}

/// A pull reader over one JSON text, parsed by yajl (which checks the syntax, the UTF-8 and integer ranges) into a
/// list of tokens. Hand-written decoders walk it with ``beginObject()`` and ``nextKey()``, skipping keys they do not
/// know, as Foundation's synthesized decoders do.
public struct JSONReader {
    private var tokens: [JSONToken]
    /// The next token to read.
    public var position = 0

    public init(parsing text: UnsafeRawBufferPointer) throws(JSONCodecError) {
        tokens = try TokenSink.parse(text)
    }

    private mutating func next() throws(JSONCodecError) -> JSONToken {
        guard position < tokens.count else { throw .unexpected(expected: "a value", found: "the end of the text") }
        defer { position += 1 }
        return tokens[position]
    }

    private func mismatch(_ expected: String, _ found: JSONToken) -> JSONCodecError {
        .unexpected(expected: expected, found: found.kind)
    }

    public mutating func beginObject() throws(JSONCodecError) {
        let token = try next()
        guard token == .objectStart else { throw mismatch("an object", token) }
    }

    /// The next key of the object being read, or nil at its end (which is consumed).
    public mutating func nextKey() throws(JSONCodecError) -> String? {
        switch try next() {
        case .key(let key): return key
        case .objectEnd: return nil
        case let token: throw mismatch("a key", token)
        }
    }

    public mutating func beginArray() throws(JSONCodecError) {
        let token = try next()
        guard token == .arrayStart else { throw mismatch("an array", token) }
    }

    /// True when the array being read has another element; false at its end (which is consumed).
    public mutating func hasNextElement() throws(JSONCodecError) -> Bool {
        guard position < tokens.count else { throw .unexpected(expected: "a value", found: "the end of the text") }
        if tokens[position] == .arrayEnd {
            position += 1
            return false
        }
        return true
    }

    /// Consumes a null and returns true, or leaves any other value to be read.
    public mutating func readNull() -> Bool {
        guard position < tokens.count, tokens[position] == .null else { return false }
        position += 1
        return true
    }

    public mutating func string() throws(JSONCodecError) -> String {
        let token = try next()
        guard case .string(let value) = token else { throw mismatch("a string", token) }
        return value
    }

    public mutating func int64() throws(JSONCodecError) -> Int64 {
        let token = try next()
        guard case .integer(let value) = token else { throw mismatch("an integer", token) }
        return value
    }

    public mutating func int() throws(JSONCodecError) -> Int { Int(try int64()) }

    public mutating func bool() throws(JSONCodecError) -> Bool {
        let token = try next()
        guard case .bool(let value) = token else { throw mismatch("a boolean", token) }
        return value
    }

    public mutating func strings() throws(JSONCodecError) -> [String] {
        try beginArray()
        var values: [String] = []
        while try hasNextElement() { values.append(try string()) }
        return values
    }

    public mutating func ints() throws(JSONCodecError) -> [Int] {
        try beginArray()
        var values: [Int] = []
        while try hasNextElement() { values.append(try int()) }
        return values
    }

    /// An object of strings, such as an environment.
    public mutating func stringMap() throws(JSONCodecError) -> [String: String] {
        try beginObject()
        var values: [String: String] = [:]
        while let key = try nextKey() { values[key] = try string() }
        return values
    }

    /// An object of strings, or nil (the object consumed) when a name repeats.
    public mutating func uniqueStringMap() throws(JSONCodecError) -> [String: String]? {
        try beginObject()
        var values: [String: String] = [:]
        var repeated = false
        while let key = try nextKey() {
            if values.updateValue(try string(), forKey: key) != nil { repeated = true }
        }
        return repeated ? nil : values
    }

    /// Reads one whole text with `read`, which must consume all of it.
    public static func decode<T>(
        _ text: UnsafeRawBufferPointer, _ read: (inout JSONReader) throws(JSONCodecError) -> T
    ) throws(JSONCodecError) -> T {
        var reader = try JSONReader(parsing: text)
        let value = try read(&reader)
        try reader.finish()
        return value
    }

    /// Skips one whole value, however deeply nested.
    public mutating func skipValue() throws(JSONCodecError) {
        var depth = 0
        repeat {
            switch try next() {
            case .objectStart, .arrayStart: depth += 1
            case .objectEnd, .arrayEnd: depth -= 1
            case .key: continue
            default: break
            }
        } while depth > 0
    }

    /// Fails unless every token was read: a decoder that stopped early read a different shape than it expected.
    public func finish() throws(JSONCodecError) {
        guard position == tokens.count else { throw mismatch("the end of the text", tokens[position]) }
    }
}

/// Collects yajl's parse events as tokens. yajl calls back synchronously, inside `yajl_parse`, on the calling
/// thread; the callbacks' context points at the token array for the duration of ``parse(_:)``. (A pointer, not a
/// class: appending through a class property paid a dynamic exclusivity check per token.)
private enum TokenSink {
    static func parse(_ text: UnsafeRawBufferPointer) throws(JSONCodecError) -> [JSONToken] {
        var tokens: [JSONToken] = []
        tokens.reserveCapacity(text.count / 8)
        let callbacks = yajl_callbacks(
            yajl_null: { context in TokenSink.add(context, .null) },
            yajl_boolean: { context, value in TokenSink.add(context, .bool(value != 0)) },
            yajl_integer: { context, value in TokenSink.add(context, .integer(value)) },
            yajl_double: { context, value in TokenSink.add(context, .double(value)) },
            yajl_number: nil,
            yajl_string: { context, bytes, count in
                guard let string = TokenSink.string(bytes, count) else { return 0 }
                return TokenSink.add(context, .string(string))
            },
            yajl_start_map: { context in TokenSink.add(context, .objectStart) },
            yajl_map_key: { context, bytes, count in
                guard let key = TokenSink.string(bytes, count) else { return 0 }
                return TokenSink.add(context, .key(key))
            },
            yajl_end_map: { context in TokenSink.add(context, .objectEnd) },
            yajl_start_array: { context in TokenSink.add(context, .arrayStart) },
            yajl_end_array: { context in TokenSink.add(context, .arrayEnd) })
        let failure = withUnsafeMutablePointer(to: &tokens) { tokens in
            yajlParse(text, callbacks, context: UnsafeMutableRawPointer(tokens))
        }
        if let failure {
            // The callbacks stop the parse only for a string that is not valid UTF-8.
            throw .syntax(
                failure.contains("client cancelled")
                    ? "a string is not valid UTF-8"
                    : failure)
        }
        return tokens
    }

    fileprivate static func add(_ context: UnsafeMutableRawPointer?, _ token: JSONToken) -> Int32 {
        guard let context else { return 0 }
        context.assumingMemoryBound(to: [JSONToken].self).pointee.append(token)
        return 1
    }

    /// The string, or nil for bytes that are not valid UTF-8. yajl's own check lets some invalid sequences through
    /// (overlong forms, surrogates); Foundation refuses them, and so does this, rather than repairing them.
    fileprivate static func string(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> String? {
        guard let bytes else { return "" }
        let buffer = UnsafeBufferPointer(start: bytes, count: count)
        // ASCII, which most strings are, is valid as it is: `String(validating:)` cost half again the whole decode.
        if buffer.allSatisfy({ $0 < 0x80 }) { return String(decoding: buffer, as: UTF8.self) }
        return String(validating: buffer, as: UTF8.self)
    }
}

extension JSONReader {
    /// A key's value once the object is read, or ``JSONCodecError/missingKey(_:)`` when the object lacked it.
    public static func required<T>(_ value: T?, _ key: String) throws(JSONCodecError) -> T {
        guard let value else { throw .missingKey(key) }
        return value
    }
}
