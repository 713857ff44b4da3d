/* STARTTLS preambles: the plain-text exchange that turns an SMTP, IMAP,
 * POP3, FTP, LDAP or PostgreSQL connection into TLS. Push parsers in the
 * manner of masscan's proto-*.c: they accept any fragment, keep at most one
 * line (or one LDAP message) and never trust a length from the wire beyond
 * their own bounds. The socket and the deadline belong to the caller. */
#include <string.h>
#include <strings.h>

#include "scanner/scan_int.h"

static const char *const starttls_names[] = {
    [SCAN_STARTTLS_NONE] = "none",
    [SCAN_STARTTLS_SMTP] = "smtp",
    [SCAN_STARTTLS_IMAP] = "imap",
    [SCAN_STARTTLS_POP3] = "pop3",
    [SCAN_STARTTLS_FTP] = "ftp",
    [SCAN_STARTTLS_LDAP] = "ldap",
    [SCAN_STARTTLS_POSTGRESQL] = "postgresql",
};
#define STARTTLS_KINDS (sizeof starttls_names / sizeof starttls_names[0])

bool scan_starttls_from_name(const char *name, scan_starttls *out) {
  for (size_t i = 0; name != NULL && i < STARTTLS_KINDS; i++) {
    if (strcmp(name, starttls_names[i]) == 0) {
      *out = (scan_starttls)i;
      return true;
    }
  }
  return false;
}

const char *scan_starttls_name(scan_starttls kind) {
  return (size_t)kind < STARTTLS_KINDS ? starttls_names[kind] : "unknown";
}

static scan_starttls_step send_text(scan_starttls_state *st, const char *text) {
  st->out_len = strlen(text);
  memcpy(st->out, text, st->out_len);
  st->phase++;
  return SCAN_STARTTLS_SEND;
}

/* LDAP ExtendedRequest, messageID 1, requestName 1.3.6.1.4.1.1466.20037
 * (RFC 4511 section 4.14.1): SEQUENCE { INTEGER 1, [APPLICATION 23] {
 * [0] "1.3.6.1.4.1.1466.20037" } }. */
static const uint8_t ldap_starttls_request[] = {
    0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16, '1', '.', '3', '.', '6', '.', '1',
    '.',  '4',  '.',  '1',  '.',  '1',  '4',  '6',  '6',  '.', '2', '0', '0', '3', '7'};

/* PostgreSQL SSLRequest: length 8, code 80877103 (protocol section 55.2.10). */
static const uint8_t pg_ssl_request[] = {0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f};

scan_starttls_step scan_starttls_begin(scan_starttls_state *st, scan_starttls kind) {
  memset(st, 0, sizeof *st);
  st->kind = kind;
  if (kind == SCAN_STARTTLS_LDAP || kind == SCAN_STARTTLS_POSTGRESQL) {
    const uint8_t *req = kind == SCAN_STARTTLS_LDAP ? ldap_starttls_request : pg_ssl_request;
    st->out_len = kind == SCAN_STARTTLS_LDAP ? sizeof ldap_starttls_request : sizeof pg_ssl_request;
    memcpy(st->out, req, st->out_len);
    st->phase = 1;
    return SCAN_STARTTLS_SEND;
  }
  if (kind == SCAN_STARTTLS_NONE || (size_t)kind >= STARTTLS_KINDS) {
    st->done = true;
    return SCAN_STARTTLS_BROKEN;
  }
  return SCAN_STARTTLS_MORE;
}

