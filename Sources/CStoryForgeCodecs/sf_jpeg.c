// libjpeg(-turbo) behind plain status codes. See include/sf_codecs.h for why this layer exists.

#include "sf_codecs.h"

#include <setjmp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

// MARK: - Shared error manager

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char message[SF_MESSAGE_LENGTH];
    char warnings[SF_MAX_WARNINGS][SF_MESSAGE_LENGTH];
    int warning_count;
    int strict;
    int truncated;
    int out_of_memory;
    int io_failed;
} sf_jpeg_error;

static void sf_jpeg_set_message(char *destination, const char *text) {
    strncpy(destination, text, SF_MESSAGE_LENGTH - 1);
    destination[SF_MESSAGE_LENGTH - 1] = '\0';
}

static void sf_jpeg_on_error(j_common_ptr cinfo) {
    sf_jpeg_error *error = (sf_jpeg_error *)cinfo->err;
    char buffer[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, buffer);
    if (error->message[0] == '\0') {
        sf_jpeg_set_message(error->message, buffer);
    }
    int code = cinfo->err->msg_code;
    if (code == JERR_OUT_OF_MEMORY || code == JERR_NO_BACKING_STORE) {
        error->out_of_memory = 1;
    } else if (code == JERR_INPUT_EMPTY || code == JERR_INPUT_EOF) {
        error->truncated = 1;
    } else if (code == JERR_FILE_READ || code == JERR_FILE_WRITE) {
        error->io_failed = 1;
    }
    longjmp(error->jump, 1);
}

static void sf_jpeg_on_message(j_common_ptr cinfo, int level) {
    if (level >= 0) {
        return;  // trace messages
    }
    sf_jpeg_error *error = (sf_jpeg_error *)cinfo->err;
    cinfo->err->num_warnings += 1;
    // libjpeg pads a truncated stream with a fake EOI, and a scan whose data stops before its last
    // block with zeros, and only warns. A strict decoder refuses both, so that a cut-off download
    // or a forged header never passes for a complete image (and never makes libjpeg walk a huge
    // coefficient buffer that the data does not fill).
    if (error->strict && (cinfo->err->msg_code == JWRN_JPEG_EOF || cinfo->err->msg_code == JWRN_HIT_MARKER)) {
        error->truncated = cinfo->err->msg_code == JWRN_JPEG_EOF;
        sf_jpeg_on_error(cinfo);
    }
    if (error->warning_count < SF_MAX_WARNINGS) {
        char buffer[JMSG_LENGTH_MAX];
        (*cinfo->err->format_message)(cinfo, buffer);
        sf_jpeg_set_message(error->warnings[error->warning_count], buffer);
    }
    error->warning_count += 1;
}

static sf_status sf_jpeg_status(const sf_jpeg_error *error) {
    if (error->truncated) {
        return SF_ERR_TRUNCATED;
    }
    if (error->io_failed) {
        return SF_ERR_IO;
    }
    if (error->out_of_memory) {
        return SF_ERR_NO_MEMORY;
    }
    return SF_ERR_CORRUPT;
}

static void sf_jpeg_install_errors(sf_jpeg_error *error, int strict) {
    jpeg_std_error(&error->pub);
    error->pub.error_exit = sf_jpeg_on_error;
    error->pub.emit_message = sf_jpeg_on_message;
    error->strict = strict;
}

// MARK: - Decoder

struct sf_jpeg_decoder {
    struct jpeg_decompress_struct cinfo;
    sf_jpeg_error error;
    struct jpeg_progress_mgr progress;
    sf_source source;
    int created;
    int header_read;
    int started;
    int cmyk;
    int adobe_inverted;
    uint8_t *scratch;
    uint8_t *icc;
    unsigned int icc_length;
};

// A progressive JPEG may hold any number of scans, each a pass over the whole image; a forged file
// with thousands of them costs minutes. 1000 is the limit libjpeg-turbo's TurboJPEG API uses.
#define SF_JPEG_MAX_SCANS 1000

