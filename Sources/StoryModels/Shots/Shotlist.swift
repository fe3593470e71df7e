/// The shots of a video, in playing order, with validation and timing repair.
///
/// ```swift
/// let issues = shotlist.validate(voiceDuration: 44.8)
/// let fitted = shotlist.repaired(toDuration: 44.8)  // fitted.validate(voiceDuration: 44.8) == []
/// ```
public struct Shotlist: Codable, Hashable, Sendable {
    /// How far timings may drift before ``validate(voiceDuration:tolerances:)`` reports them.
    public struct Tolerances: Hashable, Sendable {
        /// The largest gap or overlap between neighbours, and the largest duration mismatch, in seconds.
        public var gap: Double
        /// The largest difference between the list's end and the voice's duration, in seconds.
        public var total: Double

        /// Creates tolerances; by default 0.1 s between shots (three frames at 30 fps, below what a
        /// viewer notices as a stutter) and 0.5 s on the total (the composer holds the last frame).
        public init(gap: Double = 0.1, total: Double = 0.5) {
            self.gap = gap
            self.total = total
        }
    }

    /// The schema version this document was written with; see ``StoryJSON/schemaVersion``.
    public var schemaVersion: Int
    /// The shots in playing order.
    public var shots: [Shot]

    /// Creates a shot list written with the current ``StoryJSON/schemaVersion``.
    public init(shots: [Shot]) {
        self.schemaVersion = StoryJSON.schemaVersion
        self.shots = shots
    }

    /// The sum of the shots' durations, in seconds.
    public var totalDuration: Double { shots.reduce(0) { $0 + $1.duration } }

    /// Every timing problem in playing order; empty when the list is valid.
    ///
    /// - Parameter voiceDuration: the voice-over's length; when given, the last shot must end
    ///   within ``Tolerances/total`` of it.
    public func validate(voiceDuration: Double? = nil, tolerances: Tolerances = .init()) -> [ShotlistIssue] {
        guard let first = shots.first else { return [.empty] }
        var issues: [ShotlistIssue] = []
        for shot in shots {
            guard shot.start.isFinite, shot.end.isFinite, shot.duration.isFinite else {
                issues.append(.nonFiniteTiming(shot: shot.id))
                continue
            }
            let actual = shot.end - shot.start
            if shot.duration <= 0 || actual <= 0 {
                issues.append(.nonPositiveDuration(shot: shot.id, duration: min(shot.duration, actual)))
            } else if abs(shot.duration - actual) > tolerances.gap {
                issues.append(.durationMismatch(shot: shot.id, stated: shot.duration, actual: actual))
            }
        }
        if first.start.isFinite, abs(first.start) > tolerances.gap {
            issues.append(.startOffset(seconds: first.start))
        }
        for (previous, next) in zip(shots, shots.dropFirst()) where previous.end.isFinite && next.start.isFinite {
            let difference = next.start - previous.end
            if difference > tolerances.gap {
                issues.append(.gap(afterShot: previous.id, seconds: difference))
            } else if difference < -tolerances.gap {
                issues.append(.overlap(afterShot: previous.id, seconds: -difference))
            }
        }
        if let voiceDuration, let last = shots.last, last.end.isFinite,
            abs(last.end - voiceDuration) > tolerances.total
        {
            issues.append(.totalMismatch(total: last.end, voice: voiceDuration))
        }
        return issues
    }
}
