import Foundation
import SlotClient
import SlotProtocol
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// Bad input never crashes the daemon or loses data; a crash loses no acknowledged request.
final class RobustnessTests: XCTestCase {
    /// Invariant: 10,000 hostile frames (garbage, invalid JSON, truncated, oversized, unknown methods, wrong
    /// parameter types, oversized and NUL-carrying fields, Watches left by a vanished peer, abrupt disconnects)
    /// each get a named error or a closed connection; 20 slow senders that began a frame and never finish it
    /// are disconnected; a well-behaved client is answered throughout, and the daemon's open descriptors return
    /// to where they were (a leaked Watch would hold its connection open).
    func testHostileInputStorm() throws {
        let daemon = try DaemonHarness()
        try daemon.configure("[limits]\nframe_timeout_seconds = 1\n")
        try daemon.start()
        let baseline = daemon.openDescriptors
        let slowSenders = try (0..<20).map { _ in try daemon.connect() }
        for slow in slowSenders { try slow.sendRaw(Array("{\"method\":\"io.slotd.System.St".utf8)) }
        let watchAndLeave = Array(#"{"method":"io.slotd.Requests.Watch","parameters":{},"more":true}"#.utf8) + [0]
        let submit =
            #"{"method":"io.slotd.Requests.Submit","parameters":{"gpus":0,"purpose":"","workingDirectory":"/tmp","#
        let kinds: [[UInt8]] = [
            Array("not json at all".utf8) + [0],
            Array("{\"method\": ".utf8) + [0],
            Array("[1,2,3]".utf8) + [0],
            Array("{\"method\":\"io.slotd.Nope.Nothing\"}".utf8) + [0],
            Array("{\"method\":\"io.slotd.Requests.Get\",\"parameters\":{\"id\":\"seven\"}}".utf8) + [0],
            Array("{\"method\":\"io.slotd.Requests.Submit\",\"parameters\":{\"gpus\":-1}}".utf8) + [0],
            Array("{\"method\":\"io.slotd.Requests.Get\",\"parameters\":{\"id\":1}".utf8),  // truncated, then gone
            [0xff, 0xfe, 0x00],
            watchAndLeave,
            Array(
                (submit + #""command":["true"],"environment":{"BIG":"\#(String(repeating: "x", count: 40_000))"}}}"#)
                    .utf8) + [0],
            Array((submit + #""command":["true","a\u0000b"]}}"#).utf8) + [0],
        ]
        let total = 10_000
        let good = Flag()
        let goodAnswers = Counter()
        let socket = daemon.socket
        let goodThread = Thread {
            while !good.isSet {
                if let c = try? VarlinkConnection(path: socket),
                    (try? c.call("io.slotd.System.Status", Empty(), as: StatusReply.self)) != nil
                {
                    goodAnswers.increment()
                }
                usleep(2_000)
            }
        }
        goodThread.start()
        var namedErrors = 0
        var connection: VarlinkConnection?
        let oversized = [UInt8](repeating: 0x41, count: (1 << 20) + 10)  // over the 1 MiB cap, no terminator
        for index in 0..<total {
            let kind = index % 500 == 0 ? oversized : kinds[index % kinds.count]
            if connection == nil { connection = try daemon.connect() }
            guard let c = connection else { continue }
            try? c.sendRaw(kind)
            let last = kind.last == 0 && kind.count < 1 << 20 && kind != watchAndLeave
            if !last {
                connection = nil  // disconnect mid-frame (or after an oversized one)
                continue
            }
            if let reply = try? c.readFrame(), let text = String(bytes: reply, encoding: .utf8) {
                if text.contains("\"error\":\"") { namedErrors += 1 }
                // Frames that are not Varlink calls close the connection after the error.
                if text.contains("InvalidFrame") { connection = nil }
            } else {
                connection = nil
            }
        }
        connection = nil
        good.set()
        while !goodThread.isFinished { usleep(1_000) }
        XCTAssertGreaterThan(namedErrors, total / 2, "most hostile frames must get a named error")
        XCTAssertGreaterThan(goodAnswers.value, 10, "the well-behaved client must keep being answered")
        XCTAssertTrue(daemon.process?.isRunning ?? false, "the daemon died:\n\(daemon.stderr)")
        var after = daemon.openDescriptors
        for _ in 0..<100 where after > baseline {
            usleep(50_000)
            after = daemon.openDescriptors
        }
        XCTAssertLessThanOrEqual(after, baseline, "descriptors leaked: \(baseline) before, \(after) after")
        var stillOpen = 0
        for slow in slowSenders {
            slow.timeout = 2
            do {
                if try slow.readFrame() != nil { stillOpen += 1 }
            } catch ClientError.timedOut {
                stillOpen += 1
            } catch {}  // reset by the daemon: closed
        }
        XCTAssertEqual(stillOpen, 0, "slow senders still connected long after their 1 s frame deadline")
    }

    /// Invariant: kill -9 in the middle of a storm of 10,000 submits from 4 clients loses no acknowledged request,
    /// duplicates none, and the queue keeps their order; the running slot is re-adopted, not started twice.
    func testKill9MidStormKeepsEveryAcknowledgedRequestInOrder() throws {
        let daemon = try DaemonHarness(inventory: "1x0:1:4")
        try daemon.configure("[limits]\nmax_pending_per_user = 100000\n")  // one user sends all 10,000
        try daemon.start()
        let holder = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "healthcare", "--cpus", "1", "--memory",
                "1G", "--duration", "10m", "--", "sleep", "600",
            ])
        XCTAssertEqual(holder.request.state, .running)
        let acknowledged = Acks()
        let clients = 4, perClient = 2_500
        let socket = daemon.socket
        let threads = (0..<clients).map { _ in
            Thread {
                guard let c = try? VarlinkConnection(path: socket) else { return }
                for _ in 0..<perClient {
                    let parameters = SubmitParameters(
                        sector: "healthcare", gpus: 0, cpus: 1, memoryMiB: 1_024, durationSeconds: 60, purpose: "storm",
                        command: ["true"], workingDirectory: "/tmp", environment: nil)
                    guard let reply = try? c.call("io.slotd.Requests.Submit", parameters, as: RequestReply.self)
                    else { return }
                    acknowledged.add(reply.request.id)
                }
            }
        }
        threads.forEach { $0.start() }
        // Clients that all stopped early (refused) end the wait too; the assertion below then names the shortfall.
        while acknowledged.count < 3_000, !threads.allSatisfy(\.isFinished) { usleep(1_000) }
        daemon.crash()
        while !threads.allSatisfy(\.isFinished) { usleep(1_000) }
        let acked = acknowledged.all
        XCTAssertGreaterThanOrEqual(acked.count, 3_000)

        try daemon.start()
        let queue = try daemon.json(QueueReply.self, ["queue", "--limit", "20000"])
        let pending = queue.entries.filter { $0.state == .pending }.compactMap(\.id)
        XCTAssertEqual(Set(pending).count, pending.count, "a request is queued twice")
        XCTAssertTrue(
            Set(acked).isSubset(of: Set(pending)),
            "\(Set(acked).subtracting(pending).count) acknowledged request(s) lost")
        XCTAssertEqual(pending, pending.sorted(), "the queue order changed across the restart")
        let running = try daemon.json(RequestReply.self, ["show", String(holder.request.id)])
        XCTAssertEqual(running.request.state, .running, "the running slot must be re-adopted")
        XCTAssertEqual(try daemon.slotctl(["cancel", String(holder.request.id)]).status, 0)
    }
}

final class Flag: @unchecked Sendable {
    // Safe: every access holds `lock`.
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

final class Counter: @unchecked Sendable {
    // Safe: every access holds `lock`.
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}

final class Acks: @unchecked Sendable {
    // Safe: every access holds `lock`.
    private let lock = NSLock()
    private var ids: [Int64] = []
    var count: Int { lock.withLock { ids.count } }
    var all: [Int64] { lock.withLock { ids } }
    func add(_ id: Int64) { lock.withLock { ids.append(id) } }
}
