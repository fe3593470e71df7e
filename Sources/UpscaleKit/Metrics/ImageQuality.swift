public import MediaIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Image quality metrics, computed as scikit-image computes them.
///
/// Luma is BT.601 (0.299 R + 0.587 G + 0.114 B, unrounded) for colour images and the gray channel
/// for gray ones; alpha is ignored. Values are in the image's own range (0...255 for 8-bit,
/// 0...65535 for 16-bit, 0...1 for Float32), which is also the data range PSNR and SSIM use.
public enum ImageQuality {
    /// Peak signal-to-noise ratio in dB over every colour channel (`+∞` for identical images).
    public static func psnr(_ a: PixelBuffer, _ b: PixelBuffer) throws -> Double {
        try checkComparable(a, b)
        let x = samples(a, colorOnly: true)
        let y = samples(b, colorOnly: true)
        return psnr(meanSquaredError(x, y), range: a.componentType.maximumValue)
    }

    /// Peak signal-to-noise ratio in dB of the BT.601 luma.
    public static func psnrLuma(_ a: PixelBuffer, _ b: PixelBuffer) throws -> Double {
        try checkComparable(a, b)
        return psnr(meanSquaredError(luma(a), luma(b)), range: a.componentType.maximumValue)
    }

    /// Structural similarity of the luma (Wang et al. 2004): a Gaussian window of σ = 1.5 truncated
    /// at 3.5σ (11 × 11), symmetric borders, K1 = 0.01, K2 = 0.03, population covariance, averaged
    /// over the image less a 5-pixel border. Equals scikit-image's
    /// `structural_similarity(…, gaussian_weights=True, sigma=1.5, use_sample_covariance=False)`.
    public static func ssim(_ a: PixelBuffer, _ b: PixelBuffer) throws -> Double {
        try checkComparable(a, b)
        let (w, h) = (a.width, a.height)
        guard w > 10, h > 10 else {
            throw UpscaleError.mismatchedImages("SSIM needs images larger than its 11×11 window, got \(w)×\(h)")
        }
        let x = luma(a)
        let y = luma(b)
        let range = a.componentType.maximumValue
        let c1 = (0.01 * range) * (0.01 * range)
        let c2 = (0.03 * range) * (0.03 * range)
        let mx = gaussianBlur(x, w, h)
        let my = gaussianBlur(y, w, h)
        let mxx = gaussianBlur(zip(x, x).map(*), w, h)
        let myy = gaussianBlur(zip(y, y).map(*), w, h)
        let mxy = gaussianBlur(zip(x, y).map(*), w, h)
        var sum = 0.0
        var count = 0
        for row in 5..<(h - 5) {
            for column in 5..<(w - 5) {
                let i = row * w + column
                let vx = mxx[i] - mx[i] * mx[i]
                let vy = myy[i] - my[i] * my[i]
                let vxy = mxy[i] - mx[i] * my[i]
                let numerator = (2 * mx[i] * my[i] + c1) * (2 * vxy + c2)
                let denominator = (mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2)
                sum += numerator / denominator
                count += 1
            }
        }
        return sum / Double(count)
    }

    /// Sharpness: the variance of the luma's Laplacian (the 3 × 3 kernel 0 1 0 / 1 −4 1 / 0 1 0,
    /// borders reflected without repeating the edge, as OpenCV's default), with luma scaled to
    /// 0...255 whatever the component type. Larger means more fine detail (or more noise).
    public static func sharpness(_ image: PixelBuffer) -> Double {
        let (w, h) = (image.width, image.height)
        let scale = 255 / image.componentType.maximumValue
        let y = luma(image).map { $0 * scale }
        func reflect(_ i: Int, _ n: Int) -> Int {
            guard n > 1 else { return 0 }
            if i < 0 { return -i }
            if i >= n { return 2 * n - 2 - i }
            return i
        }
        var sum = 0.0
        var sumOfSquares = 0.0
        for row in 0..<h {
            for column in 0..<w {
                let center = y[row * w + column]
                let up = y[reflect(row - 1, h) * w + column]
                let down = y[reflect(row + 1, h) * w + column]
                let left = y[row * w + reflect(column - 1, w)]
                let right = y[row * w + reflect(column + 1, w)]
                let value = up + down + left + right - 4 * center
                sum += value
                sumOfSquares += value * value
            }
        }
        let n = Double(w * h)
        let mean = sum / n
        return sumOfSquares / n - mean * mean
    }

    /// Round-trip consistency: the luma PSNR between `input` and `output` box-averaged back down to
    /// the input's size. `nil` unless the output is an integer multiple of the input on both axes.
    public static func roundTripPSNR(input: PixelBuffer, output: PixelBuffer) throws -> Double? {
        guard output.width % input.width == 0, output.height % input.height == 0,
            output.width / input.width == output.height / input.height
        else { return nil }
        let factor = output.width / input.width
        let reduced = boxAverage(luma(output), output.width, output.height, factor: factor)
        guard input.componentType == output.componentType else {
            throw UpscaleError.mismatchedImages(
                "round trip needs one component type, got \(input.componentType) and \(output.componentType)")
        }
        return psnr(meanSquaredError(luma(input), reduced), range: input.componentType.maximumValue)
    }

