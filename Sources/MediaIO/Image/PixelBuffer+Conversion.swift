extension PixelBuffer {
    /// A copy with another component type.
    ///
    /// 8 → 16 bits multiplies by 257 (so 255 becomes 65535); 16 → 8 bits rounds `v / 257`;
    /// integer → Float32 divides by the maximum; Float32 → integer clamps to 0...1 and rounds
    /// (NaN becomes 0). Layout, tags and premultiplication are kept; rows come out packed.
    public func converted(to type: ComponentType) -> PixelBuffer {
        guard type != componentType else { return self }
        let samplesPerRow = width * layout.channelCount
        let outRowBytes = samplesPerRow * type.byteCount
        let sourceType = componentType
        let stride = rowStride
        let storage = [UInt8](unsafeUninitializedCapacity: outRowBytes * height) { out, count in
            bytes.withUnsafeBytes { source in
                for y in 0..<height {
                    let input = source.baseAddress! + y * stride
                    let output = out.baseAddress! + y * outRowBytes
                    Self.convertRow(input, sourceType, UnsafeMutableRawPointer(output), type, samplesPerRow)
                }
            }
            count = outRowBytes * height
        }
        var result = PixelBuffer(
            unchecked: width,
            height,
            layout,
            type,
            outRowBytes,
            bytes: storage,
            colorTag: colorTag,
            iccProfile: iccProfile
        )
        result.alphaPremultiplied = alphaPremultiplied
        return result
    }

    private static func convertRow(
        _ input: UnsafeRawPointer,
        _ from: ComponentType,
        _ output: UnsafeMutableRawPointer,
        _ to: ComponentType,
        _ count: Int
    ) {
        switch (from, to) {
        case (.uint8, .uint16):
            let s = input.assumingMemoryBound(to: UInt8.self)
            let d = output.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { d[i] = UInt16(s[i]) &* 257 }
        case (.uint16, .uint8):
            let s = input.assumingMemoryBound(to: UInt16.self)
            let d = output.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count { d[i] = UInt8((UInt32(s[i]) &* 255 &+ 32767) / 65535) }
        case (.uint8, .float32):
            let s = input.assumingMemoryBound(to: UInt8.self)
            let d = output.assumingMemoryBound(to: Float.self)
            for i in 0..<count { d[i] = Float(s[i]) * (1 / 255) }
        case (.uint16, .float32):
            let s = input.assumingMemoryBound(to: UInt16.self)
            let d = output.assumingMemoryBound(to: Float.self)
            for i in 0..<count { d[i] = Float(s[i]) * (1 / 65535) }
        case (.float32, .uint8):
            let s = input.assumingMemoryBound(to: Float.self)
            let d = output.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count { d[i] = UInt8(quantizing: Double(s[i]), maximum: 255) }
        case (.float32, .uint16):
            let s = input.assumingMemoryBound(to: Float.self)
            let d = output.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { d[i] = UInt16(quantizing: Double(s[i]), maximum: 65535) }
        case (.uint8, .uint8), (.uint16, .uint16), (.float32, .float32):
            output.copyMemory(from: input, byteCount: count * from.byteCount)
        }
    }

    /// A copy with another layout, keeping the component type.
    ///
    /// Gray becomes RGB by repeating the gray value; RGB becomes gray by BT.601 luma
    /// (0.299 R + 0.587 G + 0.114 B, as Pillow's `L` mode does); an added alpha channel is opaque;
    /// a removed alpha channel is dropped without compositing (call ``unpremultipliedAlpha()`` first
    /// if the colours are premultiplied). Rows come out packed.
    public func converted(to newLayout: Layout) -> PixelBuffer {
        guard newLayout != layout else { return self }
        switch componentType {
        case .uint8: return convertedLayout(newLayout, as: UInt8.self)
        case .uint16: return convertedLayout(newLayout, as: UInt16.self)
        case .float32: return convertedLayout(newLayout, as: Float.self)
        }
    }

    /// A copy with another layout and component type.
    public func converted(to newLayout: Layout, componentType type: ComponentType) -> PixelBuffer {
        converted(to: newLayout).converted(to: type)
    }

    private func convertedLayout<C: PixelComponent>(_ newLayout: Layout, as: C.Type) -> PixelBuffer {
        let inChannels = layout.channelCount
        let outChannels = newLayout.channelCount
        let inColor = layout.colorChannelCount
        let outColor = newLayout.colorChannelCount
        let outRowBytes = width * outChannels * MemoryLayout<C>.size
        let stride = rowStride
        let keepsAlpha = layout.hasAlpha && newLayout.hasAlpha
        let storage = [UInt8](unsafeUninitializedCapacity: outRowBytes * height) { out, count in
            bytes.withUnsafeBytes { source in
                for y in 0..<height {
                    let s = (source.baseAddress! + y * stride).assumingMemoryBound(to: C.self)
                    let d = UnsafeMutableRawPointer(out.baseAddress! + y * outRowBytes).assumingMemoryBound(to: C.self)
                    for x in 0..<width {
                        let p = s + x * inChannels
                        let q = d + x * outChannels
                        if inColor == outColor {
                            for c in 0..<outColor { q[c] = p[c] }
                        } else if outColor == 3 {
                            q[0] = p[0]
                            q[1] = p[0]
                            q[2] = p[0]
                        } else {
                            q[0] = C.luma(p[0], p[1], p[2])
                        }
                        if newLayout.hasAlpha { q[outColor] = keepsAlpha ? p[inColor] : C.opaque }
                    }
                }
            }
            count = outRowBytes * height
        }
        var result = PixelBuffer(
            unchecked: width,
            height,
            newLayout,
            componentType,
            outRowBytes,
            bytes: storage,
            colorTag: colorTag,
            iccProfile: iccProfile
        )
        result.alphaPremultiplied = keepsAlpha && alphaPremultiplied
        return result
    }

    /// A copy whose colour channels are multiplied by alpha (integers rounded), or `self` when there is no
    /// alpha or it is already premultiplied.
    public func premultipliedAlpha() -> PixelBuffer {
        guard layout.hasAlpha, !alphaPremultiplied else { return self }
        var result = self
        result.applyToAlphaPixels { color, alpha, maximum in color * alpha / maximum }
        result.alphaPremultiplied = true
        return result
    }

    /// A copy whose colour channels are divided by alpha (integers rounded and clamped; fully
    /// transparent pixels become black), or `self` when there is no alpha or it is not premultiplied.
    public func unpremultipliedAlpha() -> PixelBuffer {
        guard layout.hasAlpha, alphaPremultiplied else { return self }
        var result = self
        result.applyToAlphaPixels { color, alpha, maximum in alpha == 0 ? 0 : color * maximum / alpha }
        result.alphaPremultiplied = false
        return result
    }

    private mutating func applyToAlphaPixels(_ transform: (Double, Double, Double) -> Double) {
        let channels = layout.channelCount
        let type = componentType
        let maximum = type == .float32 ? 1.0 : type.maximumValue
        let (w, h, stride) = (width, height, rowStride)
        withUnsafeMutableBytes { raw in
            for y in 0..<h {
                let row = raw.baseAddress! + y * stride
                switch type {
                case .uint8: Self.apply(row.assumingMemoryBound(to: UInt8.self), w, channels, maximum, transform)
                case .uint16: Self.apply(row.assumingMemoryBound(to: UInt16.self), w, channels, maximum, transform)
                case .float32: Self.apply(row.assumingMemoryBound(to: Float.self), w, channels, maximum, transform)
                }
            }
        }
    }

    private static func apply<C: PixelComponent>(
        _ row: UnsafeMutablePointer<C>,
        _ width: Int,
        _ channels: Int,
        _ maximum: Double,
        _ transform: (Double, Double, Double) -> Double
    ) {
        for x in 0..<width {
            let p = row + x * channels
            let alpha = p[channels - 1].doubleValue
            for c in 0..<(channels - 1) { p[c] = C(clamping: transform(p[c].doubleValue, alpha, maximum)) }
        }
    }
}

