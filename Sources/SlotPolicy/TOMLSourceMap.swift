/// Maps TOML key paths to the line and column where they are written.
///
/// TOMLKit (toml++) parses the document and reports syntax errors with positions, but does not expose where each key
/// sits; this map recovers that from the text so semantic errors can say `file:line:column` too. It reads table
/// headers (`[a.b]`, `[[a]]`), `key = value` lines with bare, quoted and dotted keys, and skips multi-line strings.
/// A path it cannot place falls back to its nearest placed ancestor.
struct TOMLSourceMap {
    struct Position: Hashable {
        var line: Int
        var column: Int
    }

    private(set) var positions: [String: Position] = [:]
    private let lines: [Substring]

    init(text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var table: [String] = []
        var openMultiline: String?
        for (number, line) in lines.enumerated() {
            if let delimiter = openMultiline {
                if line.contains(delimiter) { openMultiline = nil }
                continue
            }
            let indent = line.prefix { $0 == " " || $0 == "\t" }.count
            let body = line.dropFirst(indent)
            let position = Position(line: number + 1, column: indent + 1)
            if body.hasPrefix("[") {
                let inner = body.drop { $0 == "[" }
                if let keys = Self.keyPath(inner) {
                    table = keys.path
                    record(table, position)
                }
            } else if let keys = Self.keyPath(body), keys.rest.first == "=" {
                record(table + keys.path, position)
                let value = keys.rest.dropFirst().drop { $0 == " " || $0 == "\t" }
                for delimiter in ["\"\"\"", "'''"] where value.hasPrefix(delimiter) {
                    if value.dropFirst(3).range(of: delimiter) == nil { openMultiline = delimiter }
                }
            }
        }
    }

    private mutating func record(_ path: [String], _ position: Position) {
        let key = path.joined(separator: ".")
        if positions[key] == nil { positions[key] = position }
    }

    /// The position of `path`, or of its nearest placed ancestor, or 1:1.
    func position(of path: [String]) -> Position {
        var path = path
        while !path.isEmpty {
            if let found = positions[path.joined(separator: ".")] { return found }
            path.removeLast()
        }
        return Position(line: 1, column: 1)
    }

    /// The position of the `occurrence`-th (from 0) string literal `"literal"` in the value of `path`, which may
    /// span lines; the key's own position when it cannot be found.
    func position(ofLiteral literal: String, occurrence: Int = 0, in path: [String]) -> Position {
        let start = position(of: path)
        let needles = ["\"\(literal)\"", "'\(literal)'"]
        var remaining = occurrence
        for index in (start.line - 1)..<min(lines.count, start.line + 40) {
            let line = lines[index]
            var from = line.startIndex
            while let range = needles.compactMap({ line[from...].range(of: $0) }).min(by: {
                $0.lowerBound < $1.lowerBound
            }) {
                if remaining == 0 {
                    return Position(
                        line: index + 1, column: line.distance(from: line.startIndex, to: range.lowerBound) + 1)
                }
                remaining -= 1
                from = range.upperBound
            }
        }
        return start
    }

    /// Reads a dotted key (`a.b`, `"quoted key".c`) from the start of `text`; returns it and what follows.
    static func keyPath(_ text: Substring) -> (path: [String], rest: Substring)? {
        var rest = text
        var path: [String] = []
        while true {
            rest = rest.drop { $0 == " " || $0 == "\t" }
            guard let first = rest.first else { return nil }
            if first == "\"" || first == "'" {
                let body = rest.dropFirst()
                guard let close = body.firstIndex(of: first) else { return nil }
                path.append(String(body[..<close]))
                rest = body[body.index(after: close)...]
            } else {
                let bare = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
                guard !bare.isEmpty else { return nil }
                path.append(String(bare))
                rest = rest.dropFirst(bare.count)
            }
            rest = rest.drop { $0 == " " || $0 == "\t" }
            guard rest.first == "." else { return (path, rest) }
            rest = rest.dropFirst()
        }
    }
}
