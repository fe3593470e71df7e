// See include/sf_resample.h.
//
// Horizontal pass. With an integer factor s, output pixel s·q + p reads input pixels q + o with
// weight w_p(o), and phases p and s - 1 - p mirror each other (w_{s-1-p}(o) = w_p(-o)). So, with
// s_j = x[q + j] + x[q - j] and d_j = x[q + j] - x[q - j], the two outputs of a pair are E ± O,
// E = w_0·x[q] + Σ e_j·s_j and O = Σ o_j·d_j (e, o the even and odd parts of the weights): half the
// multiplications of a direct convolution. Each phase goes to its own plane at input resolution;
// the planes are then interleaved into output order (AVX-512: one two-source word permutation per
// 32 samples). Plans whose phases do not mirror are refused (the Swift reference path runs).
//
// Vertical pass. The horizontal rows live in a small ring; output rows that share source rows are
// computed together, a column chunk at a time, so their source rows stay in the L1 cache. With an
// integer factor the phases come in mirror pairs about source row q (phase p at q + c, phase
// s - 1 - p at q - c), so with s_j = r[q + j] + r[q - j] and d_j = r[q + j] - r[q - j] both outputs
// are E ± O, E = w_0·r[q] + Σ e_j·s_j and O = Σ o_j·d_j (e, o the even and odd parts of the
// weights): 7 multiplications for two Lanczos-3 outputs instead of 12, and the sums and
// differences are shared by every pair of the group.
//
// Arithmetic: products are rounded as x86's `pmulhrsw` rounds them, `(a·b + 2^14) >> 15`, and
// summed with saturation, in tap order; the portable copy does exactly the same, so both give the
// same bits. For a constant image the rounding errors stay below a quarter of an 8-bit step, so
// constants stay exact.

#include "sf_resample.h"

#include <stdlib.h>
#include <string.h>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define SF_HAVE_AVX2_COPY 1
#endif

// Output rows computed together when they share source rows (×8 and below share one window).
#define SF_GROUP_MAX 16
// Samples of a column chunk in the vertical pass: seven 2 KiB source rows fit in L1 with room.
#define SF_COLUMN_CHUNK 1024
// More taps than this (a reduction by more than about ×40) takes the reference path.
#define SF_MAX_VERTICAL_TAPS 256
// The symmetric vertical pass handles windows reaching this many rows either side of their centre.
#define SF_MAX_REACH 8
// Weights per phase of the symmetric pass: w_0, then e_1 ... e_R, then o_1 ... o_R.
#define SF_SYMMETRIC_STRIDE (1 + 2 * SF_MAX_REACH)

struct sf_resample_plan {
    int channels;
    int factor;
    int input_width;
    int input_height;
    int output_height;
    int group;            // factor * channels: output samples per input pixel
    int pad_left;         // edge pixels repeated before pixel 0
    int padded_pixels;    // pixels of the widened row, edges included
    size_t row_samples;   // output samples per row
    size_t row_padded;    // intermediate row length: row_samples rounded up to 64
    int vtaps;
    int ring;                 // intermediate rows kept
    int32_t *vfirst;          // output_height
    int16_t *vweights;        // output_height * vtaps, Q15
    int level;                // instruction set: 0 portable, 1 AVX2, 2 AVX-512
    int symmetric_factor;     // the vertical factor when the symmetric pass applies, else 0
    int symmetric_reach;      // rows either side of the centre it reads
    int16_t *symmetric_weights;  // symmetric_factor * SF_SYMMETRIC_STRIDE, Q15
    // Horizontal mirror pairs (0 when the phases do not mirror): weights as above, and the tables
    // that interleave the phase planes into output order with AVX-512 (see interleave_avx512).
    int hsymmetric_reach;
    int16_t *hsymmetric_weights;  // factor * SF_SYMMETRIC_STRIDE
    size_t plane_stride;          // samples per phase plane
    int interleave_kinds;         // 32-sample output chunks per repetition of the pattern
    int interleave_advance;       // plane samples per repetition
    int32_t *interleave_base;     // interleave_kinds plane offsets
    int16_t *interleave_index;    // interleave_kinds * (factor + 1) / 2 * 32 permutation indices
    uint32_t *interleave_mask;    // interleave_kinds * (factor + 1) / 2 lane masks
};

static size_t round_up(size_t value, size_t multiple) { return (value + multiple - 1) / multiple * multiple; }

static int clamp_int(int value, int low, int high) { return value < low ? low : (value > high ? high : value); }

