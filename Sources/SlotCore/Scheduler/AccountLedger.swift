import Foundation

/// Per-account usage: GPUs held now, GPU-hours charged this budget period (on actual use, when a slot ends), the
/// worst-case GPU-hours of running slots, and fair-share usage decayed with the policy's half-life.
struct AccountUsage: Sendable, Hashable {
    var runningGPUs = 0
    /// GPU-hours running slots would use if they run to their hard end.
    var committedGPUHours = 0.0
    var period: Int64 = 0
    var chargedGPUHours = 0.0
    var decayedGPUHours = 0.0
    var decayedAsOf: Int64 = 0
}

/// All accounts' usage, and the rules that read it. Accounts are interned: the scheduler gives each account name a
/// dense index once, so the per-pass checks read arrays instead of hashing names.
struct AccountLedger: Sendable {
    private(set) var usage: [AccountUsage] = []
    var periodMillis: Int64
    var halfLifeMillis: Int64
    /// Each node's budget rate (`[gpu_rates]` of its GPU type): a GPU-hour there is charged this many.
    var nodeRates: [Double] = []

    init(policy: Policy) {
        periodMillis = max(1, policy.defaults.budgetPeriod.milliseconds)
        halfLifeMillis = max(1, policy.fairShare.halfLife.milliseconds)
    }

    func period(at now: Int64) -> Int64 { now >= 0 ? now / periodMillis : (now - periodMillis + 1) / periodMillis }

    /// When the budget period containing `now` ends.
    func periodEnd(at now: Int64) -> Int64 { (period(at: now) + 1) * periodMillis }

    /// Makes room for account index `account`.
    mutating func ensure(_ account: Int) {
        if account >= usage.count {
            usage += [AccountUsage](repeating: AccountUsage(), count: account + 1 - usage.count)
        }
    }

    /// GPU-hours charged in the period containing `now`.
    func charged(_ account: Int, at now: Int64) -> Double {
        guard account < usage.count, usage[account].period == period(at: now) else { return 0 }
        return usage[account].chargedGPUHours
    }

    /// Budget left for new slots: the period budget minus what was charged and what running slots may still use.
    func budgetLeft(_ account: Int, budget: Int64, at now: Int64) -> Double {
        Double(budget) - charged(account, at: now) - (account < usage.count ? usage[account].committedGPUHours : 0)
    }

    func runningGPUs(_ account: Int) -> Int { account < usage.count ? usage[account].runningGPUs : 0 }

    /// Fair-share usage at `now`: every GPU-hour counts half after each half-life.
    func decayedUsage(_ account: Int, at now: Int64) -> Double {
        guard account < usage.count else { return 0 }
        let entry = usage[account]
        let halfLives = Double(max(0, now - entry.decayedAsOf)) / Double(halfLifeMillis)
        return entry.decayedGPUHours * pow(0.5, halfLives)
    }

    mutating func slotStarted(_ slot: Slot, account: Int) {
        ensure(account)
        usage[account].runningGPUs += slot.totalGPUs
        usage[account].committedGPUHours += gpuHours(slot, until: slot.end)
    }

    /// Releases a slot that ended at `now` and charges what it actually used.
    mutating func slotEnded(_ slot: Slot, account: Int, at now: Int64) {
        ensure(account)
        var entry = usage[account]
        entry.runningGPUs -= slot.totalGPUs
        entry.committedGPUHours = max(0, entry.committedGPUHours - gpuHours(slot, until: slot.end))
        let used = gpuHours(slot, until: min(max(now, slot.start), slot.end))
        let current = period(at: now)
        if entry.period != current {
            entry.period = current
            entry.chargedGPUHours = 0
        }
        entry.chargedGPUHours += used
        entry.decayedGPUHours = decayedUsage(account, at: now) + used
        entry.decayedAsOf = now
        usage[account] = entry
    }

    /// Charges `used` GPU-hours of a slot that ended at `endedAt`, before this ledger existed (a restart replays the
    /// history oldest first). It counts towards the budget period containing `endedAt` and decays from then.
    mutating func restore(_ used: Double, account: Int, endedAt: Int64) {
        ensure(account)
        var entry = usage[account]
        let ended = period(at: endedAt)
        if ended > entry.period {
            entry.period = ended
            entry.chargedGPUHours = 0
        }
        if ended == entry.period { entry.chargedGPUHours += used }
        entry.decayedGPUHours = decayedUsage(account, at: max(endedAt, entry.decayedAsOf)) + used
        entry.decayedAsOf = max(endedAt, entry.decayedAsOf)
        usage[account] = entry
    }

    /// GPU-hours committed to `account`'s running slots, each at its full length.
    func committedGPUHours(_ account: Int) -> Double {
        account < usage.count ? usage[account].committedGPUHours : 0
    }

    /// GPU-hours of `slot` from its start to `end`, each node's at its rate.
    func gpuHours(_ slot: Slot, until end: Int64) -> Double {
        let hours = Double(max(0, end - slot.start)) / 3_600_000
        return slot.placements.reduce(0) { total, placement in
            let rate = nodeRates.indices.contains(placement.node) ? nodeRates[placement.node] : 1
            return total + Double(placement.gpuIndices.count) * rate * hours
        }
    }
}
