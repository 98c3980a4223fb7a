import Foundation
import SlotProtocol
import SlotStore

/// What one `List` call may read. The engine decides it (who may see whose requests); the rows are read from the
/// store's readers outside the engine, so a long listing never holds up submits, cancels or the scheduler.
struct ListScope: Sendable {
    /// How many rows one reply of a `more` (streamed) List carries.
    static let pageSize = 1_000

    let states: [RequestState]
    /// Only this user's requests; nil for an admin's `allUsers`.
    let uid: Int64?
    /// The most rows the whole listing returns.
    let limit: Int
    let nodeNames: [String]
    let store: SlotStore

    /// Up to `count` requests, newest first, with ids below `before` (nil: from the newest), as one reply frame.
    /// `continues(rows)` says whether another page follows this one of `rows` rows (nil: not a streamed call).
    func page(before: Int64?, count: Int, continues: @escaping @Sendable (Int) -> Bool?) throws(WireError) -> ListPage {
        do {
            return try store.listPage(
                states: states, uid: uid, before: before, limit: count, nodeNames: nodeNames
            ) { rows, writeRows in try ListReply.frame(continues: continues(rows), writeRequests: writeRows) }
        } catch { throw .internalError("\(error)") }
    }

    /// The listing as one reply frame.
    func all() throws(WireError) -> Data { try page(before: nil, count: limit) { _ in nil }.frame }

    /// The listing as a stream of pages of at most ``pageSize`` rows; the last page says it does not continue. Each
    /// page is read and encoded only when the connection asks for it, after the previous one was written, so a
    /// slow reader holds one page in memory, not the whole listing.
    func pages() -> AsyncStream<Data> {
        let cursor = PageCursor(remaining: limit)
        return AsyncStream(unfolding: { cursor.next(self) })
    }
}

/// Where a streamed listing stands. Only the connection's one consuming task calls `next` (AsyncStream's
/// unfolding closure runs once per element, never concurrently), so plain fields suffice.
private final class PageCursor: @unchecked Sendable {
    // @unchecked Sendable is sound: the AsyncStream calls its unfolding closure from one iterator, one element at
    // a time, and nothing else holds the cursor.
    var remaining: Int
    var before: Int64?
    var finished = false

    init(remaining: Int) { self.remaining = remaining }

    func next(_ scope: ListScope) -> Data? {
        guard !finished else { return nil }
        let count = min(ListScope.pageSize, remaining)
        let frame: Data
        do {
            let remaining = self.remaining
            let page = try scope.page(before: before, count: count) { rows in rows == count && rows < remaining }
            self.remaining -= page.count
            before = page.lastID ?? before
            finished = page.count < count || self.remaining == 0
            frame = page.frame
        } catch {
            finished = true
            frame = Dispatcher.encode(anyError: error)
        }
        return frame
    }
}

extension Engine {
    /// Decides what a List call may read: the caller's own requests, or everyone's for an admin who asks.
    func listScope(_ p: ListParameters, _ caller: Caller) -> ListScope {
        let everyone = caller.isAdmin && (p.allUsers ?? false)
        return ListScope(
            states: p.states ?? [.pending, .running], uid: everyone ? nil : Int64(caller.uid),
            limit: min(max(p.limit ?? 1_000, 1), 1_000_000), nodeNames: nodeNames, store: store)
    }
}
