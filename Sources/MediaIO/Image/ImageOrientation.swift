/// How a stored image must be turned to be shown upright: the eight values of the EXIF/TIFF
/// `Orientation` tag (0x0112), named after where row 0 and column 0 lie.
public enum ImageOrientation: Int, Sendable, Hashable, CaseIterable, Codable {
    /// 1: as stored.
    case topLeft = 1
    /// 2: mirrored left to right.
    case topRight = 2
    /// 3: rotated 180°.
    case bottomRight = 3
    /// 4: mirrored top to bottom.
    case bottomLeft = 4
    /// 5: mirrored along the main diagonal (transposed).
    case leftTop = 5
    /// 6: needs a 90° clockwise turn.
    case rightTop = 6
    /// 7: mirrored along the anti-diagonal (transversed).
    case rightBottom = 7
    /// 8: needs a 90° counter-clockwise turn.
    case leftBottom = 8

    /// Whether showing the image upright swaps its width and height.
    public var swapsDimensions: Bool { rawValue >= 5 }
}
