import HeapModule
import SlotCore

/// What happened to one trace job in a simulation.
public struct JobOutcome: Sendable, Hashable, Codable {
    public var id: UInt64
    public var account: String
    public var category: String
    public var sector: String
    public var submittedAt: Int64
    public var start: Int64?
    public var end: Int64?
    /// Every GPU and CPU of the job, over all its nodes.
    public var gpus: Int
    public var cpus: Int
    /// Nodes it spans (a gang when more than one).
    public var nodes = 1
    /// Its GPUs by the type of the nodes it ran on (a gang may span types when it accepts any).
    public var gpusByType: [String: Int] = [:]
    public var backfilled = false
    /// Ran into its time limit and was stopped there.
    public var expired = false
    /// Rejection codes when admission refused it.
    public var rejected: [String] = []

    public var wait: Int64? { start.map { $0 - submittedAt } }
}

/// Progress of a long simulation, for a stderr line.
public struct SimulationProgress: Sendable {
    public var jobsReplayed: Int
    public var jobsTotal: Int
    public var simulatedTime: Int64
    public var eventsPerSecond: Double
}

/// Replays a trace through the scheduler engine on virtual time.
public struct Simulation {
    public var policy: Policy
    public var inventory: Inventory
    public var mapping: TraceMapping
    public var backfillWindow = 256
    public var perClassCapacity = 16_384

    public init(policy: Policy, inventory: Inventory, seed: UInt64) {
        self.policy = policy
        self.inventory = inventory
        self.mapping = TraceMapping(seed: seed, policy: policy)
    }

    /// Runs every job; `progress` is called about every `progressEvery` events.
    public func run(
        _ jobs: [TraceJob], progressEvery: Int = 50_000,
        progress: (SimulationProgress) -> Void = { _ in }
    ) -> SimulationRun {
        let accounts = Dictionary(
            jobs.map { (mapping.account(for: $0).name, mapping.account(for: $0)) },
            uniquingKeysWith: { first, _ in first })
        let scheduler = Scheduler(
            policy: policy, inventory: inventory, accounts: Array(accounts.values),
            queueCapacity: max(1_024, jobs.count), perClassCapacity: perClassCapacity,
            backfillWindow: backfillWindow)
        var outcomes: [JobOutcome] = []
        var runtimes: [Int64] = []
        outcomes.reserveCapacity(jobs.count)
        for (index, job) in jobs.enumerated() {
            let request = mapping.request(for: job, index: index, id: UInt64(index))
            var outcome = JobOutcome(
                id: request.id, account: request.account,
                category: accounts[request.account]?.category ?? "", sector: request.sector,
                submittedAt: job.submittedAt, gpus: request.totalGPUs,
                cpus: request.resources.cpus * request.nodes)
            outcome.nodes = request.nodes
            outcomes.append(outcome)
            runtimes.append(job.runtime)
        }
        var naturalEnds = Heap<NaturalEnd>()
        var next = 0
        var events = 0
        var nextProgress = progressEvery
        let clock = ContinuousClock()
        let began = clock.now
        func record(_ actions: [SchedulerAction], at now: Int64) {
            for action in actions {
                switch action {
                case .start(let slot, let backfilled):
                    let index = Int(slot.requestID)
                    outcomes[index].start = slot.start
                    outcomes[index].backfilled = backfilled
                    for placement in slot.placements where inventory.nodes.indices.contains(placement.node) {
                        if let type = inventory.nodes[placement.node].gpuType {
                            outcomes[index].gpusByType[type, default: 0] += placement.gpuIndices.count
                        }
                    }
                    let runtime = runtimes[index]
                    if slot.start + runtime < slot.end {
                        naturalEnds.insert(NaturalEnd(time: slot.start + runtime, id: slot.requestID))
                    } else {
                        outcomes[index].expired = slot.start + runtime > slot.end
                    }
                case .expire(let slot): outcomes[Int(slot.requestID)].end = slot.end
                case .reject(let id, let reasons): outcomes[Int(id)].rejected = reasons.map(\.code)
                default: break
                }
            }
        }
        var now = jobs.first?.submittedAt ?? 0
        var idleWakeups = 0
        while true {
            let wakeup = scheduler.nextWakeup(after: now)
            let candidates = [next < jobs.count ? jobs[next].submittedAt : nil, naturalEnds.min?.time, wakeup]
            guard let time = candidates.compactMap({ $0 }).min() else { break }
            now = max(now, time)
            var startedBefore = scheduler.running.count + outcomes.count
            while let end = naturalEnds.min, end.time <= now {
                _ = naturalEnds.popMin()
                outcomes[Int(end.id)].end = end.time
                record(scheduler.handle(.slotEnded(requestID: end.id), now: now), at: now)
                events += 1
            }
            while next < jobs.count, jobs[next].submittedAt <= now {
                let request = mapping.request(for: jobs[next], index: next, id: UInt64(next))
                record(scheduler.handle(.submit(request), now: now), at: now)
                next += 1
                events += 1
            }
            if let wakeup, wakeup <= now {
                startedBefore = scheduler.backfilledStarts &+ scheduler.running.count
                record(scheduler.handle(.tick, now: now), at: now)
                events += 1
                // Requests that nothing can ever start (every slot ended, no arrivals left) would wake us each
                // budget period forever: stop after two idle periods and report them as still queued.
                let idle =
                    scheduler.running.isEmpty && next == jobs.count && naturalEnds.isEmpty
                    && startedBefore == scheduler.backfilledStarts &+ scheduler.running.count
                idleWakeups = idle ? idleWakeups + 1 : 0
                if idleWakeups >= 2 { break }
            }
            if events >= nextProgress {
                nextProgress += progressEvery
                let seconds = (clock.now - began).seconds
                progress(
                    SimulationProgress(
                        jobsReplayed: next, jobsTotal: jobs.count, simulatedTime: now,
                        eventsPerSecond: Double(events) / max(seconds, 1e-9)))
            }
        }
        let seconds = (clock.now - began).seconds
        let why = scheduler.pendingInOrder(now: now, limit: 1).first.flatMap { scheduler.explain($0, now: now) }
        return SimulationRun(
            outcomes: outcomes, events: events, wallSeconds: seconds,
            backfilledStarts: scheduler.backfilledStarts, finishedAt: now, inventory: inventory,
            firstStillQueued: why)
    }
}

/// The raw result of a run; ``SimulationReport`` summarizes it.
public struct SimulationRun: Sendable {
    public var outcomes: [JobOutcome]
    public var events: Int
    public var wallSeconds: Double
    public var backfilledStarts: Int
    /// Virtual time when the last event was handled.
    public var finishedAt: Int64
    public var inventory: Inventory
    /// Why the first job in queue order still queued at the end was not running, if any.
    public var firstStillQueued: Explanation?
}

struct NaturalEnd: Comparable {
    var time: Int64
    var id: UInt64
    static func < (a: NaturalEnd, b: NaturalEnd) -> Bool { (a.time, a.id) < (b.time, b.id) }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
