/* vigie scanner — what service modules share: writing facts, naming a
 * product from banner text, reading FTP/SMTP-style replies, and the list of
 * modules.
 */
#include <string.h>

#include "scanner/scan_int.h"

bool scan_svc_fact(scan_svc_io *io, const char *name, const void *value, size_t len) {
  return scan_facts_add(io->facts, name, value, len) == VIGIE_OK;
}

bool scan_svc_fact_str(scan_svc_io *io, const char *name, const char *value) {
  return scan_facts_add_str(io->facts, name, value) == VIGIE_OK;
}

bool scan_svc_identify(scan_svc_io *io, const char *service, bool confirmed) {
  return scan_facts_set(io->facts, "service", service) == VIGIE_OK &&
         scan_facts_set(io->facts, "confidence", confirmed ? "confirmed" : "banner") == VIGIE_OK;
}

bool scan_svc_banner(scan_svc_io *io, const uint8_t *p, size_t len) {
  return scan_svc_fact(io, "banner", p, len);
}

static bool is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool scan_svc_fact_list(scan_svc_io *io, const char *name, const uint8_t *p, size_t len, char sep) {
  size_t i = 0;
  while (i < len) {
    size_t start = i, end;
    while (i < len && p[i] != (uint8_t)sep) i++;
    end = i++;
    while (start < end && is_space(p[start])) start++;
    while (end > start && is_space(p[end - 1])) end--;
    if (end > start && !scan_svc_fact(io, name, p + start, end - start)) return false;
  }
  return true;
}

static uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c; }

const uint8_t *scan_svc_find(const uint8_t *hay, size_t len, const char *needle) {
  size_t n = strlen(needle);
  if (n == 0 || n > len) return n == 0 ? hay : NULL;
  for (size_t i = 0; i + n <= len; i++) {
    size_t j = 0;
    while (j < n && lower(hay[i + j]) == lower((uint8_t)needle[j])) j++;
    if (j == n) return hay + i;
  }
  return NULL;
}

static bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

/* Version characters: 1.2.3p1, 4.96, 8.0.35-0ubuntu, 2.4.57~rc1, 9.2p1+x. */
static bool version_char(uint8_t c) {
  return is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'z') || c == '.' || c == '-' || c == '+' ||
         c == '~';
}

/* The version token at p (after separators and an optional "version"
 * word), its length through *vlen; NULL when none starts with a digit. */
static const uint8_t *version_after(const uint8_t *p, const uint8_t *end, size_t *vlen) {
  while (p < end && (*p == ' ' || *p == '/' || *p == '_' || *p == ':')) p++;
  if ((size_t)(end - p) > 8 && scan_svc_find(p, 8, "version ") == p) p += 8;
  if (p >= end || !is_digit(*p)) return NULL;
  *vlen = 0;
  while (p + *vlen < end && version_char(p[*vlen])) (*vlen)++;
  /* A sentence's full stop is no part of the version. */
  while (*vlen > 0 && (p[*vlen - 1] == '.' || p[*vlen - 1] == '-')) (*vlen)--;
  return p;
}

bool scan_svc_product_from(scan_svc_io *io, const uint8_t *text, size_t len,
                           const scan_svc_product *table, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const uint8_t *hit = scan_svc_find(text, len, table[i].needle), *v;
    size_t vlen;
    if (hit == NULL) continue;
    if (!scan_svc_fact_str(io, "product", table[i].name)) return false;
    v = version_after(hit + strlen(table[i].needle), text + len, &vlen);
    return v == NULL || scan_svc_fact(io, "version", v, vlen);
  }
  return true;
}

bool scan_svc_product_token(scan_svc_io *io, const uint8_t *p, size_t len) {
  size_t name = 0, vlen = 0;
  const uint8_t *v, *end = p + len, *open, *close;
  while (name < len && p[name] != '/' && p[name] != '_' && p[name] != ' ') name++;
  if (name == 0) return true;
  if (!scan_svc_fact(io, "product", p, name)) return false;
  v = version_after(p + name, end, &vlen);
  if (v != NULL && !scan_svc_fact(io, "version", v, vlen)) return false;
  open = memchr(p, '(', len);
  close = open ? memchr(open, ')', (size_t)(end - open)) : NULL;
  if (close != NULL && close > open + 1)
    return scan_svc_fact(io, "info", open + 1, (size_t)(close - open - 1));
  return true;
}