static int gcd_int(int a, int b) {
    while (b != 0) {
        int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static void *aligned_zeroed(size_t bytes) {
    size_t size = round_up(bytes == 0 ? 1 : bytes, 64);
    void *memory = aligned_alloc(64, size);
    if (memory != NULL) {
        memset(memory, 0, size);
    }
    return memory;
}

// Q15 weights (1.0 = 32768, so a lone weight of exactly 1 becomes 32767), nudged so that they sum
// to 32768 where that fits. Returns the sums of the positive and negative weights (in Q15).
static void quantise(const float *weights, int count, int16_t *out, long *positive, long *negative) {
    long sum = 0;
    int largest = 0;
    for (int k = 0; k < count; k++) {
        double scaled = (double)weights[k] * 32768.0;
        long q = scaled >= 0 ? (long)(scaled + 0.5) : -(long)(-scaled + 0.5);
        q = q > 32767 ? 32767 : (q < -32767 ? -32767 : q);
        out[k] = (int16_t)q;
        sum += q;
        if (q > out[largest]) {
            largest = k;
        }
    }
    long fixed = out[largest] + (32768 - sum);
    if (count > 0 && fixed <= 32767 && fixed >= -32767) {
        out[largest] = (int16_t)fixed;
    }
    *positive = 0;
    *negative = 0;
    for (int k = 0; k < count; k++) {
        if (out[k] > 0) {
            *positive += out[k];
        } else {
            *negative -= out[k];
        }
    }
}

static long q15(double weight) {
    double scaled = weight * 32768.0;
    long q = scaled >= 0 ? (long)(scaled + 0.5) : -(long)(-scaled + 0.5);
    return q > 32767 ? 32767 : (q < -32767 ? -32767 : q);
}

// Even/odd weights of mirrored phases: `starts[p] + k` is the offset (from the centre pixel) that
// weight `weights[p * taps + k]` applies to. Returns the reach (0 ... SF_MAX_REACH), -1 when the
// phases do not mirror or the sums could overflow, -2 when out of memory; `*out` receives
// factor * SF_SYMMETRIC_STRIDE Q15 weights.
static int mirror_weights(int factor, const int32_t *starts, int taps, const float *weights, long value_bound,
    int16_t **out) {
    int reach = 0;
    for (int p = 0; p < factor; p++) {
        for (int k = 0; k < taps; k++) {
            if (weights[p * taps + k] != 0) {
                int offset = starts[p] + k;
                reach = abs(offset) > reach ? abs(offset) : reach;
            }
        }
    }
    if (reach > SF_MAX_REACH || factor > SF_GROUP_MAX) {
        return -1;
    }
    double by_offset[SF_GROUP_MAX][2 * SF_MAX_REACH + 1];
    memset(by_offset, 0, sizeof by_offset);
    for (int p = 0; p < factor; p++) {
        for (int k = 0; k < taps; k++) {
            if (weights[p * taps + k] != 0) {
                by_offset[p][reach + starts[p] + k] = weights[p * taps + k];
            }
        }
    }
    for (int p = 0; p < factor; p++) {
        for (int o = -reach; o <= reach; o++) {
            double difference = by_offset[p][reach + o] - by_offset[factor - 1 - p][reach - o];
            if (difference > 1e-6 || difference < -1e-6) {
                return -1;
            }
        }
    }
    int16_t *result = calloc((size_t)factor * SF_SYMMETRIC_STRIDE, sizeof(int16_t));
    if (result == NULL) {
        return -2;
    }
    for (int p = 0; p < factor; p++) {
        int16_t *w = result + p * SF_SYMMETRIC_STRIDE;
        long even = 0;
        long magnitude = 0;
        for (int j = 1; j <= reach; j++) {
            double plus = by_offset[p][reach + j];
            double minus = by_offset[p][reach - j];
            long e = q15((plus + minus) / 2);
            long o = q15((plus - minus) / 2);
            w[j] = (int16_t)e;
            w[SF_MAX_REACH + j] = (int16_t)o;
            even += e;
            magnitude += 2 * labs(e) + 2 * labs(o);
        }
        long centre = q15(by_offset[p][reach]);
        long fixed = 32768 - 2 * even;
        centre = fixed >= -32767 && fixed <= 32767 ? fixed : centre;
        w[0] = (int16_t)centre;
        magnitude += labs(centre);
        if (value_bound * magnitude / 32768 + 4 * reach + 2 > 32000) {
            free(result);
            return -1;
        }
    }
    *out = result;
    return reach;
}

// Sets up the symmetric vertical pass when the vertical weights allow it (an integer factor whose
// phases mirror each other); otherwise leaves it off. Returns 0 only when out of memory.
static int plan_symmetric(sf_resample_plan *plan, const int32_t *v_first, int v_taps, const float *v_weights,
    long horizontal_bound) {
    const int height = plan->input_height;
    if (plan->output_height % height != 0) {
        return 1;
    }
    const int factor = plan->output_height / height;
    if (factor > SF_GROUP_MAX) {
        return 1;
    }
    for (int y = factor; y < plan->output_height; y++) {
        int p = y % factor;
        if (v_first[y] != v_first[p] + y / factor) {
            return 1;
        }
        for (int k = 0; k < v_taps; k++) {
            if (v_weights[(size_t)y * (size_t)v_taps + (size_t)k] != v_weights[p * v_taps + k]) {
                return 1;
            }
        }
    }
    int16_t *weights = NULL;
    int reach = mirror_weights(factor, v_first, v_taps, v_weights, horizontal_bound, &weights);
    if (reach < 0) {
        return reach == -1;
    }
    plan->symmetric_factor = factor;
    plan->symmetric_reach = reach;
    plan->symmetric_weights = weights;
    plan->ring = plan->ring > 2 * reach + 2 ? plan->ring : 2 * reach + 2;
    return 1;
}

// Sets up the mirror-pair horizontal pass and its interleave tables. Returns 0 when the phases do
// not mirror (or the sums could overflow, or out of memory): then there is no plan.
static int plan_horizontal_symmetric(sf_resample_plan *plan, const int32_t *h_start, int h_taps,
    const float *h_weights) {
    const int factor = plan->factor;
    const int channels = plan->channels;
    const int group = plan->group;
    int16_t *weights = NULL;
    int reach = mirror_weights(factor, h_start, h_taps, h_weights, 8160, &weights);
    if (reach < 0) {
        return 0;
    }
    if (reach > plan->pad_left) {
        free(weights);
        return 0;
    }
    const int lcm = 32 / gcd_int(32, group) * group;
    const int kinds = lcm / 32;
    const int pairs = (factor + 1) / 2;
    plan->interleave_base = malloc(sizeof(int32_t) * (size_t)kinds);
    plan->interleave_index = aligned_zeroed(sizeof(int16_t) * (size_t)kinds * (size_t)pairs * 32);
    plan->interleave_mask = calloc((size_t)kinds * (size_t)pairs, sizeof(uint32_t));
    if (plan->interleave_base == NULL || plan->interleave_index == NULL || plan->interleave_mask == NULL) {
        free(weights);
        return 0;
    }
    for (int r = 0; r < kinds; r++) {
        int source[32];
        int phase[32];
        int first = 1 << 30;
        int last = -1;
        for (int l = 0; l < 32; l++) {
            int e = 32 * r + l;
            int remainder = e % group;
            phase[l] = remainder / channels;
            source[l] = e / group * channels + remainder % channels;
            first = source[l] < first ? source[l] : first;
            last = source[l] > last ? source[l] : last;
        }
        if (last - first > 31) {
            free(weights);
            return 0;
        }
        plan->interleave_base[r] = first;
        for (int l = 0; l < 32; l++) {
            int pair = phase[l] / 2;
            plan->interleave_index[((size_t)r * (size_t)pairs + (size_t)pair) * 32 + (size_t)l] =
                (int16_t)(source[l] - first + 32 * (phase[l] % 2));
            plan->interleave_mask[r * pairs + pair] |= (uint32_t)1 << l;
        }
    }
    plan->interleave_kinds = kinds;
    plan->interleave_advance = lcm / factor;
    plan->plane_stride = round_up((size_t)plan->input_width * (size_t)channels, 64) + 64;
    plan->hsymmetric_weights = weights;
    plan->hsymmetric_reach = reach;
    return 1;
}

void sf_resample_plan_destroy(sf_resample_plan *plan) {
    if (plan == NULL) {
        return;
    }
    free(plan->vfirst);
    free(plan->vweights);
    free(plan->symmetric_weights);
    free(plan->hsymmetric_weights);
    free(plan->interleave_base);
    free(plan->interleave_index);
    free(plan->interleave_mask);
    free(plan);
}

sf_resample_plan *sf_resample_plan_create(int channels, int factor, int input_width, const int32_t *h_start,
    int h_taps, const float *h_weights, int input_height, int output_height, const int32_t *v_first, int v_taps,
    const float *v_weights) {
    if (channels < 1 || channels > 4 || factor < 1 || factor > 16 || input_width < 1 || h_taps < 1
        || input_height < 1 || output_height < 1 || v_taps < 1 || v_taps > SF_MAX_VERTICAL_TAPS) {
        return NULL;
    }
    sf_resample_plan *plan = calloc(1, sizeof *plan);
    if (plan == NULL) {
        return NULL;
    }
    int low = h_start[0];
    for (int p = 1; p < factor; p++) {
        low = h_start[p] < low ? h_start[p] : low;
    }
    if (low > 0) {  // a window that starts right of its pixel: never for an upscale
        sf_resample_plan_destroy(plan);
        return NULL;
    }
    const int group = factor * channels;
    plan->channels = channels;
    plan->factor = factor;
    plan->input_width = input_width;
    plan->input_height = input_height;
    plan->output_height = output_height;
    plan->group = group;
    plan->pad_left = -low;
    plan->row_samples = (size_t)input_width * (size_t)group;
    // Whole 64-sample vectors: the vertical pass reads its rows 64 samples at a time.
    plan->row_padded = round_up(plan->row_samples, 64);
    // The widened row: the left edge, the row, and what its last 32-sample vector and reach read.
    plan->padded_pixels = plan->pad_left + input_width + SF_MAX_REACH + 32 + 1;

    // How far the horizontal results can range, so that 16-bit sums cannot overflow (constant 255
    // input is 8160 with 5 fractional bits).
    int16_t *phase = malloc(sizeof(int16_t) * (size_t)h_taps * (size_t)factor);
    if (phase == NULL) {
        sf_resample_plan_destroy(plan);
        return NULL;
    }
    long horizontal_bound = 0;
    for (int p = 0; p < factor; p++) {
        long positive;
        long negative;
        quantise(h_weights + (size_t)p * (size_t)h_taps, h_taps, phase + (size_t)p * (size_t)h_taps, &positive,
            &negative);
        long reach = (8160 * (positive > negative ? positive : negative)) / 32768 + h_taps;
        horizontal_bound = reach > horizontal_bound ? reach : horizontal_bound;
    }
    free(phase);

    // Vertical weights.
    plan->vtaps = v_taps;
    plan->ring = v_taps + 8;
    plan->vfirst = malloc(sizeof(int32_t) * (size_t)output_height);
    plan->vweights = malloc(sizeof(int16_t) * (size_t)output_height * (size_t)v_taps);
    if (plan->vfirst == NULL || plan->vweights == NULL) {
        sf_resample_plan_destroy(plan);
        return NULL;
    }
    long vertical_sum = 0;
    for (int y = 0; y < output_height; y++) {
        if (y > 0 && v_first[y] < v_first[y - 1]) {
            sf_resample_plan_destroy(plan);
            return NULL;
        }
        plan->vfirst[y] = v_first[y];
        long positive;
        long negative;
        quantise(v_weights + (size_t)y * (size_t)v_taps, v_taps, plan->vweights + (size_t)y * (size_t)v_taps,
            &positive, &negative);
        vertical_sum = positive + negative > vertical_sum ? positive + negative : vertical_sum;
    }
    plan->level = sf_resample_instruction_set();
    if (!plan_symmetric(plan, v_first, v_taps, v_weights, horizontal_bound)) {
        sf_resample_plan_destroy(plan);
        return NULL;
    }
    if (!plan_horizontal_symmetric(plan, h_start, h_taps, h_weights)) {
        sf_resample_plan_destroy(plan);
        return NULL;
    }
    if (horizontal_bound > 32000 || horizontal_bound * vertical_sum / 32768 + v_taps > 32000) {
        sf_resample_plan_destroy(plan);
        return NULL;
    }
    return plan;
}

void sf_resample_source_rows(const sf_resample_plan *plan, int y0, int y1, int *low, int *high) {
    const int last = plan->input_height - 1;
    if (plan->symmetric_factor > 0) {
        // Every row of a mirror group's window, even one whose weight is zero for these outputs:
        // the sums and differences read it.
        *low = clamp_int(y0 / plan->symmetric_factor - plan->symmetric_reach, 0, last);
        *high = clamp_int((y1 - 1) / plan->symmetric_factor + plan->symmetric_reach, 0, last);
    } else {
        *low = clamp_int(plan->vfirst[y0], 0, last);
        *high = clamp_int(plan->vfirst[y1 - 1] + plan->vtaps - 1, 0, last);
    }
}

static size_t ring_bytes(const sf_resample_plan *plan) { return (size_t)plan->ring * plan->row_padded * 2; }

static size_t wide_bytes(const sf_resample_plan *plan) {
    return round_up((size_t)plan->padded_pixels * (size_t)plan->channels * 2, 64);
}

static size_t planes_bytes(const sf_resample_plan *plan) {
    return plan->hsymmetric_weights != NULL ? (size_t)plan->factor * plan->plane_stride * 2 : 0;
}

size_t sf_resample_scratch_bytes(const sf_resample_plan *plan) {
    return ring_bytes(plan) + wide_bytes(plan) + planes_bytes(plan)
        + round_up((size_t)plan->vtaps * (sizeof(int16_t *) + sizeof(int16_t)), 64);
}

static inline int16_t sf_mulhrs(int16_t a, int16_t b) { return (int16_t)(((int32_t)a * (int32_t)b + 0x4000) >> 15); }

static inline int16_t sf_adds(int16_t a, int16_t b) {
    int32_t sum = (int32_t)a + (int32_t)b;
    return (int16_t)(sum > 32767 ? 32767 : (sum < -32768 ? -32768 : sum));
}

// MARK: - Portable copies (SSE2 on x86-64, NEON on arm64, whatever the compiler makes of them)

static void vertical_portable(const int16_t *const *rows, const int16_t *weights, int taps, size_t i0, size_t i1,
    size_t count, uint8_t *out) {
    if (i1 > count) {
        i1 = count;
    }
    for (size_t i = i0; i < i1; i++) {
        int16_t acc = 0;
        for (int k = 0; k < taps; k++) {
            acc = sf_adds(acc, sf_mulhrs(rows[k][i], weights[k]));
        }
        int16_t value = sf_mulhrs(acc, 1024);  // (acc + 16) >> 5: round to 8 bits
        out[i] = (uint8_t)(value < 0 ? 0 : (value > 255 ? 255 : value));
    }
}

static inline int16_t sf_subs(int16_t a, int16_t b) {
    int32_t difference = (int32_t)a - (int32_t)b;
    return (int16_t)(difference > 32767 ? 32767 : (difference < -32768 ? -32768 : difference));
}

static inline uint8_t sf_to_byte(int16_t sum) {
    int16_t value = sf_mulhrs(sum, 1024);  // (sum + 16) >> 5
    return (uint8_t)(value < 0 ? 0 : (value > 255 ? 255 : value));
}

// The rows of one symmetric group: its centre row, the rows `j` above and below it (j = 1...reach),
// and the output rows of its phases (NULL for those outside the rows asked for).
typedef struct {
    const int16_t *centre;
    const int16_t *plus[SF_MAX_REACH];
    const int16_t *minus[SF_MAX_REACH];
    uint8_t *outputs[SF_GROUP_MAX];
} sf_symmetric_rows;

// Sample-innermost with constant reach and factor, so that compilers vectorise it (saturating
// adds and the rounding multiply have SSE2 and NEON forms).
__attribute__((always_inline)) static inline void symmetric_portable_pair(const sf_symmetric_rows *rows, int reach,
    const int16_t *w, uint8_t *plus_out, uint8_t *minus_out, size_t i0, size_t i1) {
    const int16_t *centre = rows->centre;
    for (size_t i = i0; i < i1; i++) {
        int16_t even = sf_mulhrs(centre[i], w[0]);
        int16_t odd = 0;
        for (int j = 0; j < reach; j++) {
            int16_t a = rows->plus[j][i];
            int16_t b = rows->minus[j][i];
            even = sf_adds(even, sf_mulhrs(sf_adds(a, b), w[1 + j]));
            odd = sf_adds(odd, sf_mulhrs(sf_subs(a, b), w[1 + SF_MAX_REACH + j]));
        }
        plus_out[i] = sf_to_byte(sf_adds(even, odd));
        minus_out[i] = sf_to_byte(sf_subs(even, odd));
    }
}

__attribute__((always_inline)) static inline void symmetric_portable_shape(const sf_symmetric_rows *rows, int reach,
    const int16_t *weights, int factor, size_t i0, size_t i1) {
    // The row of a phase outside the rows asked for goes to a scratch line, so the loop has no
    // branches and vectorises.
    uint8_t spare[SF_COLUMN_CHUNK];
    for (int p = 0; p <= (factor - 1) / 2; p++) {
        const int m = factor - 1 - p;
        uint8_t *plus_out = rows->outputs[p] != NULL ? rows->outputs[p] : spare - i0;
        uint8_t *minus_out = m != p && rows->outputs[m] != NULL ? rows->outputs[m] : spare - i0;
        symmetric_portable_pair(rows, reach, weights + p * SF_SYMMETRIC_STRIDE, plus_out, minus_out, i0, i1);
    }
}

static void symmetric_portable(const sf_symmetric_rows *rows, int reach, const int16_t *weights, int factor,
    size_t i0, size_t i1, size_t count) {
    if (i1 > count) {
        i1 = count;
    }
    const sf_symmetric_rows local = *rows;
    if (reach == 3) {
        symmetric_portable_shape(&local, 3, weights, factor, i0, i1);
    } else if (reach == 2) {
        symmetric_portable_shape(&local, 2, weights, factor, i0, i1);
    } else {
        symmetric_portable_shape(&local, reach, weights, factor, i0, i1);
    }
}

// The mirror-pair horizontal pass on one row: phase planes from the widened row `x` (pixel 0 at
// x[0], edge pixels repeated on both sides), with the arithmetic of the vertical symmetric pass.
__attribute__((always_inline)) static inline void planes_portable_shape(const int16_t *x, int channels, int reach,
    const int16_t *weights, int factor, int16_t *planes, size_t stride, size_t count) {
    for (int p = 0; p <= (factor - 1) / 2; p++) {
        const int16_t *w = weights + p * SF_SYMMETRIC_STRIDE;
        const int m = factor - 1 - p;
        int16_t *plus_out = planes + (size_t)p * stride;
        int16_t *minus_out = planes + (size_t)m * stride;
        for (size_t t = 0; t < count; t++) {
            int16_t even = sf_mulhrs(x[t], w[0]);
            int16_t odd = 0;
            for (int j = 0; j < reach; j++) {
                int16_t a = x[(ptrdiff_t)t + (j + 1) * channels];
                int16_t b = x[(ptrdiff_t)t - (j + 1) * channels];
                even = sf_adds(even, sf_mulhrs(sf_adds(a, b), w[1 + j]));
                odd = sf_adds(odd, sf_mulhrs(sf_subs(a, b), w[1 + SF_MAX_REACH + j]));
            }
            plus_out[t] = sf_adds(even, odd);
            if (m != p) {
                minus_out[t] = sf_subs(even, odd);
            }
        }
    }
}

static void planes_portable(const int16_t *x, int channels, int reach, const int16_t *weights, int factor,
    int16_t *planes, size_t stride, size_t count) {
    if (reach == 3 && channels == 3) {
        planes_portable_shape(x, 3, 3, weights, factor, planes, stride, count);
    } else if (reach == 2 && channels == 3) {
        planes_portable_shape(x, 3, 2, weights, factor, planes, stride, count);
    } else {
        planes_portable_shape(x, channels, reach, weights, factor, planes, stride, count);
    }
}

// Output order: sample (factor·q + p)·channels + c is plane p's sample q·channels + c.
__attribute__((always_inline)) static inline void interleave_shape(const int16_t *planes, size_t stride, int factor,
    int channels, size_t width, int16_t *out) {
    for (size_t q = 0; q < width; q++) {
        for (int p = 0; p < factor; p++) {
            const int16_t *source = planes + (size_t)p * stride + q * (size_t)channels;
            for (int c = 0; c < channels; c++) {
                *out++ = source[c];
            }
        }
    }
}

// Three channels: each pixel moved as four samples (one 8-byte load and store), the fourth
// overwritten by the next pixel; the row's last pixel goes sample by sample so nothing lands past it.
__attribute__((always_inline)) static inline void interleave_three(const int16_t *planes, size_t stride, int factor,
    size_t width, int16_t *out) {
    for (size_t q = 0; q + 1 < width; q++) {
        for (int p = 0; p < factor; p++) {
            memcpy(out, planes + (size_t)p * stride + 3 * q, 8);
            out += 3;
        }
    }
    for (int p = 0; p < factor; p++) {
        const int16_t *source = planes + (size_t)p * stride + 3 * (width - 1);
        if (p + 1 < factor) {
            memcpy(out, source, 8);
        } else {
            out[0] = source[0];
            out[1] = source[1];
            out[2] = source[2];
        }
        out += 3;
    }
}

static void interleave_portable(const sf_resample_plan *plan, const int16_t *planes, int16_t *out) {
    const size_t stride = plan->plane_stride;
    const size_t width = (size_t)plan->input_width;
    const int factor = plan->factor;
    const int channels = plan->channels;
    // Constant shapes unroll the inner loops (the AVX2 path uses this too).
    if (factor == 2 && channels == 3) {
        interleave_three(planes, stride, 2, width, out);
    } else if (factor == 4 && channels == 3) {
        interleave_three(planes, stride, 4, width, out);
    } else if (channels == 3) {
        interleave_three(planes, stride, factor, width, out);
    } else if (factor == 2 && channels == 4) {
        interleave_shape(planes, stride, 2, 4, width, out);
    } else if (factor == 4 && channels == 4) {
        interleave_shape(planes, stride, 4, 4, width, out);
    } else if (factor == 2 && channels == 1) {
        interleave_shape(planes, stride, 2, 1, width, out);
    } else {
        interleave_shape(planes, stride, factor, channels, width, out);
    }
}

// MARK: - AVX2 copies

#ifdef SF_HAVE_AVX2_COPY

__attribute__((target("avx2"), always_inline)) static inline void vertical_avx2_taps(const int16_t *const *rows,
    const __m256i *weights, int taps, size_t i0, size_t i1, size_t count, uint8_t *out) {
    const __m256i round = _mm256_set1_epi16(1024);  // mulhrs by 1024: (acc + 16) >> 5
    // i1 is rounded up to 64 samples for the AVX-512 loop: stop at the row's end.
    for (size_t i = i0; i < i1 && i < count; i += 32) {
        __m256i a0 = _mm256_setzero_si256();
        __m256i a1 = _mm256_setzero_si256();
        for (int k = 0; k < taps; k++) {
            const int16_t *r = rows[k] + i;
            a0 = _mm256_adds_epi16(a0, _mm256_mulhrs_epi16(_mm256_load_si256((const __m256i *)(const void *)r),
                weights[k]));
            a1 = _mm256_adds_epi16(a1, _mm256_mulhrs_epi16(
                _mm256_load_si256((const __m256i *)(const void *)(r + 16)), weights[k]));
        }
        a0 = _mm256_mulhrs_epi16(a0, round);
        a1 = _mm256_mulhrs_epi16(a1, round);
        __m256i bytes = _mm256_permute4x64_epi64(_mm256_packus_epi16(a0, a1), 0xD8);
        if (i + 32 <= count) {
            _mm256_storeu_si256((__m256i *)(void *)(out + i), bytes);
        } else {
            uint8_t tail[32];
            _mm256_storeu_si256((__m256i *)(void *)tail, bytes);
            memcpy(out + i, tail, count - i);
        }
    }
}

__attribute__((target("avx2"))) static void vertical_avx2(const int16_t *const *rows, const int16_t *weights,
    int taps, size_t i0, size_t i1, size_t count, uint8_t *out) {
    __m256i vectors[SF_MAX_VERTICAL_TAPS];
    for (int k = 0; k < taps; k++) {
        vectors[k] = _mm256_set1_epi16(weights[k]);
    }
    // Constant tap counts let the compiler keep the weights in registers.
    switch (taps) {
    case 2: vertical_avx2_taps(rows, vectors, 2, i0, i1, count, out); break;
    case 3: vertical_avx2_taps(rows, vectors, 3, i0, i1, count, out); break;
    case 4: vertical_avx2_taps(rows, vectors, 4, i0, i1, count, out); break;
    case 5: vertical_avx2_taps(rows, vectors, 5, i0, i1, count, out); break;
    case 6: vertical_avx2_taps(rows, vectors, 6, i0, i1, count, out); break;
    default: vertical_avx2_taps(rows, vectors, taps, i0, i1, count, out); break;
    }
}

// 32 rounded outputs from two vectors of sums: (sum + 16) >> 5, as mulhrs(sum, 1024) gives it but
// off the multipliers (sums stay below 32000), then packed with unsigned saturation.
__attribute__((target("avx2"))) static inline void store32_avx2(uint8_t *out, size_t i, size_t count, __m256i low,
    __m256i high) {
    const __m256i sixteen = _mm256_set1_epi16(16);
    low = _mm256_srai_epi16(_mm256_add_epi16(low, sixteen), 5);
    high = _mm256_srai_epi16(_mm256_add_epi16(high, sixteen), 5);
    __m256i bytes = _mm256_permute4x64_epi64(_mm256_packus_epi16(low, high), 0xD8);
    if (i + 32 <= count) {
        _mm256_storeu_si256((__m256i *)(void *)(out + i), bytes);
    } else {
        uint8_t tail[32];
        _mm256_storeu_si256((__m256i *)(void *)tail, bytes);
        memcpy(out + i, tail, count - i);
    }
}

__attribute__((target("avx2"), always_inline)) static inline void symmetric_avx2_reach(const sf_symmetric_rows *rows,
    int reach, const __m256i *weights, int factor, size_t i0, size_t i1, size_t count) {
    // A local copy: the byte stores below may alias anything reachable through a pointer, which
    // would make the compiler reload every row pointer after each store.
    const sf_symmetric_rows local = *rows;
    for (size_t i = i0; i < i1 && i < count; i += 32) {
        __m256i sums[2][SF_MAX_REACH];
        __m256i differences[2][SF_MAX_REACH];
        __m256i centre[2];
        for (int h = 0; h < 2; h++) {
            for (int j = 0; j < reach; j++) {
                __m256i a = _mm256_load_si256((const __m256i *)(const void *)(local.plus[j] + i + 16 * h));
                __m256i b = _mm256_load_si256((const __m256i *)(const void *)(local.minus[j] + i + 16 * h));
                sums[h][j] = _mm256_adds_epi16(a, b);
                differences[h][j] = _mm256_subs_epi16(a, b);
            }
            centre[h] = _mm256_load_si256((const __m256i *)(const void *)(local.centre + i + 16 * h));
        }
        for (int p = 0; p <= (factor - 1) / 2; p++) {
            const __m256i *w = weights + p * SF_SYMMETRIC_STRIDE;
            __m256i even[2];
            __m256i odd[2];
            for (int h = 0; h < 2; h++) {
                even[h] = _mm256_mulhrs_epi16(centre[h], w[0]);
                odd[h] = _mm256_setzero_si256();
                for (int j = 0; j < reach; j++) {
                    even[h] = _mm256_adds_epi16(even[h], _mm256_mulhrs_epi16(sums[h][j], w[1 + j]));
                }
                for (int j = 0; j < reach; j++) {
                    odd[h] = _mm256_adds_epi16(odd[h], _mm256_mulhrs_epi16(differences[h][j], w[1 + SF_MAX_REACH + j]));
                }
            }
            int m = factor - 1 - p;
            if (local.outputs[p] != NULL) {
                store32_avx2(local.outputs[p], i, count, _mm256_adds_epi16(even[0], odd[0]),
                    _mm256_adds_epi16(even[1], odd[1]));
            }
            if (m != p && local.outputs[m] != NULL) {
                store32_avx2(local.outputs[m], i, count, _mm256_subs_epi16(even[0], odd[0]),
                    _mm256_subs_epi16(even[1], odd[1]));
            }
        }
    }
}

__attribute__((target("avx2"))) static void symmetric_avx2(const sf_symmetric_rows *rows, int reach,
    const int16_t *weights, int factor, size_t i0, size_t i1, size_t count) {
    __m256i vectors[(SF_GROUP_MAX / 2 + 1) * SF_SYMMETRIC_STRIDE];
    for (int p = 0; p <= (factor - 1) / 2; p++) {
        for (int k = 0; k < SF_SYMMETRIC_STRIDE; k++) {
            vectors[p * SF_SYMMETRIC_STRIDE + k] = _mm256_set1_epi16(weights[p * SF_SYMMETRIC_STRIDE + k]);
        }
    }
    // Constant reaches and factors unroll the loops and keep the sums in registers.
    if (factor == 2 && reach == 3) {
        symmetric_avx2_reach(rows, 3, vectors, 2, i0, i1, count);
    } else if (factor == 4 && reach == 3) {
        symmetric_avx2_reach(rows, 3, vectors, 4, i0, i1, count);
    } else if (factor == 2 && reach == 2) {
        symmetric_avx2_reach(rows, 2, vectors, 2, i0, i1, count);
    } else if (factor == 4 && reach == 2) {
        symmetric_avx2_reach(rows, 2, vectors, 4, i0, i1, count);
    } else {
        symmetric_avx2_reach(rows, reach, vectors, factor, i0, i1, count);
    }
}

__attribute__((target("avx2"), always_inline)) static inline void planes_avx2_reach(const int16_t *x, int channels,
    int reach, const __m256i *weights, int factor, int16_t *planes, size_t stride, size_t count) {
    for (size_t t = 0; t < count; t += 16) {
        __m256i sums[SF_MAX_REACH];
        __m256i differences[SF_MAX_REACH];
        for (int j = 0; j < reach; j++) {
            __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(x + (ptrdiff_t)t + (j + 1) * channels));
            __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(x + (ptrdiff_t)t - (j + 1) * channels));
            sums[j] = _mm256_adds_epi16(a, b);
            differences[j] = _mm256_subs_epi16(a, b);
        }
        __m256i centre = _mm256_loadu_si256((const __m256i *)(const void *)(x + t));
        for (int p = 0; p <= (factor - 1) / 2; p++) {
            const __m256i *w = weights + p * SF_SYMMETRIC_STRIDE;
            __m256i even = _mm256_mulhrs_epi16(centre, w[0]);
            __m256i odd = _mm256_setzero_si256();
            for (int j = 0; j < reach; j++) {
                even = _mm256_adds_epi16(even, _mm256_mulhrs_epi16(sums[j], w[1 + j]));
            }
            for (int j = 0; j < reach; j++) {
                odd = _mm256_adds_epi16(odd, _mm256_mulhrs_epi16(differences[j], w[1 + SF_MAX_REACH + j]));
            }
            _mm256_storeu_si256((__m256i *)(void *)(planes + (size_t)p * stride + t), _mm256_adds_epi16(even, odd));
            int m = factor - 1 - p;
            if (m != p) {
                _mm256_storeu_si256(
                    (__m256i *)(void *)(planes + (size_t)m * stride + t), _mm256_subs_epi16(even, odd));
            }
        }
    }
}

