/* vigie scanner — RDP: an X.224 Connection Request carrying an
 * RDP_NEG_REQ ([MS-RDPBCGR] 2.2.1.1), and the Connection Confirm's
 * RDP_NEG_RSP or RDP_NEG_FAILURE (2.2.1.2).
 *
 * We offer TLS alone, not TLS and CredSSP: a server that supports CredSSP
 * (NLA) picks it whenever it is offered, which would hide whether it
 * insists on it; offered TLS alone, a server that requires NLA says so
 * with HYBRID_REQUIRED_BY_SERVER, and one that does not accepts TLS.
 *
 * The product comes from the RDP_NEG_RSP flags alone (see product): no
 * TLS handshake, no second connection.
 */
#include <stdio.h>

#include "scanner/scan_int.h"

#define TPKT_MAX 1024u
#define X224_CC 0xd0u
#define NEG_RSP 2u
#define NEG_FAILURE 3u
#define PROTOCOL_SSL 1u
#define FLAG_EXTENDED_CLIENT_DATA 0x01u
/* NEGRSP_FLAG_RESERVED, RESTRICTED_ADMIN_MODE_SUPPORTED,
 * REDIRECTED_AUTHENTICATION_MODE_SUPPORTED */
#define FLAGS_WINDOWS 0x1cu

typedef struct code_name {
  uint32_t code;
  const char *name;
} code_name;

static const code_name failures[] = {
    {1, "ssl_required_by_server"},    {2, "ssl_not_allowed_by_server"},
    {3, "ssl_cert_not_on_server"},    {4, "inconsistent_flags"},
    {5, "hybrid_required_by_server"}, {6, "ssl_with_user_auth_required_by_server"},
};

static const code_name protocols[] = {
    {0, "rdp"}, {1, "ssl"}, {2, "hybrid"}, {4, "rdstls"}, {8, "hybrid_ex"}, {16, "rdsaad"},
};

static scan_svc_verdict rdp_start(scan_svc_io *io) {
  static const char cookie[] = "Cookie: mstshash=vigie\r\n";
  scan_wr w;
  scan_svc_out(io, &w);
  scan_wr_u8(&w, 3); /* TPKT version 3, reserved, length */
  scan_wr_u8(&w, 0);
  scan_wr_u16be(&w, 0);
  scan_wr_u8(&w, 0);    /* X.224 length indicator, set below */
  scan_wr_u8(&w, 0xe0); /* CR, credit 0 */
  scan_wr_u16be(&w, 0); /* destination reference */
  scan_wr_u16be(&w, 0); /* source reference */
  scan_wr_u8(&w, 0);    /* class 0 */
  scan_wr_str(&w, cookie);
  scan_wr_u8(&w, 1); /* RDP_NEG_REQ */
  scan_wr_u8(&w, 0);
  scan_wr_u16le(&w, 8);
  scan_wr_u32le(&w, PROTOCOL_SSL);
  scan_wr_u16be_at(&w, 2, (uint16_t)w.len);
  if (w.len > 5) w.data[4] = (uint8_t)(w.len - 5);
  return scan_svc_send(io, &w);
}

static const char *name_of(const code_name *t, size_t n, uint32_t code) {
  for (size_t i = 0; i < n; i++)
    if (t[i].code == code) return t[i].name;
  return NULL;
}

/* RDP_NEG_RSP: the protocol the server took from our offer. */
static bool selected(scan_svc_io *io, uint32_t proto) {
  const char *name = name_of(protocols, sizeof protocols / sizeof protocols[0], proto);
  char num[16];
  if (name == NULL) snprintf(num, sizeof num, "0x%x", (unsigned)proto), name = num;
  return scan_svc_fact_str(io, "rdp.protocols", name) &&
         scan_svc_fact_str(io, "rdp.nla_required", "false");
}

/* RDP_NEG_FAILURE: why not TLS, and what that says of NLA. */
static bool failure(scan_svc_io *io, uint32_t code) {
  const char *name = name_of(failures, sizeof failures / sizeof failures[0], code);
  char num[16];
  if (name == NULL) snprintf(num, sizeof num, "%u", (unsigned)code), name = num;
  bool ok = scan_svc_fact_str(io, "rdp.failure", name);
  if (code == 5)
    return ok && scan_svc_fact_str(io, "rdp.protocols", "hybrid") &&
           scan_svc_fact_str(io, "rdp.nla_required", "true");
  if (code == 2)
    return ok && scan_svc_fact_str(io, "rdp.protocols", "rdp") &&
           scan_svc_fact_str(io, "rdp.nla_required", "false");
  return ok;
}

