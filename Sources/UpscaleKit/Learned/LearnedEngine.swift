import CStoryForgeSR
import Foundation
import MediaIO
import Synchronization

/// Runs one ``LearnedModel`` over an image, tile by tile, and puts its luma into a Lanczos3
/// enlargement of the same image: each output pixel's colour channels all move by the difference
/// between the network's luma and the Lanczos3 luma, which changes BT.601 luma to the network's
/// and leaves chroma (Cb, Cr) as Lanczos3 made it. Alpha stays Lanczos3's.
///
/// Tiles are `tileSize × tileSize` input pixels, read with a halo of the network's receptive
/// radius (edge pixels repeated past the image, as in training), so every output pixel is computed
/// from the same numbers in the same order whatever the tiling or the thread count: tiled output
/// equals untiled output exactly. Each worker owns scratch for one tile, so memory beyond the
/// images grows with the tile size, not the image size.
struct LearnedEngine: Sendable {
    let model: LearnedModel
    let tileSize: Int
    let threads: Int
    /// Whether each tile also runs mirrored left to right, the two outputs averaged.
    var mirrorEnsemble = false

    /// Per-worker activations for one tile: two ping-pong planes, the input with its halo, the
    /// skip path's output and the network's output (and, for the mirror ensemble, a second one).
    final class Scratch {
        let input: UnsafeMutablePointer<Float>
        let ping: UnsafeMutablePointer<Float>
        let pong: UnsafeMutablePointer<Float>
        let skip: UnsafeMutablePointer<Float>
        let result: UnsafeMutablePointer<Float>
        let spare: UnsafeMutablePointer<Float>

        init(engine: LearnedEngine) {
            let side = engine.tileSize + 2 * engine.model.radius
            input = .allocate(capacity: side * side)
            var largest = 0
            var extent = side
            for layer in engine.model.layers {
                extent -= 2 * layer.radius
                largest = max(largest, extent * extent * layer.outputChannels)
            }
            ping = .allocate(capacity: largest)
            pong = .allocate(capacity: largest)
            let outputs = engine.tileSize * engine.tileSize * engine.model.factor * engine.model.factor
            skip = .allocate(capacity: outputs)
            result = .allocate(capacity: outputs)
            spare = .allocate(capacity: engine.mirrorEnsemble ? outputs : 0)
        }

        deinit {
            input.deallocate()
            ping.deallocate()
            pong.deallocate()
            skip.deallocate()
            result.deallocate()
            spare.deallocate()
        }
    }

    /// The bytes of one worker's ``Scratch`` for tiles of `tileSize` (`nil` when the count
    /// overflows), computed as ``Scratch`` allocates, so the plan can check it first.
    static func scratchBytes(model: LearnedModel, tileSize: Int, mirror: Bool) -> Int? {
        var bytes = ByteCount()
        let (side, sideOverflow) = tileSize.addingReportingOverflow(2 * model.radius)
        guard !sideOverflow else { return nil }
        bytes.add(side, times: side, times: 4)
        var largest = 0
        var extent = side
        for layer in model.layers {
            extent -= 2 * layer.radius
            var planes = ByteCount()
            planes.add(extent, times: extent, times: layer.outputChannels)
            guard let value = planes.value else { return nil }
            largest = max(largest, value)
        }
        bytes.add(largest, times: 2, times: 4)
        let (phases, phasesOverflow) = model.factor.multipliedReportingOverflow(by: model.factor)
        guard !phasesOverflow else { return nil }
        bytes.add(tileSize, times: tileSize, times: phases * 4 * (mirror ? 3 : 2))
        return bytes.value
    }

    /// Enlarges `image` by the model's factor. `base` is its Lanczos3 enlargement (same layout and
    /// type), which is modified in place into the result.
    func run(image: PixelBuffer, base: inout PixelBuffer, cancellation: CancellationFlag) throws {
        let tilesAcross = (image.width + tileSize - 1) / tileSize
        let tilesDown = (image.height + tileSize - 1) / tileSize
        let tileCount = tilesAcross * tilesDown
        let workers = max(1, min(threads, tileCount))
        let next = Atomic<Int>(0)
        let destinationStride = base.rowStride
        try image.withUnsafeBytes { source in
            try base.withUnsafeMutableBytes { destination in
                let planes = Planes(
                    source: source.baseAddress!,
                    sourceInfo: (image.width, image.height, image.rowStride),
                    destination: destination.baseAddress!,
                    destinationStride: destinationStride,
                    layout: image.layout,
                    type: image.componentType
                )
                WorkerThreads.concurrentPerform(iterations: workers) { _ in
                    let scratch = Scratch(engine: self)
                    while !cancellation.isCancelled {
                        let index = next.add(1, ordering: .relaxed).oldValue
                        guard index < tileCount else { return }
                        let x0 = (index % tilesAcross) * tileSize
                        let y0 = (index / tilesAcross) * tileSize
                        runTile(
                            x0: x0,
                            y0: y0,
                            width: min(tileSize, image.width - x0),
                            height: min(tileSize, image.height - y0),
                            planes: planes,
                            scratch: scratch
                        )
                    }
                }
                if cancellation.isCancelled { throw CancellationError() }
            }
        }
    }

