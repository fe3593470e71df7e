/// How likely a story is to spread, as 0–100 scores per audience segment, and one overall score.
///
/// The overall score is a weighted mean of the mean score of each dimension:
///
/// ```
/// overall = clamp₀…₁₀₀( Σ wᵈ · mean(scoresᵈ) / Σ wᵈ )   over the dimensions d that have scores
/// w(platforms) = 0.4, w(regions) = 0.3, w(ageGroups) = 0.15, w(genders) = 0.15
/// ```
///
/// Each score is clamped to 0–100 (non-finite scores are skipped) before averaging. A dimension
/// with no scores is left out and the weights of the others are renormalised, so an idea scored
/// only per platform gets its platform mean. With no scores at all the overall score is 0.
/// Platforms weigh most because distribution is decided there; region next because language
/// and culture gate reach; age group and gender refine the audience.
public struct ViralPotential: Codable, Hashable, Sendable {
    /// Weights of the overall-score formula, in the order platforms, regions, age groups, genders.
    public static let weights: (platforms: Double, regions: Double, ageGroups: Double, genders: Double) = (
        0.4, 0.3, 0.15, 0.15
    )

    /// Scores per platform, e.g. "tiktok", "youtube_shorts", "instagram_reels".
    public var platforms: [SegmentScore]
    /// Scores per region, e.g. "us", "latam", "dach".
    public var regions: [SegmentScore]
    /// Scores per age group, e.g. "13-17", "18-24".
    public var ageGroups: [SegmentScore]
    /// Scores per gender, e.g. "female", "male", "other".
    public var genders: [SegmentScore]

    /// Creates a set of scores; all dimensions default to empty.
    public init(
        platforms: [SegmentScore] = [],
        regions: [SegmentScore] = [],
        ageGroups: [SegmentScore] = [],
        genders: [SegmentScore] = []
    ) {
        self.platforms = platforms
        self.regions = regions
        self.ageGroups = ageGroups
        self.genders = genders
    }

    /// The overall 0–100 score by the formula in the type's documentation.
    public var overall: Double {
        let dimensions = [
            (Self.weights.platforms, platforms), (Self.weights.regions, regions),
            (Self.weights.ageGroups, ageGroups), (Self.weights.genders, genders),
        ]
        var weighted = 0.0
        var totalWeight = 0.0
        for (weight, scores) in dimensions {
            let finite = scores.map(\.score).filter(\.isFinite).map { min(max($0, 0), 100) }
            guard !finite.isEmpty else { continue }
            weighted += weight * finite.reduce(0, +) / Double(finite.count)
            totalWeight += weight
        }
        guard totalWeight > 0 else { return 0 }
        return min(max(weighted / totalWeight, 0), 100)
    }
}

/// A 0–100 score for one audience segment (a platform, region, age group or gender).
public struct SegmentScore: Codable, Hashable, Sendable {
    /// The segment's name, e.g. "tiktok" or "18-24".
    public var segment: String
    /// The score, 0–100.
    public var score: Double

    /// Creates a segment score.
    public init(segment: String, score: Double) {
        self.segment = segment
        self.score = score
    }
}
