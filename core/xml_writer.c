/* The XML writer: well-formed XML 1.0 out of untrusted strings.
 *
 * Banners, certificate subjects and directory attributes are chosen by whoever
 * runs the scanned service, so every string goes through one cleaner (strict
 * UTF-8, XML 1.0 Char only) and one escaper before it reaches the file. The
 * writer keeps a bounded stack of open element names, writes the '>' of a start
 * tag lazily so that attributes can follow, and remembers write errors so that
 * finish can report them once. */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "vigie/core.h"

/* libxml2 refuses documents nested deeper than about 256 elements (without
 * XML_PARSE_HUGE, which we never use: it stops at 258), so deeper output could
 * not be read back: refuse it when writing. */
#define XW_MAX_DEPTH 256
/* More attributes than this on one element is a bug in the caller. */
#define XW_MAX_ATTRS 256

static const char xw_replacement[] = "\xEF\xBF\xBD"; /* U+FFFD in UTF-8 */

/* A growable list of owned names: the open elements, or the attributes of
 * the start tag being written (to refuse duplicates). */
typedef struct xw_names {
  char **v;
  size_t n, cap;
} xw_names;

struct vigie_xmlw {
  FILE *stream;
  xw_names open;   /* open elements, innermost last */
  xw_names attrs;  /* attributes of the start tag still open */
  bool started;    /* anything written (the declaration must come first) */
  bool root_seen;  /* a root element was opened */
  bool in_tag;     /* "<name" written, its '>' not yet */
  bool failed;     /* a write failed: the output is lost */
};

/* ------------------------------------------------------------- cleaning */

/* Decode one UTF-8 sequence at s[0..len). Returns how many bytes it took,
 * always at least 1, and the code point in *cp, or -1 when the bytes are
 * ill-formed. An ill-formed run stops at the first byte that cannot continue
 * it (Unicode's "maximal subpart" rule, which Python and the WHATWG decoder
 * follow), so each such run becomes exactly one U+FFFD. The ranges exclude
 * overlong forms (C0, C1, E0 80-9F, F0 80-8F), surrogates (ED A0-BF) and code
 * points above U+10FFFF (F4 90-BF, F5-FF). */
static size_t xw_utf8_next(const unsigned char *s, size_t len, long *cp) {
  unsigned char b = s[0], lo = 0x80, hi = 0xBF;
  size_t need;
  unsigned long c;
  if (b < 0x80) {
    *cp = b;
    return 1;
  }
  if (b >= 0xC2 && b <= 0xDF) {
    need = 1, c = b & 0x1Fu;
  } else if (b >= 0xE0 && b <= 0xEF) {
    need = 2, c = b & 0x0Fu;
    lo = b == 0xE0 ? 0xA0 : 0x80;
    hi = b == 0xED ? 0x9F : 0xBF;
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 3, c = b & 0x07u;
    lo = b == 0xF0 ? 0x90 : 0x80;
    hi = b == 0xF4 ? 0x8F : 0xBF;
  } else {
    *cp = -1;
    return 1;
  }
  for (size_t i = 1; i <= need; i++) {
    if (i >= len || s[i] < lo || s[i] > hi) {
      *cp = -1;
      return i;
    }
    c = (c << 6) | (s[i] & 0x3Fu);
    lo = 0x80, hi = 0xBF;
  }
  *cp = (long)c;
  return need + 1;
}

/* XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
 * [#x10000-#x10FFFF]. The decoder never yields surrogates or values above
 * U+10FFFF, so only the C0 controls and U+FFFE/U+FFFF are left to refuse. */
static bool xw_char_ok(long c) {
  if (c < 0x20) return c == 0x9 || c == 0xA || c == 0xD;
  return c != 0xFFFE && c != 0xFFFF;
}

/* One pass of the cleaner. With out == NULL it only measures, so the caller
 * can allocate the exact size. \return the cleaned length. */
static size_t xw_clean_into(const unsigned char *s, size_t len, char *out, bool *changed) {
  size_t o = 0;
  for (size_t i = 0; i < len;) {
    long cp;
    size_t n = xw_utf8_next(s + i, len - i, &cp);
    if (cp < 0) {
      if (out != NULL) memcpy(out + o, xw_replacement, 3);
      o += 3;
      *changed = true;
    } else if (!xw_char_ok(cp)) {
      *changed = true;
    } else {
      if (out != NULL) memcpy(out + o, s + i, n);
      o += n;
    }
    i += n;
  }
  return o;
}

