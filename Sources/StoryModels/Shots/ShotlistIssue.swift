/// A problem ``Shotlist/validate(voiceDuration:tolerances:)`` found in a shot list.
public enum ShotlistIssue: Codable, Hashable, Sendable {
    /// The list has no shots.
    case empty
    /// A shot's start, end or duration is NaN or infinite.
    case nonFiniteTiming(shot: Int)
    /// A shot's duration (or `end − start`) is zero or negative.
    case nonPositiveDuration(shot: Int, duration: Double)
    /// A shot's stated duration differs from `end − start` by more than the gap tolerance.
    case durationMismatch(shot: Int, stated: Double, actual: Double)
    /// The first shot does not start at 0 (within the gap tolerance).
    case startOffset(seconds: Double)
    /// Silence in the picture between a shot and the next one.
    case gap(afterShot: Int, seconds: Double)
    /// A shot starts before the previous one ends.
    case overlap(afterShot: Int, seconds: Double)
    /// The list's end differs from the voice's duration by more than the total tolerance.
    case totalMismatch(total: Double, voice: Double)
}

extension ShotlistIssue: CustomStringConvertible {
    /// A one-line explanation naming the shot and the amounts.
    public var description: String {
        switch self {
        case .empty: "the shot list is empty"
        case .nonFiniteTiming(let shot): "shot \(shot): start, end or duration is not a finite number"
        case .nonPositiveDuration(let shot, let duration): "shot \(shot): duration \(duration) s is not positive"
        case .durationMismatch(let shot, let stated, let actual):
            "shot \(shot): duration \(stated) s but end − start is \(actual) s"
        case .startOffset(let seconds): "the first shot starts at \(seconds) s, not 0"
        case .gap(let shot, let seconds): "a gap of \(seconds) s after shot \(shot)"
        case .overlap(let shot, let seconds): "an overlap of \(seconds) s after shot \(shot)"
        case .totalMismatch(let total, let voice): "the shots end at \(total) s but the voice lasts \(voice) s"
        }
    }
}
