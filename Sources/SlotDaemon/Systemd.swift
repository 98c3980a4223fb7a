import CSystemd
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// slotd's side of the systemd protocols, through libsystemd: readiness and status (`sd_notify`), the watchdog,
/// and socket activation (`sd_listen_fds_with_names`). Each is a no-op when systemd did not ask for it.
public enum Systemd {
    /// Sends `state` (`READY=1`, `STATUS=...`) to the service manager, if `NOTIFY_SOCKET` is set.
    public static func notify(_ state: String) {
        _ = sd_notify(0, state)
    }

    /// True when systemd is PID 1 (`sd_booted`).
    public static var booted: Bool { sd_booted() > 0 }

    /// The watchdog interval systemd expects pings within, if `WatchdogSec=` is set for this process.
    public static func watchdogInterval() -> Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec))
    }

    /// The listening socket systemd passed: the one named `varlink`, or the only one. Nil when not socket-activated.
    public static func listenDescriptor() -> Int32? {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(1, &names)
        guard count > 0 else { return nil }
        defer {
            for index in 0..<Int(count) { free(names?[index]) }
            free(names)
        }
        for index in 0..<Int(count) {
            if let name = names?[index], String(cString: name) == "varlink" {
                return SD_LISTEN_FDS_START + Int32(index)
            }
        }
        return count == 1 ? SD_LISTEN_FDS_START : nil
    }

    /// `MONOTONIC_USEC=` for `RELOADING=1` (systemd 253+ uses it to match the reload).
    public static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }
}