static void sf_jpeg_on_progress(j_common_ptr cinfo) {
    if (cinfo->is_decompressor && ((j_decompress_ptr)cinfo)->input_scan_number > SF_JPEG_MAX_SCANS) {
        sf_jpeg_error *error = (sf_jpeg_error *)cinfo->err;
        sf_jpeg_set_message(error->message, "the progressive image has more than 1000 scans");
        longjmp(error->jump, 1);
    }
}

sf_jpeg_decoder *sf_jpeg_decoder_create(sf_source source, int strict) {
    sf_jpeg_decoder *decoder = calloc(1, sizeof(sf_jpeg_decoder));
    if (decoder == NULL) {
        return NULL;
    }
    decoder->source = source;
    decoder->cinfo.err = (struct jpeg_error_mgr *)&decoder->error;
    sf_jpeg_install_errors(&decoder->error, strict);
    if (setjmp(decoder->error.jump)) {
        if (decoder->created) {
            jpeg_destroy_decompress(&decoder->cinfo);
        }
        free(decoder);
        return NULL;
    }
    jpeg_create_decompress(&decoder->cinfo);
    decoder->created = 1;
    decoder->progress.progress_monitor = sf_jpeg_on_progress;
    decoder->cinfo.progress = &decoder->progress;
    if (source.file != NULL) {
        jpeg_stdio_src(&decoder->cinfo, source.file);
    } else {
        jpeg_mem_src(&decoder->cinfo, source.data, (unsigned long)source.size);
    }
    jpeg_save_markers(&decoder->cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_save_markers(&decoder->cinfo, JPEG_APP0 + 2, 0xFFFF);
    return decoder;
}

void sf_jpeg_decoder_destroy(sf_jpeg_decoder *decoder) {
    if (decoder == NULL) {
        return;
    }
    jpeg_destroy_decompress(&decoder->cinfo);
    free(decoder->scratch);
    free(decoder->icc);
    free(decoder);
}

const char *sf_jpeg_decoder_message(const sf_jpeg_decoder *decoder) { return decoder->error.message; }

int sf_jpeg_decoder_warning_count(const sf_jpeg_decoder *decoder) {
    return decoder->error.warning_count < SF_MAX_WARNINGS ? decoder->error.warning_count : SF_MAX_WARNINGS;
}

const char *sf_jpeg_decoder_warning(const sf_jpeg_decoder *decoder, int index) {
    if (index < 0 || index >= sf_jpeg_decoder_warning_count(decoder)) {
        return "";
    }
    return decoder->error.warnings[index];
}

sf_status sf_jpeg_read_header(sf_jpeg_decoder *decoder, size_t max_memory, sf_jpeg_info *out) {
    if (decoder->header_read) {
        sf_jpeg_set_message(decoder->error.message, "the header was already read");
        return SF_ERR_USAGE;
    }
    struct jpeg_decompress_struct *cinfo = &decoder->cinfo;
    if (setjmp(decoder->error.jump)) {
        return sf_jpeg_status(&decoder->error);
    }
    cinfo->mem->max_memory_to_use = (long)(max_memory > (size_t)0x7fffffff ? 0x7fffffff : max_memory);
    if (jpeg_read_header(cinfo, TRUE) != JPEG_HEADER_OK) {
        sf_jpeg_set_message(decoder->error.message, "the stream holds no image");
        return SF_ERR_CORRUPT;
    }
    memset(out, 0, sizeof(*out));
    out->width = cinfo->image_width;
    out->height = cinfo->image_height;
    out->source_components = cinfo->num_components;
    out->progressive = cinfo->progressive_mode;
    out->arithmetic = cinfo->arith_code;
    out->adobe_marker = cinfo->saw_Adobe_marker;
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE:
        out->source_color_space = 1;
        cinfo->out_color_space = JCS_GRAYSCALE;
        break;
    case JCS_RGB:
        out->source_color_space = 2;
        cinfo->out_color_space = JCS_RGB;
        break;
    case JCS_YCbCr:
        out->source_color_space = 3;
        cinfo->out_color_space = JCS_RGB;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        out->source_color_space = cinfo->jpeg_color_space == JCS_CMYK ? 4 : 5;
        cinfo->out_color_space = JCS_CMYK;
        decoder->cmyk = 1;
        // Adobe applications write CMYK inverted (255 = no ink) and say so with an APP14 marker.
        decoder->adobe_inverted = cinfo->saw_Adobe_marker;
        break;
    default:
        sf_jpeg_set_message(decoder->error.message, "unsupported JPEG colour space");
        return SF_ERR_CORRUPT;
    }
    out->channels = cinfo->out_color_space == JCS_GRAYSCALE ? 1 : 3;
    out->row_bytes = (size_t)out->width * (size_t)out->channels;

    JOCTET *icc = NULL;
    unsigned int icc_length = 0;
    if (jpeg_read_icc_profile(cinfo, &icc, &icc_length)) {
        decoder->icc = icc;
        decoder->icc_length = icc_length;
    }
    decoder->header_read = 1;
    return SF_OK;
}

