// See include/sf_frame.h.
//
// Vertical pass: for each output row, the source rows of its window are summed a pair at a time
// (`pmaddwd` of the two rows' samples interleaved with the two weights), so every product and sum
// is exact in 32 bits; one rounding to a 16-bit intermediate with 6 fractional bits (14 significant
// bits, wider than the 8-bit input). Only the source columns the horizontal taps read are computed,
// and the window's rows are a few kilobytes, so they stay in L1 while the row is summed.
//
// Horizontal pass: output pixel x is the dot product of `padded_taps` intermediate samples from
// `first[x]` with its weights (zero past the real taps); the AVX2 copy does eight pixels at once
// and reduces their partial sums with `phaddd`. Exact in 32 bits, one rounding at the end.

#include "sf_frame.h"

#include "sf_resample.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define SF_FRAME_HAVE_X86 1
#endif

// The most taps per axis: a reduction by about 20× with Lanczos-3 (a 16384-pixel side to 800).
#define SF_FRAME_MAX_TAPS 128
// Intermediate rows made before the horizontal pass runs over them together (the VNNI copy keeps a
// 16-pixel block's weights in registers across them): 4 rows of a 1080-wide frame are 17 KB.
#define SF_FRAME_ROWS 4

static int sf_frame_clamp(int value, int low, int high) { return value < low ? low : (value > high ? high : value); }

int sf_frame_tap_count(double support, double source_length, int output_count, int nearest) {
    if (!(support > 0) || !isfinite(support) || !(source_length > 0) || !isfinite(source_length)
        || output_count < 1) {
        return -1;
    }
    if (nearest) {
        return 1;
    }
    const double scale = (double)output_count / source_length;
    const double stretch = scale < 1 ? scale : 1;
    const double span = ceil(2 * support / stretch);
    if (!(span < 4096)) {
        return -1;
    }
    // As ResampleWeights.taps: enlarging, the open window holds exactly 2·support integer positions;
    // a stretched one needs one more.
    return stretch == 1 ? (int)span : (int)span + 1;
}

static double sf_frame_kernel(const float *table, int per_unit, double support, double t) {
    if (t >= support) {
        return 0;
    }
    const double x = t * per_unit;
    const int j = (int)x;
    const double f = x - j;
    return (double)table[j] + ((double)table[j + 1] - (double)table[j]) * f;
}

int sf_frame_axis_taps(const float *table, int per_unit, double support, double source_start, double source_length,
    int output_count, int taps, int padded_taps, int32_t *first, int16_t *weights) {
    if (!isfinite(source_start) || !(source_length > 0) || !isfinite(source_length) || output_count < 1 || taps < 1
        || taps > SF_FRAME_MAX_TAPS || padded_taps < taps || padded_taps > SF_FRAME_MAX_TAPS || per_unit < 1
        || !(support > 0) || !isfinite(support)) {
        return -1;
    }
    const double scale = (double)output_count / source_length;
    const double stretch = scale < 1 ? scale : 1;
    const double reach = support / stretch;
    double row[SF_FRAME_MAX_TAPS];
    for (int i = 0; i < output_count; i++) {
        // Pixel centres align: output sample i covers [i, i + 1) / scale from the crop's edge.
        const double centre = source_start + ((double)i + 0.5) / scale - 0.5;
        int16_t *w = weights + (size_t)i * (size_t)padded_taps;
        memset(w, 0, sizeof(int16_t) * (size_t)padded_taps);
        if (taps == 1) {
            const double nearest = floor(centre + 0.5);
            first[i] = (int32_t)(nearest < -1e9 ? -1e9 : (nearest > 1e9 ? 1e9 : nearest));
            w[0] = 16384;
            continue;
        }
        const double low = floor(centre - reach) + 1;
        // Far outside any image the composer draws; keeps the int32 conversion defined.
        if (!(low > -1e9 && low < 1e9)) {
            return -1;
        }
        const int start = (int)low;
        first[i] = start;
        double sum = 0;
        for (int k = 0; k < taps; k++) {
            row[k] = sf_frame_kernel(table, per_unit, support, fabs(((double)(start + k) - centre) * stretch));
            sum += row[k];
        }
        // Q14, rounded half away from zero, then the largest weight takes the rounding residue so
        // that the weights sum to exactly 16384 (a constant plane stays exactly constant).
        long total = 0;
        int largest = 0;
        const double normal = sum != 0 ? 16384.0 / sum : 0;
        for (int k = 0; k < taps; k++) {
            const double scaled = row[k] * normal;
            long q = scaled >= 0 ? (long)(scaled + 0.5) : -(long)(-scaled + 0.5);
            q = q > 32767 ? 32767 : (q < -32767 ? -32767 : q);
            w[k] = (int16_t)q;
            total += q;
            if (q > w[largest]) {
                largest = k;
            }
        }
        const long fixed = w[largest] + (16384 - total);
        if (fixed <= 32767 && fixed >= -32767) {
            w[largest] = (int16_t)fixed;
        }
    }
    return 0;
}

