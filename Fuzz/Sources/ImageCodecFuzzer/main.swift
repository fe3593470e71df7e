import Foundation
import MediaIO

// libFuzzer's driver, from the toolchain's compiler-rt (linked by `-sanitize=fuzzer`). The harness
// has its own `main` (SwiftPM gives every executable one), so it hands control to the driver
// instead of letting libFuzzer supply `main`.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// One fuzz input: decode it whole and in row bands, and re-encode what decodes.
///
/// Success and `ImageCodecError` are the expected outcomes. A crash, a sanitizer report, or an
/// untyped error (turned into a crash so that libFuzzer keeps the input) is a finding.
func fuzzImageCodecs(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
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
        // as above
    } catch {
        preconditionFailure("untyped error from the row reader: \(error)")
    }
    return 0
}

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runFuzzerDriver(&argc, &argv, fuzzImageCodecs))
