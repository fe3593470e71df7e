// See include/sf_resample.h. The loops are written so that the compiler vectorises them for the
// target each copy is compiled for; no intrinsics are needed, which keeps one source for all CPUs.

#include "sf_resample.h"

#include <string.h>

size_t sf_horizontal_scratch_count(const sf_horizontal_plan *plan) {
    size_t pixels = (size_t)plan->input_width + (size_t)plan->pad_left + (size_t)plan->pad_right;
    size_t group = (size_t)plan->factor * (size_t)plan->channels;
    // The expanded row with its tail, then the row converted to floats.
    return pixels * group + (size_t)plan->block + (size_t)plan->taps * group
        + (size_t)plan->input_width * (size_t)plan->channels;
}

size_t sf_horizontal_output_count(const sf_horizontal_plan *plan) {
    size_t samples = (size_t)plan->input_width * (size_t)plan->factor * (size_t)plan->channels;
    return (samples + (size_t)plan->block - 1) / (size_t)plan->block * (size_t)plan->block;
}

#define SF_EXPAND_BODY                                                                                       \
    const int channels = plan->channels;                                                                     \
    const int factor = plan->factor;                                                                         \
    const int width = plan->input_width;                                                                     \
    const int group = factor * channels;                                                                     \
    /* Convert the row to floats once (vectorised), then repeat each pixel `factor` times. */               \
    const int padded = width + plan->pad_left + plan->pad_right;                                             \
    float *converted = scratch + (size_t)padded * (size_t)group + (size_t)plan->block                        \
        + (size_t)plan->taps * (size_t)group;                                                                \
    const size_t samples = (size_t)width * (size_t)channels;                                                 \
    for (size_t t = 0; t < samples; t++) {                                                                   \
        converted[t] = (float)row[t];                                                                        \
    }                                                                                                        \
    float *e = scratch;                                                                                      \
    for (int i = -plan->pad_left; i < width + plan->pad_right; i++) {                                        \
        const float *pixel = converted + (size_t)(i < 0 ? 0 : (i >= width ? width - 1 : i)) * (size_t)channels; \
        switch (channels) {                                                                                  \
        case 1:                                                                                              \
            for (int p = 0; p < factor; p++) { e[p] = pixel[0]; }                                            \
            break;                                                                                           \
        case 3:                                                                                              \
            for (int p = 0; p < factor; p++) {                                                               \
                e[3 * p] = pixel[0];                                                                         \
                e[3 * p + 1] = pixel[1];                                                                     \
                e[3 * p + 2] = pixel[2];                                                                     \
            }                                                                                                \
            break;                                                                                           \
        default:                                                                                             \
            for (int p = 0; p < factor; p++) {                                                               \
                for (int c = 0; c < channels; c++) { e[p * channels + c] = pixel[c]; }                       \
            }                                                                                                \
        }                                                                                                    \
        e += group;                                                                                          \
    }                                                                                                        \
    /* The last block may read past the row: give it defined (edge) values. */                              \
    size_t tail = (size_t)plan->block + (size_t)plan->taps * (size_t)group;                                  \
    for (size_t t = 0; t < tail; t++) {                                                                      \
        e[0] = e[-group];                                                                                    \
        e++;                                                                                                 \
    }

#define SF_HORIZONTAL_BODY                                                                                   \
    SF_EXPAND_BODY                                                                                           \
    const int block = plan->block;                                                                           \
    const int taps = plan->taps;                                                                             \
    const size_t total = sf_horizontal_output_count(plan);                                                   \
    const float *start = scratch; /* pixel -pad_left: tap 0 of output 0 */                                  \
    for (size_t b = 0; b < total; b += (size_t)block) {                                                      \
        /* Thirty-two outputs at a time: four independent sums, so the FMA latency overlaps. */          \
        for (int j = 0; j < block; j += 32) {                                                                \
            float acc[32];                                                                                   \
            for (int l = 0; l < 32; l++) {                                                                   \
                acc[l] = 0;                                                                                  \
            }                                                                                                \
            const float *src = start + b + (size_t)j;                                                        \
            const float *w = plan->weights + j;                                                              \
            for (int k = 0; k < taps; k++) {                                                                 \
                const float *sk = src + (size_t)k * (size_t)group;                                           \
                const float *wk = w + (size_t)k * (size_t)block;                                             \
                for (int l = 0; l < 32; l++) {                                                               \
                    acc[l] += wk[l] * sk[l];                                                                 \
                }                                                                                            \
            }                                                                                                \
            for (int l = 0; l < 32; l++) {                                                                   \
                out[b + (size_t)j + (size_t)l] = acc[l];                                                     \
            }                                                                                                \
        }                                                                                                    \
    }

