import Foundation
import SlotCore

/// Reads workload traces into ``TraceJob``s, sorted by submit time (Philly rows are not sorted in the file).
public enum TraceReader {
    public static func read(path: String, format: TraceFormat) throws(TraceError) -> [TraceJob] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        let jobs =
            switch format {
            case .swf: try swf(text, path: path)
            case .philly: try philly(text, path: path)
            case .sacct: try sacct(text, path: path)
            case .jobs: try jobsCSV(text, path: path)
            }
        guard !jobs.isEmpty else { throw .empty(path: path) }
        return jobs.enumerated().sorted { ($0.element.submittedAt, $0.offset) < ($1.element.submittedAt, $1.offset) }
            .map(\.element)
    }

    /// SWF: fields 2 submit (s), 4 run time (s), 5 allocated procs, 8 requested procs, 9 requested time (s),
    /// 12 user. `-1` means unknown; jobs with an unknown run time or processor count are skipped.
    static func swf(_ text: String, path: String) throws(TraceError) -> [TraceJob] {
        var start: Int64 = 0
        var jobs: [TraceJob] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix(";") {
                if line.hasPrefix("; UnixStartTime:"),
                    let value = Int64(line.dropFirst(16).trimmingCharacters(in: .whitespaces))
                {
                    start = value * 1_000
                }
                continue
            }
            if line.isEmpty { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { Double($0) }
            guard fields.count >= 12, fields.allSatisfy({ $0 != nil }) else {
                throw .malformed(path: path, line: index + 1, expected: "18 numeric fields", found: line)
            }
            let number = fields.map { Int64($0!.rounded()) }
            let submit = number[1], runtime = number[3], allocated = number[4], requested = number[7]
            let limit = number[8], user = number[11]
            let procs = requested > 0 ? requested : allocated
            guard runtime >= 0, procs > 0, submit >= 0 else { continue }
            jobs.append(
                TraceJob(
                    submittedAt: start + submit * 1_000, runtime: max(1, runtime) * 1_000,
                    requestedLimit: limit > 0 ? limit * 1_000 : nil, gpus: 0, cpus: Int(procs),
                    owner: "user-\(user)", line: index + 1))
        }
        return jobs
    }

    /// Accounts per Philly virtual cluster.
    public static let usersPerTenant: UInt64 = 8

    /// Philly CSV: `timestamp,duration,num_gpus,gpu_time,cluster`, timestamps `YYYY-MM-DD HH:MM:SS` (UTC).
    static func philly(_ text: String, path: String) throws(TraceError) -> [TraceJob] {
        var jobs: [TraceJob] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || (index == 0 && line.hasPrefix("timestamp")) { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == 5, let submit = epochMillis(fields[0]), let duration = Double(fields[1]),
                let gpus = Int(fields[2]), gpus > 0, duration >= 0
            else {
                throw .malformed(
                    path: path, line: index + 1,
                    expected: "timestamp,duration,num_gpus,gpu_time,cluster", found: line)
            }
            // A virtual cluster is a team, not one applicant: its jobs are spread over `usersPerTenant` accounts by a
            // fixed hash of the line, so per-account limits apply per applicant as a policy intends.
            let user = (TraceMapping.fnv1a(String(fields[0]) + String(index)) >> 7) % usersPerTenant
            jobs.append(
                TraceJob(
                    submittedAt: submit, runtime: max(1_000, Int64(duration * 1_000)),
                    requestedLimit: nil, gpus: gpus, cpus: 4 * gpus,
                    owner: "tenant-\(fields[4])-u\(user)", line: index + 1))
        }
        return jobs
    }

    /// `YYYY-MM-DD HH:MM:SS` (UTC) to milliseconds since the epoch.
    static func epochMillis(_ text: Substring) -> Int64? {
        let parts = text.split(whereSeparator: { $0 == "-" || $0 == " " || $0 == ":" || $0 == "T" }).map { Int64($0) }
        guard parts.count == 6, parts.allSatisfy({ $0 != nil }) else { return nil }
        let (y, m, d) = (parts[0]!, parts[1]!, parts[2]!)
        guard (1...12).contains(m), (1...31).contains(d) else { return nil }
        // Days from civil (H. Hinnant).
        let year = m <= 2 ? y - 1 : y
        let era = (year >= 0 ? year : year - 399) / 400
        let yoe = year - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return ((days * 24 + parts[3]!) * 60 + parts[4]!) * 60_000 + parts[5]! * 1_000
    }
}
