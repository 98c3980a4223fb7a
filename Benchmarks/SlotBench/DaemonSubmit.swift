import Foundation
import ArgumentParser
import SlotClient
import SlotProtocol

/// Durable Submit throughput and latency against a real release `slotd` (started here, stopped here by its pid).
///
/// Every request stays pending (a holder slot takes the only CPU), so the figure is the daemon's: frame decode,
/// validation, group commit to SQLite with the configured durability, the scheduler pass, and the reply. Each
/// client keeps `window` calls in flight on its connection (pipelining; window 1 is strict request-reply).
enum DaemonSubmitBenchmark {
    struct Result {
        var clients: Int
        var window: Int
        var submits: Int
        var seconds: Double
        var p50: Double
        var p99: Double
        /// CPU seconds the daemon and the client threads spent in the timed part (user + system).
        var daemonCPU: Double
        var clientCPU: Double
        var perSecond: Double { Double(submits) / seconds }
        /// CPU microseconds per submit: the daemon's, and the load generator's on the same cores.
        var daemonMicros: Double { daemonCPU / Double(submits) * 1e6 }
        var clientMicros: Double { clientCPU / Double(submits) * 1e6 }
    }

    /// A process's user + system CPU seconds, all threads, from `/proc/PID/stat` (clock ticks).
    static func cpuSeconds(of pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        // Fields after the ")" of the command name start at field 3 (state); utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// This process's user + system CPU seconds, all threads.
    static func ownCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// How the bench's clients encode calls and read replies.
    enum LoadGenerator: String, ExpressibleByArgument, CaseIterable {
        /// The Submit frame is encoded once; a reply counts when it has a Submit reply's shape
        /// (`{"parameters":{"request":`, as the daemon's sorted keys put it). Anything else fails the run.
        case raw
        /// Every call is encoded and every reply decoded in full by `SlotClient`, as `slotctl` does.
        case slotclient
    }

    /// - Parameter rate: submits per second over all clients (each client sends on its own fixed schedule, window 1);
    ///   nil sends as fast as replies come back.
    static func run(
        clients: Int, window: Int, perClient: Int, durability: String, rate: Double? = nil,
        generator: LoadGenerator
    ) throws
        -> Result
    {
        let directory = "/tmp/slotbench-daemon-\(getpid())-\(clients)-\(window)"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try
            "durability = \"\(durability)\"\n[limits]\nqueue_capacity = 2000000\nqueue_class_capacity = 262144\nmax_pending_per_user = 10000000\n"
            .write(toFile: directory + "/slotd.toml", atomically: true, encoding: .utf8)
        let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let policy = FileManager.default.currentDirectoryPath + "/Policies/default.toml"
        let daemon = Process()
        daemon.executableURL = binaries.appendingPathComponent("slotd")
        daemon.arguments = [
            "--dev", "--config", directory + "/slotd.toml", "--state-directory", directory,
            "--policy", policy, "--inventory", "1x0:1:4", "--log-level", "error",
        ]
        daemon.standardOutput = FileHandle.nullDevice
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        defer {
            kill(daemon.processIdentifier, SIGTERM)
            daemon.waitUntilExit()
        }
        let socket = directory + "/io.slotd"
        var ready: VarlinkConnection?
        for _ in 0..<400 where ready == nil {
            ready = try? VarlinkConnection(path: socket)
            if ready == nil { usleep(25_000) }
        }
        guard let control = ready else { throw BenchError.daemonDidNotStart }
        // The benchmark's user accepts the default policy's user agreement, as any applicant must before submitting.
        let agreement = try control.call("io.slotd.Accounts.Agreement", Empty(), as: AgreementReply.self)
        if let version = agreement.version, let hash = agreement.hash, !agreement.accepted {
            _ = try control.call(
                "io.slotd.Accounts.AcceptAgreement",
                AcceptAgreementParameters(version: version, hash: hash), as: AgreementReply.self)
        }
        let holder = SubmitParameters(
            sector: "healthcare", gpus: 0, cpus: 1, memoryMiB: 1_024, durationSeconds: 3_600,
            purpose: "holder", command: ["sleep", "3600"], workingDirectory: "/tmp",
            environment: nil)
        let held = try control.call("io.slotd.Requests.Submit", holder, as: RequestReply.self)
        // Slots outlive a stopped daemon by design: end the holder first, so the run leaves nothing behind.
        defer {
            _ = try? control.call(
                "io.slotd.Requests.Cancel", IDParameters(id: held.request.id),
                as: RequestReply.self)
        }

        let parameters = SubmitParameters(
            sector: "healthcare", gpus: 0, cpus: 1, memoryMiB: 1_024,
            durationSeconds: 60, purpose: "bench", command: ["true"],
            workingDirectory: "/tmp", environment: nil)
        let frame = try [UInt8](Varlink.frame(VarlinkCall(method: "io.slotd.Requests.Submit", parameters: parameters)))
        let latencies = LatencyLog()
        let failures = LatencyLog()
        let daemonCPUBefore = cpuSeconds(of: daemon.processIdentifier)
        let clientCPUBefore = ownCPUSeconds()
        let start = ContinuousClock.now
        let threads = (0..<clients).map { client in
            Thread {
                guard let connection = try? VarlinkConnection(path: socket) else { failures.add(0); return }
                func send() throws {
                    switch generator {
                    case .raw: try connection.sendRaw(frame)
                    case .slotclient: try connection.send("io.slotd.Requests.Submit", parameters)
                    }
                }
                func receive() throws {
                    switch generator {
                    case .raw:
                        guard let reply = try connection.readFrame() else { throw ClientError.connectionClosed }
                        guard reply.starts(with: Self.successPrefix) else {
                            throw ClientError.protocolError(String(decoding: reply, as: UTF8.self))
                        }
                    case .slotclient: _ = try connection.readReply(RequestReply.self)
                    }
                }
                var sent: [ContinuousClock.Instant] = []
                var next = 0
                do {
                    if let rate {
                        // Paced: call i of this client goes out at start + (i × clients + client) / rate.
                        for i in 0..<perClient {
                            let due = start + .nanoseconds(Int64(Double(i * clients + client) / rate * 1e9))
                            let wait = due - ContinuousClock.now
                            if wait > .zero { Thread.sleep(forTimeInterval: wait.seconds) }
                            let sentAt = ContinuousClock.now
                            try send()
                            try receive()
                            latencies.add((ContinuousClock.now - sentAt).seconds)
                        }
                        return
                    }
                    while next < min(window, perClient) {
                        try send()
                        sent.append(.now)
                        next += 1
                    }
                    for received in 0..<perClient {
                        try receive()
                        latencies.add((ContinuousClock.now - sent[received]).seconds)
                        if next < perClient {
                            try send()
                            sent.append(.now)
                            next += 1
                        }
                    }
                } catch {
                    failures.add(0)
                }
            }
        }
        threads.forEach { $0.start() }
        while !threads.allSatisfy(\.isFinished) { usleep(1_000) }
        let seconds = (ContinuousClock.now - start).seconds
        let daemonCPU = cpuSeconds(of: daemon.processIdentifier) - daemonCPUBefore
        let clientCPU = ownCPUSeconds() - clientCPUBefore
        guard failures.count == 0 else { throw BenchError.submitsFailed(failures.count) }
        let sorted = latencies.all.sorted()
        guard !sorted.isEmpty else { throw BenchError.submitsFailed(0) }
        return Result(
            clients: clients, window: window, submits: sorted.count, seconds: seconds,
            p50: sorted[sorted.count / 2], p99: sorted[min(sorted.count - 1, sorted.count * 99 / 100)],
            daemonCPU: daemonCPU, clientCPU: clientCPU)
    }
}

extension DaemonSubmitBenchmark {
    static let successPrefix = Array(#"{"parameters":{"request":"#.utf8)
}

enum BenchError: Error {
    case daemonDidNotStart
    case submitsFailed(Int)
    case slotDidNotStart(UInt64, after: String, ended: String?)
    /// `--state-directory` already holds a state; the bench builds a fresh one and will not overwrite it.
    case stateDirectoryInUse(String)
    /// The Slurm suite's cluster or tools failed.
    case slurm(String)
}

final class LatencyLog: @unchecked Sendable {
    // Safe: every access holds `lock`.
    private let lock = NSLock()
    private var values: [Double] = []
    func add(_ value: Double) { lock.withLock { values.append(value) } }
    var all: [Double] { lock.withLock { values } }
    var count: Int { lock.withLock { values.count } }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
