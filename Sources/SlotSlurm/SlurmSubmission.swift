import Foundation
import SlotSandbox

/// How a granted slot becomes a Slurm batch job: pinned to the nodes slotd chose, in slotd's partition, as the
/// applicant, tied to its request by name and comment. Pure, so the arguments are tested without Slurm.
public enum SlurmSubmission {
    /// The comment slotd gives the job of slot `id` (how it finds its own jobs again): the slot and the slotd
    /// installation (`instance`, kept in its state directory), so that a new installation's request 1 is never taken
    /// for an old one's job that Slurm still lists.
    public static func comment(_ id: UInt64, instance: String) -> String {
        instance.isEmpty ? "slotd:\(id)" : "slotd:\(id):\(instance)"
    }

    /// `sbatch` arguments for `launch` (its `ranks` name the nodes). The time limit is Slurm's backstop while slotd
    /// is down: whole minutes, rounded up (slotd itself stops the slot at its exact end).
    public static func arguments(for launch: SlotLaunch, partition: String, instance: String = "") -> [String] {
        let nodes = launch.ranks.isEmpty ? [] : launch.ranks.map(\.node)
        var arguments = [
            "--parsable", "--partition=\(partition)", "--job-name=slotd-\(launch.id)",
            "--comment=\(comment(launch.id, instance: instance))", "--nodes=\(max(1, nodes.count))",
            "--ntasks-per-node=1",
            "--time=\(max(1, (launch.timeLimit + 59_999) / 60_000))",
            "--chdir=\(launch.workingDirectory)", "--output=\(launch.logFile)", "--open-mode=append",
            "--export=NONE", "--no-requeue",
        ]
        if !nodes.isEmpty { arguments.append("--nodelist=\(nodes.joined(separator: ","))") }
        if let cpus = launch.cpus { arguments.append("--cpus-per-task=\(cpus)") }
        if let memory = launch.memoryMiB { arguments.append("--mem=\(memory)M") }
        let gpus = launch.ranks.first?.gpuIndices.count ?? launch.gpuIndices.count
        if gpus > 0 { arguments.append("--gres=gpu:\(gpus)") }
        if let user = launch.user { arguments += ["--uid=\(user.uid)", "--gid=\(user.gid)"] }
        return arguments
    }

    /// The batch script: the request's environment (nothing of slotd's), then its command, once per node with
    /// `srun` for a gang. Every word is single-quoted, so nothing in it is interpreted by the shell. A slot without
    /// a network (Art. 17.4) runs in a network namespace of its own, with only a loopback that is down, made by
    /// util-linux's `unshare` as the applicant (an unprivileged user namespace maps the applicant to itself): where
    /// a node cannot make one, the slot fails with unshare's error in its log, never runs with the network.
    public static func script(for launch: SlotLaunch) -> String {
        // The first line after the shebang is a command: sbatch reads no `#SBATCH` directive after it, so nothing in
        // the request's environment or command can add one.
        var lines = ["#!/bin/sh", ": slotd batch script"]
        var environment = launch.environment
        if environment["PATH"] == nil { environment["PATH"] = SlotLaunch.defaultPath }
        environment["SLOTD_SLOT_ID"] = String(launch.id)
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where Self.isName(name) {
            lines.append("export \(name)=\(quote(value))")
        }
        let words = (launch.network ? [] : Self.withoutNetwork) + launch.command
        let command = words.map(quote).joined(separator: " ")
        lines.append(
            launch.ranks.count > 1 ? "exec srun --ntasks-per-node=1 --export=ALL \(command)" : "exec \(command)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// What runs the command without a network on a Slurm node.
    static let withoutNetwork = ["unshare", "--net", "--map-current-user", "--"]

    /// `it's` → `'it'\''s'`.
    static func quote(_ word: String) -> String { "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    static func isName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first,
            first == "_" || ("A"..."Z").contains(first) || ("a"..."z").contains(first)
        else { return false }
        return name.unicodeScalars.allSatisfy {
            $0 == "_" || ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0)
        }
    }

    /// What Slurm's end state means for slotd's record.
    public static func outcome(of job: SlurmJob) -> SlotOutcome {
        switch job.state {
        case "COMPLETED": .exited(code: 0)
        case "FAILED":
            .exited(code: Int32(truncatingIfNeeded: job.exitCode > 255 ? job.exitCode >> 8 : max(1, job.exitCode)))
        case "CANCELLED": .stopped
        case "TIMEOUT", "DEADLINE": .timedOut
        case "OUT_OF_MEMORY": .outOfMemory
        case "NODE_FAIL", "BOOT_FAIL": .nodeFailed
        default: .killed(signal: 9)  // PREEMPTED, DEADLINE...: killed by Slurm
        }
    }
}
