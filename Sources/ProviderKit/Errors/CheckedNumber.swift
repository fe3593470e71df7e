import Foundation

/// Checked conversions for numbers that cross a trust boundary (HTTP headers, JSON from a server,
/// configuration, files a child process wrote): each either gives a value inside a documented
/// range or says there is none, and none of them traps, whatever the input.
///
/// `Int(someDouble)` traps on NaN, infinity and anything past ±2^63, and `Int64(x * 1000)` traps
/// on `Retry-After: 1e300`, so nothing that a server sends goes through them; it goes through here.
package enum CheckedNumber {
    /// 2^53, the largest integer a JSON number (an IEEE 754 double) carries exactly: the clamp for
    /// counts from a server (tokens, bytes), far above any real one, and small enough that sums of
    /// a few hundred thousand of them still fit in an `Int`.
    static let largestExactInteger = 9_007_199_254_740_992

    /// The longest wait a server may ask for (`Retry-After`, `retry-after-ms`,
    /// `x-ratelimit-reset-*`): one day. RFC 9110 sets no maximum; a day is past every retry
    /// policy's and breaker's cap (10 minutes by default), so a larger value changes nothing but
    /// the arithmetic it would break.
    static let longestServerWait = Duration.seconds(86_400)

    /// A count from a server (tokens, bytes): `nil` for NaN and infinities, negative values are
    /// 0, fractions are rounded down, and values above 2^53 are 2^53.
    package static func count(_ value: Double?) -> Int? {
        guard let value, value.isFinite else { return nil }
        if value <= 0 { return 0 }
        if value >= Double(largestExactInteger) { return largestExactInteger }
        return Int(value.rounded(.down))  // finite and inside 0..<2^53: exact
    }

    /// The whole number `value` when it is one and lies in `range`; `nil` otherwise (NaN,
    /// infinities, fractions, out of range).
    static func integer(_ value: Double?, in range: ClosedRange<Int>) -> Int? {
        guard let value, value.isFinite, value == value.rounded(),
            value >= Double(range.lowerBound), value <= Double(range.upperBound)
        else { return nil }
        // Inside a range of Ints and whole, but `Double(Int.max)` rounds up to 2^63: check again.
        guard let exact = Int(exactly: value), range.contains(exact) else { return nil }
        return exact
    }

    /// A non-negative whole number written in decimal (`x-ratelimit-remaining-tokens: 150`), or
    /// `nil` for anything else: signs, fractions, exponents and values past `Int.max` included.
    static func nonNegativeInteger(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        return Int(trimmed)  // nil past Int.max, never a trap
    }

    /// A wait of `seconds`, at most `maximum`; `nil` for NaN, infinities and negative values.
    static func duration(seconds: Double, maximum: Duration) -> Duration? {
        guard seconds.isFinite, seconds >= 0 else { return nil }
        guard maximum > .zero else { return .zero }
        if seconds >= maximum.seconds { return maximum }
        return min(maximum, .seconds(double: seconds))
    }

    /// A wait of `seconds` as a server wrote it (`Retry-After: 2`), clamped to
    /// ``longestServerWait``; `nil` for NaN, infinities and negative values.
    static func serverWait(seconds: Double) -> Duration? {
        duration(seconds: seconds, maximum: longestServerWait)
    }

    /// `duration` in whole seconds rounded up, for messages; saturates instead of trapping.
    static func wholeSecondsRoundedUp(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        guard attoseconds > 0 else { return seconds }
        return seconds == .max ? .max : seconds + 1
    }

    /// `duration` in whole milliseconds, rounded to nearest, for logs; saturates.
    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds < 0 ? .min : .max }
        // Attoseconds are within ±10^18, so their milliseconds are within ±1000.
        let (sum, sumOverflow) = product.addingReportingOverflow(
            (attoseconds + 500_000_000_000_000) / 1_000_000_000_000_000)
        return sumOverflow ? (seconds < 0 ? .min : .max) : sum
    }

    /// `duration` in whole nanoseconds; saturates at the ends of `Int64` (about 292 years).
    package static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, sumOverflow) = product.addingReportingOverflow(attoseconds / 1_000_000_000)
        return sumOverflow ? (seconds < 0 ? .min : .max) : sum
    }

    /// `a + b` for counts, stopping at `Int.max` instead of trapping.
    static func saturatingSum(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        if overflow { return b < 0 ? .min : .max }
        return sum
    }
}
