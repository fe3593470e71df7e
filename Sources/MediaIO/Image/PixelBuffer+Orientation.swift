extension PixelBuffer {
    /// A copy turned upright according to `orientation` (width and height swap for the four
    /// orientations that turn the image a quarter).
    public func applyingOrientation(_ orientation: ImageOrientation) -> PixelBuffer {
        guard orientation != .topLeft else { return self }
        let (w, h) = (width, height)
        let (outWidth, outHeight) = orientation.swapsDimensions ? (h, w) : (w, h)
        let pixelBytes = bytesPerPixel
        let outRowBytes = outWidth * pixelBytes
        let stride = rowStride
        let storage = [UInt8](unsafeUninitializedCapacity: outRowBytes * outHeight) { out, count in
            bytes.withUnsafeBytes { source in
                for y in 0..<outHeight {
                    let row = out.baseAddress! + y * outRowBytes
                    for x in 0..<outWidth {
                        // (sx, sy): the stored pixel shown at (x, y).
                        let (sx, sy): (Int, Int) =
                            switch orientation {
                            case .topLeft: (x, y)
                            case .topRight: (w - 1 - x, y)
                            case .bottomRight: (w - 1 - x, h - 1 - y)
                            case .bottomLeft: (x, h - 1 - y)
                            case .leftTop: (y, x)
                            case .rightTop: (y, h - 1 - x)
                            case .rightBottom: (w - 1 - y, h - 1 - x)
                            case .leftBottom: (w - 1 - y, x)
                            }
                        (row + x * pixelBytes).initialize(
                            from: source.baseAddress!.advanced(by: sy * stride + sx * pixelBytes)
                                .assumingMemoryBound(to: UInt8.self),
                            count: pixelBytes
                        )
                    }
                }
            }
            count = outRowBytes * outHeight
        }
        var result = PixelBuffer(
            unchecked: outWidth,
            outHeight,
            layout,
            componentType,
            outRowBytes,
            bytes: storage,
            colorTag: colorTag,
            iccProfile: iccProfile
        )
        result.alphaPremultiplied = alphaPremultiplied
        return result
    }
}
