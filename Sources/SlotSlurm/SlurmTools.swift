import Foundation

/// Why a Slurm command-line call failed. Each case names the tool.
public enum SlurmError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The tool is not installed where slotd looks for it.
    case toolMissing(tool: String, path: String)
    /// It ran past its time limit and was killed (slurmctld down or slow).
    case timedOut(tool: String, seconds: Double)
    /// It exited with a failure; `message` is its stderr.
    case failed(tool: String, status: Int32, message: String)
    /// Its output was not what this slotd understands.
    case unparsable(tool: String, reason: String)

    public var code: String {
        switch self {
        case .toolMissing: "slurm.tool-missing"
        case .timedOut: "slurm.timed-out"
        case .failed: "slurm.failed"
        case .unparsable: "slurm.unparsable"
        }
    }

    public var description: String {
        switch self {
        case .toolMissing(let tool, let path): "\(tool) is not installed at \(path)"
        case .timedOut(let tool, let seconds): "\(tool) did not answer within \(seconds) s (is slurmctld up?)"
        case .failed(let tool, let status, let message):
            "\(tool) failed with status \(status): \(message.trimmingCharacters(in: .whitespacesAndNewlines))"
        case .unparsable(let tool, let reason): "\(tool) printed something slotd cannot read: \(reason)"
        }
    }
}

/// Runs Slurm's command-line tools (`sbatch`, `squeue`, `sinfo`, `scancel`): every call has a timeout, its output
/// is bounded, and it never runs on the daemon's event loop (callers are the executor's own threads or the
/// engine's start path, as the other executors' calls are).
public struct SlurmTools: Sendable {
    /// Where the tools are (Debian: /usr/bin).
    public var directory: String
    /// The most seconds one call may take.
    public var timeout: Double
    /// `SLURM_CONF` for the tools; nil: Slurm's default.
    public var configuration: String?

    public init(directory: String = "/usr/bin", timeout: Double = 10, configuration: String? = nil) {
        self.directory = directory
        self.timeout = timeout
        self.configuration = configuration
    }

    /// The most output read from one call (a cluster's whole `squeue --json`).
    static let maximumOutput = 64 << 20

    /// Runs `tool` with `arguments` (and `input` on stdin); returns its stdout.
    public func run(_ tool: String, _ arguments: [String], input: Data? = nil) throws(SlurmError) -> Data {
        let path = directory + "/" + tool
        guard FileManager.default.isExecutableFile(atPath: path) else { throw .toolMissing(tool: tool, path: path) }
        var environment = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TZ": "UTC"]
        if let configuration { environment["SLURM_CONF"] = configuration }
        let result: Subprocess.Result
        do {
            result = try Subprocess.run(
                path, arguments, environment: environment, input: input ?? Data(), timeout: timeout,
                limit: Self.maximumOutput)
        } catch .timedOut {
            throw .timedOut(tool: tool, seconds: timeout)
        } catch {
            throw .failed(tool: tool, status: -1, message: "cannot start it: \(error)")
        }
        guard result.status == 0 else {
            throw .failed(tool: tool, status: result.status, message: String(decoding: result.errors, as: UTF8.self))
        }
        return result.output
    }
}
