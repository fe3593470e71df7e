// A small C layer over libpng and libjpeg(-turbo).
//
// Both libraries report errors with setjmp/longjmp. A longjmp must never cross a Swift frame, so
// every entry point here sets its own jump buffer, calls the library, and turns an error into a
// status code plus a message kept in the codec object. Swift sees plain functions that return.
//
// Objects are opaque; all memory they own is released by the matching *_destroy call, whatever
// state the object is in.

#ifndef SF_CODECS_H
#define SF_CODECS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Status codes returned by every call that can fail.
typedef enum {
    SF_OK = 0,
    /// The input ended before the image did.
    SF_ERR_TRUNCATED = 1,
    /// The library rejected the data (bad signature, CRC, marker, Huffman table, ...).
    SF_ERR_CORRUPT = 2,
    /// A memory allocation failed or a configured memory limit was reached.
    SF_ERR_NO_MEMORY = 3,
    /// Reading or writing the underlying file failed.
    SF_ERR_IO = 4,
    /// The caller asked for something the codec cannot do (a bad parameter, a call out of order).
    SF_ERR_USAGE = 5,
} sf_status;

/// Where a decoder reads from: a caller-owned memory range, or a caller-owned open FILE.
typedef struct {
    const uint8_t *data;
    size_t size;
    FILE *file;
} sf_source;

/// Where an encoder writes to: memory owned by the encoder (file == NULL), or a caller-owned FILE.
typedef struct {
    FILE *file;
} sf_sink;

/// Returns the warnings a codec object has collected (at most SF_MAX_WARNINGS are kept).
#define SF_MAX_WARNINGS 8
#define SF_MESSAGE_LENGTH 200

// MARK: - PNG decoding

typedef struct sf_png_decoder sf_png_decoder;

/// The header of a PNG and the row format the decoder will deliver after its transforms
/// (palette → RGB(A), tRNS → alpha, gray 1/2/4 → 8 bits, 16-bit samples in host byte order).
typedef struct {
    uint32_t width;
    uint32_t height;
    int source_bit_depth;
    int source_color_type;
    int interlaced;
    int has_trns;
    int has_gamma;
    double gamma;
    int srgb_intent;  // -1 when there is no sRGB chunk
    int channels;     // of the delivered rows: 1, 2, 3 or 4
    int bit_depth;    // of the delivered rows: 8 or 16
    size_t row_bytes; // of the delivered rows
} sf_png_info;

sf_png_decoder *sf_png_decoder_create(sf_source source);
void sf_png_decoder_destroy(sf_png_decoder *decoder);
const char *sf_png_decoder_message(const sf_png_decoder *decoder);
/// The largest width and height libpng accepts in an IHDR (its user limits: 1,000,000 each in
/// libpng's default build, although the format allows 2^31 - 1).
void sf_png_decoder_size_limits(const sf_png_decoder *decoder, uint32_t *width, uint32_t *height);
int sf_png_decoder_warning_count(const sf_png_decoder *decoder);
const char *sf_png_decoder_warning(const sf_png_decoder *decoder, int index);

/// Reads the signature and all chunks before the image data, and sets up the transforms.
sf_status sf_png_read_header(sf_png_decoder *decoder, sf_png_info *info);
/// The embedded ICC profile, or NULL. Valid until the decoder is destroyed.
const uint8_t *sf_png_icc_profile(sf_png_decoder *decoder, size_t *length);
/// The number of text chunks read so far (tEXt, zTXt, iTXt).
int sf_png_text_count(sf_png_decoder *decoder);
/// One text chunk: its keyword, its (decompressed) UTF-8 or Latin-1 text, and whether it was
/// an iTXt chunk (UTF-8) and compressed.
sf_status sf_png_text(sf_png_decoder *decoder, int index, const char **key, const char **text, size_t *text_length,
    int *is_international, int *is_compressed);
/// Reads `count` rows of a non-interlaced image into `rows` (one pointer per row).
sf_status sf_png_read_rows(sf_png_decoder *decoder, uint8_t **rows, uint32_t count);
/// Reads the whole image (every Adam7 pass for an interlaced one) into `rows` (height pointers).
sf_status sf_png_read_image(sf_png_decoder *decoder, uint8_t **rows);
/// Reads the chunks after the image data up to IEND, checking their CRCs.
sf_status sf_png_read_end(sf_png_decoder *decoder);

// MARK: - PNG encoding

typedef struct sf_png_encoder sf_png_encoder;

