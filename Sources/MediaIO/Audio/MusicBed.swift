public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An offline music bed synthesized in Swift: a quiet pad of detuned sine voices playing a four-chord progression,
/// with an optional soft low pulse on the beat, in a key and tempo chosen from the story's mood words.
///
/// The bed is deterministic: the same duration, mood words and seed give a byte-identical WAV (48 kHz stereo PCM16).
/// It is written in blocks of ``blockFrames`` frames, so memory stays bounded whatever the duration.
///
/// Mood table (words are matched case-insensitively, whole words; the side with more matches wins, a tie is major):
///
/// | Words | Mode | Tempo |
/// |---|---|---|
/// | calm, peaceful, gentle, quiet, serene, tender, dreamy, soft | major | slow (60 BPM), no pulse |
/// | hopeful, happy, joyful, warm, bright, playful, uplifting, triumphant, cheerful, whimsical | major | 84 BPM, pulse |
/// | sad, melancholy, lonely, somber, sombre, wistful, grief | minor | slow (60 BPM), no pulse |
/// | tense, dark, eerie, ominous, grim, fear, scary, mysterious, suspense, dramatic, urgent | minor | 88 BPM, pulse |
/// | none of them | major | 72 BPM, pulse |
///
/// ```swift
/// let style = try MusicBed.write(duration: voiceSeconds, moods: ["calm", "hopeful"], seed: 7, to: bedURL)
/// ```
public enum MusicBed {
    /// The sample rate of the bed: the composer mixes at 48 kHz.
    public static let sampleRate = 48_000
    /// Two channels: the detuned voices are spread left and right.
    public static let channelCount = 2
    /// The longest bed: two hours, so a 16-bit stereo WAV stays far below RIFF's 4 GiB (2 h ≈ 1.4 GB).
    public static let maximumDuration: Double = 7_200
    /// Frames synthesized and written per block (about 85 ms): bounds the memory a bed of any length needs.
    public static let blockFrames = 4_096

    /// Major or minor.
    public enum Mode: String, Hashable, Sendable, CaseIterable {
        /// The major scale: I–V–vi–IV.
        case major
        /// The natural minor scale: i–VI–III–VII.
        case minor
    }

    /// What the bed plays: the key, the tempo and whether a low pulse marks the beat.
    public struct Style: Hashable, Sendable, CustomStringConvertible {
        /// The key's tonic as a MIDI note number (57 = A3 … 64 = E4).
        public var tonic: Int
        /// Major or minor.
        public var mode: Mode
        /// Beats per minute; each chord lasts two bars of four beats.
        public var tempo: Double
        /// Whether a soft low pulse sounds on each beat.
        public var pulse: Bool

        /// Creates a style.
        public init(tonic: Int, mode: Mode, tempo: Double, pulse: Bool) {
            self.tonic = tonic
            self.mode = mode
            self.tempo = tempo
            self.pulse = pulse
        }

        /// The key in words, e.g. `D minor`.
        public var key: String {
            let names = ["C", "C♯", "D", "E♭", "E", "F", "F♯", "G", "A♭", "A", "B♭", "B"]
            return "\(names[((tonic % 12) + 12) % 12]) \(mode.rawValue)"
        }

        /// e.g. `D minor, 88 BPM, pulse`.
        public var description: String { "\(key), \(Int(tempo.rounded())) BPM\(pulse ? ", pulse" : "")" }
    }

    private static let calmWords: Set<String> = [
        "calm", "peaceful", "gentle", "quiet", "serene", "tender", "dreamy", "soft",
    ]
    private static let brightWords: Set<String> = [
        "hopeful", "happy", "joyful", "warm", "bright", "playful", "uplifting", "triumphant", "cheerful", "whimsical",
    ]
    private static let sadWords: Set<String> = ["sad", "melancholy", "lonely", "somber", "sombre", "wistful", "grief"]
    private static let tenseWords: Set<String> = [
        "tense", "dark", "eerie", "ominous", "grim", "fear", "scary", "mysterious", "suspense", "dramatic", "urgent",
    ]

