// libpng behind plain status codes. See include/sf_codecs.h for why this layer exists.

#include "sf_codecs.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

// MARK: - Shared message handling

typedef struct {
    char message[SF_MESSAGE_LENGTH];
    char warnings[SF_MAX_WARNINGS][SF_MESSAGE_LENGTH];
    int warning_count;
    int truncated;
    int io_failed;
    int out_of_memory;
} sf_png_messages;

static void sf_copy_message(char *destination, const char *text) {
    if (text == NULL) {
        text = "unknown error";
    }
    strncpy(destination, text, SF_MESSAGE_LENGTH - 1);
    destination[SF_MESSAGE_LENGTH - 1] = '\0';
}

static void sf_png_on_error(png_structp png, png_const_charp text) {
    sf_png_messages *messages = (sf_png_messages *)png_get_error_ptr(png);
    if (messages->message[0] == '\0') {
        sf_copy_message(messages->message, text);
    }
    if (text != NULL && strstr(text, "memory") != NULL) {
        messages->out_of_memory = 1;
    }
    png_longjmp(png, 1);
}

static void sf_png_on_warning(png_structp png, png_const_charp text) {
    sf_png_messages *messages = (sf_png_messages *)png_get_error_ptr(png);
    if (messages->warning_count < SF_MAX_WARNINGS) {
        sf_copy_message(messages->warnings[messages->warning_count], text);
    }
    messages->warning_count += 1;
}

static sf_status sf_png_status(const sf_png_messages *messages) {
    if (messages->truncated) {
        return SF_ERR_TRUNCATED;
    }
    if (messages->io_failed) {
        return SF_ERR_IO;
    }
    if (messages->out_of_memory) {
        return SF_ERR_NO_MEMORY;
    }
    return SF_ERR_CORRUPT;
}

// MARK: - Decoder

struct sf_png_decoder {
    png_structp png;
    png_infop info;
    sf_source source;
    size_t offset;
    sf_png_messages messages;
    int header_read;
    int interlaced;
    uint32_t height;
    uint32_t rows_read;
};

static void sf_png_read_data(png_structp png, png_bytep out, size_t length) {
    sf_png_decoder *decoder = (sf_png_decoder *)png_get_io_ptr(png);
    if (decoder->source.file != NULL) {
        size_t got = fread(out, 1, length, decoder->source.file);
        if (got != length) {
            if (ferror(decoder->source.file)) {
                decoder->messages.io_failed = 1;
                png_error(png, "reading the file failed");
            }
            decoder->messages.truncated = 1;
            png_error(png, "the data ends before the image does");
        }
        return;
    }
    if (length > decoder->source.size - decoder->offset) {
        decoder->messages.truncated = 1;
        png_error(png, "the data ends before the image does");
    }
    memcpy(out, decoder->source.data + decoder->offset, length);
    decoder->offset += length;
}

// libpng allocates an ancillary chunk's declared length before reading it, and only warns when
// the length is over its chunk limit, so a forged 2 GB iTXt length in a 1 KB file would cost 2 GB.
// No single allocation a real decode makes comes near 32 MiB: the largest are two rows, and libpng
// caps the width at 1,000,000 pixels (8 MB for a 16-bit RGBA row). Refused, libpng skips the chunk.
#define SF_PNG_MAX_ALLOCATION ((png_alloc_size_t)32 << 20)

static png_voidp sf_png_bounded_malloc(png_structp png, png_alloc_size_t size) {
    (void)png;
    return size <= SF_PNG_MAX_ALLOCATION ? malloc(size) : NULL;
}

static void sf_png_free(png_structp png, png_voidp pointer) {
    (void)png;
    free(pointer);
}