// The intermediate row (its span, and 64 samples a 16-pixel AVX-512 block may read past it), then
// the pair-interleaved weights of those blocks.
static size_t sf_frame_row_count(const int32_t *h_first, int output_width, int h_padded_taps) {
    const long span = (long)h_first[output_width - 1] - (long)h_first[0] + h_padded_taps;
    return ((span > 0 ? (size_t)span : 0) + 64 + 31) / 32 * 32;
}

static size_t sf_frame_layout_count(int output_width, int h_padded_taps) {
    return (size_t)((output_width + 15) / 16) * (size_t)((h_padded_taps + 1) / 2) * 32;
}

size_t sf_frame_scratch_count(const int32_t *h_first, int output_width, int h_padded_taps) {
    if (output_width < 1 || h_padded_taps < 1) {
        return 0;
    }
    return SF_FRAME_ROWS * sf_frame_row_count(h_first, output_width, h_padded_taps)
        + sf_frame_layout_count(output_width, h_padded_taps);
}

// MARK: - Portable copies

static void vertical_portable(const uint8_t *const *rows, const int16_t *w, int taps, int i0, int n, int16_t *mid) {
    for (int i = i0; i < n; i++) {
        int32_t sum = 128;
        for (int k = 0; k < taps; k++) {
            sum += (int32_t)w[k] * (int32_t)rows[k][i];
        }
        sum >>= 8;
        mid[i] = (int16_t)(sum > 32767 ? 32767 : (sum < -32768 ? -32768 : sum));
    }
}

static uint8_t horizontal_pixel(const int16_t *mid, const int16_t *w, int taps) {
    int32_t sum = 1 << 19;
    for (int k = 0; k < taps; k++) {
        sum += (int32_t)w[k] * (int32_t)mid[k];
    }
    sum >>= 20;
    return (uint8_t)(sum < 0 ? 0 : (sum > 255 ? 255 : sum));
}

static void horizontal_portable(const int16_t *mid, const int32_t *first, int base, const int16_t *weights, int taps,
    int x0, int width, uint8_t *out) {
    for (int x = x0; x < width; x++) {
        out[x] = horizontal_pixel(mid + (first[x] - base), weights + (size_t)x * (size_t)taps, taps);
    }
}

// MARK: - AVX2 and AVX-512 copies

#ifdef SF_FRAME_HAVE_X86

static inline int32_t sf_frame_pair(int16_t low, int16_t high) {
    return (int32_t)(((uint32_t)(uint16_t)high << 16) | (uint32_t)(uint16_t)low);
}

__attribute__((target("avx2"))) static void vertical_avx2(const uint8_t *const *rows, const int16_t *w, int taps, int n,
    int16_t *mid) {
    __m256i pairs[SF_FRAME_MAX_TAPS / 2];
    const int count = taps / 2;
    for (int p = 0; p < count; p++) {
        pairs[p] = _mm256_set1_epi32(sf_frame_pair(w[2 * p], w[2 * p + 1]));
    }
    const __m256i round = _mm256_set1_epi32(128);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i low = round;
        __m256i high = round;
        for (int p = 0; p < count; p++) {
            __m256i a = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(rows[2 * p] + i)));
            __m256i b = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(rows[2 * p + 1] + i)));
            low = _mm256_add_epi32(low, _mm256_madd_epi16(_mm256_unpacklo_epi16(a, b), pairs[p]));
            high = _mm256_add_epi32(high, _mm256_madd_epi16(_mm256_unpackhi_epi16(a, b), pairs[p]));
        }
        // unpack and pack work within 128-bit lanes alike, so the columns come back in order.
        __m256i packed = _mm256_packs_epi32(_mm256_srai_epi32(low, 8), _mm256_srai_epi32(high, 8));
        _mm256_storeu_si256((__m256i *)(void *)(mid + i), packed);
    }
    vertical_portable(rows, w, taps, i, n, mid);
}

