import Foundation

/// Runs the built `slotctl` binary, as a user or a script would, and captures what it prints and its exit status.
struct SlotctlProcess {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The shared traces: `$SLOTD_SHARED_DIR/traces` when set, else `../shared/traces` beside the repository.
    static var traces: String {
        let shared =
            ProcessInfo.processInfo.environment["SLOTD_SHARED_DIR"]
            ?? repository.deletingLastPathComponent().appendingPathComponent("shared").path
        return URL(fileURLWithPath: shared).appendingPathComponent("traces").path
    }

    /// `slotctl` sits next to the test bundle in the build directory.
    static var binary: URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("slotctl").path),
            directory.pathComponents.count > 1
        {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("slotctl")
    }

    static func run(_ arguments: String...) throws -> Output { try run(arguments: arguments) }

    static func run(arguments: [String]) throws -> Output {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = repository
        var environment = ProcessInfo.processInfo.environment
        environment["COLUMNS"] = "100"
        process.environment = environment
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

    static func golden(_ name: String) throws -> String {
        try String(contentsOf: repository.appendingPathComponent("Tests/SlotCLITests/Golden/\(name)"), encoding: .utf8)
    }
}
