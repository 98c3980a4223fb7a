import SlotCore

/// One finding about a policy file: an error (the policy is rejected) or a warning (it loads, but look).
public struct PolicyDiagnostic: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable { case error, warning }

    public var severity: Severity
    /// A stable code scripts can match on, e.g. `policy.unknown-key`.
    public var code: String
    public var location: SourceLocation
    public var message: String
    /// What the loader expected at this place.
    public var expected: String?
    /// What to do about it.
    public var hint: String?

    /// `file:line:column: error: message`, then the expectation and the hint on indented lines.
    public var description: String {
        var text = "\(location): \(severity.rawValue): \(message)"
        if let expected { text += "\n    expected: \(expected)" }
        if let hint { text += "\n    hint: \(hint)" }
        return text
    }
}

/// The policy module's error: why a policy could not be loaded. Every case has a stable code.
public enum PolicyError: Error, Sendable, CustomStringConvertible {
    /// The file could not be read.
    case unreadable(path: String, reason: String)
    /// The file was read and rejected; every error and warning is listed.
    case rejected(path: String, diagnostics: [PolicyDiagnostic])

    public var code: String {
        switch self {
        case .unreadable: "policy.unreadable"
        case .rejected: "policy.rejected"
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read policy \(path): \(reason)"
        case .rejected(let path, let diagnostics):
            "policy \(path) rejected with \(diagnostics.filter { $0.severity == .error }.count) error(s):\n"
                + diagnostics.map(\.description).joined(separator: "\n")
        }
    }
}
