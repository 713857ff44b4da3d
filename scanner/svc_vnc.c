/* vigie scanner — VNC: the RFB version (RFC 6143 7.1.1) and the security
 * types the server offers (7.1.2), answered with no choice.
 */
#include <stdio.h>
#include <string.h>

#include "scanner/scan_int.h"

#define REASON_MAX 1024u

typedef struct vnc_state {
  bool sent;
  uint8_t minor; /* 3, 7, 8 (or what the server said, capped at 8) */
} vnc_state;

typedef struct sec_name {
  uint8_t type;
  const char *name;
} sec_name;

/* IANA "Remote Framebuffer Security Types". */
static const sec_name sec_names[] = {
    {1, "none"},   {2, "vnc"},       {5, "ra2"},        {6, "ra2ne"}, {16, "tight"},
    {17, "ultra"}, {18, "tls"},      {19, "vencrypt"},  {20, "sasl"}, {21, "md5"},
    {22, "xvp"},   {30, "apple-dh"}, {113, "mslogon2"},
};

static scan_svc_verdict vnc_start(scan_svc_io *io) {
  io->out_len = 0;
  return SCAN_SVC_MORE;
}

static bool digits(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i] < '0' || p[i] > '9') return false;
  return true;
}

/* "RFB 003.008\n": twelve bytes exactly. */
static scan_svc_verdict version(scan_svc_io *io, vnc_state *s) {
  scan_rd r;
  const uint8_t *p;
  char proto[8];
  scan_rd_init(&r, io->in, io->in_len);
  scan_rd_status st = scan_rd_expect(&r, "RFB ", 4);
  if (st == SCAN_RD_OK) st = scan_rd_bytes(&r, 12, &p);
  if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, false);
  if (!digits(p + 4, 3) || p[7] != '.' || !digits(p + 8, 3) || p[11] != '\n')
    return SCAN_SVC_NOT_MINE;
  unsigned major = (unsigned)((p[4] - '0') * 100 + (p[5] - '0') * 10 + (p[6] - '0'));
  unsigned minor = (unsigned)((p[8] - '0') * 100 + (p[9] - '0') * 10 + (p[10] - '0'));
  snprintf(proto, sizeof proto, "%u.%u", major % 1000, minor % 1000);
  if (!scan_svc_identify(io, "vnc", false) || !scan_svc_banner(io, p, 11) ||
      !scan_svc_fact_str(io, "vnc.protocol", proto))
    return SCAN_SVC_ERROR;
  /* Apple's 3.889 and other odd minors speak 3.8; anything below 3.7 is 3.3. */
  s->minor = minor >= 8 ? 8 : minor == 7 ? 7 : 3;
  s->sent = true;
  char ours[] = "RFB 003.008\n";
  ours[10] = (char)('0' + s->minor);
  return scan_svc_send_str(io, ours);
}

static bool type_fact(scan_svc_io *io, uint8_t type) {
  char num[16];
  for (size_t i = 0; i < sizeof sec_names / sizeof sec_names[0]; i++)
    if (sec_names[i].type == type) return scan_svc_fact_str(io, "vnc.auth", sec_names[i].name);
  snprintf(num, sizeof num, "type-%u", (unsigned)type);
  return scan_svc_fact_str(io, "vnc.auth", num);
}

/* Count 0 (or type 0 in 3.3): a reason string follows, the server refuses. */
static scan_svc_verdict refusal(scan_svc_io *io, scan_rd *r) {
  uint32_t len;
  const uint8_t *p;
  scan_rd_status st = scan_rd_u32be(r, &len);
  if (st == SCAN_RD_OK && len > REASON_MAX) return SCAN_SVC_ERROR;
  if (st == SCAN_RD_OK) st = scan_rd_bytes(r, len, &p);
  if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, true);
  return scan_svc_end(scan_svc_identify(io, "vnc", true) && scan_svc_fact(io, "vnc.error", p, len),
                      SCAN_SVC_DONE);
}

static scan_svc_verdict security(scan_svc_io *io, const vnc_state *s) {
  scan_rd r;
  uint8_t count;
  const uint8_t *types;
  uint32_t type33;
  scan_rd_init(&r, io->in, io->in_len);
  if (s->minor == 3) { /* 3.3: the server picks, one 32-bit type */
    scan_rd_status st = scan_rd_u32be(&r, &type33);
    if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, true);
    if (type33 == 0) return refusal(io, &r);
    if (type33 > 255) return SCAN_SVC_ERROR;
    return scan_svc_end(scan_svc_identify(io, "vnc", true) && type_fact(io, (uint8_t)type33),
                        SCAN_SVC_DONE);
  }
  scan_rd_status st = scan_rd_u8(&r, &count);
  if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, true);
  if (count == 0) return refusal(io, &r);
  if ((st = scan_rd_bytes(&r, count, &types)) != SCAN_RD_OK) return scan_svc_short_or(io, st, true);
  bool ok = scan_svc_identify(io, "vnc", true);
  for (size_t i = 0; ok && i < count; i++) ok = type_fact(io, types[i]);
  return scan_svc_end(ok, SCAN_SVC_DONE);
}

static scan_svc_verdict vnc_step(scan_svc_io *io) {
  vnc_state *s = io->state;
  return s->sent ? security(io, s) : version(io, s);
}

static const uint16_t vnc_ports[] = {5900, 5901, 5902, 5800, 0};

const scan_svc_module scan_svc_vnc = {
    .name = "vnc",
    .ports = vnc_ports,
    .server_first = true,
    .state_size = sizeof(vnc_state),
    .start = vnc_start,
    .step = vnc_step,
};