/// The storage types of ``PixelBuffer/ComponentType``, for code generic over them.
protocol PixelComponent {
    static var opaque: Self { get }
    static func luma(_ r: Self, _ g: Self, _ b: Self) -> Self
    var doubleValue: Double { get }
    init(clamping value: Double)
}

extension UInt8: PixelComponent {
    static var opaque: UInt8 { 255 }
    // Fixed-point BT.601 weights scaled by 2^16, as Pillow computes `L`.
    static func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        let red = UInt32(r) &* 19595
        let green = UInt32(g) &* 38470
        let blue = UInt32(b) &* 7471
        return UInt8((red &+ green &+ blue &+ 0x8000) >> 16)
    }
    var doubleValue: Double { Double(self) }
    init(clamping value: Double) { self = value.isNaN ? 0 : UInt8(Swift.min(Swift.max(value, 0), 255).rounded()) }
}

extension UInt16: PixelComponent {
    static var opaque: UInt16 { 65535 }
    static func luma(_ r: UInt16, _ g: UInt16, _ b: UInt16) -> UInt16 {
        let red = UInt64(r) &* 19595
        let green = UInt64(g) &* 38470
        let blue = UInt64(b) &* 7471
        return UInt16((red &+ green &+ blue &+ 0x8000) >> 16)
    }
    var doubleValue: Double { Double(self) }
    init(clamping value: Double) { self = value.isNaN ? 0 : UInt16(Swift.min(Swift.max(value, 0), 65535).rounded()) }
}

extension Float: PixelComponent {
    static var opaque: Float { 1 }
    static func luma(_ r: Float, _ g: Float, _ b: Float) -> Float { 0.299 * r + 0.587 * g + 0.114 * b }
    var doubleValue: Double { Double(self) }
    init(clamping value: Double) { self = Float(value) }
}
