import Foundation
import SlotSandbox
import Testing

/// After a restart the executor finds what an earlier one left running: it re-adopts the same process or reports
/// the slot lost. It never starts anything on its own.
@Suite struct ReadoptionTests {
    let directory: String

    init() throws {
        directory =
            FileManager.default.temporaryDirectory.appendingPathComponent("slotd-state-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// A workload an earlier daemon left behind: a process and its record, written as the executor writes them.
    func orphan(_ id: UInt64, deadlineIn millis: Int64) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sleep")
        process.arguments = ["30"]
        try process.run()
        let stat = try String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8)
        let fields = stat[stat.index(after: try #require(stat.lastIndex(of: ")")))...].split(separator: " ")
        let deadline = Int64(Date().timeIntervalSince1970 * 1_000) + millis
        let record = """
            {"id":\(id),"pid":\(process.processIdentifier),"startTime":\(fields[19]),\
            "deadlineEpochMillis":\(deadline),"logFile":"\(directory)/slot-\(id).log"}
            """
        try record.write(toFile: "\(directory)/slot-\(id).json", atomically: true, encoding: .utf8)
        return process
    }

    /// Waits (on this thread, not the task pool, which other tests may keep busy) for slot `id` to end.
    func outcome(_ executor: ProcessExecutor, _ id: UInt64, within seconds: Int = 30) -> SlotOutcome? {
        executor.waitForOutcome(of: id, timeout: .seconds(seconds))
    }

    @Test("Invariant: a slot still running after a restart is re-adopted, never started again, and can be stopped")
    func readoptAndStop() async throws {
        let process = try orphan(7, deadlineIn: 60_000)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let executor = ProcessExecutor(gracePeriod: .milliseconds(300), stateDirectory: directory)
        #expect(executor.adopt() == [.adopted(id: 7, pid: process.processIdentifier)])
        #expect(executor.running == [7])
        #expect(throws: ExecutorError.alreadyRunning(id: 7)) {
            try executor.start(
                SlotLaunch(
                    id: 7, command: ["true"], workingDirectory: directory, timeLimit: 1_000,
                    logFile: directory + "/x.log"))
        }
        try executor.stop(7)
        process.waitUntilExit()  // the test is the real parent here, and reaps it
        let ended = outcome(executor, 7)
        #expect(ended == .stopped)
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/slot-7.json"), "the record is removed")
    }

    @Test("Invariant: a re-adopted slot keeps its original deadline")
    func readoptKeepsDeadline() async throws {
        let process = try orphan(8, deadlineIn: 800)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let executor = ProcessExecutor(gracePeriod: .milliseconds(300), stateDirectory: directory)
        #expect(executor.adopt() == [.adopted(id: 8, pid: process.processIdentifier)])
        process.waitUntilExit()
        let ended = outcome(executor, 8)
        #expect(ended == .timedOut)
    }

    @Test("Invariant: a record whose process is gone is reported lost and removed, not forgotten silently")
    func lostSlot() throws {
        let process = try orphan(9, deadlineIn: 60_000)
        kill(process.processIdentifier, SIGKILL)  // Foundation's terminate() sends SIGTERM, which a child may block
        process.waitUntilExit()
        let executor = ProcessExecutor(stateDirectory: directory)
        #expect(executor.adopt() == [.lost(id: 9, pid: process.processIdentifier)])
        #expect(executor.running.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/slot-9.json"))
    }

    @Test("Invariant: the executor records a running slot and removes the record when it ends")
    func recordsLifecycle() async throws {
        let executor = ProcessExecutor(stateDirectory: directory)
        try executor.start(
            SlotLaunch(
                id: 10, command: ["/bin/sh", "-c", "sleep 0.3"], workingDirectory: directory,
                timeLimit: 10_000, logFile: directory + "/slot-10.log"))
        #expect(FileManager.default.fileExists(atPath: "\(directory)/slot-10.json"))
        let ended = outcome(executor, 10)
        #expect(ended == .exited(code: 0))
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/slot-10.json"))
    }
}
