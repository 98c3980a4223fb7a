import SlotCore
import SlotSandbox
import SlotStore

/// When the cluster the executor hands slots to cannot be reached (Slurm's controller down or slow), slotd keeps
/// taking, queueing, explaining and cancelling requests, starts nothing, and resumes by itself once it answers:
/// a start it could not hand over is pending again, never failed, never lost, and never submitted twice (the
/// executor looks for the slot's job before it submits).
extension Engine {
    /// How often an unreachable cluster is asked again.
    static let clusterProbeInterval: Int64 = 2_000

    /// `request` was granted but its start could not reach the cluster: it is pending again, on disk and in the
    /// scheduler, and granting pauses until the cluster answers.
    func requeueUnstarted(_ started: StoredRequest, because reason: String) {
        let now = self.now
        if clusterUnreachable == nil {
            clusterUnreachable = (now, reason, now)
            logger.error("the cluster is unreachable: \(reason); starting nothing until it answers")
        }
        scheduler.granting = false
        commit([(requeue(started), "re-queued: the cluster is unreachable (\(reason))", now)])
    }

    /// Asks the cluster again every ``clusterProbeInterval``; when it answers, granting resumes.
    func retryCluster() {
        guard let unreachable = clusterUnreachable, now - unreachable.probedAt >= Self.clusterProbeInterval else {
            return
        }
        if let reason = executor.probe() {
            clusterUnreachable = (unreachable.since, reason, now)
            return
        }
        clusterUnreachable = nil
        logger.notice("the cluster answers again; granting slots")
        adoptAwaited()
        scheduler.granting = writeGuard.storeFailure == nil
    }

    /// The slots kept running while the cluster was unreachable at start: those it still has are followed again,
    /// the others are recorded as lost.
    private func adoptAwaited() {
        guard !awaitingAdoption.isEmpty else { return }
        var adopted: Set<Int64> = []
        for case .adopted(let id, _) in executor.adopt() { adopted.insert(Int64(id)) }
        var lost: [StateChange] = []
        for id in awaitingAdoption.subtracting(adopted).sorted() {
            guard var request = book.active[id] else { continue }
            request.state = .lost
            request.endedAt = now
            request.outcome = "the cluster no longer had it when it answered again after slotd restarted"
            lost.append((request, "lost: not found in the cluster", now))
            _ = scheduler.handle(.slotEnded(requestID: UInt64(id)), now: now)
        }
        // Cancelled or expired while they could not be reached: stop them now.
        for id in awaitingAdoption.intersection(adopted) where book.stopping[id] != nil {
            try? executor.stop(UInt64(id))
        }
        awaitingAdoption = []
        commit(lost)
        perform(scheduler.handle(.tick, now: now))
    }

    /// Why no slot starts now because of the cluster, for `slotctl status`.
    var clusterError: String? {
        clusterUnreachable.map { "unreachable since \(Timestamp($0.since)): \($0.reason)" }
    }
}

/// A cluster executor hands slots over off the engine (sbatch may take seconds): its answers come back as events.
extension Engine {
    /// The cluster took slot `id` as job `job`: recorded, so a restart knows the slot was handed over.
    func clusterSubmitted(_ id: Int64, job: Int) {
        guard var request = book.active[id], request.state == .running, request.clusterJob == nil else { return }
        request.clusterJob = Int64(job)
        commit([(request, "submitted to the cluster as job \(job)", now)])
    }

    /// The cluster did not take slot `id`: pending again while it cannot be reached, failed otherwise.
    func clusterStartFailed(_ id: Int64, reason: String, unavailable: Bool) {
        guard let request = book.active[id], request.state == .running else { return }
        if book.stopping.removeValue(forKey: id) != nil {
            // Cancelled (or expired) while it was being handed over: it ends so, never started.
            var stopped = request
            stopped.state = .cancelled
            stopped.endedAt = now
            stopped.outcome = "stopped before the cluster started it"
            commit([(stopped, "cancelled before it started: \(reason)", now)])
            perform(scheduler.handle(.slotEnded(requestID: UInt64(id)), now: now))
        } else if unavailable {
            requeueUnstarted(request, because: reason)
        } else {
            startFailed(request, because: reason)
        }
    }

    /// What the cluster runs outside slotd on its nodes is held in the scheduler as taken (`Scheduler+Outside`).
    func clusterOutside(_ holds: [OutsideHold]) {
        let now = self.now
        let mapped = holds.compactMap { hold -> (UInt64, Int, Int, Int, Int, Int64)? in
            guard let node = nodeNames.firstIndex(of: hold.node) else { return nil }
            // One hold per job and node: the job id in the high bits, the node's index in the low 16.
            let key = UInt64(truncatingIfNeeded: hold.job) << 16 | UInt64(node & 0xFFFF)
            return (key, node, hold.gpus, hold.cpus, hold.memoryMiB, hold.end ?? now + 365 * 86_400_000)
        }
        if holds.count != outsideSeen {
            logger.info("work outside slotd holds \(holds.reduce(0) { $0 + $1.gpus }) GPU(s) on the cluster's nodes")
            outsideSeen = holds.count
        }
        perform(
            scheduler.holdOutside(
                mapped.map { (key: $0.0, node: $0.1, gpus: $0.2, cpus: $0.3, memoryMiB: $0.4, end: $0.5) }, now: now))
    }
}

extension Engine {
    /// This installation's mark, made once and kept in the state directory: the cluster's jobs of another slotd (or
    /// of this one before its state was wiped) are never taken for this one's.
    static func instance(_ config: DaemonConfig) throws -> String {
        let path = config.stateDirectory + "/instance"
        if let kept = try? String(contentsOfFile: path, encoding: .utf8) {
            let mark = kept.trimmingCharacters(in: .whitespacesAndNewlines)
            if !mark.isEmpty, mark.allSatisfy({ $0.isLetter || $0.isNumber }) { return mark }
        }
        let mark = String(UInt64.random(in: 1...UInt64.max), radix: 36)
        do { try (mark + "\n").write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw ConfigError.inventory("cannot keep this installation's mark in \(path): \(error)")
        }
        return mark
    }
}
