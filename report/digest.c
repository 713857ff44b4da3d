/* SHA-256 of input files, and the stamp of the rule catalogue: its version
 * and one digest over every file of rules/, so a reader can tell which
 * rules a report was scored with. */
#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "report/build_int.h"

static void hex32(const unsigned char md[32], char out[65]) {
  for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Feed the bytes of path into ctx. */
static vigie_status feed_file(EVP_MD_CTX *ctx, const char *path, vigie_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return vigie_fail(err, errno == ENOENT ? VIGIE_ENOENT : VIGIE_EIO, "%s: %s", path, strerror(errno));
  unsigned char buf[65536];
  size_t n;
  bool ok = true;
  while (ok && (n = fread(buf, 1, sizeof buf, f)) > 0) ok = EVP_DigestUpdate(ctx, buf, n);
  bool bad = ferror(f) != 0;
  fclose(f);
  if (bad) return vigie_fail(err, VIGIE_EIO, "%s: read error", path);
  return ok ? VIGIE_OK : vigie_fail(err, VIGIE_ENOMEM, "%s: SHA-256 failed", path);
}

vigie_status rpt_sha256_file(const char *path, char out[65], vigie_error *err) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  unsigned char md[32];
  unsigned len = 0;
  vigie_status status = VIGIE_ENOMEM;
  if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) status = feed_file(ctx, path, err);
  if (status == VIGIE_OK && !(EVP_DigestFinal_ex(ctx, md, &len) && len == 32)) status = VIGIE_ENOMEM;
  EVP_MD_CTX_free(ctx);
  if (status == VIGIE_ENOMEM) return vigie_fail(err, status, "%s: SHA-256 failed", path);
  if (status == VIGIE_OK) hex32(md, out);
  return status;
}

/* Every regular file under root/rel, as relative paths. */
typedef struct path_list {
  char **v;
  size_t n, cap;
} path_list;

static vigie_status list_files(const char *root, const char *rel, path_list *out, int depth,
                               vigie_error *err) {
  char dirpath[4096];
  snprintf(dirpath, sizeof dirpath, "%s%s%s", root, *rel ? "/" : "", rel);
  DIR *d = opendir(dirpath);
  if (!d) return vigie_fail(err, VIGIE_EIO, "%s: %s", dirpath, strerror(errno));
  vigie_status status = VIGIE_OK;
  struct dirent *e;
  while (status == VIGIE_OK && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue; /* ., .. and hidden editor files */
    char sub[4096], full[8192];
    snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
    snprintf(full, sizeof full, "%s/%s", root, sub);
    struct stat st;
    if (stat(full, &st) != 0) continue;
    if (S_ISDIR(st.st_mode) && depth < 8) {
      status = list_files(root, sub, out, depth + 1, err);
    } else if (S_ISREG(st.st_mode)) {
      char *copy = vigie_strdup(sub);
      if (!copy || (out->n == out->cap && !vigie_grow((void **)&out->v, out->n, &out->cap, sizeof *out->v))) {
        vigie_free(copy);
        status = vigie_fail(err, VIGIE_ENOMEM, "rules: out of memory");
      } else {
        out->v[out->n++] = copy;
      }
    }
  }
  closedir(d);
  return status;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static vigie_status rules_digest(const char *root, char out[65], vigie_error *err) {
  path_list files = {0};
  vigie_status status = list_files(root, "", &files, 0, err);
  qsort(files.v, files.n, sizeof *files.v, cmp_str);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (status == VIGIE_OK && !(ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)))
    status = vigie_fail(err, VIGIE_ENOMEM, "rules: SHA-256 failed");
  for (size_t i = 0; status == VIGIE_OK && i < files.n; i++) {
    char full[8192];
    snprintf(full, sizeof full, "%s/%s", root, files.v[i]);
    if (!EVP_DigestUpdate(ctx, files.v[i], strlen(files.v[i]) + 1)) /* "path\0" */
      status = vigie_fail(err, VIGIE_ENOMEM, "rules: SHA-256 failed");
    else
      status = feed_file(ctx, full, err);
  }
  unsigned char md[32];
  unsigned len = 0;
  if (status == VIGIE_OK && !(EVP_DigestFinal_ex(ctx, md, &len) && len == 32))
    status = vigie_fail(err, VIGIE_ENOMEM, "rules: SHA-256 failed");
  if (status == VIGIE_OK) hex32(md, out);
  EVP_MD_CTX_free(ctx);
  vigie_strv_free(files.v, files.n);
  return status;
}

/* rules/VERSION, white space trimmed at both ends. */
static vigie_status rules_version(rpt_report *r, const char *path, vigie_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return vigie_fail(err, VIGIE_ENOENT, "%s: %s", path, strerror(errno));
  char buf[256];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *s = buf, *e = buf + strlen(buf);
  while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
  while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r')) e--;
  r->rules_version = rpt_model_strn(r, s, (size_t)(e - s));
  return r->rules_version ? VIGIE_OK : vigie_fail(err, VIGIE_ENOMEM, "rules: out of memory");
}

vigie_status rpt_catalogue_stamp(rpt_report *r, vigie_error *err) {
  char *vpath = vigie_data_path("VERSION", err);
  if (!vpath) return err ? err->status : VIGIE_ENOENT;
  vigie_status status = rules_version(r, vpath, err);
  char *slash = strrchr(vpath, '/');
  if (slash) *slash = '\0';
  char hex[65];
  if (status == VIGIE_OK) status = rules_digest(slash ? vpath : ".", hex, err);
  if (status == VIGIE_OK && !(r->rules_sha256 = rpt_model_str(r, hex)))
    status = vigie_fail(err, VIGIE_ENOMEM, "rules: out of memory");
  vigie_free(vpath);
  return status;
}
