import ArgumentParser
import Foundation
import SlotCore
import SlotPolicy

/// `slotctl policy check FILE`: validates a policy offline, with no daemon, and prints its class order.
struct PolicyCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a policy file offline and show the order in which its classes are served.",
        discussion: """
            Reports every error with file:line:column, what was expected and a hint, and warns when a class \
            could wait forever (aging cap smaller than the gap between classes). Needs no daemon.
            Exit status: 0 valid (warnings allowed), 5 rejected, 3 file not found, 1 unreadable.
            """
    )

    @Argument(help: "The policy file, e.g. Policies/default.toml.", completion: .file(extensions: ["toml"]))
    var file: String

    @OptionGroup var output: OutputOptions

    func run() throws {
        let result: PolicyCheck
        do {
            result = try PolicyLoader.check(contentsOf: file)
        } catch {
            let missing = !FileManager.default.fileExists(atPath: file)
            try fail(error, status: missing ? .notFound : .error)
        }
        let report = PolicyReport(file: file, check: result)
        print(output.json ? report.json() : report.text())
        if !result.isValid { throw ExitStatus.rejectedByPolicy.exitCode }
    }

    private func fail(_ error: PolicyError, status: ExitStatus) throws -> Never {
        if output.json {
            print(CLIError(code: error.code, message: error.description).json())
        } else {
            FileHandle.standardError.write(Data("slotctl: \(error)\n".utf8))
        }
        throw status.exitCode
    }
}

/// The JSON form of an error: `{"error":{"code":..., "message":...}}`.
struct CLIError: Encodable {
    var code: String
    var message: String

    func json() -> String {
        struct Envelope: Encodable { var error: CLIError }
        return encodeJSON(Envelope(error: self))
    }
}

func encodeJSON(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    guard let data = try? encoder.encode(value), let text = String(data: data, encoding: .utf8) else {
        return #"{"error":{"code":"internal.encoding","message":"could not encode output"}}"#
    }
    return text
}
