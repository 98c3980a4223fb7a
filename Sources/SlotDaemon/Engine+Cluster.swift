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
        scheduler.granting = writeGuard.storeFailure == nil
    }

    /// Why no slot starts now because of the cluster, for `slotctl status`.
    var clusterError: String? {
        clusterUnreachable.map { "unreachable since \(Timestamp($0.since)): \($0.reason)" }
    }
}
