import Foundation
import Synchronization

/// Runs each body on its own OS thread (not a pool, so spinning bodies cannot starve each other) and waits for all.
public func runOnThreads(_ bodies: [@Sendable () -> Void]) {
    let group = DispatchGroup()
    let threads = bodies.map { body in
        group.enter()
        return Thread {
            body()
            group.leave()
        }
    }
    threads.forEach { $0.start() }
    group.wait()
}

/// A global, totally ordered event counter: a test stamps the start and end of each operation with it.
public final class EventClock: Sendable {
    private let value = Atomic<Int64>(0)
    public init() {}
    public func tick() -> Int64 { value.add(1, ordering: .sequentiallyConsistent).newValue }
}

/// An append-only record written by exactly one thread and read after `runOnThreads` returns.
public final class ThreadLog<Entry>: @unchecked Sendable {
    // @unchecked Sendable is sound: one thread appends while the threads run; readers read only after
    // `runOnThreads` returned, and DispatchGroup.wait orders every append before those reads.
    public var entries: [Entry] = []
    public init() {}
    public func append(_ entry: Entry) { entries.append(entry) }
}

/// A flag one thread raises and others poll.
public final class Flag: Sendable {
    private let raised = Atomic<Bool>(false)
    public init() {}
    public func raise() { raised.store(true, ordering: .releasing) }
    public var isRaised: Bool { raised.load(ordering: .acquiring) }
}
