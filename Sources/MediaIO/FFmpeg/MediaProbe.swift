public import Foundation

/// What ffprobe says about a media file, typed.
public struct MediaProbe: Sendable, Hashable {
    /// One stream of the file.
    public struct Stream: Sendable, Hashable {
        /// The kind of stream.
        public enum Kind: String, Sendable, Hashable {
            /// Pictures.
            case video
            /// Sound.
            case audio
            /// Text or bitmap subtitles.
            case subtitle
            /// Data, attachments and anything else.
            case other
        }
        /// The stream's index in the file.
        public var index: Int
        /// Video, audio, subtitle or other.
        public var kind: Kind
        /// The codec's short name (`h264`, `aac`, `mov_text`).
        public var codecName: String?
        /// The codec profile (`High`, `LC`).
        public var profile: String?
        /// The pixel format of a video stream (`yuv420p`).
        public var pixelFormat: String?
        /// Width in pixels.
        public var width: Int?
        /// Height in pixels.
        public var height: Int?
        /// The average frame rate in frames per second.
        public var frameRate: Double?
        /// Audio sample rate in Hz.
        public var sampleRate: Int?
        /// Audio channels.
        public var channels: Int?
        /// Stream duration in seconds.
        public var duration: Double?
        /// Stream bit rate in bits per second.
        public var bitRate: Int?
        /// Frames in the stream, when the container records it.
        public var frameCount: Int?
        /// Colour matrix tag (`bt709`).
        public var colorSpace: String?
        /// Colour primaries tag (`bt709`).
        public var colorPrimaries: String?
        /// Transfer characteristics tag (`bt709`).
        public var colorTransfer: String?
    }

    /// The streams, in file order.
    public var streams: [Stream]
    /// The container's short names (`mov,mp4,m4a,3gp,3g2,mj2`).
    public var formatName: String
    /// The container duration in seconds.
    public var duration: Double?
    /// The file size in bytes.
    public var size: Int?
    /// The overall bit rate in bits per second.
    public var bitRate: Int?

    /// The first video stream.
    public var video: Stream? { streams.first { $0.kind == .video } }
    /// The first audio stream.
    public var audio: Stream? { streams.first { $0.kind == .audio } }
    /// The first subtitle stream.
    public var subtitle: Stream? { streams.first { $0.kind == .subtitle } }

    /// Decodes `ffprobe -print_format json -show_format -show_streams` output.
    /// - Throws: ``FFmpegError/invalidOutput``.
    public init(json: Data) throws {
        let raw: RawProbe
        do { raw = try JSONDecoder().decode(RawProbe.self, from: json) } catch {
            throw FFmpegError.invalidOutput("ffprobe's JSON did not decode: \(error)")
        }
        streams = (raw.streams ?? []).map { stream in
            Stream(
                index: stream.index ?? 0, kind: Stream.Kind(rawValue: stream.codec_type ?? "") ?? .other,
                codecName: stream.codec_name, profile: stream.profile, pixelFormat: stream.pix_fmt,
                width: stream.width, height: stream.height, frameRate: Self.rate(stream.avg_frame_rate),
                sampleRate: stream.sample_rate.flatMap { Int($0) }, channels: stream.channels,
                duration: stream.duration.flatMap { Double($0) }, bitRate: stream.bit_rate.flatMap { Int($0) },
                frameCount: stream.nb_frames.flatMap { Int($0) }, colorSpace: stream.color_space,
                colorPrimaries: stream.color_primaries, colorTransfer: stream.color_transfer)
        }
        formatName = raw.format?.format_name ?? ""
        duration = raw.format?.duration.flatMap { Double($0) }
        size = raw.format?.size.flatMap { Int($0) }
        bitRate = raw.format?.bit_rate.flatMap { Int($0) }
    }

    private static func rate(_ text: String?) -> Double? {
        guard let text else { return nil }
        let parts = text.split(separator: "/")
        guard parts.count == 2, let numerator = Double(parts[0]), let denominator = Double(parts[1]), denominator != 0
        else { return Double(text) }
        return numerator / denominator
    }
}

// swift-format-ignore: AlwaysUseLowerCamelCase
/// ffprobe's JSON field names.
private struct RawProbe: Decodable {
    struct RawStream: Decodable {
        var index: Int?
        var codec_type: String?
        var codec_name: String?
        var profile: String?
        var pix_fmt: String?
        var width: Int?
        var height: Int?
        var avg_frame_rate: String?
        var sample_rate: String?
        var channels: Int?
        var duration: String?
        var bit_rate: String?
        var nb_frames: String?
        var color_space: String?
        var color_primaries: String?
        var color_transfer: String?
    }
    struct RawFormat: Decodable {
        var format_name: String?
        var duration: String?
        var size: String?
        var bit_rate: String?
    }
    var streams: [RawStream]?
    var format: RawFormat?
}
