import Foundation
import SlotClient
import SlotPolicy
import SlotProtocol
import SlotStore

/// Restart with many pending requests: time from starting a release `slotd` until it sends `READY=1`, its RSS then,
/// and `slotctl list --all` against that state.
///
/// The state is built directly in the database (accounts in every category, pending requests spread round-robin
/// over every category × allowed sector, all of fair-share band 0), the way a daemon that was stopped with that
/// queue leaves it. The daemon then does everything a real restart does: open and migrate the store, load the
/// policy, read every pending request back, re-queue them in submission order, start the one that fits (the node
/// has one CPU; every request is a `sleep`, cancelled before the daemon is stopped), and listen.
enum DaemonRestartBenchmark {
    struct Result {
        var pending: Int
        var buildSeconds: Double
        var readySeconds: Double
        var rssMiB: Double
        var peakRSSMiB: Double
        var classCapacity: Int
        /// The full listing (`--limit listLimit`), five runs: median, fastest, slowest; slotd's CPU for it (median).
        var listSeconds: Double
        var listRange: (Double, Double)
        var listDaemonCPUSeconds: Double
        var listJSONSeconds: Double
        var listed: Int
        /// `slotctl list --all` with its default limit (the newest 100), median of 5 runs.
        var listDefaultSeconds: Double
    }