__attribute__((target("avx2,avx512f,avx512bw,avx512vl"), always_inline)) static inline void vertical_avx512_chunk(
    const uint8_t *const *restrict rows, const __m512i *restrict pairs, int count, int i, int16_t *restrict mid) {
    const __m512i round = _mm512_set1_epi32(128);
    __m512i low = round;
    __m512i high = round;
    for (int p = 0; p < count; p++) {
        __m512i a = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(rows[2 * p] + i)));
        __m512i b = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(rows[2 * p + 1] + i)));
        low = _mm512_add_epi32(low, _mm512_madd_epi16(_mm512_unpacklo_epi16(a, b), pairs[p]));
        high = _mm512_add_epi32(high, _mm512_madd_epi16(_mm512_unpackhi_epi16(a, b), pairs[p]));
    }
    // unpack and pack work within 128-bit lanes alike, so the columns come back in order.
    __m512i packed = _mm512_packs_epi32(_mm512_srai_epi32(low, 8), _mm512_srai_epi32(high, 8));
    _mm512_storeu_si512((void *)(mid + i), packed);
}

__attribute__((target("avx2,avx512f,avx512bw,avx512vl"))) static void vertical_avx512(const uint8_t *const *rows, const int16_t *w, int taps, int n,
    int16_t *mid) {
    __m512i pairs[SF_FRAME_MAX_TAPS / 2];
    const int count = taps / 2;
    for (int p = 0; p < count; p++) {
        pairs[p] = _mm512_set1_epi32(sf_frame_pair(w[2 * p], w[2 * p + 1]));
    }
    if (n < 32) {
        vertical_portable(rows, w, taps, 0, n, mid);
        return;
    }
    // 32 columns at a time; the last chunk overlaps the one before it (recomputing the same values)
    // rather than leaving a tail to the portable loop. Constant pair counts (Lanczos-3 enlarging: 6
    // taps; reducing by 0.5 to 0.86: 8 to 14) unroll the tap loop and keep the weights in registers.
    for (int i = 0;; i += 32) {
        if (i + 32 > n) {
            i = n - 32;
        }
        switch (count) {
        case 3: vertical_avx512_chunk(rows, pairs, 3, i, mid); break;
        case 4: vertical_avx512_chunk(rows, pairs, 4, i, mid); break;
        case 5: vertical_avx512_chunk(rows, pairs, 5, i, mid); break;
        case 6: vertical_avx512_chunk(rows, pairs, 6, i, mid); break;
        case 7: vertical_avx512_chunk(rows, pairs, 7, i, mid); break;
        case 8: vertical_avx512_chunk(rows, pairs, 8, i, mid); break;
        default: vertical_avx512_chunk(rows, pairs, count, i, mid); break;
        }
        if (i + 32 >= n) {
            break;
        }
    }
}

