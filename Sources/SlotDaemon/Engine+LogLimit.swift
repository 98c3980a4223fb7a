import Foundation
import SlotSandbox

/// Each slot's log is bounded (`limits.max_log_mib`): a slot whose log passes the limit is stopped, as a cancel
/// stops it (SIGTERM, then SIGKILL after the grace period), and ends `failed` with the outcome "stopped: its log
/// passed the limit". Its log is kept, up to the limit plus what it wrote before the check (checked four times a
/// second; at 700 MiB/s, about 175 MiB more). Logs live in `logs_directory`, which the operator can put on another
/// filesystem than the database.
extension Engine {
    static let logCheckInterval = Duration.milliseconds(250)

    /// Stops every running slot whose log is over the limit.
    func enforceLogLimits() {
        let limit = config.limits.maxLogBytes
        for (id, request) in book.active where book.stopping[id] == nil {
            guard let path = request.logFile else { continue }
            var info = stat()
            guard stat(path, &info) == 0, Int64(info.st_size) > limit else { continue }
            logger.warning("request \(id): log \(path) passed \(limit >> 20) MiB; stopping the slot")
            book.stopping[id] = .failed
            book.logLimited.insert(id)
            try? executor.stop(UInt64(id))
        }
    }

    /// The outcome of a slot stopped at its log limit.
    func logLimitOutcome() -> String {
        "stopped: its log passed the \(config.limits.maxLogBytes >> 20) MiB limit (limits.max_log_mib)"
    }
}
