/* Internals of the proof bundle (rpt_bundle_): MANIFEST parsing and
 * writing, the folder walk, key handling, RFC 3161 tokens. Private to
 * report/ and its tests; the public contract is in include/vigie/report.h.
 *
 * Ownership: *_clear frees what a struct holds (the struct itself is the
 * caller's); EVP_PKEY and TS_* objects handed out are the caller's to free
 * with OpenSSL's own *_free. Errors fill err as everywhere else. */
#ifndef RPT_BUNDLE_INT_H
#define RPT_BUNDLE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/ts.h>

#include "vigie/report.h"

/* The files a bundle adds itself, left out of MANIFEST (top level only). */
#define RPT_BUNDLE_MANIFEST "MANIFEST"
#define RPT_BUNDLE_SIG "MANIFEST.sig"
#define RPT_BUNDLE_TSR "MANIFEST.tsr"
#define RPT_BUNDLE_PUBKEY "pubkey.pem"

/* Caps on hostile input: a MANIFEST line is a sum, two spaces and a path
 * no longer than PATH_MAX; a bundle holds a report's few files, so a
 * million lines is far beyond any real one. */
#define RPT_BUNDLE_PATH_MAX 4096
#define RPT_BUNDLE_LINE_MAX (64 + 2 + RPT_BUNDLE_PATH_MAX)
#define RPT_BUNDLE_MAX_FILES 1000000
#define RPT_BUNDLE_MANIFEST_MAX (64u * 1024 * 1024)
#define RPT_BUNDLE_SMALL_MAX (1024u * 1024) /* signature, key, token */

/* ------------------------------------------------------------ MANIFEST */

typedef struct rpt_bundle_entry {
  char *path;              /* relative, '/'-separated, owned */
  unsigned char sum[32];   /* SHA-256 of the file's bytes */
} rpt_bundle_entry;

typedef struct rpt_bundle_manifest {
  rpt_bundle_entry *v;
  size_t count, cap;
} rpt_bundle_manifest;

/** Parse MANIFEST bytes: only "<64 lowercase hex>  <path>\n" lines, paths
 * strictly increasing bytewise (so no duplicate), each a safe relative path
 * (rpt_bundle_path_check). Anything else fails with VIGIE_ESYNTAX and err
 * naming the line. \param[out] out  filled on success, clear it after. */
vigie_status rpt_bundle_manifest_parse(const char *buf, size_t len, rpt_bundle_manifest *out,
                                       vigie_error *err);
void rpt_bundle_manifest_clear(rpt_bundle_manifest *m);

/** Is path (len bytes, not NUL-terminated) a relative path that stays
 * inside the bundle: not empty, no leading or doubled '/', no "." or ".."
 * component, no control byte or backslash (sha256sum would escape those),
 * not one of the bundle's own files. \return NULL when fine, else why. */
const char *rpt_bundle_path_check(const char *path, size_t len);

/** Is a relative path one of the files the bundle adds (MANIFEST...)? */
bool rpt_bundle_reserved(const char *path);

/* ---------------------------------------------------------- the folder */

typedef enum rpt_bundle_kind {
  RPT_BUNDLE_REGULAR = 0,
  RPT_BUNDLE_SYMLINK,
  RPT_BUNDLE_SPECIAL,  /* device, fifo, socket */
  RPT_BUNDLE_BADNAME   /* a name MANIFEST cannot hold (newline, backslash...) */
} rpt_bundle_kind;

typedef struct rpt_bundle_file {
  char *path;          /* relative, owned; bad names keep their bytes */
  rpt_bundle_kind kind;
} rpt_bundle_file;

typedef struct rpt_bundle_list {
  rpt_bundle_file *v;
  size_t count, cap;
} rpt_bundle_list;

/** Every file under the folder rootfd (recursively, symbolic links not
 * followed, the bundle's own top-level files left out), sorted bytewise.
 * Directories are entered, everything else listed with its kind. */
vigie_status rpt_bundle_walk(int rootfd, const char *dir, rpt_bundle_list *out, vigie_error *err);
void rpt_bundle_list_clear(rpt_bundle_list *l);

/** Open rel read-only under rootfd, refusing a symbolic link at every
 * component, so a hostile path or a planted link never leads outside.
 * \return VIGIE_ENOENT when it does not exist, VIGIE_EPERM for a link or a
 * non-regular file, VIGIE_EIO otherwise; *fd is the caller's to close. */
