import Foundation
import SlotClient
import SlotProtocol
import XCTest

/// `io.slotd.Requests.List` called with `more`: the rows come in pages, newest first, the same rows a plain call
/// returns, and a listing in progress holds up nobody else.
final class ListStreamTests: XCTestCase {
    /// Stores `count` rejected requests (too many GPUs for any node: refused, and kept in the history), pipelined.
    func storeRejected(_ count: Int, _ connection: VarlinkConnection) throws {
        let parameters = SubmitParameters(
            sector: "healthcare", gpus: 64, cpus: 1, memoryMiB: 1_024,
            durationSeconds: 60, purpose: "list stream test", command: ["true"],
            workingDirectory: "/tmp", environment: nil)
        // In windows of 100, so neither side's socket buffer fills while the other is still writing.
        for start in stride(from: 0, to: count, by: 100) {
            let window = min(100, count - start)
            for _ in 0..<window { try connection.send("io.slotd.Requests.Submit", parameters) }
            for _ in 0..<window {
                XCTAssertThrowsError(try connection.readReply(RequestReply.self)) { error in
                    guard case ClientError.remote(let wire) = error else { return XCTFail("\(error)") }
                    XCTAssertEqual(wire.shortName, "PolicyViolation")
                }
            }
        }
    }

    func pages(_ connection: VarlinkConnection, limit: Int) throws -> [[Int64]] {
        var pages: [[Int64]] = []
        try connection.stream(
            "io.slotd.Requests.List", ListParameters(states: [.rejected], limit: limit),
            as: ListReply.self
        ) { page in
            pages.append(page.requests.map(\.id))
            return true
        }
        return pages
    }

    /// Invariant: a streamed listing is the plain listing cut into pages of at most 1000 rows, the last one
    /// marked final; it never returns more than the limit, and an exact multiple of the page size ends on time.
    func testStreamedListIsThePlainListInPages() throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        let connection = try daemon.connect()
        try storeRejected(2_345, connection)

        let plain = try connection.call(
            "io.slotd.Requests.List", ListParameters(states: [.rejected], limit: 5_000),
            as: ListReply.self
        ).requests.map(\.id)
        XCTAssertEqual(plain.count, 2_345)
        XCTAssertEqual(plain, plain.sorted(by: >), "newest first")

        let all = try pages(connection, limit: 5_000)
        XCTAssertEqual(all.map(\.count), [1_000, 1_000, 345])
        XCTAssertEqual(all.flatMap { $0 }, plain)
        XCTAssertEqual(try pages(connection, limit: 1_500).map(\.count), [1_000, 500])
        XCTAssertEqual(try pages(connection, limit: 1_000).map(\.count), [1_000])
        XCTAssertEqual(try pages(connection, limit: 7).flatMap { $0 }, Array(plain.prefix(7)))

        // slotctl streams too, and prints every row.
        let listed = try daemon.json(ListReply.self, ["list", "--state", "rejected", "--limit", "3000"])
        XCTAssertEqual(listed.requests.map(\.id), plain)
        let table = try daemon.slotctl(["list", "--state", "rejected", "--limit", "3000"])
        XCTAssertEqual(table.stdout.split(separator: "\n").count, 2_346, "a header and one line per request")
        XCTAssertEqual(try daemon.slotctl(["list", "--limit", "0"]).status, 2, "a limit out of range is a usage error")
    }

    /// Invariant: while one client's streamed listing is open and unread, another client is answered.
    func testOpenListingBlocksNobody() throws {
        let daemon = try DaemonHarness()
        try daemon.start()
        let lister = try daemon.connect()
        try storeRejected(1_500, lister)
        var first: [Int64] = []
        try lister.stream(
            "io.slotd.Requests.List", ListParameters(states: [.rejected], limit: 5_000),
            as: ListReply.self
        ) { page in
            first = page.requests.map(\.id)
            return false  // stop reading: the rest of the listing stays unread on the socket
        }
        XCTAssertEqual(first.count, 1_000)
        let other = try daemon.connect()
        let started = Date()
        let status = try other.call("io.slotd.System.Status", Empty(), as: StatusReply.self)
        XCTAssertGreaterThanOrEqual(status.pending, 0)
        XCTAssertLessThan(Date().timeIntervalSince(started), 2, "Status waited on the open listing")
    }
}