sf_png_decoder *sf_png_decoder_create(sf_source source) {
    sf_png_decoder *decoder = calloc(1, sizeof(sf_png_decoder));
    if (decoder == NULL) {
        return NULL;
    }
    decoder->source = source;
    decoder->png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, &decoder->messages, sf_png_on_error,
        sf_png_on_warning, NULL, sf_png_bounded_malloc, sf_png_free);
    if (decoder->png == NULL) {
        free(decoder);
        return NULL;
    }
    decoder->info = png_create_info_struct(decoder->png);
    if (decoder->info == NULL) {
        png_destroy_read_struct(&decoder->png, NULL, NULL);
        free(decoder);
        return NULL;
    }
    png_set_read_fn(decoder->png, decoder, sf_png_read_data);
    // 16 MiB holds any real ICC profile or text; unknown ancillary chunks are skipped unbuffered.
    png_set_chunk_malloc_max(decoder->png, 16u << 20);
    png_set_keep_unknown_chunks(decoder->png, PNG_HANDLE_CHUNK_NEVER, NULL, 0);
    return decoder;
}

void sf_png_decoder_destroy(sf_png_decoder *decoder) {
    if (decoder == NULL) {
        return;
    }
    png_destroy_read_struct(&decoder->png, &decoder->info, NULL);
    free(decoder);
}

const char *sf_png_decoder_message(const sf_png_decoder *decoder) { return decoder->messages.message; }

// png_set_IHDR refuses, when writing as when reading, a width or height over these: the build's
// PNG_USER_WIDTH_MAX and PNG_USER_HEIGHT_MAX (1,000,000 in libpng's default configuration) unless
// png_set_user_limits changed them, which this layer does not do.
static void sf_png_size_limits(png_const_structrp png, uint32_t *width, uint32_t *height) {
#ifdef PNG_SET_USER_LIMITS_SUPPORTED
    *width = png_get_user_width_max(png);
    *height = png_get_user_height_max(png);
#else
    (void)png;
    *width = PNG_USER_WIDTH_MAX;
    *height = PNG_USER_HEIGHT_MAX;
#endif
}

void sf_png_decoder_size_limits(const sf_png_decoder *decoder, uint32_t *width, uint32_t *height) {
    sf_png_size_limits(decoder->png, width, height);
}

int sf_png_decoder_warning_count(const sf_png_decoder *decoder) {
    return decoder->messages.warning_count < SF_MAX_WARNINGS ? decoder->messages.warning_count : SF_MAX_WARNINGS;
}

const char *sf_png_decoder_warning(const sf_png_decoder *decoder, int index) {
    if (index < 0 || index >= sf_png_decoder_warning_count(decoder)) {
        return "";
    }
    return decoder->messages.warnings[index];
}

sf_status sf_png_read_header(sf_png_decoder *decoder, sf_png_info *out) {
    if (decoder->header_read) {
        sf_copy_message(decoder->messages.message, "the header was already read");
        return SF_ERR_USAGE;
    }
    png_structp png = decoder->png;
    png_infop info = decoder->info;
    if (setjmp(png_jmpbuf(png))) {
        return sf_png_status(&decoder->messages);
    }
    png_read_info(png, info);

    png_uint_32 width = 0;
    png_uint_32 height = 0;
    int bit_depth = 0;
    int color_type = 0;
    int interlace = 0;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);

    memset(out, 0, sizeof(*out));
    out->width = width;
    out->height = height;
    out->source_bit_depth = bit_depth;
    out->source_color_type = color_type;
    out->interlaced = interlace != PNG_INTERLACE_NONE;
    out->has_trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
    double gamma = 0;
    if (png_get_gAMA(png, info, &gamma)) {
        out->has_gamma = 1;
        out->gamma = gamma;
    }
    int intent = -1;
    out->srgb_intent = png_get_sRGB(png, info, &intent) ? intent : -1;

    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_set_palette_to_rgb(png);
    }
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) {
        png_set_expand_gray_1_2_4_to_8(png);
    }
    if (out->has_trns) {
        png_set_tRNS_to_alpha(png);
    }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (bit_depth == 16) {
        png_set_swap(png);
    }