// Sixteen pixels at once with AVX-512 when their taps lie within 64 intermediate samples: for each
// pair of taps one two-source word permutation gathers both samples of all sixteen pixels, and one
// `pmaddwd` with the pair-interleaved weights adds them, so the sums come out in pixel order with no
// horizontal reduction. `layout` holds, per block of 16 pixels and per tap pair, 32 weights
// (pixel j's two weights at lanes 2j, 2j + 1); `reach` tells which blocks qualify.
__attribute__((target("avx2,avx512f,avx512bw,avx512vl"))) static int horizontal_avx512_block(const int16_t *mid,
    const int32_t *first, int base, const int16_t *layout, int pairs, int x, uint8_t *out) {
    const int start = first[x] - base;
    if (first[x + 15] - first[x] + 2 * pairs > 64) {
        return 0;
    }
    const __m512i low = _mm512_loadu_si512((const void *)(mid + start));
    const __m512i high = _mm512_loadu_si512((const void *)(mid + start + 32));
    int16_t index[32];
    for (int j = 0; j < 16; j++) {
        const int16_t offset = (int16_t)(first[x + j] - first[x]);
        index[2 * j] = offset;
        index[2 * j + 1] = (int16_t)(offset + 1);
    }
    __m512i where = _mm512_loadu_si512((const void *)index);
    const __m512i two = _mm512_set1_epi16(2);
    __m512i sum = _mm512_set1_epi32(1 << 19);
    for (int p = 0; p < pairs; p++) {
        __m512i samples = _mm512_permutex2var_epi16(low, where, high);
        sum = _mm512_add_epi32(sum, _mm512_madd_epi16(samples,
            _mm512_loadu_si512((const void *)(layout + (size_t)p * 32))));
        where = _mm512_add_epi16(where, two);
    }
    sum = _mm512_srai_epi32(sum, 20);
    // Saturate to 0...255 as the portable copy clamps.
    sum = _mm512_max_epi32(_mm512_min_epi32(sum, _mm512_set1_epi32(255)), _mm512_setzero_si512());
    _mm_storeu_si128((__m128i *)(void *)out, _mm512_cvtepi32_epi8(sum));
    return 1;
}

// Sixteen rounded pixels from two vectors of eight sums each, in order, stored as bytes.
__attribute__((target("avx2"))) static inline void store16_avx2(uint8_t *out, __m256i s0, __m256i s1) {
    const __m256i round = _mm256_set1_epi32(1 << 19);
    s0 = _mm256_srai_epi32(_mm256_add_epi32(s0, round), 20);
    s1 = _mm256_srai_epi32(_mm256_add_epi32(s1, round), 20);
    __m256i words = _mm256_permute4x64_epi64(_mm256_packs_epi32(s0, s1), 0xD8);
    __m256i bytes = _mm256_permute4x64_epi64(_mm256_packus_epi16(words, words), 0x08);
    _mm_storeu_si128((__m128i *)(void *)out, _mm256_castsi256_si128(bytes));
}

// Eight pixels of eight taps: two pixels per vector, reduced by three `phaddd`.
__attribute__((target("avx2"))) static inline __m256i eight_taps8_avx2(const int16_t *mid, const int32_t *first,
    int base, const int16_t *weights, int x) {
    __m256i m[4];
    for (int j = 0; j < 4; j++) {
        const int a = x + 2 * j;
        __m256i v = _mm256_inserti128_si256(
            _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)(mid + (first[a] - base)))),
            _mm_loadu_si128((const __m128i *)(const void *)(mid + (first[a + 1] - base))), 1);
        m[j] = _mm256_madd_epi16(v, _mm256_loadu_si256((const __m256i *)(const void *)(weights + (size_t)a * 8)));
    }
    __m256i h0 = _mm256_hadd_epi32(m[0], m[1]);
    __m256i h1 = _mm256_hadd_epi32(m[2], m[3]);
    __m256i s = _mm256_hadd_epi32(h0, h1);  // pixels 0 2 4 6 | 1 3 5 7
    return _mm256_permutevar8x32_epi32(s, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// Eight pixels of a multiple of sixteen taps: one pixel per vector, reduced by `phaddd` and a lane swap.
__attribute__((target("avx2"))) static inline __m256i eight_taps16_avx2(const int16_t *mid, const int32_t *first,
    int base, const int16_t *weights, int taps, int x) {
    __m256i m[8];
    for (int j = 0; j < 8; j++) {
        const int16_t *source = mid + (first[x + j] - base);
        const int16_t *w = weights + (size_t)(x + j) * (size_t)taps;
        __m256i sum = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(const void *)source),
            _mm256_loadu_si256((const __m256i *)(const void *)w));
        for (int c = 16; c < taps; c += 16) {
            sum = _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(source + c)),
                _mm256_loadu_si256((const __m256i *)(const void *)(w + c))));
        }
        m[j] = sum;
    }
    __m256i a = _mm256_hadd_epi32(_mm256_hadd_epi32(m[0], m[1]), _mm256_hadd_epi32(m[2], m[3]));
    __m256i b = _mm256_hadd_epi32(_mm256_hadd_epi32(m[4], m[5]), _mm256_hadd_epi32(m[6], m[7]));
    return _mm256_add_epi32(_mm256_permute2x128_si256(a, b, 0x20), _mm256_permute2x128_si256(a, b, 0x31));
}