const uint8_t *sf_jpeg_icc_profile(sf_jpeg_decoder *decoder, size_t *length) {
    *length = decoder->icc_length;
    return decoder->icc;
}

const uint8_t *sf_jpeg_exif(sf_jpeg_decoder *decoder, size_t *length) {
    *length = 0;
    if (!decoder->header_read) {
        return NULL;
    }
    for (jpeg_saved_marker_ptr marker = decoder->cinfo.marker_list; marker != NULL; marker = marker->next) {
        if (marker->marker == JPEG_APP0 + 1 && marker->data_length >= 6
            && memcmp(marker->data, "Exif\0\0", 6) == 0) {
            *length = marker->data_length - 6;
            return marker->data + 6;
        }
    }
    return NULL;
}

sf_status sf_jpeg_start(sf_jpeg_decoder *decoder) {
    if (!decoder->header_read || decoder->started) {
        sf_jpeg_set_message(decoder->error.message, "start needs the header and may be called once");
        return SF_ERR_USAGE;
    }
    if (setjmp(decoder->error.jump)) {
        return sf_jpeg_status(&decoder->error);
    }
    if (decoder->cmyk) {
        decoder->scratch = malloc((size_t)decoder->cinfo.image_width * 4);
        if (decoder->scratch == NULL) {
            sf_jpeg_set_message(decoder->error.message, "out of memory for a CMYK row");
            return SF_ERR_NO_MEMORY;
        }
    }
    jpeg_start_decompress(&decoder->cinfo);
    decoder->started = 1;
    return SF_OK;
}

// Matches the usual naive CMYK → RGB (as Pillow and ImageMagick do without colour management):
// R = (255 − C)(255 − K)/255, rounded, with C and K as ink amounts.
static void sf_cmyk_to_rgb(const uint8_t *in, uint8_t *out, uint32_t width, int inverted) {
    for (uint32_t x = 0; x < width; x++) {
        int c = in[0], m = in[1], y = in[2], k = in[3];
        if (inverted) {
            c = 255 - c;
            m = 255 - m;
            y = 255 - y;
            k = 255 - k;
        }
        int nk = 255 - k;
        int t;
        t = c * nk + 128;
        out[0] = (uint8_t)(nk - (((t >> 8) + t) >> 8));
        t = m * nk + 128;
        out[1] = (uint8_t)(nk - (((t >> 8) + t) >> 8));
        t = y * nk + 128;
        out[2] = (uint8_t)(nk - (((t >> 8) + t) >> 8));
        in += 4;
        out += 3;
    }
}

sf_status sf_jpeg_read_rows(sf_jpeg_decoder *decoder, uint8_t **rows, uint32_t count) {
    struct jpeg_decompress_struct *cinfo = &decoder->cinfo;
    if (!decoder->started || count > cinfo->output_height - cinfo->output_scanline) {
        sf_jpeg_set_message(decoder->error.message, "rows need start first and may not exceed the height");
        return SF_ERR_USAGE;
    }
    if (setjmp(decoder->error.jump)) {
        return sf_jpeg_status(&decoder->error);
    }
    uint32_t done = 0;
    while (done < count) {
        if (decoder->cmyk) {
            JSAMPROW row = decoder->scratch;
            if (jpeg_read_scanlines(cinfo, &row, 1) != 1) {
                sf_jpeg_set_message(decoder->error.message, "the decoder stopped before the last row");
                return SF_ERR_CORRUPT;
            }
            sf_cmyk_to_rgb(decoder->scratch, rows[done], cinfo->output_width, decoder->adobe_inverted);
            done += 1;
        } else {
            JDIMENSION got = jpeg_read_scanlines(cinfo, (JSAMPARRAY)(rows + done), count - done);
            if (got == 0) {
                sf_jpeg_set_message(decoder->error.message, "the decoder stopped before the last row");
                return SF_ERR_CORRUPT;
            }
            done += got;
        }
    }
    return SF_OK;
}

