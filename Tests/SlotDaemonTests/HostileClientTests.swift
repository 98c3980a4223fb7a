import Foundation
import SlotClient
import SlotProtocol
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 16, findings 3, 6 and 10: clients that hold, leak or trickle connections cannot lock others out, and
/// slotctl never waits silently on a daemon that does not answer.
final class HostileClientTests: XCTestCase {
    static let watchAll = Array(#"{"method":"io.slotd.Requests.Watch","parameters":{},"more":true}"#.utf8) + [0]

    /// Invariant (finding 3): a connection closed during a Watch, with or without news on it, releases its place;
    /// after more leaked Watches than `max_connections`, everyone is still served, and SIGTERM still ends slotd.
    /// Before: the writer kept waiting on the stream, so 16 such Watches locked out every later caller.
    func testClosedWatchesReleaseTheirConnections() throws {
        let daemon = try DaemonHarness()
        try daemon.configure("[limits]\nmax_connections = 16\n")
        try daemon.start()
        let submitted = try daemon.json(
            RequestReply.self,
            [
                "submit", "--sector", "healthcare", "--duration", "10m",
                "--", "sleep", "120",
            ])
        let watchOne =
            Array(
                #"{"method":"io.slotd.Requests.Watch","parameters":{"id":\#(submitted.request.id)},"more":true}"#.utf8)
            + [0]
        for round in 0..<48 {
            let connection = try daemon.connect()
            if round.isMultiple(of: 2) {
                try connection.sendRaw(watchOne)
                XCTAssertNotNil(try connection.readFrame(), "the Watch of one request answers with its state")
            } else {
                try connection.sendRaw(Self.watchAll)
                usleep(5_000)
            }
        }  // each connection is closed as it goes out of scope
        var answered = false
        for _ in 0..<50 where !answered {
            answered = (try? daemon.connect().call("io.slotd.System.Status", Empty(), as: StatusReply.self)) != nil
            if !answered { usleep(100_000) }
        }
        XCTAssertTrue(answered, "after 48 closed Watches, a new caller is refused or not answered")

        let started = Date()
        kill(daemon.pid, SIGTERM)
        while daemon.process?.isRunning == true, Date().timeIntervalSince(started) < 15 { usleep(50_000) }
        XCTAssertFalse(daemon.process?.isRunning ?? false, "slotd ignored SIGTERM for 15 s")
    }

    /// Invariant (finding 3): SIGTERM ends slotd promptly while clients sit in open Watches.
    func testShutdownEndsOpenWatches() throws {
        let daemon = try DaemonHarness()
        try daemon.configure("[limits]\nstop_grace_seconds = 1\n")
        try daemon.start()
        let watchers = try (0..<8).map { _ in try daemon.connect() }
        for watcher in watchers { try watcher.sendRaw(Self.watchAll) }
        usleep(200_000)
        let started = Date()
        kill(daemon.pid, SIGTERM)
        while daemon.process?.isRunning == true, Date().timeIntervalSince(started) < 15 { usleep(50_000) }
        XCTAssertFalse(daemon.process?.isRunning ?? false, "slotd ignored SIGTERM for 15 s with 8 open Watches")
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }

    /// Invariant (finding 6): a sender that trickles a frame byte by byte is closed `frame_timeout_seconds` after
    /// the frame began, although it is never idle. Before: 100 of 100 such connections were open after 24 s.
    func testSlowSenderIsClosed() throws {
        let daemon = try DaemonHarness()
        try daemon.configure("[limits]\nframe_timeout_seconds = 1\nidle_timeout_seconds = 300\n")
        try daemon.start()
        let slow = try daemon.connect()
        let frame = Array(#"{"method":"io.slotd.System.Status","parameters":{}}"#.utf8)
        var closed = false
        for byte in frame.prefix(12) where !closed {
            do { try slow.sendRaw([byte]) } catch { closed = true }
            usleep(300_000)  // 12 bytes over 3.6 s: never idle for the idle timeout, far over the frame timeout
        }
        slow.timeout = 3
        if !closed {
            do {
                closed = try slow.readFrame() == nil
            } catch ClientError.timedOut {
                closed = false
            } catch {
                closed = true  // reset by the daemon
            }
        }
        XCTAssertTrue(closed, "a connection trickling one frame for 3.6 s is still open with a 1 s frame timeout")
        XCTAssertNoThrow(try daemon.connect().call("io.slotd.System.Status", Empty(), as: StatusReply.self))
    }

    /// Invariant (finding 6): one uid holds at most `max_connections_per_user` connections; the rest of its
    /// connections get TooManyConnections, while another uid is still served. Both run as real, distinct
    /// non-root users (65534 and 65533), with no account.
    func testOneUserCannotHoldEveryConnection() throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else {
            throw XCTSkip("needs root (to act as other users) and python3")
        }
        let daemon = try DaemonHarness()
        try daemon.configure("[limits]\nmax_connections = 64\nmax_connections_per_user = 4\n")
        try daemon.start()
        chmod(daemon.state, 0o755)
        // Holds `count` connections, each with one Status call, then prints how many were refused and waits.
        let script = """
            import socket, sys, time
            held, refused = [], 0
            for _ in range(int(sys.argv[2])):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(sys.argv[1])
                s.sendall(b'{"method":"io.slotd.System.Status","parameters":{}}\\0')
                reply = b''
                while not reply.endswith(b'\\0'):
                    chunk = s.recv(65536)
                    if not chunk: break
                    reply += chunk
                refused += b'TooManyConnections' in reply
                held.append(s)
            print(refused, flush=True)
            time.sleep(float(sys.argv[3]))
            """
        func run(as uid: Int, connections: Int, hold: Double) throws -> (Process, Pipe) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = [
                "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "/usr/bin/python3", "-c", script,
                daemon.socket, String(connections), String(hold),
            ]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            return (process, out)
        }
        func firstLine(_ pipe: Pipe) -> String {
            var bytes: [UInt8] = []
            while true {
                let data = pipe.fileHandleForReading.readData(ofLength: 1)
                guard let byte = data.first, byte != 0x0A else { break }
                bytes.append(byte)
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        let (hog, hogOut) = try run(as: 65_534, connections: 10, hold: 3)
        XCTAssertEqual(firstLine(hogOut), "6", "10 connections of one user with a per-user limit of 4")
        let (other, otherOut) = try run(as: 65_533, connections: 2, hold: 0)
        XCTAssertEqual(firstLine(otherOut), "0", "another user is served while the first holds its share")
        other.waitUntilExit()
        hog.waitUntilExit()
    }

    /// Invariant (finding 10): slotctl gives up on a daemon that does not answer, with a message that says so,
    /// after --timeout seconds. Before: it waited silently until the daemon resumed.
    func testSlotctlTimesOutOnAStoppedDaemon() throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        kill(daemon.pid, SIGSTOP)
        defer { kill(daemon.pid, SIGCONT) }
        let started = Date()
        let output = try daemon.slotctl(["status", "--timeout", "1"])
        let took = Date().timeIntervalSince(started)
        XCTAssertNotEqual(output.status, 0)
        XCTAssertTrue(output.stderr.contains("did not answer within 1 s"), output.stderr)
        XCTAssertLessThan(took, 5)
    }
}
