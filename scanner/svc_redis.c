/* vigie scanner — Redis: PING in RESP (a simple "+PONG", or an error that
 * says authentication or protected mode stands in the way), then, when the
 * server answers unauthenticated, INFO server for its version.
 */
#include <string.h>

#include "scanner/scan_int.h"

#define LINE_MAX_ 4096u
#define BULK_MAX (SCAN_SVC_IN_MAX - 64u)

typedef struct redis_state {
  bool pinged;
} redis_state;

static scan_svc_verdict redis_start(scan_svc_io *io) {
  /* The inline form: one line, understood by every Redis since 1.0. */
  return scan_svc_send_str(io, "PING\r\n");
}

static bool starts(const uint8_t *p, size_t len, const char *word) {
  size_t n = strlen(word);
  return len >= n && memcmp(p, word, n) == 0;
}

/* +PONG: open to anyone; -NOAUTH: a password; -DENIED: protected mode. */
static scan_svc_verdict pong(scan_svc_io *io, redis_state *s) {
  scan_rd r;
  const uint8_t *p;
  size_t len;
  scan_rd_init(&r, io->in, io->in_len);
  scan_rd_status st = scan_rd_expect(&r, "+", 1);
  if (st == SCAN_RD_BAD) st = scan_rd_expect(&r, "-", 1);
  if (st == SCAN_RD_OK) st = scan_rd_line(&r, LINE_MAX_, &p, &len);
  if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, false);
  bool open = len == 5 && memcmp(p, "+PONG", 5) == 0;
  bool noauth = starts(p, len, "-NOAUTH") || starts(p, len, "-WRONGPASS");
  bool denied = starts(p, len, "-DENIED");
  if (!open && !noauth && !denied) return SCAN_SVC_NOT_MINE;
  bool ok = scan_svc_identify(io, "redis", true) && scan_svc_fact_str(io, "product", "Redis") &&
            scan_svc_fact_str(io, "redis.auth_required",
                              open     ? "false"
                              : noauth ? "true"
                                       : "false");
  if (denied) ok = ok && scan_svc_fact_str(io, "redis.protected_mode", "true");
  if (!ok || !open) return scan_svc_end(ok, SCAN_SVC_DONE);
  s->pinged = true;
  return scan_svc_send_str(io, "INFO server\r\n");
}

/* "$<n>\r\n<n bytes>\r\n" of "key:value" lines. */
static scan_svc_verdict info(scan_svc_io *io) {
  scan_rd r, body;
  const uint8_t *p;
  size_t len, n = 0;
  scan_rd_init(&r, io->in, io->in_len);
  scan_rd_status st = scan_rd_expect(&r, "$", 1);
  if (st == SCAN_RD_OK) st = scan_rd_line(&r, 16, &p, &len);
  if (st == SCAN_RD_BAD) return SCAN_SVC_ERROR;
  if (st != SCAN_RD_OK) return scan_svc_short_or(io, st, true);
  for (size_t i = 1; i < len; i++) {
    if (p[i] < '0' || p[i] > '9' || n > BULK_MAX) return SCAN_SVC_ERROR;
    n = n * 10 + (size_t)(p[i] - '0');
  }
  if (len < 2 || n > BULK_MAX) return SCAN_SVC_ERROR;
  if ((st = scan_rd_sub(&r, n, &body)) != SCAN_RD_OK) return scan_svc_short_or(io, st, true);
  bool ok = true;
  while (ok && scan_rd_line(&body, LINE_MAX_, &p, &len) == SCAN_RD_OK) {
    if (starts(p, len, "redis_version:"))
      ok = scan_svc_fact(io, "version", p + 14, len - 14);
    else if (starts(p, len, "redis_mode:"))
      ok = scan_svc_fact(io, "redis.mode", p + 11, len - 11);
    else if (starts(p, len, "os:"))
      ok = scan_svc_fact(io, "info", p + 3, len - 3);
  }
  return scan_svc_end(ok, SCAN_SVC_DONE);
}

static scan_svc_verdict redis_step(scan_svc_io *io) {
  redis_state *s = io->state;
  return s->pinged ? info(io) : pong(io, s);
}

static const uint16_t redis_ports[] = {6379, 6380, 0};

const scan_svc_module scan_svc_redis = {
    .name = "redis",
    .ports = redis_ports,
    .server_first = false,
    .state_size = sizeof(redis_state),
    .start = redis_start,
    .step = redis_step,
};