char *vigie_xml_clean(const void *data, size_t len, bool *changed) {
  bool dummy = false;
  bool *flag = changed != NULL ? changed : &dummy;
  *flag = false;
  if (data == NULL) len = 0;
  /* The output is at most three times the input (one U+FFFD per byte). */
  if (len > (SIZE_MAX - 1) / 3) return NULL;
  size_t n = xw_clean_into(data, len, NULL, flag);
  char *out = vigie_malloc(n + 1);
  if (out == NULL) return NULL;
  xw_clean_into(data, len, out, flag);
  out[n] = '\0';
  return out;
}

/* --------------------------------------------------------------- base64 */

char *vigie_base64_encode(const void *data, size_t len) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const unsigned char *in = data;
  if (len > (SIZE_MAX - 1) / 4 * 3 - 3) return NULL;
  char *out = vigie_malloc((len + 2) / 3 * 4 + 1);
  if (out == NULL) return NULL;
  size_t o = 0;
  for (size_t i = 0; i < len; i += 3) {
    size_t left = len - i;
    uint32_t v = (uint32_t)in[i] << 16;
    if (left > 1) v |= (uint32_t)in[i + 1] << 8;
    if (left > 2) v |= in[i + 2];
    out[o++] = alphabet[(v >> 18) & 63];
    out[o++] = alphabet[(v >> 12) & 63];
    out[o++] = left > 1 ? alphabet[(v >> 6) & 63] : '=';
    out[o++] = left > 2 ? alphabet[v & 63] : '=';
  }
  out[o] = '\0';
  return out;
}

/* ---------------------------------------------------------------- names */

static bool xw_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool xw_name_char(char c) {
  return xw_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* An ASCII subset of XML names that is also a namespace-valid QName: at most
 * one colon, and a name start character after it ("a:" and "a:1" would be
 * well-formed XML 1.0 but are refused by namespace-aware parsers). */
static bool xw_name_ok(const char *name) {
  bool colon = false;
  if (name == NULL || !xw_name_start(name[0])) return false;
  for (const char *p = name + 1; *p != '\0'; p++) {
    if (xw_name_char(*p)) continue;
    if (*p != ':' || colon || !xw_name_start(p[1])) return false;
    colon = true;
  }
  return true;
}

static vigie_status xw_names_push(xw_names *l, const char *name, size_t max) {
  if (l->n == max) return VIGIE_EINVAL;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    if (cap > max) cap = max;
    char **v = vigie_realloc(l->v, cap * sizeof *v);
    if (v == NULL) return VIGIE_ENOMEM;
    l->v = v, l->cap = cap;
  }
  l->v[l->n] = vigie_strdup(name);
  if (l->v[l->n] == NULL) return VIGIE_ENOMEM;
  l->n++;
  return VIGIE_OK;
}

static bool xw_names_has(const xw_names *l, const char *name) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->v[i], name) == 0) return true;
  return false;
}

static void xw_names_clear(xw_names *l) {
  while (l->n > 0) vigie_free(l->v[--l->n]);
}

static void xw_names_free(xw_names *l) {
  xw_names_clear(l);
  vigie_free(l->v);
  l->v = NULL, l->cap = 0;
}

/* --------------------------------------------------------------- output */

/* Writes never stop on error: the first failure is remembered and reported
 * by every later call and by finish, which is where callers look. */
static void xw_put(vigie_xmlw *w, const char *s, size_t n) {
  if (n > 0 && fwrite(s, 1, n, w->stream) != n) w->failed = true;
}

static void xw_puts(vigie_xmlw *w, const char *s) { xw_put(w, s, strlen(s)); }

static vigie_status xw_io_status(const vigie_xmlw *w) { return w->failed ? VIGIE_EIO : VIGIE_OK; }

