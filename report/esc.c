/* Escaping and cleaning shared by the text outputs (see esc.h). */
#include "report/esc.h"
#include "report/html.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <string.h>

/* ------------------------------------------------------------- buffer */

static bool buf_reserve(rpt_buf *b, size_t more) {
  if (b->nomem) return false;
  if (b->cap - b->len > more) return true; /* keep room for the NUL */
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->len <= more) {
    if (cap > SIZE_MAX / 2) {
      b->nomem = true;
      return false;
    }
    cap *= 2;
  }
  char *p = vigie_realloc(b->data, cap);
  if (!p) {
    b->nomem = true;
    return false;
  }
  b->data = p;
  b->cap = cap;
  return true;
}

void rpt_buf_add(rpt_buf *b, const char *s, size_t n) {
  if (!n || !buf_reserve(b, n)) return;
  memcpy(b->data + b->len, s, n);
  b->len += n;
}

void rpt_buf_adds(rpt_buf *b, const char *s) {
  if (s) rpt_buf_add(b, s, strlen(s));
}

void rpt_buf_addc(rpt_buf *b, char c) {
  if (!buf_reserve(b, 1)) return;
  b->data[b->len++] = c;
}

void rpt_buf_addf(rpt_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || !buf_reserve(b, (size_t)n + 1)) return;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

const char *rpt_buf_str(rpt_buf *b) {
  if (!b->data) return "";
  b->data[b->len] = '\0'; /* buf_reserve always leaves a byte */
  return b->data;
}

bool rpt_buf_flush(rpt_buf *b, FILE *out) {
  bool ok = b->len == 0 || fwrite(b->data, 1, b->len, out) == b->len;
  b->len = 0;
  return ok;
}

void rpt_buf_free(rpt_buf *b) {
  vigie_free(b->data);
  memset(b, 0, sizeof *b);
}

/* --------------------------------------------------------------- UTF-8 */

size_t rpt_utf8_decode(const char *s, size_t len, uint32_t *cp) {
  const unsigned char *u = (const unsigned char *)s;
  unsigned c = u[0], lo = 0x80, hi = 0xBF;
  size_t n;
  uint32_t v;
  *cp = 0xFFFD;
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  /* The second byte's range excludes overlongs, surrogates and > U+10FFFF
   * (Unicode table 3-7), so an invalid prefix is cut where it goes wrong. */
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, v = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, v = c & 0x0F;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, v = c & 0x07;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 1;
  }
  for (size_t i = 1; i < n; i++) {
    if (i >= len || u[i] < lo || u[i] > hi) return i;
    v = v << 6 | (u[i] & 0x3F);
    lo = 0x80, hi = 0xBF;
  }
  *cp = v;
  return n;
}