    /// The style for a story's mood words (see the table above); the seed picks the tonic among four keys that
    /// sit well under a voice (A, C, D, E for minor; C, D, F, G for major).
    public static func style(forMoods moods: [String], seed: Int) -> Style {
        var counts = [0, 0, 0, 0]  // calm, bright, sad, tense
        for mood in moods {
            for word in mood.lowercased().split(whereSeparator: { !$0.isLetter }).map(String.init) {
                if calmWords.contains(word) { counts[0] += 1 }
                if brightWords.contains(word) { counts[1] += 1 }
                if sadWords.contains(word) { counts[2] += 1 }
                if tenseWords.contains(word) { counts[3] += 1 }
            }
        }
        let minor = counts[2] + counts[3] > counts[0] + counts[1]
        var random = SplitMix(seed: UInt64(bitPattern: Int64(seed)) ^ 0x6D75_7369_6362_6564)  // "musicbed"
        let tonics = minor ? [57, 60, 62, 64] : [60, 62, 53, 55]
        let tonic = tonics[Int(random.next() % UInt64(tonics.count))]
        let tempo: Double
        let pulse: Bool
        if counts.allSatisfy({ $0 == 0 }) {
            (tempo, pulse) = (72, true)
        } else if minor {
            (tempo, pulse) = counts[3] > counts[2] ? (88, true) : (60, false)
        } else {
            (tempo, pulse) = counts[1] > counts[0] ? (84, true) : (60, false)
        }
        return Style(tonic: tonic, mode: minor ? .minor : .major, tempo: tempo, pulse: pulse)
    }

    /// Synthesizes the bed for `moods` and writes it to `url` atomically as 48 kHz stereo PCM16 WAV.
    ///
    /// - Parameters:
    ///   - duration: seconds, finite, > 0 and at most ``maximumDuration``.
    ///   - moods: the story's mood words (the idea's tone, the shots' moods).
    ///   - seed: the run's seed: the same seed and moods give the same bytes.
    /// - Returns: the style played.
    /// - Throws: ``AudioError/invalidArgument(_:underlying:)`` for a bad duration, ``AudioError/io(_:underlying:)``
    ///   when the file cannot be written.
    @discardableResult
    public static func write(duration: Double, moods: [String], seed: Int, to url: URL) throws -> Style {
        let style = style(forMoods: moods, seed: seed)
        try write(duration: duration, style: style, seed: seed, to: url)
        return style
    }