/* ------------------------------------------------ reply codes: SMTP, FTP */

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* One line of a reply in the "ddd-" ... "ddd " form (RFC 5321 4.2, RFC 959
 * 4.2: FTP's middle lines may be any text). \return false when the line
 * cannot belong to such a reply; *final set when it ends one, with code. */
static bool reply_line(scan_starttls_state *st, bool free_middle, bool *final, int *code) {
  const char *l = st->line;
  bool coded = st->line_len >= 3 && is_digit(l[0]) && is_digit(l[1]) && is_digit(l[2]);
  char sep = st->line_len > 3 ? l[3] : ' ';
  *final = false;
  if (st->multi && !(coded && memcmp(l, st->code, 3) == 0)) return free_middle;
  if (!coded || (sep != ' ' && sep != '-')) return st->multi && free_middle;
  if (sep == '-') {
    st->multi = true;
    memcpy(st->code, l, 3);
    return true;
  }
  st->multi = false;
  *final = true;
  *code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
  return true;
}

static scan_starttls_step coded_reply(scan_starttls_state *st) {
  bool ftp = st->kind == SCAN_STARTTLS_FTP, final;
  int code = 0;
  if (!reply_line(st, ftp, &final, &code)) return SCAN_STARTTLS_BROKEN;
  if (!final) return SCAN_STARTTLS_MORE;
  st->lines = 0;
  /* Greeting 220 everywhere; then SMTP's EHLO wants 250, then 220 to
   * STARTTLS; FTP's AUTH TLS wants 234 (RFC 4217 section 4). */
  static const int smtp_want[] = {220, 250, 220}, ftp_want[] = {220, 234};
  const int *want = ftp ? ftp_want : smtp_want;
  unsigned last = ftp ? 1u : 2u;
  if (code != want[st->phase]) return SCAN_STARTTLS_REFUSED;
  if (st->phase == last) return SCAN_STARTTLS_READY;
  if (ftp) return send_text(st, "AUTH TLS\r\n");
  return send_text(st, st->phase == 0 ? "EHLO vigie.invalid\r\n" : "STARTTLS\r\n");
}

/* ------------------------------------------------ status lines: IMAP, POP3 */

static bool starts_with(const scan_starttls_state *st, const char *prefix) {
  size_t n = strlen(prefix);
  return st->line_len >= n && strncasecmp(st->line, prefix, n) == 0;
}

/* IMAP (RFC 9051 6.2.1): the greeting "* OK" (or PREAUTH, where STARTTLS
 * is then refused by the server), then untagged lines until our tag. */
static scan_starttls_step imap_line(scan_starttls_state *st) {
  if (st->phase == 0) {
    if (starts_with(st, "* OK") || starts_with(st, "* PREAUTH"))
      return send_text(st, "a1 STARTTLS\r\n");
    return starts_with(st, "* BYE") ? SCAN_STARTTLS_REFUSED : SCAN_STARTTLS_BROKEN;
  }
  if (starts_with(st, "* ")) return SCAN_STARTTLS_MORE;
  if (starts_with(st, "a1 OK")) return SCAN_STARTTLS_READY;
  if (starts_with(st, "a1 NO") || starts_with(st, "a1 BAD")) return SCAN_STARTTLS_REFUSED;
  return SCAN_STARTTLS_BROKEN;
}

/* POP3 (RFC 2595 section 4): +OK greeting, STLS, +OK. */
static scan_starttls_step pop3_line(scan_starttls_state *st) {
  if (starts_with(st, "-ERR")) return SCAN_STARTTLS_REFUSED;
  if (!starts_with(st, "+OK")) return SCAN_STARTTLS_BROKEN;
  return st->phase == 0 ? send_text(st, "STLS\r\n") : SCAN_STARTTLS_READY;
}

static scan_starttls_step text_line(scan_starttls_state *st) {
  if (++st->lines > SCAN_STARTTLS_LINES_MAX) return SCAN_STARTTLS_BROKEN;
  switch (st->kind) {
    case SCAN_STARTTLS_SMTP:
    case SCAN_STARTTLS_FTP: return coded_reply(st);
    case SCAN_STARTTLS_IMAP: return imap_line(st);
    case SCAN_STARTTLS_POP3: return pop3_line(st);
    case SCAN_STARTTLS_NONE:
    case SCAN_STARTTLS_LDAP:
    case SCAN_STARTTLS_POSTGRESQL: break;
  }
  return SCAN_STARTTLS_BROKEN;
}

/* One byte of a line protocol: lines end at LF, a CR before it dropped. */
static scan_starttls_step text_byte(scan_starttls_state *st, uint8_t b) {
  if (b != '\n') {
    if (st->line_len == sizeof st->line) return SCAN_STARTTLS_BROKEN;
    st->line[st->line_len++] = (char)b;
    return SCAN_STARTTLS_MORE;
  }
  if (st->line_len > 0 && st->line[st->line_len - 1] == '\r') st->line_len--;
  scan_starttls_step step = text_line(st);
  st->line_len = 0;
  return step;
}

/* ------------------------------------------------------------------ LDAP */

/* A BER length at p (definite forms only, at most 4 length bytes).
 * \return bytes the length took, 0 when more are needed, -1 when invalid. */
static int ber_length(const uint8_t *p, size_t avail, size_t *len) {
  if (avail == 0) return 0;
  if (p[0] < 0x80) {
    *len = p[0];
    return 1;
  }
  size_t n = p[0] & 0x7fu;
  if (n == 0 || n > 4) return -1;
  if (avail < 1 + n) return 0;
  size_t v = 0;
  for (size_t i = 1; i <= n; i++) v = (v << 8) | p[i];
  *len = v;
  return (int)(1 + n);
}

/* A TLV inside [*pos, end): its tag must be tag; on success *pos moves to
 * its content and *clen is the content's length, within end. */
static bool ber_enter(const uint8_t *m, size_t end, size_t *pos, uint8_t tag, size_t *clen) {
  if (*pos >= end || m[*pos] != tag) return false;
  int n = ber_length(m + *pos + 1, end - *pos - 1, clen);
  if (n <= 0) return false;
  *pos += 1 + (size_t)n;
  return *clen <= end - *pos;
}

/* A whole LDAPMessage is in st->msg: an ExtendedResponse to message 1
 * whose resultCode is success (0) means TLS starts now. A notice of
 * disconnection (message 0) or any other code is a refusal. */
static scan_starttls_step ldap_verdict(const scan_starttls_state *st, size_t end) {
  const uint8_t *m = st->msg;
  size_t pos = 0, len, id_len, op_len, rc_len;
  if (!ber_enter(m, end, &pos, 0x30, &len)) return SCAN_STARTTLS_BROKEN;
  if (!ber_enter(m, end, &pos, 0x02, &id_len) || id_len != 1) return SCAN_STARTTLS_BROKEN;
  uint8_t id = m[pos];
  pos += id_len;
  if (!ber_enter(m, end, &pos, 0x78, &op_len)) return SCAN_STARTTLS_BROKEN;
  if (!ber_enter(m, end, &pos, 0x0a, &rc_len) || rc_len < 1 || rc_len > 4)
    return SCAN_STARTTLS_BROKEN;
  if (id == 0) return SCAN_STARTTLS_REFUSED;
  if (id != 1) return SCAN_STARTTLS_BROKEN;
  for (size_t i = 0; i < rc_len; i++)
    if (m[pos + i] != 0) return SCAN_STARTTLS_REFUSED;
  return SCAN_STARTTLS_READY;
}

static scan_starttls_step ldap_byte(scan_starttls_state *st, uint8_t b) {
  if (st->msg_len == sizeof st->msg) return SCAN_STARTTLS_BROKEN;
  st->msg[st->msg_len++] = b;
  if (st->msg[0] != 0x30) return SCAN_STARTTLS_BROKEN;
  size_t body;
  int n = ber_length(st->msg + 1, st->msg_len - 1, &body);
  if (n < 0 || (n > 0 && body > sizeof st->msg)) return SCAN_STARTTLS_BROKEN;
  if (n == 0 || st->msg_len < 1 + (size_t)n + body) return SCAN_STARTTLS_MORE;
  return ldap_verdict(st, st->msg_len);
}

/* PostgreSQL answers one byte: 'S' to go on in TLS, 'N' for no, and a
 * server older than 7.0 an ErrorResponse 'E'. */
static scan_starttls_step pg_byte(uint8_t b) {
  if (b == 'S') return SCAN_STARTTLS_READY;
  if (b == 'N' || b == 'E') return SCAN_STARTTLS_REFUSED;
  return SCAN_STARTTLS_BROKEN;
}

scan_starttls_step scan_starttls_feed(scan_starttls_state *st, const uint8_t *in, size_t len,
                                      size_t *used) {
  *used = 0;
  if (st->done) return SCAN_STARTTLS_BROKEN;
  scan_starttls_step step = SCAN_STARTTLS_MORE;
  while (*used < len && step == SCAN_STARTTLS_MORE) {
    uint8_t b = in[(*used)++];
    if (st->kind == SCAN_STARTTLS_LDAP)
      step = ldap_byte(st, b);
    else if (st->kind == SCAN_STARTTLS_POSTGRESQL)
      step = pg_byte(b);
    else
      step = text_byte(st, b);
  }
  if (step == SCAN_STARTTLS_READY || step == SCAN_STARTTLS_REFUSED || step == SCAN_STARTTLS_BROKEN)
    st->done = true;
  return step;
}
