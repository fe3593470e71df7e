import CStoryForgeCodecs

// Pieces the PNG and JPEG readers and writers share.

extension ImageCodecError {
    /// The error for a status from the C codec layer. A library error while encoding means the
    /// library rejected what it was given (an ICC profile, a size), so it reads as an invalid argument.
    init(status: sf_status, format: ImageFormat, message: String, location: String?, encoding: Bool = false) {
        let text = "\(format): \(message)" + (location.map { " (\($0))" } ?? "")
        switch status {
        case SF_ERR_TRUNCATED: self = .truncated(text)
        case SF_ERR_NO_MEMORY: self = .outOfMemory(text)
        case SF_ERR_IO: self = .io(text)
        case SF_ERR_USAGE: self = .invalidArgument(text)
        default: self = encoding ? .invalidArgument(text) : .corrupt(text)
        }
    }
}

extension PixelBuffer {
    /// A packed copy of `rowCount` rows in `info`'s format, `rowStride` bytes apart from `base`.
    init(copyingRows base: UnsafeRawPointer, rowStride: Int, rowCount: Int, info: ImageInfo) throws {
        let count = rowStride * (rowCount - 1) + info.rowByteCount
        try self.init(
            width: info.width,
            height: rowCount,
            layout: info.layout,
            componentType: info.componentType,
            bytes: Array(UnsafeRawBufferPointer(start: base, count: count)),
            rowStride: rowStride
        )
    }
}

/// Calls `body` with an array of `count` row pointers, `stride` bytes apart from `base`.
func withRowPointers<R>(
    _ base: UnsafeMutableRawPointer,
    _ stride: Int,
    _ count: Int,
    _ body: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>) throws -> R
) rethrows -> R {
    try withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<UInt8>?.self, capacity: count) { rows in
        for i in 0..<count { rows[i] = (base + i * stride).assumingMemoryBound(to: UInt8.self) }
        return try body(rows.baseAddress!)
    }
}

/// Calls `body` with an array of `count` read-only row pointers, `stride` bytes apart from `base`.
func withRowPointers<R>(
    _ base: UnsafeRawPointer,
    _ stride: Int,
    _ count: Int,
    _ body: (UnsafePointer<UnsafePointer<UInt8>?>) throws -> R
) rethrows -> R {
    try withUnsafeTemporaryAllocation(of: UnsafePointer<UInt8>?.self, capacity: count) { rows in
        for i in 0..<count { rows[i] = (base + i * stride).assumingMemoryBound(to: UInt8.self) }
        return try body(rows.baseAddress!)
    }
}
