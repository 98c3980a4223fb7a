/// Where a value came from in a policy file, so every priority term and every diagnostic can point at its line.
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    /// The dotted key path, e.g. `categories.university.weight`.
    public var keyPath: String

    public init(file: String, line: Int, column: Int, keyPath: String) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
    }

    /// A location for values built in code rather than read from a file.
    public static func builtIn(_ keyPath: String) -> SourceLocation {
        SourceLocation(file: "<built-in>", line: 0, column: 0, keyPath: keyPath)
    }

    /// `file:line:column`, the form editors and compilers use.
    public var description: String { "\(file):\(line):\(column)" }
}
