/* vigie scanner — Telnet: the option negotiation a telnetd opens with
 * (RFC 854: IAC DO/WILL...), refused option by option so that the server
 * goes on to its login prompt, whose text becomes the banner.
 */
#include <string.h>

#include "scanner/scan_int.h"

#define IAC 255u
#define DONT 254u
#define DO 253u
#define WONT 252u
#define WILL 251u
#define SB 250u
#define SE 240u
#define ROUNDS 3 /* negotiation rounds before the prompt must show */
#define TEXT_MAX 2048u

typedef struct telnet_state {
  int round;
} telnet_state;

/* What a read of the step's bytes found: the commands, the text between. */
typedef struct telnet_read {
  size_t commands; /* IAC sequences */
  uint8_t text[TEXT_MAX];
  size_t text_len;
} telnet_read;

static scan_svc_verdict telnet_start(scan_svc_io *io) {
  io->out_len = 0;
  return SCAN_SVC_MORE;
}

/* One IAC sequence at r (IAC already read): SHORT when cut, BAD when no
 * such command. Refusals of WILL/DO go to w. */
static scan_rd_status command(scan_rd *r, scan_wr *w) {
  uint8_t cmd, opt;
  scan_rd_status st = scan_rd_u8(r, &cmd);
  if (st != SCAN_RD_OK) return st;
  if (cmd >= WILL && cmd <= DONT) {
    if ((st = scan_rd_u8(r, &opt)) != SCAN_RD_OK) return st;
    /* Refuse everything: WILL -> DONT, DO -> WONT; WONT/DONT need no answer. */
    if (cmd == WILL || cmd == DO) {
      scan_wr_u8(w, IAC);
      scan_wr_u8(w, cmd == WILL ? DONT : WONT);
      scan_wr_u8(w, opt);
    }
    return SCAN_RD_OK;
  }
  if (cmd == SB) { /* sub-negotiation up to IAC SE; IAC IAC is a data byte */
    uint8_t c, prev = 0;
    for (size_t n = 0; n < TEXT_MAX; n++) {
      if ((st = scan_rd_u8(r, &c)) != SCAN_RD_OK) return st;
      if (prev == IAC && c == SE) return SCAN_RD_OK;
      prev = prev == IAC && c == IAC ? 0 : c;
    }
    return SCAN_RD_BAD;
  }
  return cmd >= SE ? SCAN_RD_OK : SCAN_RD_BAD; /* NOP, GA, IAC IAC... */
}

static scan_rd_status read_all(const scan_svc_io *io, telnet_read *t, scan_wr *w) {
  scan_rd r;
  uint8_t c;
  scan_rd_init(&r, io->in, io->in_len);
  t->commands = t->text_len = 0;
  while (scan_rd_u8(&r, &c) == SCAN_RD_OK) {
    if (c != IAC) {
      if (c != 0 && t->text_len < TEXT_MAX) t->text[t->text_len++] = c;
      continue;
    }
    scan_rd_status st = command(&r, w);
    if (st != SCAN_RD_OK) return st;
    t->commands++;
  }
  return SCAN_RD_OK;
}

/* A prompt ends the text: "login: ", "Username:", "Password:", "> ", "# ". */
static bool prompt(const telnet_read *t) {
  size_t n = t->text_len;
  while (n > 0 && (t->text[n - 1] == ' ' || t->text[n - 1] == '\r' || t->text[n - 1] == '\n')) n--;
  return n > 0 && (t->text[n - 1] == ':' || t->text[n - 1] == '>' || t->text[n - 1] == '#' ||
                   t->text[n - 1] == '$');
}

static bool facts(scan_svc_io *io, telnet_read *t) {
  /* Trailing white space cut: whether the space after "login:" came in
   * time or not must not change the banner. */
  while (t->text_len > 0 && (t->text[t->text_len - 1] == ' ' || t->text[t->text_len - 1] == '\r' ||
                             t->text[t->text_len - 1] == '\n'))
    t->text_len--;
  bool login = scan_svc_find(t->text, t->text_len, "login") != NULL ||
               scan_svc_find(t->text, t->text_len, "username") != NULL ||
               scan_svc_find(t->text, t->text_len, "password") != NULL;
  return scan_svc_identify(io, "telnet", true) &&
         (t->text_len == 0 || scan_svc_banner(io, t->text, t->text_len)) &&
         (!login || scan_svc_fact_str(io, "telnet.login_prompt", "true"));
}

static scan_svc_verdict telnet_step(scan_svc_io *io) {
  telnet_state *s = io->state;
  telnet_read t;
  scan_wr w;
  scan_svc_out(io, &w);
  /* The first byte tells: a telnetd negotiates before it says anything. */
  if (s->round == 0 && io->in_len > 0 && io->in[0] != IAC) return SCAN_SVC_NOT_MINE;
  scan_rd_status st = read_all(io, &t, &w);
  if (st == SCAN_RD_BAD || (st == SCAN_RD_SHORT && io->in_full))
    return s->round == 0 ? SCAN_SVC_NOT_MINE : SCAN_SVC_ERROR;
  if (st == SCAN_RD_SHORT || (t.commands == 0 && t.text_len == 0 && !io->in_full))
    return SCAN_SVC_MORE;
  if (s->round == 0 && t.commands == 0) return SCAN_SVC_NOT_MINE;
  if (prompt(&t) || io->in_full || t.text_len >= TEXT_MAX)
    return scan_svc_end(facts(io, &t), SCAN_SVC_DONE);
  /* Refuse what was asked, a few rounds at most; then wait for the prompt
   * (the engine's timeout ends a server that never shows one). */
  if (w.len == 0 || s->round >= ROUNDS) return SCAN_SVC_MORE;
  s->round++;
  return scan_svc_send(io, &w);
}

static const uint16_t telnet_ports[] = {23, 2323, 0};

const scan_svc_module scan_svc_telnet = {
    .name = "telnet",
    .ports = telnet_ports,
    .server_first = true,
    .state_size = sizeof(telnet_state),
    .start = telnet_start,
    .step = telnet_step,
};
