/* Proof bundle: file access that a hostile MANIFEST cannot lead outside the
 * bundle, hashing, atomic writes, OpenSSL error text. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>

#include "report/bundle_int.h"

void rpt_bundle_hex(const unsigned char *in, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
  out[2 * n] = '\0';
}

vigie_status rpt_bundle_ssl_fail(vigie_error *err, vigie_status status, const char *fmt, ...) {
  char what[VIGIE_ERROR_MAX], ssl[256] = "";
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  unsigned long e = ERR_peek_last_error();
  if (e != 0) ERR_error_string_n(e, ssl, sizeof ssl);
  ERR_clear_error();
  if (ssl[0] == '\0') return vigie_fail(err, status, "%s", what);
  return vigie_fail(err, status, "%s (%s)", what, ssl);
}

vigie_status rpt_bundle_open_dir(const char *dir, int *fd, vigie_error *err) {
  *fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (*fd < 0)
    return vigie_fail(err, errno == ENOENT || errno == ENOTDIR ? VIGIE_ENOENT : VIGIE_EIO,
                      "%s: not a folder one can open (%s)", dir, strerror(errno));
  return VIGIE_OK;
}

static vigie_status open_errno(const char *rel, int e, vigie_error *err) {
  if (e == ENOENT) return vigie_fail(err, VIGIE_ENOENT, "%s: no such file", rel);
  if (e == ELOOP || e == ENOTDIR)
    return vigie_fail(err, VIGIE_EPERM, "%s: a symbolic link or not a folder on the way", rel);
  return vigie_fail(err, VIGIE_EIO, "%s: %s", rel, strerror(e));
}

/* One component at a time with O_NOFOLLOW: openat2's RESOLVE_BENEATH has no
 * wrapper in Debian 12's glibc, and this needs none. */
vigie_status rpt_bundle_open_beneath(int rootfd, const char *rel, int *fd, vigie_error *err) {
  char comp[RPT_BUNDLE_PATH_MAX + 1];
  int cur = rootfd;
  const char *p = rel;
  *fd = -1;
  for (;;) {
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    if (n == 0 || n > RPT_BUNDLE_PATH_MAX) {
      if (cur != rootfd) close(cur);
      return vigie_fail(err, VIGIE_ESYNTAX, "%s: not a plain relative path", rel);
    }
    memcpy(comp, p, n);
    comp[n] = '\0';
    int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (slash ? O_DIRECTORY : O_NONBLOCK);
    int next = openat(cur, comp, flags);
    int e = errno;
    if (cur != rootfd) close(cur);
    if (next < 0) return open_errno(rel, e, err);
    cur = next;
    if (slash == NULL) break;
    p = slash + 1;
  }
  struct stat st;
  if (fstat(cur, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(cur);
    return vigie_fail(err, VIGIE_EPERM, "%s: not a regular file", rel);
  }
  /* O_NONBLOCK only kept a fifo from blocking the open. */
  fcntl(cur, F_SETFL, fcntl(cur, F_GETFL) & ~O_NONBLOCK);
  *fd = cur;
  return VIGIE_OK;
}

vigie_status rpt_bundle_hash_fd(int fd, const char *name, unsigned char sum[32], vigie_error *err) {
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
    EVP_MD_CTX_free(md);
    return rpt_bundle_ssl_fail(err, VIGIE_ENOMEM, "%s: cannot start SHA-256", name);
  }
  unsigned char buf[65536];
  vigie_status status = VIGIE_OK;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = vigie_fail(err, VIGIE_EIO, "%s: %s", name, strerror(errno));
      break;
    }
    if (n == 0) break;
    EVP_DigestUpdate(md, buf, (size_t)n);
  }
  unsigned int len = 0;
  if (status == VIGIE_OK && EVP_DigestFinal_ex(md, sum, &len) != 1)
    status = rpt_bundle_ssl_fail(err, VIGIE_EIO, "%s: SHA-256 failed", name);
  EVP_MD_CTX_free(md);
  return status;
}

static vigie_status read_fd(int fd, const char *name, size_t max, unsigned char **buf, size_t *len,
                            vigie_error *err) {
  size_t cap = 4096, n = 0;
  unsigned char *b = vigie_malloc(cap + 1);
  if (b == NULL) return vigie_fail(err, VIGIE_ENOMEM, "%s: out of memory", name);
  for (;;) {
    if (n == cap) {
      if (cap > max) {
        vigie_free(b);
        return vigie_fail(err, VIGIE_ETOOBIG, "%s: larger than %zu bytes", name, max);
      }
      unsigned char *grown = vigie_realloc(b, cap * 2 + 1);
      if (grown == NULL) {
        vigie_free(b);
        return vigie_fail(err, VIGIE_ENOMEM, "%s: out of memory", name);
      }
      b = grown;
      cap *= 2;
    }
    ssize_t r = read(fd, b + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      vigie_free(b);
      return vigie_fail(err, VIGIE_EIO, "%s: %s", name, strerror(errno));
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  if (n > max) {
    vigie_free(b);
    return vigie_fail(err, VIGIE_ETOOBIG, "%s: larger than %zu bytes", name, max);
  }
  b[n] = '\0';
  *buf = b;
  *len = n;
  return VIGIE_OK;
}

vigie_status rpt_bundle_read_at(int rootfd, const char *rel, size_t max, unsigned char **buf,
                                size_t *len, vigie_error *err) {
  int fd = -1;
  vigie_status status = rpt_bundle_open_beneath(rootfd, rel, &fd, err);
  if (status != VIGIE_OK) return status;
  status = read_fd(fd, rel, max, buf, len, err);
  close(fd);
  return status;
}

vigie_status rpt_bundle_read_path(const char *path, size_t max, unsigned char **buf, size_t *len,
                                  vigie_error *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return vigie_fail(err, errno == ENOENT ? VIGIE_ENOENT : VIGIE_EIO, "%s: %s", path,
                      strerror(errno));
  vigie_status status = read_fd(fd, path, max, buf, len, err);
  close(fd);
  return status;
}

vigie_status rpt_bundle_write_path(const char *path, const void *buf, size_t len, vigie_error *err) {
  vigie_afile *f = NULL;
  vigie_status status = vigie_afile_open(path, &f, err);
  if (status != VIGIE_OK) return status;
  if (len > 0 && fwrite(buf, 1, len, vigie_afile_stream(f)) != len) {
    vigie_afile_abort(f);
    return vigie_fail(err, VIGIE_EIO, "%s: write failed", path);
  }
  return vigie_afile_commit(f, err);
}

vigie_status rpt_bundle_write(const char *dir, const char *name, const void *buf, size_t len,
                              vigie_error *err) {
  size_t plen = strlen(dir) + strlen(name) + 2;
  char *path = vigie_malloc(plen);
  if (path == NULL) return vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  snprintf(path, plen, "%s/%s", dir, name);
  vigie_status status = rpt_bundle_write_path(path, buf, len, err);
  vigie_free(path);
  return status;
}
