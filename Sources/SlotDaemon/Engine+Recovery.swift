import Foundation
import SlotCore
import SlotProtocol
import SlotSandbox
import SlotStore

/// Start-up: bring back accounts, the policy, usage (budgets, fair share), pending requests (in their original
/// order) and running slots.
extension Engine {
    /// Restores state from the store and the executor's slot records. Never starts a slot twice: a running slot
    /// is either re-adopted (same process) or recorded as lost.
    func recover() throws(StoreError) -> (pending: Int, adopted: Int, lost: Int) {
        for account in try store.accounts() {
            setAccount(account.name, account)
            _ = scheduler.handle(.accountChanged(Account(name: account.name, category: account.category)), now: now)
        }
        try recoverProjects()
        // Budgets and fair share: replay what ended within the longer of the budget period and ten half-lives
        // (older use has decayed below a thousandth), so a restart does not make heavy users look new.
        let policy = policyState.policy
        let window = max(policy.defaults.budgetPeriod.milliseconds, 10 * policy.fairShare.halfLife.milliseconds)
        for record in try store.usage(since: now - window) {
            let rate = record.node.map { scheduler.budgetRate(ofNode: $0) } ?? 1
            scheduler.restoreUsage(account: record.account, gpuHours: record.gpuHours * rate, endedAt: record.endedAt)
        }
        let running = try store.runningRequests()
        // A cluster that cannot be asked now cannot say which slots still run: they are kept running until it
        // answers, and only then adopted or recorded as lost (`Engine+Cluster`).
        let unreachable = running.isEmpty ? nil : executor.probe()
        let adoptions = unreachable == nil ? executor.adopt() : []
        var adopted: Set<Int64> = []
        for case .adopted(let id, _) in adoptions { adopted.insert(Int64(id)) }
        if let unreachable {
            adopted = Set(running.map(\.id))
            awaitingAdoption = adopted
            clusterUnreachable = (now, unreachable, now)
            scheduler.granting = false
            logger.error(
                "the cluster is unreachable (\(unreachable)): \(running.count) running slot(s) kept as running until it answers"
            )
        }
        var lost: [(request: StoredRequest, detail: String, at: Int64)] = []
        var recorded: [(request: StoredRequest, detail: String, at: Int64)] = []  // re-queued, or their job found
        var adoptedJobs: [Int64: Int64] = [:]
        for case .adopted(let id, let job) in adoptions { adoptedJobs[Int64(id)] = Int64(job) }
        for var request in running {
            if executor.submitsJobs, !adopted.contains(request.id), request.clusterJob == nil {
                // Granted, but slotd stopped before the cluster took it (no job recorded, none in the cluster with
                // its comment): it never ran, so it is granted again, once.
                request = request.neverStarted
                recorded.append((request, "re-queued: slotd stopped before the cluster took it", now))
                continue
            }
            if executor.submitsJobs, adopted.contains(request.id), request.clusterJob == nil,
                let job = adoptedJobs[request.id]
            {
                // The cluster took it but slotd stopped before recording the job: recorded now.
                request.clusterJob = job
                recorded.append((request, "submitted to the cluster as job \(job) (found after a restart)", now))
            }
            if adopted.contains(request.id), let node = request.node, let start = request.startedAt {
                book.active[request.id] = request
                let further = (request.gang ?? []).compactMap { rank in
                    rank.first.map { Placement(node: $0, gpuIndices: Array(rank.dropFirst())) }
                }
                let slot = Slot(
                    requestID: UInt64(request.id), account: request.account,
                    placements: [Placement(node: node, gpuIndices: request.gpuIndices ?? [])] + further,
                    cpus: request.cpus, memoryMiB: request.memoryMiB, start: start, end: start + request.durationMs)
                _ = scheduler.handle(.resume(slot), now: now)
            } else {
                request.state = .lost
                request.endedAt = now
                request.outcome =
                    request.clusterJob.map {
                        "the cluster no longer lists its job \($0) (it ended while slotd was away, longer ago than the "
                            + "cluster keeps finished jobs: MinJobAge)"
                    } ?? "its process was gone when slotd restarted"
                lost.append((request, "lost: not running after restart", now))
            }
        }
        // Records for slots the store does not call running (e.g. cancelled while slotd was down): stop them.
        for id in adopted where !running.contains(where: { $0.id == id }) {
            book.stopping[id] = .cancelled
            try? executor.stop(UInt64(id))
        }
        try store.update(recorded + lost)
        // Nodes drained or down before the restart stay so (a down node's re-adopted slots are lost again).
        restoreNodeStates(try store.nodeStates())
        // Pages of pending requests, each filed in the engine's rows and queued in the scheduler before the next
        // is read, then one pass over all of them: the same decisions as one batch, without the whole batch and
        // the summaries in memory beside the rows and the queue (restart with 1M pending, BENCHMARKS.md).
        var pendingCount = 0
        var after: PendingSummary?
        let stored = try store.pendingCount()
        book.pendingRows.reserveCapacity(stored)  // one allocation each, no rehash at a million
        scheduler.reservePending(stored)
        while true {
            let page = try store.pendingSummaries(after: after, limit: SlotStore.pendingPageSize)
            for request in page { book.pendingRows[request.id] = request }
            perform(scheduler.handle(.queueBatch(page.map(Self.schedulerRequest)), now: now))
            pendingCount += page.count
            guard page.count == SlotStore.pendingPageSize else { break }
            after = page.last
        }
        perform(scheduler.handle(.tick, now: now))
        try loadAcceptances()
        for contest in try store.boosts(at: now) where book.pendingRows[contest.requestId] != nil {
            _ = scheduler.handle(.boost(requestID: UInt64(contest.requestId), Self.boost(contest)), now: now)
        }
        return (pendingCount, adopted.count, lost.count)
    }

    /// Makes sure `name` has an account (dev mode: the invoking user gets one so the first submit works).
    func ensureAccount(_ name: String, category: String) throws(StoreError) {
        guard accounts[name] == nil else { return }
        let account = StoredAccount(name: name, category: category, createdAt: now)
        try store.save(
            account,
            audit: AuditEvent(
                actor: "slotd", actorUID: Int64(getuid()), action: "account.add", target: name,
                reason: "dev mode: the user running slotd gets an account", detail: "category \(category)"), at: now)
        setAccount(name, account)
        _ = scheduler.handle(.accountChanged(Account(name: name, category: category)), now: now)
    }
}
