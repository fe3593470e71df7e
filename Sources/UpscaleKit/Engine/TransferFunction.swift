#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The sRGB transfer curve (IEC 61966-2-1), for resampling in linear light.
enum TransferFunction {
    /// Encoded sRGB (0...1) to linear light.
    static func sRGBToLinear(_ value: Float) -> Float {
        value <= 0.04045 ? value / 12.92 : powf((value + 0.055) / 1.055, 2.4)
    }

    /// Linear light (0...1) to encoded sRGB.
    static func linearToSRGB(_ value: Float) -> Float {
        value <= 0.003_130_8 ? value * 12.92 : 1.055 * powf(value, 1 / 2.4) - 0.055
    }
}
