import Foundation

/// What the process executor writes for each running slot, so a restarted daemon can find it again.
///
/// The kernel start time (field 22 of `/proc/<pid>/stat`, in clock ticks since boot) tells the same process from a
/// later one that reused its pid.
struct SlotRecord: Codable, Sendable, Hashable {
    var id: UInt64
    var pid: Int32
    var startTime: UInt64
    /// The hard end, milliseconds since the Unix epoch (a wall clock survives restarts; a monotonic one does not).
    var deadlineEpochMillis: Int64
    var logFile: String

    static func path(directory: String, id: UInt64) -> String { "\(directory)/slot-\(id).json" }

    func write(to directory: String) throws {
        let data = try JSONEncoder().encode(self)
        try data.write(to: URL(fileURLWithPath: Self.path(directory: directory, id: id)), options: .atomic)
    }

    static func readAll(in directory: String) -> [SlotRecord] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix("slot-") && $0.hasSuffix(".json") }.compactMap { name in
            guard let data = FileManager.default.contents(atPath: directory + "/" + name) else { return nil }
            return try? JSONDecoder().decode(SlotRecord.self, from: data)
        }
    }

    static func remove(directory: String, id: UInt64) {
        try? FileManager.default.removeItem(atPath: path(directory: directory, id: id))
    }
}

enum ProcStat {
    /// The kernel start time of `pid`, or nil when no such process is alive (gone, or a zombie).
    static func startTime(of pid: Int32) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name: 3 state, 4 ppid, ... 22 starttime.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, fields[0] != "Z", fields[0] != "X" else { return nil }
        return UInt64(fields[19])
    }
}