/* In attributes, TAB, LF and CR are written as character references because
 * a parser turns the literal characters into spaces (attribute value
 * normalisation). In text, CR is a reference too, since a literal CR becomes
 * LF (end-of-line handling). '>' is always escaped, so "]]>" cannot appear. */
static const char *xw_escape_of(char c, bool attr) {
  switch (c) {
  case '&': return "&amp;";
  case '<': return "&lt;";
  case '>': return "&gt;";
  case '\r': return "&#13;";
  case '"': return attr ? "&quot;" : NULL;
  case '\t': return attr ? "&#9;" : NULL;
  case '\n': return attr ? "&#10;" : NULL;
  default: return NULL;
  }
}

/* Write an already cleaned string, escaped, in runs between escapes. */
static void xw_put_escaped(vigie_xmlw *w, const char *s, size_t len, bool attr) {
  size_t run = 0;
  for (size_t i = 0; i < len; i++) {
    const char *esc = xw_escape_of(s[i], attr);
    if (esc == NULL) continue;
    xw_put(w, s + run, i - run);
    xw_puts(w, esc);
    run = i + 1;
  }
  xw_put(w, s + run, len - run);
}

/* Finish a start tag left open for attributes. */
static void xw_close_tag(vigie_xmlw *w) {
  if (!w->in_tag) return;
  xw_puts(w, ">");
  w->in_tag = false;
  xw_names_clear(&w->attrs);
}

/* ---------------------------------------------------------------- calls */

vigie_xmlw *vigie_xmlw_new(FILE *stream) {
  if (stream == NULL) return NULL;
  vigie_xmlw *w = vigie_calloc(1, sizeof *w);
  if (w != NULL) w->stream = stream;
  return w;
}

void vigie_xmlw_free(vigie_xmlw *w) {
  if (w == NULL) return;
  xw_names_free(&w->open);
  xw_names_free(&w->attrs);
  vigie_free(w);
}