sf_status sf_jpeg_finish(sf_jpeg_decoder *decoder) {
    struct jpeg_decompress_struct *cinfo = &decoder->cinfo;
    if (!decoder->started || cinfo->output_scanline != cinfo->output_height) {
        sf_jpeg_set_message(decoder->error.message, "the image was not read to its end");
        return SF_ERR_USAGE;
    }
    if (setjmp(decoder->error.jump)) {
        return sf_jpeg_status(&decoder->error);
    }
    jpeg_finish_decompress(cinfo);
    return SF_OK;
}

// MARK: - Encoder

struct sf_jpeg_encoder {
    struct jpeg_compress_struct cinfo;
    sf_jpeg_error error;
    struct jpeg_destination_mgr destination;
    sf_sink sink;
    int created;
    int started;
    uint8_t *output;
    size_t output_length;
    size_t output_capacity;
};

// An in-memory destination whose buffer the encoder owns at every instant (libjpeg's own
// jpeg_mem_dest leaves the caller's pointer dangling if an error strikes after it grew).
static void sf_jpeg_memory_init(j_compress_ptr cinfo) {
    sf_jpeg_encoder *encoder = (sf_jpeg_encoder *)((char *)cinfo - offsetof(sf_jpeg_encoder, cinfo));
    if (encoder->output == NULL) {
        encoder->output_capacity = 65536;
        encoder->output = malloc(encoder->output_capacity);
        if (encoder->output == NULL) {
            encoder->output_capacity = 0;
            ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 10);
        }
    }
    encoder->output_length = 0;
    encoder->destination.next_output_byte = encoder->output;
    encoder->destination.free_in_buffer = encoder->output_capacity;
}

static boolean sf_jpeg_memory_grow(j_compress_ptr cinfo) {
    sf_jpeg_encoder *encoder = (sf_jpeg_encoder *)((char *)cinfo - offsetof(sf_jpeg_encoder, cinfo));
    size_t used = encoder->output_capacity;  // libjpeg calls this only when the buffer is full
    if (encoder->output_capacity > SIZE_MAX / 2) {
        ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 11);
    }
    uint8_t *grown = realloc(encoder->output, encoder->output_capacity * 2);
    if (grown == NULL) {
        ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 11);
    }
    encoder->output = grown;
    encoder->output_capacity *= 2;
    encoder->destination.next_output_byte = grown + used;
    encoder->destination.free_in_buffer = encoder->output_capacity - used;
    return TRUE;
}

static void sf_jpeg_memory_term(j_compress_ptr cinfo) {
    sf_jpeg_encoder *encoder = (sf_jpeg_encoder *)((char *)cinfo - offsetof(sf_jpeg_encoder, cinfo));
    encoder->output_length = encoder->output_capacity - encoder->destination.free_in_buffer;
}

sf_jpeg_encoder *sf_jpeg_encoder_create(sf_sink sink) {
    sf_jpeg_encoder *encoder = calloc(1, sizeof(sf_jpeg_encoder));
    if (encoder == NULL) {
        return NULL;
    }
    encoder->sink = sink;
    encoder->cinfo.err = (struct jpeg_error_mgr *)&encoder->error;
    sf_jpeg_install_errors(&encoder->error, 1);
    if (setjmp(encoder->error.jump)) {
        if (encoder->created) {
            jpeg_destroy_compress(&encoder->cinfo);
        }
        free(encoder->output);
        free(encoder);
        return NULL;
    }
    jpeg_create_compress(&encoder->cinfo);
    encoder->created = 1;
    if (sink.file != NULL) {
        jpeg_stdio_dest(&encoder->cinfo, sink.file);
    } else {
        encoder->destination.init_destination = sf_jpeg_memory_init;
        encoder->destination.empty_output_buffer = sf_jpeg_memory_grow;
        encoder->destination.term_destination = sf_jpeg_memory_term;
        encoder->cinfo.dest = &encoder->destination;
    }
    return encoder;
}

