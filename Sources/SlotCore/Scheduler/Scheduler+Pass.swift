import HeapModule
import SlotQueue

extension Scheduler {
    /// One allocation pass (EASY backfill); see the type's documentation.
    func schedulePass(now: Int64) -> [SchedulerAction] {
        reservation = nil
        guard granting else { return [] }
        var started: [(handle: QueueHandle, slot: Slot, backfilled: Bool)] = []
        var slack = Resources.zero  // what the reserved node has at the reserved start beyond the reservation
        var visited = 0
        walkRanked(now: now) { ranked in
            visited += 1
            guard visited <= backfillWindow else { return false }
            let request = hot[Int(ranked.handle.slot)]
            guard request.id == ranked.item.id, !isHeld(request, now: now) else { return true }
            if let reserved = reservation {
                // Every request needs a CPU (admission insists): once no node has one free, nothing further can
                // backfill, and the rest of the window need not be walked (the common case of a full cluster).
                guard nodes.contains(where: { $0.free.cpus > 0 }) else { return false }
                // Backfill: it must not delay the reservation, on the machines or through the account's limits.
                guard leavesAccountRoom(for: reserved, after: request, now: now) else { return true }
                let endsBefore = now + request.duration <= reserved.start
                if let best = nodes.bestFit(request.resources), best != reserved.node || endsBefore {
                    started.append((ranked.handle, startSlot(request, on: best, now: now), true))
                    return true
                }
                for node in nodes.fitting(request.resources) {
                    if node == reserved.node && !endsBefore {
                        guard slack.covers(request.resources) else { continue }
                        slack = slack - request.resources
                    }
                    started.append((ranked.handle, startSlot(request, on: node, now: now), true))
                    break
                }
            } else if let node = nodes.bestFit(request.resources) {
                started.append((ranked.handle, startSlot(request, on: node, now: now), false))
            } else {
                let ordered = running.values.sorted { ($0.end, $0.requestID) < ($1.end, $1.requestID) }
                if let found = earliestFit(of: request.resources, nodes: nodes, running: ordered, now: now) {
                    reservation = Reservation(
                        requestID: request.id, node: found.node, start: found.start,
                        resources: request.resources)
                    slack = found.freeAtStart - request.resources
                }
            }
            return true
        }
        var actions: [SchedulerAction] = []
        for decision in started {
            _ = queue.take(decision.handle, now: now)
            removePending(decision.slot.requestID)
            if decision.backfilled { backfilledStarts += 1 }
            actions.append(.start(decision.slot, backfilled: decision.backfilled))
        }
        if let reservation { actions.append(.estimate(requestID: reservation.requestID, at: reservation.start)) }
        return actions
    }

    /// True unless `candidate` shares the reserved request's account and starting it would leave that account unable
    /// to start the reserved request (GPU cap or period budget) at the reserved time.
    private func leavesAccountRoom(for reserved: Reservation, after candidate: HotRequest, now: Int64) -> Bool {
        guard let reservedRequest = pending[reserved.requestID], reservedRequest.account == candidate.account else {
            return true
        }
        let limits = accountLimits[candidate.account]
        let gpus = ledger.runningGPUs(candidate.account) + candidate.resources.gpus + reserved.resources.gpus
        let left = ledger.budgetLeft(candidate.account, budget: limits.gpuHoursPerPeriod, at: now)
        return gpus <= limits.maxConcurrentGPUs
            && candidate.maximumGPUHours + reservedRequest.request.maximumGPUHours <= left
    }

    /// Allocates `request` on `node` now and records the running slot.
    private func startSlot(_ request: HotRequest, on node: Int, now: Int64) -> Slot {
        let gpuIndices = nodes[node].allocate(request.resources)
        let slot = Slot(
            requestID: request.id, account: accountLimits[request.account].name, node: node,
            gpuIndices: gpuIndices, cpus: request.resources.cpus, memoryMiB: request.resources.memoryMiB,
            start: now, end: now + request.duration)
        running[request.id] = slot
        slotAccounts[request.id] = request.account
        ledger.slotStarted(slot, account: request.account)
        hardEnds.insert(HardEnd(end: slot.end, requestID: slot.requestID))
        return slot
    }

    /// Why the account cannot start `request` now (its limits, not the machines'); empty when it can.
    func accountHold(_ request: SlotRequest, now: Int64) -> [PendingReason] {
        guard let account = accounts[request.account], let category = policy.category(account.category) else {
            return [.accountMissing(account: request.account)]
        }
        var reasons: [PendingReason] = []
        let index = accountIndex(request.account)
        let inUse = ledger.runningGPUs(index)
        if inUse + request.resources.gpus > category.maxConcurrentGPUs {
            reasons.append(.accountGPUCap(cap: category.maxConcurrentGPUs, inUse: inUse))
        }
        let left = ledger.budgetLeft(index, budget: category.gpuHoursPerPeriod, at: now)
        if request.maximumGPUHours > left {
            reasons.append(
                .budgetExhausted(
                    needed: request.maximumGPUHours, left: max(0, left),
                    resetsAt: ledger.periodEnd(at: now)))
        }
        return reasons
    }
}

extension Array where Element == NodeState {
    /// Nodes that fit `resources` now, best fit first (fewest GPUs, then CPUs, left over; lowest index on ties).
    func fitting(_ resources: Resources) -> [Int] {
        indices.filter { self[$0].free.covers(resources) }.sorted {
            let a = self[$0].free, b = self[$1].free
            return (a.gpus, a.cpus, $0) < (b.gpus, b.cpus, $1)
        }
    }
}

extension Scheduler {
    /// The earliest time `resources` fit on some node if every running slot ends at its hard end, and that node.
    public func earliestStart(for resources: Resources, now: Int64) -> (node: Int, start: Int64)? {
        let ordered = running.values.sorted { ($0.end, $0.requestID) < ($1.end, $1.requestID) }
        return earliestFit(of: resources, nodes: nodes, running: ordered, now: now).map { ($0.node, $0.start) }
    }
}
