/// The loudness of a programme per EBU R128 / ITU-R BS.1770-4.
public struct LoudnessMeasurement: Sendable, Hashable, Codable {
    /// Integrated (programme) loudness in LUFS, gated at −70 LUFS and −10 LU relative.
    /// −70 when nothing passes the absolute gate (silence), as ffmpeg's `ebur128` reports.
    public var integrated: Double
    /// Loudness range in LU: the spread between the 10th and 95th percentiles of the gated
    /// 3-second short-term loudness (EBU Tech 3342). 0 for programmes shorter than 3 s.
    public var range: Double
    /// True peak in dBTP: the highest absolute sample after 4× oversampling, over all channels.
    public var truePeak: Double
    /// Sample peak in dBFS: the highest absolute sample as stored.
    public var samplePeak: Double

    /// Creates a measurement from its figures.
    public init(integrated: Double, range: Double, truePeak: Double, samplePeak: Double) {
        self.integrated = integrated
        self.range = range
        self.truePeak = truePeak
        self.samplePeak = samplePeak
    }
}