typedef struct {
    uint32_t width;
    uint32_t height;
    int channels;          // 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
    int bit_depth;         // 8 or 16 (16-bit rows in host byte order)
    int compression_level; // 0...9
    int srgb_intent;       // -1: no sRGB chunk
    double gamma;          // 0: no gAMA chunk
    const uint8_t *icc_profile;
    size_t icc_length;
} sf_png_encode_settings;

sf_png_encoder *sf_png_encoder_create(sf_sink sink);
void sf_png_encoder_destroy(sf_png_encoder *encoder);
const char *sf_png_encoder_message(const sf_png_encoder *encoder);
/// The largest width and height libpng writes (the same user limits as when reading).
void sf_png_encoder_size_limits(const sf_png_encoder *encoder, uint32_t *width, uint32_t *height);
/// Adds a text chunk to be written with the header: tEXt (Latin-1), or iTXt when `international`.
sf_status sf_png_encoder_add_text(sf_png_encoder *encoder, const char *key, const char *text, int international,
    int compressed);
sf_status sf_png_write_header(sf_png_encoder *encoder, const sf_png_encode_settings *settings);
sf_status sf_png_write_rows(sf_png_encoder *encoder, const uint8_t *const *rows, uint32_t count);
sf_status sf_png_write_end(sf_png_encoder *encoder);
/// The encoded bytes of an encoder created without a FILE. Ownership passes to the caller
/// (release with free()) when `take` is non-zero.
uint8_t *sf_png_encoder_output(sf_png_encoder *encoder, size_t *length, int take);

// MARK: - JPEG decoding

typedef struct sf_jpeg_decoder sf_jpeg_decoder;

typedef struct {
    uint32_t width;
    uint32_t height;
    int source_components;
    int source_color_space; // 1 gray, 2 RGB, 3 YCbCr, 4 CMYK, 5 YCCK, 0 unknown
    int progressive;
    int arithmetic;
    int adobe_marker;
    int channels;           // of the delivered rows: 1 (gray) or 3 (RGB)
    size_t row_bytes;
} sf_jpeg_info;

sf_jpeg_decoder *sf_jpeg_decoder_create(sf_source source, int strict);
void sf_jpeg_decoder_destroy(sf_jpeg_decoder *decoder);
const char *sf_jpeg_decoder_message(const sf_jpeg_decoder *decoder);
int sf_jpeg_decoder_warning_count(const sf_jpeg_decoder *decoder);
const char *sf_jpeg_decoder_warning(const sf_jpeg_decoder *decoder, int index);
/// Reads the markers up to the first scan. `max_memory` bounds libjpeg's working memory
/// (0: unbounded).
sf_status sf_jpeg_read_header(sf_jpeg_decoder *decoder, size_t max_memory, sf_jpeg_info *info);
/// The ICC profile assembled from APP2 markers, or NULL.
const uint8_t *sf_jpeg_icc_profile(sf_jpeg_decoder *decoder, size_t *length);
/// The payload of the first APP1 "Exif" marker (starting at the TIFF header), or NULL.
const uint8_t *sf_jpeg_exif(sf_jpeg_decoder *decoder, size_t *length);
sf_status sf_jpeg_start(sf_jpeg_decoder *decoder);
sf_status sf_jpeg_read_rows(sf_jpeg_decoder *decoder, uint8_t **rows, uint32_t count);
sf_status sf_jpeg_finish(sf_jpeg_decoder *decoder);

// MARK: - JPEG encoding

typedef struct sf_jpeg_encoder sf_jpeg_encoder;

typedef struct {
    uint32_t width;
    uint32_t height;
    int channels;        // 1 gray, 3 RGB, 4 RGBX (the fourth byte is ignored)
    int quality;         // 1...100
    int subsampling;     // 444, 422 or 420
    int progressive;
    int optimize_coding;
    const uint8_t *icc_profile;
    size_t icc_length;
} sf_jpeg_encode_settings;

sf_jpeg_encoder *sf_jpeg_encoder_create(sf_sink sink);
void sf_jpeg_encoder_destroy(sf_jpeg_encoder *encoder);
const char *sf_jpeg_encoder_message(const sf_jpeg_encoder *encoder);
sf_status sf_jpeg_write_header(sf_jpeg_encoder *encoder, const sf_jpeg_encode_settings *settings);
sf_status sf_jpeg_write_rows(sf_jpeg_encoder *encoder, const uint8_t *const *rows, uint32_t count);
sf_status sf_jpeg_write_end(sf_jpeg_encoder *encoder);
uint8_t *sf_jpeg_encoder_output(sf_jpeg_encoder *encoder, size_t *length, int take);

#ifdef __cplusplus
}
#endif

#endif