__attribute__((target("avx2"))) static void planes_avx2(const int16_t *x, int channels, int reach,
    const int16_t *weights, int factor, int16_t *planes, size_t stride, size_t count) {
    __m256i vectors[(SF_GROUP_MAX / 2 + 1) * SF_SYMMETRIC_STRIDE];
    for (int p = 0; p <= (factor - 1) / 2; p++) {
        for (int k = 0; k < SF_SYMMETRIC_STRIDE; k++) {
            vectors[p * SF_SYMMETRIC_STRIDE + k] = _mm256_set1_epi16(weights[p * SF_SYMMETRIC_STRIDE + k]);
        }
    }
    if (factor == 2 && reach == 3) {
        planes_avx2_reach(x, channels, 3, vectors, 2, planes, stride, count);
    } else if (factor == 4 && reach == 3) {
        planes_avx2_reach(x, channels, 3, vectors, 4, planes, stride, count);
    } else if (factor == 2 && reach == 2) {
        planes_avx2_reach(x, channels, 2, vectors, 2, planes, stride, count);
    } else if (factor == 4 && reach == 2) {
        planes_avx2_reach(x, channels, 2, vectors, 4, planes, stride, count);
    } else {
        planes_avx2_reach(x, channels, reach, vectors, factor, planes, stride, count);
    }
}

