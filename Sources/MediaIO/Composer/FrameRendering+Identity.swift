import Foundation

extension VideoFrameRenderer {
    /// The type's full name (`UpscaleKit.StillFrameRenderer`): renderers whose pixels depend on settings of their own
    /// say so in an identity of their own.
    public var identity: String { String(reflecting: Self.self) }
}
