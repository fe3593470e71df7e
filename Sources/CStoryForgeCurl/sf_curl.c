#include "sf_curl.h"

#include <pthread.h>
#include <stdlib.h>

static pthread_once_t sf_once = PTHREAD_ONCE_INIT;
static CURLcode sf_init_result = CURLE_OK;

static void sf_init(void) { sf_init_result = curl_global_init(CURL_GLOBAL_DEFAULT); }

CURLcode sf_curl_global_init(void) {
    pthread_once(&sf_once, sf_init);
    return sf_init_result;
}

CURLcode sf_curl_set_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode sf_curl_set_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode sf_curl_set_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode sf_curl_set_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode sf_curl_set_write_callback(CURL *handle, sf_curl_data_callback callback, void *context) {
    CURLcode code = curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
    if (code != CURLE_OK) return code;
    return curl_easy_setopt(handle, CURLOPT_WRITEDATA, context);
}

CURLcode sf_curl_set_header_callback(CURL *handle, sf_curl_data_callback callback, void *context) {
    CURLcode code = curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback);
    if (code != CURLE_OK) return code;
    return curl_easy_setopt(handle, CURLOPT_HEADERDATA, context);
}

CURLcode sf_curl_get_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

CURLcode sf_curl_get_offset(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

CURLcode sf_curl_message_result(const CURLMsg *message) { return message->data.result; }

// One mutex per lock_data kind that libcurl may ask for (CURL_LOCK_DATA_LAST bounds the enum).
typedef struct {
    pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
} sf_share_locks;

static void sf_share_lock(CURL *handle, curl_lock_data data, curl_lock_access access, void *context) {
    (void)handle;
    (void)access;
    sf_share_locks *locks = context;
    if (data >= 0 && data < CURL_LOCK_DATA_LAST) pthread_mutex_lock(&locks->locks[data]);
}

static void sf_share_unlock(CURL *handle, curl_lock_data data, void *context) {
    (void)handle;
    sf_share_locks *locks = context;
    if (data >= 0 && data < CURL_LOCK_DATA_LAST) pthread_mutex_unlock(&locks->locks[data]);
}

// The share object does not hand back its user data, so the locks sit in a side table keyed by
// the share pointer; a process makes one or a few shares, so a short list is enough.
typedef struct sf_share_entry {
    CURLSH *share;
    sf_share_locks *locks;
    struct sf_share_entry *next;
} sf_share_entry;

static pthread_mutex_t sf_entries_lock = PTHREAD_MUTEX_INITIALIZER;
static sf_share_entry *sf_entries = NULL;

CURLSH *sf_curl_share_create(void) {
    if (sf_curl_global_init() != CURLE_OK) return NULL;
    CURLSH *share = curl_share_init();
    if (!share) return NULL;
    sf_share_locks *locks = calloc(1, sizeof(sf_share_locks));
    sf_share_entry *entry = calloc(1, sizeof(sf_share_entry));
    if (!locks || !entry) {
        free(locks);
        free(entry);
        curl_share_cleanup(share);
        return NULL;
    }
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_init(&locks->locks[i], NULL);
    int ok = curl_share_setopt(share, CURLSHOPT_LOCKFUNC, sf_share_lock) == CURLSHE_OK &&
             curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, sf_share_unlock) == CURLSHE_OK &&
             curl_share_setopt(share, CURLSHOPT_USERDATA, locks) == CURLSHE_OK &&
             curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) == CURLSHE_OK &&
             curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) == CURLSHE_OK;
    if (!ok) {
        curl_share_cleanup(share);
        for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_destroy(&locks->locks[i]);
        free(locks);
        free(entry);
        return NULL;
    }
    entry->share = share;
    entry->locks = locks;
    pthread_mutex_lock(&sf_entries_lock);
    entry->next = sf_entries;
    sf_entries = entry;
    pthread_mutex_unlock(&sf_entries_lock);
    return share;
}

void sf_curl_share_destroy(CURLSH *share) {
    if (!share) return;
    sf_share_locks *locks = NULL;
    pthread_mutex_lock(&sf_entries_lock);
    for (sf_share_entry **link = &sf_entries; *link; link = &(*link)->next) {
        if ((*link)->share == share) {
            sf_share_entry *entry = *link;
            *link = entry->next;
            locks = entry->locks;
            free(entry);
            break;
        }
    }
    pthread_mutex_unlock(&sf_entries_lock);
    curl_share_cleanup(share);
    if (locks) {
        for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_destroy(&locks->locks[i]);
        free(locks);
    }
}