/* What the RDP_NEG_RSP flags ([MS-RDPBCGR] 2.2.1.2.1) say of the product:
 * an inference from one byte, never proof (the service is confirmed, the
 * product is not).
 * - 0x08 (restricted admin) and 0x10 (Remote Credential Guard) are
 *   Windows logon features over CredSSP, and 0x04 is a bit the spec
 *   reserves: any of them, Microsoft Terminal Services. Taken from the
 *   spec, not from a Windows host (none in the lab); the Windows test
 *   answer (0x1f) is built from it.
 * - exactly 0x01: xrdp, which sends that constant whatever its security
 *   layer (xrdp 0.9 in the lab: 02 01 08 00 01 00 00 00). An older
 *   Windows that knew no flag but this one would answer alike: the weaker
 *   of the two guesses.
 * - 0x00, or GFX (0x02) with none of the Windows bits: no product; GFX
 *   alone is also announced by servers built on FreeRDP. */
static bool product(scan_svc_io *io, uint8_t flags) {
  char hex[8];
  snprintf(hex, sizeof hex, "0x%02x", flags);
  if (!scan_svc_fact_str(io, "rdp.neg_flags", hex)) return false;
  if (flags & FLAGS_WINDOWS) return scan_svc_fact_str(io, "product", "Microsoft Terminal Services");
  if (flags == FLAG_EXTENDED_CLIENT_DATA) return scan_svc_fact_str(io, "product", "xrdp");
  return true;
}

static scan_svc_verdict confirm(scan_svc_io *io, scan_rd *tpdu) {
  uint8_t type, flags;
  uint16_t len;
  uint32_t value;
  bool ok = scan_svc_identify(io, "rdp", true);
  /* No negotiation block: an old server, standard RDP security only. */
  if (scan_rd_left(tpdu) == 0) return scan_svc_end(ok && selected(io, 0), SCAN_SVC_DONE);
  if (scan_rd_u8(tpdu, &type) != SCAN_RD_OK || scan_rd_u8(tpdu, &flags) != SCAN_RD_OK ||
      scan_rd_u16le(tpdu, &len) != SCAN_RD_OK || len != 8 ||
      scan_rd_u32le(tpdu, &value) != SCAN_RD_OK)
    return scan_svc_end(ok, SCAN_SVC_ERROR);
  if (type == NEG_RSP)
    return scan_svc_end(ok && selected(io, value) && product(io, flags), SCAN_SVC_DONE);
  if (type == NEG_FAILURE) return scan_svc_end(ok && failure(io, value), SCAN_SVC_DONE);
  return scan_svc_end(ok, SCAN_SVC_ERROR);
}

/* TPKT (version 3, length), then the X.224 TPDU: its length indicator,
 * CC code, references and class, then what the TPDU carries. */
static scan_svc_verdict rdp_step(scan_svc_io *io) {
  scan_rd r, tpdu;
  uint8_t version, reserved, li, code;
  uint16_t len;
  scan_rd_init(&r, io->in, io->in_len);
  scan_rd_status st = scan_rd_u8(&r, &version);
  if (st == SCAN_RD_OK) st = scan_rd_u8(&r, &reserved);
  if (st == SCAN_RD_OK && (version != 3 || reserved != 0)) return SCAN_SVC_NOT_MINE;
  if (st == SCAN_RD_OK) st = scan_rd_u16be(&r, &len);
  if (st == SCAN_RD_OK && (len < 11 || len > TPKT_MAX)) return SCAN_SVC_NOT_MINE;
  if (st == SCAN_RD_OK) st = scan_rd_sub(&r, (size_t)len - 4, &tpdu);
  if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, false);
  if (scan_rd_u8(&tpdu, &li) != SCAN_RD_OK || li != len - 5 ||
      scan_rd_u8(&tpdu, &code) != SCAN_RD_OK || (code & 0xf0) != X224_CC ||
      scan_rd_skip(&tpdu, 5) != SCAN_RD_OK)
    return SCAN_SVC_NOT_MINE;
  return confirm(io, &tpdu);
}

static const uint16_t rdp_ports[] = {3389, 0};

const scan_svc_module scan_svc_rdp = {
    .name = "rdp",
    .ports = rdp_ports,
    .server_first = false,
    .state_size = 0,
    .start = rdp_start,
    .step = rdp_step,
};
