/* vigie scanner — FTP: the 220 greeting, FEAT (RFC 2389) for AUTH TLS
 * (RFC 4217), and with --intrusive an anonymous login (RFC 1635).
 */
#include "scanner/scan_int.h"

#define REPLY_MAX 8192u

enum ftp_phase { FTP_GREETING = 0, FTP_FEAT, FTP_USER, FTP_PASS };

typedef struct ftp_state {
  int phase; /* enum ftp_phase */
} ftp_state;

static const scan_svc_product products[] = {
    {"vsFTPd", "vsftpd"},
    {"ProFTPD", "ProFTPD"},
    {"FileZilla Server", "FileZilla Server"},
    {"Pure-FTPd", "Pure-FTPd"},
    {"Microsoft FTP Service", "Microsoft IIS FTP"},
    {"wu-", "wu-ftpd"},
    {"Serv-U", "Serv-U"},
};

static scan_svc_verdict ftp_start(scan_svc_io *io) {
  io->out_len = 0;
  return SCAN_SVC_MORE;
}

static bool greeting_facts(scan_svc_io *io, const scan_svc_reply *rep) {
  return scan_svc_identify(io, "ftp", false) && scan_svc_banner(io, rep->start, rep->len) &&
         scan_svc_product_from(io, rep->start, rep->len, products,
                               sizeof products / sizeof products[0]);
}

static scan_svc_verdict greeting(scan_svc_io *io, ftp_state *s, const scan_svc_reply *rep) {
  /* A mail server greets with 220 too; its text names it. */
  if (rep->code != 220 || scan_svc_find(rep->start, rep->len, "SMTP") != NULL)
    return SCAN_SVC_NOT_MINE;
  if (!greeting_facts(io, rep)) return SCAN_SVC_ERROR;
  s->phase = FTP_FEAT;
  return scan_svc_send_str(io, "FEAT\r\n");
}

/* 211 lists one feature a line between its first and last lines; a server
 * without FEAT says 500 or 502, which is FTP all the same. */
static bool feat_facts(scan_svc_io *io, const scan_svc_reply *rep) {
  const uint8_t *p;
  size_t len;
  bool tls = false, ok = scan_svc_identify(io, "ftp", true);
  for (size_t i = 1; rep->code == 211 && ok && scan_svc_reply_line(rep, i + 1, &p, &len); i++) {
    if (!scan_svc_reply_line(rep, i, &p, &len)) break;
    ok = scan_svc_fact_list(io, "ftp.features", p, len, '\n');
    tls |= len >= 8 && scan_svc_find(p, len, "AUTH TLS") != NULL;
  }
  return ok && (!tls || scan_svc_fact_str(io, "starttls", "offered"));
}

static scan_svc_verdict feat(scan_svc_io *io, ftp_state *s, const scan_svc_reply *rep) {
  if (rep->code != 211 && rep->code / 100 != 5) return SCAN_SVC_ERROR;
  if (!feat_facts(io, rep)) return SCAN_SVC_ERROR;
  if (!io->intrusive) return SCAN_SVC_DONE;
  s->phase = FTP_USER;
  return scan_svc_send_str(io, "USER anonymous\r\n");
}

/* 230 at once or after the password: in; 331 asks for the password
 * (an address, RFC 1635); anything else: refused. */
static scan_svc_verdict login(scan_svc_io *io, ftp_state *s, const scan_svc_reply *rep) {
  if (rep->code == 331 && s->phase == FTP_USER) {
    s->phase = FTP_PASS;
    return scan_svc_send_str(io, "PASS vigie@example.invalid\r\n");
  }
  return scan_svc_end(scan_svc_fact_str(io, "ftp.anonymous", rep->code == 230 ? "true" : "false"),
                      SCAN_SVC_DONE);
}

static scan_svc_verdict ftp_step(scan_svc_io *io) {
  ftp_state *s = io->state;
  scan_svc_reply rep;
  scan_rd r;
  scan_rd_init(&r, io->in, io->in_len);
  scan_rd_status st = scan_svc_reply_read(&r, REPLY_MAX, &rep);
  if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, s->phase != FTP_GREETING);
  switch ((enum ftp_phase)s->phase) {
    case FTP_GREETING: return greeting(io, s, &rep);
    case FTP_FEAT: return feat(io, s, &rep);
    case FTP_USER:
    case FTP_PASS: return login(io, s, &rep);
  }
  return SCAN_SVC_ERROR;
}

static const uint16_t ftp_ports[] = {21, 2121, 0};

const scan_svc_module scan_svc_ftp = {
    .name = "ftp",
    .ports = ftp_ports,
    .server_first = true,
    .state_size = sizeof(ftp_state),
    .start = ftp_start,
    .step = ftp_step,
};