#endif
    if (out->interlaced) {
        (void)png_set_interlace_handling(png);
    }
    png_read_update_info(png, info);

    out->channels = png_get_channels(png, info);
    out->bit_depth = png_get_bit_depth(png, info);
    out->row_bytes = png_get_rowbytes(png, info);
    decoder->header_read = 1;
    decoder->interlaced = out->interlaced;
    decoder->height = height;
    return SF_OK;
}

const uint8_t *sf_png_icc_profile(sf_png_decoder *decoder, size_t *length) {
    png_charp name = NULL;
    int compression = 0;
    png_bytep profile = NULL;
    png_uint_32 profile_length = 0;
    *length = 0;
    if (!decoder->header_read) {
        return NULL;
    }
    if (setjmp(png_jmpbuf(decoder->png))) {
        return NULL;
    }
    if (png_get_iCCP(decoder->png, decoder->info, &name, &compression, &profile, &profile_length) == 0) {
        return NULL;
    }
    *length = profile_length;
    return profile;
}

int sf_png_text_count(sf_png_decoder *decoder) {
    if (!decoder->header_read) {
        return 0;
    }
    if (setjmp(png_jmpbuf(decoder->png))) {
        return 0;
    }
    return png_get_text(decoder->png, decoder->info, NULL, NULL);
}

sf_status sf_png_text(sf_png_decoder *decoder, int index, const char **key, const char **text, size_t *text_length,
    int *is_international, int *is_compressed) {
    png_textp chunks = NULL;
    int count = 0;
    if (setjmp(png_jmpbuf(decoder->png))) {
        return sf_png_status(&decoder->messages);
    }
    count = png_get_text(decoder->png, decoder->info, &chunks, NULL);
    if (index < 0 || index >= count) {
        sf_copy_message(decoder->messages.message, "text chunk index out of range");
        return SF_ERR_USAGE;
    }
    png_textp chunk = &chunks[index];
    *key = chunk->key;
    *text = chunk->text != NULL ? chunk->text : "";
    *is_international = chunk->compression >= PNG_ITXT_COMPRESSION_NONE;
    *is_compressed = chunk->compression == PNG_TEXT_COMPRESSION_zTXt
        || chunk->compression == PNG_ITXT_COMPRESSION_zTXt;
    *text_length = *is_international ? chunk->itxt_length : chunk->text_length;
    if (chunk->text == NULL) {
        *text_length = 0;
    }
    return SF_OK;
}

sf_status sf_png_read_rows(sf_png_decoder *decoder, uint8_t **rows, uint32_t count) {
    if (!decoder->header_read || decoder->interlaced) {
        sf_copy_message(decoder->messages.message, "row reads need the header first and a non-interlaced image");
        return SF_ERR_USAGE;
    }
    if (count > decoder->height - decoder->rows_read) {
        sf_copy_message(decoder->messages.message, "more rows were asked for than the image has");
        return SF_ERR_USAGE;
    }
    if (setjmp(png_jmpbuf(decoder->png))) {
        return sf_png_status(&decoder->messages);
    }
    png_read_rows(decoder->png, rows, NULL, count);
    decoder->rows_read += count;
    return SF_OK;
}

sf_status sf_png_read_image(sf_png_decoder *decoder, uint8_t **rows) {
    if (!decoder->header_read || decoder->rows_read != 0) {
        sf_copy_message(decoder->messages.message, "a whole-image read needs the header and no rows read yet");
        return SF_ERR_USAGE;
    }
    if (setjmp(png_jmpbuf(decoder->png))) {
        return sf_png_status(&decoder->messages);
    }
    png_read_image(decoder->png, rows);
    decoder->rows_read = decoder->height;
    return SF_OK;
}

sf_status sf_png_read_end(sf_png_decoder *decoder) {
    if (decoder->rows_read != decoder->height) {
        sf_copy_message(decoder->messages.message, "the image was not read to its end");
        return SF_ERR_USAGE;
    }
    if (setjmp(png_jmpbuf(decoder->png))) {
        return sf_png_status(&decoder->messages);
    }
    png_read_end(decoder->png, decoder->info);
    return SF_OK;
}

// MARK: - Encoder

#define SF_PNG_MAX_TEXT 32

