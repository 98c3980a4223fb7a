import CSystemd
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// A swift-log handler that writes structured entries to the systemd journal with `sd_journal_sendv`.
///
/// Each entry carries `MESSAGE`, `PRIORITY` (syslog levels), `SYSLOG_IDENTIFIER=slotd`, `SLOTD_LABEL`,
/// `CODE_FILE`/`CODE_LINE`/`CODE_FUNC`, and one `SLOTD_<KEY>` field per metadata key (e.g. `SLOTD_REQUEST=42`), so
/// operators can filter with `journalctl -u slotd SLOTD_REQUEST=42`. If the journal refuses an entry, it is written
/// to stderr instead, so nothing is lost.
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    let label: String

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// True when stderr is connected to the journal (systemd sets `JOURNAL_STREAM` to stderr's `device:inode`).
    public static var stderrIsJournal: Bool {
        guard let stream = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] else { return false }
        var status = stat()
        guard fstat(STDERR_FILENO, &status) == 0 else { return false }
        return stream == "\(status.st_dev):\(status.st_ino)"
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let fields = Self.fields(
            level: event.level, message: "\(event.message)", metadata: merged, label: label,
            file: event.file, function: event.function, line: event.line)
        if Self.send(fields) != 0 {
            let text =
                "\(Self.timestamp()) \(event.level) \(label): \(event.message)"
                + (merged.isEmpty
                    ? ""
                    : " "
                        + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                        .joined(separator: " "))
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }

    /// The journal fields of one entry, `NAME=value` each. Pure, so the field names and the priority mapping are
    /// testable without a journal.
    public static func fields(
        level: Logger.Level, message: String, metadata: Logger.Metadata, label: String,
        file: String, function: String, line: UInt
    ) -> [String] {
        var fields = [
            "MESSAGE=\(message)", "PRIORITY=\(priority(level))", "SYSLOG_IDENTIFIER=slotd", "SLOTD_LABEL=\(label)",
            "CODE_FILE=\(file)", "CODE_LINE=\(line)", "CODE_FUNC=\(function)",
        ]
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            fields.append("SLOTD_\(fieldName(key))=\(value)")
        }
        return fields
    }

    /// syslog priority: 7 debug … 2 critical.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// A journal field name: upper-case letters, digits and `_` only.
    public static func fieldName(_ key: String) -> String {
        String(
            key.uppercased().unicodeScalars.map { scalar -> Character in
                ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) ? Character(scalar) : "_"
            })
    }

    /// Sends one entry; 0 on success, a negative errno otherwise.
    static func send(_ fields: [String]) -> Int32 {
        let buffers = fields.map { Array($0.utf8) }
        return withIOVectors(buffers, index: 0, collected: []) { vectors in
            vectors.withUnsafeBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) }
        }
    }

    /// Pins every buffer for the duration of `body` (iovecs must point at stable memory).
    private static func withIOVectors(
        _ buffers: [[UInt8]], index: Int, collected: [iovec],
        _ body: ([iovec]) -> Int32
    ) -> Int32 {
        guard index < buffers.count else { return body(collected) }
        return buffers[index].withUnsafeBytes { raw in
            let vector = iovec(iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress), iov_len: raw.count)
            return withIOVectors(buffers, index: index + 1, collected: collected + [vector], body)
        }
    }

    static func timestamp() -> String {
        Date.now.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
    }
}