void rpt_utf8_add(rpt_buf *b, uint32_t cp) {
  char s[4];
  size_t n;
  if (cp < 0x80) {
    s[0] = (char)cp, n = 1;
  } else if (cp < 0x800) {
    s[0] = (char)(0xC0 | cp >> 6), s[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
  } else if (cp < 0x10000) {
    s[0] = (char)(0xE0 | cp >> 12), s[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    s[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
  } else {
    s[0] = (char)(0xF0 | cp >> 18), s[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    s[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), s[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
  }
  rpt_buf_add(b, s, n);
}

/* C0, DEL and C1 controls: never meaningful in a banner shown to a human. */
static bool is_control(uint32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

/* -------------------------------------------------------------- escapes */

/* Length of the leading run of printable ASCII holding none of special. */
static size_t plain_run(const char *s, size_t len, const char *special) {
  size_t n = 0;
  while (n < len && s[n] >= 0x20 && s[n] < 0x7F && !strchr(special, s[n])) n++;
  return n;
}

static void buf_sink(void *ctx, const char *s, size_t n) { rpt_buf_add(ctx, s, n); }

/* One escaper for every HTML page (report/html_escape.c). */
void rpt_esc_html(rpt_buf *b, const char *s) { rpt_html_esc_to(buf_sink, b, s, 0); }

const char *rpt_cut_marker(const char *lang) {
  return lang && strcmp(lang, "en") == 0 ? "… (truncated)" : "… (tronqué)";
}

void rpt_esc_json(rpt_buf *b, const char *s, size_t cap, const char *marker) {
  rpt_buf_addc(b, '"');
  size_t len = s ? strlen(s) : 0;
  bool cut = cap && len > cap;
  if (cut) /* back to a character boundary */
    for (len = cap; len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80; len--) continue;
  for (size_t i = 0; i < len;) {
    size_t run = plain_run(s + i, len - i, "\"\\/");
    if (run) {
      rpt_buf_add(b, s + i, run);
      i += run;
      continue;
    }
    uint32_t cp;
    size_t n = rpt_utf8_decode(s + i, len - i, &cp);
    if (cp == '"' || cp == '\\') {
      rpt_buf_addc(b, '\\');
      rpt_buf_addc(b, (char)cp);
    } else if (cp == '/' && i > 0 && s[i - 1] == '<') {
      rpt_buf_adds(b, "\\/"); /* no "</script" if the JSON is ever inlined */
    } else if (is_control(cp) || cp == 0x2028 || cp == 0x2029) {
      rpt_buf_addf(b, "\\u%04x", (unsigned)cp);
    } else if (n == 1 && cp < 0x80) {
      rpt_buf_addc(b, (char)cp);
    } else {
      rpt_utf8_add(b, cp);
    }
    i += n;
  }
  if (cut) rpt_buf_adds(b, marker);
  rpt_buf_addc(b, '"');
}

bool rpt_clean_cell(rpt_buf *b, const char *s, size_t cap, const char *marker) {
  size_t len = s ? strlen(s) : 0, start = b->len, mlen = marker ? strlen(marker) : 0;
  size_t room = cap > mlen ? cap - mlen : 0, keep = start;
  for (size_t i = 0; i < len;) {
    /* Printable ASCII is copied by runs, as far as it fits. */
    size_t used = b->len - start, fit = used < room ? room - used : 0;
    size_t run = plain_run(s + i, len - i < fit ? len - i : fit, "");
    if (run) {
      rpt_buf_add(b, s + i, run);
      i += run;
      keep = b->len;
      continue;
    }
    uint32_t cp;
    i += rpt_utf8_decode(s + i, len - i, &cp);
    if (cp != '\n' && is_control(cp)) continue;
    rpt_utf8_add(b, cp);
    /* Cut only what does not fit whole, at the last character that leaves
     * room for the marker. */
    if (b->len - start <= room) {
      keep = b->len;
    } else if (b->len - start > cap) {
      b->len = keep;
      rpt_buf_adds(b, marker);
      return true;
    }
  }
  return false;
}

/* ------------------------------------------------------------------ CSV */

void rpt_csvw_init(rpt_csvw *w, FILE *out, const rpt_csv_options *opts, const char *lang) {
  memset(w, 0, sizeof *w);
  w->out = out;
  w->sep = opts && opts->separator == ';' ? ';' : ',';
  w->marker = rpt_cut_marker(lang);
  if (opts && opts->bom) rpt_buf_adds(&w->row, "\xEF\xBB\xBF");
}

void rpt_csvw_cell(rpt_csvw *w, const char *text) {
  rpt_buf *c = &w->cell;
  c->len = 0;
  rpt_clean_cell(c, text, RPT_CSV_CELL_MAX, w->marker);
  const char *s = rpt_buf_str(c);
  if (w->col++) rpt_buf_addc(&w->row, w->sep);
  /* A spreadsheet runs a cell starting with one of these as a formula
   * (CSV injection): a leading quote makes it text. */
  bool formula = c->len && strchr("=+-@\t\r", s[0]);
  bool quote = formula || strpbrk(s, "\"\n\r") || memchr(s, w->sep, c->len);
  if (quote) rpt_buf_addc(&w->row, '"');
  if (formula) rpt_buf_addc(&w->row, '\'');
  for (const char *p = s; *p; p++) {
    if (*p == '"') rpt_buf_addc(&w->row, '"');
    /* LF alone inside a quoted cell: Excel and Python read it as a line
     * break within the cell; rows end with CRLF. */
    rpt_buf_addc(&w->row, *p);
  }
  if (quote) rpt_buf_addc(&w->row, '"');
}

void rpt_csvw_cellf(rpt_csvw *w, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  rpt_csvw_cell(w, tmp);
}

void rpt_csvw_end_row(rpt_csvw *w) {
  rpt_buf_add(&w->row, "\r\n", 2);
  w->col = 0;
  /* Write in large blocks: one row can be several cells of 32 kB. */
  if (w->row.len >= 65536 && !rpt_buf_flush(&w->row, w->out)) w->io_error = true;
}

vigie_status rpt_csvw_finish(rpt_csvw *w, const char *what, vigie_error *err) {
  vigie_status st = VIGIE_OK;
  if (w->row.nomem || w->cell.nomem)
    st = vigie_fail(err, VIGIE_ENOMEM, "%s: out of memory", what);
  else if (w->io_error || !rpt_buf_flush(&w->row, w->out) || fflush(w->out) != 0 || ferror(w->out))
    st = vigie_fail(err, VIGIE_EIO, "%s: write failed", what);
  rpt_buf_free(&w->row);
  rpt_buf_free(&w->cell);
  return st;
}

/* ------------------------------------------------------------------ CSP */

bool rpt_csp_hash(const char *text, size_t len, char out[RPT_CSP_HASH_LEN]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  if (!EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) return false;
  memcpy(out, "sha256-", 7);
  /* 32 bytes give 44 base64 characters and the NUL: 7 + 45 = 52 */
  return EVP_EncodeBlock((unsigned char *)out + 7, md, 32) == 44;
}

/* --------------------------------------------------------------- dates */

void rpt_date_of(const char *s, char out[11]) {
  out[0] = '\0';
  if (!s || strlen(s) < 10) return;
  for (int i = 0; i < 10; i++) {
    bool dash = i == 4 || i == 7;
    if (dash ? s[i] != '-' : (s[i] < '0' || s[i] > '9')) return;
  }
  memcpy(out, s, 10);
  out[10] = '\0';
}
