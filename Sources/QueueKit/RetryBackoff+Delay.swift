extension RetryBackoff {
    /// The wait before the attempt after `attempt` failed: `base × 2^(attempt − 1)`, at most ``maximum``, plus up to
    /// ``jitter`` of itself drawn from `jobID` and `attempt` (the same job and attempt always wait the same).
    ///
    /// Out-of-range settings are clamped rather than trusted: a negative or non-finite duration counts as zero, and
    /// jitter outside 0...1 is clamped to it, so no configuration makes the arithmetic trap.
    public func delay(afterAttempt attempt: Int, jobID: JobID) -> Duration {
        let baseSeconds = Self.seconds(base)
        let maximumSeconds = Self.seconds(maximum)
        // 2^62 overflows nothing in Double, and any exponent beyond ~60 is past every maximum anyway.
        let exponent = Double(min(max(attempt - 1, 0), 62))
        var wait = min(baseSeconds * Double.pow2(exponent), maximumSeconds)
        let spread = jitter.isFinite ? min(max(jitter, 0), 1) : 0
        if spread > 0 {
            wait += wait * spread * Self.unitFraction(jobID: jobID, attempt: attempt)
        }
        guard wait.isFinite, wait > 0 else { return .zero }
        return .milliseconds(Int64((wait * 1000).rounded()))
    }

    /// A duration in seconds; negative or non-finite is zero, and at most 100 years (far past any useful wait).
    static func seconds(_ duration: Duration) -> Double {
        let components = duration.components
        let value = Double(components.seconds) + Double(components.attoseconds) * 1e-18
        guard value.isFinite, value > 0 else { return 0 }
        return min(value, 100 * 365 * 86_400)
    }

    /// A number in [0, 1) from the job and attempt: SplitMix64 (Steele, Lea, Flood 2014) of both.
    private static func unitFraction(jobID: JobID, attempt: Int) -> Double {
        var z = UInt64(bitPattern: jobID.rawValue) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(truncatingIfNeeded: attempt)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        // The top 53 bits: every Double in [0, 1) that step apart.
        return Double(z >> 11) / Double(UInt64(1) << 53)
    }
}

extension Double {
    /// 2 to the power `exponent` (a whole number in 0...62).
    fileprivate static func pow2(_ exponent: Double) -> Double {
        Double(sign: .plus, exponent: Int(exponent), significand: 1)
    }
}
