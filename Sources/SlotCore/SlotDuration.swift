/// A length of time written the way admins write it: `90m`, `72h`, `7d`, `1h30m`, `45s`.
///
/// Stored in whole seconds. Parsing is strict: units are `s`, `m`, `h`, `d`, `w`; each unit at most once, largest
/// first; no spaces, signs or fractions.
public struct SlotDuration: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var seconds: Int64

    public init(seconds: Int64) { self.seconds = seconds }

    public static func hours(_ h: Int64) -> SlotDuration { SlotDuration(seconds: h * 3_600) }
    public static func days(_ d: Int64) -> SlotDuration { SlotDuration(seconds: d * 86_400) }

    public var milliseconds: Int64 { seconds * 1_000 }

    public static func < (a: SlotDuration, b: SlotDuration) -> Bool { a.seconds < b.seconds }

    static let units: [(symbol: Character, seconds: Int64)] = [
        ("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1),
    ]

    /// Parses `text`, or returns nil when it is not a duration in the form above.
    public init?(parsing text: String) {
        guard !text.isEmpty else { return nil }
        var total: Int64 = 0
        var digits = ""
        var nextUnit = 0  // index into `units`; units must appear largest first, each once
        for character in text {
            if character.isASCII, character.isNumber {
                digits.append(character)
                guard digits.count <= 9 else { return nil }
                continue
            }
            guard let unitIndex = Self.units.firstIndex(where: { $0.symbol == character }),
                unitIndex >= nextUnit, let value = Int64(digits)
            else { return nil }
            total += value * Self.units[unitIndex].seconds
            digits = ""
            nextUnit = unitIndex + 1
        }
        guard digits.isEmpty else { return nil }
        self.seconds = total
    }

    /// The shortest spelling in the same notation, e.g. `1d12h`; `0s` for zero.
    public var description: String {
        guard seconds > 0 else { return "0s" }
        var rest = seconds
        var text = ""
        for unit in Self.units where unit.symbol != "w" && rest >= unit.seconds {
            text += "\(rest / unit.seconds)\(unit.symbol)"
            rest %= unit.seconds
        }
        return text
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = SlotDuration(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad duration"))
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