// AVX-512 (F, BW, VL): the same arithmetic on 32 lanes.

__attribute__((target("avx2,avx512f,avx512bw,avx512vl"), always_inline)) static inline void vertical_avx512_taps(
    const int16_t *const *rows, const __m512i *weights, int taps, size_t i0, size_t i1, size_t count, uint8_t *out) {
    const __m512i round = _mm512_set1_epi16(1024);  // mulhrs by 1024: (acc + 16) >> 5
    const __m512i order = _mm512_set_epi64(7, 5, 3, 1, 6, 4, 2, 0);  // undoes packus's lane interleave
    for (size_t i = i0; i < i1; i += 64) {
        __m512i a0 = _mm512_setzero_si512();
        __m512i a1 = _mm512_setzero_si512();
        for (int k = 0; k < taps; k++) {
            const int16_t *r = rows[k] + i;
            a0 = _mm512_adds_epi16(a0, _mm512_mulhrs_epi16(_mm512_load_si512((const void *)r), weights[k]));
            a1 = _mm512_adds_epi16(a1, _mm512_mulhrs_epi16(_mm512_load_si512((const void *)(r + 32)), weights[k]));
        }
        a0 = _mm512_mulhrs_epi16(a0, round);
        a1 = _mm512_mulhrs_epi16(a1, round);
        __m512i bytes = _mm512_permutexvar_epi64(order, _mm512_packus_epi16(a0, a1));
        if (i + 64 <= count) {
            _mm512_storeu_si512((void *)(out + i), bytes);
        } else {
            _mm512_mask_storeu_epi8(out + i, ((__mmask64)1 << (count - i)) - 1, bytes);
        }
    }
}

