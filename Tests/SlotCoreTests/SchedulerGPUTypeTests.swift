import SlotCore
import SlotTestSupport
import Testing

/// GPU models: declared in the inventory, named by requests, respected by every placement.
@Suite struct SchedulerGPUTypeTests {
    typealias F = SchedulerFixture
    static let mixed = "2x4:h100:16:64,2x4:l40s:16:64"

    static func request(_ id: UInt64, gpus: Int, types: [String]?, hours: Int64 = 1, at time: Int64 = 0)
        -> SlotRequest
    {
        var request = F.request(id, "alice", gpus: gpus, hours: hours, at: time)
        request.gpuTypes = types
        return request
    }

    @Test("Invariant: the inventory spec names GPU models, strictly")
    func inventorySpec() throws {
        let inventory = try #require(Inventory(spec: "4x8:h100:96:1024,8x4:l40s,1x0:32"))
        #expect(inventory.nodes.count == 13)
        #expect(inventory.gpuTypes == ["h100", "l40s"])
        #expect(inventory.nodes[0].gpuType == "h100" && inventory.nodes[0].cpus == 96)
        #expect(inventory.nodes[0].memoryMiB == 1_024 * 1_024)
        #expect(inventory.nodes[4].gpuType == "l40s" && inventory.nodes[4].cpus == 32)
        #expect(inventory.nodes[12].gpuType == nil)
        #expect(try #require(Inventory(spec: "2x8")).gpuTypes == [GPU.unknownModel])
        for bad in [
            "2x8:H100", "2x8:h100:h100", "2x8:-x", "2x8:h100:", "2x8:1h", "2x8:" + String(repeating: "a", count: 33),
        ] {
            #expect(Inventory(spec: bad) == nil, "\(bad)")
        }
        let tooMany = (0...Inventory.maximumGPUTypes).map { "1x1:m\($0)" }.joined(separator: ",")
        #expect(Inventory(spec: tooMany) == nil)
    }