#define SF_VERTICAL_BODY                                                                                     \
    size_t i = 0;                                                                                            \
    /* Thirty-two samples at a time, summed over the taps in registers. */                                  \
    for (; i + 32 <= count; i += 32) {                                                                       \
        float acc[32];                                                                                       \
        for (int l = 0; l < 32; l++) {                                                                       \
            acc[l] = 0;                                                                                      \
        }                                                                                                    \
        for (int k = 0; k < taps; k++) {                                                                     \
            const float w = weights[k];                                                                      \
            const float *r = rows[k] + i;                                                                    \
            for (int l = 0; l < 32; l++) {                                                                   \
                acc[l] += w * r[l];                                                                          \
            }                                                                                                \
        }                                                                                                    \
        for (int l = 0; l < 32; l++) {                                                                       \
            float v = acc[l] + 0.5f;                                                                         \
            v = v < 0 ? 0 : (v > 255 ? 255 : v);                                                             \
            out[i + (size_t)l] = (uint8_t)(int)v;                                                            \
        }                                                                                                    \
    }                                                                                                        \
    for (; i < count; i++) {                                                                                 \
        float v = 0.5f;                                                                                      \
        for (int k = 0; k < taps; k++) {                                                                     \
            v += weights[k] * rows[k][i];                                                                    \
        }                                                                                                    \
        v = v < 0 ? 0 : (v > 255 ? 255 : v);                                                                 \
        out[i] = (uint8_t)(int)v;                                                                            \
    }

// MARK: - Baseline copies (SSE2 on x86-64, NEON on arm64)

static void horizontal_baseline(const sf_horizontal_plan *plan, const uint8_t *row, float *scratch, float *out) {
    SF_HORIZONTAL_BODY
}

static void vertical_baseline(const float *const *rows, const float *weights, int taps, size_t count, uint8_t *out) {
    SF_VERTICAL_BODY
}

// MARK: - AVX2 + FMA copies

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define SF_HAVE_AVX2_COPY 1

__attribute__((target("avx2,fma"))) static void horizontal_avx2(const sf_horizontal_plan *plan, const uint8_t *row,
    float *scratch, float *out) {
    SF_HORIZONTAL_BODY
}

__attribute__((target("avx2,fma"))) static void vertical_avx2(const float *const *rows, const float *weights, int taps,
    size_t count, uint8_t *out) {
    SF_VERTICAL_BODY
}

static int sf_cpu_has_avx2(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return cached;
}
#else
static int sf_cpu_has_avx2(void) { return 0; }
#endif

int sf_resample_uses_avx2(void) { return sf_cpu_has_avx2(); }

void sf_resample_horizontal_u8(const sf_horizontal_plan *plan, const uint8_t *row, float *scratch, float *out) {
#ifdef SF_HAVE_AVX2_COPY
    if (sf_cpu_has_avx2()) {
        horizontal_avx2(plan, row, scratch, out);
        return;
    }
#endif
    horizontal_baseline(plan, row, scratch, out);
}

void sf_resample_vertical_u8(const float *const *rows, const float *weights, int taps, size_t count, uint8_t *out) {
#ifdef SF_HAVE_AVX2_COPY
    if (sf_cpu_has_avx2()) {
        vertical_avx2(rows, weights, taps, count, out);
        return;
    }
#endif
    vertical_baseline(rows, weights, taps, count, out);
}
