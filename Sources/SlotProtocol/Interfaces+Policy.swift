// The IDL text of one part of the public contract (see `Interfaces.swift`).

extension Interfaces {
    public static let policy = """
        # The allocation policy in force: sector and category weights, limits, aging and fair share (Art. 26).
        interface io.slotd.Policy

        # A policy version applied at some time.
        type Version (seq: int, version: string, hash: string, appliedAt: int, appliedBy: string, reason: string)

        # The policy in force and its source text.
        method Get() -> (version: string, hash: string, file: string, source: string)

        # Validates a policy text without applying it.
        method Check(source: string) -> (valid: bool, diagnostics: []string)

        # Applies a policy text (admin; reason required). A policy with errors never replaces the one in force.
        method Apply(source: string, reason: string) -> (version: string, hash: string, file: string, source: string)

        # Every policy applied, oldest first.
        method History() -> (versions: []Version)

        # The policy has errors; nothing changed.
        error Invalid (reason: string)

        # The caller is not an admin.
        error PermissionDenied (reason: string)

        # A parameter is out of range or malformed.
        error InvalidParameter (parameter: string, reason: string)
        """
}