__attribute__((target("avx2"))) static void horizontal_avx2(const int16_t *mid, const int32_t *first, int base,
    const int16_t *weights, int taps, int width, uint8_t *out) {
    int x = 0;
    if (taps == 8) {
        for (; x + 16 <= width; x += 16) {
            store16_avx2(out + x, eight_taps8_avx2(mid, first, base, weights, x),
                eight_taps8_avx2(mid, first, base, weights, x + 8));
        }
    } else if (taps == 16) {
        for (; x + 16 <= width; x += 16) {
            store16_avx2(out + x, eight_taps16_avx2(mid, first, base, weights, 16, x),
                eight_taps16_avx2(mid, first, base, weights, 16, x + 8));
        }
    } else if (taps % 16 == 0) {
        for (; x + 16 <= width; x += 16) {
            store16_avx2(out + x, eight_taps16_avx2(mid, first, base, weights, taps, x),
                eight_taps16_avx2(mid, first, base, weights, taps, x + 8));
        }
    }
    horizontal_portable(mid, first, base, weights, taps, x, width, out);
}

// AVX-512 VNNI (Zen 4 and later, Ice Lake and later): `vpdpwssd` multiplies the pairs and adds them to
// the sums in one instruction; the sums never come near 2³¹, so it gives the same bits as madd + add.
static int sf_frame_has_vnni(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512vnni") ? 1 : 0;
    }
    return cached;
}

__attribute__((target("avx2,avx512f,avx512bw,avx512vl,avx512vnni"), always_inline)) static inline void vertical_vnni_chunk(
    const uint8_t *const *restrict rows, const __m512i *restrict pairs, int count, int i, int16_t *restrict mid) {
    const __m512i round = _mm512_set1_epi32(128);
    __m512i low = round;
    __m512i high = round;
    for (int p = 0; p < count; p++) {
        __m512i a = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(rows[2 * p] + i)));
        __m512i b = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(rows[2 * p + 1] + i)));
        low = _mm512_dpwssd_epi32(low, _mm512_unpacklo_epi16(a, b), pairs[p]);
        high = _mm512_dpwssd_epi32(high, _mm512_unpackhi_epi16(a, b), pairs[p]);
    }
    // unpack and pack work within 128-bit lanes alike, so the columns come back in order.
    __m512i packed = _mm512_packs_epi32(_mm512_srai_epi32(low, 8), _mm512_srai_epi32(high, 8));
    _mm512_storeu_si512((void *)(mid + i), packed);
}

__attribute__((target("avx2,avx512f,avx512bw,avx512vl,avx512vnni"))) static void vertical_vnni(const uint8_t *const *rows, const int16_t *w, int taps, int n,
    int16_t *mid) {
    __m512i pairs[SF_FRAME_MAX_TAPS / 2];
    const int count = taps / 2;
    for (int p = 0; p < count; p++) {
        pairs[p] = _mm512_set1_epi32(sf_frame_pair(w[2 * p], w[2 * p + 1]));
    }
    if (n < 32) {
        vertical_portable(rows, w, taps, 0, n, mid);
        return;
    }
    // 32 columns at a time; the last chunk overlaps the one before it (recomputing the same values)
    // rather than leaving a tail to the portable loop. Constant pair counts (Lanczos-3 enlarging: 6
    // taps; reducing by 0.5 to 0.86: 8 to 14) unroll the tap loop and keep the weights in registers.
    for (int i = 0;; i += 32) {
        if (i + 32 > n) {
            i = n - 32;
        }
        switch (count) {
        case 3: vertical_vnni_chunk(rows, pairs, 3, i, mid); break;
        case 4: vertical_vnni_chunk(rows, pairs, 4, i, mid); break;
        case 5: vertical_vnni_chunk(rows, pairs, 5, i, mid); break;
        case 6: vertical_vnni_chunk(rows, pairs, 6, i, mid); break;
        case 7: vertical_vnni_chunk(rows, pairs, 7, i, mid); break;
        case 8: vertical_vnni_chunk(rows, pairs, 8, i, mid); break;
        default: vertical_vnni_chunk(rows, pairs, count, i, mid); break;
        }
        if (i + 32 >= n) {
            break;
        }
    }
}