    /// Synthesizes a bed in `style` and writes it to `url` (see ``write(duration:moods:seed:to:)``).
    /// - Throws: ``AudioError/invalidArgument(_:underlying:)`` for a bad duration or style, ``AudioError/io``.
    public static func write(duration: Double, style: Style, seed: Int, to url: URL) throws {
        let frames = try frameCount(duration)
        guard style.tempo.isFinite, (30...240).contains(style.tempo), (24...96).contains(style.tonic) else {
            throw AudioError.invalidArgument(
                "music bed: tempo must be 30–240 BPM and the tonic a MIDI note 24–96, got \(style.tempo), \(style.tonic)"
            )
        }
        // 4 bytes a frame (2 channels × 16 bits); frames ≤ 2 h × 48 kHz so the sizes fit UInt32 (checked anyway).
        let (dataSize, overflow) = frames.multipliedReportingOverflow(by: channelCount * 2)
        guard !overflow, let riffSize = UInt32(exactly: 36 + dataSize) else {
            throw AudioError.invalidArgument("music bed: \(frames) frames do not fit a WAV file")
        }
        let synth = Synthesizer(style: style, seed: seed)
        do {
            let file = try AtomicFile(destination: url)
            var header = [UInt8]()
            func put32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { header += $0 } }
            func put16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { header += $0 } }
            header += Array("RIFF".utf8)
            put32(riffSize)
            header += Array("WAVEfmt ".utf8)
            put32(16)
            put16(1)
            put16(UInt16(channelCount))
            put32(UInt32(sampleRate))
            put32(UInt32(sampleRate * channelCount * 2))
            put16(UInt16(channelCount * 2))
            put16(16)
            header += Array("data".utf8)
            put32(UInt32(dataSize))
            try put(header, file, url)
            var block = [Int16](repeating: 0, count: blockFrames * channelCount)
            var done = 0
            while done < frames {
                let count = min(blockFrames, frames - done)
                synth.render(into: &block, frames: count, from: done)
                let written = block.withUnsafeBytes { fwrite($0.baseAddress, 2, count * channelCount, file.handle) }
                guard written == count * channelCount else {
                    throw AudioError.io("writing \(url.path) stopped after \(done) frames; is the disk full?")
                }
                done += count
            }
            try file.commit()
        } catch let error as ImageCodecError {
            throw AudioError.io(error.message, underlying: error)
        }
    }

    /// The bed as a buffer in memory, for durations up to ten minutes (tests, previews).
    /// - Throws: ``AudioError/invalidArgument(_:underlying:)`` for a bad or longer duration.
    public static func render(duration: Double, style: Style, seed: Int) throws -> AudioBuffer {
        guard duration.isFinite, duration <= 600 else {
            throw AudioError.invalidArgument("music bed: render(duration:) holds at most 600 s; use write(duration:)")
        }
        let frames = try frameCount(duration)
        let synth = Synthesizer(style: style, seed: seed)
        var samples = [Float]()
        samples.reserveCapacity(frames * channelCount)
        var block = [Int16](repeating: 0, count: blockFrames * channelCount)
        var done = 0
        while done < frames {
            let count = min(blockFrames, frames - done)
            synth.render(into: &block, frames: count, from: done)
            samples += block[0..<(count * channelCount)].map { Float($0) / 32_768 }
            done += count
        }
        return try AudioBuffer(sampleRate: sampleRate, channelCount: channelCount, samples: samples)
    }

    /// The frame count for a checked duration.
    static func frameCount(_ duration: Double) throws -> Int {
        guard duration.isFinite, duration > 0, duration <= maximumDuration else {
            throw AudioError.invalidArgument(
                "music bed: the duration must be finite, above 0 and at most \(Int(maximumDuration)) s, got \(duration)"
            )
        }
        // duration ≤ 7 200 s, so the product is ≤ 345 600 000 and converts exactly.
        return max(1, Int((duration * Double(sampleRate)).rounded()))
    }

    private static func put(_ bytes: [UInt8], _ file: AtomicFile, _ url: URL) throws {
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file.handle) }
        guard written == bytes.count else { throw AudioError.io("cannot write \(url.path); is the disk full?") }
    }
}

/// SplitMix64: the same sequence on every platform (`SystemRandomNumberGenerator` and `Hasher` are not seedable).
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A number in `0..<1`.
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// The pad's sound, sample by sample: every value is a function of the frame index, so blocks join seamlessly.
private struct Synthesizer {
    let style: MusicBed.Style
    /// Chord roots as scale degrees, and each chord's three notes in semitones above the tonic.
    let chords: [[Int]]
    /// Detune of the three voices of each note, in cents, chosen by the seed (±4–9 cents: a slow chorus).
    let detune: [Double]
    /// Seconds a chord lasts: two bars of four beats.
    let chordSeconds: Double
    let beatSeconds: Double
    /// The envelope's attack and release in seconds: slow, so chord changes swell rather than strike.
    let attack: Double
    let release: Double
    /// Each chord's nine voice frequencies (3 notes × 3 detuned voices), in Hz.
    let frequencies: [[Double]]
    /// Each chord's pulse frequency: its lowest note two octaves down.
    let bass: [Double]

