import Dispatch
import Synchronization

/// Calls whose cost the caller controls (`Policy.Check` parses a whole policy text, up to a frame's size; a report
/// reads up to three years of history): they run
/// one at a time on a thread of their own, never on the engine nor on the task pool that serves everyone else,
/// and each uid (root too) may make at most `perMinute` of them. A user looping big checks slows only her
/// own calls and the expensive calls queued behind them, never a Submit or a Status.
final class ExpensiveCalls: Sendable {
    let perMinute: Int
    private let queue = DispatchQueue(label: "slotd.expensive-calls", qos: .utility)
    /// When each uid's calls of the last minute were admitted.
    private let recent = Mutex<[UInt32: [ContinuousClock.Instant]]>([:])

    init(perMinute: Int) { self.perMinute = perMinute }

    /// Counts a call of `uid` in, or returns false when it made `perMinute` in the last minute.
    func admit(_ uid: UInt32, now: ContinuousClock.Instant = .now) -> Bool {
        return recent.withLock { recent in
            let window = (recent[uid] ?? []).filter { now - $0 < .seconds(60) }
            guard window.count < perMinute else {
                recent[uid] = window
                return false
            }
            recent[uid] = window + [now]
            // Forget uids with nothing in the window, so the table stays as small as the active callers.
            if recent.count > 1_024 { recent = recent.filter { $0.value.contains { now - $0 < .seconds(60) } } }
            return true
        }
    }

    /// Runs `body` on the expensive calls' own thread, after those queued before it.
    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }
}
