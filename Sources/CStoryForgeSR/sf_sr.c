// See include/sf_sr.h.
//
// The vector version keeps a block of output pixels × output-channel vectors in registers
// (12 accumulators: enough independent FMAs to hide their latency, few enough to leave registers
// for the weights), loads each weight vector once per block and broadcasts each input value.
// Every output value is accumulated in the same order (ky, kx, input channel) whichever block
// computes it, so results do not depend on tiling or on where a row's last block starts.

#include "sf_sr.h"

#include <string.h>

static void conv_portable(const sf_sr_layer *layer, const float *input, size_t stride, int out_w, int out_h,
                          float *output) {
    const int k = layer->kernel, cin = layer->in_channels, cout = layer->out_channels, pad = layer->padded_out;
    float acc[32];
    for (int y = 0; y < out_h; y++) {
        for (int x = 0; x < out_w; x++) {
            for (int o = 0; o < pad; o++) { acc[o] = layer->bias[o]; }
            for (int ky = 0; ky < k; ky++) {
                for (int kx = 0; kx < k; kx++) {
                    const float *in = input + (size_t)(y + ky) * stride + (size_t)(x + kx) * (size_t)cin;
                    const float *w = layer->weights + (size_t)((ky * k + kx) * cin) * (size_t)pad;
                    for (int c = 0; c < cin; c++) {
                        const float v = in[c];
                        for (int o = 0; o < pad; o++) { acc[o] += v * w[c * pad + o]; }
                    }
                }
            }
            float *out = output + ((size_t)y * (size_t)out_w + (size_t)x) * (size_t)cout;
            for (int o = 0; o < cout; o++) {
                float v = acc[o];
                if (layer->slope != NULL && v < 0) { v *= layer->slope[o]; }
                out[o] = v;
            }
        }
    }
}

