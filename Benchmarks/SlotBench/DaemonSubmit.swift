import Foundation
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
        var perSecond: Double { Double(submits) / seconds }
    }

    /// - Parameter rate: submits per second over all clients (each client sends on its own fixed schedule, window 1);
    ///   nil sends as fast as replies come back.
    static func run(clients: Int, window: Int, perClient: Int, durability: String, rate: Double? = nil) throws
        -> Result
    {
        let directory = "/tmp/slotbench-daemon-\(getpid())-\(clients)-\(window)"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "durability = \"\(durability)\"\n[limits]\nqueue_capacity = 2000000\n"
            .write(toFile: directory + "/slotd.toml", atomically: true, encoding: .utf8)
        let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let policy = FileManager.default.currentDirectoryPath + "/Policies/default.toml"
        let daemon = Process()
        daemon.executableURL = binaries.appendingPathComponent("slotd")
        daemon.arguments = ["--dev", "--config", directory + "/slotd.toml", "--state-directory", directory,
                            "--policy", policy, "--inventory", "1x0:1:4", "--log-level", "error"]
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
            _ = try control.call("io.slotd.Accounts.AcceptAgreement",
                                 AcceptAgreementParameters(version: version, hash: hash), as: AgreementReply.self)
        }
        let holder = SubmitParameters(sector: "healthcare", gpus: 0, cpus: 1, memoryMiB: 1_024, durationSeconds: 3_600,
                                      purpose: "holder", command: ["sleep", "3600"], workingDirectory: "/tmp",
                                      environment: nil)
        let held = try control.call("io.slotd.Requests.Submit", holder, as: RequestReply.self)
        // Slots outlive a stopped daemon by design: end the holder first, so the run leaves nothing behind.
        defer { _ = try? control.call("io.slotd.Requests.Cancel", IDParameters(id: held.request.id),
                                      as: RequestReply.self) }

        let parameters = SubmitParameters(sector: "healthcare", gpus: 0, cpus: 1, memoryMiB: 1_024,
                                          durationSeconds: 60, purpose: "bench", command: ["true"],
                                          workingDirectory: "/tmp", environment: nil)
        let latencies = LatencyLog()
        let failures = LatencyLog()
        let start = ContinuousClock.now
        let threads = (0..<clients).map { client in
            Thread {
                guard let connection = try? VarlinkConnection(path: socket) else { failures.add(0); return }
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
                            try connection.send("io.slotd.Requests.Submit", parameters)
                            _ = try connection.readReply(RequestReply.self)
                            latencies.add((ContinuousClock.now - sentAt).seconds)
                        }
                        return
                    }
                    while next < min(window, perClient) {
                        try connection.send("io.slotd.Requests.Submit", parameters)
                        sent.append(.now)
                        next += 1
                    }
                    for received in 0..<perClient {
                        _ = try connection.readReply(RequestReply.self)
                        latencies.add((ContinuousClock.now - sent[received]).seconds)
                        if next < perClient {
                            try connection.send("io.slotd.Requests.Submit", parameters)
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
        guard failures.count == 0 else { throw BenchError.submitsFailed(failures.count) }
        let sorted = latencies.all.sorted()
        guard !sorted.isEmpty else { throw BenchError.submitsFailed(0) }
        return Result(clients: clients, window: window, submits: sorted.count, seconds: seconds,
                      p50: sorted[sorted.count / 2], p99: sorted[min(sorted.count - 1, sorted.count * 99 / 100)])
    }
}

enum BenchError: Error {
    case daemonDidNotStart
    case submitsFailed(Int)
    case slotDidNotStart(UInt64, after: String, ended: String?)
    /// `--state-directory` already holds a state; the bench builds a fresh one and will not overwrite it.
    case stateDirectoryInUse(String)
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
