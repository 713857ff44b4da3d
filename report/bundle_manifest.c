/* Proof bundle: MANIFEST, read as hostile input. Only the exact form vigie
 * writes is accepted ("<64 lowercase hex>  <path>\n", paths strictly
 * increasing bytewise), so a signed MANIFEST has one reading and a
 * tampered one cannot smuggle in a path that leaves the bundle. */
#include <string.h>

#include "report/bundle_int.h"

bool rpt_bundle_reserved(const char *path) {
  return strcmp(path, RPT_BUNDLE_MANIFEST) == 0 || strcmp(path, RPT_BUNDLE_SIG) == 0 ||
         strcmp(path, RPT_BUNDLE_TSR) == 0 || strcmp(path, RPT_BUNDLE_PUBKEY) == 0;
}

static const char *component_check(const char *c, size_t n) {
  if (n == 0) return "empty path component (leading, trailing or doubled '/')";
  if (n == 1 && c[0] == '.') return "'.' path component";
  if (n == 2 && c[0] == '.' && c[1] == '.') return "'..' path component";
  return NULL;
}

const char *rpt_bundle_path_check(const char *path, size_t len) {
  if (len == 0) return "empty path";
  if (len > RPT_BUNDLE_PATH_MAX) return "path too long";
  if (path[0] == '/') return "absolute path";
  size_t start = 0;
  for (size_t i = 0; i <= len; i++) {
    unsigned char ch = i < len ? (unsigned char)path[i] : '/';
    if (ch < 0x20 || ch == 0x7f) return "control character in path";
    if (ch == '\\') return "backslash in path";
    if (ch != '/') continue;
    const char *why = component_check(path + start, i - start);
    if (why != NULL) return why;
    start = i + 1;
  }
  for (size_t i = 0; i < 4; i++) {
    static const char *const names[] = {RPT_BUNDLE_MANIFEST, RPT_BUNDLE_SIG, RPT_BUNDLE_TSR,
                                        RPT_BUNDLE_PUBKEY};
    if (strlen(names[i]) == len && memcmp(names[i], path, len) == 0) return "a bundle's own file";
  }
  return NULL;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1; /* uppercase too: vigie writes lowercase, one spelling only */
}

/* One line without its LF: parse and append to m. */
static vigie_status parse_line(const char *line, size_t n, size_t lineno, rpt_bundle_manifest *m,
                               vigie_error *err) {
  if (memchr(line, '\r', n) != NULL)
    return vigie_fail(err, VIGIE_ESYNTAX, "MANIFEST:%zu: carriage return (CRLF line ends?)", lineno);
  if (memchr(line, '\0', n) != NULL)
    return vigie_fail(err, VIGIE_ESYNTAX, "MANIFEST:%zu: NUL byte", lineno);
  if (n < 67 || line[64] != ' ' || line[65] != ' ')
    return vigie_fail(err, VIGIE_ESYNTAX,
                      "MANIFEST:%zu: not \"<64 hex digits>  <path>\"", lineno);
  rpt_bundle_entry e;
  for (size_t i = 0; i < 32; i++) {
    int hi = hex_value(line[2 * i]), lo = hex_value(line[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return vigie_fail(err, VIGIE_ESYNTAX, "MANIFEST:%zu: bad hex in the SHA-256 (lowercase 0-9a-f)",
                        lineno);
    e.sum[i] = (unsigned char)(hi << 4 | lo);
  }
  const char *path = line + 66;
  size_t plen = n - 66;
  const char *why = rpt_bundle_path_check(path, plen);
  if (why != NULL) return vigie_fail(err, VIGIE_ESYNTAX, "MANIFEST:%zu: %s", lineno, why);
  if (m->count > 0) {
    const char *prev = m->v[m->count - 1].path;
    size_t prevlen = strlen(prev), common = prevlen < plen ? prevlen : plen;
    int cmp = memcmp(prev, path, common);
    if (cmp == 0) cmp = prevlen < plen ? -1 : prevlen > plen ? 1 : 0;
    if (cmp == 0) return vigie_fail(err, VIGIE_ESYNTAX, "MANIFEST:%zu: duplicate path", lineno);
    if (cmp > 0)
      return vigie_fail(err, VIGIE_ESYNTAX, "MANIFEST:%zu: paths not sorted bytewise", lineno);
  }
  if (m->count >= RPT_BUNDLE_MAX_FILES)
    return vigie_fail(err, VIGIE_ETOOBIG, "MANIFEST:%zu: more than %d files", lineno,
                      RPT_BUNDLE_MAX_FILES);
  if (!vigie_grow((void **)&m->v, m->count, &m->cap, sizeof *m->v) ||
      (e.path = vigie_strndup(path, plen)) == NULL)
    return vigie_fail(err, VIGIE_ENOMEM, "MANIFEST:%zu: out of memory", lineno);
  m->v[m->count++] = e;
  return VIGIE_OK;
}

vigie_status rpt_bundle_manifest_parse(const char *buf, size_t len, rpt_bundle_manifest *out,
                                       vigie_error *err) {
  rpt_bundle_manifest m = {0};
  vigie_status status = VIGIE_OK;
  if (len > RPT_BUNDLE_MANIFEST_MAX)
    return vigie_fail(err, VIGIE_ETOOBIG, "MANIFEST: larger than %u bytes", RPT_BUNDLE_MANIFEST_MAX);
  size_t pos = 0, lineno = 0;
  while (status == VIGIE_OK && pos < len) {
    lineno++;
    size_t rest = len - pos, limit = rest < RPT_BUNDLE_LINE_MAX + 1 ? rest : RPT_BUNDLE_LINE_MAX + 1;
    const char *nl = memchr(buf + pos, '\n', limit);
    if (nl == NULL && rest > RPT_BUNDLE_LINE_MAX)
      status = vigie_fail(err, VIGIE_ESYNTAX, "MANIFEST:%zu: line longer than %d bytes", lineno,
                          RPT_BUNDLE_LINE_MAX);
    else if (nl == NULL)
      status = vigie_fail(err, VIGIE_ESYNTAX, "MANIFEST:%zu: last line has no LF", lineno);
    else {
      status = parse_line(buf + pos, (size_t)(nl - (buf + pos)), lineno, &m, err);
      pos = (size_t)(nl - buf) + 1;
    }
  }
  if (status != VIGIE_OK) {
    rpt_bundle_manifest_clear(&m);
    return status;
  }
  *out = m;
  return VIGIE_OK;
}

void rpt_bundle_manifest_clear(rpt_bundle_manifest *m) {
  for (size_t i = 0; i < m->count; i++) vigie_free(m->v[i].path);
  vigie_free(m->v);
  *m = (rpt_bundle_manifest){0};
}
