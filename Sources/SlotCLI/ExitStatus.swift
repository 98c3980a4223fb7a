import ArgumentParser

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
