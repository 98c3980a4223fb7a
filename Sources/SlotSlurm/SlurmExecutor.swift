import Foundation
import SlotSandbox
import Synchronization

/// Runs granted slots as Slurm batch jobs: slotd decides, Slurm runs. Each slot is one job in slotd's partition,
/// pinned to the nodes slotd chose, as the applicant, tied to its request by its comment (`slotd:ID`). A poller
/// follows the jobs with `squeue --json` and reports when each starts and ends, with Slurm's end state as the
/// outcome; after a restart, `adopt()` finds slotd's jobs again by their comments.
public final class SlurmExecutor: SlotExecutor {
    public let tools: SlurmTools
    public let partition: String
    /// This slotd installation's mark in its jobs' comments (``SlurmSubmission/comment(_:instance:)``).
    public let instance: String
    /// How often jobs are polled.
    public let interval: Duration
    private let onEvent: @Sendable (ProcessExecutor.Event) -> Void
    /// Slot id → Slurm job id, and whether its start was reported.
    private let jobs = Mutex<[UInt64: (job: Int, started: Bool)]>([:])
    private let closed = Atomic<Bool>(false)
    /// Each node's last reported state, to report changes only.
    private let nodeStates = Mutex<[String: String]>([:])
    private let polls = Atomic<Int>(0)
    /// Slots whose sbatch has not answered yet; one stopped meanwhile is taken out, and cancelled once it has a job.
    private let submitting = Mutex<Set<UInt64>>([])
    private let submissions = DispatchQueue(label: "slotd-slurm-submit")
    /// Slots whose submission failed for want of the controller: the next attempt first looks for their job (the
    /// controller may have taken it and its answer been lost).
    private let attempted = Mutex<Set<UInt64>>([])
    /// Each followed job's last state and Slurm's reason, for ``describe(_:)``.
    private let seen = Mutex<[UInt64: (state: String, reason: String)]>([:])
    /// The holds of work outside slotd last reported.
    private let outside = Mutex<[OutsideHold]>([])

    public init(
        tools: SlurmTools, partition: String, instance: String = "", interval: Duration = .milliseconds(500),
        onEvent: @escaping @Sendable (ProcessExecutor.Event) -> Void
    ) {
        self.tools = tools
        self.partition = partition
        self.instance = instance
        self.interval = interval
        self.onEvent = onEvent
        let thread = Thread { [weak self] in
            while let self, !self.closed.load(ordering: .relaxed) {
                self.poll()
                Thread.sleep(
                    forTimeInterval: Double(self.interval.components.attoseconds) / 1e18
                        + Double(self.interval.components.seconds))
            }
        }
        thread.name = "slotd-slurm-poll"
        thread.start()
    }

    deinit { closed.store(true, ordering: .relaxed) }

    /// Hands the slot to Slurm off the caller's thread: the engine records the grant, returns, and learns the
    /// job's id (``ProcessExecutor/Event/submitted(id:job:)``) or why it was not taken
    /// (``ProcessExecutor/Event/startFailed(id:reason:unavailable:)``), so a slow controller holds up nobody's
    /// calls. Submissions go one at a time, in grant order.
    public func startSlot(_ launch: SlotLaunch) throws(ExecutorError) {
        submitting.withLock { _ = $0.insert(launch.id) }
        submissions.async { [self] in
            switch submit(launch) {
            case .success(let job):
                onEvent(.submitted(id: launch.id, job: job))
                let cancelled = submitting.withLock { $0.remove(launch.id) == nil }
                jobs.withLock { $0[launch.id] = (job, false) }
                if cancelled { try? stop(launch.id) }  // stopped while sbatch ran
            case .failure(let error):
                submitting.withLock { _ = $0.remove(launch.id) }
                if case .unavailable(_, let reason) = error {
                    onEvent(.startFailed(id: launch.id, reason: reason, unavailable: true))
                } else {
                    onEvent(.startFailed(id: launch.id, reason: "\(error)", unavailable: false))
                }
            }
        }
    }

