import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// What an executor needs to run a granted slot.
public struct SlotLaunch: Sendable, Hashable, Codable {
    public var id: UInt64
    /// The program and its arguments; the program is looked up on `PATH` when it has no slash.
    public var command: [String]
    public var workingDirectory: String
    public var environment: [String: String]
    /// The slot's GPUs; exported as `CUDA_VISIBLE_DEVICES`.
    public var gpuIndices: [Int]
    /// The hard limit from start, milliseconds (Art. 25: a limited period).
    public var timeLimit: Int64
    /// Where the workload's stdout and stderr go (appended).
    public var logFile: String
    /// The applicant the workload runs as; nil runs it as the executor's own user.
    public var user: SlotUser?
    /// CPUs and memory granted (the systemd executor enforces them with cgroups; nil: not limited).
    public var cpus: Int?
    public var memoryMiB: Int?
    /// Most processes and threads the slot may run.
    public var tasksMax: UInt64 = 16_384
    /// False: the workload runs with no network (Art. 17.4, restricted data).
    public var network = true
    /// A gang's nodes in rank order, each run as one process here (``execution(program:)``); empty or one node: a
    /// single process.
    public var ranks: [SlotRank] = []

    /// The device nodes of the slot's GPUs, and NVIDIA's control and unified-memory nodes they need: exactly what
    /// the slot may open (systemd's `DeviceAllow`, bubblewrap's `--dev-bind`). Empty without GPUs.
    public var gpuDevices: [String] {
        let all = Set(gpuIndices + ranks.flatMap(\.gpuIndices))
        guard !all.isEmpty else { return [] }
        return all.sorted().map { "/dev/nvidia\($0)" } + ["/dev/nvidiactl", "/dev/nvidia-uvm"]
    }

    public init(
        id: UInt64, command: [String], workingDirectory: String, environment: [String: String] = [:],
        gpuIndices: [Int] = [], timeLimit: Int64, logFile: String, user: SlotUser? = nil
    ) {
        self.user = user
        self.id = id
        self.command = command
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.gpuIndices = gpuIndices
        self.timeLimit = timeLimit
        self.logFile = logFile
    }
}

extension SlotLaunch {
    /// The PATH a bare program name is looked up on when the request sets none (never the daemon's own).
    public static let defaultPath = "/usr/local/bin:/usr/bin:/bin"

    /// The program's absolute path, checked **with the applicant's permissions** (``UserAccess``): a path is
    /// checked as given (relative to the working directory when it has no leading slash), a bare name is looked
    /// up on the slot's PATH. Both executors need it before they hand the command on: systemd does not search PATH
    /// for a D-Bus `ExecStart`, and a named failed-to-start error beats an exit status. A program in another user's
    /// 0700 directory is refused exactly as the applicant's own shell would refuse it, so the answer tells her
    /// nothing she could not learn herself.
    public func executablePath() throws(ExecutorError) -> String {
        guard let program = command.first, !program.isEmpty else {
            throw .failedToStart(id: id, reason: "no program to run")
        }
        if program.contains("/") {
            let path = program.hasPrefix("/") ? program : workingDirectory + "/" + program
            let error = UserAccess.checkExecutable(path, as: user)
            guard error == 0 else {
                throw .failedToStart(id: id, reason: "\(program): \(String(cString: strerror(error)))")
            }
            return path
        }
        let path = environment["PATH"] ?? Self.defaultPath
        for directory in path.split(separator: ":") where directory.hasPrefix("/") {
            let candidate = "\(directory)/\(program)"
            if UserAccess.checkExecutable(candidate, as: user) == 0 { return candidate }
        }
        throw .failedToStart(id: id, reason: "\(program): not found on PATH")
    }
}

/// A Unix identity to run a workload as (from the kernel-verified caller, never from a request field).
public struct SlotUser: Sendable, Hashable, Codable {
    public var uid: UInt32
    public var gid: UInt32

    public init(uid: UInt32, gid: UInt32) {
        self.uid = uid
        self.gid = gid
    }
}

/// How a slot ended.
public enum SlotOutcome: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The workload exited by itself with this status.
    case exited(code: Int32)
    /// The workload was killed by a signal it did not ask for (not by the executor).
    case killed(signal: Int32)
    /// The time limit was reached and the executor stopped the whole process group.
    case timedOut
    /// The executor stopped it on request (cancel).
    case stopped
    /// Re-adopted after a daemon restart and then ended by itself; its exit status is unknowable (it was not our
    /// child any more).
    case endedAfterRestart
    /// Killed by the kernel's or systemd's OOM killer at its memory limit.
    case outOfMemory
    /// Its node failed or was set down under it (a cluster's NODE_FAIL): the slot is lost, not its own failure.
    case nodeFailed

    public var description: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .killed(let signal): "killed by signal \(signal)"
        case .timedOut: "stopped at its time limit"
        case .stopped: "stopped on request"
        case .endedAfterRestart: "ended after a daemon restart (exit status unknown)"
        case .outOfMemory: "killed at its memory limit (out of memory)"
        case .nodeFailed: "its node failed or was set down under it"
        }
    }
}

/// Why an executor could not do what was asked. Stable codes for the wire.
public enum ExecutorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The workload could not be started (bad program, working directory, log file...).
    case failedToStart(id: UInt64, reason: String)
    case alreadyRunning(id: UInt64)
    case notRunning(id: UInt64)
    /// The systemd executor cannot reach systemd's D-Bus API.
    case busUnavailable(reason: String)
    /// The process executor cannot give slots cgroups of their own here (they run without; it is logged at start).
    case cgroupsUnavailable(reason: String)
    /// A systemd D-Bus call failed (e.g. access denied by polkit, bad property).
    case bus(method: String, unit: String, reason: String)
    /// The cluster the executor hands slots to cannot be reached now (Slurm's controller down or slow): nothing was
    /// started; the slot may be started again once it answers.
    case unavailable(id: UInt64, reason: String)

    public var code: String {
        switch self {
        case .failedToStart: "executor.failed-to-start"
        case .alreadyRunning: "executor.already-running"
        case .notRunning: "executor.not-running"
        case .busUnavailable: "executor.bus-unavailable"
        case .cgroupsUnavailable: "executor.cgroups-unavailable"
        case .bus: "executor.bus-call-failed"
        case .unavailable: "executor.unavailable"
        }
    }

    public var description: String {
        switch self {
        case .failedToStart(let id, let reason): "slot \(id) failed to start: \(reason)"
        case .unavailable(let id, let reason): "slot \(id) not started: the cluster is unreachable: \(reason)"
        case .alreadyRunning(let id): "slot \(id) is already running"
        case .notRunning(let id): "slot \(id) is not running"
        case .busUnavailable(let reason): "cannot reach systemd over D-Bus: \(reason)"
        case .cgroupsUnavailable(let reason): "no cgroups for slots: \(reason)"
        case .bus(let method, let unit, let reason): "systemd \(method)(\(unit)) failed: \(reason)"
        }
    }
}