struct sf_png_encoder {
    png_structp png;
    png_infop info;
    sf_sink sink;
    uint8_t *output;
    size_t output_length;
    size_t output_capacity;
    sf_png_messages messages;
    png_text texts[SF_PNG_MAX_TEXT];
    int text_count;
    int header_written;
    uint32_t height;
    uint32_t rows_written;
};

static void sf_png_write_data(png_structp png, png_bytep data, size_t length) {
    sf_png_encoder *encoder = (sf_png_encoder *)png_get_io_ptr(png);
    if (encoder->sink.file != NULL) {
        if (fwrite(data, 1, length, encoder->sink.file) != length) {
            encoder->messages.io_failed = 1;
            png_error(png, "writing the file failed");
        }
        return;
    }
    if (length > encoder->output_capacity - encoder->output_length) {
        size_t capacity = encoder->output_capacity < 65536 ? 65536 : encoder->output_capacity;
        while (capacity - encoder->output_length < length) {
            if (capacity > SIZE_MAX / 2) {
                encoder->messages.out_of_memory = 1;
                png_error(png, "out of memory for the encoded image");
            }
            capacity *= 2;
        }
        uint8_t *grown = realloc(encoder->output, capacity);
        if (grown == NULL) {
            encoder->messages.out_of_memory = 1;
            png_error(png, "out of memory for the encoded image");
        }
        encoder->output = grown;
        encoder->output_capacity = capacity;
    }
    memcpy(encoder->output + encoder->output_length, data, length);
    encoder->output_length += length;
}

static void sf_png_flush_data(png_structp png) {
    sf_png_encoder *encoder = (sf_png_encoder *)png_get_io_ptr(png);
    if (encoder->sink.file != NULL && fflush(encoder->sink.file) != 0) {
        encoder->messages.io_failed = 1;
        png_error(png, "flushing the file failed");
    }
}

sf_png_encoder *sf_png_encoder_create(sf_sink sink) {
    sf_png_encoder *encoder = calloc(1, sizeof(sf_png_encoder));
    if (encoder == NULL) {
        return NULL;
    }
    encoder->sink = sink;
    encoder->png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, &encoder->messages, sf_png_on_error, sf_png_on_warning);
    if (encoder->png == NULL) {
        free(encoder);
        return NULL;
    }
    encoder->info = png_create_info_struct(encoder->png);
    if (encoder->info == NULL) {
        png_destroy_write_struct(&encoder->png, NULL);
        free(encoder);
        return NULL;
    }
    png_set_write_fn(encoder->png, encoder, sf_png_write_data, sf_png_flush_data);
    return encoder;
}

void sf_png_encoder_destroy(sf_png_encoder *encoder) {
    if (encoder == NULL) {
        return;
    }
    png_destroy_write_struct(&encoder->png, &encoder->info);
    for (int i = 0; i < encoder->text_count; i++) {
        free(encoder->texts[i].key);
        free(encoder->texts[i].text);
    }
    free(encoder->output);
    free(encoder);
}

const char *sf_png_encoder_message(const sf_png_encoder *encoder) { return encoder->messages.message; }

void sf_png_encoder_size_limits(const sf_png_encoder *encoder, uint32_t *width, uint32_t *height) {
    sf_png_size_limits(encoder->png, width, height);
}

