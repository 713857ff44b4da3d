/* vigie scanner — IMAP: the greeting (RFC 9051 7.1) and CAPABILITY:
 * STARTTLS, LOGINDISABLED, AUTH= mechanisms.
 */
#include <string.h>

#include "scanner/scan_int.h"

#define LINE_MAX_ 8192u
#define TAG "v1 "

typedef struct imap_state {
  bool greeted;
} imap_state;

static const scan_svc_product products[] = {
    {"Dovecot", "Dovecot"},
    {"Cyrus IMAP", "Cyrus IMAP"},
    {"Microsoft Exchange", "Microsoft Exchange"},
    {"Courier-IMAP", "Courier-IMAP"},
    {"Zimbra", "Zimbra"},
};

static scan_svc_verdict imap_start(scan_svc_io *io) {
  io->out_len = 0;
  return SCAN_SVC_MORE;
}

/* Every word of a capability list ("IMAP4rev1 STARTTLS AUTH=PLAIN"). */
static bool capabilities(scan_svc_io *io, const uint8_t *p, size_t len) {
  size_t i = 0;
  while (i < len) {
    size_t start = i;
    while (i < len && p[i] != ' ' && p[i] != ']') i++;
    size_t n = i - start;
    if (n > 0 && !scan_svc_fact(io, "imap.capabilities", p + start, n)) return false;
    if (n == 8 && scan_svc_find(p + start, n, "STARTTLS") &&
        !scan_svc_fact_str(io, "starttls", "offered"))
      return false;
    if (n > 5 && scan_svc_find(p + start, 5, "AUTH=") &&
        !scan_svc_fact(io, "imap.auth", p + start + 5, n - 5))
      return false;
    if (i < len && p[i] == ']') break;
    i++;
  }
  return true;
}

static scan_svc_verdict greeting(scan_svc_io *io, imap_state *s) {
  scan_rd r;
  const uint8_t *p;
  size_t len;
  scan_rd_init(&r, io->in, io->in_len);
  scan_rd_status st = scan_rd_expect(&r, "* ", 2);
  if (st == SCAN_RD_OK) st = scan_rd_line(&r, LINE_MAX_, &p, &len);
  if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, false);
  bool ok =
      len >= 4 && (memcmp(p + 2, "OK", 2) == 0 || (len >= 9 && memcmp(p + 2, "PREAUTH", 7) == 0) ||
                   (len >= 5 && memcmp(p + 2, "BYE", 3) == 0));
  if (!ok) return SCAN_SVC_NOT_MINE;
  if (!scan_svc_identify(io, "imap", false) || !scan_svc_banner(io, p, len) ||
      !scan_svc_product_from(io, p, len, products, sizeof products / sizeof products[0]))
    return SCAN_SVC_ERROR;
  if (memcmp(p + 2, "BYE", 3) == 0) return SCAN_SVC_DONE;
  s->greeted = true;
  return scan_svc_send_str(io, TAG "CAPABILITY\r\n");
}

/* Untagged lines up to our tag's completion. */
static scan_svc_verdict capability(scan_svc_io *io) {
  scan_rd r;
  const uint8_t *p;
  size_t len;
  scan_rd_init(&r, io->in, io->in_len);
  for (;;) { /* the whole answer first: facts are written once */
    scan_rd_status st = scan_rd_line(&r, LINE_MAX_, &p, &len);
    if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, true);
    if (len >= 3 && memcmp(p, TAG, 3) == 0) break;
    if (len < 2 || p[0] != '*') return SCAN_SVC_ERROR;
  }
  bool ok = scan_svc_identify(io, "imap", true);
  scan_rd_init(&r, io->in, io->in_len);
  while (ok && scan_rd_line(&r, LINE_MAX_, &p, &len) == SCAN_RD_OK && p[0] == '*')
    if (len > 13 && memcmp(p, "* CAPABILITY ", 13) == 0) ok = capabilities(io, p + 13, len - 13);
  return scan_svc_end(ok, SCAN_SVC_DONE);
}

static scan_svc_verdict imap_step(scan_svc_io *io) {
  imap_state *s = io->state;
  return s->greeted ? capability(io) : greeting(io, s);
}

static const uint16_t imap_ports[] = {143, 0};

const scan_svc_module scan_svc_imap = {
    .name = "imap",
    .ports = imap_ports,
    .server_first = true,
    .state_size = sizeof(imap_state),
    .start = imap_start,
    .step = imap_step,
};
