// SIMD inner loops of UpscaleKit's separable resampler, with run-time CPU dispatch.
//
// The Swift engine plans the work (weights, bands, threads) and keeps a portable reference path;
// these loops are the fast path for 8-bit images at integer factors. Each function is compiled
// twice, once for AVX2+FMA and once for the baseline (SSE2 on x86-64, NEON on arm64), and the
// best one the running CPU supports is used.

#ifndef SF_RESAMPLE_H
#define SF_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The horizontal pass of an integer-factor upscale, as a fixed-tap convolution.
///
/// The input row is first expanded: each pixel repeated `factor` times, as floats, with the edge
/// pixels repeated `pad_left` / `pad_right` more times. Then output sample `m` of the row is
/// `sum_k weights[k * block + m % block] * expanded[m + k * factor * channels]`, with the weights
/// periodic in `m` (period `block`, a multiple of `factor * channels` and of 32).
typedef struct {
    int channels;
    int factor;
    int input_width;
    int taps;
    int pad_left;   // input pixels repeated before pixel 0 (the window's reach to the left)
    int pad_right;  // input pixels repeated after the last one
    int block;
    const float *weights;  // taps * block
} sf_horizontal_plan;

/// Floats of scratch the horizontal pass needs for `plan`.
size_t sf_horizontal_scratch_count(const sf_horizontal_plan *plan);

/// Floats the horizontal pass writes (the output row, rounded up to a whole block).
size_t sf_horizontal_output_count(const sf_horizontal_plan *plan);

/// Resamples one 8-bit row. `out` holds `sf_horizontal_output_count` floats (0...255 scale).
void sf_resample_horizontal_u8(const sf_horizontal_plan *plan, const uint8_t *row, float *scratch, float *out);

/// The vertical pass: `out[i] = round(clamp(sum_k weights[k] * rows[k][i], 0, 255))` for `count`
/// samples.
void sf_resample_vertical_u8(const float *const *rows, const float *weights, int taps, size_t count, uint8_t *out);

/// Whether the AVX2+FMA loops are in use (for reports and tests).
int sf_resample_uses_avx2(void);

#ifdef __cplusplus
}
#endif

#endif