    private func runTile(x0: Int, y0: Int, width: Int, height: Int, planes: Planes, scratch: Scratch) {
        let radius = model.radius
        let side = (width + 2 * radius, height + 2 * radius)
        // The input with its halo, clamped to the image (edge replication), luma in 0...1 less 0.5.
        for row in 0..<side.1 {
            let y = min(max(y0 + row - radius, 0), planes.sourceInfo.height - 1)
            let line = scratch.input + row * side.0
            for column in 0..<side.0 {
                let x = min(max(x0 + column - radius, 0), planes.sourceInfo.width - 1)
                line[column] = planes.sourceLuma(x: x, y: y) - 0.5
            }
        }
        let factor = model.factor
        let phases = factor * factor
        forward(side: side, width: width, height: height, scratch: scratch, output: scratch.result)
        if mirrorEnsemble {
            // The mirrored tile is the same tile of the mirrored image (halo included), so tiling
            // stays invisible. Its output column c, phase column p lands on column width − 1 − c,
            // phase column factor − 1 − p.
            for row in 0..<side.1 {
                let line = scratch.input + row * side.0
                var buffer = UnsafeMutableBufferPointer(start: line, count: side.0)
                buffer.reverse()
            }
            forward(side: side, width: width, height: height, scratch: scratch, output: scratch.spare)
            for row in 0..<height {
                for column in 0..<width {
                    let mirrored = (row * width + width - 1 - column) * phases
                    let offset = (row * width + column) * phases
                    for phase in 0..<phases {
                        let flipped = (phase / factor) * factor + factor - 1 - phase % factor
                        scratch.result[offset + phase] =
                            0.5 * (scratch.result[offset + phase] + scratch.spare[mirrored + flipped])
                    }
                }
            }
        }
        for row in 0..<height {
            for column in 0..<width {
                let offset = (row * width + column) * phases
                for phase in 0..<phases {
                    planes.replaceLuma(
                        x: (x0 + column) * factor + phase % factor,
                        y: (y0 + row) * factor + phase / factor,
                        with: scratch.result[offset + phase] + 0.5
                    )
                }
            }
        }
    }

    /// Runs the network over `scratch.input` (a tile with its halo, `side` wide and high) and
    /// writes its output, `width × height` pixels of `factor²` phases less 0.5, to `output`.
    private func forward(
        side: (Int, Int), width: Int, height: Int, scratch: Scratch, output: UnsafeMutablePointer<Float>
    ) {
        let radius = model.radius
        var current = UnsafePointer(scratch.input)
        var extent = side
        var channels = 1
        var target = scratch.ping
        for layer in model.layers {
            extent = (extent.0 - 2 * layer.radius, extent.1 - 2 * layer.radius)
            Self.convolve(
                layer, input: current, inputStride: (extent.0 + 2 * layer.radius) * channels, size: extent,
                output: target)
            current = UnsafePointer(target)
            channels = layer.outputChannels
            target = target == scratch.ping ? scratch.pong : scratch.ping
        }
        // The linear skip reads the input inside the halo it does not need.
        let inset = radius - model.skip.radius
        Self.convolve(
            model.skip,
            input: scratch.input + inset * side.0 + inset,
            inputStride: side.0,
            size: (width, height),
            output: scratch.skip
        )
        for index in 0..<(width * height * model.factor * model.factor) {
            output[index] = current[index] + scratch.skip[index]
        }
    }

