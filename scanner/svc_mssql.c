/* vigie scanner — Microsoft SQL Server: a TDS PRELOGIN ([MS-TDS] 2.2.6.5)
 * whose answer carries the server's version and its encryption setting.
 */
#include <stdio.h>
#include <string.h>

#include "scanner/scan_int.h"

#define TDS_PRELOGIN 0x12u
#define TDS_REPLY 0x04u
#define TDS_EOM 0x01u
#define PACKET_MAX 4096u
#define OPT_VERSION 0u
#define OPT_ENCRYPTION 1u
#define OPT_END 0xffu

typedef struct year_name {
  uint8_t major;
  const char *year;
} year_name;

static const year_name years[] = {
    {8, "2000"},  {9, "2005"},  {10, "2008"}, {11, "2012"}, {12, "2014"},
    {13, "2016"}, {14, "2017"}, {15, "2019"}, {16, "2022"}, {17, "2025"},
};

static const char *const encryption[] = {"off", "on", "not_supported", "required"};

/* Options: VERSION (6 bytes), ENCRYPTION (1), INSTOPT (1), THREADID (4),
 * MARS (1); each a token, an offset from the payload and a length. */
static scan_svc_verdict mssql_start(scan_svc_io *io) {
  static const uint8_t tokens[][2] = {{0, 6}, {1, 1}, {2, 1}, {3, 4}, {4, 1}};
  scan_wr w;
  uint16_t off = 5 * 5 + 1;
  scan_svc_out(io, &w);
  scan_wr_u8(&w, TDS_PRELOGIN);
  scan_wr_u8(&w, TDS_EOM);
  scan_wr_u16be(&w, 0); /* length, set below */
  scan_wr_u16be(&w, 0); /* SPID */
  scan_wr_u8(&w, 0);    /* packet id */
  scan_wr_u8(&w, 0);    /* window */
  for (size_t i = 0; i < 5; i++) {
    scan_wr_u8(&w, tokens[i][0]);
    scan_wr_u16be(&w, off);
    scan_wr_u16be(&w, tokens[i][1]);
    off = (uint16_t)(off + tokens[i][1]);
  }
  scan_wr_u8(&w, OPT_END);
  scan_wr_bytes(&w, "\x00\x00\x00\x00\x00\x00", 6); /* our version: none */
  scan_wr_u8(&w, 0);                                /* ENCRYPT_OFF: the server says what it wants */
  scan_wr_u8(&w, 0);                                /* default instance */
  scan_wr_u32be(&w, 0);
  scan_wr_u8(&w, 0); /* no MARS */
  scan_wr_u16be_at(&w, 2, (uint16_t)w.len);
  return scan_svc_send(io, &w);
}

static bool version_facts(scan_svc_io *io, scan_rd *v) {
  uint8_t major, minor;
  uint16_t build;
  char text[24];
  if (scan_rd_u8(v, &major) != SCAN_RD_OK || scan_rd_u8(v, &minor) != SCAN_RD_OK ||
      scan_rd_u16be(v, &build) != SCAN_RD_OK)
    return true; /* a short VERSION option: no version, nothing wrong */
  snprintf(text, sizeof text, "%u.%u.%u", major, minor, build);
  if (!scan_svc_fact_str(io, "version", text)) return false;
  for (size_t i = 0; i < sizeof years / sizeof years[0]; i++)
    if (years[i].major == major) return scan_svc_fact_str(io, "info", years[i].year);
  return true;
}

/* One option's facts; io NULL only checks. */
static bool option(scan_svc_io *io, uint8_t token, scan_rd *opt) {
  uint8_t enc;
  if (io == NULL) return true;
  if (token == OPT_VERSION) return version_facts(io, opt);
  if (token == OPT_ENCRYPTION && scan_rd_u8(opt, &enc) == SCAN_RD_OK)
    return scan_svc_fact_str(io, "mssql.encryption", enc < 4 ? encryption[enc] : "unknown");
  return true;
}

/* The option table, each option's bytes checked to lie in the payload.
 * \return false on a table that runs out or points outside (io NULL: a
 * check only, so that nothing is written for bytes that are no PRELOGIN). */
static bool options(scan_svc_io *io, const scan_rd *payload) {
  scan_rd table = *payload, opt;
  uint8_t token;
  uint16_t off, len;
  for (int n = 0; n < 32; n++) {
    if (scan_rd_u8(&table, &token) != SCAN_RD_OK) return false;
    if (token == OPT_END) return true;
    if (scan_rd_u16be(&table, &off) != SCAN_RD_OK || scan_rd_u16be(&table, &len) != SCAN_RD_OK)
      return false;
    scan_rd at = *payload;
    if (scan_rd_skip(&at, off) != SCAN_RD_OK || scan_rd_sub(&at, len, &opt) != SCAN_RD_OK)
      return false;
    if (!option(io, token, &opt)) return false;
  }
  return false;
}

/* The reply: type 4, end of message, a length that covers the header. */
static scan_svc_verdict mssql_step(scan_svc_io *io) {
  scan_rd r, payload;
  uint8_t type, status;
  uint16_t len;
  scan_rd_init(&r, io->in, io->in_len);
  scan_rd_status st = scan_rd_u8(&r, &type);
  if (st == SCAN_RD_OK && type != TDS_REPLY) return SCAN_SVC_NOT_MINE;
  if (st == SCAN_RD_OK) st = scan_rd_u8(&r, &status);
  if (st == SCAN_RD_OK && status != TDS_EOM) return SCAN_SVC_NOT_MINE;
  if (st == SCAN_RD_OK) st = scan_rd_u16be(&r, &len);
  if (st == SCAN_RD_OK && (len < 8 + 1 || len > PACKET_MAX)) return SCAN_SVC_NOT_MINE;
  if (st == SCAN_RD_OK) st = scan_rd_skip(&r, 4);
  if (st == SCAN_RD_OK) st = scan_rd_sub(&r, (size_t)len - 8, &payload);
  if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, false);
  if (!options(NULL, &payload)) return SCAN_SVC_NOT_MINE;
  bool ok = scan_svc_identify(io, "mssql", true) &&
            scan_svc_fact_str(io, "product", "Microsoft SQL Server") && options(io, &payload);
  return scan_svc_end(ok, SCAN_SVC_DONE);
}

static const uint16_t mssql_ports[] = {1433, 0};

const scan_svc_module scan_svc_mssql = {
    .name = "mssql",
    .ports = mssql_ports,
    .server_first = false,
    .state_size = 0,
    .start = mssql_start,
    .step = mssql_step,
};
