import Foundation
import SlotProtocol
import SlotStore

/// What slotd does when its database cannot be written, and what it refuses before that happens.
///
/// **The rule** (docs/security.md, "Never half-recorded"): a decision is carried out only once it is on disk.
/// When a write fails (full disk, I/O error), slotd *stops granting*: the scheduler starts nothing
/// (`Scheduler.granting`), a start whose record failed is undone before anything runs (the request is pending
/// again, as the database still says), and Submit, Cancel and every other change answer `StoreUnavailable`, while
/// reads keep working. State changes that already happened (a slot ended) are kept in memory and written, in
/// order, as soon as a write succeeds; slotd retries every tick, says so in `status` and the journal, and grants
/// again once the database is writable. A request is therefore never started twice, and never started without a
/// record that lets a restart find it: after a kill -9 in this state, the database still says pending, and the
/// slot runs once.
///
/// **Before that**: new requests are refused (`DiskNearlyFull`) while the database's or the logs' filesystem has
/// less than `limits.min_free_disk_mib` free, and (`TooManyPending`) while the caller has
/// `limits.max_pending_per_user` requests pending, so one user cannot fill a queue class for everyone.
extension Engine {
    /// This capability's state.
    struct WriteGuardState {
        /// Why the database cannot be written, while it cannot (nothing is granted meanwhile).
        var storeFailure: String?
        /// State changes made while the database could not be written, in order, written as soon as it can be.
        var unrecorded: [StateChange] = []
        /// The last free-space check: when, and the filesystem found nearly full.
        var diskChecked: (at: Int64, full: (what: String, freeMiB: Int)?) = (.min / 2, nil)
    }

    /// Refuses any change while the database cannot be written.
    func requireWritable() throws(WireError) {
        if let failure = writeGuard.storeFailure { throw .storeUnavailable(failure) }
    }

    /// Everything a new request must pass before it is even stored.
    func admitNewRequest(_ caller: Caller) throws(WireError) {
        try requireWritable()
        try requireDiskSpace()
        let limit = config.limits.maxPendingPerUser
        let uid = Int64(caller.uid)
        guard book.pendingRows.pending(uid: uid) + commits.submitsInBatch[caller.uid, default: 0] < limit else {
            throw .tooManyPending(limit: limit)
        }
    }

    /// DiskNearlyFull while the database's or the logs' filesystem is under the configured free space (checked at
    /// most once a second).
    func requireDiskSpace() throws(WireError) {
        let limit = config.limits.minFreeDiskMiB
        guard limit > 0 else { return }
        let now = self.now
        if now - writeGuard.diskChecked.at >= 1_000 {
            writeGuard.diskChecked = (now, nil)
            for (what, path) in [
                ("the database's filesystem", config.stateDirectory), ("the logs' filesystem", config.logs),
            ] {
                var fs = statvfs()
                guard statvfs(path, &fs) == 0 else { continue }
                let freeMiB = Int((UInt64(fs.f_bavail) * UInt64(fs.f_frsize)) >> 20)
                if freeMiB < limit {
                    writeGuard.diskChecked.full = (what + " (\(path))", freeMiB)
                    break
                }
            }
        }
        if let full = writeGuard.diskChecked.full {
            throw .diskNearlyFull(full.what, freeMiB: full.freeMiB, limit: limit)
        }
    }

    /// A write of `changes` failed with `error`: stop granting, keep the changes to write later.
    func storeWriteFailed(_ error: any Error, keeping changes: [StateChange]) {
        writeGuard.unrecorded += changes
        guard writeGuard.storeFailure == nil else { return }
        writeGuard.storeFailure = "\(error)"
        scheduler.granting = false
        logger.critical(
            """
            cannot write the database: \(error). slotd grants no slot and refuses changes until a write succeeds; \
            reads keep working. Free space on \(config.stateDirectory) (or fix the disk); slotd retries every second.
            """)
    }

    /// While writes fail: tries the changes kept so far (or a probe write), and on success grants again.
    func retryStore() {
        guard writeGuard.storeFailure != nil else { return }
        do {
            if writeGuard.unrecorded.isEmpty {
                try store.probeWrite(at: now)
            } else {
                try store.update(writeGuard.unrecorded)
            }
        } catch {
            return
        }
        logger.notice(
            "the database can be written again: \(writeGuard.unrecorded.count) kept state change(s) recorded; granting slots again"
        )
        writeGuard.unrecorded = []
        writeGuard.storeFailure = nil
        scheduler.granting = clusterUnreachable == nil
        perform(scheduler.handle(.tick, now: now))
    }
}

/// One state change of a request, as the store records it.
typealias StateChange = (request: StoredRequest, detail: String, at: Int64)