vigie_status rpt_bundle_open_beneath(int rootfd, const char *rel, int *fd, vigie_error *err);

/** SHA-256 of everything fd holds from its current offset. */
vigie_status rpt_bundle_hash_fd(int fd, const char *name, unsigned char sum[32], vigie_error *err);

/** Read the whole of rel under rootfd (at most max bytes, else ETOOBIG).
 * \param[out] buf  caller frees with vigie_free; NUL-terminated for text. */
vigie_status rpt_bundle_read_at(int rootfd, const char *rel, size_t max, unsigned char **buf,
                                size_t *len, vigie_error *err);
/** Read a file named by the user (a key, a CA, a reply). */
vigie_status rpt_bundle_read_path(const char *path, size_t max, unsigned char **buf, size_t *len,
                                  vigie_error *err);

/** Write dir/name atomically (vigie_afile). */
vigie_status rpt_bundle_write(const char *dir, const char *name, const void *buf, size_t len,
                              vigie_error *err);

/** Write path atomically. */
vigie_status rpt_bundle_write_path(const char *path, const void *buf, size_t len, vigie_error *err);

/** Open dir as the bundle's root. \return VIGIE_ENOENT when it is no folder. */
vigie_status rpt_bundle_open_dir(const char *dir, int *fd, vigie_error *err);

/** Lowercase hex of n bytes into out (2n + 1 bytes). */
void rpt_bundle_hex(const unsigned char *in, size_t n, char *out);

/** Fail with status and a message ending with OpenSSL's last error. */
vigie_status rpt_bundle_ssl_fail(vigie_error *err, vigie_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---------------------------------------------------------------- keys */

/** Load an unencrypted Ed25519 private key (PEM). \param[out] key  EVP_PKEY_free */
vigie_status rpt_bundle_key_load_private(const char *path, EVP_PKEY **key, vigie_error *err);
/** Parse an Ed25519 public key (PEM SubjectPublicKeyInfo) named name. */
vigie_status rpt_bundle_key_parse_public(const unsigned char *pem, size_t len, const char *name,
                                         EVP_PKEY **key, vigie_error *err);
/** Hex SHA-256 of the key's DER SubjectPublicKeyInfo. */
vigie_status rpt_bundle_key_fingerprint(const EVP_PKEY *key, char out[RPT_BUNDLE_HEX_LEN],
                                        vigie_error *err);
/** The public half as PEM. \param[out] pem  caller frees with vigie_free. */
vigie_status rpt_bundle_key_public_pem(const EVP_PKEY *key, char **pem, size_t *len,
                                       vigie_error *err);

/** Does sig (64 bytes) sign msg with key? One-shot PureEdDSA. */
bool rpt_bundle_sig_ok(EVP_PKEY *key, const unsigned char *msg, size_t len,
                       const unsigned char *sig, size_t siglen);

/** SHA-256 of a buffer. */
void rpt_bundle_sha256(const void *buf, size_t len, unsigned char sum[32]);

/* ------------------------------------------------------------ RFC 3161 */

/** A request for a SHA-256 imprint: random nonce, certReq true. */
vigie_status rpt_bundle_tsq_new(const unsigned char sum[32], TS_REQ **req, vigie_error *err);

/** Check a TimeStampResp (DER) against the MANIFEST sum: well-formed and
 * nothing after it, status granted, SHA-256 imprint equal to sum, the nonce
 * of req when req is not NULL, and the TSA's signature and chain up to
 * ca_file when ca_file is not NULL (stamp->signer_checked tells).
 * \return VIGIE_EVERIFY when it does not match or verify, VIGIE_EPROTO
 * when it is garbage or a refusal. */
vigie_status rpt_bundle_tsr_check(const unsigned char *der, size_t len, const unsigned char sum[32],
                                  TS_REQ *req, const char *ca_file, rpt_bundle_stamp *stamp,
                                  vigie_error *err);

/** POST a request to url (http, proxies from the environment) and return
 * the answer's bytes. \return VIGIE_ECONNECT when the TSA cannot be reached
 * or answers with an HTTP error. \param[out] der  caller frees (vigie_free). */
vigie_status rpt_bundle_tsa_post(const rpt_bundle_tsa *tsa, TS_REQ *req, unsigned char **der,
                                 size_t *len, vigie_error *err);

#endif
