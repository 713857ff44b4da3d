/* vigie scanner — MongoDB: OP_MSG "isMaster" (answered by every server
 * since 3.6, before any login) for the wire versions, then "buildInfo"
 * for the version when the server gives it without a login.
 */
#include <stdio.h>
#include <string.h>

#include "scanner/scan_int.h"

#define OP_MSG 2013u
#define MSG_MAX (SCAN_SVC_IN_MAX - 1u)

typedef struct mongo_state {
  bool asked_build;
} mongo_state;

/* One OP_MSG: header (length, request id, response to, opcode), flags, a
 * kind-0 section holding the command {name: 1, $db: "admin"}. */
static scan_svc_verdict command(scan_svc_io *io, const char *name, uint32_t id) {
  scan_wr w;
  size_t doc;
  scan_svc_out(io, &w);
  scan_wr_u32le(&w, 0);
  scan_wr_u32le(&w, id);
  scan_wr_u32le(&w, 0);
  scan_wr_u32le(&w, OP_MSG);
  scan_wr_u32le(&w, 0); /* flags */
  scan_wr_u8(&w, 0);    /* section kind 0: the body */
  doc = w.len;
  scan_wr_u32le(&w, 0);
  scan_wr_u8(&w, 0x10); /* int32 */
  scan_wr_bytes(&w, name, strlen(name) + 1);
  scan_wr_u32le(&w, 1);
  scan_wr_u8(&w, 0x02); /* string */
  scan_wr_bytes(&w, "$db", 4);
  scan_wr_u32le(&w, 6);
  scan_wr_bytes(&w, "admin", 6);
  scan_wr_u8(&w, 0); /* end of document */
  scan_wr_u32le_at(&w, doc, (uint32_t)(w.len - doc));
  scan_wr_u32le_at(&w, 0, (uint32_t)w.len);
  return scan_svc_send(io, &w);
}

static scan_svc_verdict mongo_start(scan_svc_io *io) { return command(io, "isMaster", 1); }

/* A value's size for BSON type t at r, (size_t)-1 for an unknown type or a
 * length that cannot be. */
static size_t value_size(uint8_t t, const scan_rd *r) {
  scan_rd peek = *r;
  uint32_t n;
  switch (t) {
    case 0x01:
    case 0x09:
    case 0x11:
    case 0x12: return 8;
    case 0x07: return 12;
    case 0x08: return 1;
    case 0x0a:
    case 0x7f:
    case 0xff: return 0;
    case 0x10: return 4;
    case 0x13: return 16;
    case 0x02:
    case 0x0d:
    case 0x0e: /* int32 length, then the bytes */
      return scan_rd_u32le(&peek, &n) == SCAN_RD_OK && n >= 1 ? (size_t)n + 4 : (size_t)-1;
    case 0x03:
    case 0x04: /* documents count their own length */
      return scan_rd_u32le(&peek, &n) == SCAN_RD_OK && n >= 5 ? (size_t)n : (size_t)-1;
    case 0x05: return scan_rd_u32le(&peek, &n) == SCAN_RD_OK ? (size_t)n + 5 : (size_t)-1;
    default: return (size_t)-1;
  }
}

