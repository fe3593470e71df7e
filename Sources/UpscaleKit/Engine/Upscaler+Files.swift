public import Foundation
public import MediaIO
import Synchronization

extension Upscaler {
    /// Upscales an image file into another, decoding, resampling and encoding a band of rows at a
    /// time, so neither the input nor the output has to fit in memory: ×8 of a 2048² RGB image
    /// (a 16384² output, 805 MB raw) runs in well under 300 MB.
    ///
    /// The output appears under `destination` only once complete. A JPEG with an EXIF orientation
    /// other than upright is decoded whole instead, so that it is turned upright first (like
    /// ``MediaIO/ImageDecoder``'s whole-image decoding). ``Method/learned(_:)`` also decodes
    /// and upscales the whole image in memory (its network runs in tiles, but over the whole input).
    ///
    /// - Parameters:
    ///   - source: a PNG or JPEG file (recognised by content).
    ///   - destination: where to write; its extension picks the format unless `format` is given.
    ///   - format: the output format and settings.
    ///   - decoder: limits for reading `source`.
    /// - Returns: the report (without metrics: those would need the whole output).
    @discardableResult
    public func upscaleFile(
        from source: URL,
        to destination: URL,
        format: ImageEncoder.Format? = nil,
        decoder: ImageDecoder = ImageDecoder()
    ) async throws -> UpscaleReport {
        let encoder = try format.map(ImageEncoder.init(format:)) ?? ImageEncoder(forPathExtensionOf: destination)
        let reader = try decoder.rowReader(contentsOf: source)
        // The learned model runs on whole images (in tiles), so it decodes the input whole.
        if configuration.method.learnedConfiguration != nil || (reader.metadata.orientation ?? .topLeft) != .topLeft {
            let image = try await Self.offCooperativePool { try decoder.decode(contentsOf: source).pixels }
            let (output, report) = try await upscaleReporting(image)
            try await Self.offCooperativePool { try encoder.write(output, to: destination) }
            return report
        }
        let flag = CancellationFlag()
        // The reader is used by one thread at a time: handed to the upscaler's thread, then dropped.
        let handOff = UncheckedSendable(reader)
        return try await withTaskCancellationHandler {
            try await Self.offCooperativePool {
                try stream(reader: handOff.value, encoder: encoder, destination: destination, cancellation: flag)
            }
        } onCancel: {
            flag.cancel()
        }
    }

    private func stream(
        reader: any ImageRowReader,
        encoder: ImageEncoder,
        destination: URL,
        cancellation: CancellationFlag
    ) throws -> UpscaleReport {
        let clock = ContinuousClock()
        let start = clock.now
        let info = reader.info
        let engine = try makeEngine(for: info, premultiplied: false, inMemory: false)
        let outputInfo = ImageInfo(
            width: engine.outputWidth,
            height: engine.outputHeight,
            layout: info.layout,
            componentType: info.componentType
        )
        let writer = try encoder.rowWriter(
            to: destination,
            info: outputInfo,
            colorTag: reader.metadata.colorTag,
            iccProfile: reader.metadata.iccProfile
        )
        let bandHeight = effectiveBandHeight(inputHeight: info.height, outputHeight: outputInfo.height)
        let threads = configuration.threadCount
        let inputRowBytes = info.rowByteCount
        let outputRowBytes = outputInfo.rowByteCount
        // The source rows the current band reads: rows window.lowerBound..<window.upperBound.
        var window = 0..<0
        var windowCapacity = 0
        for bandStart in stride(from: 0, to: outputInfo.height, by: bandHeight) {
            let band = bandStart..<min(bandStart + bandHeight, outputInfo.height)
            windowCapacity = max(windowCapacity, engine.sourceRows(for: band).count)
        }
        let input = UnsafeMutableRawPointer.allocate(byteCount: windowCapacity * inputRowBytes, alignment: 64)
        let output = UnsafeMutableRawPointer.allocate(byteCount: bandHeight * outputRowBytes, alignment: 64)
        defer {
            input.deallocate()
            output.deallocate()
        }
        for bandStart in stride(from: 0, to: outputInfo.height, by: bandHeight) {
            if cancellation.isCancelled { throw CancellationError() }
            let band = bandStart..<min(bandStart + bandHeight, outputInfo.height)
            let needed = engine.sourceRows(for: band)
            // Keep the rows this band shares with the last one; read the rest.
            let kept = max(0, window.upperBound - needed.lowerBound)
            if kept > 0, needed.lowerBound > window.lowerBound {
                input.copyMemory(
                    from: input + (needed.lowerBound - window.lowerBound) * inputRowBytes,
                    byteCount: kept * inputRowBytes
                )
            }
            window = needed.lowerBound..<(needed.lowerBound + kept)
            let missing = needed.upperBound + 1 - window.upperBound
            if missing > 0 {
                try reader.readRows(
                    into: UnsafeMutableRawBufferPointer(
                        start: input + kept * inputRowBytes, count: missing * inputRowBytes),
                    rowStride: inputRowBytes,
                    rowCount: missing
                )
                window = window.lowerBound..<(window.upperBound + missing)
            }
            // Based so that source row y sits at base + y × stride; only rows of the window are read.
            let rows = SharedRows(
                input: UnsafeRawPointer(input - window.lowerBound * inputRowBytes),
                inputStride: inputRowBytes,
                output: output - band.lowerBound * outputRowBytes,
                outputStride: outputRowBytes
            )
            let pieces = Self.split(band, into: threads)
            try Self.run(bands: pieces, threads: pieces.count, engine: engine, rows: rows, cancellation: cancellation)
            try writer.writeRows(
                from: UnsafeRawBufferPointer(start: output, count: band.count * outputRowBytes),
                rowStride: outputRowBytes,
                rowCount: band.count
            )
        }
        // Rows below the last one any band read (none for an upscale) still have to be consumed.
        while reader.nextRow < info.height {
            _ = try reader.readBand(maxRows: 64)
        }
        try writer.finish()
        return UpscaleReport(
            kernel: configuration.resamplingKernel,
            inputWidth: info.width,
            inputHeight: info.height,
            outputWidth: outputInfo.width,
            outputHeight: outputInfo.height,
            threads: threads,
            colorHandling: configuration.colorHandling,
            antiRinging: configuration.antiRinging,
            duration: clock.now - start,
            metrics: nil
        )
    }

    static func split(_ rows: Range<Int>, into parts: Int) -> [Range<Int>] {
        let parts = max(1, min(parts, rows.count))
        return (0..<parts).map { part in
            (rows.lowerBound + rows.count * part / parts)..<(rows.lowerBound + rows.count * (part + 1) / parts)
        }
    }
}

/// Moves a value that is not `Sendable` to exactly one other thread, which then owns it, or to threads whose use of
/// it the sender orders and outlives (`WorkerThreads.concurrentPerform`).
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
