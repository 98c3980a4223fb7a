import Foundation

/// Paths to the repository's policy files and this target's fixtures, found from this source file.
enum PolicyFiles {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let repository = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()

    static func fixture(_ name: String) -> String { testsDirectory.appendingPathComponent("Fixtures/\(name)").path }
    static func policy(_ relative: String) -> String { repository.appendingPathComponent(relative).path }

    static var shipped: [String] {
        ["Policies/default.toml", "Policies/examples/public-sector-first.toml", "Policies/examples/equal-access.toml"]
    }
}
