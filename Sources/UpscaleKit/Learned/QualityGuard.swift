import MediaIO

/// The learned model's quality guard: round-trip consistency and sharpness as
/// ``ImageQuality/roundTripPSNR(input:output:)`` and ``ImageQuality/sharpness(_:)`` define them,
/// computed in single passes over raw samples (those general versions read pixel by pixel, which
/// would cost more than the upscale on large outputs).
enum QualityGuard {
    /// BT.601 luma (or gray) of every pixel, in the image's own range.
    static func luma(_ image: PixelBuffer) -> [Float] {
        let channels = image.layout.channelCount
        let color = image.layout.colorChannelCount == 3
        var result = [Float](repeating: 0, count: image.pixelCount)
        image.withUnsafeBytes { raw in
            let base = raw.baseAddress!
            for y in 0..<image.height {
                let row = base + y * image.rowStride
                for x in 0..<image.width {
                    let i = x * channels
                    func value(_ c: Int) -> Float {
                        switch image.componentType {
                        case .uint8: Float(row.load(fromByteOffset: i + c, as: UInt8.self))
                        case .uint16: Float(row.loadUnaligned(fromByteOffset: 2 * (i + c), as: UInt16.self))
                        case .float32: row.loadUnaligned(fromByteOffset: 4 * (i + c), as: Float.self)
                        }
                    }
                    result[y * image.width + x] =
                        color ? 0.299 * value(0) + 0.587 * value(1) + 0.114 * value(2) : value(0)
                }
            }
        }
        return result
    }

    /// PSNR between `input` and `output` box-averaged down by the integer `factor`.
    static func roundTripPSNR(input: PixelBuffer, inputLuma: [Float], output: PixelBuffer, factor: Int) -> Double {
        let outputLuma = luma(output)
        let (w, h) = (input.width, input.height)
        var sum = 0.0
        let area = Double(factor * factor)
        for y in 0..<h {
            for x in 0..<w {
                var block = 0.0
                for dy in 0..<factor {
                    let row = (y * factor + dy) * output.width + x * factor
                    for dx in 0..<factor { block += Double(outputLuma[row + dx]) }
                }
                let d = Double(inputLuma[y * w + x]) - block / area
                sum += d * d
            }
        }
        let mse = sum / Double(w * h)
        let range = input.componentType.maximumValue
        return mse == 0 ? .infinity : 10 * log10(range * range / mse)
    }

    /// Variance of the luma Laplacian (0 1 0 / 1 −4 1 / 0 1 0, borders reflected), luma in 0...255.
    static func sharpness(_ image: PixelBuffer) -> Double {
        let y = luma(image)
        let (w, h) = (image.width, image.height)
        let scale = 255 / image.componentType.maximumValue
        func reflect(_ i: Int, _ n: Int) -> Int {
            guard n > 1 else { return 0 }
            if i < 0 { return -i }
            if i >= n { return 2 * n - 2 - i }
            return i
        }
        var sum = 0.0
        var sumOfSquares = 0.0
        for row in 0..<h {
            let up = reflect(row - 1, h) * w
            let down = reflect(row + 1, h) * w
            let here = row * w
            for column in 0..<w {
                let left = reflect(column - 1, w)
                let right = reflect(column + 1, w)
                let value =
                    (Double(y[up + column]) + Double(y[down + column]) + Double(y[here + left])
                        + Double(y[here + right]) - 4 * Double(y[here + column])) * scale
                sum += value
                sumOfSquares += value * value
            }
        }
        let n = Double(w * h)
        let mean = sum / n
        return sumOfSquares / n - mean * mean
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