/* ---------------------------------------------------------------- replies */

/* Whether line starts with a reply code ("ddd" then space, '-' or its end). */
static bool coded(const uint8_t *p, size_t len, unsigned *code) {
  if (len < 3 || !is_digit(p[0]) || !is_digit(p[1]) || !is_digit(p[2])) return false;
  if (len > 3 && p[3] != ' ' && p[3] != '-') return false;
  *code = (unsigned)(p[0] - '0') * 100 + (unsigned)(p[1] - '0') * 10 + (unsigned)(p[2] - '0');
  return *code >= 100 && *code < 600;
}

/* Whether a partial first line could still become a reply's first line. */
static bool could_be_coded(const uint8_t *p, size_t len) {
  for (size_t i = 0; i < len && i < 4; i++) {
    bool ok = i < 3 ? is_digit(p[i]) : (p[i] == ' ' || p[i] == '-' || p[i] == '\r');
    if (!ok) return false;
  }
  return true;
}

scan_rd_status scan_svc_reply_read(scan_rd *r, size_t max, scan_svc_reply *reply) {
  scan_rd at = *r;
  const uint8_t *line;
  size_t len;
  unsigned code, again;
  scan_rd_status st = scan_rd_line(&at, max, &line, &len);
  if (st == SCAN_RD_SHORT)
    return could_be_coded(at.data + at.off, scan_rd_left(&at)) ? SCAN_RD_SHORT : SCAN_RD_BAD;
  if (st != SCAN_RD_OK || !coded(line, len, &code)) return SCAN_RD_BAD;
  /* RFC 959 4.2 and RFC 5321 4.2.1: "ddd-" opens lines, whatever they
   * hold, up to one that starts "ddd " with the same code. */
  bool more = len > 3 && line[3] == '-';
  while (more) {
    st = scan_rd_line(&at, max, &line, &len);
    if (st == SCAN_RD_SHORT && scan_rd_left(r) > max) return SCAN_RD_BAD;
    if (st != SCAN_RD_OK) return st;
    if (at.off - r->off > max) return SCAN_RD_BAD;
    more = !(coded(line, len, &again) && again == code && (len == 3 || line[3] == ' '));
  }
  reply->code = code;
  reply->start = r->data + r->off;
  reply->len = at.off - r->off;
  r->off = at.off;
  return SCAN_RD_OK;
}

bool scan_svc_reply_line(const scan_svc_reply *reply, size_t n, const uint8_t **p, size_t *len) {
  scan_rd r;
  unsigned code;
  scan_rd_init(&r, reply->start, reply->len);
  for (size_t i = 0;; i++) {
    if (scan_rd_line(&r, reply->len + 1, p, len) != SCAN_RD_OK) return false;
    if (i < n) continue;
    /* Continuation lines of FTP may lack the code (RFC 959 4.2). */
    if (coded(*p, *len, &code)) {
      *p += *len > 3 ? 4 : 3;
      *len -= *len > 3 ? 4 : 3;
    }
    return true;
  }
}

scan_svc_verdict scan_svc_short_or(const scan_svc_io *io, scan_rd_status st, bool mine) {
  if (st == SCAN_RD_SHORT && !io->in_full) return SCAN_SVC_MORE;
  return mine ? SCAN_SVC_ERROR : SCAN_SVC_NOT_MINE;
}

/* ----------------------------------------------------------------- modules */

/* Order on a port no module names: client-first protocols whose request
 * another server ignores or refuses harmlessly first, then the rest. */
const scan_svc_module *const scan_svc_all[] = {
    &scan_svc_http,
    &scan_svc_ssh,
    &scan_svc_ftp,
    &scan_svc_smtp,
    &scan_svc_imap,
    &scan_svc_pop3,
    &scan_svc_telnet,
    &scan_svc_vnc,
    &scan_svc_redis,
    &scan_svc_mysql,
    &scan_svc_postgresql,
    &scan_svc_mssql,
    &scan_svc_mongodb,
    &scan_svc_rdp,
    &scan_svc_smb,
    &scan_svc_ldap,
    &scan_svc_dicom,
    &scan_svc_hl7,
    NULL,
};

const scan_svc_module *scan_svc_by_name(const char *name) {
  for (size_t i = 0; scan_svc_all[i] != NULL; i++)
    if (strcmp(scan_svc_all[i]->name, name) == 0) return scan_svc_all[i];
  return NULL;
}
