import Logging
import SlotDaemon
import XCTest

/// The journal handler's entries: field names journald accepts, syslog priorities, and metadata as `SLOTD_*` fields.
final class JournalLogHandlerTests: XCTestCase {
    /// Invariant: every field is `NAME=value` with NAME of A-Z, 0-9 and `_` (journald drops others), and each
    /// metadata key becomes its own `SLOTD_` field.
    func testFieldsAreJournalFields() {
        let fields = JournalLogHandler.fields(
            level: .warning, message: "slot 42 expired", metadata: ["request": "42", "policy-version": "2026.1"],
            label: "slotd.engine", file: "Engine.swift", function: "expire()", line: 7)
        XCTAssertEqual(
            fields,
            [
                "MESSAGE=slot 42 expired", "PRIORITY=4", "SYSLOG_IDENTIFIER=slotd", "SLOTD_LABEL=slotd.engine",
                "CODE_FILE=Engine.swift", "CODE_LINE=7", "CODE_FUNC=expire()", "SLOTD_POLICY_VERSION=2026.1",
                "SLOTD_REQUEST=42",
            ])
        for field in fields {
            let name = field.prefix { $0 != "=" }
            XCTAssertTrue(name.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber || $0 == "_") }, field)
        }
    }

    /// Invariant: swift-log levels map onto syslog priorities, most severe lowest.
    func testPriorities() {
        let levels: [Logger.Level] = [.trace, .debug, .info, .notice, .warning, .error, .critical]
        XCTAssertEqual(levels.map(JournalLogHandler.priority), [7, 7, 6, 5, 4, 3, 2])
        XCTAssertEqual(JournalLogHandler.fieldName("a.b-c9 ü"), "A_B_C9__")
    }
}
