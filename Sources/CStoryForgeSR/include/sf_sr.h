// The convolution behind UpscaleKit's learned super-resolution, with run-time CPU dispatch.
//
// The Swift side plans tiles, threads and colour; this is the one hot loop: a "valid" 2-D
// convolution over channel-interleaved Float32 planes, with an optional PReLU. On x86-64 CPUs with
// AVX2 and FMA an intrinsics version runs; everywhere else a portable loop with the same
// accumulation order per output value.

#ifndef SF_SR_H
#define SF_SR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// One convolution layer. Output channels are padded to a multiple of 8 in the weights, bias and
/// slopes (with zeros), so that the vector loop needs no tail.
typedef struct {
    int kernel;             // square kernel side (odd)
    int in_channels;
    int out_channels;
    int padded_out;         // out_channels rounded up to a multiple of 8 (at most 32)
    const float *weights;   // [kernel][kernel][in_channels][padded_out]
    const float *bias;      // [padded_out]
    const float *slope;     // [padded_out] PReLU slopes, or NULL for a linear layer
} sf_sr_layer;

/// Computes `out_w × out_h` outputs of `layer` over `input`: output pixel (x, y) reads input
/// pixels (x ... x + kernel − 1, y ... y + kernel − 1). Input pixel (x, y) channel c is at
/// `input[y * input_stride + x * in_channels + c]`; output pixel (x, y) channel c is written to
/// `output[(y * out_w + x) * out_channels + c]`.
void sf_sr_conv(const sf_sr_layer *layer, const float *input, size_t input_stride, int out_w, int out_h,
                float *output);

/// The portable version of `sf_sr_conv`, whatever the CPU (for tests of the vector version).
void sf_sr_conv_portable(const sf_sr_layer *layer, const float *input, size_t input_stride, int out_w, int out_h,
                         float *output);

/// 1 when `sf_sr_conv` runs its AVX2+FMA version on this CPU, else 0.
int sf_sr_uses_avx2(void);

#ifdef __cplusplus
}
#endif

#endif
