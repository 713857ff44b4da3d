/* vigie scanner — PostgreSQL: SSLRequest (one byte back: S or N), then,
 * in clear, a StartupMessage for the user "vigie", whose answer (an
 * authentication request or an error) proves the server (protocol 3.0,
 * "Message Flow" and "Message Formats" of the PostgreSQL manual).
 */
#include <string.h>

#include "scanner/scan_int.h"

#define SSL_REQUEST_CODE 80877103u
#define PROTOCOL_3_0 196608u
#define MSG_MAX 8192u

typedef struct pg_state {
  bool started; /* the StartupMessage went out */
} pg_state;

static scan_svc_verdict pg_start(scan_svc_io *io) {
  scan_wr w;
  scan_svc_out(io, &w);
  scan_wr_u32be(&w, 8);
  scan_wr_u32be(&w, SSL_REQUEST_CODE);
  return scan_svc_send(io, &w);
}

static scan_svc_verdict startup(scan_svc_io *io, pg_state *s) {
  scan_wr w;
  static const char params[] = "user\0vigie\0database\0vigie\0application_name\0vigie\0";
  scan_svc_out(io, &w);
  scan_wr_u32be(&w, 0);
  scan_wr_u32be(&w, PROTOCOL_3_0);
  scan_wr_bytes(&w, params, sizeof params); /* its final NUL ends the list */
  scan_wr_u32be_at(&w, 0, (uint32_t)w.len);
  s->started = true;
  return scan_svc_send(io, &w);
}

/* Exactly one byte: anything longer is some other server talking. */
static scan_svc_verdict ssl_answer(scan_svc_io *io, pg_state *s) {
  if (io->in_len == 0) return io->in_full ? SCAN_SVC_NOT_MINE : SCAN_SVC_MORE;
  if (io->in_len > 1 || (io->in[0] != 'S' && io->in[0] != 'N')) return SCAN_SVC_NOT_MINE;
  bool ssl = io->in[0] == 'S';
  if (!scan_svc_identify(io, "postgresql", ssl) ||
      !scan_svc_fact_str(io, "postgresql.ssl", ssl ? "true" : "false"))
    return SCAN_SVC_ERROR;
  /* After S the server waits for a TLS handshake: that is the TLS stage's. */
  if (ssl) return scan_svc_end(scan_svc_fact_str(io, "starttls", "offered"), SCAN_SVC_DONE);
  return startup(io, s);
}

static const char *auth_name(uint32_t code) {
  switch (code) {
    case 0: return "trust";
    case 2: return "kerberos";
    case 3: return "password";
    case 5: return "md5";
    case 7: return "gss";
    case 9: return "sspi";
    case 10: return "sasl";
    default: return NULL;
  }
}

/* 'R': Authentication request, with SASL's mechanism list after code 10. */
static bool auth_facts(scan_svc_io *io, scan_rd *body) {
  uint32_t code;
  const uint8_t *mech;
  size_t len;
  if (scan_rd_u32be(body, &code) != SCAN_RD_OK || auth_name(code) == NULL) return false;
  if (!scan_svc_fact_str(io, "postgresql.auth", auth_name(code))) return false;
  while (code == 10 && scan_rd_cstr(body, 64, &mech, &len) == SCAN_RD_OK && len > 0)
    if (!scan_svc_fact(io, "postgresql.sasl", mech, len)) return false;
  return true;
}

/* 'E': fields of a type byte and a string, up to a zero byte. */
static bool error_facts(scan_svc_io *io, scan_rd *body) {
  uint8_t type;
  const uint8_t *v;
  size_t len;
  while (scan_rd_u8(body, &type) == SCAN_RD_OK && type != 0) {
    if (scan_rd_cstr(body, MSG_MAX, &v, &len) != SCAN_RD_OK) return false;
    if (type == 'C' && !scan_svc_fact(io, "postgresql.error_code", v, len)) return false;
    if (type == 'M' && !scan_svc_fact(io, "postgresql.error", v, len)) return false;
  }
  return true;
}

static scan_svc_verdict startup_answer(scan_svc_io *io) {
  scan_rd r, body;
  uint8_t type;
  uint32_t len;
  scan_rd_init(&r, io->in, io->in_len);
  scan_rd_status st = scan_rd_u8(&r, &type);
  if (st == SCAN_RD_OK && type != 'R' && type != 'E') return SCAN_SVC_ERROR;
  if (st == SCAN_RD_OK) st = scan_rd_u32be(&r, &len);
  if (st == SCAN_RD_OK && (len < 4 || len > MSG_MAX)) return SCAN_SVC_ERROR;
  if (st == SCAN_RD_OK) st = scan_rd_sub(&r, len - 4, &body);
  if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, true);
  bool ok = type == 'R' ? auth_facts(io, &body) : error_facts(io, &body);
  if (!ok) return SCAN_SVC_ERROR;
  return scan_svc_end(scan_svc_identify(io, "postgresql", true), SCAN_SVC_DONE);
}

static scan_svc_verdict pg_step(scan_svc_io *io) {
  pg_state *s = io->state;
  return s->started ? startup_answer(io) : ssl_answer(io, s);
}

static const uint16_t pg_ports[] = {5432, 5433, 0};

const scan_svc_module scan_svc_postgresql = {
    .name = "postgresql",
    .ports = pg_ports,
    .server_first = false,
    .state_size = sizeof(pg_state),
    .start = pg_start,
    .step = pg_step,
};
