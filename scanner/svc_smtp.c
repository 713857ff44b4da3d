/* vigie scanner — SMTP: the 220 greeting and the EHLO answer (RFC 5321):
 * extensions, STARTTLS (RFC 3207), AUTH methods (RFC 4954).
 */
#include "scanner/scan_int.h"

#define REPLY_MAX 8192u

typedef struct smtp_state {
  bool greeted;
} smtp_state;

static const scan_svc_product products[] = {
    {"Postfix", "Postfix"},
    {"Exim", "Exim"},
    {"Microsoft ESMTP MAIL Service", "Microsoft Exchange"},
    {"Sendmail", "Sendmail"},
    {"OpenSMTPD", "OpenSMTPD"},
    {"Haraka", "Haraka"},
    {"qmail", "qmail"},
};

static scan_svc_verdict smtp_start(scan_svc_io *io) {
  io->out_len = 0;
  return SCAN_SVC_MORE;
}

static scan_svc_verdict greeting(scan_svc_io *io, smtp_state *s, const scan_svc_reply *rep) {
  /* An FTP server greets with 220 too, and usually says so. */
  if ((rep->code != 220 && rep->code != 554) ||
      scan_svc_find(rep->start, rep->len, "FTP") != NULL ||
      scan_svc_find(rep->start, rep->len, "FileZilla") != NULL ||
      (rep->code == 554 && scan_svc_find(rep->start, rep->len, "SMTP") == NULL)) {
    return SCAN_SVC_NOT_MINE;
  }
  bool ok = scan_svc_identify(io, "smtp", false) && scan_svc_banner(io, rep->start, rep->len) &&
            scan_svc_product_from(io, rep->start, rep->len, products,
                                  sizeof products / sizeof products[0]);
  if (!ok) return SCAN_SVC_ERROR;
  /* 554 instead of 220: the server refuses this client (RFC 5321 3.1). */
  if (rep->code == 554)
    return scan_svc_end(scan_svc_fact_str(io, "smtp.refused", "true"), SCAN_SVC_DONE);
  s->greeted = true;
  return scan_svc_send_str(io, "EHLO vigie.invalid\r\n");
}

/* One extension line: "STARTTLS", "AUTH PLAIN LOGIN", "SIZE 10240000". */
static bool extension(scan_svc_io *io, const uint8_t *p, size_t len) {
  if (!scan_svc_fact(io, "smtp.extensions", p, len)) return false;
  if (len == 8 && scan_svc_find(p, len, "STARTTLS") == p)
    return scan_svc_fact_str(io, "starttls", "offered");
  /* "AUTH=LOGIN" is the pre-standard spelling some servers still add. */
  if (len > 5 && scan_svc_find(p, 5, "AUTH ") == p)
    return scan_svc_fact_list(io, "smtp.auth", p + 5, len - 5, ' ');
  return true;
}

static scan_svc_verdict ehlo(scan_svc_io *io, const scan_svc_reply *rep) {
  const uint8_t *p;
  size_t len;
  bool ok = scan_svc_identify(io, "smtp", true);
  if (rep->code == 250)
    for (size_t i = 1; ok && scan_svc_reply_line(rep, i, &p, &len); i++) ok = extension(io, p, len);
  return scan_svc_end(ok, SCAN_SVC_DONE);
}

static scan_svc_verdict smtp_step(scan_svc_io *io) {
  smtp_state *s = io->state;
  scan_svc_reply rep;
  scan_rd r;
  scan_rd_init(&r, io->in, io->in_len);
  scan_rd_status st = scan_svc_reply_read(&r, REPLY_MAX, &rep);
  if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, s->greeted);
  return s->greeted ? ehlo(io, &rep) : greeting(io, s, &rep);
}

static const uint16_t smtp_ports[] = {25, 587, 2525, 0};

const scan_svc_module scan_svc_smtp = {
    .name = "smtp",
    .ports = smtp_ports,
    .server_first = true,
    .state_size = sizeof(smtp_state),
    .start = smtp_start,
    .step = smtp_step,
};
