import Foundation
import XCTest

/// The systemd units in Deploy/systemd: hardened (exposure ≤ 1.5 by `systemd-analyze security --offline=true`)
/// and valid (`systemd-analyze verify`).
final class DeployUnitTests: XCTestCase {
    static let units = DaemonHarness.repository.appendingPathComponent("Deploy/systemd").path
    static let threshold = 1.5

    private func analyze(_ arguments: [String], manPath: String? = nil) throws -> (status: Int32, output: String) {
        let tool = "/usr/bin/systemd-analyze"
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            throw XCTSkip("systemd-analyze is not installed (.ci/run installs it)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        var environment = ProcessInfo.processInfo.environment
        environment["SYSTEMD_COLORS"] = "0"
        if let manPath { environment["MANPATH"] = manPath }
        process.environment = environment
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    /// Invariant: slotd.service's overall exposure is at most 1.5.
    func testServiceExposureIsLow() throws {
        let (_, output) = try analyze(["security", "--offline=true", "--no-pager", Self.units + "/slotd.service"])
        let line = try XCTUnwrap(
            output.split(separator: "\n").first { $0.contains("Overall exposure level") },
            output)
        let words = line.split(separator: " ")
        let index = try XCTUnwrap(words.firstIndex { $0.hasSuffix("slotd.service:") }, String(line))
        let exposure = try XCTUnwrap(Double(words[index + 1]), String(line))
        XCTAssertLessThanOrEqual(exposure, Self.threshold, output)
    }

    /// Invariant: the service, socket and slice load without a warning, and every `Documentation=man:` page they
    /// name exists (Deploy/man, through MANPATH). The service's ExecStart points at the built slotd for the check
    /// (verify requires the binary to exist).
    func testUnitsVerify() throws {
        let directory = NSTemporaryDirectory() + "slotd-units-\(UUID())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let slotd = DaemonHarness.binaries.appendingPathComponent("slotd").path
        for unit in ["slotd.service", "slotd.socket", "slotd.slice"] {
            let text = try String(contentsOfFile: Self.units + "/" + unit, encoding: .utf8)
                .replacingOccurrences(of: "ExecStart=/usr/bin/slotd", with: "ExecStart=" + slotd)
            try text.write(toFile: directory + "/" + unit, atomically: true, encoding: .utf8)
        }
        let pages = DaemonHarness.repository.appendingPathComponent("Deploy/man").path
        for page in ["slotctl.1", "slotd.8", "slotd.toml.5", "slotd-policy.5"] {
            let section = directory + "/man/man" + String(page.last ?? "1")
            try FileManager.default.createDirectory(atPath: section, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: pages + "/" + page, toPath: section + "/" + page)
        }
        let (status, output) = try analyze(
            ["verify"]
                + ["slotd.service", "slotd.socket", "slotd.slice"]
                .map { directory + "/" + $0 }, manPath: directory + "/man")
        XCTAssertEqual(status, 0, output)
        XCTAssertEqual(output.trimmingCharacters(in: .whitespacesAndNewlines), "", output)
    }

    /// Invariant: the socket is the contract's path with the fd name slotd looks for.
    func testSocketNamesTheVarlinkDescriptor() throws {
        let text = try String(contentsOfFile: Self.units + "/slotd.socket", encoding: .utf8)
        XCTAssertTrue(text.contains("\nListenStream=/run/slotd/io.slotd\n"))
        XCTAssertTrue(text.contains("\nFileDescriptorName=varlink\n"))
    }

    /// Invariant: the four man pages exist and render; the hand-written ones without a single groff warning, and
    /// slotctl(1) documents the newest verbs (regenerate with Deploy/man/regenerate when the CLI changes).
    func testManPagesRender() throws {
        let groff = "/usr/bin/groff"
        guard FileManager.default.isExecutableFile(atPath: groff) else { throw XCTSkip("groff is not installed") }
        let directory = DaemonHarness.repository.appendingPathComponent("Deploy/man").path
        for (page, handWritten) in [
            ("slotctl.1", false), ("slotd.8", false), ("slotd.toml.5", true),
            ("slotd-policy.5", true),
        ] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: groff)
            // -P -bcou: plain text, no bold or underline by overstriking, so the text can be searched.
            process.arguments = ["-mandoc", "-ww", "-Tutf8", "-P", "-bcou", directory + "/" + page]
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let warnings = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0, "\(page): \(warnings)")
            XCTAssertTrue(text.contains("NAME"), page)
            if handWritten { XCTAssertEqual(warnings, "", page) }
        }
        let slotctl = try String(contentsOfFile: directory + "/slotctl.1", encoding: .utf8)
        for verb in ["submit", "diff", "no-network"] {
            XCTAssertTrue(slotctl.contains(verb), "slotctl.1 does not mention \(verb): run Deploy/man/regenerate")
        }
    }

    /// Invariant: the package's maintainer scripts and the e2e scripts parse, and every file build-deb installs from
    /// the repository exists (a renamed unit or page would otherwise surface only in the booted test).
    func testPackageScriptsParseAndTheirSourcesExist() throws {
        let root = DaemonHarness.repository.path
        func parses(_ shell: String, _ file: String) throws -> Bool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: shell)
            process.arguments = ["-n", root + "/" + file]
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus == 0
        }
        for script in ["Deploy/deb/postinst", "Deploy/deb/prerm", "Deploy/deb/postrm"] {
            XCTAssertTrue(try parses("/bin/sh", script), "\(script) does not parse")
            XCTAssertTrue(
                FileManager.default.isExecutableFile(atPath: root + "/" + script), "\(script) is not executable")
        }
        for script in ["Deploy/deb/build-deb", "Deploy/e2e/booted-systemd-test", "Deploy/e2e/inside.sh"] {
            XCTAssertTrue(try parses("/bin/bash", script), "\(script) does not parse")
        }
        let builder = try String(contentsOfFile: root + "/Deploy/deb/build-deb", encoding: .utf8)
        for source in [
            "Deploy/systemd/slotd.service", "Deploy/systemd/slotd.socket", "Deploy/systemd/slotd.slice",
            "Deploy/sysusers.d/slotd.conf", "Deploy/polkit/50-slotd.rules", "Deploy/etc/slotd.toml",
            "Policies/default.toml", "Policies/agreement.md", "docs/law.md",
        ] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/" + source), "\(source) is missing")
            let named =
                builder.contains(source)
                || (source.hasPrefix("Deploy/systemd/") && builder.contains("Deploy/systemd/$unit"))
            XCTAssertTrue(named, "build-deb does not install \(source)")
        }
    }
}
