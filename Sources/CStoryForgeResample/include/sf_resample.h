// SIMD loops of UpscaleKit's separable resampler, with run-time CPU dispatch.
//
// The Swift engine plans the work (weights, bands, threads) and keeps a portable Float32 reference
// path; these loops are the fast path for 8-bit images at integer horizontal factors. They work in
// 16-bit fixed point: samples carry 5 fractional bits between the passes (13 significant bits, so
// the intermediate precision stays wider than the 8-bit input) and weights are Q15. The hot
// functions exist as AVX-512 and AVX2 intrinsics and as portable C (SSE2 on x86-64, NEON on
// arm64), chosen at run time, with identical integer arithmetic, so all give the same bits.

#ifndef SF_RESAMPLE_H
#define SF_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A resampling plan: quantised weights, the row-expansion tables and the vertical taps.
typedef struct sf_resample_plan sf_resample_plan;

/// Makes a plan, or returns NULL when the fixed-point path does not apply (horizontal phases that
/// do not mirror each other, sums that could overflow 16 bits): then use the reference path.
///
/// Horizontally the factor is an integer: output pixel `factor * q + p` reads input pixels
/// `q + h_start[p] + k` for `k < h_taps` with weights `h_weights[p * h_taps + k]`. Vertically
/// output row `y` reads input rows `v_first[y] + k` (clamped to the image) for `k < v_taps` with
/// weights `v_weights[y * v_taps + k]`.
sf_resample_plan *sf_resample_plan_create(int channels, int factor, int input_width, const int32_t *h_start,
    int h_taps, const float *h_weights, int input_height, int output_height, const int32_t *v_first, int v_taps,
    const float *v_weights);

/// Frees a plan made by `sf_resample_plan_create`.
void sf_resample_plan_destroy(sf_resample_plan *plan);

/// Bytes of scratch memory `sf_resample_rows_u8` needs (one buffer per thread).
size_t sf_resample_scratch_bytes(const sf_resample_plan *plan);

/// The source rows `low ... high` (clamped to the image) that output rows `y0 ..< y1` read.
void sf_resample_source_rows(const sf_resample_plan *plan, int y0, int y1, int *low, int *high);

/// Resamples output rows `y0 ..< y1` of an 8-bit image. Source row `y` starts at
/// `source + y * source_stride` and output row `y` at `output + y * output_stride`; only the
/// source rows those output rows need are read. `scratch` holds `sf_resample_scratch_bytes` bytes,
/// 64-byte aligned. The result does not depend on how the rows are split between calls.
void sf_resample_rows_u8(const sf_resample_plan *plan, const uint8_t *source, ptrdiff_t source_stride, int y0,
    int y1, uint8_t *output, ptrdiff_t output_stride, void *scratch);

/// Asks the kernel to back the 2 MiB-aligned part of `start ..< start + bytes` (memory not yet
/// touched) with huge pages where it can (Linux; elsewhere nothing). A fresh 50 MB output then
/// costs a few dozen page faults instead of twelve thousand, as NumPy arranges for its arrays.
void sf_resample_advise_huge_pages(void *start, size_t bytes);

/// The instruction set plans made now use: 0 portable C, 1 AVX2, 2 AVX-512 (F, BW and VL).
int sf_resample_instruction_set(void);

/// Caps the instruction set of plans made from now on (for tests: every level gives the same
/// bits). The default cap is 2.
void sf_resample_limit_instruction_set(int level);

#ifdef __cplusplus
}
#endif

#endif
