import Foundation
import XCTest

/// The reference Python Varlink client (PyPI `varlink==31.0.0`) works against slotd unmodified.
/// `.ci/run` installs it into `.venv-varlink`; set `SLOTD_VARLINK_PYTHON` to use another interpreter.
final class InteropTests: XCTestCase {
    /// Invariant: GetInfo, GetInterfaceDescription (every IDL parses), Submit, Get, List, Explain, Watch (more),
    /// Cancel, the named errors, Agreement, Contests.Open/List and Reports.Allocation all work from the reference
    /// client.
    func testReferencePythonClient() throws {
        let python =
            ProcessInfo.processInfo.environment["SLOTD_VARLINK_PYTHON"]
            ?? DaemonHarness.repository.path + "/.venv-varlink/bin/python"
        try XCTSkipUnless(
            FileManager.default.isExecutableFile(atPath: python),
            "no Python with `varlink` at \(python); .ci/run installs it")
        let daemon = try DaemonHarness()
        try daemon.start()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [DaemonHarness.repository.path + "/Tests/Interop/varlink_client.py", daemon.socket]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("checks passed"), text)
    }
}
