/* vigie scanner — MySQL and MariaDB: the server's greeting, the first
 * packet of the handshake (protocol 10), or the error packet a server sends
 * a host it refuses ("Host ... is not allowed"), which is MySQL all the same.
 */
#include <stdio.h>
#include <string.h>

#include "scanner/scan_int.h"

#define GREETING_MAX 1024u /* a real greeting is about 100 bytes */
#define CLIENT_SSL 0x0800u

static scan_svc_verdict mysql_start(scan_svc_io *io) {
  io->out_len = 0;
  return SCAN_SVC_MORE;
}

static bool printable(const uint8_t *p, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (p[i] < 0x20 || p[i] > 0x7e) return false;
  return true;
}

/* "10.11.6-MariaDB-0+deb12u1" or "5.5.5-10.11.6-MariaDB..." (the prefix
 * old clients need) or "8.0.35": product, version, and the rest as info. */
static bool version_facts(scan_svc_io *io, const uint8_t *p, size_t len) {
  const uint8_t *maria = scan_svc_find(p, len, "-MariaDB");
  if (!scan_svc_fact(io, "mysql.version", p, len)) return false;
  if (maria == NULL) {
    size_t v = 0;
    while (v < len && p[v] != '-') v++;
    return scan_svc_fact_str(io, "product", "MySQL") && scan_svc_fact(io, "version", p, v) &&
           (v + 1 >= len || scan_svc_fact(io, "info", p + v + 1, len - v - 1));
  }
  if (maria - p > 6 && memcmp(p, "5.5.5-", 6) == 0) p += 6, len -= 6;
  size_t vlen = (size_t)(maria - p), rest = len - vlen - 8;
  return scan_svc_fact_str(io, "product", "MariaDB") && scan_svc_fact(io, "version", p, vlen) &&
         (rest < 2 || scan_svc_fact(io, "info", maria + 9, rest - 1));
}

/* Protocol 10 (after the byte 10): version, thread id, scramble, filler,
 * capabilities (low half), charset, status, capabilities (high half), auth
 * data length, ten reserved bytes, more scramble, auth plugin name. */
static scan_svc_verdict greeting(scan_svc_io *io, scan_rd *r) {
  const uint8_t *ver, *plugin;
  size_t vlen, plen;
  uint16_t cap_lo, cap_hi = 0, status;
  uint8_t charset, auth_len = 0;
  if (scan_rd_cstr(r, 64, &ver, &vlen) != SCAN_RD_OK || !printable(ver, vlen))
    return SCAN_SVC_NOT_MINE;
  if (scan_rd_skip(r, 4 + 8 + 1) != SCAN_RD_OK || scan_rd_u16le(r, &cap_lo) != SCAN_RD_OK)
    return SCAN_SVC_NOT_MINE;
  bool ok = scan_svc_identify(io, "mysql", true) && scan_svc_fact_str(io, "mysql.protocol", "10") &&
            version_facts(io, ver, vlen) &&
            scan_svc_fact_str(io, "mysql.ssl", cap_lo & CLIENT_SSL ? "true" : "false");
  /* Servers before 4.1 end here; the rest is optional. */
  if (!ok || scan_rd_u8(r, &charset) != SCAN_RD_OK || scan_rd_u16le(r, &status) != SCAN_RD_OK ||
      scan_rd_u16le(r, &cap_hi) != SCAN_RD_OK || scan_rd_u8(r, &auth_len) != SCAN_RD_OK ||
      scan_rd_skip(r, 10) != SCAN_RD_OK)
    return scan_svc_end(ok, SCAN_SVC_DONE);
  size_t part2 = auth_len > 21 ? (size_t)auth_len - 8 : 13;
  if (scan_rd_skip(r, part2) != SCAN_RD_OK) return SCAN_SVC_DONE;
  if (scan_rd_cstr(r, 64, &plugin, &plen) == SCAN_RD_OK && plen > 0 && printable(plugin, plen))
    ok = scan_svc_fact(io, "mysql.auth_plugin", plugin, plen);
  return scan_svc_end(ok, SCAN_SVC_DONE);
}

/* 0xff, error code (LE), message: a refusal before the handshake. */
static scan_svc_verdict refusal(scan_svc_io *io, scan_rd *r) {
  uint16_t code;
  char num[8];
  size_t len = scan_rd_left(r);
  const uint8_t *msg;
  if (scan_rd_u16le(r, &code) != SCAN_RD_OK || code < 1000 || code > 9999) return SCAN_SVC_NOT_MINE;
  len -= 2;
  if (scan_rd_bytes(r, len, &msg) != SCAN_RD_OK || !printable(msg, len)) return SCAN_SVC_NOT_MINE;
  snprintf(num, sizeof num, "%u", (unsigned)code);
  return scan_svc_end(scan_svc_identify(io, "mysql", true) &&
                          scan_svc_fact_str(io, "mysql.error_code", num) &&
                          scan_svc_fact(io, "mysql.error", msg, len),
                      SCAN_SVC_DONE);
}

/* A packet: 3-byte length (LE), sequence 0, payload. */
static scan_svc_verdict mysql_step(scan_svc_io *io) {
  scan_rd r, payload;
  uint32_t len;
  uint8_t seq, kind;
  scan_rd_init(&r, io->in, io->in_len);
  scan_rd_status st = scan_rd_u24le(&r, &len);
  if (st == SCAN_RD_OK && (len < 3 || len > GREETING_MAX)) return SCAN_SVC_NOT_MINE;
  if (st == SCAN_RD_OK) st = scan_rd_u8(&r, &seq);
  if (st == SCAN_RD_OK && seq != 0) return SCAN_SVC_NOT_MINE;
  if (st == SCAN_RD_OK) st = scan_rd_sub(&r, len, &payload);
  if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, false);
  if (scan_rd_left(&r) != 0) return SCAN_SVC_NOT_MINE; /* a greeting comes alone */
  (void)scan_rd_u8(&payload, &kind);
  if (kind == 10) return greeting(io, &payload);
  if (kind == 0xff) return refusal(io, &payload);
  return SCAN_SVC_NOT_MINE;
}

static const uint16_t mysql_ports[] = {3306, 3307, 0};

const scan_svc_module scan_svc_mysql = {
    .name = "mysql",
    .ports = mysql_ports,
    .server_first = true,
    .state_size = 0,
    .start = mysql_start,
    .step = mysql_step,
};
