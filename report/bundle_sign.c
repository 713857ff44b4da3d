/* Proof bundle: write MANIFEST, its Ed25519 signature and the public key. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "report/bundle_int.h"

void rpt_bundle_sha256(const void *buf, size_t len, unsigned char sum[32]) {
  EVP_Digest(buf, len, sum, NULL, EVP_sha256(), NULL);
}

/* Ed25519 is PureEdDSA: one-shot only, with a NULL digest. */
bool rpt_bundle_sig_ok(EVP_PKEY *key, const unsigned char *msg, size_t len,
                       const unsigned char *sig, size_t siglen) {
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  bool ok = md != NULL && siglen == 64 && EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) == 1 &&
            EVP_DigestVerify(md, sig, siglen, msg, len) == 1;
  EVP_MD_CTX_free(md);
  ERR_clear_error();
  return ok;
}

static vigie_status sign_buf(EVP_PKEY *key, const char *msg, size_t len, unsigned char sig[64],
                             vigie_error *err) {
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  size_t siglen = 64;
  vigie_status status = VIGIE_OK;
  if (md == NULL || EVP_DigestSignInit(md, NULL, NULL, NULL, key) != 1 ||
      EVP_DigestSign(md, sig, &siglen, (const unsigned char *)msg, len) != 1 || siglen != 64)
    status = rpt_bundle_ssl_fail(err, VIGIE_EINVAL, "Ed25519 signing failed");
  EVP_MD_CTX_free(md);
  return status;
}

static vigie_status refuse(const char *dir, const rpt_bundle_file *f, vigie_error *err) {
  const char *why = f->kind == RPT_BUNDLE_SYMLINK   ? "a symbolic link"
                    : f->kind == RPT_BUNDLE_SPECIAL ? "not a regular file (device, fifo, socket)"
                                                    : "a name MANIFEST cannot hold (control "
                                                      "character or backslash)";
  return vigie_fail(err, VIGIE_ERANGE, "%s/%s: %s; a bundle holds only regular files: move it out",
                    dir, f->path, why);
}

/* MANIFEST's text: one "<hex>  <path>\n" line per file, in list order. */
static vigie_status manifest_build(int rootfd, const char *dir, const rpt_bundle_list *l,
                                   char **text, size_t *len, vigie_error *err) {
  size_t cap = 1;
  for (size_t i = 0; i < l->count; i++) {
    if (l->v[i].kind != RPT_BUNDLE_REGULAR) return refuse(dir, &l->v[i], err);
    cap += 67 + strlen(l->v[i].path);
  }
  char *t = vigie_malloc(cap);
  if (t == NULL) return vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  size_t n = 0;
  for (size_t i = 0; i < l->count; i++) {
    unsigned char sum[32];
    int fd = -1;
    vigie_status status = rpt_bundle_open_beneath(rootfd, l->v[i].path, &fd, err);
    if (status == VIGIE_OK) {
      status = rpt_bundle_hash_fd(fd, l->v[i].path, sum, err);
      close(fd);
    }
    if (status != VIGIE_OK) {
      vigie_free(t);
      return status;
    }
    rpt_bundle_hex(sum, 32, t + n);
    n += (size_t)snprintf(t + n + 64, cap - n - 64, "  %s\n", l->v[i].path) + 64;
  }
  *text = t;
  *len = n;
  return VIGIE_OK;
}

static vigie_status sign_write(const char *dir, EVP_PKEY *key, const char *text, size_t len,
                               vigie_error *err) {
  unsigned char sig[64];
  char *pem = NULL;
  size_t pemlen = 0;
  vigie_status status = sign_buf(key, text, len, sig, err);
  if (status == VIGIE_OK) status = rpt_bundle_key_public_pem(key, &pem, &pemlen, err);
  /* A token over the old MANIFEST would no longer match: drop it first. */
  int dfd = -1;
  if (status == VIGIE_OK && (status = rpt_bundle_open_dir(dir, &dfd, err)) == VIGIE_OK) {
    if (unlinkat(dfd, RPT_BUNDLE_TSR, 0) != 0 && errno != ENOENT)
      status = vigie_fail(err, VIGIE_EIO, "%s/" RPT_BUNDLE_TSR ": %s", dir, strerror(errno));
    close(dfd);
  }
  if (status == VIGIE_OK) status = rpt_bundle_write(dir, RPT_BUNDLE_PUBKEY, pem, pemlen, err);
  if (status == VIGIE_OK) status = rpt_bundle_write(dir, RPT_BUNDLE_MANIFEST, text, len, err);
  if (status == VIGIE_OK) status = rpt_bundle_write(dir, RPT_BUNDLE_SIG, sig, sizeof sig, err);
  vigie_free(pem);
  return status;
}

vigie_status rpt_bundle_sign(const char *dir, const char *key_path, rpt_bundle_info *info,
                             vigie_error *err) {
  EVP_PKEY *key = NULL;
  rpt_bundle_list l = {0};
  char *text = NULL;
  size_t len = 0;
  int rootfd = -1;
  vigie_status status = rpt_bundle_key_load_private(key_path, &key, err);
  if (status == VIGIE_OK) status = rpt_bundle_open_dir(dir, &rootfd, err);
  if (status == VIGIE_OK) status = rpt_bundle_walk(rootfd, dir, &l, err);
  if (status == VIGIE_OK) status = manifest_build(rootfd, dir, &l, &text, &len, err);
  if (status == VIGIE_OK) status = sign_write(dir, key, text, len, err);
  if (status == VIGIE_OK) status = rpt_bundle_key_fingerprint(key, info->fingerprint, err);
  if (status == VIGIE_OK) {
    unsigned char sum[32];
    rpt_bundle_sha256(text, len, sum);
    rpt_bundle_hex(sum, 32, info->manifest_sha256);
    info->files = l.count;
  }
  if (rootfd >= 0) close(rootfd);
  vigie_free(text);
  rpt_bundle_list_clear(&l);
  EVP_PKEY_free(key);
  return status;
}
