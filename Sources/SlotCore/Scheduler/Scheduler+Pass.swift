import HeapModule
import SlotQueue

extension Scheduler {
    /// One allocation pass (EASY backfill); see the type's documentation.
    func schedulePass(now: Int64) -> [SchedulerAction] {
        reservation = nil
        guard granting else { return [] }
        var started: [(handle: QueueHandle, slot: Slot, backfilled: Bool)] = []
        // What each reserved node has at the reserved start beyond the reservation.
        var slack: [Int: Resources] = [:]
        var visited = 0
        walkRanked(now: now) { ranked in
            visited += 1
            guard visited <= backfillWindow else { return false }
            let request = hot[Int(ranked.handle.slot)]
            guard request.id == ranked.item.id, !isHeld(request, now: now) else { return true }
            if let reserved = reservation {
                // Every request needs a CPU (admission insists): once no node has one free, nothing further can
                // backfill, and the rest of the window need not be walked (the common case of a full cluster).
                guard index.withFreeCPU > 0 else { return false }
                // Backfill: it must not delay the reservation, on the machines or through the account's limits.
                guard leavesAccountRoom(for: reserved, after: request, now: now) else { return true }
                let endsBefore = now + request.duration <= reserved.start
                // A reserved node may only give what it has beyond the reservation, unless the slot ends first;
                // asking for as many more nodes as are reserved finds enough others when they exist.
                let candidates = index.fitting(
                    request.resources, limit: request.nodes + (endsBefore ? 0 : reserved.nodes.count), nodes: nodes)
                var chosen: [Int] = []
                var left = slack
                for node in candidates where chosen.count < request.nodes {
                    if !endsBefore, let spare = left[node] {
                        guard spare.covers(request.resources) else { continue }
                        left[node] = spare - request.resources
                    }
                    chosen.append(node)
                }
                if chosen.count == request.nodes {
                    slack = left
                    started.append((ranked.handle, startSlot(request, on: chosen, now: now), true))
                }
            } else {
                let chosen = index.fitting(request.resources, limit: request.nodes, nodes: nodes)
                if chosen.count == request.nodes {
                    started.append((ranked.handle, startSlot(request, on: chosen, now: now), false))
                } else if let found = earliestGangFit(request.resources, count: request.nodes, now: now) {
                    reservation = Reservation(
                        requestID: request.id, nodes: found.nodes, start: found.start, resources: request.resources)
                    slack = found.freeAtStart.mapValues { $0 - request.resources }
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
        let gpus =
            ledger.runningGPUs(candidate.account) + candidate.resources.gpus * candidate.nodes
            + reserved.resources.gpus * reserved.nodes.count
        let left = ledger.budgetLeft(candidate.account, budget: limits.gpuHoursPerPeriod, at: now)
        return gpus <= limits.maxConcurrentGPUs
            && candidate.maximumGPUHours + chargeableHours(reservedRequest.request) <= left
    }

    /// Why the account cannot start `request` now (its limits, not the machines'); empty when it can.
    func accountHold(_ request: SlotRequest, now: Int64) -> [PendingReason] {
        guard let account = accounts[request.account], let category = policy.category(account.category) else {
            return [.accountMissing(account: request.account)]
        }
        var reasons: [PendingReason] = []
        let index = accountIndex(request.account)
        let inUse = ledger.runningGPUs(index)
        if inUse + request.totalGPUs > category.maxConcurrentGPUs {
            reasons.append(.accountGPUCap(cap: category.maxConcurrentGPUs, inUse: inUse))
        }
        let left = ledger.budgetLeft(index, budget: category.gpuHoursPerPeriod, at: now)
        if chargeableHours(request) > left {
            reasons.append(
                .budgetExhausted(
                    needed: chargeableHours(request), left: max(0, left),
                    resetsAt: ledger.periodEnd(at: now)))
        }
        return reasons
    }
}