void sf_sr_conv_portable(const sf_sr_layer *layer, const float *input, size_t stride, int out_w, int out_h,
                         float *output) {
    conv_portable(layer, input, stride, out_w, out_h, output);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define SF_TARGET __attribute__((target("avx2,fma")))

// NV output-channel vectors × NP output pixels per block.
#define SF_DEFINE_BLOCK(NAME, NV, NP)                                                                       \
    SF_TARGET __attribute__((always_inline)) static inline void NAME(                                       \
        const sf_sr_layer *layer, const float *input, size_t stride, int out_w, int y, int x, float *output) { \
        const int k = layer->kernel, cin = layer->in_channels, cout = layer->out_channels;                  \
        const int pad = layer->padded_out;                                                                  \
        __m256 acc[NP][NV];                                                                                 \
        for (int v = 0; v < NV; v++) {                                                                      \
            const __m256 b = _mm256_loadu_ps(layer->bias + 8 * v);                                          \
            for (int p = 0; p < NP; p++) { acc[p][v] = b; }                                                 \
        }                                                                                                   \
        for (int ky = 0; ky < k; ky++) {                                                                    \
            for (int kx = 0; kx < k; kx++) {                                                                \
                const float *in = input + (size_t)(y + ky) * stride + (size_t)(x + kx) * (size_t)cin;       \
                const float *w = layer->weights + (size_t)((ky * k + kx) * cin) * (size_t)pad;              \
                for (int c = 0; c < cin; c++) {                                                             \
                    __m256 wv[NV];                                                                          \
                    for (int v = 0; v < NV; v++) { wv[v] = _mm256_loadu_ps(w + c * pad + 8 * v); }         \
                    for (int p = 0; p < NP; p++) {                                                          \
                        const __m256 a = _mm256_broadcast_ss(in + p * cin + c);                             \
                        for (int v = 0; v < NV; v++) { acc[p][v] = _mm256_fmadd_ps(a, wv[v], acc[p][v]); }  \
                    }                                                                                       \
                }                                                                                           \
            }                                                                                               \
        }                                                                                                   \
        const __m256 zero = _mm256_setzero_ps();                                                            \
        for (int p = 0; p < NP; p++) {                                                                      \
            float *out = output + ((size_t)y * (size_t)out_w + (size_t)(x + p)) * (size_t)cout;             \
            for (int v = 0; v < NV; v++) {                                                                  \
                __m256 r = acc[p][v];                                                                       \
                if (layer->slope != NULL) {                                                                 \
                    const __m256 s = _mm256_loadu_ps(layer->slope + 8 * v);                                 \
                    r = _mm256_add_ps(_mm256_max_ps(r, zero), _mm256_mul_ps(s, _mm256_min_ps(r, zero)));    \
                }                                                                                           \
                if (8 * (v + 1) <= cout) {                                                                  \
                    _mm256_storeu_ps(out + 8 * v, r);                                                       \
                } else {                                                                                    \
                    float tmp[8];                                                                           \
                    _mm256_storeu_ps(tmp, r);                                                               \
                    memcpy(out + 8 * v, tmp, sizeof(float) * (size_t)(cout - 8 * v));                      \
                }                                                                                           \
            }                                                                                               \
        }                                                                                                   \
    }

SF_DEFINE_BLOCK(block_v1_p12, 1, 12)
SF_DEFINE_BLOCK(block_v1_p1, 1, 1)
SF_DEFINE_BLOCK(block_v2_p6, 2, 6)
SF_DEFINE_BLOCK(block_v2_p1, 2, 1)
SF_DEFINE_BLOCK(block_v4_p3, 4, 3)
SF_DEFINE_BLOCK(block_v4_p1, 4, 1)

#define SF_DEFINE_ROWS(NAME, BLOCK, SINGLE, NP)                                                             \
    SF_TARGET static void NAME(const sf_sr_layer *layer, const float *input, size_t stride, int out_w,      \
                               int out_h, float *output) {                                                  \
        for (int y = 0; y < out_h; y++) {                                                                   \
            if (out_w < NP) {                                                                               \
                for (int x = 0; x < out_w; x++) { SINGLE(layer, input, stride, out_w, y, x, output); }      \
                continue;                                                                                   \
            }                                                                                               \
            /* The last block starts at out_w − NP: it recomputes a few outputs, identically. */            \
            for (int x = 0; x < out_w; x += NP) {                                                           \
                BLOCK(layer, input, stride, out_w, y, x + NP <= out_w ? x : out_w - NP, output);            \
            }                                                                                               \
        }                                                                                                   \
    }

SF_DEFINE_ROWS(rows_v1, block_v1_p12, block_v1_p1, 12)
SF_DEFINE_ROWS(rows_v2, block_v2_p6, block_v2_p1, 6)
SF_DEFINE_ROWS(rows_v4, block_v4_p3, block_v4_p1, 3)

static int avx2_state = -1;

int sf_sr_uses_avx2(void) {
    int state = __atomic_load_n(&avx2_state, __ATOMIC_RELAXED);
    if (state < 0) {
        __builtin_cpu_init();
        state = (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? 1 : 0;
        __atomic_store_n(&avx2_state, state, __ATOMIC_RELAXED);
    }
    return state;
}

void sf_sr_conv(const sf_sr_layer *layer, const float *input, size_t stride, int out_w, int out_h, float *output) {
    if (sf_sr_uses_avx2()) {
        switch (layer->padded_out) {
        case 8: rows_v1(layer, input, stride, out_w, out_h, output); return;
        case 16: rows_v2(layer, input, stride, out_w, out_h, output); return;
        case 32: rows_v4(layer, input, stride, out_w, out_h, output); return;
        default: break;
        }
    }
    conv_portable(layer, input, stride, out_w, out_h, output);
}

#else

int sf_sr_uses_avx2(void) { return 0; }

void sf_sr_conv(const sf_sr_layer *layer, const float *input, size_t stride, int out_w, int out_h, float *output) {
    conv_portable(layer, input, stride, out_w, out_h, output);
}

#endif
