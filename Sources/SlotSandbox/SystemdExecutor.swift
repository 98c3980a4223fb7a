import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs each slot as a transient unit `slotd-<id>.service` in `slotd.slice`, through systemd's D-Bus API: the
/// default where systemd is PID 1.
///
/// systemd confines the unit to the slot's resources (cgroups, devices, a read-only system; ``UnitProperties``)
/// and stops it at `RuntimeMaxUSec` even if slotd has died. The executor follows systemd's signals (`JobRemoved`,
/// and `PropertiesChanged` of units) on one thread of its own, reads the state of its units whenever one comes,
/// and at least every ``pollInterval`` as a fallback; it maps systemd's `Result` and the main process's exit to a
/// ``SlotOutcome``. `RemainAfterExit` keeps an exited unit loaded until its result has been read; the executor
/// then stops and resets it. Running slots are recorded in ``stateDirectory`` and re-adopted after a restart.
public final class SystemdExecutor: Sendable {
    public let gracePeriod: Duration
    public let stateDirectory: String?
    public let pollInterval: Duration
    private let bus: SystemdBus
    private let tracked: Tracked

    /// Slots being followed; shared with the poll thread, which ends when the executor is gone.
    final class Tracked: Sendable {
        struct Run: Sendable {
            var seenRunning = false
            var stopRequested = false
            var startedAt = ContinuousClock.now
            var adopted = false
        }
        let runs = Mutex<[UInt64: Run]>([:])
        let closed = Atomic<Bool>(false)
    }

