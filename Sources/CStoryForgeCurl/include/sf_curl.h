// A small C layer over libcurl.
//
// curl_easy_setopt, curl_easy_getinfo and curl_share_setopt are variadic, which Swift cannot
// call; these wrappers give each argument type its own plain function. The share object also
// needs lock callbacks, which are C function pointers over pthread mutexes, so they live here too.

#ifndef SF_CURL_H
#define SF_CURL_H

#include <curl/curl.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The data callback shape of CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION.
typedef size_t (*sf_curl_data_callback)(char *data, size_t size, size_t count, void *context);

/// Initialises libcurl once per process (thread-safe; later calls return the first result).
CURLcode sf_curl_global_init(void);

/// Sets a `long` option.
CURLcode sf_curl_set_long(CURL *handle, CURLoption option, long value);
/// Sets a `curl_off_t` option (the *_LARGE ones).
CURLcode sf_curl_set_offset(CURL *handle, CURLoption option, curl_off_t value);
/// Sets a string option; libcurl copies the string.
CURLcode sf_curl_set_string(CURL *handle, CURLoption option, const char *value);
/// Sets a pointer option (a header list, a share object, callback context, request body).
CURLcode sf_curl_set_pointer(CURL *handle, CURLoption option, void *value);
/// Sets CURLOPT_WRITEFUNCTION and CURLOPT_WRITEDATA.
CURLcode sf_curl_set_write_callback(CURL *handle, sf_curl_data_callback callback, void *context);
/// Sets CURLOPT_HEADERFUNCTION and CURLOPT_HEADERDATA.
CURLcode sf_curl_set_header_callback(CURL *handle, sf_curl_data_callback callback, void *context);
/// Reads a `long` transfer value (CURLINFO_RESPONSE_CODE, ...).
CURLcode sf_curl_get_long(CURL *handle, CURLINFO info, long *value);

/// Reads a `curl_off_t` transfer value (CURLINFO_CONNECT_TIME_T, ...).
CURLcode sf_curl_get_offset(CURL *handle, CURLINFO info, curl_off_t *value);

/// The result code carried by a CURLMSG_DONE message.
CURLcode sf_curl_message_result(const CURLMsg *message);

/// Creates a share object for DNS cache and connection pool, guarded by its own pthread mutexes,
/// so that many threads' transfers may reuse connections. Returns NULL when libcurl refuses.
CURLSH *sf_curl_share_create(void);
/// Releases a share object made by sf_curl_share_create; no transfer may still use it.
void sf_curl_share_destroy(CURLSH *share);

#ifdef __cplusplus
}
#endif

#endif