// Block x...x + 15 of `count` intermediate rows: the block's weights and gather indices stay in
// registers for all the rows, so the weight tables are read once per group of rows, not per row.
__attribute__((target("avx2,avx512f,avx512bw,avx512vl,avx512vnni"), always_inline)) static inline void
horizontal_vnni_rows_pairs(const int16_t *const *mid, int count, int start, const __m512i *where,
    const __m512i *weights, int pairs, uint8_t *const *out, int x) {
    for (int r = 0; r < count; r++) {
        const __m512i low = _mm512_loadu_si512((const void *)(mid[r] + start));
        const __m512i high = _mm512_loadu_si512((const void *)(mid[r] + start + 32));
        __m512i sum = _mm512_set1_epi32(1 << 19);
        for (int p = 0; p < pairs; p++) {
            sum = _mm512_dpwssd_epi32(sum, _mm512_permutex2var_epi16(low, where[p], high), weights[p]);
        }
        sum = _mm512_srai_epi32(sum, 20);
        sum = _mm512_max_epi32(_mm512_min_epi32(sum, _mm512_set1_epi32(255)), _mm512_setzero_si512());
        _mm_storeu_si128((__m128i *)(void *)(out[r] + x), _mm512_cvtepi32_epi8(sum));
    }
}

__attribute__((target("avx2,avx512f,avx512bw,avx512vl,avx512vnni"))) static int horizontal_vnni_rows(
    const int16_t *const *mid, int count, const int32_t *first, int base, const int16_t *layout, int pairs, int x,
    uint8_t *const *out) {
    if (first[x + 15] - first[x] + 2 * pairs > 64 || pairs > 16) {
        return 0;
    }
    const int start = first[x] - base;
    int16_t index[32];
    for (int j = 0; j < 16; j++) {
        const int16_t offset = (int16_t)(first[x + j] - first[x]);
        index[2 * j] = offset;
        index[2 * j + 1] = (int16_t)(offset + 1);
    }
    __m512i where[16];
    __m512i weights[16];
    where[0] = _mm512_loadu_si512((const void *)index);
    for (int p = 0; p < pairs; p++) {
        if (p > 0) {
            where[p] = _mm512_add_epi16(where[p - 1], _mm512_set1_epi16(2));
        }
        weights[p] = _mm512_loadu_si512((const void *)(layout + (size_t)p * 32));
    }
    switch (pairs) {
    case 3: horizontal_vnni_rows_pairs(mid, count, start, where, weights, 3, out, x); break;
    case 4: horizontal_vnni_rows_pairs(mid, count, start, where, weights, 4, out, x); break;
    case 6: horizontal_vnni_rows_pairs(mid, count, start, where, weights, 6, out, x); break;
    case 7: horizontal_vnni_rows_pairs(mid, count, start, where, weights, 7, out, x); break;
    default: horizontal_vnni_rows_pairs(mid, count, start, where, weights, pairs, out, x); break;
    }
    return 1;
}

#else
static int sf_frame_has_vnni(void) { return 0; }
#endif

// MARK: - Driver

// Where 16-pixel block `block` starts: every 16 pixels, the last one moved back to end at the row's end
// (overlapping the one before, whose pixels it recomputes to the same values) when the width is not a
// multiple of 16, so no pixel is left to the portable loop.
static int block_start(int block, int width) { return 16 * block + 16 <= width ? 16 * block : width - 16; }

// The horizontal pass of one intermediate row.
static void horizontal_row(const int16_t *row, const int32_t *h_first, int base, const int16_t *h_weights, int h_taps,
    const int16_t *layout, int pairs, int level, int output_width, uint8_t *out) {
    (void)layout;
    (void)pairs;
    (void)level;
#ifdef SF_FRAME_HAVE_X86
    if (level == 2 && pairs > 0) {
        for (int block = 0; block < (output_width + 15) / 16; block++) {
            const int x = block_start(block, output_width);
            const int16_t *weights = layout + (size_t)block * (size_t)pairs * 32;
            if (!horizontal_avx512_block(row, h_first, base, weights, pairs, x, out + x)) {
                horizontal_portable(row, h_first, base, h_weights, h_taps, x, x + 16, out);
            }
        }
        return;
    }
    if (level >= 1) {
        horizontal_avx2(row, h_first, base, h_weights, h_taps, output_width, out);
        return;
    }
#endif
    horizontal_portable(row, h_first, base, h_weights, h_taps, 0, output_width, out);
}