    /// Submits the slot's job, once: a job of this slot that Slurm already has (a submission whose answer was lost
    /// to a timeout, then retried once the controller came back) is followed, not submitted again. A first attempt
    /// needs no look: a slot granted again after a restart is one the cluster did not list (`Engine+Recovery`).
    func submit(_ launch: SlotLaunch) -> Result<Int, ExecutorError> {
        if attempted.withLock({ $0.contains(launch.id) }) {
            let existing: [SlurmJob]
            do { existing = try ownJobs() } catch {
                return .failure(.unavailable(id: launch.id, reason: "\(error)"))
            }
            // The comment names the slot; the job's user must be the slot's too (defence in depth beside the gate,
            // which refuses users' changes to the partition's jobs).
            let owner = Int(launch.user?.uid ?? getuid())
            if let job = existing.first(where: { $0.slotID == launch.id && $0.userID == owner }) {
                attempted.withLock { _ = $0.remove(launch.id) }
                return .success(job.jobID)
            }
        }
        let result = sbatch(launch)
        attempted.withLock {
            if case .failure(.unavailable) = result { $0.insert(launch.id) } else { $0.remove(launch.id) }
        }
        return result
    }

    private func sbatch(_ launch: SlotLaunch) -> Result<Int, ExecutorError> {
        if let problem = Self.prepareLog(launch) { return .failure(.failedToStart(id: launch.id, reason: problem)) }
        FailPoint.hit("submit")
        let output: Data
        do {
            output = try tools.run(
                "sbatch", SlurmSubmission.arguments(for: launch, partition: partition, instance: instance),
                input: Data(SlurmSubmission.script(for: launch).utf8))
        } catch .timedOut(let tool, let seconds) {
            return .failure(.unavailable(id: launch.id, reason: "\(tool) did not answer within \(seconds) s"))
        } catch .failed(_, _, let message) where Self.unreachable(message) {
            return .failure(
                .unavailable(id: launch.id, reason: message.trimmingCharacters(in: .whitespacesAndNewlines)))
        } catch { return .failure(.failedToStart(id: launch.id, reason: "\(error)")) }
        FailPoint.hit("submitted")
        // --parsable prints `JOBID` or `JOBID;CLUSTER`.
        let text = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let job = Int(text.split(separator: ";").first ?? "") else {
            return .failure(
                .failedToStart(id: launch.id, reason: "sbatch printed '\(text.prefix(200))', not a job id"))
        }
        return .success(job)
    }

    public func stop(_ id: UInt64) throws(ExecutorError) {
        guard let job = jobs.withLock({ $0[id]?.job }) else {
            // Still being submitted: it is cancelled as soon as sbatch answers.
            if submitting.withLock({ $0.remove(id) != nil }) { return }
            throw .notRunning(id: id)
        }
        do { _ = try tools.run("scancel", [String(job)]) } catch {
            throw .failedToStart(id: id, reason: "scancel \(job): \(error)")
        }
    }

    /// slotd's jobs Slurm still knows (running, pending, or ended within `MinJobAge`): each is followed again, and
    /// one that ended while slotd was down is reported ended by the next poll, with its outcome.
    public func adopt() -> [ProcessExecutor.Adoption] {
        guard let found = try? ownJobs() else { return [] }
        var adoptions: [ProcessExecutor.Adoption] = []
        jobs.withLock { jobs in
            for job in found {
                guard let id = job.slotID, jobs[id] == nil else { continue }
                jobs[id] = (job.jobID, false)
                adoptions.append(.adopted(id: id, pid: Int32(truncatingIfNeeded: job.jobID)))
            }
        }
        return adoptions
    }

    /// Creates the slot's log as slotd, never through a link, owned by the applicant, so that Slurm (which opens
    /// `--output` as the job's user) appends to it, and the log directory stays slotd's alone. Nil when done.
    static func prepareLog(_ launch: SlotLaunch) -> String? {
        let fd = open(launch.logFile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o640)
        guard fd >= 0 else { return "log \(launch.logFile): \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        if let user = launch.user, fchown(fd, user.uid, user.gid) != 0 {
            return "log \(launch.logFile): cannot give it to uid \(user.uid): \(String(cString: strerror(errno)))"
        }
        return nil
    }

    /// Slurm's words for a controller it cannot reach.
    static func unreachable(_ message: String) -> Bool {
        ["Unable to contact slurm controller", "Connection refused", "Socket timed out", "Zero Bytes were transmitted"]
            .contains { message.contains($0) }
    }

    public func probe() -> String? {
        do {
            _ = try tools.run("squeue", ["--json", "--partition=\(partition)", "--states=RUNNING"])
            return nil
        } catch { return "\(error)" }
    }

    public var submitsJobs: Bool { true }

