import Foundation
import SlotCore
import TOMLKit

/// The result of checking a policy: the policy when it is valid, and every diagnostic either way.
public struct PolicyCheck: Sendable {
    /// The policy, or nil when any diagnostic is an error.
    public var policy: Policy?
    /// Errors and warnings in file order.
    public var diagnostics: [PolicyDiagnostic]

    public var isValid: Bool { policy != nil }
    public var errors: [PolicyDiagnostic] { diagnostics.filter { $0.severity == .error } }
    public var warnings: [PolicyDiagnostic] { diagnostics.filter { $0.severity == .warning } }
}

/// Loads policy files strictly: a version is required, unknown keys are rejected, and every error is reported with
/// `file:line:column`, what was expected, and a hint. A policy with any error is never returned.
///
/// Syntax errors come from the TOML parser, which stops at the first one; once the syntax is valid, every semantic
/// error in the file is reported in one pass.
public enum PolicyLoader {
    /// Policy files larger than this are refused unread.
    public static let maximumFileSize = 1 << 20

    static let topLevelKeys = [
        "version", "effective", "revision", "notice", "aging", "fair_share", "defaults", "sectors", "categories",
        "agreement", "contests", "gpu_rates", "projects",
    ]
    static let sectorKeys = ["name", "weight", "description"]
    static let categoryKeys = [
        "name", "weight", "description", "max_duration", "max_concurrent_gpus", "gpu_hours_per_period", "sectors",
        "gpu_types",
    ]
    static let weightRange: ClosedRange<Int64> = 0...100_000
    static let idPattern = "lowercase letters, digits and '_', starting with a letter, at most 32 characters"

    /// Reads and checks the file at `path`.
    public static func check(contentsOf path: String) throws(PolicyError) -> PolicyCheck {
        let url = URL(fileURLWithPath: path)
        let data: Data
        do {
            let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
            guard size <= maximumFileSize else {
                throw PolicyError.unreadable(path: path, reason: "larger than \(maximumFileSize) bytes")
            }
            data = try Data(contentsOf: url)
        } catch let error as PolicyError {
            throw error
        } catch {
            throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .unreadable(path: path, reason: "not UTF-8 text")
        }
        return check(text: text, file: path)
    }

    /// Loads the file at `path`, throwing when it cannot be read or has any error.
    public static func load(contentsOf path: String) throws(PolicyError) -> (
        policy: Policy, warnings: [PolicyDiagnostic]
    ) {
        let result = try check(contentsOf: path)
        guard let policy = result.policy else { throw .rejected(path: path, diagnostics: result.diagnostics) }
        return (policy, result.warnings)
    }

    /// Checks policy `text`; `file` names it in diagnostics.
    public static func check(text: String, file: String) -> PolicyCheck {
        let sink = DiagnosticSink(file: file, text: text)
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            sink.error(
                "policy.syntax",
                at: SourceLocation(
                    file: file, line: error.source.begin.line,
                    column: error.source.begin.column, keyPath: ""),
                "TOML syntax: \(error.description)", expected: "valid TOML (https://toml.io)",
                hint: "a key or table defined twice is reported here too; ids must be unique")
            return PolicyCheck(policy: nil, diagnostics: sink.sorted)
        } catch {
            sink.error(
                "policy.syntax", at: SourceLocation(file: file, line: 1, column: 1, keyPath: ""),
                "TOML syntax: \(error)", expected: "valid TOML (https://toml.io)", hint: "check the file's syntax")
            return PolicyCheck(policy: nil, diagnostics: sink.sorted)
        }
        let policy = read(root, sink: sink)
        if let policy { checkSemantics(policy, sink: sink) }
        return PolicyCheck(policy: sink.hasErrors ? nil : policy, diagnostics: sink.sorted)
    }

    /// Reads the whole document; returns nil when a required part could not be read (its errors are in the sink).
    static func read(_ root: TOMLTable, sink: DiagnosticSink) -> Policy? {
        var top = TableReader(root, path: [], allowed: topLevelKeys, sink: sink)
        let version = top.integer("version", in: 0...Int64(Int32.max))
        if let version, version != Int64(Policy.formatVersion) {
            sink.error(
                "policy.version", at: top.location("version"),
                "policy format version \(version) is not supported by this slotd",
                expected: "version = \(Policy.formatVersion)",
                hint: "upgrade slotd, or rewrite the file for format \(Policy.formatVersion)")
        }
        let effective = top.date("effective")
        let revision = top.string("revision", required: false)
        let notice = top.string("notice", required: false, maxLength: 2_000)
        let aging = readAging(&top)
        let fairShare = readFairShare(&top)
        let defaults = readDefaults(&top)
        let agreement = readAgreement(&top)
        let contests = readContests(&top)
        let sectors = readSectors(&top)
        // References resolve against every id the file declares, valid or not, so one bad sector does not
        // cascade into an "unknown sector" error in every category that names it.
        let declaredSectors = root["sectors"]?.table?.keys ?? []
        let categories = readCategories(&top, declaredSectors: declaredSectors)
        let rates = readGPURates(&top)
        let projects = readProjects(&top, declaredCategories: root["categories"]?.table?.keys ?? [])
        top.finish()
        guard let version, let effective, let aging, let fairShare, let defaults, let sectors, let categories,
            let agreement, let contests, let rates, let projects
        else {
            return nil
        }
        var policy = Policy(
            version: Int(version), effective: effective, revision: revision, notice: notice,
            sectors: sectors, categories: categories, aging: aging, fairShare: fairShare, defaults: defaults,
            agreement: agreement.reference, contests: contests)
        policy.gpuRates = rates
        policy.projects = projects
        return policy
    }
}
