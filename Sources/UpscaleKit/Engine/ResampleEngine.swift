import CStoryForgeResample
import Foundation
import MediaIO
import Synchronization

/// The separable resampler behind ``Upscaler``: a horizontal pass over each source row the band
/// needs, then a vertical pass over those intermediate rows, in Float32 (the reference path) or,
/// for 8-bit images at integer factors, in the fixed-point C loops of ``SIMDPlan``.
///
/// On the reference path samples are converted to Float32 in 0...1 on load (linearised and
/// alpha-premultiplied when configured), so the intermediate precision is wider than any input's;
/// the inverse happens on store, with clamping and rounding. The fast path keeps a 13-bit
/// intermediate and agrees with the reference within one 8-bit step.
final class ResampleEngine: Sendable {
    let horizontal: ResampleWeights
    let vertical: ResampleWeights
    let layout: PixelBuffer.Layout
    let inputType: PixelBuffer.ComponentType
    let outputType: PixelBuffer.ComponentType
    let linearLight: Bool
    let premultiply: Bool
    let antiRinging: Bool
    /// The SIMD fast path, when it applies: 8-bit samples, an integer factor across, gamma space,
    /// no alpha to premultiply, no anti-ringing.
    let simd: SIMDPlan?

    var channels: Int { layout.channelCount }
    var outputWidth: Int { horizontal.outputCount }
    var outputHeight: Int { vertical.outputCount }

    init(
        kernel: ResamplingKernel,
        input: ImageInfo,
        outputWidth: Int,
        outputHeight: Int,
        linearLight: Bool,
        premultiply: Bool,
        antiRinging: Bool
    ) {
        self.horizontal = ResampleWeights(kernel: kernel, inputCount: input.width, outputCount: outputWidth)
        self.vertical = ResampleWeights(kernel: kernel, inputCount: input.height, outputCount: outputHeight)
        self.layout = input.layout
        self.inputType = input.componentType
        self.outputType = input.componentType
        self.linearLight = linearLight
        self.premultiply = premultiply && input.layout.hasAlpha
        self.antiRinging = antiRinging
        let eligible = input.componentType == .uint8 && !linearLight && !antiRinging && !self.premultiply
        self.simd =
            eligible
            ? SIMDPlan(horizontal: horizontal, vertical: vertical, channels: input.layout.channelCount) : nil
    }

    /// The source rows (clamped to the image) that output rows `rows` read.
    func sourceRows(for rows: Range<Int>) -> ClosedRange<Int> {
        if let simd { return simd.sourceRows(for: rows) }
        let low = vertical.first[rows.lowerBound]
        let high = vertical.first[rows.upperBound - 1] + vertical.taps - 1
        return max(low, 0)...min(high, vertical.inputCount - 1)
    }

    /// Resamples output rows `rows`: source row `y` starts at `memory.input + y × memory.inputStride`
    /// (only the rows ``sourceRows(for:)`` names are read), output row `y` at
    /// `memory.output + y × memory.outputStride`.
    func resample(rows: Range<Int>, buffers: ResampleBuffers, memory: SharedRows) {
        guard !rows.isEmpty else { return }
        if let simd {
            simd.resample(rows: rows, memory: memory, scratch: buffers.bytes(simd.scratchBytes))
            return
        }
        let sourceRow = { (y: Int) in memory.input + y * memory.inputStride }
        let outputRow = { (y: Int) in memory.output + y * memory.outputStride }
        let needed = sourceRows(for: rows)
        let rowFloats = outputWidth * channels
        let inputFloats = horizontal.inputCount * channels
        let count = needed.count
        // Intermediate rows: the horizontal pass of each needed source row, once per band.
        let intermediate = buffers.floats(.intermediate, count * rowFloats)
        let lows = antiRinging ? buffers.floats(.lows, count * rowFloats) : nil
        let highs = antiRinging ? buffers.floats(.highs, count * rowFloats) : nil
        let line = buffers.floats(.line, inputFloats)
        let out = buffers.floats(.output, rowFloats)
        for (index, y) in needed.enumerated() {
            load(sourceRow(y), into: line)
            let target = intermediate + index * rowFloats
            resampleHorizontally(line, into: target)
            if let lows, let highs {
                neighbourhoodBounds(line, lows: lows + index * rowFloats, highs: highs + index * rowFloats)
            }
        }
        let taps = vertical.taps
        for y in rows {
            let start = vertical.first[y]
            for i in 0..<rowFloats { out[i] = 0 }
            for k in 0..<taps {
                let weight = vertical.weights[y * taps + k]
                if weight == 0 { continue }
                let source = min(max(start + k, needed.lowerBound), needed.upperBound) - needed.lowerBound
                let row = intermediate + source * rowFloats
                for i in 0..<rowFloats { out[i] += weight * row[i] }
            }
            if let lows, let highs {
                let (a, b) = vertical.nearest[y]
                let rowA = a - needed.lowerBound
                let rowB = b - needed.lowerBound
                for i in 0..<rowFloats {
                    let low = min(lows[rowA * rowFloats + i], lows[rowB * rowFloats + i])
                    let high = max(highs[rowA * rowFloats + i], highs[rowB * rowFloats + i])
                    out[i] = min(max(out[i], low), high)
                }
            }
            store(out, into: outputRow(y))
        }
    }

