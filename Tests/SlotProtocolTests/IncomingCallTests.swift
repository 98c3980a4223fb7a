import Foundation
@testable import SlotProtocol
import SlotTestSupport
import Testing

/// `IncomingCall.decode` reads well-formed Submit calls through yajl and everything else through Foundation.
/// Invariant: whenever the fast path accepts a frame, Foundation decodes that frame to the same call; and every
/// ordinary Submit, in any key order, with nulls and unknown keys, is taken by the fast path.
@Suite struct IncomingCallTests {
    /// Foundation's decoder of calls, with the parameter type the daemon's route table gives Submit.
    static let foundation = IncomingCall.decoder(["io.slotd.Requests.Submit": SubmitParameters.self])
    static let awkward = ["", "x", "with \"quotes\"", "back\\slash", "a/b", "tab\t", "Алматы", "数据 🚀", "\u{01}"]

    static func fragment(_ value: some Encodable) -> String {
        (try? JSONEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    /// A Submit call as text, with its fields in a random order, some optionals null or absent, and unknown keys.
    static func randomSubmit(_ rng: inout SeededRandom) -> String {
        func text() -> String { awkward.randomElement(using: &rng) ?? "" }
        var parameters: [(String, String)] = [
            ("gpus", fragment(Int.random(in: 0...8, using: &rng))),
            ("purpose", fragment(text())),
            ("command", fragment((0..<Int.random(in: 0...3, using: &rng)).map { _ in text() })),
            ("workingDirectory", fragment(text())),
        ]
        let optionals: [(String, String)] = [
            ("sector", fragment(text())), ("cpus", fragment(Int.random(in: 1...64, using: &rng))),
            ("memoryMiB", fragment(Int.random(in: 1...1_000_000, using: &rng))),
            ("durationSeconds", fragment(Int64.random(in: 1...86_400, using: &rng))),
            (
                "environment",
                fragment(
                    Dictionary(
                        uniqueKeysWithValues: (0..<Int.random(in: 0...3, using: &rng)).map { i in
                            ("K\(i)", text())
                        }))
            ),
            ("network", fragment(Bool.random(using: &rng))),
            ("gpuTypes", fragment((0..<Int.random(in: 0...3, using: &rng)).map { _ in text() })),
            ("futureField", fragment(["nested": [1, 2]])),
        ]
        for (key, value) in optionals {
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: parameters.append((key, value))
            case 1: parameters.append((key, "null"))
            default: break
            }
        }
        var envelope: [(String, String)] = [
            ("method", fragment("io.slotd.Requests.Submit")),
            (
                "parameters",
                "{" + parameters.shuffled(using: &rng).map { "\(fragment($0.0)):\($0.1)" }.joined(separator: ",") + "}"
            ),
        ]
        for key in ["more", "oneway", "upgrade"] where Bool.random(using: &rng) {
            envelope.append((key, Bool.random(using: &rng) ? fragment(Bool.random(using: &rng)) : "null"))
        }
        return "{" + envelope.shuffled(using: &rng).map { "\(fragment($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    static func same(_ a: IncomingCall, _ b: IncomingCall) throws -> Bool {
        guard a.header.method == b.header.method, a.header.more == b.header.more, a.header.oneway == b.header.oneway,
            a.header.upgrade == b.header.upgrade
        else { return false }
        return try a.parameters(as: SubmitParameters.self) == (try b.parameters(as: SubmitParameters.self))
    }

    @Test func ordinarySubmitsTakeTheFastPathAndMatchFoundation() throws {
        var rng = SeededRandom(seed: 0xCA11)
        for round in 0..<500 {
            let frame = Data(Self.randomSubmit(&rng).utf8)
            let fast = try #require(frame.withUnsafeBytes { IncomingCall.fastSubmit($0) }, "round \(round)")
            let foundation = try Self.foundation.decode(IncomingCall.self, from: frame)
            #expect(try Self.same(fast, foundation), "round \(round): \(String(decoding: frame, as: UTF8.self))")
        }
    }

    @Test func whatTheFastPathAcceptsFoundationReadsTheSame() throws {
        var rng = SeededRandom(seed: 0xF022)
        var accepted = 0
        for _ in 0..<3_000 {
            var bytes = Array(Self.randomSubmit(&rng).utf8)
            for _ in 0..<Int.random(in: 1...2, using: &rng) {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[at] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes.remove(at: at)
                default: bytes.insert(Array("{}[]\",:.0-en\\".utf8).randomElement(using: &rng) ?? 0, at: at)
                }
            }
            let frame = Data(bytes)
            guard let fast = frame.withUnsafeBytes({ IncomingCall.fastSubmit($0) }) else { continue }
            accepted += 1
            let foundation = try #require(
                try? Self.foundation.decode(IncomingCall.self, from: frame),
                "fast path took what Foundation refuses: \(String(decoding: frame, as: UTF8.self))")
            #expect(try Self.same(fast, foundation), "\(String(decoding: frame, as: UTF8.self))")
        }
        #expect(accepted > 100, "too few corrupted frames were still Submits to compare (\(accepted))")
    }

    @Test(arguments: [
        #"{"method":"io.slotd.Requests.Submit","parameters":{"gpus":1.0,"purpose":"p","command":[],"workingDirectory":"/"}}"#,
        #"{"method":"io.slotd.Requests.Submit","parameters":{"gpus":"1","purpose":"p","command":[],"workingDirectory":"/"}}"#,
        #"{"method":"io.slotd.Requests.Submit","parameters":{"purpose":"p","command":[],"workingDirectory":"/"}}"#,
        #"{"method":"io.slotd.Requests.Submit","parameters":{"gpus":1,"gpus":2,"purpose":"p","command":[],"workingDirectory":"/"}}"#,
        #"{"method":"io.slotd.Requests.Submit","method":"io.slotd.Requests.Submit","parameters":{"gpus":1,"purpose":"p","command":[],"workingDirectory":"/"}}"#,
        #"{"method":"io.slotd.Requests.Submit","parameters":{"gpus":1,"purpose":"p","command":[],"workingDirectory":"/","environment":{"A":"1","A":"2"}}}"#,
        #"{"method":"io.slotd.Requests.Submit","parameters":null}"#,
        #"{"method":"io.slotd.Requests.Submit"}"#,
        #"{"method":"io.slotd.Requests.Get","parameters":{"id":1}}"#,
        #"{"method":"io.slotd.Requests.Submit","parameters":{"gpus":1,"purpose":"p","command":[],"workingDirectory":"/"}} x"#,
    ])
    func everythingElseGoesToFoundation(text: String) {
        #expect(Data(text.utf8).withUnsafeBytes { IncomingCall.fastSubmit($0) } == nil)
    }
}
