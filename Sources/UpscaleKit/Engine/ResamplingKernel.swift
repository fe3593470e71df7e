/// A reconstruction filter for resampling (``Upscaler/Method/resample(_:)``), evaluated in units of
/// source pixels. The learned model is a method of its own, ``Upscaler/Method/learned(_:)``.
public enum ResamplingKernel: String, Sendable, Hashable, CaseIterable, Codable {
    /// The nearest source pixel (blocky; exact for pixel art).
    case nearest
    /// Linear interpolation between the two nearest pixels (a triangle filter).
    case bilinear
    /// Catmull–Rom cubic (Keys, a = −0.5): interpolating, mild sharpening; Pillow's BICUBIC.
    case catmullRom
    /// Keys cubic with a = −0.75: sharper than Catmull–Rom, more ringing (OpenCV's INTER_CUBIC).
    case cubicSharp
    /// Mitchell–Netravali (B = C = 1/3): a soft, low-ringing compromise.
    case mitchell
    /// Lanczos windowed sinc with 2 lobes.
    case lanczos2
    /// Lanczos windowed sinc with 3 lobes: the sharpest here; Pillow's LANCZOS.
    case lanczos3

    /// Half the filter's width in source pixels when enlarging.
    public var support: Double {
        switch self {
        case .nearest: 0.5
        case .bilinear: 1
        case .catmullRom, .cubicSharp, .mitchell, .lanczos2: 2
        case .lanczos3: 3
        }
    }

    /// The filter's value at distance `x` (in source pixels) from the sampling position.
    public func weight(_ x: Double) -> Double {
        let t = abs(x)
        switch self {
        case .nearest:
            return t < 0.5 ? 1 : 0
        case .bilinear:
            return max(0, 1 - t)
        case .catmullRom:
            return Self.cubic(t, b: 0, c: 0.5)
        case .cubicSharp:
            return Self.cubic(t, b: 0, c: 0.75)
        case .mitchell:
            return Self.cubic(t, b: 1.0 / 3, c: 1.0 / 3)
        case .lanczos2:
            return Self.lanczos(t, lobes: 2)
        case .lanczos3:
            return Self.lanczos(t, lobes: 3)
        }
    }

    /// The Mitchell–Netravali family; B = 0 gives Keys' cubic with a = −C.
    private static func cubic(_ t: Double, b: Double, c: Double) -> Double {
        if t < 1 {
            return ((12 - 9 * b - 6 * c) * t * t * t + (-18 + 12 * b + 6 * c) * t * t + (6 - 2 * b)) / 6
        }
        if t < 2 {
            return ((-b - 6 * c) * t * t * t + (6 * b + 30 * c) * t * t + (-12 * b - 48 * c) * t + (8 * b + 24 * c)) / 6
        }
        return 0
    }

    private static func lanczos(_ t: Double, lobes: Double) -> Double {
        guard t < lobes else { return 0 }
        guard t > 1e-9 else { return 1 }
        let x = Double.pi * t
        return lobes * sin(x) * sin(x / lobes) / (x * x)
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
