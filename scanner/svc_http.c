/* vigie scanner — HTTP: one GET, its status, Server, Location and title;
 * WinRM (on its ports, /wsman) and Elasticsearch (its JSON banner) too.
 *
 * The request says "Connection: close", so the answer ends when the server
 * closes (io.in_full) or, earlier, once its Content-Length or its title has
 * arrived: the module never needs more than the head of the page.
 */
#include <stdio.h>
#include <string.h>

#include "scanner/scan_int.h"

#define HEAD_MAX 16384u  /* status line and headers */
#define BODY_LOOK 16384u /* bytes of body searched for a title */
#define TITLE_MAX 256u   /* decoded title kept */

typedef struct http_msg {
  unsigned status;
  const uint8_t *head, *body;
  size_t head_len, body_len;
} http_msg;

static bool winrm_port(uint16_t port) { return port == 5985 || port == 5986; }

static scan_svc_verdict http_start(scan_svc_io *io) {
  scan_wr w;
  const char *host = io->host_name;
  char port[8];
  scan_svc_out(io, &w);
  /* WinRM answers GET / with a bare 404; its endpoint tells more. */
  scan_wr_str(&w, winrm_port(io->port) ? "GET /wsman" : "GET /");
  /* With no name to give, HTTP/1.0 and no Host: servers refuse an HTTP/1.1
   * request with an empty Host (nginx: 400), and take this one. */
  if (io->host_name == NULL) {
    scan_wr_str(&w, " HTTP/1.0");
  } else {
    /* An IPv6 literal goes in brackets (RFC 9110 7.2), a port other than
     * the scheme's after a colon. */
    bool v6 = strchr(host, ':') != NULL;
    scan_wr_str(&w, " HTTP/1.1\r\nHost: ");
    scan_wr_str(&w, v6 ? "[" : "");
    scan_wr_str(&w, host);
    scan_wr_str(&w, v6 ? "]" : "");
    if (io->port != 80 && io->port != 443) {
      snprintf(port, sizeof port, ":%u", (unsigned)io->port);
      scan_wr_str(&w, port);
    }
  }
  scan_wr_str(&w, "\r\nUser-Agent: vigie\r\nAccept: */*\r\nConnection: close\r\n\r\n");
  return scan_svc_send(io, &w);
}

/* "HTTP/1.1 200 OK": the three-digit status. */
static scan_rd_status status_line(scan_rd *r, unsigned *status) {
  const uint8_t *p;
  size_t len;
  scan_rd_status st = scan_rd_expect(r, "HTTP/", 5);
  if (st != SCAN_RD_OK) return st;
  st = scan_rd_line(r, HEAD_MAX, &p, &len);
  if (st != SCAN_RD_OK) return st;
  if (len < 12 || p[5] < '0' || p[5] > '9' || p[8] != ' ') return SCAN_RD_BAD;
  *status = 0;
  for (int i = 9; i < 12; i++) {
    if (p[i] < '0' || p[i] > '9') return SCAN_RD_BAD;
    *status = *status * 10 + (unsigned)(p[i] - '0');
  }
  return *status >= 100 ? SCAN_RD_OK : SCAN_RD_BAD;
}

/* The headers up to the empty line. */
static scan_rd_status headers(scan_rd *r, http_msg *m) {
  const uint8_t *p;
  size_t len;
  m->head = r->data + r->off;
  do {
    scan_rd_status st = scan_rd_line(r, HEAD_MAX, &p, &len);
    if (st != SCAN_RD_OK) return st;
    if (r->off > HEAD_MAX) return SCAN_RD_BAD;
  } while (len > 0);
  m->head_len = (size_t)(p - m->head);
  m->body = r->data + r->off;
  m->body_len = scan_rd_left(r);
  return SCAN_RD_OK;
}

/* The value of header name (with its colon), spaces trimmed. */
static bool header(const http_msg *m, const char *name, const uint8_t **v, size_t *vlen) {
  scan_rd r;
  const uint8_t *p;
  size_t len, n = strlen(name);
  scan_rd_init(&r, m->head, m->head_len);
  while (scan_rd_line(&r, HEAD_MAX, &p, &len) == SCAN_RD_OK) {
    if (len < n || scan_svc_find(p, n, name) != p) continue;
    p += n, len -= n;
    while (len > 0 && (*p == ' ' || *p == '\t')) p++, len--;
    while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t')) len--;
    *v = p;
    *vlen = len;
    return true;
  }
  return false;
}

