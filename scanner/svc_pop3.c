/* vigie scanner — POP3: the +OK greeting (RFC 1939) and CAPA (RFC 2449):
 * STLS (RFC 2595), SASL mechanisms.
 */
#include <string.h>

#include "scanner/scan_int.h"

#define LINE_MAX_ 4096u

typedef struct pop3_state {
  bool greeted;
} pop3_state;

static const scan_svc_product products[] = {
    {"Dovecot", "Dovecot"},
    {"Cyrus", "Cyrus POP3"},
    {"Microsoft Exchange", "Microsoft Exchange"},
    {"Courier", "Courier-POP3"},
    {"Qpopper", "Qpopper"},
};

static scan_svc_verdict pop3_start(scan_svc_io *io) {
  io->out_len = 0;
  return SCAN_SVC_MORE;
}

static scan_svc_verdict greeting(scan_svc_io *io, pop3_state *s) {
  scan_rd r;
  const uint8_t *p;
  size_t len;
  scan_rd_init(&r, io->in, io->in_len);
  scan_rd_status st = scan_rd_expect(&r, "+OK", 3);
  if (st == SCAN_RD_OK) st = scan_rd_line(&r, LINE_MAX_, &p, &len);
  if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, false);
  if (len > 3 && p[3] != ' ') return SCAN_SVC_NOT_MINE;
  if (!scan_svc_identify(io, "pop3", false) || !scan_svc_banner(io, p, len) ||
      !scan_svc_product_from(io, p, len, products, sizeof products / sizeof products[0]))
    return SCAN_SVC_ERROR;
  s->greeted = true;
  return scan_svc_send_str(io, "CAPA\r\n");
}

static bool capa_line(scan_svc_io *io, const uint8_t *p, size_t len) {
  if (!scan_svc_fact(io, "pop3.capabilities", p, len)) return false;
  if (len == 4 && memcmp(p, "STLS", 4) == 0) return scan_svc_fact_str(io, "starttls", "offered");
  if (len > 5 && memcmp(p, "SASL ", 5) == 0)
    return scan_svc_fact_list(io, "pop3.auth", p + 5, len - 5, ' ');
  return true;
}

/* "+OK" then one capability a line up to "."; "-ERR": no CAPA, still POP3. */
static scan_svc_verdict capa(scan_svc_io *io) {
  scan_rd r;
  const uint8_t *p;
  size_t len;
  scan_rd_init(&r, io->in, io->in_len);
  scan_rd_status st = scan_rd_line(&r, LINE_MAX_, &p, &len);
  if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, true);
  if (len >= 4 && memcmp(p, "-ERR", 4) == 0)
    return scan_svc_end(scan_svc_identify(io, "pop3", true), SCAN_SVC_DONE);
  if (len < 3 || memcmp(p, "+OK", 3) != 0) return SCAN_SVC_ERROR;
  size_t body = r.off;
  do {
    st = scan_rd_line(&r, LINE_MAX_, &p, &len);
    if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, true);
  } while (!(len == 1 && p[0] == '.'));
  bool ok = scan_svc_identify(io, "pop3", true);
  r.off = body;
  while (ok && scan_rd_line(&r, LINE_MAX_, &p, &len) == SCAN_RD_OK && !(len == 1 && p[0] == '.'))
    ok = capa_line(io, p, len);
  return scan_svc_end(ok, SCAN_SVC_DONE);
}

static scan_svc_verdict pop3_step(scan_svc_io *io) {
  pop3_state *s = io->state;
  return s->greeted ? capa(io) : greeting(io, s);
}

static const uint16_t pop3_ports[] = {110, 0};

const scan_svc_module scan_svc_pop3 = {
    .name = "pop3",
    .ports = pop3_ports,
    .server_first = true,
    .state_size = sizeof(pop3_state),
    .start = pop3_start,
    .step = pop3_step,
};