// Repeats the edge columns of an intermediate row into its clamped margins.
static void fill_edges(int16_t *row, int inside, int offset, int n, int span) {
    if (inside) {
        for (int i = 0; i < offset; i++) {
            row[i] = row[offset];
        }
        for (int i = offset + n; i < span; i++) {
            row[i] = row[offset + n - 1];
        }
    } else {
        for (int i = 1; i < span; i++) {
            row[i] = row[0];
        }
    }
}

int sf_frame_resample_plane(const uint8_t *source, ptrdiff_t source_stride, int source_width, int source_height,
    const int32_t *v_first, const int16_t *v_weights, int v_taps, const int32_t *h_first, const int16_t *h_weights,
    int h_taps, uint8_t *output, ptrdiff_t output_stride, int output_width, int output_height, int16_t *scratch,
    size_t scratch_count) {
    if (source == NULL || output == NULL || scratch == NULL || source_width < 1 || source_height < 1
        || output_width < 1 || output_height < 1 || v_taps < 2 || v_taps % 2 != 0 || v_taps > SF_FRAME_MAX_TAPS
        || h_taps < 1 || h_taps > SF_FRAME_MAX_TAPS || (h_taps != 8 && h_taps % 16 != 0)
        || scratch_count < sf_frame_scratch_count(h_first, output_width, h_taps)) {
        return -1;
    }
    for (int x = 1; x < output_width; x++) {
        if (h_first[x] < h_first[x - 1]) {
            return -1;
        }
    }
    const int level = sf_resample_instruction_set();
    const int vnni = level == 2 && sf_frame_has_vnni();
    // Intermediate sample i is source column base + i (clamped: the edge column repeats).
    const int base = h_first[0];
    const int span = h_first[output_width - 1] - base + h_taps;
    const int last = source_width - 1;
    const int a = sf_frame_clamp(base, 0, last);
    const int b = sf_frame_clamp(base + span - 1, 0, last);
    // Where source column a lands in the intermediate row; a crop wholly off one edge computes that
    // edge's column once and repeats it.
    const int offset = a - base;
    const int inside = offset >= 0 && b - base < span;
    const int n = inside ? b - a + 1 : 1;
    const int column = inside ? a : (base > last ? last : 0);
    const size_t row_count = sf_frame_row_count(h_first, output_width, h_taps);
    int16_t *layout = scratch + SF_FRAME_ROWS * row_count;
    // The AVX-512 blocks' weights: the taps in use (the last non-zero one over all pixels), in pairs,
    // interleaved per block of 16 pixels.
    int pairs = 0;
    const int blocks = (output_width + 15) / 16;
#ifdef SF_FRAME_HAVE_X86
    if (level == 2) {
        int used = 0;
        for (int x = 0; x < output_width; x++) {
            for (int k = h_taps - 1; k >= used; k--) {
                if (h_weights[(size_t)x * (size_t)h_taps + (size_t)k] != 0) {
                    used = k + 1;
                    break;
                }
            }
        }
        pairs = output_width >= 16 ? (used + 1) / 2 : 0;
        for (int block = 0; block < blocks; block++) {
            int16_t *target = layout + (size_t)block * (size_t)pairs * 32;
            const int x0 = block_start(block, output_width);
            for (int p = 0; p < pairs; p++) {
                for (int j = 0; j < 16; j++) {
                    const int16_t *w = h_weights + (size_t)(x0 + j) * (size_t)h_taps;
                    target[p * 32 + 2 * j] = w[2 * p];
                    target[p * 32 + 2 * j + 1] = 2 * p + 1 < h_taps ? w[2 * p + 1] : 0;
                }
            }
        }
    }
#endif
    const uint8_t *rows[SF_FRAME_MAX_TAPS];
    for (int y0 = 0; y0 < output_height; y0 += SF_FRAME_ROWS) {
        const int count = output_height - y0 < SF_FRAME_ROWS ? output_height - y0 : SF_FRAME_ROWS;
        int16_t *mids[SF_FRAME_ROWS];
        uint8_t *outs[SF_FRAME_ROWS];
        for (int r = 0; r < count; r++) {
            const int y = y0 + r;
            int16_t *row = scratch + (size_t)r * row_count;
            int16_t *target = row + (inside ? offset : 0);
            const int16_t *w = v_weights + (size_t)y * (size_t)v_taps;
            for (int k = 0; k < v_taps; k++) {
                const int source_row = sf_frame_clamp(v_first[y] + k, 0, source_height - 1);
                rows[k] = source + (ptrdiff_t)source_row * source_stride + column;
            }
#ifdef SF_FRAME_HAVE_X86
            if (level == 2 && vnni) {
                vertical_vnni(rows, w, v_taps, n, target);
            } else if (level == 2) {
                vertical_avx512(rows, w, v_taps, n, target);
            } else if (level == 1) {
                vertical_avx2(rows, w, v_taps, n, target);
            } else {
                vertical_portable(rows, w, v_taps, 0, n, target);
            }
#else
            vertical_portable(rows, w, v_taps, 0, n, target);
#endif
            fill_edges(row, inside, offset, n, span);
            mids[r] = row;
            outs[r] = output + (ptrdiff_t)y * output_stride;
        }
#ifdef SF_FRAME_HAVE_X86
        if (vnni && pairs > 0) {
            for (int block = 0; block < blocks; block++) {
                const int x = block_start(block, output_width);
                const int16_t *weights = layout + (size_t)block * (size_t)pairs * 32;
                if (!horizontal_vnni_rows((const int16_t *const *)mids, count, h_first, base, weights, pairs, x, outs)) {
                    for (int r = 0; r < count; r++) {
                        horizontal_portable(mids[r], h_first, base, h_weights, h_taps, x, x + 16, outs[r]);
                    }
                }
            }
            continue;
        }
#endif
        for (int r = 0; r < count; r++) {
            horizontal_row(mids[r], h_first, base, h_weights, h_taps, layout, pairs, level, output_width, outs[r]);
        }
    }
    return 0;
}