    /// - Parameter busAddress: nil for the system bus; a test passes its private bus.
    public init(
        busAddress: String? = nil, gracePeriod: Duration = .seconds(10), stateDirectory: String? = nil,
        pollInterval: Duration = .seconds(1),
        onEvent: @escaping @Sendable (ProcessExecutor.Event) -> Void = { _ in }
    ) throws(ExecutorError) {
        self.bus = try SystemdBus(address: busAddress)
        self.gracePeriod = gracePeriod
        self.stateDirectory = stateDirectory.map { $0 + "/systemd-slots" }
        self.pollInterval = pollInterval
        let tracked = Tracked()
        self.tracked = tracked
        if let directory = self.stateDirectory {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        // Where no match could be added, no signal is ever counted and each wait simply lasts the poll interval.
        bus.subscribe()
        let thread = Thread { [bus, directory = self.stateDirectory] in
            while !tracked.closed.load(ordering: .relaxed) {
                Self.poll(bus, tracked, directory, onEvent)
                _ = bus.waitForChange(upTo: pollInterval)
            }
        }
        thread.name = "slotd-systemd-poll"
        thread.start()
    }

    deinit { tracked.closed.store(true, ordering: .relaxed) }

    /// Starts the slot's unit. Returns once systemd has queued its start job.
    public func start(_ launch: SlotLaunch) throws(ExecutorError) {
        let program = try launch.executablePath()
        try tracked.runs.withLock { runs throws(ExecutorError) in
            guard runs[launch.id] == nil else { throw .alreadyRunning(id: launch.id) }
            runs[launch.id] = Tracked.Run()
        }
        var properties = UnitProperties.properties(for: launch, program: program, grace: gracePeriod)
        properties.append(("RemainAfterExit", .bool(true)))
        do {
            _ = try bus.startTransientUnit(UnitProperties.unitName(launch.id), properties)
        } catch {
            _ = tracked.runs.withLock { $0.removeValue(forKey: launch.id) }
            throw .failedToStart(id: launch.id, reason: "\(error)")
        }
        if let stateDirectory {
            _ = FileManager.default.createFile(atPath: stateDirectory + "/\(launch.id)", contents: nil)
        }
    }

    /// Asks systemd to stop the slot's unit (SIGTERM to the whole cgroup, SIGKILL after the grace period).
    public func stop(_ id: UInt64) throws(ExecutorError) {
        let known = tracked.runs.withLock { runs -> Bool in
            guard runs[id] != nil else { return false }
            runs[id]?.stopRequested = true
            return true
        }
        guard known else { throw .notRunning(id: id) }
        try bus.stopUnit(UnitProperties.unitName(id))
    }

    /// Units an earlier slotd left running (recorded in ``stateDirectory``): followed again, or reported lost.
    public func adopt() -> [ProcessExecutor.Adoption] {
        guard let stateDirectory else { return [] }
        let ids = ((try? FileManager.default.contentsOfDirectory(atPath: stateDirectory)) ?? []).compactMap(UInt64.init)
        var found: [ProcessExecutor.Adoption] = []
        for id in ids.sorted() {
            // A unit that is still loaded is followed again, even if it ended while slotd was down: systemd kept
            // its result (RemainAfterExit, or a failed unit), so the next poll reports how it really ended.
            if let state = bus.unitState(UnitProperties.unitName(id)) {
                tracked.runs.withLock { $0[id] = Tracked.Run(seenRunning: true, adopted: true) }
                found.append(.adopted(id: id, pid: Int32(bitPattern: state.mainPID)))
            } else {
                try? FileManager.default.removeItem(atPath: stateDirectory + "/\(id)")
                found.append(.lost(id: id, pid: 0))
            }
        }
        return found
    }

    // MARK: Following units

    /// Loaded, but its start job has not run: inactive, no main process has ended, nothing failed. (MainPID is not
    /// consulted: the properties are read one by one, so the process may have started between the reads.)
    static func notStartedYet(_ state: SystemdBus.UnitState?) -> Bool {
        guard let state else { return false }
        return state.activeState == "inactive" && state.execMainCode == 0
            && (state.result == "success" || state.result.isEmpty)
    }

    static func hasEnded(_ state: SystemdBus.UnitState) -> Bool {
        state.activeState == "inactive" || state.activeState == "failed" || state.subState == "exited"
    }

    /// How a unit ended, from systemd's `Result` and the main process's exit (`ExecMainCode`: 1 exited, 2 killed,
    /// 3 dumped core).
    static func outcome(_ state: SystemdBus.UnitState, stopRequested: Bool) -> SlotOutcome {
        if stopRequested { return .stopped }
        switch state.result {
        case "timeout": return .timedOut
        case "oom-kill": return .outOfMemory
        default: break
        }
        switch state.execMainCode {
        case 1: return .exited(code: state.execMainStatus)
        case 2, 3: return .killed(signal: state.execMainStatus)
        default: return .exited(code: state.result == "success" ? 0 : 1)
        }
    }

    private static func poll(
        _ bus: SystemdBus, _ tracked: Tracked, _ directory: String?,
        _ onEvent: @Sendable (ProcessExecutor.Event) -> Void
    ) {
        for (id, run) in tracked.runs.withLock({ $0 }) {
            let name = UnitProperties.unitName(id)
            let state = bus.unitState(name)
            if let state, !hasEnded(state) {
                if !run.seenRunning, state.activeState == "active" || state.activeState == "activating" {
                    tracked.runs.withLock { $0[id]?.seenRunning = true }
                    if !run.adopted { onEvent(.started(id: id, pid: Int32(bitPattern: state.mainPID))) }
                }
                continue
            }
            // Right after the start call the unit may not be loaded yet, or be loaded but inactive with its start job
            // still queued (no main process yet, result "success"): give systemd a moment before calling it gone. A
            // unit that failed to start is "failed", and one that ran reads "active (exited)" (RemainAfterExit).
            if !run.seenRunning, ContinuousClock.now - run.startedAt < .seconds(5),
                state == nil || Self.notStartedYet(state)
            {
                continue
            }
            let ended: SlotOutcome =
                state.map { outcome($0, stopRequested: run.stopRequested) }
                ?? (run.stopRequested ? SlotOutcome.stopped : SlotOutcome.endedAfterRestart)
            _ = tracked.runs.withLock { $0.removeValue(forKey: id) }
            if state?.activeState == "active" { try? bus.stopUnit(name) }
            bus.resetFailed(name)
            if let directory { try? FileManager.default.removeItem(atPath: directory + "/\(id)") }
            onEvent(.ended(id: id, outcome: ended))
        }
    }
}
