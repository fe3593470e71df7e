import Foundation
import MediaIO

/// libFuzzer's entry point: decode the input whole and in row bands, and re-encode what decodes.
///
/// Anything but success or an `ImageCodecError` is a finding: a crash, a sanitizer report, or an
/// untyped error (which the harness turns into a crash so libFuzzer keeps the input).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImageCodecs(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    // A lower limit than the default keeps each execution fast; the limit itself is tested elsewhere.
    let decoder = ImageDecoder(configuration: .init(maxPixelCount: 2048 * 2048))
    do {
        let decoded = try decoder.decode(data)
        if decoded.pixels.pixelCount <= 256 * 256 {
            _ = try ImageEncoder(format: .png(.init(compressionLevel: 1))).encode(decoded.pixels)
            _ = try ImageEncoder(format: .jpeg(.init(quality: 50))).encode(decoded.pixels)
        }
    } catch is ImageCodecError {
        // the expected outcome for most inputs
    } catch {
        preconditionFailure("untyped error from decode: \(error)")
    }
    do {
        let reader = try decoder.rowReader(for: data)
        while reader.nextRow < reader.info.height {
            _ = try reader.readBand(maxRows: 13)
        }
    } catch is ImageCodecError {
    } catch {
        preconditionFailure("untyped error from the row reader: \(error)")
    }
    return 0
}
