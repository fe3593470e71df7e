/// Reads an image from the top down, a band of rows at a time, so that an image larger than memory
/// can be processed in bands.
///
/// Readers are single-threaded objects: use one from one task at a time.
///
/// ```swift
/// let reader = try ImageDecoder().rowReader(contentsOf: url)
/// while reader.nextRow < reader.info.height {
///     let band = try reader.readBand(maxRows: 64)
///     // process band
/// }
/// ```
public protocol ImageRowReader: AnyObject {
    /// Geometry and sample format of the rows delivered.
    var info: ImageInfo { get }
    /// What the file says besides the pixels; chunks after the image data appear once the last row
    /// is read.
    var metadata: ImageMetadata { get }
    /// Problems the codec recovered from so far.
    var warnings: [ImageCodecWarning] { get }
    /// The index of the next row to be read; `info.height` once the image is finished.
    var nextRow: Int { get }

    /// Reads the next `rowCount` rows into `destination`, `rowStride` bytes apart.
    ///
    /// - Throws: ``ImageCodecError`` when the data is bad or the destination too small. After an
    ///   error the reader cannot continue.
    func readRows(into destination: UnsafeMutableRawBufferPointer, rowStride: Int, rowCount: Int) throws
}

extension ImageRowReader {
    /// Reads up to `maxRows` next rows as a packed ``PixelBuffer``.
    public func readBand(maxRows: Int) throws -> PixelBuffer {
        let rows = min(maxRows, info.height - nextRow)
        guard rows > 0 else {
            throw ImageCodecError.invalidArgument("no rows left to read (next row \(nextRow) of \(info.height))")
        }
        let rowBytes = info.rowByteCount
        let storage = try [UInt8](unsafeUninitializedCapacity: rowBytes * rows) { buffer, count in
            try readRows(into: UnsafeMutableRawBufferPointer(buffer), rowStride: rowBytes, rowCount: rows)
            count = rowBytes * rows
        }
        return PixelBuffer(
            unchecked: info.width,
            rows,
            info.layout,
            info.componentType,
            rowBytes,
            bytes: storage,
            colorTag: metadata.colorTag,
            iccProfile: metadata.iccProfile
        )
    }
}