    /// Averages each `factor × factor` block into one pixel, per channel, rounding to the type
    /// (the degradation used to make low-resolution test inputs).
    public static func boxDownscale(_ image: PixelBuffer, factor: Int) throws -> PixelBuffer {
        guard factor >= 1, image.width % factor == 0, image.height % factor == 0 else {
            throw UpscaleError.invalidConfiguration(
                "box downscale needs a factor dividing \(image.width)×\(image.height), got \(factor)")
        }
        let channels = image.layout.channelCount
        let values = samples(image, colorOnly: false)
        let (w, h) = (image.width / factor, image.height / factor)
        var result = try PixelBuffer(
            width: w,
            height: h,
            layout: image.layout,
            componentType: image.componentType,
            colorTag: image.colorTag,
            iccProfile: image.iccProfile
        )
        let maximum = image.componentType.maximumValue
        let area = Double(factor * factor)
        for y in 0..<h {
            for x in 0..<w {
                for c in 0..<channels {
                    var sum = 0.0
                    for dy in 0..<factor {
                        for dx in 0..<factor {
                            sum += values[((y * factor + dy) * image.width + x * factor + dx) * channels + c]
                        }
                    }
                    result.setComponent(sum / area / maximum, x: x, y: y, channel: c)
                }
            }
        }
        return result
    }

    // MARK: Helpers

    static func checkComparable(_ a: PixelBuffer, _ b: PixelBuffer) throws {
        guard a.width == b.width, a.height == b.height, a.layout == b.layout, a.componentType == b.componentType else {
            throw UpscaleError.mismatchedImages(
                "\(a.width)×\(a.height) \(a.layout) \(a.componentType) vs \(b.width)×\(b.height) \(b.layout) \(b.componentType)"
            )
        }
    }

    /// Every sample in the image's own range, row-major, channels interleaved.
    static func samples(_ image: PixelBuffer, colorOnly: Bool) -> [Double] {
        let channels = image.layout.channelCount
        let kept = colorOnly ? image.layout.colorChannelCount : channels
        let maximum = image.componentType.maximumValue
        var result: [Double] = []
        result.reserveCapacity(image.pixelCount * kept)
        for y in 0..<image.height {
            for x in 0..<image.width {
                for c in 0..<kept { result.append(image.component(x: x, y: y, channel: c) * maximum) }
            }
        }
        return result
    }

    static func luma(_ image: PixelBuffer) -> [Double] {
        let maximum = image.componentType.maximumValue
        var result = [Double](repeating: 0, count: image.pixelCount)
        let color = image.layout.colorChannelCount == 3
        for y in 0..<image.height {
            for x in 0..<image.width {
                let value =
                    color
                    ? 0.299 * image.component(x: x, y: y, channel: 0) + 0.587 * image.component(x: x, y: y, channel: 1)
                        + 0.114 * image.component(x: x, y: y, channel: 2)
                    : image.component(x: x, y: y, channel: 0)
                result[y * image.width + x] = value * maximum
            }
        }
        return result
    }

    static func meanSquaredError(_ x: [Double], _ y: [Double]) -> Double {
        var sum = 0.0
        for i in 0..<x.count {
            let d = x[i] - y[i]
            sum += d * d
        }
        return sum / Double(max(x.count, 1))
    }

    static func psnr(_ mse: Double, range: Double) -> Double {
        mse == 0 ? .infinity : 10 * log10(range * range / mse)
    }

    static func boxAverage(_ values: [Double], _ width: Int, _ height: Int, factor: Int) -> [Double] {
        let (w, h) = (width / factor, height / factor)
        var result = [Double](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                var sum = 0.0
                for dy in 0..<factor {
                    for dx in 0..<factor { sum += values[(y * factor + dy) * width + x * factor + dx] }
                }
                result[y * w + x] = sum / Double(factor * factor)
            }
        }
        return result
    }

    /// SciPy's `gaussian_filter(sigma=1.5, truncate=3.5, mode="reflect")`: separable, radius 5,
    /// borders mirrored with the edge repeated (d c b a | a b c d).
    static func gaussianBlur(_ values: [Double], _ width: Int, _ height: Int) -> [Double] {
        let sigma = 1.5
        let radius = 5
        var kernel = (-radius...radius).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
        let total = kernel.reduce(0, +)
        kernel = kernel.map { $0 / total }
        func mirror(_ i: Int, _ n: Int) -> Int {
            var i = i
            let period = 2 * n
            i %= period
            if i < 0 { i += period }
            return i < n ? i : period - 1 - i
        }
        var horizontal = [Double](repeating: 0, count: values.count)
        for y in 0..<height {
            for x in 0..<width {
                var sum = 0.0
                for k in -radius...radius { sum += kernel[k + radius] * values[y * width + mirror(x + k, width)] }
                horizontal[y * width + x] = sum
            }
        }
        var result = [Double](repeating: 0, count: values.count)
        for y in 0..<height {
            for x in 0..<width {
                var sum = 0.0
                for k in -radius...radius { sum += kernel[k + radius] * horizontal[mirror(y + k, height) * width + x] }
                result[y * width + x] = sum
            }
        }
        return result
    }
}