vigie_status vigie_xmlw_declaration(vigie_xmlw *w) {
  if (w == NULL || w->started) return VIGIE_EINVAL;
  w->started = true;
  xw_puts(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  return xw_io_status(w);
}

vigie_status vigie_xmlw_raw_prolog(vigie_xmlw *w, const char *trusted_text) {
  /* Only between the declaration and the root: anywhere else it could break
   * the document's shape, and the writer could no longer vouch for it. */
  if (w == NULL || trusted_text == NULL || !w->started || w->root_seen) return VIGIE_EINVAL;
  if (w->failed) return VIGIE_EIO;
  xw_puts(w, trusted_text);
  return xw_io_status(w);
}

vigie_status vigie_xmlw_start(vigie_xmlw *w, const char *name) {
  /* One root only: a second one would not be well-formed. */
  if (w == NULL || !xw_name_ok(name) || (w->root_seen && w->open.n == 0)) return VIGIE_EINVAL;
  if (w->failed) return VIGIE_EIO;
  xw_close_tag(w);
  vigie_status status = xw_names_push(&w->open, name, XW_MAX_DEPTH);
  if (status != VIGIE_OK) return status;
  w->started = w->root_seen = w->in_tag = true;
  xw_puts(w, "<");
  xw_puts(w, name);
  return xw_io_status(w);
}

/* Add an attribute whose value is already clean. */
static vigie_status xw_attr_clean(vigie_xmlw *w, const char *name, const char *value) {
  if (!w->in_tag || !xw_name_ok(name) || xw_names_has(&w->attrs, name)) return VIGIE_EINVAL;
  if (w->failed) return VIGIE_EIO;
  vigie_status status = xw_names_push(&w->attrs, name, XW_MAX_ATTRS);
  if (status != VIGIE_OK) return status;
  xw_puts(w, " ");
  xw_puts(w, name);
  xw_puts(w, "=\"");
  xw_put_escaped(w, value, strlen(value), true);
  xw_puts(w, "\"");
  return xw_io_status(w);
}

vigie_status vigie_xmlw_attr_bytes(vigie_xmlw *w, const char *name, const void *value, size_t len) {
  if (w == NULL || (value == NULL && len > 0)) return VIGIE_EINVAL;
  char *clean = vigie_xml_clean(value, len, NULL);
  if (clean == NULL) return VIGIE_ENOMEM;
  vigie_status status = xw_attr_clean(w, name, clean);
  vigie_free(clean);
  return status;
}

vigie_status vigie_xmlw_attr(vigie_xmlw *w, const char *name, const char *value) {
  if (value == NULL) return VIGIE_EINVAL;
  return vigie_xmlw_attr_bytes(w, name, value, strlen(value));
}

vigie_status vigie_xmlw_attrf(vigie_xmlw *w, const char *name, const char *fmt, ...) {
  vigie_status status = VIGIE_OK;
  char *buf = NULL;
  va_list ap, again;
  va_start(ap, fmt);
  va_copy(again, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  if (n < 0) {
    status = VIGIE_EINVAL;
    goto done;
  }
  buf = vigie_malloc((size_t)n + 1);
  if (buf == NULL) {
    status = VIGIE_ENOMEM;
    goto done;
  }
  vsnprintf(buf, (size_t)n + 1, fmt, again);
  status = vigie_xmlw_attr_bytes(w, name, buf, (size_t)n);
done:
  va_end(again);
  va_end(ap);
  vigie_free(buf);
  return status;
}

/* Add text that is already clean. Text outside the root element would not
 * be well-formed, so it needs an open element. */
static vigie_status xw_text_clean(vigie_xmlw *w, const char *text, size_t len) {
  if (w->open.n == 0) return VIGIE_EINVAL;
  if (w->failed) return VIGIE_EIO;
  xw_close_tag(w);
  xw_put_escaped(w, text, len, false);
  return xw_io_status(w);
}

vigie_status vigie_xmlw_text_bytes(vigie_xmlw *w, const void *text, size_t len) {
  if (w == NULL || (text == NULL && len > 0)) return VIGIE_EINVAL;
  char *clean = vigie_xml_clean(text, len, NULL);
  if (clean == NULL) return VIGIE_ENOMEM;
  vigie_status status = xw_text_clean(w, clean, strlen(clean));
  vigie_free(clean);
  return status;
}

vigie_status vigie_xmlw_text(vigie_xmlw *w, const char *text) {
  if (text == NULL) return VIGIE_EINVAL;
  return vigie_xmlw_text_bytes(w, text, strlen(text));
}

vigie_status vigie_xmlw_end(vigie_xmlw *w) {
  if (w == NULL || w->open.n == 0) return VIGIE_EINVAL;
  char *name = w->open.v[--w->open.n];
  if (w->in_tag) {
    xw_puts(w, "/>");
    w->in_tag = false;
    xw_names_clear(&w->attrs);
  } else {
    xw_puts(w, "</");
    xw_puts(w, name);
    xw_puts(w, ">");
  }
  vigie_free(name);
  return xw_io_status(w);
}

vigie_status vigie_xmlw_element_bytes(vigie_xmlw *w, const char *name, const void *data, size_t len) {
  bool changed = false;
  char *b64 = NULL;
  if (w == NULL || (data == NULL && len > 0)) return VIGIE_EINVAL;
  char *clean = vigie_xml_clean(data, len, &changed);
  if (clean == NULL) return VIGIE_ENOMEM;
  vigie_status status = vigie_xmlw_start(w, name);
  if (status != VIGIE_OK) goto done;
  if (changed) {
    /* The raw bytes are evidence: keep them whole beside the readable text. */
    b64 = vigie_base64_encode(data, len);
    status = b64 != NULL ? xw_attr_clean(w, "base64", b64) : VIGIE_ENOMEM;
    if (status != VIGIE_OK) goto done;
  }
  if (clean[0] != '\0') status = xw_text_clean(w, clean, strlen(clean));
  if (status != VIGIE_OK) goto done;
  status = vigie_xmlw_end(w);
done:
  vigie_free(clean);
  vigie_free(b64);
  return status;
}

vigie_status vigie_xmlw_finish(vigie_xmlw *w) {
  /* A document without a root element is not well-formed. */
  if (w == NULL || !w->root_seen) return VIGIE_EINVAL;
  while (w->open.n > 0) vigie_xmlw_end(w);
  xw_puts(w, "\n");
  if (fflush(w->stream) != 0 || ferror(w->stream)) w->failed = true;
  return xw_io_status(w);
}