    @Test("Invariant: a detected GPU model name becomes the short type requests name")
    func typesOfDetectedModels() {
        let cases = [
            "NVIDIA H100 80GB HBM3": "h100", "NVIDIA A100-SXM4-40GB": "a100", "NVIDIA L40S": "l40s",
            "NVIDIA RTX A6000": "a6000", "NVIDIA GeForce RTX 4090": "rtx-4090", "Tesla V100-SXM2-16GB": "v100",
            "h100": "h100", "unknown": "unknown", "": "unknown", "4090": "gpu-4090",
        ]
        for (model, type) in cases { #expect(GPU.type(ofModel: model) == type, "\(model)") }
        for model in cases.keys { #expect(GPU.isValidType(GPU.type(ofModel: model)), "\(model)") }
    }

    @Test("Invariant: a request naming only models no node has is refused at admission, naming the models there are")
    func unknownModelRefused() {
        let scheduler = F.scheduler(nodes: Self.mixed)
        let actions = scheduler.handle(.submit(Self.request(1, gpus: 1, types: ["a100"])), now: 0)
        #expect(actions.rejections.map(\.code) == ["no-node-with-gpu-type"])
        #expect("\(actions.rejections.first!)".contains("h100, l40s"))
        // Too big for every node of its model, though an l40s node... has the same size: the largest h100 node is named.
        let big = scheduler.handle(.submit(Self.request(2, gpus: 6, types: ["h100"])), now: 0)
        #expect(big.rejections.map(\.code) == ["larger-than-any-node"])
        // A CPU-only request ignores models.
        var cpuOnly = Self.request(3, gpus: 0, types: ["a100"])
        cpuOnly.resources.cpus = 1
        #expect(scheduler.handle(.submit(cpuOnly), now: 0).rejections.isEmpty)
    }

    @Test("Invariant: a waiting request's explanation names the models it waits for")
    func explanationNamesModels() throws {
        let scheduler = F.scheduler(nodes: Self.mixed)
        _ = scheduler.handle(.submit(Self.request(1, gpus: 4, types: ["h100"], hours: 10)), now: 0)
        _ = scheduler.handle(.submit(Self.request(2, gpus: 4, types: ["h100"], hours: 10)), now: 0)
        let actions = scheduler.handle(.submit(Self.request(3, gpus: 4, types: ["h100"], hours: 10)), now: 0)
        #expect(actions.started.isEmpty, "both h100 nodes are full; the l40s nodes are free but not acceptable")
        let explanation = try #require(scheduler.explain(3, now: 0))
        let text = explanation.reasons.map(\.description).joined(separator: "; ")
        #expect(text.contains("with h100 GPUs"), "\(text)")
    }

    @Test(
        "Invariant: on a mixed inventory every slot runs on a node of a model its request accepts, and backfill never delays a reservation",
        arguments: [21, 22, 23, 24, 25, 26] as [UInt64])
    func placementsRespectModels(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let inventory = try #require(Inventory(spec: "2x4:h100,2x4:l40s,1x2:a100"))
        let scheduler = Scheduler(policy: F.policy, inventory: inventory, accounts: F.accounts)
        let choices: [[String]?] = [nil, ["h100"], ["l40s"], ["h100", "l40s"], ["a100"], ["a100", "h100"]]
        var wanted: [UInt64: [String]?] = [:]
        var now: Int64 = 0
        var starts = 0
        var reservationsChecked = 0
        for id in 1...400 as ClosedRange<UInt64> {
            now += Int64.random(in: 0...(F.hour / 2), using: &rng)
            let types = choices.randomElement(using: &rng)!
            let gpus =
                types == ["a100"] ? Int.random(in: 1...2, using: &rng) : [1, 1, 2, 3, 4].randomElement(using: &rng)!
            wanted[id] = types
            var events: [SchedulerEvent] = [
                .submit(
                    Self.request(id, gpus: gpus, types: types, hours: Int64.random(in: 1...12, using: &rng), at: now))
            ]
            if let victim = scheduler.running.keys.sorted().randomElement(using: &rng),
                Int.random(in: 0..<4, using: &rng) == 0
            {
                events.append(.slotEnded(requestID: victim))
            }
            for event in events {
                let actions = scheduler.handle(event, now: now)
                for slot in actions.slots {
                    starts += 1
                    let model = inventory.nodes[slot.node].gpuType ?? ""
                    if let types = wanted[slot.requestID] ?? nil {
                        #expect(
                            types.contains(model), "seed \(seed): request \(slot.requestID) for \(types) on \(model)")
                    }
                }
                guard let reserved = scheduler.reservation else { continue }
                reservationsChecked += 1
                let after = scheduler.earliestStart(for: reserved.resources, now: now)
                #expect(
                    after != nil && after!.start <= reserved.start,
                    "seed \(seed): reservation of \(reserved.requestID) delayed")
                if let types = wanted[reserved.requestID] ?? nil {
                    #expect(
                        types.contains(inventory.nodes[reserved.node].gpuType ?? ""),
                        "seed \(seed): reserved on another model")
                }
            }
        }
        #expect(starts > 100 && reservationsChecked > 50, "the workload must start slots and make reservations")
    }

    /// The fixture's policy with universities' budget `budget`, SMEs limited to l40s, and an h100 hour costing 2.
    static func typedPolicy(budget: Int64 = 1_000) -> Policy {
        var policy = F.policy
        for index in policy.categories.indices {
            if policy.categories[index].id == "sme" { policy.categories[index].gpuTypes = ["l40s"] }
            if policy.categories[index].id == "uni" { policy.categories[index].gpuHoursPerPeriod = budget }
        }
        policy.gpuRates = ["h100": 2]
        return policy
    }

    @Test("Invariant: a category limited to some GPU types never runs on others, and asking only for others is refused")
    func categoryTypes() throws {
        let scheduler = Scheduler(
            policy: Self.typedPolicy(), inventory: try #require(Inventory(spec: Self.mixed)), accounts: F.accounts)
        var h100 = F.request(1, "bob", sector: "finance", gpus: 1)
        h100.gpuTypes = ["h100"]
        let refused = scheduler.handle(.submit(h100), now: 0).rejections
        #expect(refused.map(\.code) == ["gpu-type-not-allowed"])
        #expect("\(refused[0])".contains("'sme' may use GPU types l40s only"))
        // Any type: only the l40s nodes (2 and 3), though the h100 nodes come first and are free.
        for id in 2...3 as ClosedRange<UInt64> {
            let slots = scheduler.handle(.submit(F.request(id, "bob", sector: "finance", gpus: 1)), now: 0).slots
            #expect(slots.first.map { $0.node >= 2 } ?? false, "request \(id) on \(slots)")
        }
        var h100ForAlice = F.request(4, "alice", gpus: 1)
        h100ForAlice.gpuTypes = ["h100"]
        let alice = scheduler.handle(.submit(h100ForAlice), now: 0).slots
        #expect(alice.first.map { $0.node < 2 } ?? false, "universities may use h100")
    }

    @Test(
        "Invariant: budgets charge each type's GPU-hours at its rate, and admit on the dearest type a request accepts")
    func ratedBudgets() throws {
        let inventory = try #require(Inventory(spec: Self.mixed))
        let scheduler = Scheduler(policy: Self.typedPolicy(budget: 30), inventory: inventory, accounts: F.accounts)
        let any = Self.request(1, gpus: 1, types: nil, hours: 10)
        let l40s = Self.request(2, gpus: 1, types: ["l40s"], hours: 10)
        #expect(scheduler.admissionProblems(any).isEmpty && scheduler.admissionProblems(l40s).isEmpty)
        // 1 GPU for 20 h accepting h100 may cost 40 > 30; on l40s only it costs 20.
        #expect(
            scheduler.admissionProblems(Self.request(3, gpus: 1, types: nil, hours: 20)).map(\.code) == [
                "over-period-budget"
            ])
        #expect(scheduler.admissionProblems(Self.request(4, gpus: 1, types: ["l40s"], hours: 20)).isEmpty)
        // 10 h on an h100 charges 20 of the 30.
        let first = scheduler.handle(.submit(Self.request(5, gpus: 1, types: ["h100"], hours: 10)), now: 0)
        #expect(first.slots.first.map { inventory.nodes[$0.node].gpuType } == "h100")
        _ = scheduler.handle(.tick, now: 10 * F.hour)
        let waiting = scheduler.handle(
            .submit(Self.request(6, gpus: 1, types: ["h100"], hours: 6, at: 10 * F.hour)), now: 10 * F.hour)
        #expect(waiting.started.isEmpty, "6 h on an h100 costs 12, and 10 are left")
        let reasons = try #require(scheduler.explain(6, now: 10 * F.hour)).reasons
        #expect(reasons.contains { if case .budgetExhausted(12, 10, _) = $0 { true } else { false } }, "\(reasons)")
    }
}