static bool int_fact(scan_svc_io *io, const char *fact, const uint8_t *v) {
  char text[16];
  int32_t x =
      (int32_t)((uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24);
  snprintf(text, sizeof text, "%d", (int)x);
  return scan_svc_fact_str(io, fact, text);
}

/* What a reply's fields tell; io NULL only checks the document. */
static bool field(scan_svc_io *io, uint8_t t, const uint8_t *name, size_t nlen, const uint8_t *v,
                  size_t vlen) {
  if (io == NULL) return true;
  if (t == 0x10 && nlen == 14 && memcmp(name, "maxWireVersion", 14) == 0)
    return int_fact(io, "mongodb.max_wire_version", v);
  if (t == 0x10 && nlen == 14 && memcmp(name, "minWireVersion", 14) == 0)
    return int_fact(io, "mongodb.min_wire_version", v);
  if (t == 0x02 && vlen > 5 && nlen == 7 && memcmp(name, "version", 7) == 0)
    return scan_svc_fact(io, "version", v + 4, vlen - 5);
  if (t == 0x02 && vlen > 5 && nlen == 7 && memcmp(name, "setName", 7) == 0)
    return scan_svc_fact(io, "mongodb.replica_set", v + 4, vlen - 5);
  if (t == 0x02 && vlen > 5 && nlen == 3 && memcmp(name, "msg", 3) == 0)
    return scan_svc_fact(io, "mongodb.msg", v + 4, vlen - 5);
  return true;
}

/* A BSON document (int32 length, elements, 0): every element bounded. */
static bool document(scan_svc_io *io, scan_rd *r) {
  uint32_t len;
  uint8_t t;
  scan_rd doc;
  const uint8_t *name, *v;
  size_t nlen;
  if (scan_rd_u32le(r, &len) != SCAN_RD_OK || len < 5 ||
      scan_rd_sub(r, len - 4, &doc) != SCAN_RD_OK)
    return false;
  while (scan_rd_u8(&doc, &t) == SCAN_RD_OK && t != 0) {
    if (scan_rd_cstr(&doc, 256, &name, &nlen) != SCAN_RD_OK) return false;
    size_t vlen = value_size(t, &doc);
    if (vlen == (size_t)-1 || scan_rd_bytes(&doc, vlen, &v) != SCAN_RD_OK) return false;
    if (t == 0x02 && v[vlen - 1] != 0) return false; /* strings end in NUL */
    if (!field(io, t, name, nlen, v, vlen)) return false;
  }
  return t == 0 && scan_rd_left(&doc) == 0;
}

/* The reply: header, flags, section 0 and its document. */
static scan_svc_verdict reply(scan_svc_io *io, scan_rd *body, bool build) {
  scan_rd check = *body;
  if (!document(NULL, &check)) return build ? SCAN_SVC_ERROR : SCAN_SVC_NOT_MINE;
  bool ok = build ||
            (scan_svc_identify(io, "mongodb", true) && scan_svc_fact_str(io, "product", "MongoDB"));
  ok = ok && document(io, body); /* sub-documents are skipped whole, never entered */
  return scan_svc_end(ok, SCAN_SVC_DONE);
}

static scan_svc_verdict mongo_step(scan_svc_io *io) {
  mongo_state *s = io->state;
  scan_rd r, msg;
  uint32_t len, id, to, op, flags;
  uint8_t kind;
  scan_rd_init(&r, io->in, io->in_len);
  scan_rd_status st = scan_rd_u32le(&r, &len);
  if (st == SCAN_RD_OK && (len < 21 || len > MSG_MAX))
    return s->asked_build ? SCAN_SVC_ERROR : SCAN_SVC_NOT_MINE;
  if (st == SCAN_RD_OK) st = scan_rd_sub(&r, len - 4, &msg);
  if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, s->asked_build);
  if (scan_rd_u32le(&msg, &id) != SCAN_RD_OK || scan_rd_u32le(&msg, &to) != SCAN_RD_OK ||
      scan_rd_u32le(&msg, &op) != SCAN_RD_OK || scan_rd_u32le(&msg, &flags) != SCAN_RD_OK ||
      scan_rd_u8(&msg, &kind) != SCAN_RD_OK || op != OP_MSG || kind != 0 ||
      to != (s->asked_build ? 2u : 1u))
    return s->asked_build ? SCAN_SVC_ERROR : SCAN_SVC_NOT_MINE;
  scan_svc_verdict v = reply(io, &msg, s->asked_build);
  if (v != SCAN_SVC_DONE || s->asked_build) return v;
  s->asked_build = true;
  return command(io, "buildInfo", 2);
}

static const uint16_t mongo_ports[] = {27017, 27018, 27019, 0};

const scan_svc_module scan_svc_mongodb = {
    .name = "mongodb",
    .ports = mongo_ports,
    .server_first = false,
    .state_size = sizeof(mongo_state),
    .start = mongo_start,
    .step = mongo_step,
};
