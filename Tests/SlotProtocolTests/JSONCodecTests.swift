import Foundation
import SlotProtocol
import SlotTestSupport
import Testing

/// The yajl codec for List pages (``ListReply/frame(continues:)``, ``ListReply/init(json:)``) is a second
/// implementation of a wire Foundation's Codable also speaks. Invariant: on every input the two agree: the same
/// bytes out, the same values in, and the same refusals for what is not a request.
@Suite struct JSONCodecTests {
    /// Strings with everything JSON escapes or might: quotes, backslashes, slashes, every control character,
    /// non-ASCII, astral planes, U+2028.
    static let awkward = [
        "", "plain", "with \"quotes\"", "back\\slash", "a/b/c", "tab\there", "line\nbreak", "\r\u{08}\u{0C}",
        "\u{01}\u{1F}\u{7F}", "\u{00}nul", "Алматы", "数据", "emoji 🚀", "line\u{2028}separator", "é (combining e\u{301})",
    ]

    static func randomRequest(_ rng: inout SeededRandom) -> RequestInfo {
        func text() -> String {
            let parts = (0..<Int.random(in: 0...3, using: &rng)).map { _ in awkward.randomElement(using: &rng) ?? "" }
            return parts.joined(separator: " ")
        }
        func maybe<T>(_ make: () -> T) -> T? { Bool.random(using: &rng) ? make() : nil }
        var info = RequestInfo(
            id: Int64.random(in: 1...Int64.max, using: &rng),
            state: RequestState.allCases.randomElement(using: &rng) ?? .pending,
            account: text(), uid: Int64.random(in: 0...Int64(UInt32.max), using: &rng), sector: text(),
            gpus: Int.random(in: 0...64, using: &rng), cpus: Int.random(in: 1...256, using: &rng),
            memoryMiB: Int.random(in: Int.min...Int.max, using: &rng),
            durationSeconds: Int64.random(in: 0...86_400 * 30, using: &rng),
            purpose: text(), command: (0..<Int.random(in: 0...5, using: &rng)).map { _ in text() },
            workingDirectory: text(), submittedAt: Int64.random(in: Int64.min...Int64.max, using: &rng))
        info.startedAt = maybe { Int64.random(in: 0...Int64.max, using: &rng) }
        info.endedAt = maybe { Int64.random(in: 0...Int64.max, using: &rng) }
        info.outcome = maybe { text() }
        info.exitCode = maybe { Int.random(in: -255...255, using: &rng) }
        info.reasons = maybe {
            (0..<Int.random(in: 0...3, using: &rng)).map { _ in Reason(code: text(), message: text()) }
        }
        info.node = maybe { text() }
        info.gpuIndices = maybe {
            (0..<Int.random(in: 0...8, using: &rng)).map { _ in Int.random(in: 0...7, using: &rng) }
        }
        info.logFile = maybe { text() }
        info.network = maybe { Bool.random(using: &rng) }
        info.gpuTypes = maybe { (0..<Int.random(in: 0...3, using: &rng)).map { _ in text() } }
        info.nodes = maybe { Int.random(in: 2...1_024, using: &rng) }
        info.nodeList = maybe { (0..<Int.random(in: 0...4, using: &rng)).map { _ in text() } }
        return info
    }

    static func fullRequest() -> RequestInfo {
        var info = RequestInfo(
            id: 7, state: .failed, account: "alice", uid: 1_000, sector: "healthcare", gpus: 2, cpus: 8,
            memoryMiB: 32_768, durationSeconds: 3_600, purpose: "p", command: ["a", "b"],
            workingDirectory: "/w", submittedAt: 1)
        info.startedAt = 2
        info.endedAt = 3
        info.outcome = "exit status 1"
        info.exitCode = 1
        info.reasons = [Reason(code: "c", message: "m")]
        info.node = "node0"
        info.gpuIndices = [0, 1]
        info.logFile = "/l"
        info.network = false
        info.gpuTypes = ["h100", "a100"]
        info.nodes = 2
        info.nodeList = ["node0", "node1"]
        info.clusterJob = 4_711
        info.clusterState = "Slurm job 4711: PENDING (Resources)"
        return info
    }