__attribute__((target("avx2,avx512f,avx512bw,avx512vl"))) static void vertical_avx512(const int16_t *const *rows,
    const int16_t *weights, int taps, size_t i0, size_t i1, size_t count, uint8_t *out) {
    __m512i vectors[SF_MAX_VERTICAL_TAPS];
    for (int k = 0; k < taps; k++) {
        vectors[k] = _mm512_set1_epi16(weights[k]);
    }
    switch (taps) {
    case 2: vertical_avx512_taps(rows, vectors, 2, i0, i1, count, out); break;
    case 3: vertical_avx512_taps(rows, vectors, 3, i0, i1, count, out); break;
    case 4: vertical_avx512_taps(rows, vectors, 4, i0, i1, count, out); break;
    case 5: vertical_avx512_taps(rows, vectors, 5, i0, i1, count, out); break;
    case 6: vertical_avx512_taps(rows, vectors, 6, i0, i1, count, out); break;
    default: vertical_avx512_taps(rows, vectors, taps, i0, i1, count, out); break;
    }
}

// 64 rounded outputs from two vectors of sums: (sum + 16) >> 5, as mulhrs(sum, 1024) gives it but
// off the multipliers (sums stay below 32000), then packed with unsigned saturation.
__attribute__((target("avx2,avx512f,avx512bw,avx512vl"))) static inline void store64_avx512(uint8_t *out, size_t i,
    size_t count, __m512i low, __m512i high) {
    const __m512i sixteen = _mm512_set1_epi16(16);
    const __m512i order = _mm512_set_epi64(7, 5, 3, 1, 6, 4, 2, 0);  // undoes packus's lane interleave
    low = _mm512_srai_epi16(_mm512_add_epi16(low, sixteen), 5);
    high = _mm512_srai_epi16(_mm512_add_epi16(high, sixteen), 5);
    __m512i bytes = _mm512_permutexvar_epi64(order, _mm512_packus_epi16(low, high));
    if (i + 64 <= count) {
        _mm512_storeu_si512((void *)(out + i), bytes);
    } else {
        _mm512_mask_storeu_epi8(out + i, ((__mmask64)1 << (count - i)) - 1, bytes);
    }
}