static bool content_length(const http_msg *m, size_t *n) {
  const uint8_t *v;
  size_t len;
  if (!header(m, "Content-Length:", &v, &len) || len == 0 || len > 12) return false;
  *n = 0;
  for (size_t i = 0; i < len; i++) {
    if (v[i] < '0' || v[i] > '9') return false;
    *n = *n * 10 + (size_t)(v[i] - '0');
  }
  return true;
}

/* Whether the answer holds all this module needs: the whole body, or its
 * title, or as much as it will ever look at. */
static bool enough(const scan_svc_io *io, const http_msg *m) {
  size_t cl;
  if (io->in_full || m->body_len >= BODY_LOOK) return true;
  if (content_length(m, &cl)) return m->body_len >= cl;
  if (m->status == 204 || m->status == 304 || (m->status >= 300 && m->status < 400)) return true;
  return scan_svc_find(m->body, m->body_len, "</title") != NULL ||
         scan_svc_find(m->body, m->body_len, "<body") != NULL;
}

/* ----------------------------------------------------------------- title */

typedef struct entity {
  const char *name;
  char c;
} entity;

static const entity entities[] = {
    {"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}, {"nbsp;", ' '},
};

/* A numeric reference's code point (&#233; &#xE9;), 0 when not one. */
static uint32_t numeric_ref(const uint8_t *p, size_t len, size_t *used) {
  size_t i = 1;
  uint32_t v = 0;
  bool hex = len > 1 && (p[1] == 'x' || p[1] == 'X');
  for (i += hex; i < len && i < 10 && p[i] != ';'; i++) {
    uint8_t c = p[i];
    uint32_t d;
    if (c >= '0' && c <= '9')
      d = (uint32_t)(c - '0');
    else if (hex && (c | 32) >= 'a' && (c | 32) <= 'f')
      d = (uint32_t)((c | 32) - 'a' + 10);
    else
      return 0;
    v = v * (hex ? 16 : 10) + d;
  }
  if (i >= len || p[i] != ';' || v == 0 || v > 0x10ffff || (v >= 0xd800 && v < 0xe000)) return 0;
  *used = i + 1;
  return v;
}

static size_t utf8(uint32_t v, uint8_t *out) {
  if (v < 0x80) return out[0] = (uint8_t)v, 1;
  if (v < 0x800) return out[0] = (uint8_t)(0xc0 | v >> 6), out[1] = (uint8_t)(0x80 | (v & 0x3f)), 2;
  if (v < 0x10000) {
    out[0] = (uint8_t)(0xe0 | v >> 12), out[1] = (uint8_t)(0x80 | ((v >> 6) & 0x3f));
    return out[2] = (uint8_t)(0x80 | (v & 0x3f)), 3;
  }
  out[0] = (uint8_t)(0xf0 | v >> 18), out[1] = (uint8_t)(0x80 | ((v >> 12) & 0x3f));
  out[2] = (uint8_t)(0x80 | ((v >> 6) & 0x3f)), out[3] = (uint8_t)(0x80 | (v & 0x3f));
  return 4;
}

/* Decode one "&...;" at p into out: \return bytes consumed, 0 if none. */
static size_t decode_ref(const uint8_t *p, size_t len, uint8_t *out, size_t *olen) {
  size_t used = 0;
  if (len > 2 && p[1] == '#') {
    uint32_t v = numeric_ref(p + 1, len - 1, &used);
    if (v == 0) return 0;
    *olen = utf8(v, out);
    return used + 1;
  }
  for (size_t i = 0; i < sizeof entities / sizeof entities[0]; i++) {
    size_t n = strlen(entities[i].name);
    if (len > n && memcmp(p + 1, entities[i].name, n) == 0) {
      out[0] = (uint8_t)entities[i].c;
      *olen = 1;
      return n + 1;
    }
  }
  return 0;
}

/* The title text, entities decoded, white space runs made one space,
 * kept to TITLE_MAX bytes. \return its length. */
static size_t clean_title(const uint8_t *p, size_t len, uint8_t *out) {
  size_t n = 0;
  bool space = true; /* drops leading white space */
  for (size_t i = 0; i < len && n + 4 <= TITLE_MAX;) {
    uint8_t buf[4];
    size_t blen = 1, used = p[i] == '&' ? decode_ref(p + i, len - i, buf, &blen) : 0;
    if (used == 0) buf[0] = p[i], used = 1;
    i += used;
    if (blen == 1 && (buf[0] == ' ' || buf[0] == '\t' || buf[0] == '\r' || buf[0] == '\n')) {
      if (!space) out[n++] = ' ';
      space = true;
      continue;
    }
    memcpy(out + n, buf, blen);
    n += blen;
    space = false;
  }
  while (n > 0 && out[n - 1] == ' ') n--;
  return n;
}

static bool title_fact(scan_svc_io *io, const http_msg *m) {
  size_t look = m->body_len < BODY_LOOK ? m->body_len : BODY_LOOK;
  const uint8_t *open = scan_svc_find(m->body, look, "<title"), *start, *end;
  uint8_t out[TITLE_MAX];
  if (open == NULL) return true;
  start = memchr(open, '>', look - (size_t)(open - m->body));
  if (start == NULL) return true;
  start++;
  end = scan_svc_find(start, look - (size_t)(start - m->body), "</title");
  if (end == NULL) end = m->body + look;
  size_t n = clean_title(start, (size_t)(end - start), out);
  return n == 0 || scan_svc_fact(io, "http.title", out, n);
}

/* ------------------------------------------------------------------ facts */

static bool redirect_facts(scan_svc_io *io, const http_msg *m) {
  const uint8_t *v;
  size_t len;
  if (!header(m, "Location:", &v, &len)) return true;
  bool moved = m->status == 301 || m->status == 302 || m->status == 307 || m->status == 308;
  bool https = len >= 8 && scan_svc_find(v, 8, "https://") == v;
  return scan_svc_fact(io, "http.location", v, len) &&
         (!moved || scan_svc_fact_str(io, "http.redirect_https", https ? "true" : "false"));
}

/* Elasticsearch's banner: {"name":..., "cluster_name":..., "version":
 * {"number":"8.11.1", ...}, "tagline":"You Know, for Search"}. */
static bool elastic(scan_svc_io *io, const http_msg *m, bool *found) {
  size_t look = m->body_len < BODY_LOOK ? m->body_len : BODY_LOOK;
  const uint8_t *v, *num, *q, *end = m->body + look;
  size_t len;
  bool header_says = header(m, "X-elastic-product:", &v, &len);
  *found = header_says || (scan_svc_find(m->body, look, "\"cluster_name\"") != NULL &&
                           scan_svc_find(m->body, look, "\"version\"") != NULL);
  if (!*found) return true;
  if (!scan_svc_identify(io, "elasticsearch", true) ||
      !scan_svc_fact_str(io, "product", "Elasticsearch"))
    return false;
  num = scan_svc_find(m->body, look, "\"number\"");
  if (num == NULL) return true;
  num = memchr(num + 8, '"', (size_t)(end - num - 8));
  q = num ? memchr(num + 1, '"', (size_t)(end - num - 1)) : NULL;
  return q == NULL || q - num > 64 || scan_svc_fact(io, "version", num + 1, (size_t)(q - num - 1));
}

/* WinRM's listener: 405 or 401 on /wsman from Microsoft-HTTPAPI. */
static bool winrm(scan_svc_io *io, const http_msg *m, const uint8_t *server, size_t slen) {
  if (!winrm_port(io->port) || (m->status != 405 && m->status != 401) ||
      scan_svc_find(server, slen, "Microsoft-HTTPAPI") == NULL) {
    return true;
  }
  return scan_svc_identify(io, "winrm", true); /* product stays Microsoft-HTTPAPI, as served */
}

static bool facts(scan_svc_io *io, const http_msg *m) {
  char code[4] = {(char)('0' + m->status / 100 % 10), (char)('0' + m->status / 10 % 10),
                  (char)('0' + m->status % 10), '\0'};
  const uint8_t *server = NULL;
  size_t slen = 0;
  bool es;
  if (!scan_svc_identify(io, "http", true) || !scan_svc_fact_str(io, "http.status", code))
    return false;
  if (header(m, "Server:", &server, &slen) && (!scan_svc_fact(io, "http.server", server, slen) ||
                                               !scan_svc_product_token(io, server, slen)))
    return false;
  return redirect_facts(io, m) && title_fact(io, m) && elastic(io, m, &es) &&
         (es || winrm(io, m, server, slen));
}

static scan_svc_verdict http_step(scan_svc_io *io) {
  scan_rd r;
  http_msg m = {0};
  scan_rd_init(&r, io->in, io->in_len);
  scan_rd_status st = status_line(&r, &m.status);
  if (st == SCAN_RD_OK) st = headers(&r, &m);
  if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, m.status != 0);
  if (!enough(io, &m)) return SCAN_SVC_MORE;
  return scan_svc_end(facts(io, &m), SCAN_SVC_DONE);
}

static const uint16_t http_ports[] = {80, 443, 8080, 8000, 8008, 8443, 8888, 5985, 5986, 9200, 0};

const scan_svc_module scan_svc_http = {
    .name = "http",
    .ports = http_ports,
    .server_first = false,
    .state_size = 0,
    .start = http_start,
    .step = http_step,
};