    static func decodeFast(_ frame: Data) throws -> (ListReply, Bool?) {
        var body = frame
        if body.last == Varlink.terminator { body.removeLast() }
        var reader = try body.withUnsafeBytes { try JSONReader(parsing: $0) }
        var reply: ListReply?
        var continues: Bool?
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "parameters": reply = try ListReply(json: &reader)
            case "continues": continues = try reader.bool()
            default: try reader.skipValue()
            }
        }
        try reader.finish()
        guard let reply else { throw JSONCodecError.missingKey("parameters") }
        return (reply, continues)
    }

    /// yajl writes a control character's escape in upper-case hex (`\u001F`), Foundation in lower case
    /// (`\u001f`): the one difference, and both are the same JSON. Escaped backslashes are stepped over, so a
    /// literal `\u00` in a string is left alone.
    static func lowercasingControlEscapes(_ frame: Data) -> Data {
        var bytes = Array(frame)
        var i = 0
        while i + 5 < bytes.count {
            if bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u"), bytes[i + 2] == UInt8(ascii: "0"),
                bytes[i + 3] == UInt8(ascii: "0")
            {
                for j in (i + 4)...(i + 5) where (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(bytes[j]) {
                    bytes[j] += 32
                }
                i += 6
            } else {
                i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1
            }
        }
        return Data(bytes)
    }

    @Test func pagesAreByteForByteWhatFoundationWrites() throws {
        var rng = SeededRandom(seed: 0x5107D)
        for round in 0..<200 {
            let reply = ListReply(
                requests: (0..<Int.random(in: 0...20, using: &rng)).map { _ in Self.randomRequest(&rng) })
            let continues: Bool? = [nil, true, false][round % 3]
            let expected = try Varlink.frame(VarlinkReply(parameters: reply, continues: continues))
            let actual = try reply.frame(continues: continues)
            #expect(
                Self.lowercasingControlEscapes(actual) == expected,
                "round \(round): \(String(decoding: actual, as: UTF8.self))")
        }
        var extremes = Self.fullRequest()
        (extremes.id, extremes.submittedAt, extremes.startedAt, extremes.endedAt) = (Int64.max, Int64.min, 0, -1)
        (extremes.memoryMiB, extremes.exitCode, extremes.gpuIndices) = (Int.min, Int.max, [0, 9, 10, -10])
        let reply = ListReply(requests: [extremes])
        #expect(try reply.frame() == (try Varlink.frame(VarlinkReply(parameters: reply))))
    }

    @Test func requestRepliesAreWhatFoundationWritesAndReadBack() throws {
        var rng = SeededRandom(seed: 0x5B17)
        for round in 0..<300 {
            let reply = RequestReply(request: Self.randomRequest(&rng))
            let frame = try reply.frame()
            #expect(
                Self.lowercasingControlEscapes(frame) == (try Varlink.frame(VarlinkReply(parameters: reply))),
                "round \(round)")
            var reader = try frame.dropLast().withUnsafeBytes { try JSONReader(parsing: $0) }
            try reader.beginObject()
            #expect(try reader.nextKey() == "parameters")
            #expect(try RequestReply(json: &reader) == reply)
            #expect(try reader.nextKey() == nil)
            try reader.finish()
        }
    }

    @Test func decodesWhatFoundationWritesInAnyKeyOrder() throws {
        var rng = SeededRandom(seed: 0xDEC0DE)
        let unsorted = JSONEncoder()
        for round in 0..<200 {
            let reply = ListReply(
                requests: (0..<Int.random(in: 0...20, using: &rng)).map { _ in Self.randomRequest(&rng) })
            let sorted = try Varlink.frame(VarlinkReply(parameters: reply, continues: true))
            #expect(try Self.decodeFast(sorted).0 == reply, "round \(round)")
            #expect(try Self.decodeFast(sorted).1 == true)
            let other = try unsorted.encode(VarlinkReply(parameters: reply, continues: false))
            #expect(try Self.decodeFast(other).0 == reply, "round \(round), unsorted keys")
        }
    }

    /// Fails when `RequestInfo` gains a stored property the hand-written encoder does not write, or the decoder
    /// does not read.
    @Test func everyFieldOfARequestIsWrittenAndRead() throws {
        let full = Self.fullRequest()
        let frame = try ListReply(requests: [full]).frame()
        let object = try #require(try JSONSerialization.jsonObject(with: frame.dropLast()) as? [String: Any])
        let parameters = try #require(object["parameters"] as? [String: Any])
        let row = try #require((parameters["requests"] as? [[String: Any]])?.first)
        let properties = Mirror(reflecting: full).children.compactMap(\.label)
        #expect(Set(row.keys) == Set(properties))
        #expect(
            try Self.decodeFast(try Varlink.frame(VarlinkReply(parameters: ListReply(requests: [full])))).0.requests
                == [full])
    }

    @Test func unknownKeysAreSkippedAndNullOptionalsAreAbsent() throws {
        let text = """
            {"future":{"nested":[1,{"a":[]}]},"parameters":{"requests":[{"id":1,"state":"pending","account":"a",\
            "uid":5,"sector":"s","gpus":0,"cpus":1,"memoryMiB":2,"durationSeconds":3,"purpose":"","command":[],\
            "workingDirectory":"/","submittedAt":4,"startedAt":null,"reasons":null,"extra":"x"}],"more":true}}
            """
        let reply = try Self.decodeFast(Data(text.utf8)).0
        let viaFoundation = try JSONDecoder().decode(VarlinkReply<ListReply>.self, from: Data(text.utf8)).parameters
        #expect(reply == viaFoundation)
        #expect(reply.requests.first?.startedAt == nil)
    }

    @Test(arguments: [
        ("{\"parameters\":{\"requests\":[{\"id\":1}]}}", "missing"),
        ("{\"parameters\":{\"requests\":[{\"id\":\"1\"}]}}", "expected an integer"),
        ("{\"parameters\":{\"requests\":{}}}", "expected an array"),
        ("{\"parameters\":{\"requests\":[1]}}", "expected an object"),
        ("{\"parameters\":{\"requests\":[]", "invalid JSON"),
        ("{\"parameters\":{\"requests\":[]}} trailing", "invalid JSON"),
        ("{\"parameters\":{\"requests\":[{\"id\":99999999999999999999}]}}", "invalid JSON"),
        ("{\"parameters\":{}}", "missing 'requests'"),
        ("[", "invalid JSON"),
        ("", "invalid JSON"),
    ])
    func malformedPagesAreNamedErrors(text: String, message: String) throws {
        let error = #expect(throws: JSONCodecError.self) { _ = try Self.decodeFast(Data(text.utf8)) }
        #expect(error.map { "\($0)".contains(message) } == true, "\(String(describing: error))")
    }

    @Test func invalidUTF8AndUnknownStatesAreRefused() throws {
        var bytes = Array(#"{"parameters":{"requests":[{"account":"x"}]}}"#.utf8)
        let at = try #require(bytes.firstIndex(of: UInt8(ascii: "x")))
        bytes[at] = 0xFF
        #expect(throws: JSONCodecError.self) { _ = try Self.decodeFast(Data(bytes)) }
        // Sequences yajl's own check lets through, which Foundation refuses: an overlong '/' and a surrogate.
        for invalid: [UInt8] in [[0xC0, 0xAF], [0xED, 0xA0, 0x80]] {
            var text = Array(#"{"parameters":{"requests":[{"account":""#.utf8)
            text += invalid + Array(#""}]}}"#.utf8)
            #expect(throws: JSONCodecError.syntax("a string is not valid UTF-8")) {
                _ = try Self.decodeFast(Data(text))
            }
            #expect(throws: (any Error).self) {
                _ = try JSONDecoder().decode(VarlinkReply<ListReply>.self, from: Data(text))
            }
        }
        let frame = try ListReply(requests: [Self.fullRequest()]).frame()
        let renamed = String(decoding: frame.dropLast(), as: UTF8.self).replacingOccurrences(
            of: "\"failed\"", with: "\"exploded\"")
        #expect(throws: JSONCodecError.unknownValue(key: "state", value: "exploded")) {
            _ = try Self.decodeFast(Data(renamed.utf8))
        }
    }

    /// Random corruptions of real pages: the reader never crashes, and whenever both decoders accept a text they
    /// read the same requests.
    @Test func corruptedPagesNeverCrashAndAgreeWithFoundation() throws {
        var rng = SeededRandom(seed: 0xBADF00D)
        var agreed = 0
        for _ in 0..<2_000 {
            let reply = ListReply(
                requests: (0..<Int.random(in: 1...3, using: &rng)).map { _ in Self.randomRequest(&rng) })
            var bytes = Array(try reply.frame(continues: true).dropLast())
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[at] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes.remove(at: at)
                default: bytes.insert(Array("{}[]\",:0n\\".utf8).randomElement(using: &rng) ?? 0, at: at)
                }
            }
            let fast = try? Self.decodeFast(Data(bytes)).0
            let foundation = try? JSONDecoder().decode(VarlinkReply<ListReply>.self, from: Data(bytes)).parameters
            if let fast, let foundation {
                #expect(fast == foundation)
                agreed += 1
            }
        }
        #expect(agreed > 0, "no corrupted page was accepted by both, so nothing was compared")
    }
}