    /// Runs `layer` (see `sf_sr_conv`); `portable` forces the portable loop, for tests.
    static func convolve(
        _ layer: LearnedModel.Layer,
        input: UnsafePointer<Float>,
        inputStride: Int,
        size: (Int, Int),
        output: UnsafeMutablePointer<Float>,
        portable: Bool = false
    ) {
        layer.weights.withUnsafeBufferPointer { weights in
            layer.bias.withUnsafeBufferPointer { bias in
                func call(_ slope: UnsafePointer<Float>?) {
                    var plan = sf_sr_layer(
                        kernel: Int32(layer.kernel),
                        in_channels: Int32(layer.inputChannels),
                        out_channels: Int32(layer.outputChannels),
                        padded_out: Int32(layer.paddedOutputChannels),
                        weights: weights.baseAddress,
                        bias: bias.baseAddress,
                        slope: slope
                    )
                    if portable {
                        sf_sr_conv_portable(&plan, input, inputStride, Int32(size.0), Int32(size.1), output)
                    } else {
                        sf_sr_conv(&plan, input, inputStride, Int32(size.0), Int32(size.1), output)
                    }
                }
                if let slope = layer.slope {
                    slope.withUnsafeBufferPointer { call($0.baseAddress) }
                } else {
                    call(nil)
                }
            }
        }
    }
}

/// The source image and the destination (the Lanczos3 enlargement, rewritten in place) as raw
/// pointers shared by the workers: each tile writes a disjoint block of destination pixels.
private struct Planes: @unchecked Sendable {
    let source: UnsafeRawPointer
    let sourceInfo: (width: Int, height: Int, stride: Int)
    let destination: UnsafeMutableRawPointer
    let destinationStride: Int
    let layout: PixelBuffer.Layout
    let type: PixelBuffer.ComponentType

    private var channels: Int { layout.channelCount }
    private var color: Bool { layout.colorChannelCount == 3 }
    private var maximum: Float { Float(type.maximumValue) }

    @inline(__always)
    private func load(_ base: UnsafeRawPointer, _ index: Int) -> Float {
        switch type {
        case .uint8: Float(base.load(fromByteOffset: index, as: UInt8.self))
        case .uint16: Float(base.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
        case .float32: base.loadUnaligned(fromByteOffset: 4 * index, as: Float.self)
        }
    }

    @inline(__always)
    private func store(_ value: Float, _ base: UnsafeMutableRawPointer, _ index: Int) {
        let clamped = min(max(value, 0), maximum)
        switch type {
        case .uint8: base.storeBytes(of: UInt8(clamped.rounded()), toByteOffset: index, as: UInt8.self)
        case .uint16: base.storeBytes(of: UInt16(clamped.rounded()), toByteOffset: 2 * index, as: UInt16.self)
        case .float32: base.storeBytes(of: clamped, toByteOffset: 4 * index, as: Float.self)
        }
    }

    /// BT.601 luma of source pixel (x, y) in 0...1.
    @inline(__always)
    func sourceLuma(x: Int, y: Int) -> Float {
        let row = source + y * sourceInfo.stride
        let i = x * channels
        if color {
            return (0.299 * load(row, i) + 0.587 * load(row, i + 1) + 0.114 * load(row, i + 2)) / maximum
        }
        return load(row, i) / maximum
    }

    /// Moves destination pixel (x, y) to luma `luma` (0...1), keeping its chroma.
    ///
    /// With integer components, each colour channel is rounded down or up, whichever of the eight
    /// combinations gives the luma nearest the network's: rounding the three channels independently
    /// would add noise of about 0.19 levels RMS to a luma the network computed to a fraction of
    /// that (0.4 dB of PSNR on a photograph the network already restores to 50 dB). Every channel
    /// stays within one level of its exact value, so chroma moves by less than one level.
    @inline(__always)
    func replaceLuma(x: Int, y: Int, with luma: Float) {
        let row = destination + y * destinationStride
        let i = x * channels
        let target = luma * maximum
        guard color else {
            store(target, row, i)
            return
        }
        let (r, g, b) = (load(row, i), load(row, i + 1), load(row, i + 2))
        let delta = target - (0.299 * r + 0.587 * g + 0.114 * b)
        guard type != .float32 else {
            store(r + delta, row, i)
            store(g + delta, row, i + 1)
            store(b + delta, row, i + 2)
            return
        }
        let exact = (r + delta, g + delta, b + delta)
        let low = (exact.0.rounded(.down), exact.1.rounded(.down), exact.2.rounded(.down))
        var best = low
        var bestError = Float.infinity
        for combination in 0..<8 {
            let candidate = (
                clamp(low.0 + Float(combination & 1)),
                clamp(low.1 + Float((combination >> 1) & 1)),
                clamp(low.2 + Float(combination >> 2))
            )
            let error = abs(0.299 * candidate.0 + 0.587 * candidate.1 + 0.114 * candidate.2 - target)
            if error < bestError {
                best = candidate
                bestError = error
            }
        }
        store(best.0, row, i)
        store(best.1, row, i + 1)
        store(best.2, row, i + 2)
    }

    @inline(__always)
    private func clamp(_ value: Float) -> Float {
        min(max(value, 0), maximum)
    }
}