    init(style: MusicBed.Style, seed: Int) {
        self.style = style
        var random = SplitMix(seed: UInt64(bitPattern: Int64(seed)) &* 0x9E37_79B9_7F4A_7C15 ^ 0x7061_64)  // "pad"
        let spread = 4 + 5 * random.unit()
        detune = [-spread, 0, spread * (0.8 + 0.4 * random.unit())]
        switch style.mode {
        case .major:
            // I – V – vi – IV, voiced close around the tonic.
            chords = [[0, 4, 7], [-5, -1, 2], [-3, 0, 4], [-7, -3, 0]]
        case .minor:
            // i – VI – III – VII.
            chords = [[0, 3, 7], [-4, 0, 3], [-9, -5, -2], [-2, 2, 5]]
        }
        beatSeconds = 60 / style.tempo
        chordSeconds = beatSeconds * 8
        attack = min(2, chordSeconds / 3)
        release = min(2.5, chordSeconds / 2)
        let tonic = Double(style.tonic)
        let cents = detune
        frequencies = chords.map { notes in
            notes.flatMap { note in cents.map { Self.frequency(tonic + Double(note) + $0 / 100) } }
        }
        bass = chords.map { Self.frequency(tonic - 24 + Double($0[0])) }
    }

    static func frequency(_ midi: Double) -> Double { 440 * pow(2, (midi - 69) / 12) }

    /// Smooth 0 → 1 over `length` seconds (raised cosine).
    static func rise(_ t: Double, _ length: Double) -> Double {
        t <= 0 ? 0 : t >= length ? 1 : 0.5 - 0.5 * cos(Double.pi * t / length)
    }

    /// One chord's voices at time `time` (seconds), left and right.
    func chord(_ index: Int, _ time: Double) -> (Double, Double) {
        var left = 0.0
        var right = 0.0
        for (slot, f) in frequencies[index % frequencies.count].enumerated() {
            let phase = (f * time).truncatingRemainder(dividingBy: 1)
            // Sine plus a little third harmonic: a softer triangle-like tone.
            // (sin 3x = 3 sin x − 4 sin³ x: one `sin` call a voice.)
            let x = sin(2 * Double.pi * phase)
            let value = x + 0.12 * (3 * x - 4 * x * x * x)
            // The three voices of a note spread left, centre, right.
            let pan = Self.pans[slot % 3]
            left += value * pan
            right += value * (1 - pan)
        }
        return (left, right)
    }

    static let pans = [0.8, 0.5, 0.2]

    /// Fills `frames` stereo frames of `block` starting at absolute frame `start`.
    func render(into block: inout [Int16], frames: Int, from start: Int) {
        let rate = Double(MusicBed.sampleRate)
        // 3 notes × 3 voices, each pan-weighted: a full chord peaks near 5; 0.06 keeps the pad near −20 dBFS RMS.
        let padGain = 0.06
        for i in 0..<frames {
            let time = Double(start + i) / rate
            let index = Int(time / chordSeconds)
            let within = time - Double(index) * chordSeconds
            // The current chord swells in over `attack` (from the very start too) and the previous one fades out
            // over `release`, overlapping, so the pad never drops out between chords.
            let current = chord(index, time)
            let gainNow = Self.rise(within, attack)
            var left = current.0 * gainNow
            var right = current.1 * gainNow
            if index > 0, within < release {
                let previous = chord(index - 1, time)
                let gainThen = 1 - Self.rise(within, release)
                left += previous.0 * gainThen
                right += previous.1 * gainThen
            }
            left *= padGain
            right *= padGain
            if style.pulse {
                // A soft low thump on each beat: 15 ms rise, 250 ms decay, two octaves under the tonic.
                let beat = time.truncatingRemainder(dividingBy: beatSeconds)
                let envelope = Self.rise(beat, 0.015) * exp(-beat / 0.25)
                let f = bass[index % bass.count]
                let value = 0.12 * envelope * sin(2 * Double.pi * (f * time).truncatingRemainder(dividingBy: 1))
                left += value
                right += value
            }
            block[2 * i] = Int16(clamping: Int((min(max(left, -1), 1) * 32_767).rounded()))
            block[2 * i + 1] = Int16(clamping: Int((min(max(right, -1), 1) * 32_767).rounded()))
        }
    }
}
