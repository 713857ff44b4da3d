/* Proof bundle: check a bundle offline and name every problem. MANIFEST,
 * its signature, the key and the token are all hostile input here: each
 * failure is one problem line, and a malformed MANIFEST stops only the
 * file checks, never leads to a read outside the bundle. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "report/bundle_int.h"

typedef struct verify_run {
  int rootfd;
  const char *tsa_ca;
  rpt_verify_fn fn;
  void *ctx;
  rpt_bundle_verified *out;
  unsigned char *manifest, *sig, *pem;
  size_t manifest_len, sig_len, pem_len;
  bool have_manifest;
} verify_run;

static void problem(verify_run *r, const char *path, const char *what, const char *detail) {
  rpt_verify_problem p = {path, what, detail && detail[0] ? detail : NULL};
  r->out->problems++;
  if (r->fn != NULL) r->fn(r->ctx, &p);
}

/* Read one of the bundle's own files; a missing or unreadable one is a
 * problem, not an error: the bundle is what is being judged. */
static bool read_own(verify_run *r, const char *name, size_t max, unsigned char **buf, size_t *len) {
  vigie_error e = {0};
  vigie_status status = rpt_bundle_read_at(r->rootfd, name, max, buf, len, &e);
  if (status == VIGIE_OK) return true;
  problem(r, name, status == VIGIE_ENOENT ? "missing" : "unreadable",
          status == VIGIE_ENOENT ? NULL : e.msg);
  return false;
}

static EVP_PKEY *bundle_key(verify_run *r) {
  if (!read_own(r, RPT_BUNDLE_PUBKEY, RPT_BUNDLE_SMALL_MAX, &r->pem, &r->pem_len)) return NULL;
  EVP_PKEY *key = NULL;
  vigie_error e = {0};
  if (rpt_bundle_key_parse_public(r->pem, r->pem_len, RPT_BUNDLE_PUBKEY, &key, &e) != VIGIE_OK)
    problem(r, RPT_BUNDLE_PUBKEY, "malformed", e.msg);
  return key;
}

/* The key the signature is checked with: the trusted one when given. */
static EVP_PKEY *choose_key(verify_run *r, EVP_PKEY *bundle, EVP_PKEY *trusted) {
  if (trusted == NULL) return bundle;
  if (bundle != NULL && EVP_PKEY_eq(bundle, trusted) != 1) {
    char fpr[RPT_BUNDLE_HEX_LEN] = "?", detail[200];
    rpt_bundle_key_fingerprint(bundle, fpr, NULL);
    snprintf(detail, sizeof detail, "the bundle's key %s is not the one given with --pubkey", fpr);
    problem(r, RPT_BUNDLE_PUBKEY, "key swapped", detail);
  }
  return trusted;
}

static void check_signature(verify_run *r, EVP_PKEY *key) {
  bool have_sig = read_own(r, RPT_BUNDLE_SIG, RPT_BUNDLE_SMALL_MAX, &r->sig, &r->sig_len);
  if (key == NULL || !r->have_manifest || !have_sig) return;
  rpt_bundle_key_fingerprint(key, r->out->info.fingerprint, NULL);
  if (r->sig_len != 64)
    problem(r, RPT_BUNDLE_MANIFEST, "bad signature", "MANIFEST.sig is not 64 bytes");
  else if (!rpt_bundle_sig_ok(key, r->manifest, r->manifest_len, r->sig, r->sig_len))
    problem(r, RPT_BUNDLE_MANIFEST, "bad signature", "MANIFEST.sig does not sign MANIFEST with this key");
}

static void check_listed(verify_run *r, const rpt_bundle_entry *e, const rpt_bundle_file *f) {
  if (f->kind != RPT_BUNDLE_REGULAR) {
    problem(r, e->path, "changed", f->kind == RPT_BUNDLE_SYMLINK ? "now a symbolic link"
                                                                  : "no longer a regular file");
    return;
  }
  int fd = -1;
  unsigned char sum[32];
  vigie_error err = {0};
  vigie_status status = rpt_bundle_open_beneath(r->rootfd, e->path, &fd, &err);
  if (status == VIGIE_OK) {
    status = rpt_bundle_hash_fd(fd, e->path, sum, &err);
    close(fd);
  }
  if (status != VIGIE_OK) problem(r, e->path, "unreadable", err.msg);
  else if (memcmp(sum, e->sum, 32) != 0) problem(r, e->path, "changed", "its SHA-256 differs");
}

static void check_added(verify_run *r, const rpt_bundle_file *f) {
  static const char *const kinds[] = {NULL, "a symbolic link", "not a regular file",
                                      "a name MANIFEST cannot hold"};
  problem(r, f->path, "added", kinds[f->kind]);
}