// The same loop compiled three times: compilers vectorise it with the 32-bit multiplies each level has
// (SSE2 has none, so the portable copy is several times slower); integer, so every copy gives the same bits.
#define SF_FRAME_BLEND_BODY                                                                                   \
    for (size_t i = 0; i < count; i++) {                                                                     \
        a[i] = (uint8_t)(((uint32_t)a[i] * outgoing + (uint32_t)b[i] * incoming + 32768) >> 16);             \
    }

static void blend_portable(uint8_t *restrict a, const uint8_t *restrict b, size_t count, uint32_t incoming,
    uint32_t outgoing) {
    SF_FRAME_BLEND_BODY
}

#ifdef SF_FRAME_HAVE_X86
__attribute__((target("avx2"))) static void blend_avx2(uint8_t *restrict a, const uint8_t *restrict b, size_t count,
    uint32_t incoming, uint32_t outgoing) {
    SF_FRAME_BLEND_BODY
}

__attribute__((target("avx2,avx512f,avx512bw,avx512vl"))) static void blend_avx512(uint8_t *restrict a,
    const uint8_t *restrict b, size_t count, uint32_t incoming, uint32_t outgoing) {
    SF_FRAME_BLEND_BODY
}
#endif

void sf_frame_blend_u8(uint8_t *a, const uint8_t *b, size_t count, uint32_t weight) {
    const uint32_t incoming = weight > 65536 ? 65536 : weight;
    const uint32_t outgoing = 65536 - incoming;
#ifdef SF_FRAME_HAVE_X86
    const int level = sf_resample_instruction_set();
    if (level == 2) {
        blend_avx512(a, b, count, incoming, outgoing);
        return;
    }
    if (level == 1) {
        blend_avx2(a, b, count, incoming, outgoing);
        return;
    }
#endif
    blend_portable(a, b, count, incoming, outgoing);
}
