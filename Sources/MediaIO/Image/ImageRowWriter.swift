/// Writes an image from the top down, a band of rows at a time.
///
/// A writer to a file writes to a temporary file beside the destination and moves it into place
/// only in ``finish()``; a writer dropped before then removes the temporary file, so no partial
/// image ever appears under the final name.
public protocol ImageRowWriter: AnyObject {
    /// Geometry and sample format of the rows accepted.
    var info: ImageInfo { get }
    /// The index of the next row to be written.
    var nextRow: Int { get }

    /// Writes the next `rowCount` rows from `source`, `rowStride` bytes apart.
    func writeRows(from source: UnsafeRawBufferPointer, rowStride: Int, rowCount: Int) throws
    /// Completes the image (after its last row) and publishes it.
    func finish() throws
}

extension ImageRowWriter {
    /// Writes a band of rows whose width, layout and component type match ``info``.
    public func writeBand(_ band: PixelBuffer) throws {
        guard band.width == info.width, band.layout == info.layout, band.componentType == info.componentType else {
            throw ImageCodecError.invalidArgument(
                "band is \(band.width) px \(band.layout) \(band.componentType), writer expects "
                    + "\(info.width) px \(info.layout) \(info.componentType)"
            )
        }
        try band.withUnsafeBytes { raw in
            try writeRows(from: raw, rowStride: band.rowStride, rowCount: band.height)
        }
    }
}

/// Checks a caller's row buffer against the rows it should hold.
func validateRowBuffer(byteCount: Int, rowStride: Int, rowCount: Int, info: ImageInfo, nextRow: Int) throws {
    guard rowCount >= 0, rowCount <= info.height - nextRow else {
        throw ImageCodecError.invalidArgument(
            "\(rowCount) rows asked for at row \(nextRow) of an image \(info.height) rows high"
        )
    }
    guard rowStride >= info.rowByteCount else {
        throw ImageCodecError.invalidArgument(
            "row stride \(rowStride) is shorter than a row (\(info.rowByteCount) bytes)")
    }
    guard rowCount > 0 else { return }
    // A caller's stride and count are checked for overflow: a huge stride must be an error, not a trap.
    let (span, spanOverflow) = rowStride.multipliedReportingOverflow(by: rowCount - 1)
    let (needed, neededOverflow) = span.addingReportingOverflow(info.rowByteCount)
    guard !spanOverflow, !neededOverflow, byteCount >= needed else {
        throw ImageCodecError.invalidArgument("a buffer of \(byteCount) bytes cannot hold \(rowCount) rows")
    }
}
