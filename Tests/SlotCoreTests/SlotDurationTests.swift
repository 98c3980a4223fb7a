import SlotCore
import Testing

/// Durations are parsed strictly, in the notation admins write, and printed back the same way.
@Suite struct SlotDurationTests {
    @Test(
        "Invariant: valid durations parse to the right number of seconds and print canonically",
        arguments: [
            ("45s", 45, "45s"), ("90m", 5_400, "1h30m"), ("72h", 259_200, "3d"), ("1d12h", 129_600, "1d12h"),
            ("2w", 1_209_600, "14d"), ("1h30m", 5_400, "1h30m"), ("0s", 0, "0s"),
        ] as [(String, Int64, String)])
    func parses(text: String, seconds: Int64, canonical: String) {
        let duration = SlotDuration(parsing: text)
        #expect(duration?.seconds == seconds)
        #expect(duration?.description == canonical)
        #expect(SlotDuration(parsing: canonical) == duration, "the canonical form parses back")
    }

    @Test(
        "Invariant: anything else is rejected, never guessed",
        arguments: [
            "", "7", "7 days", "h", "1h1d", "1h1h", "-5m", "1.5h", "10x", "1234567890h", " 1h",
        ])
    func rejects(text: String) {
        #expect(SlotDuration(parsing: text) == nil)
    }
}
