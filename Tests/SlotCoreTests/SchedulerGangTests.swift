import SlotCore
import SlotTestSupport
import Testing

/// Gangs (one slot on several nodes) and node conditions (up, draining, down).
@Suite struct SchedulerGangTests {
    typealias F = SchedulerFixture

    static func gang(
        _ id: UInt64, _ account: String = "alice", nodes: Int, gpus: Int, hours: Int64 = 1, at time: Int64 = 0,
        types: [String]? = nil
    ) -> SlotRequest {
        var request = F.request(id, account, gpus: gpus, hours: hours, at: time)
        request.nodes = nodes
        request.gpuTypes = types
        return request
    }

    /// A scheduler whose universities may hold 64 GPUs at once, for gangs of whole nodes.
    static func roomy(_ nodes: String) -> Scheduler {
        var policy = F.policy
        for index in policy.categories.indices where policy.categories[index].id == "uni" {
            policy.categories[index].maxConcurrentGPUs = 64
            policy.categories[index].gpuHoursPerPeriod = 100_000
        }
        return Scheduler(policy: policy, inventory: Inventory(spec: nodes)!, accounts: F.accounts)
    }

    /// Checks that no node gives more than it has: the running slots' shares per node against the inventory.
    static func expectNoOvercommit(_ scheduler: Scheduler, _ context: String) {
        var used = scheduler.inventory.nodes.map { _ in Resources.zero }
        var gpus = scheduler.inventory.nodes.map { _ in Set<Int>() }
        for slot in scheduler.running.values {
            #expect(Set(slot.nodes).count == slot.nodes.count, "\(context): slot \(slot.requestID) repeats a node")
            for placement in slot.placements {
                used[placement.node] = used[placement.node] + slot.resources
                #expect(gpus[placement.node].isDisjoint(with: placement.gpuIndices), "\(context): a GPU given twice")
                gpus[placement.node].formUnion(placement.gpuIndices)
            }
        }
        for (index, node) in scheduler.inventory.nodes.enumerated() {
            let size = Resources(gpus: node.gpus.count, cpus: node.cpus, memoryMiB: node.memoryMiB)
            #expect(size.covers(used[index]), "\(context): node \(index) overcommitted: \(used[index])")
            #expect(scheduler.freeByNode[index] == size - used[index], "\(context): node \(index)'s free is off")
        }
    }

    @Test("Invariant: a gang starts on N distinct nodes at once or not at all, and ends on all of them together")
    func allOrNothing() {
        let scheduler = F.scheduler(nodes: "4x2")
        _ = scheduler.handle(.submit(F.request(1, "carol", gpus: 2, hours: 5)), now: 0)  // node 0 is full
        let started = scheduler.handle(.submit(Self.gang(2, nodes: 3, gpus: 2, hours: 2)), now: 0).slots
        #expect(started.count == 1)
        #expect(started.first.map { Set($0.nodes) } == [1, 2, 3])
        #expect(started.first?.totalGPUs == 6)
        // Another 2-node gang cannot start: nothing is taken for it while it waits.
        let waiting = scheduler.handle(.submit(Self.gang(3, "carol", nodes: 2, gpus: 1, hours: 1)), now: 0)
        #expect(waiting.started.isEmpty)
        #expect(scheduler.freeByNode.map(\.gpus) == [0, 0, 0, 0])
        #expect(scheduler.reservation?.nodes.count == 2, "its reservation spans two nodes")
        #expect(scheduler.reservation?.start == 2 * F.hour, "when the 3-node gang ends")
        // The gang ends early: all three nodes come back at once, and the waiting gang starts on two of them.
        let after = scheduler.handle(.slotEnded(requestID: 2), now: F.hour)
        #expect(after.started == [3])
        #expect(scheduler.freeByNode.map(\.gpus) == [0, 1, 1, 2])
        Self.expectNoOvercommit(scheduler, "after the gang ended")
    }

    @Test("Invariant: placement keeps whole nodes free: small slots pack onto used nodes, gangs get whole ones")
    func packing() {
        let scheduler = Self.roomy("4x8")
        _ = scheduler.handle(.submit(F.request(1, gpus: 3)), now: 0)
        _ = scheduler.handle(.submit(F.request(2, gpus: 1)), now: 0)
        _ = scheduler.handle(.submit(F.request(3, gpus: 2)), now: 0)
        #expect(Set(scheduler.running.values.map(\.node)) == [0], "small slots share one node")
        let gang = scheduler.handle(.submit(Self.gang(4, nodes: 3, gpus: 8)), now: 0).slots
        #expect(gang.first.map { Set($0.nodes) } == [1, 2, 3])
    }

