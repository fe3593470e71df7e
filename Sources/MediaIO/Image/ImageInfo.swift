/// The geometry and sample format of the rows an ``ImageRowReader`` delivers or an
/// ``ImageRowWriter`` accepts.
public struct ImageInfo: Hashable, Sendable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// Channels per pixel.
    public var layout: PixelBuffer.Layout
    /// How each channel is stored.
    public var componentType: PixelBuffer.ComponentType

    /// Creates an image description.
    public init(width: Int, height: Int, layout: PixelBuffer.Layout, componentType: PixelBuffer.ComponentType) {
        self.width = width
        self.height = height
        self.layout = layout
        self.componentType = componentType
    }

    /// Bytes in one packed row; `Int.max` for a width so large that the count overflows (no buffer
    /// can hold such a row, so every size check against it fails instead of trapping).
    public var rowByteCount: Int {
        let (bytes, overflow) = width.multipliedReportingOverflow(by: layout.channelCount * componentType.byteCount)
        return overflow ? .max : bytes
    }
}
