import Foundation
import SlotClient
import SlotProtocol
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the built `slotd` in dev mode in a fresh state directory, as an operator would, and the built `slotctl`
/// against it, as any user (through `setpriv`). Every daemon a test starts is stopped by the test, by its PID.
final class DaemonHarness {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The build directory holding `slotd` and `slotctl` (next to the test bundle).
    static var binaries: URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("slotd").path),
            directory.pathComponents.count > 1
        {
            directory.deleteLastPathComponent()
        }
        return directory
    }

    let state: String
    let socket: String
    let policy: String
    let inventory: String
    var process: Process?
    var extraEnvironment: [String: String] = [:]
    /// Whether `start` accepts the user agreement for the user running the tests (its dev-mode account), so tests
    /// about other things can submit. Tests of the agreement itself turn this off.
    var acceptAgreement = true
    /// More `slotd` arguments, e.g. `--config FILE`.
    var extraArguments: [String] = []
    private(set) var stderrFile: String

    init(inventory: String = "1x4:8:64", policy: String? = nil) throws {
        let base = "/tmp/slotd-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(
            atPath: base, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o755])
        state = base
        socket = base + "/io.slotd"
        stderrFile = base + "/slotd.stderr"
        self.inventory = inventory
        let policyPath = base + "/policy.toml"
        try FileManager.default.copyItem(
            atPath: policy ?? Self.repository.path + "/Policies/default.toml",
            toPath: policyPath)
        // The default policy names its user agreement by a path relative to the policy file.
        try FileManager.default.copyItem(
            atPath: Self.repository.path + "/Policies/agreement.md",
            toPath: base + "/agreement.md")
        self.policy = policyPath
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: state)
    }

    var pid: Int32 { process?.processIdentifier ?? 0 }

    /// Writes `text` as this daemon's `slotd.toml` and passes it with `--config`.
    func configure(_ text: String) throws {
        try text.write(toFile: state + "/slotd.toml", atomically: true, encoding: .utf8)
        extraArguments += ["--config", state + "/slotd.toml"]
    }

    /// Starts slotd and waits until its socket answers.
    @discardableResult
    func start(waitReady: Bool = true) throws -> Process {
        let process = Process()
        process.executableURL = Self.binaries.appendingPathComponent("slotd")
        process.arguments =
            [
                "--dev", "--state-directory", state, "--policy", policy, "--socket", socket,
                "--inventory", inventory, "--log-level", "warning",
            ] + extraArguments
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "NOTIFY_SOCKET")
        environment.removeValue(forKey: "LISTEN_FDS")
        for (key, value) in extraEnvironment { environment[key] = value }
        process.environment = environment
        FileManager.default.createFile(atPath: stderrFile, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: stderrFile)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        self.process = process
        if waitReady {
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                if let connection = try? VarlinkConnection(path: socket),
                    (try? connection.call("io.slotd.System.Status", Empty(), as: StatusReply.self)) != nil
                {
                    if acceptAgreement { try accept(connection) }
                    return process
                }
                guard process.isRunning else { break }
                usleep(50_000)
            }
            throw HarnessError.notReady(log: stderr)
        }
        return process
    }

    var stderr: String { (try? String(contentsOfFile: stderrFile, encoding: .utf8)) ?? "" }

    /// Accepts the agreement in force over `connection` (as the connection's user), as `slotctl agreement accept`
    /// does: the version and hash sent are those just read.
    func accept(_ connection: VarlinkConnection) throws {
        let agreement = try connection.call("io.slotd.Accounts.Agreement", Empty(), as: AgreementReply.self)
        guard agreement.required, !agreement.accepted, let version = agreement.version, let hash = agreement.hash
        else { return }
        _ = try connection.call(
            "io.slotd.Accounts.AcceptAgreement",
            AcceptAgreementParameters(version: version, hash: hash), as: AgreementReply.self)
    }

    /// `slotctl agreement accept --yes` as `user` (after an admin gave them an account).
    func acceptAgreement(as user: String) throws {
        let output = try slotctl(["agreement", "accept", "--yes"], as: user)
        guard output.status == 0 else {
            throw HarnessError.failed(arguments: ["agreement", "accept"], status: output.status, stderr: output.stderr)
        }
    }

    /// SIGTERM and wait (graceful stop).
    func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }

    /// SIGKILL and wait (a crash). Reaps the daemon itself: Foundation's `waitUntilExit` was seen to miss a child
    /// killed this way and hang. The process is forgotten afterwards, so nothing signals its (reusable) pid again.
    func crash() {
        guard let process, process.isRunning else { return }
        let pid = process.processIdentifier
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while process.isRunning {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped < 0 && errno == ECHILD) { break }
            usleep(10_000)
        }
        self.process = nil
    }

    /// Waits up to `seconds` for slotd to exit by itself (a fail point killed it); true when it did. Reaps it as
    /// ``crash()`` does, and forgets it.
    func awaitExit(_ seconds: Double) -> Bool {
        guard let process else { return true }
        let pid = process.processIdentifier
        let deadline = Date().addingTimeInterval(seconds)
        var status: Int32 = 0
        while Date() < deadline {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped < 0 && errno == ECHILD) || !process.isRunning {
                self.process = nil
                return true
            }
            usleep(20_000)
        }
        return false
    }

    func connect() throws -> VarlinkConnection { try VarlinkConnection(path: socket) }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs slotctl against this daemon, as `user` (a Unix user name) when given.
    func slotctl(_ arguments: [String], as user: String? = nil, cwd: String = "/tmp") throws -> Output {
        let process = Process()
        let slotctl = Self.binaries.appendingPathComponent("slotctl").path
        if let user {
            guard let entry = getpwnam(user) else { throw HarnessError.noSuchUser(user) }
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments =
                [
                    "--reuid=\(entry.pointee.pw_uid)", "--regid=\(entry.pointee.pw_gid)", "--clear-groups",
                    slotctl,
                ] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: slotctl)
            process.arguments = arguments
        }
        var environment = ProcessInfo.processInfo.environment
        environment["SLOTD_SOCKET"] = socket
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: cwd)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Decodes slotctl's `--json` output.
    func json<T: Decodable>(_ type: T.Type, _ arguments: [String], as user: String? = nil) throws -> T {
        var arguments = arguments
        arguments.insert("--json", at: arguments.firstIndex(of: "--") ?? arguments.endIndex)
        let output = try slotctl(arguments, as: user)
        guard output.status == 0 else {
            throw HarnessError.failed(
                arguments: arguments, status: output.status, stderr: output.stderr + output.stdout)
        }
        return try JSONDecoder().decode(T.self, from: Data(output.stdout.utf8))
    }

    /// Open file descriptors of the daemon.
    var openDescriptors: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }
}

enum HarnessError: Error, CustomStringConvertible {
    case notReady(log: String)
    case failed(arguments: [String], status: Int32, stderr: String)
    case noSuchUser(String)

    var description: String {
        switch self {
        case .notReady(let log): "slotd did not become ready:\n\(log)"
        case .failed(let arguments, let status, let stderr): "slotctl \(arguments) exited \(status): \(stderr)"
        case .noSuchUser(let user): "no user \(user)"
        }
    }
}

/// True when the tests run as root (cross-user tests need to switch uid).
var runningAsRoot: Bool { getuid() == 0 }

/// Polls `condition` every 100 ms for up to `seconds`; whether it came true.
func eventually(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if try condition() { return true }
        usleep(100_000)
    }
    return try condition()
}
