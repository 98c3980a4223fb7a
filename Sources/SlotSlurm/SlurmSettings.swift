import Foundation

/// The Slurm settings slotd relies on, checked at start against what the controller reports (`scontrol show
/// config`, `scontrol show partition`), so a cluster that would lose slots' outcomes or let users bypass the
/// queue is named at start, not discovered later.
public enum SlurmSettings {
    /// The least `MinJobAge` slotd accepts: squeue forgets a finished job that long after it ended, and slotd
    /// reads each job's end state (and finds its jobs again after a restart) from squeue.
    public static let minimumJobAge = 300

    /// What is wrong with the cluster's settings for slotd, each naming the setting; empty when nothing is.
    /// `config` is `scontrol show config`'s output, `partitionInfo` `scontrol show partition NAME`'s.
    public static func problems(config: String, partition: String, partitionInfo: String) -> [String] {
        let settings = Self.settings(config)
        var problems: [String] = []
        let age = settings["MinJobAge"].flatMap { Int($0.split(separator: " ").first ?? "") }
        if let age, age < minimumJobAge {
            problems.append(
                "MinJobAge is \(age) s; slotd needs MinJobAge=\(minimumJobAge) or more in slurm.conf (a finished job's "
                    + "state must stay in squeue long enough for slotd to record its outcome, across a restart)")
        }
        let plugins = (settings["JobSubmitPlugins"] ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        if !plugins.contains(where: { $0 == "lua" || $0 == "job_submit/lua" }) {
            problems.append(
                "JobSubmitPlugins does not include lua; slotd needs JobSubmitPlugins=lua with "
                    + "Deploy/slurm/job_submit.lua, or any user could submit to partition \(partition) and bypass "
                    + "slotd's queue")
        }
        let fields = Self.fields(partitionInfo)
        if fields["PartitionName"] == nil {
            problems.append("Slurm has no partition '\(partition)' ([slurm] partition in slotd.toml)")
        }
        if fields["RootOnly"]?.uppercased() == "YES" {
            problems.append(
                "partition \(partition) has RootOnly=YES; slotd needs RootOnly=NO with the submit gate (Slurm leaves a "
                    + "RootOnly partition's --uid jobs pending forever, Reason=PartitionConfig)")
        }
        if let state = fields["State"], state.uppercased() != "UP" {
            problems.append("partition \(partition) is State=\(state); slotd's jobs would not start until it is UP")
        }
        return problems
    }

    /// `Name = value` lines of `scontrol show config`.
    static func settings(_ text: String) -> [String: String] {
        var settings: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, !name.contains(" ") else { continue }
            settings[name] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
        return settings
    }

    /// `Name=value` words of `scontrol show partition`.
    static func fields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            guard let equals = word.firstIndex(of: "=") else { continue }
            fields[String(word[..<equals])] = String(word[word.index(after: equals)...])
        }
        return fields
    }

    /// Asks the controller and checks; nil when it cannot be asked now (the caller says so and goes on).
    public static func check(_ tools: SlurmTools, partition: String) -> [String]? {
        guard let config = try? tools.run("scontrol", ["show", "config"]) else { return nil }
        let partitionInfo: String
        do {
            partitionInfo = String(
                decoding: try tools.run("scontrol", ["show", "partition", partition]), as: UTF8.self)
        } catch .failed { partitionInfo = "" } catch { return nil }
        return problems(
            config: String(decoding: config, as: UTF8.self), partition: partition, partitionInfo: partitionInfo)
    }
}