/* Both lists are sorted bytewise: one merge finds changed, missing, added. */
static vigie_status check_files(verify_run *r, const char *dir, const rpt_bundle_manifest *m,
                                vigie_error *err) {
  rpt_bundle_list l = {0};
  vigie_status status = rpt_bundle_walk(r->rootfd, dir, &l, err);
  if (status != VIGIE_OK) return status;
  size_t i = 0, j = 0;
  while (i < m->count || j < l.count) {
    int cmp = i == m->count ? 1 : j == l.count ? -1 : strcmp(m->v[i].path, l.v[j].path);
    if (cmp == 0) check_listed(r, &m->v[i++], &l.v[j++]);
    else if (cmp < 0) problem(r, m->v[i++].path, "missing", NULL);
    else check_added(r, &l.v[j++]);
  }
  rpt_bundle_list_clear(&l);
  return VIGIE_OK;
}

static vigie_status check_token(verify_run *r, const unsigned char sum[32], vigie_error *err) {
  unsigned char *der = NULL;
  size_t len = 0;
  vigie_error e = {0};
  vigie_status status = rpt_bundle_read_at(r->rootfd, RPT_BUNDLE_TSR, RPT_BUNDLE_SMALL_MAX, &der, &len, &e);
  if (status == VIGIE_ENOENT) return VIGIE_OK; /* not stamped: allowed */
  if (status != VIGIE_OK) {
    problem(r, RPT_BUNDLE_TSR, "unreadable", e.msg);
    return VIGIE_OK;
  }
  status = rpt_bundle_tsr_check(der, len, sum, NULL, r->tsa_ca, &r->out->stamp, &e);
  vigie_free(der);
  if (status == VIGIE_OK) r->out->stamped = true;
  else if (status == VIGIE_EVERIFY || status == VIGIE_EPROTO)
    problem(r, RPT_BUNDLE_TSR, "timestamp mismatch", e.msg);
  else
    return *err = e, status; /* the CA file, not the bundle, is at fault */
  return VIGIE_OK;
}

static vigie_status verify_body(verify_run *r, const char *dir, EVP_PKEY *trusted, vigie_error *err) {
  r->have_manifest = read_own(r, RPT_BUNDLE_MANIFEST, RPT_BUNDLE_MANIFEST_MAX, &r->manifest,
                              &r->manifest_len);
  EVP_PKEY *bundle = bundle_key(r);
  check_signature(r, choose_key(r, bundle, trusted));
  EVP_PKEY_free(bundle);
  if (!r->have_manifest) return VIGIE_OK;
  unsigned char sum[32];
  rpt_bundle_sha256(r->manifest, r->manifest_len, sum);
  rpt_bundle_hex(sum, 32, r->out->info.manifest_sha256);
  rpt_bundle_manifest m = {0};
  vigie_error e = {0};
  vigie_status status = VIGIE_OK;
  if (rpt_bundle_manifest_parse((const char *)r->manifest, r->manifest_len, &m, &e) != VIGIE_OK) {
    problem(r, RPT_BUNDLE_MANIFEST, "malformed", e.msg);
  } else {
    r->out->info.files = m.count;
    status = check_files(r, dir, &m, err);
  }
  rpt_bundle_manifest_clear(&m);
  if (status == VIGIE_OK) status = check_token(r, sum, err);
  return status;
}

static vigie_status load_trusted(const char *pubkey, EVP_PKEY **key, vigie_error *err) {
  unsigned char *pem = NULL;
  size_t len = 0;
  vigie_status status = rpt_bundle_read_path(pubkey, RPT_BUNDLE_SMALL_MAX, &pem, &len, err);
  if (status == VIGIE_OK) status = rpt_bundle_key_parse_public(pem, len, pubkey, key, err);
  vigie_free(pem);
  return status;
}

vigie_status rpt_bundle_verify(const char *dir, const char *pubkey, const char *tsa_ca,
                               rpt_verify_fn fn, void *ctx, rpt_bundle_verified *out,
                               vigie_error *err) {
  *out = (rpt_bundle_verified){0};
  verify_run r = {.rootfd = -1, .tsa_ca = tsa_ca, .fn = fn, .ctx = ctx, .out = out};
  EVP_PKEY *trusted = NULL;
  if (tsa_ca != NULL && access(tsa_ca, R_OK) != 0)
    return vigie_fail(err, VIGIE_ENOENT, "--tsa-ca %s: cannot be read", tsa_ca);
  vigie_status status = pubkey ? load_trusted(pubkey, &trusted, err) : VIGIE_OK;
  if (status == VIGIE_OK) status = rpt_bundle_open_dir(dir, &r.rootfd, err);
  if (status == VIGIE_OK) status = verify_body(&r, dir, trusted, err);
  if (status == VIGIE_OK && out->problems > 0)
    status = vigie_fail(err, VIGIE_EVERIFY, "%s: %zu problem%s", dir, out->problems,
                        out->problems == 1 ? "" : "s");
  if (r.rootfd >= 0) close(r.rootfd);
  vigie_free(r.manifest);
  vigie_free(r.sig);
  vigie_free(r.pem);
  EVP_PKEY_free(trusted);
  return status;
}