__attribute__((target("avx2,avx512f,avx512bw,avx512vl"), always_inline)) static inline void symmetric_avx512_reach(
    const sf_symmetric_rows *rows, int reach, const __m512i *weights, int factor, size_t i0, size_t i1,
    size_t count) {
    // A local copy: the byte stores below may alias anything reachable through a pointer, which
    // would make the compiler reload every row pointer after each store.
    const sf_symmetric_rows local = *rows;
    for (size_t i = i0; i < i1 && i < count; i += 64) {
        __m512i sums[2][SF_MAX_REACH];
        __m512i differences[2][SF_MAX_REACH];
        __m512i centre[2];
        for (int h = 0; h < 2; h++) {
            for (int j = 0; j < reach; j++) {
                __m512i a = _mm512_load_si512((const void *)(local.plus[j] + i + 32 * h));
                __m512i b = _mm512_load_si512((const void *)(local.minus[j] + i + 32 * h));
                sums[h][j] = _mm512_adds_epi16(a, b);
                differences[h][j] = _mm512_subs_epi16(a, b);
            }
            centre[h] = _mm512_load_si512((const void *)(local.centre + i + 32 * h));
        }
        for (int p = 0; p <= (factor - 1) / 2; p++) {
            const __m512i *w = weights + p * SF_SYMMETRIC_STRIDE;
            __m512i even[2];
            __m512i odd[2];
            for (int h = 0; h < 2; h++) {
                even[h] = _mm512_mulhrs_epi16(centre[h], w[0]);
                odd[h] = _mm512_setzero_si512();
                for (int j = 0; j < reach; j++) {
                    even[h] = _mm512_adds_epi16(even[h], _mm512_mulhrs_epi16(sums[h][j], w[1 + j]));
                }
                for (int j = 0; j < reach; j++) {
                    odd[h] = _mm512_adds_epi16(odd[h], _mm512_mulhrs_epi16(differences[h][j], w[1 + SF_MAX_REACH + j]));
                }
            }
            int m = factor - 1 - p;
            if (local.outputs[p] != NULL) {
                store64_avx512(local.outputs[p], i, count, _mm512_adds_epi16(even[0], odd[0]),
                    _mm512_adds_epi16(even[1], odd[1]));
            }
            if (m != p && local.outputs[m] != NULL) {
                store64_avx512(local.outputs[m], i, count, _mm512_subs_epi16(even[0], odd[0]),
                    _mm512_subs_epi16(even[1], odd[1]));
            }
        }
    }
}

__attribute__((target("avx2,avx512f,avx512bw,avx512vl"))) static void symmetric_avx512(const sf_symmetric_rows *rows,
    int reach, const int16_t *weights, int factor, size_t i0, size_t i1, size_t count) {
    __m512i vectors[(SF_GROUP_MAX / 2 + 1) * SF_SYMMETRIC_STRIDE];
    for (int p = 0; p <= (factor - 1) / 2; p++) {
        for (int k = 0; k < SF_SYMMETRIC_STRIDE; k++) {
            vectors[p * SF_SYMMETRIC_STRIDE + k] = _mm512_set1_epi16(weights[p * SF_SYMMETRIC_STRIDE + k]);
        }
    }
    // Constant reaches and factors unroll the loops and keep the sums in registers.
    if (factor == 2 && reach == 3) {
        symmetric_avx512_reach(rows, 3, vectors, 2, i0, i1, count);
    } else if (factor == 4 && reach == 3) {
        symmetric_avx512_reach(rows, 3, vectors, 4, i0, i1, count);
    } else if (factor == 2 && reach == 2) {
        symmetric_avx512_reach(rows, 2, vectors, 2, i0, i1, count);
    } else if (factor == 4 && reach == 2) {
        symmetric_avx512_reach(rows, 2, vectors, 4, i0, i1, count);
    } else {
        symmetric_avx512_reach(rows, reach, vectors, factor, i0, i1, count);
    }
}