    @Test("Invariant: GPUs beyond the largest node become as few whole nodes as hold them, never a scatter")
    func wholeNodes() {
        let scheduler = F.scheduler(nodes: "4x8:h100,2x4:l40s")
        let shaped = scheduler.shaped(F.request(1, gpus: 32))
        #expect(shaped.nodes == 4 && shaped.resources.gpus == 8 && shaped.totalGPUs == 32)
        #expect(shaped.resources.cpus == 16, "64 CPUs over 4 nodes")
        let odd = scheduler.shaped(F.request(2, gpus: 30))
        #expect(odd.nodes == 4 && odd.resources.gpus == 8, "whole nodes: 4 × 8 for 30 GPUs")
        var l40s = F.request(3, gpus: 8)
        l40s.gpuTypes = ["l40s"]
        let typed = scheduler.shaped(l40s)
        #expect(typed.nodes == 2 && typed.resources.gpus == 4, "nodes of the type asked")
        #expect(scheduler.shaped(F.request(4, gpus: 8)) == F.request(4, gpus: 8), "fits one node: unchanged")
        let huge = scheduler.shaped(F.request(5, gpus: 64))
        #expect(scheduler.admissionProblems(huge).map(\.code).contains("not-enough-nodes"))
    }

    @Test("Invariant: a gang no set of nodes can hold is refused at admission with the count there is")
    func admission() {
        let single = F.scheduler(nodes: "1x8")
        let refused = single.handle(.submit(Self.gang(1, nodes: 2, gpus: 1)), now: 0).rejections
        #expect(refused.map(\.code) == ["not-enough-nodes"])
        #expect("\(refused[0])".contains("the platform has 1 such node"))
        let mixed = F.scheduler(nodes: "2x4:h100,4x4:l40s")
        #expect(
            mixed.admissionProblems(Self.gang(2, nodes: 3, gpus: 2, types: ["h100"])).map(\.code) == [
                "not-enough-nodes"
            ])
        #expect(mixed.admissionProblems(Self.gang(3, nodes: 3, gpus: 2, types: ["l40s"])).isEmpty)
        #expect(mixed.admissionProblems(Self.gang(4, nodes: 0, gpus: 2)).map(\.code) == ["not-enough-nodes"])
        // The cap counts every GPU of the gang: 3 × 4 = 12 over uni's 8.
        #expect(mixed.admissionProblems(Self.gang(5, nodes: 3, gpus: 4)).map(\.code) == ["over-concurrent-gpu-cap"])
    }

    @Test("Invariant: a draining node runs what it has and takes nothing new; resumed, it takes work again")
    func draining() throws {
        let scheduler = F.scheduler(nodes: "2x4")
        _ = scheduler.handle(.submit(F.request(1, gpus: 2, hours: 5)), now: 0)
        #expect(scheduler.running[1]?.node == 0)
        _ = scheduler.handle(.nodeCondition(node: 1, .draining), now: 0)
        _ = scheduler.handle(.nodeCondition(node: 0, .draining), now: 0)
        let waiting = scheduler.handle(.submit(F.request(2, "carol", gpus: 1)), now: 0)
        #expect(waiting.started.isEmpty && scheduler.running[1] != nil, "nothing new; the running slot stays")
        #expect(scheduler.nodeConditions == [.draining, .draining])
        let explanation = try #require(scheduler.explain(2, now: 0))
        let text = explanation.reasons.map(\.description).joined(separator: "; ")
        #expect(text.contains("of the 2 nodes that could hold it, 2 are draining"), "\(text)")
        #expect(explanation.estimatedStart == nil, "no node takes it, so no estimate")
        #expect(scheduler.handle(.nodeCondition(node: 1, .up), now: 1).started == [2])
        #expect(scheduler.running[2]?.node == 1)
    }

    @Test("Invariant: a node that goes down loses every slot on it, whole gangs included, and takes nothing")
    func down() {
        let scheduler = F.scheduler(nodes: "3x4")
        _ = scheduler.handle(.submit(Self.gang(1, nodes: 2, gpus: 4, hours: 5)), now: 0)
        _ = scheduler.handle(.submit(F.request(2, "carol", gpus: 1, hours: 5)), now: 0)
        let gangNodes = scheduler.running[1]?.nodes ?? []
        #expect(gangNodes.count == 2)
        let actions = scheduler.handle(.nodeCondition(node: gangNodes[1], .down), now: F.hour)
        let lost = actions.compactMap { if case .lost(let slot, _) = $0 { slot.requestID } else { nil } }
        #expect(lost == [1], "the gang is lost on both its nodes")
        #expect(scheduler.running[1] == nil && scheduler.running[2] != nil)
        // The gang's other node is free again; the down node is not used.
        let next = scheduler.handle(.submit(Self.gang(3, nodes: 2, gpus: 4)), now: F.hour)
        #expect(next.started.isEmpty, "only two up nodes, one of them partly taken")
        #expect(scheduler.reservation.map { !$0.nodes.contains(gangNodes[1]) } ?? false, "not on the down node")
        let one = scheduler.handle(.submit(F.request(4, "carol", gpus: 3)), now: F.hour)
        #expect(one.slots.first.map { $0.node != gangNodes[1] } ?? false, "\(one)")
        Self.expectNoOvercommit(scheduler, "after the node went down")
    }

    @Test(
        "Invariant: with gangs, mixed models and nodes drained, resumed and lost, no node is overcommitted, no slot lands on a node that takes nothing, and backfill never delays a reservation",
        arguments: [31, 32, 33, 34, 35, 36, 37, 38] as [UInt64])
    func mixedWorkload(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let inventory = try #require(Inventory(spec: "4x4:h100,3x4:l40s,2x2:a100"))
        let accounts = (1...40).map { Account(name: "u\($0)", category: "uni") }
        let scheduler = Scheduler(policy: F.policy, inventory: inventory, accounts: accounts)
        let choices: [[String]?] = [nil, ["h100"], ["l40s"], ["h100", "l40s"], ["a100"]]
        var wanted: [UInt64: [String]] = [:]
        var now: Int64 = 0
        var starts = 0
        var gangStarts = 0
        var reservationsChecked = 0
        var gangReservations = 0
        for id in 1...500 as ClosedRange<UInt64> {
            now += Int64.random(in: 0...(F.hour / 2), using: &rng)
            let types = choices.randomElement(using: &rng)!
            let nodes = types == ["a100"] ? 1 : [1, 1, 1, 2, 3].randomElement(using: &rng)!
            let gpus = types == ["a100"] ? Int.random(in: 1...2, using: &rng) : [1, 2, 4].randomElement(using: &rng)!
            var request = Self.gang(
                id, "u\(Int.random(in: 1...40, using: &rng))", nodes: nodes, gpus: nodes > 1 ? min(gpus, 2) : gpus,
                hours: Int64.random(in: 1...12, using: &rng), at: now, types: types)
            if nodes > 1 { request.resources.gpus = [2, 4].randomElement(using: &rng)! }
            wanted[id] = types ?? []
            var events: [SchedulerEvent] = [.submit(request)]
            if let victim = scheduler.running.keys.sorted().randomElement(using: &rng),
                Int.random(in: 0..<4, using: &rng) == 0
            {
                events.append(.slotEnded(requestID: victim))
            }
            if Int.random(in: 0..<10, using: &rng) == 0 {
                let condition = [NodeCondition.up, .up, .draining, .down].randomElement(using: &rng)!
                events.append(.nodeCondition(node: Int.random(in: 0..<inventory.nodes.count, using: &rng), condition))
            }
            for event in events {
                let conditions = scheduler.nodeConditions
                let actions = scheduler.handle(event, now: now)
                for slot in actions.slots {
                    starts += 1
                    if slot.nodes.count > 1 { gangStarts += 1 }
                    for node in slot.nodes {
                        #expect(
                            conditions[node] == .up || scheduler.nodeConditions[node] == .up,
                            "seed \(seed): on a node that takes nothing")
                        let types = wanted[slot.requestID] ?? []
                        #expect(
                            types.isEmpty || types.contains(inventory.nodes[node].gpuType ?? ""),
                            "seed \(seed): wrong model")
                    }
                }
                guard let reserved = scheduler.reservation else { continue }
                reservationsChecked += 1
                if reserved.nodes.count > 1 { gangReservations += 1 }
                let after = scheduler.earliestStart(for: reserved.resources, nodes: reserved.nodes.count, now: now)
                #expect(
                    after != nil && after!.start <= reserved.start,
                    "seed \(seed): reservation of \(reserved.requestID) at \(reserved.start) delayed to \(after?.start ?? -1)"
                )
            }
            Self.expectNoOvercommit(scheduler, "seed \(seed), request \(id)")
        }
        #expect(starts > 100 && gangStarts > 10, "the workload must start slots and gangs (\(starts), \(gangStarts))")
        #expect(
            reservationsChecked > 50 && gangReservations > 5,
            "and reserve for gangs (\(reservationsChecked), \(gangReservations))")
    }
}
