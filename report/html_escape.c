/* The one HTML escaper of report.html and of the roll-up page: every datum
 * of the model (banners, titles, certificate subjects, directory values)
 * goes through it, since any of them may come from a hostile server or
 * directory. */
#include <string.h>

#include "report/html.h"

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 when it is
 * not one: overlongs, surrogates and code points past U+10FFFF included. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t len;
  unsigned min;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) len = 2, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF) len = 3, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4) len = 4, min = 0x10000;
  else return 0;
  if (len > n) return 0;
  unsigned cp = c & (0x7Fu >> len);
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (s[i] & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  if (cp >= 0x80 && cp <= 0x9F) return 0; /* C1 controls: dropped below */
  return len;
}

/* What replaces byte c, or NULL when it is written as is; "" drops it. */
static const char *replacement(unsigned char c) {
  switch (c) {
  case '&': return "&amp;";
  case '<': return "&lt;";
  case '>': return "&gt;";
  case '"': return "&quot;";
  case '\'': return "&#39;";
  case '\t': case '\n': case '\r': return NULL;
  case 0x7F: return "";
  default: return c < 0x20 ? "" : NULL;
  }
}

static void file_sink(void *ctx, const char *s, size_t n) { fwrite(s, 1, n, (FILE *)ctx); }

bool rpt_html_esc(FILE *out, const char *str, size_t cap) {
  return rpt_html_esc_to(file_sink, out, str, cap);
}

bool rpt_html_esc_to(rpt_html_sink put, void *ctx, const char *str, size_t cap) {
  if (!str) return false;
  const unsigned char *s = (const unsigned char *)str;
  size_t n = strlen(str), end = cap && cap < n ? cap : n;
  size_t i = 0, run = 0; /* run: start of bytes written as they are */
  while (i < end) {
    if (s[i] < 0x80) {
      const char *rep = replacement(s[i]);
      if (rep) {
        put(ctx, (const char *)s + run, i - run);
        put(ctx, rep, strlen(rep));
        run = i + 1;
      }
      i++;
      continue;
    }
    size_t len = utf8_len(s + i, n - i);
    if (len && i + len > end) break; /* the cap falls inside a character */
    if (!len) {
      /* C1 controls are valid UTF-8 but dropped; other bytes become U+FFFD. */
      bool c1 = s[i] == 0xC2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9F;
      put(ctx, (const char *)s + run, i - run);
      if (!c1) put(ctx, "\xEF\xBF\xBD", 3);
      i += c1 ? 2 : 1;
      run = i;
      continue;
    }
    i += len;
  }
  put(ctx, (const char *)s + run, i - run);
  return i < n;
}