__attribute__((target("avx2,avx512f,avx512bw,avx512vl"), always_inline)) static inline void planes_avx512_reach(
    const int16_t *x, int channels, int reach, const __m512i *weights, int factor, int16_t *planes, size_t stride,
    size_t count) {
    for (size_t t = 0; t < count; t += 32) {
        __m512i sums[SF_MAX_REACH];
        __m512i differences[SF_MAX_REACH];
        for (int j = 0; j < reach; j++) {
            __m512i a = _mm512_loadu_si512((const void *)(x + (ptrdiff_t)t + (j + 1) * channels));
            __m512i b = _mm512_loadu_si512((const void *)(x + (ptrdiff_t)t - (j + 1) * channels));
            sums[j] = _mm512_adds_epi16(a, b);
            differences[j] = _mm512_subs_epi16(a, b);
        }
        __m512i centre = _mm512_loadu_si512((const void *)(x + t));
        for (int p = 0; p <= (factor - 1) / 2; p++) {
            const __m512i *w = weights + p * SF_SYMMETRIC_STRIDE;
            __m512i even = _mm512_mulhrs_epi16(centre, w[0]);
            __m512i odd = _mm512_setzero_si512();
            for (int j = 0; j < reach; j++) {
                even = _mm512_adds_epi16(even, _mm512_mulhrs_epi16(sums[j], w[1 + j]));
            }
            for (int j = 0; j < reach; j++) {
                odd = _mm512_adds_epi16(odd, _mm512_mulhrs_epi16(differences[j], w[1 + SF_MAX_REACH + j]));
            }
            _mm512_storeu_si512((void *)(planes + (size_t)p * stride + t), _mm512_adds_epi16(even, odd));
            int m = factor - 1 - p;
            if (m != p) {
                _mm512_storeu_si512((void *)(planes + (size_t)m * stride + t), _mm512_subs_epi16(even, odd));
            }
        }
    }
}

__attribute__((target("avx2,avx512f,avx512bw,avx512vl"))) static void planes_avx512(const int16_t *x, int channels,
    int reach, const int16_t *weights, int factor, int16_t *planes, size_t stride, size_t count) {
    __m512i vectors[(SF_GROUP_MAX / 2 + 1) * SF_SYMMETRIC_STRIDE];
    for (int p = 0; p <= (factor - 1) / 2; p++) {
        for (int k = 0; k < SF_SYMMETRIC_STRIDE; k++) {
            vectors[p * SF_SYMMETRIC_STRIDE + k] = _mm512_set1_epi16(weights[p * SF_SYMMETRIC_STRIDE + k]);
        }
    }
    if (factor == 2 && reach == 3) {
        planes_avx512_reach(x, channels, 3, vectors, 2, planes, stride, count);
    } else if (factor == 4 && reach == 3) {
        planes_avx512_reach(x, channels, 3, vectors, 4, planes, stride, count);
    } else if (factor == 2 && reach == 2) {
        planes_avx512_reach(x, channels, 2, vectors, 2, planes, stride, count);
    } else if (factor == 4 && reach == 2) {
        planes_avx512_reach(x, channels, 2, vectors, 4, planes, stride, count);
    } else {
        planes_avx512_reach(x, channels, reach, vectors, factor, planes, stride, count);
    }
}

// samples 8-bit values to 16 bits with 5 fractional bits.
__attribute__((target("avx2,avx512f,avx512bw,avx512vl"))) static void widen_avx512(const uint8_t *row, size_t samples,
    int16_t *out) {
    size_t i = 0;
    for (; i + 32 <= samples; i += 32) {
        __m256i bytes = _mm256_loadu_si256((const __m256i *)(const void *)(row + i));
        _mm512_storeu_si512((void *)(out + i), _mm512_slli_epi16(_mm512_cvtepu8_epi16(bytes), 5));
    }
    for (; i < samples; i++) {
        out[i] = (int16_t)(row[i] << 5);
    }
}

// Output order from the phase planes, 32 samples at a time: planes 2i and 2i + 1 through one
// two-source word permutation each, merged by lane masks (tables from plan_horizontal_symmetric).
__attribute__((target("avx2,avx512f,avx512bw,avx512vl"), always_inline)) static inline void interleave_avx512_pairs(
    const sf_resample_plan *plan, const int16_t *planes, int pairs, int16_t *out) {
    const size_t stride = plan->plane_stride;
    const int factor = plan->factor;
    const size_t chunks = (plan->row_samples + 31) / 32;
    const int kinds = plan->interleave_kinds;
    const size_t advance = (size_t)plan->interleave_advance;
    const int32_t *bases = plan->interleave_base;
    const int16_t *indices = plan->interleave_index;
    const uint32_t *masks = plan->interleave_mask;
    const int16_t *base = planes;
    int r = 0;
    for (size_t t = 0; t < chunks; t++) {
        const int16_t *source = base + bases[r];
        const int16_t *index = indices + (size_t)r * (size_t)pairs * 32;
        __m512i value = _mm512_permutex2var_epi16(_mm512_loadu_si512((const void *)source),
            _mm512_load_si512((const void *)index),
            _mm512_loadu_si512((const void *)(factor > 1 ? source + stride : source)));
        for (int pair = 1; pair < pairs; pair++) {
            const int16_t *low = source + (size_t)(2 * pair) * stride;
            const int16_t *high = 2 * pair + 1 < factor ? low + stride : low;
            __m512i merged = _mm512_permutex2var_epi16(_mm512_loadu_si512((const void *)low),
                _mm512_load_si512((const void *)(index + (size_t)pair * 32)), _mm512_loadu_si512((const void *)high));
            value = _mm512_mask_blend_epi16((__mmask32)masks[r * pairs + pair], value, merged);
        }
        _mm512_store_si512((void *)(out + 32 * t), value);
        if (++r == kinds) {
            r = 0;
            base += advance;
        }
    }
}

__attribute__((target("avx2,avx512f,avx512bw,avx512vl"))) static void interleave_avx512(
    const sf_resample_plan *plan, const int16_t *planes, int16_t *out) {
    const int pairs = (plan->factor + 1) / 2;
    switch (pairs) {
    case 1: interleave_avx512_pairs(plan, planes, 1, out); break;
    case 2: interleave_avx512_pairs(plan, planes, 2, out); break;
    default: interleave_avx512_pairs(plan, planes, pairs, out); break;
    }
}

// 0: portable, 1: AVX2, 2: AVX-512 (F, BW and VL, with the OS saving the registers).
static int sf_cpu_level(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        int level = __builtin_cpu_supports("avx2") ? 1 : 0;
        if (level == 1 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512vl")) {
            level = 2;
        }
        cached = level;
    }
    return cached;
}
#else
static int sf_cpu_level(void) { return 0; }
#endif

static _Atomic int sf_level_limit = 2;

void sf_resample_limit_instruction_set(int level) { sf_level_limit = level < 0 ? 0 : level; }

int sf_resample_instruction_set(void) {
    int level = sf_cpu_level();
    int limit = sf_level_limit;
    return level < limit ? level : limit;
}

void sf_resample_advise_huge_pages(void *start, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t begin = ((uintptr_t)start + huge - 1) & ~(huge - 1);
    uintptr_t end = ((uintptr_t)start + bytes) & ~(huge - 1);
    if (end > begin) {
        (void)madvise((void *)begin, end - begin, MADV_HUGEPAGE);
    }
#else
    (void)start;
    (void)bytes;
#endif
}

// MARK: - Driver

