@_spi(Testing) import SlotQueue
import Testing

/// Pushes held in flight (`beginPush` without `finishPush`) while a consumer scan runs, driven on one thread through
/// the `gapSkipped` hook, so the interleavings the stress tests only meet by chance happen every time.
@Suite struct SlotQueueInFlightTests {
    func item(_ id: UInt64) -> QueueItem { QueueItem(id: id, submittedAt: Int64(id), classIndex: 0) }

    /// Counts the hook's calls, so a test can show the race it stages really happened.
    final class Calls { var count = 0 }

    /// A scan skips A (in flight); before it reaches the next cell, A completes and B is pushed from start to end.
    /// A's push completed before B's began, so A must leave first.
    func queueWithRace() throws -> (SlotQueue, Calls) {
        let queue = SlotQueue(capacity: 16, bases: [0], aging: .none)
        // An item pushed and cancelled sets the class's non-empty bit, which an unfinished push has not set yet.
        #expect(queue.cancel(try queue.push(item(0)).get()) == .cancelled)
        let a = try queue.beginPush(item(1)).get()
        let calls = Calls()
        queue.gapSkipped = { _ in
            calls.count += 1
            guard calls.count == 1 else { return }
            _ = queue.finishPush(a)
            _ = queue.push(QueueItem(id: 2, submittedAt: 2, classIndex: 0))
        }
        return (queue, calls)
    }

    @Test("Invariant: a take never returns B before A when A's push completed before B's began, even mid-scan")
    func takeKeepsRealTimeFIFO() throws {
        let (queue, calls) = try queueWithRace()
        #expect(queue.takeBest(now: 10)?.item.id == 1)
        #expect(calls.count == 1, "the scan met A in flight once")
        #expect(queue.takeBest(now: 10)?.item.id == 2)
        #expect(queue.takeBest(now: 10) == nil)
    }

    @Test("Invariant: the walk (and so candidates) lists A before B when A's push completed before B's began")
    func walkKeepsRealTimeFIFO() throws {
        let (queue, calls) = try queueWithRace()
        #expect(queue.candidates(now: 10, limit: 5).map(\.item.id) == [1, 2])
        #expect(calls.count == 1, "the scan met A in flight once")
    }

    @Test("Invariant: a push still in flight is skipped, not waited for, and is served once it completes")
    func inFlightPushDoesNotBlockTakes() throws {
        let queue = SlotQueue(capacity: 16, bases: [0], aging: .none)
        let a = try queue.beginPush(item(1)).get()
        _ = try queue.push(item(2)).get()
        #expect(queue.takeBest(now: 10)?.item.id == 2)
        #expect(queue.takeBest(now: 10) == nil)
        _ = queue.finishPush(a)
        #expect(queue.takeBest(now: 10)?.item.id == 1)
    }
}
