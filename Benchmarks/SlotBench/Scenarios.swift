import Foundation
import HeapModule
import SlotQueue
import Synchronization

/// One measured run: items moved through the structure and the wall time it took.
struct Measurement {
    var items: Int
    var seconds: Double
    var itemsPerSecond: Double { Double(items) / seconds }
}

func measure(_ body: () -> Int) -> Measurement {
    let clock = ContinuousClock()
    var items = 0
    let elapsed = clock.measure { items = body() }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return Measurement(items: items, seconds: seconds)
}

/// Runs each body on its own OS thread and waits for all of them. Where the machine has a core for every thread,
/// thread `i` is pinned to core `i` (``pinsThreads(_:)``), so the scheduler's migrations do not add to the spread;
/// with fewer cores the threads share them and are left to the scheduler.
func onThreads(_ bodies: [@Sendable () -> Void]) {
    let group = DispatchGroup()
    let pin = pinsThreads(bodies.count)
    let threads = bodies.enumerated().map { index, body in
        group.enter()
        return Thread {
            if pin { pinCurrentThread(to: index) }
            body()
            group.leave()
        }
    }
    threads.forEach { $0.start() }
    group.wait()
}

/// Whether `threads` threads get a core each.
func pinsThreads(_ threads: Int) -> Bool {
    #if os(Linux)
        ProcessInfo.processInfo.activeProcessorCount >= threads
    #else
        false
    #endif
}

/// Binds the calling thread to one core (Linux: `sched_setaffinity` on the thread; elsewhere nothing).
func pinCurrentThread(to core: Int) {
    #if os(Linux)
        var set = cpu_set_t()
        withUnsafeMutableBytes(of: &set) { bytes in
            guard core / 8 < bytes.count else { return }
            bytes[core / 8] |= UInt8(1) << UInt8(core % 8)
        }
        // glibc declares sched_setaffinity only under _GNU_SOURCE, which Swift's Glibc module does not set.
        typealias SetAffinity = @convention(c) (pid_t, Int, UnsafePointer<cpu_set_t>) -> Int32
        guard let symbol = dlsym(nil, "sched_setaffinity") else { return }  // nil: RTLD_DEFAULT
        _ = unsafeBitCast(symbol, to: SetAffinity.self)(0, MemoryLayout<cpu_set_t>.size, &set)
    #endif
}

struct Workload: Sendable {
    var items: Int
    var classes: Int
    var bases: [Int64] { (0..<classes).map { Int64(($0 * 37) % 11) * 10 } }

    func entry(_ i: Int) -> HeapEntry {
        HeapEntry(base: bases[i % classes], submittedAt: Int64(i), id: UInt64(i))
    }
    func item(_ i: Int, producer: Int = 0) -> QueueItem {
        QueueItem(id: UInt64(producer) << 40 | UInt64(i), submittedAt: Int64(i), classIndex: i % classes)
    }
}

// MARK: Scenario 1: one thread, push everything then take everything

func singleThreadQueue(_ w: Workload) -> Measurement {
    let queue = SlotQueue(capacity: w.items, bases: w.bases, aging: .none, perClassCapacity: w.items / w.classes + 1)
    return measure {
        for i in 0..<w.items { _ = queue.push(w.item(i)) }
        var taken = 0
        while queue.takeBest(now: 0) != nil { taken += 1 }
        return taken
    }
}

func singleThreadHeap(_ w: Workload) -> Measurement {
    measure {
        var heap = Heap<HeapEntry>()
        for i in 0..<w.items { heap.insert(w.entry(i)) }
        var taken = 0
        while heap.popMax() != nil { taken += 1 }
        return taken
    }
}

func singleThreadLockedHeap(_ w: Workload) -> Measurement {
    let heap = LockedHeap()
    return measure {
        for i in 0..<w.items { heap.push(w.entry(i)) }
        var taken = 0
        while heap.popBest() != nil { taken += 1 }
        return taken
    }
}

// MARK: Scenarios 2 and 3: producers and a consumer at once

/// `producers` threads push `items` in total while one consumer takes; every `cancelEvery`-th push (0: never) the
/// producer cancels the item it pushed four before. Returns items pushed per second of wall time.
func concurrentQueue(_ w: Workload, producers: Int, cancelEvery: Int) -> Measurement {
    // Sized for the whole workload, like the unbounded heap it is compared with: neither side sees back-pressure.
    let queue = SlotQueue(capacity: w.items, bases: w.bases, aging: .none, perClassCapacity: w.items / w.classes + 1)
    let done = Atomic<Int>(0)
    let perProducer = w.items / producers
    return measure {
        let pushers: [@Sendable () -> Void] = (0..<producers).map { p in
            {
                var recent = [QueueHandle?](repeating: nil, count: 4)
                for i in 0..<perProducer {
                    var result = queue.push(w.item(i, producer: p))
                    while case .failure = result {
                        sched_yield()
                        result = queue.push(w.item(i, producer: p))
                    }
                    if cancelEvery > 0 {
                        if i % cancelEvery == 0, let victim = recent[i & 3] { _ = queue.cancel(victim) }
                        recent[i & 3] = try? result.get()
                    }
                }
                done.add(1, ordering: .releasing)
            }
        }
        let consumer: @Sendable () -> Void = {
            while true {
                let finished = done.load(ordering: .acquiring) == producers
                if queue.takeBest(now: 0) == nil {
                    if finished { return }
                    sched_yield()
                }
            }
        }
        onThreads(pushers + [consumer])
        return perProducer * producers
    }
}

func concurrentLockedHeap(_ w: Workload, producers: Int, cancelEvery: Int) -> Measurement {
    let heap = LockedHeap()
    let done = Atomic<Int>(0)
    let perProducer = w.items / producers
    return measure {
        let pushers: [@Sendable () -> Void] = (0..<producers).map { p in
            {
                for i in 0..<perProducer {
                    var entry = w.entry(i)
                    entry.id |= UInt64(p) << 40
                    heap.push(entry)
                    if cancelEvery > 0, i % cancelEvery == 0, i >= 4 { heap.cancel(UInt64(p) << 40 | UInt64(i - 4)) }
                }
                done.add(1, ordering: .releasing)
            }
        }
        let consumer: @Sendable () -> Void = {
            while true {
                let finished = done.load(ordering: .acquiring) == producers
                if heap.popBest() == nil {
                    if finished { return }
                    sched_yield()
                }
            }
        }
        onThreads(pushers + [consumer])
        return perProducer * producers
    }
}
