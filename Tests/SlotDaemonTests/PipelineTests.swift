import Foundation
import SlotClient
import SlotProtocol
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// One connection's pipelined calls: Submits are queued together but answered in call order, every other call
/// sees the earlier ones done, and a client that sends without reading holds a bounded part of the daemon.
final class PipelineTests: XCTestCase {
    /// Refused for its size (no node has 64 GPUs), so it is stored, numbered and answered, and starts nothing.
    static func refusedSubmit(purpose: String = "pipeline test") -> SubmitParameters {
        SubmitParameters(
            sector: "healthcare", gpus: 64, cpus: 1, memoryMiB: 1_024, durationSeconds: 60,
            purpose: purpose, command: ["true"], workingDirectory: "/tmp", environment: nil)
    }

    /// Invariant: pipelined Submits get their replies in the order they were sent, numbered in that order, and a
    /// List sent right behind them, before any reply is read, lists every one of them.
    func testPipelinedSubmitsAnswerInOrderAndALaterCallSeesThem() throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        let connection = try daemon.connect()
        let count = 50
        for _ in 0..<count { try connection.send("io.slotd.Requests.Submit", Self.refusedSubmit()) }
        try connection.send("io.slotd.Requests.List", ListParameters(states: [.rejected], limit: 1_000))
        var ids: [Int64] = []
        for _ in 0..<count {
            XCTAssertThrowsError(try connection.readReply(RequestReply.self)) { error in
                guard case ClientError.remote(let wire) = error, wire.shortName == "PolicyViolation",
                    let id = wire.parameters.id
                else { return XCTFail("\(error)") }
                ids.append(id)
            }
        }
        XCTAssertEqual(ids.count, count)
        XCTAssertEqual(ids, Array(ids[0]..<(ids[0] + Int64(count))), "replies come in call order, ids in call order")
        let listed = try connection.readReply(ListReply.self).requests.map(\.id)
        XCTAssertEqual(Set(listed), Set(ids), "the List behind the Submits saw all of them committed")
    }

    /// Invariant: with `max_calls_in_flight = 4`, a client that pipelines Submits and never reads a reply is
    /// soon no longer read: its sends stall long before 3,000 frames, and another client is answered meanwhile.
    /// Every third Submit is malformed (no CPUs) and refused at once; that must not reset the bound.
    func testAClientThatNeverReadsIsBounded() throws {
        let daemon = try DaemonHarness()
        try daemon.configure("[limits]\nmax_calls_in_flight = 4\n")
        try daemon.start()
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let path = Array(daemon.socket.utf8)
            raw.copyBytes(from: path)
            raw[path.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        XCTAssertEqual(connected, 0, String(cString: strerror(errno)))
        let purpose = String(repeating: "p", count: 1_900)
        let frame = try [UInt8](
            Varlink.frame(
                VarlinkCall(
                    method: "io.slotd.Requests.Submit",
                    parameters: Self.refusedSubmit(purpose: purpose))))
        var malformed = Self.refusedSubmit(purpose: purpose)
        malformed.cpus = 0
        let refusedAtOnce = try [UInt8](
            Varlink.frame(
                VarlinkCall(
                    method: "io.slotd.Requests.Submit",
                    parameters: malformed)))
        var sent = 0
        var stalled = false
        sending: while sent < 3_000 {
            let frame = sent % 3 == 2 ? refusedAtOnce : frame
            var offset = 0
            while offset < frame.count {
                let n = frame[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n > 0 {
                    offset += n
                    continue
                }
                XCTAssertTrue(errno == EAGAIN || errno == EWOULDBLOCK, String(cString: strerror(errno)))
                // The socket is full: wait up to 2 s for the daemon to read more.
                var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                if poll(&poller, 1, 2_000) == 0 {
                    stalled = true
                    break sending
                }
            }
            sent += 1
        }
        XCTAssertTrue(stalled, "the daemon read all \(sent) frames of a client that reads nothing")
        XCTAssertLessThan(sent, 3_000)
        // Another client is served while the first one is stuck.
        let other = try daemon.connect()
        let status = try other.call("io.slotd.System.Status", Empty(), as: StatusReply.self)
        XCTAssertFalse(status.version.isEmpty)
    }
}
