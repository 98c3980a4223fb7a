import SlotCore

/// Collects every diagnostic of one load, placing each at its key's line and column.
final class DiagnosticSink {
    let file: String
    let sourceMap: TOMLSourceMap
    private(set) var diagnostics: [PolicyDiagnostic] = []

    init(file: String, text: String) {
        self.file = file
        self.sourceMap = TOMLSourceMap(text: text)
    }

    var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    func location(_ path: [String]) -> SourceLocation {
        let position = sourceMap.position(of: path)
        return SourceLocation(
            file: file, line: position.line, column: position.column,
            keyPath: path.joined(separator: "."))
    }

    func location(ofLiteral literal: String, occurrence: Int = 0, in path: [String]) -> SourceLocation {
        let position = sourceMap.position(ofLiteral: literal, occurrence: occurrence, in: path)
        return SourceLocation(
            file: file, line: position.line, column: position.column,
            keyPath: path.joined(separator: "."))
    }

    /// Records an error. Every error says what was expected and what to do, so both are required.
    func error(_ code: String, at location: SourceLocation, _ message: String, expected: String, hint: String) {
        diagnostics.append(
            PolicyDiagnostic(
                severity: .error, code: code, location: location, message: message,
                expected: expected, hint: hint))
    }

    func warning(
        _ code: String, at location: SourceLocation, _ message: String, expected: String? = nil,
        hint: String? = nil
    ) {
        diagnostics.append(
            PolicyDiagnostic(
                severity: .warning, code: code, location: location, message: message,
                expected: expected, hint: hint))
    }

    /// Diagnostics in file order, errors before warnings on the same line.
    var sorted: [PolicyDiagnostic] {
        diagnostics.enumerated().sorted { a, b in
            let ka = (
                a.element.location.line, a.element.location.column, a.element.severity == .error ? 0 : 1, a.offset
            )
            let kb = (
                b.element.location.line, b.element.location.column, b.element.severity == .error ? 0 : 1, b.offset
            )
            return ka < kb
        }.map(\.element)
    }
}

/// The edit distance between two short strings, for "did you mean" hints.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + [Int](repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}

/// `did you mean 'x'?` when one of `candidates` is close to `word`.
func suggestion(for word: String, among candidates: [String]) -> String? {
    let best = candidates.map { ($0, editDistance(word.lowercased(), $0)) }.min { $0.1 < $1.1 }
    guard let best, best.1 <= max(2, word.count / 3) else { return nil }
    return "did you mean '\(best.0)'?"
}
