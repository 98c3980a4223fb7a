/// Projects' awards (Art. 25.1: access for a limited period): a project's account may use its GPU-hours only within
/// its window and sectors. Admission refuses what cannot fit (every reason at once); the pass holds a request that
/// would overrun what running slots leave of the award; a slot's end is clamped to the window's end; at the close,
/// the project's pending requests are rejected with the reason.
extension Scheduler {
    /// GPU-hours of account `index`'s award not yet used or committed (running slots at their full length).
    func awardLeft(_ index: Int) -> Double {
        accountLimits[index].awardGPUHours - (awardSpent[index] ?? 0) - ledger.committedGPUHours(index)
    }

    /// Why the award of `account` refuses `request` at `now`; empty without an award or when it fits.
    func awardProblems(_ request: SlotRequest, account: Account, now: Int64) -> [Rejection] {
        guard let award = account.award else { return [] }
        var problems: [Rejection] = []
        // The daemon names a project's account `project:ID`; its reasons name the project.
        let name = account.name.hasPrefix("project:") ? String(account.name.dropFirst(8)) : account.name
        if !award.sectors.contains(request.sector) {
            problems.append(.sectorNotInProject(project: name, sector: request.sector, sectors: award.sectors))
        }
        if now < award.opens { problems.append(.projectWindowNotOpen(project: name, opens: award.opens)) }
        if now >= award.closes { problems.append(.projectWindowClosed(project: name, closed: award.closes)) }
        let left = awardLeft(accountIndex(account.name))
        let wanted = chargeableHours(request)
        if wanted > left {
            problems.append(.awardExceeded(project: name, requestedGPUHours: wanted, leftGPUHours: left))
        }
        return problems
    }

    /// Use of account `name`'s award by slots that ended before this scheduler existed (a restart replays it).
    public func restoreAwardUse(account name: String, gpuHours: Double) {
        guard gpuHours > 0 else { return }
        awardSpent[accountIndex(name), default: 0] += gpuHours
    }

    /// GPU-hours of `name`'s award used by ended slots, and committed to running ones; nil without an award.
    public func awardUse(account name: String) -> (used: Double, committed: Double)? {
        guard let index = accountIndices[name], accountLimits[index].awardGPUHours < .infinity else { return nil }
        return (awardSpent[index] ?? 0, ledger.committedGPUHours(index))
    }

    /// Charges an ended slot's use to its account's award.
    func chargeAward(_ slot: Slot, account: Int, now: Int64) {
        guard accountLimits.indices.contains(account), accountLimits[account].awardGPUHours < .infinity else { return }
        awardSpent[account, default: 0] += ledger.gpuHours(slot, until: min(max(now, slot.start), slot.end))
    }

    /// Rejects the pending requests of every project whose window has closed by `now`.
    func closeWindows(now: Int64) -> [SchedulerAction] {
        var actions: [SchedulerAction] = []
        for (index, limits) in accountLimits.enumerated() where limits.closes <= now {
            for id in pendingByAccount[index] ?? [] {
                guard let entry = removePending(id) else { continue }
                _ = queue.cancel(entry.handle)
                actions.append(
                    .reject(
                        requestID: id,
                        reasons: [
                            .projectWindowClosed(
                                project: limits.name.hasPrefix("project:")
                                    ? String(limits.name.dropFirst(8)) : limits.name, closed: limits.closes)
                        ]))
            }
        }
        return actions
    }

    /// The next close of a project window with requests waiting, after `now`.
    func nextWindowClose(after now: Int64) -> Int64? {
        var next: Int64?
        for (index, limits) in accountLimits.enumerated()
        where limits.closes != .max && limits.closes > now && !(pendingByAccount[index]?.isEmpty ?? true) {
            next = min(next ?? .max, limits.closes)
        }
        return next
    }
}
