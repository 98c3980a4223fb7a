import ArgumentParser
import Foundation

/// The exit codes of the public contract (ARCHITECTURE.md); scripts depend on them.
enum ExitStatus: Int32 {
    case ok = 0
    case error = 1
    case usage = 2
    case notFound = 3
    case permissionDenied = 4
    case rejectedByPolicy = 5

    var exitCode: ExitCode { ExitCode(rawValue) }
}

/// A usage problem found after parsing (it needs the daemon's answer): the message, and exit status 2.
func usageFailure(_ message: String) throws -> Never {
    FileHandle.standardError.write(Data("slotctl: \(message)\n".utf8))
    throw ExitStatus.usage.exitCode
}
