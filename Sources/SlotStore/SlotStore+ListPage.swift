import Foundation
import GRDB
import GRDBSQLite
import SlotDomain
import SlotJSON

/// One page of a `List` reply, written from the rows straight to JSON.
public struct ListPage: Sendable {
    /// What the caller's envelope made of the rows (the daemon: one reply frame, terminator included).
    public var frame: Data
    public var count: Int
    /// The oldest id on the page: where the next page starts (`before`).
    public var lastID: Int64?
}

extension SlotStore {
    /// The columns a page reads, in the order ``writeRequest(_:to:nodeNames:)`` reads them.
    static let pageColumns = [
        "account", "command", "cpus", "durationMs", "endedAt", "exitCode", "gpuIndices", "gpus", "id", "logFile",
        "memoryMiB", "network", "node", "outcome", "purpose", "reasons", "sector", "startedAt", "state",
        "submittedAt", "uid", "workingDirectory",
        "gpuTypes",  // added later: last, so the others keep their positions
        "nodes", "gang", "clusterJob",
    ]

    /// The page of `requests(states:uid:before:limit:)`, each row written as `RequestInfo`'s JSON
    /// (`RequestInfo.write(to:)`'s bytes; `ListPageTests` holds it to that) without building a request value per
    /// row. Listing is the one read that returns up to a million rows: building `StoredRequest`s and `RequestInfo`s,
    /// strings and all, was most of its cost.
    ///
    /// The store knows nothing of the wire: `envelope(count, writeRows)` is given how many rows the page has and a
    /// function that writes them, one JSON object each, into a writer; it returns the bytes to send (the daemon
    /// wraps them in a `List` reply frame).
    public func listPage(
        states: [RequestState], uid: Int64?, before: Int64?, limit: Int, nodeNames: [String],
        envelope: @Sendable (Int, (JSONWriter) throws -> Void) throws -> Data
    ) throws(StoreError) -> ListPage {
        try read { db in
            let ids = try Self.newestIDs(db, states: states, uid: uid, before: before, limit: limit)
            var count = 0
            let frame = try envelope(ids.count) { w in
                let (statement, rows) = try Self.rows(db, ids, columns: Self.pageColumns)
                let columns = Columns(statement: statement.sqliteStatement)
                while try rows.next() != nil {
                    try columns.writeRequest(to: w, nodeNames: nodeNames)
                    count += 1
                }
            }
            guard count == ids.count else { throw StoreError.io("a page read \(count) of its \(ids.count) rows") }
            return ListPage(frame: frame, count: count, lastID: ids.last)
        }
    }
}

/// The current row of a statement selecting ``SlotStore/pageColumns``, read with SQLite's column functions: text
/// goes from SQLite's buffer to the generator with no `String` made of it.
private struct Columns {
    let statement: SQLiteStatement

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }
    func int(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }
    func int(ifPresent column: Int32) -> Int64? { isNull(column) ? nil : int(column) }

    /// The column's bytes; SQLite's docs: call `sqlite3_column_bytes` after `sqlite3_column_text`/`_blob`.
    func bytes(_ column: Int32) -> UnsafeRawBufferPointer {
        let start = sqlite3_column_blob(statement, column)
        return UnsafeRawBufferPointer(start: start, count: Int(sqlite3_column_bytes(statement, column)))
    }

    func text(_ column: Int32, to w: JSONWriter) {
        let start = sqlite3_column_text(statement, column)
        w.string(utf8: start, count: Int(sqlite3_column_bytes(statement, column)))
    }

    /// Writes one row as `StoredRequest(row:).info(nodeNames:)` would encode, keys sorted.
    func writeRequest(to w: JSONWriter, nodeNames: [String]) throws {
        let id = int(8)
        let state = String(decoding: bytes(18), as: UTF8.self)
        guard RequestState(rawValue: state) != nil else {
            throw StoreError.io("request \(id) has an unknown state '\(state)'")
        }
        func json(_ column: Int32) throws {
            do { try w.json(bytes(column)) } catch {
                throw StoreError.io(
                    "request \(id): column \(SlotStore.pageColumns[Int(column)]) does not hold JSON: \(error)")
            }
        }
        w.beginObject()
        w.key("account"); text(0, to: w)
        if let clusterJob = int(ifPresent: 25) { w.key("clusterJob"); w.int(clusterJob) }
        w.key("command")
        if isNull(1) { w.strings([]) } else { try json(1) }
        w.key("cpus"); w.int(int(2))
        w.key("durationSeconds"); w.int(int(3) / 1_000)
        if let endedAt = int(ifPresent: 4) { w.key("endedAt"); w.int(endedAt) }
        if let exitCode = int(ifPresent: 5) { w.key("exitCode"); w.int(exitCode) }
        if !isNull(6) { w.key("gpuIndices"); try json(6) }
        if !isNull(22) { w.key("gpuTypes"); try json(22) }
        w.key("gpus"); w.int(int(7))
        w.key("id"); w.int(id)
        if !isNull(9) { w.key("logFile"); text(9, to: w) }
        w.key("memoryMiB"); w.int(int(10))
        if int(ifPresent: 11) == 0 { w.key("network"); w.bool(false) }
        if let node = int(ifPresent: 12).map(Int.init) {
            w.key("node")
            w.string(StoredRequest.name(of: node, nodeNames))
            if !isNull(24) {
                let gang: [Int]
                do {
                    gang = try JSONReader.decode(bytes(24)) { r throws(JSONCodecError) in
                        try r.beginArray()
                        var nodes: [Int] = []
                        while try r.hasNextElement() { nodes.append(try r.ints().first ?? 0) }
                        return nodes
                    }
                } catch {
                    throw StoreError.io("request \(id): column gang does not hold its JSON: \(error)")
                }
                w.key("nodeList")
                w.strings(([node] + gang).map { StoredRequest.name(of: $0, nodeNames) })
            }
        }
        if let nodes = int(ifPresent: 23), nodes > 1 { w.key("nodes"); w.int(Int(nodes)) }
        if !isNull(13) { w.key("outcome"); text(13, to: w) }
        w.key("purpose"); text(14, to: w)
        if !isNull(15) { w.key("reasons"); try json(15) }
        w.key("sector"); text(16, to: w)
        if let startedAt = int(ifPresent: 17) { w.key("startedAt"); w.int(startedAt) }
        w.key("state"); w.string(state)
        w.key("submittedAt"); w.int(int(19))
        w.key("uid"); w.int(int(20))
        w.key("workingDirectory"); text(21, to: w)
        w.endObject()
    }
}