void sf_jpeg_encoder_destroy(sf_jpeg_encoder *encoder) {
    if (encoder == NULL) {
        return;
    }
    jpeg_destroy_compress(&encoder->cinfo);
    free(encoder->output);
    free(encoder);
}

const char *sf_jpeg_encoder_message(const sf_jpeg_encoder *encoder) { return encoder->error.message; }

sf_status sf_jpeg_write_header(sf_jpeg_encoder *encoder, const sf_jpeg_encode_settings *settings) {
    if (encoder->started || settings->width == 0 || settings->height == 0 || settings->width > JPEG_MAX_DIMENSION
        || settings->height > JPEG_MAX_DIMENSION || settings->quality < 1 || settings->quality > 100
        || (settings->channels != 1 && settings->channels != 3 && settings->channels != 4)
        || (settings->subsampling != 444 && settings->subsampling != 422 && settings->subsampling != 420)) {
        sf_jpeg_set_message(encoder->error.message, "invalid JPEG encoder settings");
        return SF_ERR_USAGE;
    }
    struct jpeg_compress_struct *cinfo = &encoder->cinfo;
    if (setjmp(encoder->error.jump)) {
        return sf_jpeg_status(&encoder->error);
    }
    cinfo->image_width = settings->width;
    cinfo->image_height = settings->height;
    cinfo->input_components = settings->channels;
    cinfo->in_color_space = settings->channels == 1 ? JCS_GRAYSCALE : settings->channels == 3 ? JCS_RGB : JCS_EXT_RGBX;
    jpeg_set_defaults(cinfo);
    jpeg_set_quality(cinfo, settings->quality, TRUE);
    if (settings->channels != 1) {
        cinfo->comp_info[0].h_samp_factor = settings->subsampling == 444 ? 1 : 2;
        cinfo->comp_info[0].v_samp_factor = settings->subsampling == 420 ? 2 : 1;
    }
    cinfo->optimize_coding = settings->optimize_coding ? TRUE : FALSE;
    if (settings->progressive) {
        jpeg_simple_progression(cinfo);
    }
    jpeg_start_compress(cinfo, TRUE);
    encoder->started = 1;
    if (settings->icc_profile != NULL && settings->icc_length > 0) {
        jpeg_write_icc_profile(cinfo, settings->icc_profile, (unsigned int)settings->icc_length);
    }
    return SF_OK;
}

sf_status sf_jpeg_write_rows(sf_jpeg_encoder *encoder, const uint8_t *const *rows, uint32_t count) {
    struct jpeg_compress_struct *cinfo = &encoder->cinfo;
    if (!encoder->started || count > cinfo->image_height - cinfo->next_scanline) {
        sf_jpeg_set_message(encoder->error.message, "rows need the header first and may not exceed the height");
        return SF_ERR_USAGE;
    }
    if (setjmp(encoder->error.jump)) {
        return sf_jpeg_status(&encoder->error);
    }
    uint32_t done = 0;
    while (done < count) {
        done += jpeg_write_scanlines(cinfo, (JSAMPARRAY)(rows + done), count - done);
    }
    return SF_OK;
}

sf_status sf_jpeg_write_end(sf_jpeg_encoder *encoder) {
    struct jpeg_compress_struct *cinfo = &encoder->cinfo;
    if (!encoder->started || cinfo->next_scanline != cinfo->image_height) {
        sf_jpeg_set_message(encoder->error.message, "every row must be written before the end");
        return SF_ERR_USAGE;
    }
    if (setjmp(encoder->error.jump)) {
        return sf_jpeg_status(&encoder->error);
    }
    jpeg_finish_compress(cinfo);
    return SF_OK;
}

uint8_t *sf_jpeg_encoder_output(sf_jpeg_encoder *encoder, size_t *length, int take) {
    uint8_t *output = encoder->output;
    *length = encoder->output_length;
    if (take) {
        encoder->output = NULL;
        encoder->output_length = 0;
        encoder->output_capacity = 0;
    }
    return output;
}
