import SlotCore
import TOMLKit

/// Reads the keys of one TOML table with strict types and ranges, reporting every problem to the sink and
/// remembering which keys it read, so ``finish()`` can reject the rest as unknown.
struct TableReader {
    let table: TOMLTable
    let path: [String]
    let sink: DiagnosticSink
    /// Every key this table may hold, for the unknown-key message.
    let allowed: [String]
    private var read: Set<String> = []

    init(_ table: TOMLTable, path: [String], allowed: [String], sink: DiagnosticSink) {
        self.table = table
        self.path = path
        self.allowed = allowed
        self.sink = sink
    }

    var tableName: String { path.isEmpty ? "the top level" : "[\(path.joined(separator: "."))]" }

    func location(_ key: String) -> SourceLocation { sink.location(path + [key]) }

    /// The raw value of `key`, reporting it missing when `required`.
    private mutating func value(_ key: String, required: Bool, expected: String) -> (any TOMLValueConvertible)? {
        read.insert(key)
        if let value = table[key] { return value }
        if required {
            sink.error(
                "policy.missing-key", at: location(key).withPath(path + [key], of: sink),
                "missing required key '\(key)' in \(tableName)", expected: "\(key) = <\(expected)>",
                hint: "see Policies/README.md for every key")
        }
        return nil
    }

    private func typeError(_ key: String, _ value: any TOMLValueConvertible, expected: String) {
        let hint =
            value.type == .string
            ? "remove the quotes if a number or date is meant"
            : "write \(key) as \(expected)"
        sink.error(
            "policy.type", at: location(key), "'\(key)' is a \(value.type), not \(expected)",
            expected: expected, hint: hint)
    }

    private func rangeError(_ key: String, _ shown: String, expected: String) {
        sink.error(
            "policy.range", at: location(key), "'\(key)' = \(shown) is out of range", expected: expected,
            hint: "see the range of \((path + [key]).joined(separator: ".")) in Policies/README.md")
    }

    mutating func integer(_ key: String, in range: ClosedRange<Int64>, required: Bool = true) -> Int64? {
        let expected = "an integer in \(range.lowerBound)...\(range.upperBound)"
        guard let raw = value(key, required: required, expected: "integer") else { return nil }
        guard let int = raw.int else {
            typeError(key, raw, expected: expected)
            return nil
        }
        guard range.contains(Int64(int)) else {
            rangeError(key, String(int), expected: expected)
            return nil
        }
        return Int64(int)
    }

    mutating func string(_ key: String, required: Bool = true, maxLength: Int = 200) -> String? {
        let expected = "a string of 1...\(maxLength) characters"
        guard let raw = value(key, required: required, expected: "string") else { return nil }
        guard let text = raw.string else {
            typeError(key, raw, expected: expected)
            return nil
        }
        guard !text.isEmpty, text.count <= maxLength else {
            rangeError(key, "\"\(text.prefix(20))\"", expected: expected)
            return nil
        }
        return text
    }

    mutating func duration(_ key: String, in range: ClosedRange<SlotDuration>, required: Bool = true) -> SlotDuration? {
        let expected = "a duration in \(range.lowerBound)...\(range.upperBound), written like \"90m\", \"72h\", \"7d\""
        guard let raw = value(key, required: required, expected: "duration") else { return nil }
        guard let text = raw.string else {
            typeError(key, raw, expected: expected)
            return nil
        }
        guard let duration = SlotDuration(parsing: text) else {
            sink.error(
                "policy.type", at: location(key), "'\(key)' = \"\(text)\" is not a duration",
                expected: expected, hint: "units are s, m, h, d, w, largest first, e.g. \"1d12h\"")
            return nil
        }
        guard range.contains(duration) else {
            rangeError(key, "\"\(text)\"", expected: expected)
            return nil
        }
        return duration
    }

    mutating func date(_ key: String) -> String? {
        let expected = "a TOML date, e.g. 2026-12-01 (no quotes)"
        guard let raw = value(key, required: true, expected: "date") else { return nil }
        guard let date = raw.date else {
            typeError(key, raw, expected: expected)
            return nil
        }
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(date.year)-\(two(date.month))-\(two(date.day))"
    }

    /// A number (integer or float) in `range`.
    mutating func number(_ key: String, in range: ClosedRange<Double>) -> Double? {
        let expected = "a number in \(range.lowerBound)...\(range.upperBound), e.g. 1.5"
        guard let raw = value(key, required: true, expected: "number") else { return nil }
        guard let number = raw.double ?? raw.int.map(Double.init) else {
            typeError(key, raw, expected: expected)
            return nil
        }
        guard range.contains(number) else {
            rangeError(key, "\(number)", expected: expected)
            return nil
        }
        return number
    }

    mutating func boolean(_ key: String, required: Bool = true) -> Bool? {
        guard let raw = value(key, required: required, expected: "true or false") else { return nil }
        guard let bool = raw.bool else {
            typeError(key, raw, expected: "true or false")
            return nil
        }
        return bool
    }

    /// A non-empty array of strings.
    mutating func strings(_ key: String) -> [String]? {
        let expected = "a non-empty array of strings, e.g. [\"healthcare\", \"energy\"]"
        guard let raw = value(key, required: true, expected: "array") else { return nil }
        guard let array = raw.array else {
            typeError(key, raw, expected: expected)
            return nil
        }
        var result: [String] = []
        for element in array {
            guard let text = element.string else {
                sink.error(
                    "policy.type", at: location(key), "'\(key)' holds a \(element.type), not a string",
                    expected: expected, hint: "quote every entry")
                return nil
            }
            result.append(text)
        }
        guard !result.isEmpty else {
            rangeError(key, "[]", expected: expected)
            return nil
        }
        return result
    }

    mutating func table(_ key: String, allowed: [String], required: Bool = true) -> TableReader? {
        guard let raw = value(key, required: required, expected: "table") else { return nil }
        guard let table = raw.table else {
            typeError(key, raw, expected: "a table [\((path + [key]).joined(separator: "."))]")
            return nil
        }
        return TableReader(table, path: path + [key], allowed: allowed, sink: sink)
    }

    /// Reports every key that was never read as unknown.
    func finish() {
        for key in table.keys where !read.contains(key) {
            sink.error(
                "policy.unknown-key", at: sink.location(path + [key]), "unknown key '\(key)' in \(tableName)",
                expected: "one of: \(allowed.joined(separator: ", "))",
                hint: suggestion(for: key, among: allowed) ?? "remove it, or check the spelling")
        }
    }
}

extension SourceLocation {
    /// A missing key has no line of its own: point at its table instead, keeping the full key path.
    func withPath(_ path: [String], of sink: DiagnosticSink) -> SourceLocation {
        var location = sink.location(Array(path.dropLast()))
        location.keyPath = path.joined(separator: ".")
        return location
    }
}