// The horizontal pass of one source row into `out`: phase planes by mirror pairs, interleaved.
static void horizontal_row(const sf_resample_plan *plan, const uint8_t *row, int16_t *wide, int16_t *planes,
    int16_t *out) {
    const int level = plan->level;
    (void)level;  // only the x86-64 copies read it
    // The row widened to 16 bits (5 fractional bits), edge pixels repeated on both sides.
    const size_t channels = (size_t)plan->channels;
    const size_t samples = (size_t)plan->input_width * channels;
    int16_t *w = wide;
    for (int i = 0; i < plan->pad_left; i++) {
        for (size_t c = 0; c < channels; c++) {
            *w++ = (int16_t)(row[c] << 5);
        }
    }
#ifdef SF_HAVE_AVX2_COPY
    if (level == 2) {
        widen_avx512(row, samples, w);
    } else {
        for (size_t i = 0; i < samples; i++) {
            w[i] = (int16_t)(row[i] << 5);
        }
    }
#else
    for (size_t i = 0; i < samples; i++) {
        w[i] = (int16_t)(row[i] << 5);
    }
#endif
    w += samples;
    const uint8_t *last = row + samples - channels;
    for (size_t i = (size_t)plan->pad_left + (size_t)plan->input_width; i < (size_t)plan->padded_pixels; i++) {
        for (size_t c = 0; c < channels; c++) {
            *w++ = (int16_t)(last[c] << 5);
        }
    }
    const int16_t *x = wide + (size_t)plan->pad_left * (size_t)plan->channels;
    const size_t count = (size_t)plan->input_width * (size_t)plan->channels;
#ifdef SF_HAVE_AVX2_COPY
    if (level == 2) {
        planes_avx512(x, plan->channels, plan->hsymmetric_reach, plan->hsymmetric_weights, plan->factor, planes,
            plan->plane_stride, count);
        interleave_avx512(plan, planes, out);
        return;
    }
    if (level == 1) {
        planes_avx2(x, plan->channels, plan->hsymmetric_reach, plan->hsymmetric_weights, plan->factor, planes,
            plan->plane_stride, count);
        interleave_portable(plan, planes, out);
        return;
    }
#endif
    planes_portable(x, plan->channels, plan->hsymmetric_reach, plan->hsymmetric_weights, plan->factor, planes,
        plan->plane_stride, count);
    interleave_portable(plan, planes, out);
}

void sf_resample_rows_u8(const sf_resample_plan *plan, const uint8_t *source, ptrdiff_t source_stride, int y0,
    int y1, uint8_t *output, ptrdiff_t output_stride, void *scratch) {
    const int level = plan->level;
    (void)level;  // only the x86-64 copies read it
    int16_t *ring = scratch;
    int16_t *wide = (int16_t *)(void *)((uint8_t *)ring + ring_bytes(plan));
    int16_t *planes = (int16_t *)(void *)((uint8_t *)wide + wide_bytes(plan));
    const int16_t **pointers = (const int16_t **)(void *)((uint8_t *)planes + planes_bytes(plan));
    int16_t *weights = (int16_t *)(void *)(pointers + plan->vtaps);
    const int height = plan->input_height;
    const int taps = plan->vtaps;
    const size_t count = plan->row_samples;
    const size_t vector_end = round_up(count, 64);
    int computed = -1;  // the highest source row in the ring, or -1
    if (plan->symmetric_factor > 0) {
        const int factor = plan->symmetric_factor;
        const int reach = plan->symmetric_reach;
        for (int y = y0; y < y1;) {
            const int q = y / factor;
            const int end = (q + 1) * factor < y1 ? (q + 1) * factor : y1;
            const int low = clamp_int(q - reach, 0, height - 1);
            const int high = clamp_int(q + reach, 0, height - 1);
            for (int r = computed >= low ? computed + 1 : low; r <= high; r++) {
                const uint8_t *row = source + (ptrdiff_t)r * source_stride;
                int16_t *target = ring + (size_t)(r % plan->ring) * plan->row_padded;
                horizontal_row(plan, row, wide, planes, target);
            }
            computed = high > computed ? high : computed;
            sf_symmetric_rows rows;
            rows.centre = ring + (size_t)(clamp_int(q, 0, height - 1) % plan->ring) * plan->row_padded;
            for (int j = 1; j <= reach; j++) {
                rows.plus[j - 1] = ring + (size_t)(clamp_int(q + j, 0, height - 1) % plan->ring) * plan->row_padded;
                rows.minus[j - 1] = ring + (size_t)(clamp_int(q - j, 0, height - 1) % plan->ring) * plan->row_padded;
            }
            for (int p = 0; p < factor; p++) {
                int yy = q * factor + p;
                rows.outputs[p] = yy >= y && yy < end ? output + (ptrdiff_t)yy * output_stride : NULL;
            }
            for (size_t c0 = 0; c0 < vector_end; c0 += SF_COLUMN_CHUNK) {
                const size_t c1 = c0 + SF_COLUMN_CHUNK < vector_end ? c0 + SF_COLUMN_CHUNK : vector_end;
#ifdef SF_HAVE_AVX2_COPY
                if (level == 2) {
                    symmetric_avx512(&rows, reach, plan->symmetric_weights, factor, c0, c1, count);
                    continue;
                }
                if (level == 1) {
                    symmetric_avx2(&rows, reach, plan->symmetric_weights, factor, c0, c1, count);
                    continue;
                }
#endif
                symmetric_portable(&rows, reach, plan->symmetric_weights, factor, c0, c1, count);
            }
            y = end;
        }
        return;
    }
    for (int y = y0; y < y1;) {
        const int low = clamp_int(plan->vfirst[y], 0, height - 1);
        int high = clamp_int(plan->vfirst[y] + taps - 1, 0, height - 1);
        int end = y + 1;
        while (end < y1 && end - y < SF_GROUP_MAX) {
            int next = clamp_int(plan->vfirst[end] + taps - 1, 0, height - 1);
            if (next - low + 1 > plan->ring) {
                break;
            }
            high = next;
            end++;
        }
        // Source rows low...computed are in the ring already (windows only move down).
        for (int r = computed >= low ? computed + 1 : low; r <= high; r++) {
            const uint8_t *row = source + (ptrdiff_t)r * source_stride;
            int16_t *target = ring + (size_t)(r % plan->ring) * plan->row_padded;
            horizontal_row(plan, row, wide, planes, target);
        }
        computed = high > computed ? high : computed;
        for (size_t c0 = 0; c0 < vector_end; c0 += SF_COLUMN_CHUNK) {
            const size_t c1 = c0 + SF_COLUMN_CHUNK < vector_end ? c0 + SF_COLUMN_CHUNK : vector_end;
            for (int yy = y; yy < end; yy++) {
                int used = 0;
                for (int k = 0; k < taps; k++) {
                    int16_t w = plan->vweights[(size_t)yy * (size_t)taps + (size_t)k];
                    if (w == 0) {
                        continue;  // adds exactly nothing
                    }
                    int r = clamp_int(plan->vfirst[yy] + k, 0, height - 1);
                    pointers[used] = ring + (size_t)(r % plan->ring) * plan->row_padded;
                    weights[used] = w;
                    used++;
                }
                uint8_t *out = output + (ptrdiff_t)yy * output_stride;
#ifdef SF_HAVE_AVX2_COPY
                if (level == 2) {
                    vertical_avx512(pointers, weights, used, c0, c1, count, out);
                    continue;
                }
                if (level == 1) {
                    vertical_avx2(pointers, weights, used, c0, c1, count, out);
                    continue;
                }
#endif
                vertical_portable(pointers, weights, used, c0, c1, count, out);
            }
        }
        y = end;
    }
}
