import SlotQueue

extension Scheduler {
    /// Recomputes every pending request's fair-share band from its account's usage now (usage decays, and grows
    /// when slots end), and re-files the requests whose band changed. Runs at most once per ``rebandInterval``.
    ///
    /// Uses ``SlotQueue/rebuild(bases:classOf:)``: handles stay valid, and each class stays in submit order. If the
    /// queue cannot hold the new distribution (a class ring would overflow), the old bands are kept until the next
    /// interval.
    func rebandIfDue(now: Int64) {
        guard now - lastReband >= rebandInterval else { return }
        lastReband = now
        // After a re-band every pending request of an account sits at the account's band then. So only accounts
        // whose band changed since, or that submitted since, can have requests to move, and only theirs are visited.
        if bandAtReband.count < accountLimits.count {
            bandAtReband += [Int](repeating: -1, count: accountLimits.count - bandAtReband.count)
        }
        var moves: [UInt64: Int] = [:]
        for account in accountLimits.indices {
            guard let category = accountLimits[account].category else { continue }
            let band = PriorityModel.band(
                usage: ledger.decayedUsage(account, at: now),
                budget: policy.categories[category].gpuHoursPerPeriod)
            defer { bandAtReband[account] = band }
            guard band != bandAtReband[account] || submittedSinceReband.contains(account) else { continue }
            for id in pendingByAccount[account] ?? [] {
                guard let entry = pending[id] else { continue }
                let current = model.classes[entry.classIndex]
                guard current.band != band,
                    let target = model.classIndex(category: current.category, sector: current.sector, band: band)
                else { continue }
                moves[id] = target
            }
        }
        submittedSinceReband.removeAll(keepingCapacity: true)
        guard !moves.isEmpty else { return }
        do {
            try queue.rebuild(bases: model.bases) { moves[$0.id] ?? $0.classIndex }
        } catch {
            return
        }
        for (id, target) in moves { pending[id]?.classIndex = target }
        rebands += moves.count
    }
}

extension Scheduler {
    /// Records a pending request (the only way in, so the per-account index stays exact).
    func addPending(_ entry: PendingRequest) {
        pending[entry.request.id] = entry
        pendingByAccount[entry.account, default: []].insert(entry.request.id)
        submittedSinceReband.insert(entry.account)
    }

    /// Forgets a pending request (the only way out).
    @discardableResult
    func removePending(_ id: UInt64) -> PendingRequest? {
        guard let entry = pending.removeValue(forKey: id) else { return nil }
        pendingByAccount[entry.account]?.remove(id)
        return entry
    }
}
