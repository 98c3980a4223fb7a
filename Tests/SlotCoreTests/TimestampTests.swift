import Foundation
import SlotCore
import SlotTestSupport
import Testing

/// `Timestamp` prints UTC `YYYY-MM-DD HH:MM:SS` with its own (proleptic Gregorian) calendar arithmetic.
/// Invariant: it agrees with Foundation's UTC formatting for every instant from 1583, when Foundation's calendar
/// stops being Julian, to 9999, to the second (truncated).
@Suite struct TimestampTests {
    @Test func agreesWithFoundationAcrossTheFourDigitYears() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.calendar = Calendar(identifier: .gregorian)
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        var rng = SeededRandom(seed: 0x7135)
        // 1583-01-01 to 9999-12-31, in milliseconds since the epoch; plus the edges and the epoch itself.
        let range: ClosedRange<Int64> = -12_212_553_600_000...253_402_300_799_999
        let samples =
            [0, -1, 999, 1_000, range.lowerBound, range.upperBound, 951_782_400_000, 4_107_542_400_000]
            + (0..<5_000).map { _ in Int64.random(in: range, using: &rng) }
        for ms in samples {
            let seconds = ms >= 0 ? ms / 1_000 : (ms - 999) / 1_000
            let expected = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            #expect(Timestamp(ms).description == expected, "\(ms)")
        }
    }

    @Test func yearsOutsideFourDigitsStillPrint() {
        #expect(Timestamp(253_402_300_800_000).description == "10000-01-01 00:00:00")
        #expect(Timestamp(-62_135_596_800_001).description == "0000-12-31 23:59:59")
        #expect(Timestamp(-62_167_219_200_001).description == "-1-12-31 23:59:59")
        #expect(Timestamp(-62_135_596_800_000).description == "0001-01-01 00:00:00")
    }
}