    private func resampleHorizontally(_ line: UnsafeMutablePointer<Float>, into target: UnsafeMutablePointer<Float>) {
        let taps = horizontal.taps
        let channels = self.channels
        let last = horizontal.inputCount - 1
        horizontal.weights.withUnsafeBufferPointer { weights in
            horizontal.first.withUnsafeBufferPointer { first in
                for x in 0..<horizontal.outputCount {
                    let start = first[x]
                    let output = target + x * channels
                    for c in 0..<channels { output[c] = 0 }
                    for k in 0..<taps {
                        let weight = weights[x * taps + k]
                        let source = line + min(max(start + k, 0), last) * channels
                        for c in 0..<channels { output[c] += weight * source[c] }
                    }
                }
            }
        }
    }

    /// Per output column, the smallest and largest sample among the two source pixels nearest its
    /// sampling position: with the same over rows, the 2×2 neighbourhood the anti-ringing clamp uses.
    private func neighbourhoodBounds(
        _ line: UnsafeMutablePointer<Float>,
        lows: UnsafeMutablePointer<Float>,
        highs: UnsafeMutablePointer<Float>
    ) {
        let channels = self.channels
        for x in 0..<horizontal.outputCount {
            let (a, b) = horizontal.nearest[x]
            for c in 0..<channels {
                let p = line[a * channels + c]
                let q = line[b * channels + c]
                lows[x * channels + c] = min(p, q)
                highs[x * channels + c] = max(p, q)
            }
        }
    }

    // MARK: Sample conversion

    private func load(_ row: UnsafeRawPointer, into line: UnsafeMutablePointer<Float>) {
        let count = horizontal.inputCount * channels
        switch inputType {
        case .uint8:
            let source = row.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count { line[i] = Float(source[i]) * (1 / 255) }
        case .uint16:
            let source = row.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { line[i] = Float(source[i]) * (1 / 65535) }
        case .float32:
            let source = row.assumingMemoryBound(to: Float.self)
            // Non-finite samples would poison every output they touch: NaN and −∞ read as 0, +∞ as 1.
            for i in 0..<count { line[i] = source[i].isFinite ? source[i] : (source[i] == .infinity ? 1 : 0) }
        }
        let colors = layout.colorChannelCount
        let channels = self.channels
        if linearLight {
            for x in 0..<horizontal.inputCount {
                for c in 0..<colors { line[x * channels + c] = TransferFunction.sRGBToLinear(line[x * channels + c]) }
            }
        }
        if premultiply {
            for x in 0..<horizontal.inputCount {
                let alpha = line[x * channels + colors]
                for c in 0..<colors { line[x * channels + c] *= alpha }
            }
        }
    }

    private func store(_ out: UnsafeMutablePointer<Float>, into row: UnsafeMutableRawPointer) {
        let colors = layout.colorChannelCount
        let channels = self.channels
        let width = outputWidth
        if premultiply {
            for x in 0..<width {
                let alpha = out[x * channels + colors]
                let scale: Float = alpha > 1e-7 ? 1 / alpha : 0
                for c in 0..<colors { out[x * channels + c] *= scale }
            }
        }
        if linearLight {
            for x in 0..<width {
                for c in 0..<colors {
                    out[x * channels + c] = TransferFunction.linearToSRGB(max(out[x * channels + c], 0))
                }
            }
        }
        let count = width * channels
        switch outputType {
        case .uint8:
            let target = row.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count { target[i] = UInt8(min(max(out[i] * 255 + 0.5, 0), 255)) }
        case .uint16:
            let target = row.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { target[i] = UInt16(min(max(out[i] * 65535 + 0.5, 0), 65535)) }
        case .float32:
            let target = row.assumingMemoryBound(to: Float.self)
            for i in 0..<count { target[i] = min(max(out[i], 0), 1) }
        }
    }
}

/// Raw pointers shared by the bands of one resample; every band writes disjoint rows.
struct SharedRows: @unchecked Sendable {
    let input: UnsafeRawPointer
    let inputStride: Int
    let output: UnsafeMutableRawPointer
    let outputStride: Int
}

/// Set from a task's cancellation handler, read by worker threads between bands.
final class CancellationFlag: Sendable {
    private let cancelled = Atomic<Bool>(false)

    func cancel() { cancelled.store(true, ordering: .relaxed) }
    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
}

/// Working memory of one worker thread, grown on demand and reused band after band: allocating it
/// per band made the kernel's page-fault handling 40% of an upscale's time.
///
/// Not `Sendable`: each worker owns one.
final class ResampleBuffers {
    enum Slot: Int, CaseIterable {
        case intermediate, lows, highs, line, output
    }

    private var storage: [UnsafeMutablePointer<Float>?] = Array(repeating: nil, count: Slot.allCases.count)
    private var capacity = [Int](repeating: 0, count: Slot.allCases.count)
    private var raw: UnsafeMutableRawPointer?
    private var rawCapacity = 0

    func floats(_ slot: Slot, _ count: Int) -> UnsafeMutablePointer<Float> {
        if let existing = storage[slot.rawValue], capacity[slot.rawValue] >= count { return existing }
        storage[slot.rawValue]?.deallocate()
        let fresh = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        storage[slot.rawValue] = fresh
        capacity[slot.rawValue] = count
        return fresh
    }

    /// `count` bytes, 64-byte aligned (the fast path's scratch).
    func bytes(_ count: Int) -> UnsafeMutableRawPointer {
        if let raw, rawCapacity >= count { return raw }
        raw?.deallocate()
        let fresh = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        raw = fresh
        rawCapacity = count
        return fresh
    }

    deinit {
        for pointer in storage { pointer?.deallocate() }
        raw?.deallocate()
    }
}
