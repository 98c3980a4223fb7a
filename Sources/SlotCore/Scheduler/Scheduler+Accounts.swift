/// An account's limits, resolved from its category once (when the account or the policy changes).
struct AccountLimits: Sendable {
    var name: String
    /// Index into `policy.categories`, or nil when the category does not exist in the current policy.
    var category: Int?
    var maxConcurrentGPUs: Int
    var gpuHoursPerPeriod: Int64
    /// A project's window (`Int64.min ..< Int64.max` without one) and award (infinite without one).
    var opens = Int64.min
    var closes = Int64.max
    var awardGPUHours = Double.infinity
}

/// What the allocation pass needs about a pending request, trivially copyable (no strings, no reference counting),
/// stored by queue slot.
struct HotRequest: Sendable {
    var id: UInt64
    var account: Int
    /// What it needs on each node.
    var resources: Resources
    /// How many nodes (a gang).
    var nodes: Int
    var duration: Int64
    var maximumGPUHours: Double
}

extension Scheduler {
    /// The dense index of account `name`, created on first use.
    func accountIndex(_ name: String) -> Int {
        if let index = accountIndices[name] { return index }
        let index = accountLimits.count
        accountIndices[name] = index
        accountLimits.append(limits(name: name))
        windowed = windowed || accountLimits[index].closes != .max
        ledger.ensure(index)
        return index
    }

    func limits(name: String) -> AccountLimits {
        guard let account = accounts[name],
            let index = policy.categories.firstIndex(where: { $0.id == account.category })
        else { return AccountLimits(name: name, category: nil, maxConcurrentGPUs: 0, gpuHoursPerPeriod: 0) }
        let category = policy.categories[index]
        var resolved = AccountLimits(
            name: name, category: index, maxConcurrentGPUs: category.maxConcurrentGPUs,
            gpuHoursPerPeriod: category.gpuHoursPerPeriod)
        if let award = account.award {
            resolved.opens = award.opens
            resolved.closes = award.closes
            resolved.awardGPUHours = award.gpuHours
            resolved.gpuHoursPerPeriod = .max / 4  // the award takes the place of the category's budget
        }
        return resolved
    }

    /// Re-resolves every account's limits (after an account or policy change).
    func refreshLimits() {
        for index in accountLimits.indices { accountLimits[index] = limits(name: accountLimits[index].name) }
        windowed = accountLimits.contains { $0.closes != .max }
    }

    /// The pass's fast check: true when the account's own limits stop `request` from starting now.
    @inline(__always)
    func isHeld(_ request: HotRequest, now: Int64) -> Bool {
        let limits = accountLimits[request.account]
        guard limits.category != nil else { return true }
        if ledger.runningGPUs(request.account) + request.resources.gpus * request.nodes > limits.maxConcurrentGPUs {
            return true
        }
        if limits.awardGPUHours < .infinity {
            if now < limits.opens || now >= limits.closes { return true }
            if request.maximumGPUHours > awardLeft(request.account) { return true }
        }
        return request.maximumGPUHours > ledger.budgetLeft(request.account, budget: limits.gpuHoursPerPeriod, at: now)
    }
}

extension Scheduler {
    /// Usage of slots that ended before this scheduler existed, for budgets and fair share: after a restart the
    /// daemon replays its history (oldest first) before re-queueing, so an account that used a lot yesterday is
    /// not treated as new today (Art. 6).
    public func restoreUsage(account: String, gpuHours: Double, endedAt: Int64) {
        guard gpuHours > 0 else { return }
        ledger.restore(gpuHours, account: accountIndex(account), endedAt: endedAt)
    }

    /// The account's fair-share usage at `now` (GPU-hours, decayed by the policy's half-life).
    public func fairShareUsage(account: String, now: Int64) -> Double {
        accountIndices[account].map { ledger.decayedUsage($0, at: now) } ?? 0
    }

    /// GPU-hours the account was charged in the budget period containing `now`.
    public func chargedGPUHours(account: String, now: Int64) -> Double {
        accountIndices[account].map { ledger.charged($0, at: now) } ?? 0
    }
}
