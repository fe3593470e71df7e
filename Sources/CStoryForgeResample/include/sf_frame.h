// The frame renderer's loops: one 8-bit plane resampled from a fractional crop rectangle at any
// scale (UpscaleKit's StillFrameRenderer, Ken Burns motion), and the fixed-point crossfade.
//
// Unlike sf_resample.h (integer factors, whole images), the scale here is any ratio and the window
// any fractional rectangle, so the taps are a table per output row and column, rebuilt every frame
// from a tabulated kernel. The pass order is vertical first (8-bit rows to a 16-bit row at the
// crop's source width) then horizontal (to the output width), so the gather-shaped horizontal pass
// runs once per output pixel whatever the scale.
//
// Arithmetic, identical in the portable, AVX2 and AVX-512 copies (so every level gives the same
// bits): weights are Q14 and sum to exactly 16384 per output; the vertical pass sums products in
// 32 bits exactly and keeps 6 fractional bits, `(sum + 2^7) >> 8` saturated to int16; the
// horizontal pass sums exactly in 32 bits and rounds once, `(sum + 2^19) >> 20`, clamped to 0...255.

#ifndef SF_FRAME_H
#define SF_FRAME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Taps of one axis of a crop: output sample `i` (centre `i + 0.5` of `output_count`) reads source
/// samples `first[i] + k` (clamped to the source when read), `k < padded_taps`, with Q14 weights
/// `weights[i * padded_taps + k]` (zero past `taps`). The crop maps the output's `[0, output_count)`
/// onto the source's `[source_start, source_start + source_length)`; when that shrinks the kernel
/// is stretched by `1 / scale` so it also low-passes. `table` holds the kernel at `t = j / per_unit`
/// for `j <= support * per_unit + 1`, read with linear interpolation. Returns 0, or -1 for
/// arguments that make no sense (non-finite, non-positive sizes).
int sf_frame_axis_taps(const float *table, int per_unit, double support, double source_start, double source_length,
    int output_count, int taps, int padded_taps, int32_t *first, int16_t *weights);

/// The number of taps `sf_frame_axis_taps` uses for `source_length -> output_count` with a kernel of
/// half-width `support` (its rule is ResampleWeights.taps), or -1 when out of range (over 4096).
int sf_frame_tap_count(double support, double source_length, int output_count, int nearest);

/// int16 samples of scratch `sf_frame_resample_plane` needs for these horizontal taps.
size_t sf_frame_scratch_count(const int32_t *h_first, int output_width, int h_padded_taps);

/// Resamples the plane `source` (`source_width × source_height`, rows `source_stride` bytes apart)
/// into `output` (`output_width × output_height`, rows `output_stride` apart) with the taps of
/// `sf_frame_axis_taps`: vertically `v_first`/`v_weights` (`v_taps` even), horizontally
/// `h_first`/`h_weights` (`h_taps` 8 or a multiple of 16; `h_first` non-decreasing). `scratch`
/// holds `sf_frame_scratch_count` int16, 64-byte aligned. Returns 0, or -1 for bad arguments.
int sf_frame_resample_plane(const uint8_t *source, ptrdiff_t source_stride, int source_width, int source_height,
    const int32_t *v_first, const int16_t *v_weights, int v_taps, const int32_t *h_first, const int16_t *h_weights,
    int h_taps, uint8_t *output, ptrdiff_t output_stride, int output_width, int output_height, int16_t *scratch,
    size_t scratch_count);

/// The crossfade: `a[i] = (a[i] * (65536 - weight) + b[i] * weight + 32768) >> 16` for `i < count`,
/// `weight` (0...65536) the incoming picture's share in Q16: within 0.502 of the exact blend.
void sf_frame_blend_u8(uint8_t *a, const uint8_t *b, size_t count, uint32_t weight);

#ifdef __cplusplus
}
#endif

#endif