sf_status sf_png_encoder_add_text(sf_png_encoder *encoder, const char *key, const char *text, int international,
    int compressed) {
    if (encoder->header_written || encoder->text_count >= SF_PNG_MAX_TEXT) {
        sf_copy_message(encoder->messages.message, "text chunks go before the header, at most 32 of them");
        return SF_ERR_USAGE;
    }
    size_t key_length = strlen(key);
    if (key_length == 0 || key_length > 79) {
        sf_copy_message(encoder->messages.message, "a PNG text keyword has 1 to 79 characters");
        return SF_ERR_USAGE;
    }
    png_textp chunk = &encoder->texts[encoder->text_count];
    memset(chunk, 0, sizeof(*chunk));
    chunk->key = strdup(key);
    chunk->text = strdup(text);
    if (chunk->key == NULL || chunk->text == NULL) {
        free(chunk->key);
        free(chunk->text);
        sf_copy_message(encoder->messages.message, "out of memory for a text chunk");
        return SF_ERR_NO_MEMORY;
    }
    if (international) {
        chunk->compression = compressed ? PNG_ITXT_COMPRESSION_zTXt : PNG_ITXT_COMPRESSION_NONE;
        chunk->itxt_length = strlen(text);
    } else {
        chunk->compression = compressed ? PNG_TEXT_COMPRESSION_zTXt : PNG_TEXT_COMPRESSION_NONE;
        chunk->text_length = strlen(text);
    }
    encoder->text_count += 1;
    return SF_OK;
}

sf_status sf_png_write_header(sf_png_encoder *encoder, const sf_png_encode_settings *settings) {
    static const int color_types[5] = {
        -1, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA,
    };
    if (encoder->header_written || settings->channels < 1 || settings->channels > 4
        || (settings->bit_depth != 8 && settings->bit_depth != 16) || settings->width == 0 || settings->height == 0
        || settings->compression_level < 0 || settings->compression_level > 9) {
        sf_copy_message(encoder->messages.message, "invalid PNG encoder settings");
        return SF_ERR_USAGE;
    }
    png_structp png = encoder->png;
    png_infop info = encoder->info;
    if (setjmp(png_jmpbuf(png))) {
        return sf_png_status(&encoder->messages);
    }
    png_set_IHDR(png, info, settings->width, settings->height, settings->bit_depth, color_types[settings->channels],
        PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, settings->compression_level);
    // 64 KiB IDAT chunks instead of libpng's 8 KiB: fewer chunk headers and write calls.
    png_set_compression_buffer_size(png, 65536);
    if (settings->icc_profile != NULL && settings->icc_length > 0) {
        png_set_iCCP(png, info, "ICC Profile", PNG_COMPRESSION_TYPE_BASE, settings->icc_profile,
            (png_uint_32)settings->icc_length);
    } else if (settings->srgb_intent >= 0) {
        png_set_sRGB(png, info, settings->srgb_intent);
    }
    if (settings->gamma > 0) {
        png_set_gAMA(png, info, settings->gamma);
    }
    if (encoder->text_count > 0) {
        png_set_text(png, info, encoder->texts, encoder->text_count);
    }
    png_write_info(png, info);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (settings->bit_depth == 16) {
        png_set_swap(png);
    }
#endif
    encoder->header_written = 1;
    encoder->height = settings->height;
    return SF_OK;
}

sf_status sf_png_write_rows(sf_png_encoder *encoder, const uint8_t *const *rows, uint32_t count) {
    if (!encoder->header_written || count > encoder->height - encoder->rows_written) {
        sf_copy_message(encoder->messages.message, "rows need the header first and may not exceed the height");
        return SF_ERR_USAGE;
    }
    if (setjmp(png_jmpbuf(encoder->png))) {
        return sf_png_status(&encoder->messages);
    }
    for (uint32_t i = 0; i < count; i++) {
        png_write_row(encoder->png, rows[i]);
    }
    encoder->rows_written += count;
    return SF_OK;
}

sf_status sf_png_write_end(sf_png_encoder *encoder) {
    if (!encoder->header_written || encoder->rows_written != encoder->height) {
        sf_copy_message(encoder->messages.message, "every row must be written before the end");
        return SF_ERR_USAGE;
    }
    if (setjmp(png_jmpbuf(encoder->png))) {
        return sf_png_status(&encoder->messages);
    }
    png_write_end(encoder->png, NULL);
    return SF_OK;
}

uint8_t *sf_png_encoder_output(sf_png_encoder *encoder, size_t *length, int take) {
    uint8_t *output = encoder->output;
    *length = encoder->output_length;
    if (take) {
        encoder->output = NULL;
        encoder->output_length = 0;
        encoder->output_capacity = 0;
    }
    return output;
}
