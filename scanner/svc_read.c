/* vigie scanner — the bounded reader and writer of service modules.
 *
 * Every byte a module reads from a server comes through scan_rd (STYLE.md
 * habit 11, after c-ares' ares_buf): each fetch checks the end first and
 * says SHORT rather than reading past it, so a module never trusts a length
 * from the wire. Requests go out through scan_wr, which refuses to write
 * past io->out instead of overflowing it.
 */
#include <string.h>

#include "scanner/scan_int.h"

void scan_rd_init(scan_rd *r, const void *data, size_t len) {
  r->data = data;
  r->len = data == NULL ? 0 : len;
  r->off = 0;
}

size_t scan_rd_left(const scan_rd *r) { return r->off <= r->len ? r->len - r->off : 0; }

static bool has(const scan_rd *r, size_t n) { return scan_rd_left(r) >= n; }

scan_rd_status scan_rd_u8(scan_rd *r, uint8_t *v) {
  if (!has(r, 1)) return SCAN_RD_SHORT;
  *v = r->data[r->off++];
  return SCAN_RD_OK;
}

/* Unsigned integers of n bytes, most (be) or least significant first. */
static scan_rd_status uint_n(scan_rd *r, size_t n, bool be, uint32_t *v) {
  uint32_t x = 0;
  if (!has(r, n)) return SCAN_RD_SHORT;
  for (size_t i = 0; i < n; i++) {
    uint32_t b = r->data[r->off + (be ? i : n - 1 - i)];
    x = x << 8 | b;
  }
  r->off += n;
  *v = x;
  return SCAN_RD_OK;
}

scan_rd_status scan_rd_u16be(scan_rd *r, uint16_t *v) {
  uint32_t x = 0;
  scan_rd_status st = uint_n(r, 2, true, &x);
  *v = (uint16_t)x;
  return st;
}

scan_rd_status scan_rd_u16le(scan_rd *r, uint16_t *v) {
  uint32_t x = 0;
  scan_rd_status st = uint_n(r, 2, false, &x);
  *v = (uint16_t)x;
  return st;
}

scan_rd_status scan_rd_u24le(scan_rd *r, uint32_t *v) { return uint_n(r, 3, false, v); }
scan_rd_status scan_rd_u32be(scan_rd *r, uint32_t *v) { return uint_n(r, 4, true, v); }
scan_rd_status scan_rd_u32le(scan_rd *r, uint32_t *v) { return uint_n(r, 4, false, v); }

scan_rd_status scan_rd_bytes(scan_rd *r, size_t n, const uint8_t **p) {
  if (!has(r, n)) return SCAN_RD_SHORT;
  *p = r->data + r->off;
  r->off += n;
  return SCAN_RD_OK;
}

scan_rd_status scan_rd_skip(scan_rd *r, size_t n) {
  if (!has(r, n)) return SCAN_RD_SHORT;
  r->off += n;
  return SCAN_RD_OK;
}

scan_rd_status scan_rd_sub(scan_rd *r, size_t n, scan_rd *sub) {
  if (!has(r, n)) return SCAN_RD_SHORT;
  scan_rd_init(sub, r->data + r->off, n);
  r->off += n;
  return SCAN_RD_OK;
}

/* Up to the first byte end within max bytes: SHORT when the data ends
 * first, BAD when max bytes pass without it. */
static scan_rd_status until(scan_rd *r, uint8_t end, size_t max, const uint8_t **p, size_t *len) {
  size_t left = scan_rd_left(r), span = left < max ? left : max;
  const uint8_t *start = r->data + r->off;
  const uint8_t *hit = span ? memchr(start, end, span) : NULL;
  if (hit == NULL) return left >= max ? SCAN_RD_BAD : SCAN_RD_SHORT;
  *p = start;
  *len = (size_t)(hit - start);
  r->off += *len + 1;
  return SCAN_RD_OK;
}

scan_rd_status scan_rd_line(scan_rd *r, size_t max, const uint8_t **p, size_t *len) {
  scan_rd_status st = until(r, '\n', max, p, len);
  if (st == SCAN_RD_OK && *len > 0 && (*p)[*len - 1] == '\r') (*len)--;
  return st;
}

scan_rd_status scan_rd_cstr(scan_rd *r, size_t max, const uint8_t **p, size_t *len) {
  return until(r, '\0', max, p, len);
}

scan_rd_status scan_rd_expect(const scan_rd *r, const void *magic, size_t n) {
  size_t left = scan_rd_left(r), span = left < n ? left : n;
  if (memcmp(r->data + r->off, magic, span) != 0) return SCAN_RD_BAD;
  return span < n ? SCAN_RD_SHORT : SCAN_RD_OK;
}

/* ---------------------------------------------------------------- writer */

void scan_wr_init(scan_wr *w, uint8_t *data, size_t cap) {
  w->data = data;
  w->cap = cap;
  w->len = 0;
  w->over = false;
}

void scan_wr_bytes(scan_wr *w, const void *p, size_t n) {
  if (w->over || w->cap - w->len < n) {
    w->over = true;
    return;
  }
  if (n > 0) memcpy(w->data + w->len, p, n);
  w->len += n;
}

void scan_wr_u8(scan_wr *w, uint8_t v) { scan_wr_bytes(w, &v, 1); }

static void put_n(uint8_t *p, size_t n, bool be, uint32_t v) {
  for (size_t i = 0; i < n; i++) p[be ? n - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

static void wr_n(scan_wr *w, size_t n, bool be, uint32_t v) {
  uint8_t b[4];
  put_n(b, n, be, v);
  scan_wr_bytes(w, b, n);
}

void scan_wr_u16be(scan_wr *w, uint16_t v) { wr_n(w, 2, true, v); }
void scan_wr_u16le(scan_wr *w, uint16_t v) { wr_n(w, 2, false, v); }
void scan_wr_u32be(scan_wr *w, uint32_t v) { wr_n(w, 4, true, v); }
void scan_wr_u32le(scan_wr *w, uint32_t v) { wr_n(w, 4, false, v); }
void scan_wr_str(scan_wr *w, const char *s) { scan_wr_bytes(w, s, strlen(s)); }

static void at_n(scan_wr *w, size_t at, size_t n, bool be, uint32_t v) {
  if (at > w->len || w->len - at < n) return;
  put_n(w->data + at, n, be, v);
}

void scan_wr_u16be_at(scan_wr *w, size_t at, uint16_t v) { at_n(w, at, 2, true, v); }
void scan_wr_u16le_at(scan_wr *w, size_t at, uint16_t v) { at_n(w, at, 2, false, v); }
void scan_wr_u32be_at(scan_wr *w, size_t at, uint32_t v) { at_n(w, at, 4, true, v); }
void scan_wr_u32le_at(scan_wr *w, size_t at, uint32_t v) { at_n(w, at, 4, false, v); }

void scan_svc_out(scan_svc_io *io, scan_wr *w) { scan_wr_init(w, io->out, SCAN_SVC_OUT_MAX); }

scan_svc_verdict scan_svc_send(scan_svc_io *io, const scan_wr *w) {
  if (w->over) {
    io->out_len = 0;
    return SCAN_SVC_ERROR;
  }
  io->out_len = w->len;
  return SCAN_SVC_NEXT;
}

scan_svc_verdict scan_svc_send_str(scan_svc_io *io, const char *text) {
  scan_wr w;
  scan_svc_out(io, &w);
  scan_wr_str(&w, text);
  return scan_svc_send(io, &w);
}