    /// - Parameter keep: a directory to build the state in and leave behind; by default a temporary one, removed.
    static func run(pending: Int, listLimit: Int, keep: String? = nil) throws -> Result {
        let directory = keep.map { URL(fileURLWithPath: $0).path } ?? "/tmp/slotbench-restart-\(getpid())"
        if let keep, FileManager.default.fileExists(atPath: keep + "/slotd.sqlite") {
            throw BenchError.stateDirectoryInUse(keep)
        }
        if keep == nil { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: directory) } }
        let policyFile = FileManager.default.currentDirectoryPath + "/Policies/default.toml"
        let policy = try PolicyLoader.load(contentsOf: policyFile).policy
        let user = String(cString: getpwuid(getuid()).pointee.pw_name)

        // Accounts: ten per category; classes: every category × allowed sector.
        var combos: [(account: String, sector: String)] = []
        let store = try SlotStore(path: directory + "/slotd.sqlite", durability: .normal)
        for category in policy.categories {
            let sectors = category.sectors.contains("*") ? policy.sectors.map(\.id) : category.sectors
            for n in 0..<10 {
                let name = "bench-\(category.id)-\(n)"
                try store.save(
                    StoredAccount(name: name, category: category.id, createdAt: 0),
                    audit: AuditEvent(
                        actor: user, actorUID: Int64(getuid()), action: "account.add", target: name,
                        reason: "slotbench restart state", detail: ""), at: 0)
                for sector in sectors { combos.append((name, sector)) }
            }
        }
        let classes = Set(combos.map { "\($0.account.split(separator: "-").dropLast().joined())/\($0.sector)" }).count
        var classCapacity = 64
        while classCapacity < pending / max(1, classes) * 5 / 4 + 64 { classCapacity <<= 1 }

        let buildStart = ContinuousClock.now
        let base: Int64 = 1_700_000_000_000
        var id: Int64 = 1
        var lastReport = ContinuousClock.now
        while id <= Int64(pending) {
            let end = min(Int64(pending), id + 9_999)
            try store.insert(
                (id...end).map { i in
                    let combo = combos[Int(i) % combos.count]
                    return StoredRequest(
                        id: i, uid: Int64(getuid()), gid: Int64(getgid()), account: combo.account, sector: combo.sector,
                        gpus: 0, cpus: 1, memoryMiB: 1_024, durationMs: 3_600_000, purpose: "restart bench \(i)",
                        command: ["sleep", "3600"], workingDirectory: "/tmp",
                        environment: ["RUN": "\(i)"], submittedAt: base + i)
                })
            id = end + 1
            if ContinuousClock.now - lastReport > .seconds(5) {
                FileHandle.standardError.write(Data("  built \(id - 1) of \(pending) pending requests\n".utf8))
                lastReport = .now
            }
        }
        let buildSeconds = (ContinuousClock.now - buildStart).seconds

        try """
        [limits]
        queue_capacity = \(pending + 10_000)
        queue_class_capacity = \(classCapacity)

        """.write(toFile: directory + "/slotd.toml", atomically: true, encoding: .utf8)
        let notify = try NotifyListener(path: directory + "/notify.sock")
        let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let daemon = Process()
        daemon.executableURL = binaries.appendingPathComponent("slotd")
        daemon.arguments = [
            "--dev", "--config", directory + "/slotd.toml", "--state-directory", directory,
            "--policy", policyFile, "--inventory", "1x0:1:4", "--log-level", "error",
        ]
        daemon.environment = ProcessInfo.processInfo.environment.merging(["NOTIFY_SOCKET": notify.path]) { $1 }
        daemon.standardOutput = FileHandle.nullDevice
        daemon.standardError = FileHandle.nullDevice
        let start = ContinuousClock.now
        try daemon.run()
        defer {
            kill(daemon.processIdentifier, SIGTERM)
            daemon.waitUntilExit()
            // The node has one CPU, so one request started (a `sleep`). Slots outlive slotd by design, and
            // cancelling it would start the next; so once slotd has stopped, end the slot whose record it left.
            endRecordedSlots(in: directory)
        }
        guard notify.wait(for: "READY=1", timeout: 120) else { throw BenchError.daemonDidNotStart }
        let readySeconds = (ContinuousClock.now - start).seconds
        let (rss, peak) = memory(of: daemon.processIdentifier)
        func timedList(_ extra: [String], limit: Int? = listLimit) throws -> (Double, Int) {
            let run = try TimedCommand.run(
                binaries.appendingPathComponent("slotctl").path,
                ["list", "--all"] + (limit.map { ["--limit", "\($0)"] } ?? []) + extra,
                environment: ProcessInfo.processInfo.environment.merging(["SLOTD_SOCKET": directory + "/io.slotd"]) {
                    $1
                })
            return (run.seconds, run.output.split(separator: UInt8(ascii: "\n")).count)
        }
        var runs: [(seconds: Double, lines: Int, daemonCPU: Double)] = []
        for _ in 0..<5 {
            let cpu = DaemonSubmitBenchmark.cpuSeconds(of: daemon.processIdentifier)
            let (seconds, lines) = try timedList([])
            runs.append((seconds, lines, DaemonSubmitBenchmark.cpuSeconds(of: daemon.processIdentifier) - cpu))
        }
        let times = runs.map(\.seconds).sorted()
        let (jsonSeconds, _) = try timedList(["--json"])
        let defaults = try (0..<5).map { _ in try timedList([], limit: nil).0 }.sorted()
        return Result(
            pending: pending, buildSeconds: buildSeconds, readySeconds: readySeconds, rssMiB: rss,
            peakRSSMiB: peak, classCapacity: classCapacity, listSeconds: times[2],
            listRange: (times[0], times[4]), listDaemonCPUSeconds: runs.map(\.daemonCPU).sorted()[2],
            listJSONSeconds: jsonSeconds, listed: max(0, (runs.first?.lines ?? 0) - 1),
            listDefaultSeconds: defaults[2])
    }

    /// Sends SIGKILL to the process group of every slot record (`slot-ID.json`, with its `pid`) under `directory`.
    static func endRecordedSlots(in directory: String) {
        let files = FileManager.default.enumerator(atPath: directory)?.compactMap { $0 as? String } ?? []
        for file in files where (file as NSString).lastPathComponent.hasPrefix("slot-") && file.hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: directory + "/" + file),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let pid = object["pid"] as? Int, pid > 1
            else { continue }
            kill(-Int32(pid), SIGKILL)
        }
    }

    /// VmRSS and VmHWM of `pid`, MiB.
    static func memory(of pid: Int32) -> (Double, Double) {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Double {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            return Double(line.split(separator: " ").dropFirst().first.map(String.init) ?? "0").map { $0 / 1_024 } ?? 0
        }
        return (field("VmRSS"), field("VmHWM"))
    }
}

/// An `AF_UNIX` datagram socket standing in for systemd's notify socket.
final class NotifyListener {
    let path: String
    let fd: Int32

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard fd >= 0, bound == 0 else { throw BenchError.daemonDidNotStart }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// Waits for a datagram with the line `line`.
    func wait(for line: String, timeout: Double) -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1_000))
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while ContinuousClock.now < deadline {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0,
                String(decoding: buffer[..<count], as: UTF8.self).split(separator: "\n")
                    .contains(Substring(line))
            {
                return true
            }
        }
        return false
    }
}
