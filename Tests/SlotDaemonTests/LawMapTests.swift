import Foundation
import XCTest

/// docs/law.md maps each provision of the law to a feature and the tests that prove it. Those references must
/// stay true: every named test file exists and defines the named test.
final class LawMapTests: XCTestCase {
    /// Invariant: every `` `Tests/...swift` › `name` `` in the map names an existing test function in that file,
    /// and every provision the issue lists has a row.
    func testEveryNamedTestExists() throws {
        let root = DaemonHarness.repository.path
        let map = try String(contentsOfFile: root + "/docs/law.md", encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: "`(Tests/[^`]+\\.swift)` › `([A-Za-z0-9_]+)`")
        let matches = pattern.matches(in: map, range: NSRange(map.startIndex..., in: map))
        XCTAssertGreaterThan(matches.count, 15, "the map names too few tests")
        for match in matches {
            guard let fileRange = Range(match.range(at: 1), in: map), let nameRange = Range(match.range(at: 2), in: map)
            else { continue }
            let file = String(map[fileRange]), name = String(map[nameRange])
            guard let source = try? String(contentsOfFile: root + "/" + file, encoding: .utf8) else {
                XCTFail("docs/law.md names \(file), which does not exist")
                continue
            }
            XCTAssertTrue(source.contains("func \(name)("), "docs/law.md names \(file) › \(name), which does not exist")
        }
        XCTAssertFalse(map.contains("not built yet"), "docs/law.md still lists provisions as not built")
        for provision in [
            "Art. 6", "Art. 7.1", "Art. 7.2", "Art. 8", "Art. 8.1", "Art. 8.2", "Art. 8.3", "Art. 10.1",
            "Art. 10.2", "Art. 11.1", "Art. 15.2.5", "Art. 16.1.4", "Art. 17.4", "Art. 25.1",
            "Art. 26.1", "Art. 26.2", "Art. 26.3",
        ] {
            XCTAssertTrue(map.contains("| \(provision) |"), "docs/law.md has no row for \(provision)")
        }
    }
}
