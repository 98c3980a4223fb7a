import Foundation

/// Named points where a test kills slotd outright, to prove that no kill loses or repeats a slot: with
/// `SLOTD_FAILPOINT=NAME` in slotd's environment, reaching point NAME sends slotd SIGKILL (no cleanup, no flush,
/// as a power cut or the OOM killer would). Unset, a point costs one comparison. Only slotd's own environment arms
/// it, which its operator controls (the unit file); no client can.
///
/// Points: `grant` (the scheduler granted a slot, nothing recorded yet), `submit` (the grant is on disk, the cluster
/// not asked yet), `submitted` (the cluster took the job, slotd has not recorded its id).
public enum FailPoint {
    static let armed: String? = ProcessInfo.processInfo.environment["SLOTD_FAILPOINT"]

    public static func hit(_ name: String) {
        guard let armed, armed == name else { return }
        FileHandle.standardError.write(Data("slotd: fail point \(name) reached: killing slotd\n".utf8))
        kill(getpid(), SIGKILL)
    }
}