    public func describe(_ id: UInt64) -> String? {
        guard let job = jobs.withLock({ $0[id]?.job }) else {
            return submitting.withLock { $0.contains(id) } ? "being submitted to Slurm" : nil
        }
        guard let state = seen.withLock({ $0[id] }) else { return "Slurm job \(job)" }
        let reason = state.reason.isEmpty || state.reason == "None" ? "" : " (\(state.reason))"
        return "Slurm job \(job): \(state.state)\(reason)"
    }

    public var confinement: String {
        "a Slurm batch job each in partition \(partition): Slurm's cgroups and limits as its slurm.conf sets them; "
            + "Slurm ends it at its time limit (whole minutes) if slotd does not"
    }

    private func pollNodes() {
        guard let nodes = try? SlurmJSON.nodes(try tools.run("sinfo", ["--json"])) else { return }
        for node in nodes where node.partitions.contains(partition) {
            let state = node.condition.rawValue
            let changed = nodeStates.withLock { known in
                defer { known[node.name] = state }
                return known[node.name] != state
            }
            if changed { onEvent(.node(name: node.name, state: state, reason: node.reason)) }
        }
    }

    /// The Slurm job of slot `id`, while slotd follows it.
    public func jobID(of id: UInt64) -> Int? { jobs.withLock { $0[id]?.job } }

    private func ownJobs() throws(SlurmError) -> [SlurmJob] {
        // Only the partition's count, where the submit gate lets nobody but slotd put a job or change one.
        try partitionJobs().filter(isOwn)
    }

    /// A job of this installation's, in slotd's partition.
    private func isOwn(_ job: SlurmJob) -> Bool {
        job.partition == partition && job.slotID != nil && job.slotInstance == instance
    }

    /// Every job Slurm lists: squeue --json (22.05) lists them all whatever the filters say.
    private func partitionJobs() throws(SlurmError) -> [SlurmJob] {
        try SlurmJSON.jobs(try tools.run("squeue", ["--json", "--all", "--states=all"]))
    }

    /// Reports what jobs slotd did not start hold on the partition's nodes, when it changed. A job of slotd's
    /// partition without slotd's comment counts too (one an operator put there by hand).
    private func reportOutside(_ all: [SlurmJob]) {
        let members = Set(nodeStates.withLock { Array($0.keys) })
        let holds = all.filter { !isOwn($0) }.flatMap(\.holds)
            .filter { members.contains($0.node) }
        let changed = outside.withLock { known in
            defer { known = holds }
            return known != holds
        }
        if changed { onEvent(.outside(holds)) }
    }

    /// One look at slotd's jobs: report starts and ends. A job Slurm no longer lists ended long enough ago that
    /// its outcome is gone (`MinJobAge`).
    func poll() {
        // The nodes every fourth poll (and at the first): their changes reach the scheduler as node events.
        if polls.wrappingAdd(1, ordering: .relaxed).oldValue % 4 == 0 { pollNodes() }
        let followed = jobs.withLock { $0 }
        guard let all = try? partitionJobs() else { return }
        reportOutside(all)
        guard !followed.isEmpty else { return }
        let found = all.filter(isOwn)
        let byID = Dictionary(found.map { ($0.jobID, $0) }, uniquingKeysWith: { first, _ in first })
        // A job its node took down with it: the node's state goes first, so the slot is recorded lost with its node,
        // not as a failure of its own.
        if followed.values.contains(where: { byID[$0.job]?.state == "NODE_FAIL" }) { pollNodes() }
        for (id, entry) in followed {
            guard let job = byID[entry.job] else {
                jobs.withLock { _ = $0.removeValue(forKey: id) }
                seen.withLock { _ = $0.removeValue(forKey: id) }
                onEvent(.ended(id: id, outcome: .endedAfterRestart))
                continue
            }
            seen.withLock { $0[id] = (job.state, job.stateReason) }
            if !entry.started, job.state != "PENDING" {
                jobs.withLock { $0[id]?.started = true }
                onEvent(.started(id: id, pid: Int32(truncatingIfNeeded: job.jobID)))
            }
            if job.isFinished {
                jobs.withLock { _ = $0.removeValue(forKey: id) }
                seen.withLock { _ = $0.removeValue(forKey: id) }
                onEvent(.ended(id: id, outcome: SlurmSubmission.outcome(of: job)))
            }
        }
    }
}
