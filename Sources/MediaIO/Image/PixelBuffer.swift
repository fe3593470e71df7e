public import Foundation

/// An image in memory: a grid of pixels with a known layout, component type and colour tag.
///
/// Rows are stored top to bottom, `rowStride` bytes apart; within a row, pixels are stored left to
/// right with their channels interleaved (`RGBARGBA…`). 16-bit and Float32 components are stored in
/// host byte order. The ICC profile, when the source had one, is carried through untouched.
///
/// ```swift
/// var image = try PixelBuffer(width: 64, height: 32, layout: .rgb, componentType: .uint8)
/// image.setComponent(1.0, x: 0, y: 0, channel: 0)  // a red top-left pixel
/// let png = try ImageEncoder(format: .png()).encode(image)
/// ```
public struct PixelBuffer: Sendable {
    /// Which channels a pixel has, in storage order.
    public enum Layout: String, Sendable, Hashable, CaseIterable, Codable {
        /// One luminance channel.
        case gray
        /// Luminance then alpha.
        case grayAlpha
        /// Red, green, blue.
        case rgb
        /// Red, green, blue, alpha.
        case rgba

        /// The number of channels per pixel.
        public var channelCount: Int {
            switch self {
            case .gray: 1
            case .grayAlpha: 2
            case .rgb: 3
            case .rgba: 4
            }
        }

        /// Whether the last channel is alpha.
        public var hasAlpha: Bool { self == .grayAlpha || self == .rgba }

        /// The number of colour (non-alpha) channels.
        public var colorChannelCount: Int { hasAlpha ? channelCount - 1 : channelCount }

        /// The layout with an alpha channel added (or kept).
        public var withAlpha: Layout { self == .gray || self == .grayAlpha ? .grayAlpha : .rgba }

        /// The layout with its alpha channel removed (or none to remove).
        public var withoutAlpha: Layout { self == .gray || self == .grayAlpha ? .gray : .rgb }
    }

    /// How each channel of a pixel is stored.
    public enum ComponentType: String, Sendable, Hashable, CaseIterable, Codable {
        /// 0...255.
        case uint8
        /// 0...65535, host byte order.
        case uint16
        /// Nominally 0...1; values outside are kept until a conversion to an integer type clamps them.
        case float32

        /// Bytes per component.
        public var byteCount: Int {
            switch self {
            case .uint8: 1
            case .uint16: 2
            case .float32: 4
            }
        }

        /// The largest integer value (255 or 65535), or 1 for Float32.
        public var maximumValue: Double {
            switch self {
            case .uint8: 255
            case .uint16: 65535
            case .float32: 1
            }
        }
    }

    /// What the samples' numbers mean.
    public enum ColorTag: String, Sendable, Hashable, CaseIterable, Codable {
        /// sRGB primaries and transfer curve (the assumption for files that say nothing).
        case sRGB
        /// Linear light with sRGB primaries.
        case linear
        /// Something else, described by ``PixelBuffer/iccProfile`` when there is one.
        case unknown
    }

    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Channels per pixel and their order.
    public let layout: Layout
    /// How each channel is stored.
    public let componentType: ComponentType
    /// Bytes from the start of one row to the start of the next (at least ``rowByteCount``).
    public let rowStride: Int
    /// Whether colour channels are already multiplied by alpha.
    public var alphaPremultiplied: Bool
    /// What the samples' numbers mean.
    public var colorTag: ColorTag
    /// The ICC profile of the source, byte for byte, or `nil`.
    public var iccProfile: Data?
    /// The pixel storage: `height` rows of `rowStride` bytes.
    public private(set) var bytes: [UInt8]

    /// Bytes per pixel.
    public var bytesPerPixel: Int { layout.channelCount * componentType.byteCount }
    /// Bytes of pixel data in one row (`width × bytesPerPixel`), without padding.
    public var rowByteCount: Int { width * bytesPerPixel }
    /// The number of pixels.
    public var pixelCount: Int { width * height }

    /// Creates an image filled with zeros (transparent black where there is alpha).
    ///
    /// - Throws: ``ImageCodecError/invalidArgument(_:)`` when a dimension is not positive, the stride
    ///   is shorter than a row, or the size overflows; ``ImageCodecError/outOfMemory(_:)`` when the
    ///   image needs more bytes than the machine has memory (allocating them would abort the process).
    public init(
        width: Int,
        height: Int,
        layout: Layout,
        componentType: ComponentType,
        rowStride: Int? = nil,
        colorTag: ColorTag = .sRGB,
        iccProfile: Data? = nil
    ) throws {
        let stride = try Self.validatedStride(
            width: width, height: height, layout: layout, type: componentType, rowStride)
        let physical = ProcessInfo.processInfo.physicalMemory
        guard UInt64(stride * height) <= physical else {
            throw ImageCodecError.outOfMemory(
                "a \(width)×\(height) \(layout) \(componentType) image needs \(stride * height) bytes, more than "
                    + "this machine's \(physical) bytes of memory")
        }
        self.init(
            unchecked: width,
            height,
            layout,
            componentType,
            stride,
            bytes: [UInt8](repeating: 0, count: stride * height),
            colorTag: colorTag,
            iccProfile: iccProfile
        )
    }

    /// Creates an image over existing bytes (`height` rows `rowStride` bytes apart).
    ///
    /// - Throws: ``ImageCodecError/invalidArgument(_:)`` when the geometry is invalid or `bytes`
    ///   is shorter than it needs.
    public init(
        width: Int,
        height: Int,
        layout: Layout,
        componentType: ComponentType,
        bytes: [UInt8],
        rowStride: Int? = nil,
        alphaPremultiplied: Bool = false,
        colorTag: ColorTag = .sRGB,
        iccProfile: Data? = nil
    ) throws {
        let stride = try Self.validatedStride(
            width: width, height: height, layout: layout, type: componentType, rowStride)
        let needed = stride * (height - 1) + width * layout.channelCount * componentType.byteCount
        guard bytes.count >= needed else {
            throw ImageCodecError.invalidArgument(
                "a \(width)×\(height) \(layout) \(componentType) image needs \(needed) bytes, got \(bytes.count)"
            )
        }
        self.init(
            unchecked: width,
            height,
            layout,
            componentType,
            stride,
            bytes: bytes,
            colorTag: colorTag,
            iccProfile: iccProfile
        )
        self.alphaPremultiplied = alphaPremultiplied
    }

    init(
        unchecked width: Int,
        _ height: Int,
        _ layout: Layout,
        _ componentType: ComponentType,
        _ rowStride: Int,
        bytes: [UInt8],
        colorTag: ColorTag = .sRGB,
        iccProfile: Data? = nil
    ) {
        self.width = width
        self.height = height
        self.layout = layout
        self.componentType = componentType
        self.rowStride = rowStride
        self.bytes = bytes
        self.alphaPremultiplied = false
        self.colorTag = colorTag
        self.iccProfile = iccProfile
    }

    static func validatedStride(
        width: Int,
        height: Int,
        layout: Layout,
        type: ComponentType,
        _ rowStride: Int?
    ) throws -> Int {
        guard width > 0, height > 0 else {
            throw ImageCodecError.invalidArgument("image dimensions must be positive, got \(width)×\(height)")
        }
        let (rowBytes, rowOverflow) = width.multipliedReportingOverflow(by: layout.channelCount * type.byteCount)
        let stride = rowStride ?? rowBytes
        guard !rowOverflow, stride >= rowBytes else {
            throw ImageCodecError.invalidArgument("row stride \(stride) is shorter than a row of \(width) pixels")
        }
        let (_, totalOverflow) = stride.multipliedReportingOverflow(by: height)
        guard !totalOverflow else {
            throw ImageCodecError.invalidArgument("a \(width)×\(height) image does not fit in memory")
        }
        return stride
    }

    /// Calls `body` with the storage (`height` rows, `rowStride` bytes apart).
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes(body)
    }

    /// Calls `body` with the mutable storage (`height` rows, `rowStride` bytes apart).
    public mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeMutableBytes(body)
    }

    /// One component as a number from 0 to 1 (integers are divided by their maximum value).
    ///
    /// Convenient for tests and small edits; use ``withUnsafeBytes(_:)`` for bulk work.
    public func component(x: Int, y: Int, channel: Int) -> Double {
        precondition(
            (0..<width).contains(x) && (0..<height).contains(y) && (0..<layout.channelCount).contains(channel),
            "pixel (\(x), \(y)) channel \(channel) is outside the image"
        )
        let offset = y * rowStride + (x * layout.channelCount + channel) * componentType.byteCount
        return bytes.withUnsafeBytes { raw in
            switch componentType {
            case .uint8: Double(raw[offset]) / 255
            case .uint16: Double(raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self)) / 65535
            case .float32: Double(raw.loadUnaligned(fromByteOffset: offset, as: Float.self))
            }
        }
    }

    /// Sets one component from a number from 0 to 1 (clamped and rounded for integer types).
    public mutating func setComponent(_ value: Double, x: Int, y: Int, channel: Int) {
        precondition(
            (0..<width).contains(x) && (0..<height).contains(y) && (0..<layout.channelCount).contains(channel),
            "pixel (\(x), \(y)) channel \(channel) is outside the image"
        )
        let offset = y * rowStride + (x * layout.channelCount + channel) * componentType.byteCount
        let type = componentType
        bytes.withUnsafeMutableBytes { raw in
            switch type {
            case .uint8: raw[offset] = UInt8(quantizing: value, maximum: 255)
            case .uint16:
                raw.storeBytes(of: UInt16(quantizing: value, maximum: 65535), toByteOffset: offset, as: UInt16.self)
            case .float32: raw.storeBytes(of: Float(value), toByteOffset: offset, as: Float.self)
            }
        }
    }

    /// A copy whose rows are packed (`rowStride == rowByteCount`), or `self` when they already are.
    public func compacted() -> PixelBuffer {
        guard rowStride != rowByteCount else { return self }
        let rowBytes = rowByteCount
        let stride = rowStride
        let packed = [UInt8](unsafeUninitializedCapacity: rowBytes * height) { out, count in
            bytes.withUnsafeBytes { source in
                for y in 0..<height {
                    out.baseAddress!.advanced(by: y * rowBytes)
                        .update(
                            from: source.baseAddress!.advanced(by: y * stride).assumingMemoryBound(to: UInt8.self),
                            count: rowBytes)
                }
            }
            count = rowBytes * height
        }
        var copy = PixelBuffer(
            unchecked: width,
            height,
            layout,
            componentType,
            rowBytes,
            bytes: packed,
            colorTag: colorTag,
            iccProfile: iccProfile
        )
        copy.alphaPremultiplied = alphaPremultiplied
        return copy
    }
}

extension PixelBuffer: Hashable {
    /// Images are equal when their geometry, formats, tags and visible pixels are equal; row padding
    /// is ignored.
    public static func == (lhs: PixelBuffer, rhs: PixelBuffer) -> Bool {
        guard
            lhs.width == rhs.width, lhs.height == rhs.height, lhs.layout == rhs.layout,
            lhs.componentType == rhs.componentType, lhs.alphaPremultiplied == rhs.alphaPremultiplied,
            lhs.colorTag == rhs.colorTag, lhs.iccProfile == rhs.iccProfile
        else { return false }
        if lhs.rowStride == rhs.rowStride { return lhs.bytes == rhs.bytes || lhs.rowsEqual(rhs) }
        return lhs.rowsEqual(rhs)
    }

    private func rowsEqual(_ other: PixelBuffer) -> Bool {
        let rowBytes = rowByteCount
        return bytes.withUnsafeBytes { a in
            other.bytes.withUnsafeBytes { b in
                (0..<height).allSatisfy { y in
                    memcmp(a.baseAddress! + y * rowStride, b.baseAddress! + y * other.rowStride, rowBytes) == 0
                }
            }
        }
    }

    /// Hashes geometry, formats, tags and visible pixels, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(width)
        hasher.combine(height)
        hasher.combine(layout)
        hasher.combine(componentType)
        hasher.combine(alphaPremultiplied)
        hasher.combine(colorTag)
        hasher.combine(iccProfile)
        let rowBytes = rowByteCount
        bytes.withUnsafeBytes { raw in
            for y in 0..<height {
                hasher.combine(
                    bytes: UnsafeRawBufferPointer(rebasing: raw[(y * rowStride)..<(y * rowStride + rowBytes)]))
            }
        }
    }
}

extension UInt8 {
    init(quantizing value: Double, maximum: Double) {
        self = value.isNaN ? 0 : UInt8(Swift.min(Swift.max(value * maximum, 0), maximum).rounded())
    }
}

extension UInt16 {
    init(quantizing value: Double, maximum: Double) {
        self = value.isNaN ? 0 : UInt16(Swift.min(Swift.max(value * maximum, 0), maximum).rounded())
    }
}
