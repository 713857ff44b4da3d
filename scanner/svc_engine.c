/* The service stage: what runs on each open port, for thousands of ports at
 * once over one epoll loop, in the shape of nsock: every operation of a
 * connection (connect, TLS handshake, send, receive) has a deadline and ends
 * in one of a few explicit states, and each end moves the port's plan on.
 *
 * A port in progress owns a slot. Its plan is a list of candidates, tried
 * one connection each (a connection is reused when nothing was sent on it
 * yet and the next candidate can start there):
 *   1. on a usual TLS port, a TLS handshake first (then everything else runs
 *      inside TLS on the same connection);
 *   2. the modules that list the port, then the data probes that do;
 *   3. the banner probe (listen only), if not already tried: when the server
 *      speaks first, the server-first modules are offered its words before
 *      any pattern is, so a protocol exchange wins over a banner match;
 *   4. a TLS handshake, if not tried yet (a TLS service on an odd port);
 *   5. the client-first modules in the registry's order, then the generic
 *      data probes.
 * An answer that starts like a TLS record turns TLS on and the plan starts
 * again inside it. The port is done at the first module that says DONE or
 * ERROR (confidence "confirmed") or the first pattern that matches
 * ("banner"), when the plan is empty, after max_attempts connections, or at
 * the port's deadline. A module may ask for a new connection and go on
 * there (SCAN_SVC_RECONNECT): the slot keeps its state and facts, connects
 * again and sends the module's request first thing (resume). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "scanner/scan_int.h"
#include "scanner/svc_int.h"

#define SVC_PLAN_MAX 96u
#define SVC_MODULES_MAX 64u      /* modules the engine can track as tried */
#define SVC_PROBES_MAX 128u      /* data probes likewise; later ones are ignored */
#define SVC_IDLE_NS 300000000ull /* a probe's answer is whole after this silence */
#define SVC_DEFERRED_MAX 4096u
#define SVC_NO_HOST UINT32_MAX

/* Usual TLS ports: a handshake is tried first there. */
static const uint16_t svc_tls_ports[] = {261,  443,  448,  465,  563,  585,   614,  636,  853,
                                         989,  990,  992,  993,  994,  995,   2083, 2087, 2096,
                                         2376, 2484, 3269, 4443, 5061, 5223,  5986, 6514, 6679,
                                         6697, 8243, 8443, 8531, 9443, 10443, 0};

typedef enum svc_kind { CAND_MODULE = 1, CAND_PROBE, CAND_TLS } svc_kind;

typedef struct svc_cand {
  uint8_t kind;   /* svc_kind */
  uint16_t index; /* module or probe index */
} svc_cand;

typedef enum svc_phase { PH_IDLE = 0, PH_CONNECT, PH_HANDSHAKE, PH_SEND, PH_RECV } svc_phase;

/* One port in progress. */
typedef struct svc_slot {
  bool busy;
  size_t target;
  uint32_t host;
  svc_cand plan[SVC_PLAN_MAX];
  unsigned plan_len, plan_at, attempts;
  bool tls, tls_checked, banner_done;
  bool confirmed; /* a module named the service: probes may only add a product */
  bool banner_matched; /* the patterns had their look at the banner */
  bool tried_module[SVC_MODULES_MAX], tried_probe[SVC_PROBES_MAX];
  uint64_t port_deadline, op_deadline, idle_deadline;
  /* The connection and the candidate on it. */
  scan_svc_conn conn;
  svc_phase phase;
  uint32_t events; /* epoll interest registered */
  svc_cand cur;
  bool sent_any, eof;
  bool resume; /* a module's request waits for the new connection it asked for */
  uint8_t *in;
  size_t in_len, in_cap;
  uint8_t out[SCAN_SVC_OUT_MAX];
  size_t out_len, out_off;
  void *state;
  scan_facts *scratch; /* what the current candidate learns */
  scan_svc_io io;
} svc_slot;

typedef struct svc_engine {
  const scan_svc_config *cfg;
  const scan_svc_module *const *modules;
  size_t module_count, probe_count;
  scan_services *services;
  scan_svc_stats *stats;
  SSL_CTX *tls;
  int epfd;
  svc_slot *slots;
  unsigned capacity, used;
  uint32_t *host_of, *host_busy; /* per target: its host; per host: connections */
  size_t *order, order_at, count;
  size_t *deferred;
  size_t deferred_count;
  uint64_t connect_ns, read_ns, banner_ns, port_ns, last_progress_ns, start_ns;
  scan_svc_deep *deep;
  vigie_error *err;
  vigie_status status; /* first failure that stops the stage */
} svc_engine;

static void svc_next(svc_engine *e, svc_slot *s);
static void svc_begin(svc_engine *e, svc_slot *s);
static void svc_drive(svc_engine *e, svc_slot *s);
static void svc_connect(svc_engine *e, svc_slot *s);

/* -------------------------------------------------------------- helpers */

static uint64_t svc_ns(double seconds, double fallback) {
  return (uint64_t)((seconds > 0 ? seconds : fallback) * 1e9);
}

static bool svc_port_in(const uint16_t *ports, uint16_t port) {
  for (const uint16_t *p = ports; p != NULL && *p != 0; p++)
    if (*p == port) return true;
  return false;
}

static void svc_fail(svc_engine *e, vigie_status status, const char *what) {
  if (e->status != VIGIE_OK) return;
  e->status = status;
  vigie_fail(e->err, status, "service stage: %s", what);
}

static scan_facts *svc_target_facts(svc_engine *e, const svc_slot *s) {
  return scan_services_facts(e->services, s->target);
}

/* Ask epoll for what the connection waits on. */
static void svc_watch(svc_engine *e, svc_slot *s, uint32_t events) {
  if (s->conn.fd < 0 || s->events == events) return;
  struct epoll_event ev = {.events = events, .data.u32 = (uint32_t)(s - e->slots)};
  int op = s->events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
  if (epoll_ctl(e->epfd, op, s->conn.fd, &ev) != 0) svc_fail(e, VIGIE_EIO, "epoll_ctl failed");
  s->events = events;
}

static void svc_close(svc_slot *s) {
  scan_svc_conn_close(&s->conn); /* closing removes it from epoll */
  s->events = 0;
  s->phase = PH_IDLE;
  s->sent_any = s->eof = false;
  s->in_len = 0;
}

/* ------------------------------------------------------------- the plan */

static void svc_plan_add(svc_slot *s, svc_kind kind, size_t index) {
  for (unsigned i = 0; i < s->plan_len; i++)
    if (s->plan[i].kind == kind && s->plan[i].index == index) return;
  if (s->plan_len < SVC_PLAN_MAX)
    s->plan[s->plan_len++] = (svc_cand){(uint8_t)kind, (uint16_t)index};
}

/* The plan for the port, as the file's header says; from scratch when TLS
 * turns on, the tried candidates skipped later. */
static void svc_plan(svc_engine *e, svc_slot *s, uint16_t port) {
  const scan_probes *probes = e->cfg->probes;
  s->plan_len = s->plan_at = 0;
  if (!s->tls && svc_port_in(svc_tls_ports, port)) svc_plan_add(s, CAND_TLS, 0);
  for (size_t m = 0; m < e->module_count; m++)
    if (svc_port_in(e->modules[m]->ports, port)) svc_plan_add(s, CAND_MODULE, m);
  for (size_t p = 0; p < e->probe_count; p++)
    if (scan_probes_lists_port(probes, p, port)) svc_plan_add(s, CAND_PROBE, p);
  for (size_t p = 0; p < e->probe_count; p++) {
    size_t len;
    (void)scan_probes_request(probes, p, &len);
    if (len == 0) svc_plan_add(s, CAND_PROBE, p);
  }
  if (!s->tls) svc_plan_add(s, CAND_TLS, 0);
  for (size_t m = 0; m < e->module_count; m++)
    if (!e->modules[m]->server_first) svc_plan_add(s, CAND_MODULE, m);
  for (size_t p = 0; p < e->probe_count; p++)
    if (scan_probes_generic(probes, p)) svc_plan_add(s, CAND_PROBE, p);
}

static bool svc_tried(const svc_slot *s, svc_cand c) {
  switch ((svc_kind)c.kind) {
    case CAND_MODULE: return s->tried_module[c.index];
    case CAND_PROBE: return s->tried_probe[c.index];
    case CAND_TLS: return s->tls || s->tls_checked;
  }
  return true;
}

static void svc_mark(svc_slot *s, svc_cand c) {
  if (c.kind == CAND_MODULE) s->tried_module[c.index] = true;
  if (c.kind == CAND_PROBE) s->tried_probe[c.index] = true;
  if (c.kind == CAND_TLS) s->tls_checked = true;
}

static size_t svc_request_len(const svc_engine *e, svc_cand c) {
  size_t len = 0;
  if (c.kind == CAND_PROBE) (void)scan_probes_request(e->cfg->probes, c.index, &len);
  return len;
}

/* Whether c can start on the open connection: nothing sent yet, the peer
 * still there, and c either speaks first on a silent line or only listens
 * (then it reads what already came). */
static bool svc_reusable(const svc_engine *e, const svc_slot *s, svc_cand c) {
  if (s->conn.fd < 0 || s->phase == PH_CONNECT || s->sent_any || s->eof) return false;
  if (c.kind == CAND_TLS) return s->in_len == 0 && s->conn.ssl == NULL;
  if (s->in_len == 0) return true;
  if (c.kind == CAND_MODULE) return e->modules[c.index]->server_first;
  return svc_request_len(e, c) == 0;
}

/* --------------------------------------------------------- finishing */

static void svc_note_banner(svc_engine *e, svc_slot *s) {
  if (s->banner_done || s->sent_any || s->in_len == 0) return;
  s->banner_done = true;
  /* A module may have kept the banner itself (trimmed, say): once is enough. */
  if (scan_facts_get(svc_target_facts(e, s), "banner") != NULL) return;
  if (scan_facts_add(svc_target_facts(e, s), "banner", s->in, s->in_len) != VIGIE_OK)
    svc_fail(e, VIGIE_ENOMEM, "out of memory");
}

/* Keep what the current candidate learnt as the port's facts. */
static void svc_adopt(svc_engine *e, svc_slot *s) {
  scan_facts *facts = svc_target_facts(e, s);
  vigie_status status = VIGIE_OK;
  const char *name, *value;
  size_t len;
  bool had_banner = scan_facts_get(facts, "banner") != NULL;
  for (size_t i = 0; status == VIGIE_OK && scan_facts_at(s->scratch, i, &name, &value, &len); i++)
    if (!had_banner || strcmp(name, "banner") != 0)
      status = scan_facts_add(facts, name, value, len);
  if (status == VIGIE_OK && s->cur.kind == CAND_MODULE) {
    if (scan_facts_get(facts, "service") == NULL)
      status = scan_facts_set(facts, "service", e->modules[s->cur.index]->name);
    if (status == VIGIE_OK) status = scan_facts_set(facts, "confidence", "confirmed");
  }
  if (status != VIGIE_OK) svc_fail(e, VIGIE_ENOMEM, "out of memory");
  /* Adopted once: the next candidate starts with a fresh set. */
  scan_facts_free(s->scratch);
  s->scratch = NULL;
  s->io.facts = NULL;
}

static void svc_release(svc_engine *e, svc_slot *s) {
  svc_close(s);
  vigie_free(s->state);
  s->state = NULL;
  scan_facts_free(s->scratch);
  s->scratch = NULL;
  e->host_busy[s->host]--;
  s->busy = false;
  e->used--;
}

static void svc_finish(svc_engine *e, svc_slot *s) {
  scan_facts *facts = svc_target_facts(e, s);
  svc_note_banner(e, s);
  vigie_status status = VIGIE_OK;
  if (s->tls) status = scan_facts_set(facts, "tls", "true");
  if (status == VIGIE_OK && s->tls && scan_facts_get(facts, "service") == NULL)
    status = scan_facts_set(facts, "service", "tls");
  if (status != VIGIE_OK) svc_fail(e, VIGIE_ENOMEM, "out of memory");
  e->stats->done++;
  e->stats->identified += scan_facts_get(facts, "service") != NULL;
  e->stats->tls += s->tls;
  vigie_addr addr;
  uint16_t port;
  const char *name;
  scan_services_at(e->services, s->target, &addr, &port, &name);
  const char *starttls = scan_facts_get(facts, "starttls");
  bool upgrade = !s->tls && starttls != NULL && strcmp(starttls, "offered") == 0;
  bool deep = e->deep != NULL && (s->tls || upgrade);
  if (deep && scan_svc_deep_queue(e->deep, s->target, &addr, port, name,
                                  upgrade ? scan_facts_get(facts, "service") : NULL) != VIGIE_OK)
    svc_fail(e, VIGIE_ENOMEM, "out of memory");
  /* A port with a deep look pending is told done once its facts joined. */
  if (!deep && e->cfg->on_done != NULL) e->cfg->on_done(&addr, port, facts, e->cfg->user);
  svc_release(e, s);
}

/* ------------------------------------------------------- candidates */

/* A fresh io for the current candidate: a new step, zeroed state. */
static bool svc_io_reset(svc_engine *e, svc_slot *s) {
  vigie_free(s->state);
  s->state = NULL;
  scan_facts_free(s->scratch);
  s->scratch = scan_facts_new();
  size_t size = s->cur.kind == CAND_MODULE ? e->modules[s->cur.index]->state_size : 0;
  if (size > 0) s->state = vigie_calloc(1, size);
  if (s->scratch == NULL || (size > 0 && s->state == NULL)) {
    svc_fail(e, VIGIE_ENOMEM, "out of memory");
    return false;
  }
  const char *name;
  uint16_t port;
  scan_services_at(e->services, s->target, NULL, &port, &name);
  s->io = (scan_svc_io){.out = s->out,
                        .facts = s->scratch,
                        .state = s->state,
                        .intrusive = e->cfg->intrusive,
                        .host_name = name,
                        .port = port};
  s->out_len = s->out_off = 0;
  return true;
}

static void svc_wait_recv(svc_engine *e, svc_slot *s, uint64_t timeout_ns) {
  s->phase = PH_RECV;
  s->op_deadline = scan_now_ns() + timeout_ns;
  s->idle_deadline = 0;
  svc_watch(e, s, EPOLLIN);
}

static void svc_send(svc_engine *e, svc_slot *s, size_t len) {
  s->out_len = len, s->out_off = 0;
  s->sent_any = true;
  s->in_len = 0; /* a new step: io.in holds this request's answer only */
  s->phase = PH_SEND;
  s->op_deadline = scan_now_ns() + e->read_ns;
  s->conn.want_write = true;
  svc_drive(e, s);
}

static unsigned svc_max_attempts(const svc_engine *e) {
  return e->cfg->max_attempts ? e->cfg->max_attempts : SCAN_SVC_DEFAULT_ATTEMPTS;
}

/* Whether the current candidate is a module that has named the service:
 * what it learnt is then kept whatever ends its conversation. */
static bool svc_named(const svc_slot *s) {
  return s->cur.kind == CAND_MODULE && s->scratch != NULL &&
         scan_facts_get(s->scratch, "service") != NULL;
}

static void svc_verdict(svc_engine *e, svc_slot *s, scan_svc_verdict v);

/* The connection failed under the current candidate (silence, a failed
 * send or handshake): a module that named the service ends as ERROR (its
 * facts kept); anything else gives way to the next candidate. */
static void svc_lost(svc_engine *e, svc_slot *s) {
  if (svc_named(s)) return svc_verdict(e, s, SCAN_SVC_ERROR);
  svc_next(e, s);
}

/* No new connection for a module that asked for one, or none at all: the
 * port is done, with the module's facts when it asked. */
static void svc_unreachable(svc_engine *e, svc_slot *s) {
  if (s->resume) svc_adopt(e, s);
  s->resume = false;
  svc_finish(e, s);
}

/* SCAN_SVC_RECONNECT: a new connection, io.out sent first thing on it. */
static void svc_reconnect(svc_engine *e, svc_slot *s) {
  if (s->io.out_len == 0 || s->io.out_len > SCAN_SVC_OUT_MAX ||
      s->attempts >= svc_max_attempts(e) || scan_now_ns() >= s->port_deadline)
    return svc_verdict(e, s, SCAN_SVC_ERROR);
  s->resume = true;
  svc_connect(e, s);
}

/* What a module's start or step said. */
static void svc_verdict(svc_engine *e, svc_slot *s, scan_svc_verdict v) {
  switch (v) {
    case SCAN_SVC_MORE:
      if (!s->io.in_full) return svc_wait_recv(e, s, e->read_ns);
      /* Nothing more will come: a module that named the service keeps it. */
      if (scan_facts_get(s->scratch, "service") != NULL) return svc_adopt(e, s), svc_finish(e, s);
      return svc_next(e, s);
    case SCAN_SVC_NEXT:
      if (s->io.out_len == 0 || s->io.out_len > SCAN_SVC_OUT_MAX || s->eof) return svc_next(e, s);
      return svc_send(e, s, s->io.out_len);
    case SCAN_SVC_DONE:
    case SCAN_SVC_ERROR:
      svc_adopt(e, s);
      /* A module that proved the protocol but found no product: the data
       * probes listing the port may still name it (a changed banner, a
       * refusal worded like one server's). */
      if (scan_facts_get(svc_target_facts(e, s), "product") != NULL) return svc_finish(e, s);
      s->confirmed = true;
      return svc_next(e, s);
    case SCAN_SVC_NOT_MINE: return svc_next(e, s);
    case SCAN_SVC_RECONNECT: return svc_reconnect(e, s);
  }
}

static void svc_step(svc_engine *e, svc_slot *s) {
  const scan_svc_module *m = e->modules[s->cur.index];
  s->io.in = s->in, s->io.in_len = s->in_len;
  s->io.in_full = s->in_len >= SCAN_SVC_IN_MAX || s->eof;
  s->io.out_len = 0;
  svc_verdict(e, s, m->step(&s->io));
}

static void svc_begin_module(svc_engine *e, svc_slot *s) {
  const scan_svc_module *m = e->modules[s->cur.index];
  if (!svc_io_reset(e, s)) return;
  scan_svc_verdict v = m->start(&s->io);
  if (v == SCAN_SVC_MORE || v == SCAN_SVC_NEXT) {
    if (s->io.out_len > 0 && s->io.out_len <= SCAN_SVC_OUT_MAX)
      return svc_send(e, s, s->io.out_len);
    /* Bytes already read on a reused connection are this step's. */
    if (s->in_len > 0) return svc_step(e, s);
    return svc_wait_recv(e, s, m->server_first ? e->read_ns : e->banner_ns);
  }
  svc_verdict(e, s, v);
}

static void svc_begin_probe(svc_engine *e, svc_slot *s) {
  size_t len;
  const uint8_t *req = scan_probes_request(e->cfg->probes, s->cur.index, &len);
  if (!svc_io_reset(e, s)) return;
  if (len == 0) {
    svc_wait_recv(e, s, e->banner_ns);
    if (s->in_len > 0) s->idle_deadline = scan_now_ns() + SVC_IDLE_NS;
    return;
  }
  memcpy(s->out, req, len < SCAN_SVC_OUT_MAX ? len : SCAN_SVC_OUT_MAX);
  svc_send(e, s, len < SCAN_SVC_OUT_MAX ? len : SCAN_SVC_OUT_MAX);
}

/* Start the current candidate on the connected (and maybe TLS) socket. */
static void svc_begin(svc_engine *e, svc_slot *s) {
  if (s->resume) {
    s->resume = false;
    return svc_send(e, s, s->io.out_len);
  }
  switch ((svc_kind)s->cur.kind) {
    case CAND_TLS:
      if (!scan_svc_conn_tls(&s->conn, e->tls, NULL)) return svc_fail(e, VIGIE_ENOMEM, "TLS setup");
      s->phase = PH_HANDSHAKE;
      s->op_deadline = scan_now_ns() + e->read_ns;
      return svc_drive(e, s);
    case CAND_MODULE: return svc_begin_module(e, s);
    case CAND_PROBE: return svc_begin_probe(e, s);
  }
}

static void svc_connect(svc_engine *e, svc_slot *s) {
  vigie_addr addr;
  uint16_t port;
  scan_services_at(e->services, s->target, &addr, &port, NULL);
  svc_close(s);
  s->attempts++;
  e->stats->connections++;
  int rc = scan_svc_conn_open(&s->conn, &addr, port);
  if (rc != 0) {
    if (rc == EMFILE || rc == ENFILE || rc == ENOBUFS || rc == ENOMEM)
      return svc_fail(e, VIGIE_EIO, "out of sockets (lower --service-parallel)");
    return svc_unreachable(e, s);
  }
  s->phase = PH_CONNECT;
  s->op_deadline = scan_now_ns() + e->connect_ns;
  svc_watch(e, s, EPOLLOUT);
}

/* Once a module confirmed the service, only the data probes that list the
 * port are still worth a connection. */
static bool svc_fills(const svc_engine *e, const svc_slot *s, svc_cand c) {
  uint16_t port;
  scan_services_at(e->services, s->target, NULL, &port, NULL);
  return c.kind == CAND_PROBE && scan_probes_lists_port(e->cfg->probes, c.index, port);
}

/* A banner a module was offered but could not take further (it waited for
 * more than the server gave): the patterns still get their look at it,
 * before any new connection. \return true when one matched (port done). */
static bool svc_match_banner(svc_engine *e, svc_slot *s) {
  scan_facts *facts = svc_target_facts(e, s);
  const char *banner;
  size_t len = 0;
  if (s->banner_matched || s->confirmed || scan_facts_get(facts, "service") != NULL) return false;
  for (size_t i = 0; scan_facts_at(facts, i, &banner, NULL, NULL); i++)
    if (strcmp(banner, "banner") == 0) {
      (void)scan_facts_at(facts, i, NULL, &banner, &len);
      break;
    }
  if (len == 0) return false;
  s->banner_matched = true;
  s->cur = (svc_cand){CAND_PROBE, 0};
  if (!svc_io_reset(e, s) ||
      !scan_probes_match(e->cfg->probes, SIZE_MAX, (const uint8_t *)banner, len, s->scratch))
    return false;
  svc_adopt(e, s);
  svc_finish(e, s);
  return true;
}

/* The next candidate of the plan, on this connection or a new one. */
static void svc_next(svc_engine *e, svc_slot *s) {
  if (e->status != VIGIE_OK) return;
  svc_note_banner(e, s);
  if (svc_match_banner(e, s)) return;
  while (s->plan_at < s->plan_len) {
    svc_cand c = s->plan[s->plan_at++];
    if (svc_tried(s, c) || (s->confirmed && !svc_fills(e, s, c))) continue;
    if (scan_now_ns() >= s->port_deadline) break;
    bool reuse = svc_reusable(e, s, c);
    if (!reuse && s->attempts >= svc_max_attempts(e)) break;
    svc_mark(s, c);
    s->cur = c;
    if (reuse) return svc_begin(e, s);
    return svc_connect(e, s);
  }
  svc_finish(e, s);
}

/* ------------------------------------------------------------- answers */

/* TLS is on from now: the plan starts again inside it. */
static void svc_tls_on(svc_engine *e, svc_slot *s) {
  vigie_addr addr;
  uint16_t port;
  scan_services_at(e->services, s->target, &addr, &port, NULL);
  s->tls = s->tls_checked = true;
  memset(s->tried_module, 0, sizeof s->tried_module);
  memset(s->tried_probe, 0, sizeof s->tried_probe);
  svc_plan(e, s, port);
}

/* Offer a banner to the server-first modules not tried yet: the first that
 * claims it becomes the current candidate. \return true when one did. */
static bool svc_offer_banner(svc_engine *e, svc_slot *s) {
  for (size_t m = 0; m < e->module_count && m < SVC_MODULES_MAX; m++) {
    if (!e->modules[m]->server_first || s->tried_module[m]) continue;
    s->tried_module[m] = true;
    s->cur = (svc_cand){CAND_MODULE, (uint16_t)m};
    if (!svc_io_reset(e, s)) return true;
    scan_svc_verdict v = e->modules[m]->start(&s->io);
    if (v != SCAN_SVC_NOT_MINE) {
      s->io.in = s->in, s->io.in_len = s->in_len;
      s->io.in_full = s->in_len >= SCAN_SVC_IN_MAX || s->eof;
      s->io.out_len = 0;
      v = e->modules[m]->step(&s->io);
    }
    if (v != SCAN_SVC_NOT_MINE) {
      svc_verdict(e, s, v);
      return true;
    }
  }
  return false;
}

/* A confirmed port: a pattern of the same service adds what the module
 * left out (product, version, info), never changes what it said. */
static void svc_fill_in(svc_engine *e, svc_slot *s, size_t probe) {
  static const char *const fill[] = {"product", "version", "info"};
  scan_facts *facts = svc_target_facts(e, s);
  if (!svc_io_reset(e, s)) return;
  bool matched = scan_probes_match(e->cfg->probes, probe, s->in, s->in_len, s->scratch);
  const char *mine = scan_facts_get(facts, "service"),
             *theirs = scan_facts_get(s->scratch, "service");
  if (!matched || mine == NULL || theirs == NULL || strcmp(mine, theirs) != 0)
    return svc_next(e, s);
  for (size_t i = 0; i < sizeof fill / sizeof fill[0]; i++) {
    const char *v = scan_facts_get(s->scratch, fill[i]);
    if (v != NULL && scan_facts_get(facts, fill[i]) == NULL &&
        scan_facts_set(facts, fill[i], v) != VIGIE_OK)
      return svc_fail(e, VIGIE_ENOMEM, "out of memory");
  }
  svc_finish(e, s);
}

/* A data probe's answer is whole (closed, full, silent a while, or its
 * time is up): TLS, a module's banner, or a pattern. */
static void svc_probe_done(svc_engine *e, svc_slot *s) {
  const scan_probes *probes = e->cfg->probes;
  if (s->in_len == 0) return svc_next(e, s);
  if (!s->tls && scan_svc_looks_tls(s->in, s->in_len)) {
    svc_tls_on(e, s);
    svc_close(s);
    return svc_next(e, s);
  }
  size_t probe = s->cur.index;
  svc_note_banner(e, s);
  if (s->confirmed) return svc_fill_in(e, s, probe);
  if (!s->sent_any && svc_offer_banner(e, s)) return;
  if (s->scratch == NULL && !svc_io_reset(e, s)) return;
  if (scan_probes_match(probes, probe, s->in, s->in_len, s->scratch) ||
      scan_probes_match(probes, SIZE_MAX, s->in, s->in_len, s->scratch)) {
    s->cur = (svc_cand){CAND_PROBE, (uint16_t)probe};
    svc_adopt(e, s);
    return svc_finish(e, s);
  }
  svc_next(e, s);
}

/* Grow the input buffer towards SCAN_SVC_IN_MAX: most answers are small. */
static bool svc_room(svc_engine *e, svc_slot *s) {
  if (s->in_len < s->in_cap) return true;
  size_t cap = s->in_cap ? s->in_cap * 4 : 4096;
  if (cap > SCAN_SVC_IN_MAX) cap = SCAN_SVC_IN_MAX;
  uint8_t *in = vigie_realloc(s->in, cap);
  if (in == NULL) return svc_fail(e, VIGIE_ENOMEM, "out of memory"), false;
  s->in = in, s->in_cap = cap;
  return true;
}

/* Read what is there; then the current candidate looks at it. */
static void svc_recv(svc_engine *e, svc_slot *s) {
  bool got = false;
  scan_svc_ioend end = SCAN_SVC_IO_OK;
  while (s->in_len < SCAN_SVC_IN_MAX && svc_room(e, s)) {
    size_t n;
    end = scan_svc_conn_recv(&s->conn, s->in + s->in_len, s->in_cap - s->in_len, &n);
    if (end != SCAN_SVC_IO_OK) break;
    s->in_len += n, got = true;
  }
  if (e->status != VIGIE_OK) return;
  if (end == SCAN_SVC_IO_EOF || end == SCAN_SVC_IO_ERROR) s->eof = true;
  if (end == SCAN_SVC_IO_AGAIN) svc_watch(e, s, s->conn.want_write ? EPOLLOUT : EPOLLIN);
  if (!got && !s->eof) return;
  if (s->cur.kind == CAND_MODULE) return svc_step(e, s);
  if (s->eof || s->in_len >= SCAN_SVC_IN_MAX) return svc_probe_done(e, s);
  s->idle_deadline = scan_now_ns() + SVC_IDLE_NS;
}

static void svc_flush(svc_engine *e, svc_slot *s) {
  while (s->out_off < s->out_len) {
    size_t n;
    scan_svc_ioend end =
        scan_svc_conn_send(&s->conn, s->out + s->out_off, s->out_len - s->out_off, &n);
    if (end == SCAN_SVC_IO_AGAIN) return svc_watch(e, s, s->conn.want_write ? EPOLLOUT : EPOLLIN);
    if (end != SCAN_SVC_IO_OK) {
      s->eof = true;
      return svc_lost(e, s);
    }
    s->out_off += n;
  }
  svc_wait_recv(e, s, e->read_ns);
  svc_recv(e, s);
}

static void svc_handshake(svc_engine *e, svc_slot *s) {
  scan_svc_ioend end = scan_svc_conn_handshake(&s->conn);
  if (end == SCAN_SVC_IO_AGAIN) return svc_watch(e, s, s->conn.want_write ? EPOLLOUT : EPOLLIN);
  if (end == SCAN_SVC_IO_OK) {
    svc_tls_on(e, s);
    return svc_next(e, s); /* the same connection: nothing sent inside TLS yet */
  }
  s->eof = true; /* the socket is unusable for plain text after a failed hello */
  svc_next(e, s);
}

/* Move a connection on after epoll said it is ready. */
static void svc_drive(svc_engine *e, svc_slot *s) {
  switch (s->phase) {
    case PH_CONNECT: {
      int rc = scan_svc_conn_result(&s->conn);
      if (rc == EINPROGRESS || rc == EALREADY) return;
      if (rc != 0) return svc_unreachable(e, s); /* refused or unreachable now */
      const char *name;
      scan_services_at(e->services, s->target, NULL, NULL, &name);
      if (s->tls && s->cur.kind != CAND_TLS) {
        if (!scan_svc_conn_tls(&s->conn, e->tls, name))
          return svc_fail(e, VIGIE_ENOMEM, "TLS setup");
        s->phase = PH_HANDSHAKE;
        s->op_deadline = scan_now_ns() + e->read_ns;
        return svc_drive(e, s);
      }
      return svc_begin(e, s);
    }
    case PH_HANDSHAKE:
      if (s->cur.kind == CAND_TLS) return svc_handshake(e, s);
      {
        scan_svc_ioend end = scan_svc_conn_handshake(&s->conn);
        if (end == SCAN_SVC_IO_AGAIN)
          return svc_watch(e, s, s->conn.want_write ? EPOLLOUT : EPOLLIN);
        if (end != SCAN_SVC_IO_OK) return s->resume ? svc_unreachable(e, s) : svc_next(e, s);
        return svc_begin(e, s);
      }
    case PH_SEND: return svc_flush(e, s);
    case PH_RECV: return svc_recv(e, s);
    case PH_IDLE: return;
  }
}

/* A deadline passed: the operation ends as a timeout. */
static void svc_timeout(svc_engine *e, svc_slot *s, uint64_t now) {
  if (now >= s->port_deadline) {
    if (svc_named(s) || s->resume) svc_adopt(e, s);
    return svc_finish(e, s);
  }
  if (s->phase == PH_RECV && s->cur.kind == CAND_MODULE) {
    if (s->in_len == 0) return svc_lost(e, s); /* silence: not this protocol, or no answer */
    s->eof = true;                             /* the last look at what came */
    return svc_step(e, s);
  }
  if (s->phase == PH_RECV && s->cur.kind == CAND_PROBE) return svc_probe_done(e, s);
  if (s->phase == PH_CONNECT) return svc_unreachable(e, s); /* filtered now: give up on it */
  s->eof = true; /* a half-done handshake or send: the connection is spent */
  if (s->resume) return svc_unreachable(e, s);
  svc_lost(e, s);
}

/* ----------------------------------------------------------- scheduling */

/* Start the port of target t in a free slot. */
static void svc_start(svc_engine *e, size_t t) {
  svc_slot *s = NULL;
  for (unsigned i = 0; i < e->capacity && s == NULL; i++)
    if (!e->slots[i].busy) s = &e->slots[i];
  uint16_t port;
  scan_services_at(e->services, t, NULL, &port, NULL);
  uint8_t *in = s->in;
  size_t in_cap = s->in_cap;
  memset(s, 0, sizeof *s);
  s->in = in, s->in_cap = in_cap;
  s->conn.fd = -1;
  s->busy = true;
  s->target = t;
  s->host = e->host_of[t];
  s->port_deadline = scan_now_ns() + e->port_ns;
  e->host_busy[s->host]++;
  e->used++;
  svc_plan(e, s, port);
  svc_next(e, s);
}

/* Start ports while slots and their hosts' limits allow: first the ones
 * that waited for their host, then new ones in round-robin host order. */
static void svc_fill(svc_engine *e) {
  unsigned per_host = e->cfg->per_host ? e->cfg->per_host : SCAN_SVC_DEFAULT_PER_HOST;
  size_t kept = 0;
  for (size_t k = 0; k < e->deferred_count; k++) {
    size_t t = e->deferred[k];
    if (e->used < e->capacity && e->host_busy[e->host_of[t]] < per_host && e->status == VIGIE_OK)
      svc_start(e, t);
    else
      e->deferred[kept++] = t;
  }
  e->deferred_count = kept;
  while (e->used < e->capacity && e->order_at < e->count && e->deferred_count < SVC_DEFERRED_MAX &&
         e->status == VIGIE_OK) {
    size_t t = e->order[e->order_at++];
    if (e->host_busy[e->host_of[t]] < per_host)
      svc_start(e, t);
    else
      e->deferred[e->deferred_count++] = t;
  }
}

static uint64_t svc_slot_deadline(const svc_slot *s) {
  uint64_t d = s->op_deadline < s->port_deadline ? s->op_deadline : s->port_deadline;
  if (s->idle_deadline != 0 && s->idle_deadline < d) d = s->idle_deadline;
  return d;
}

static void svc_expire(svc_engine *e, uint64_t now) {
  for (unsigned i = 0; i < e->capacity && e->status == VIGIE_OK; i++) {
    svc_slot *s = &e->slots[i];
    if (!s->busy || svc_slot_deadline(s) > now) continue;
    if (s->idle_deadline != 0 && s->idle_deadline <= now && s->phase == PH_RECV &&
        s->cur.kind == CAND_PROBE)
      svc_probe_done(e, s);
    else
      svc_timeout(e, s, now);
  }
}

static int svc_sleep_ms(const svc_engine *e, uint64_t now) {
  uint64_t wait = 250000000ull;
  for (unsigned i = 0; i < e->capacity; i++) {
    if (!e->slots[i].busy) continue;
    uint64_t d = svc_slot_deadline(&e->slots[i]);
    if (d <= now) return 0;
    if (d - now < wait) wait = d - now;
  }
  return (int)((wait + 999999) / 1000000);
}

static void svc_events(svc_engine *e, int timeout_ms) {
  struct epoll_event events[256];
  int n = epoll_wait(e->epfd, events, 256, timeout_ms);
  for (int k = 0; k < n && e->status == VIGIE_OK; k++) {
    svc_slot *s = &e->slots[events[k].data.u32];
    if (s->busy) svc_drive(e, s);
  }
}

static void svc_progress(svc_engine *e, uint64_t now) {
  if (e->cfg->log == NULL || now - e->last_progress_ns < 250000000ull) return;
  e->last_progress_ns = now;
  size_t queued = 0, deep_done = 0;
  if (e->deep != NULL) scan_svc_deep_progress(e->deep, &queued, &deep_done);
  vigie_log_progress(e->cfg->log, "services: %zu/%zu ports done, %u in flight, %zu identified%s",
                     e->stats->done, e->count, e->used, e->stats->identified,
                     queued ? ", TLS inspection running" : "");
}

/* --------------------------------------------------------------- set-up */

/* Hosts by index: the pairs are sorted, so a host is a run of one address. */
static void svc_hosts(svc_engine *e) {
  vigie_addr prev = {0}, a;
  uint32_t host = SVC_NO_HOST;
  for (size_t t = 0; t < e->count; t++) {
    scan_services_at(e->services, t, &a, NULL, NULL);
    bool same = t > 0 && a.family == prev.family &&
                (a.family == AF_INET ? a.v4 == prev.v4 : a.v6 == prev.v6);
    if (!same) host = (uint32_t)t;
    e->host_of[t] = host;
    prev = a;
  }
}

static int svc_order_cmp(const void *x, const void *y) {
  uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
  return a < b ? -1 : a > b;
}

/* Round robin over hosts: every host's first port, then every second one,
 * so that a host with many ports never holds the others back. */
static bool svc_order(svc_engine *e) {
  uint64_t *keys = vigie_calloc(e->count ? e->count : 1, sizeof *keys);
  if (keys == NULL) return false;
  for (size_t t = 0; t < e->count; t++) keys[t] = (uint64_t)(t - e->host_of[t]) << 32 | t;
  qsort(keys, e->count, sizeof *keys, svc_order_cmp);
  for (size_t t = 0; t < e->count; t++) e->order[t] = (size_t)(keys[t] & 0xffffffffu);
  vigie_free(keys);
  return true;
}

static vigie_status svc_init(svc_engine *e, const scan_svc_config *cfg, scan_services *services,
                             scan_svc_stats *stats, vigie_error *err) {
  memset(e, 0, sizeof *e);
  e->cfg = cfg, e->services = services, e->stats = stats, e->err = err;
  e->epfd = -1;
  e->modules = cfg->modules;
  e->module_count = cfg->module_count;
  if (e->modules == NULL) e->modules = scan_svc_registry(&e->module_count);
  if (e->module_count > SVC_MODULES_MAX) e->module_count = SVC_MODULES_MAX;
  e->probe_count = scan_probes_count(cfg->probes);
  if (e->probe_count > SVC_PROBES_MAX) e->probe_count = SVC_PROBES_MAX;
  e->count = scan_services_count(services);
  /* Room for the deep workers' sockets and our files. */
  e->capacity = scan_fd_capacity(cfg->parallel ? cfg->parallel : SCAN_SVC_DEFAULT_PARALLEL, 128);
  if (e->capacity > e->count) e->capacity = e->count ? (unsigned)e->count : 1;
  e->connect_ns = svc_ns(cfg->connect_timeout_s, SCAN_SVC_DEFAULT_CONNECT_S);
  e->read_ns = svc_ns(cfg->read_timeout_s, SCAN_SVC_DEFAULT_READ_S);
  e->banner_ns = svc_ns(cfg->banner_wait_s, SCAN_SVC_DEFAULT_BANNER_S);
  e->port_ns = svc_ns(cfg->port_timeout_s, SCAN_SVC_DEFAULT_PORT_S);
  e->slots = vigie_calloc(e->capacity, sizeof *e->slots);
  e->host_of = vigie_calloc(e->count + 1, sizeof *e->host_of);
  e->host_busy = vigie_calloc(e->count + 1, sizeof *e->host_busy);
  e->order = vigie_calloc(e->count + 1, sizeof *e->order);
  e->deferred = vigie_calloc(SVC_DEFERRED_MAX, sizeof *e->deferred);
  if (e->slots == NULL || e->host_of == NULL || e->host_busy == NULL || e->order == NULL ||
      e->deferred == NULL)
    return vigie_fail(err, VIGIE_ENOMEM, "service stage: out of memory");
  svc_hosts(e);
  if (!svc_order(e)) return vigie_fail(err, VIGIE_ENOMEM, "service stage: out of memory");
  e->tls = scan_svc_tls_ctx_new();
  if (e->tls == NULL) return vigie_fail(err, VIGIE_ENOMEM, "service stage: no TLS context");
  e->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (e->epfd < 0) return vigie_fail(err, VIGIE_EIO, "epoll_create1: %s", strerror(errno));
  if (cfg->deep != NULL) {
    e->deep = scan_svc_deep_new(cfg->deep, cfg->deep_user,
                                cfg->threads ? cfg->threads : SCAN_SVC_DEFAULT_THREADS);
    if (e->deep == NULL) return vigie_fail(err, VIGIE_ENOMEM, "service stage: no worker thread");
  }
  return VIGIE_OK;
}

static bool svc_has_fact(const scan_facts *facts, const char *name, const char *value, size_t len) {
  const char *n, *v;
  size_t l;
  for (size_t i = 0; scan_facts_at(facts, i, &n, &v, &l); i++)
    if (l == len && strcmp(n, name) == 0 && memcmp(v, value, len) == 0) return true;
  return false;
}

/* A deep look's facts join the port's (on this thread, after the join);
 * a value the port already has ("tls" = "true") is not repeated. */
static void svc_merge_deep(size_t target, const scan_facts *facts, void *user) {
  svc_engine *e = user;
  scan_facts *to = scan_services_facts(e->services, target);
  const char *name, *value;
  size_t len;
  for (size_t i = 0; facts != NULL && scan_facts_at(facts, i, &name, &value, &len); i++)
    if (!svc_has_fact(to, name, value, len) && scan_facts_add(to, name, value, len) != VIGIE_OK)
      return svc_fail(e, VIGIE_ENOMEM, "out of memory");
  vigie_addr addr;
  uint16_t port;
  scan_services_at(e->services, target, &addr, &port, NULL);
  if (e->cfg->on_done != NULL) e->cfg->on_done(&addr, port, to, e->cfg->user);
}

static void svc_free(svc_engine *e, bool stopped) {
  for (unsigned i = 0; e->slots != NULL && i < e->capacity; i++) {
    if (e->slots[i].busy) svc_release(e, &e->slots[i]);
    vigie_free(e->slots[i].in);
  }
  scan_svc_deep_join(e->deep, stopped, svc_merge_deep, e);
  if (e->epfd >= 0) close(e->epfd);
  SSL_CTX_free(e->tls);
  vigie_free(e->slots);
  vigie_free(e->host_of);
  vigie_free(e->host_busy);
  vigie_free(e->order);
  vigie_free(e->deferred);
}

static bool svc_stopped(const svc_engine *e) { return e->cfg->stop != NULL && *e->cfg->stop; }

vigie_status scan_run_services(const scan_svc_config *cfg, scan_services *services,
                               scan_svc_stats *stats, vigie_error *err) {
  svc_engine e;
  memset(stats, 0, sizeof *stats);
  if (cfg == NULL || services == NULL)
    return vigie_fail(err, VIGIE_EINVAL, "service stage: no configuration or targets");
  scan_services_sort(services);
  stats->ports = scan_services_count(services);
  uint64_t start = scan_now_ns();
  vigie_status status = svc_init(&e, cfg, services, stats, err);
  e.start_ns = start;
  while (status == VIGIE_OK && e.status == VIGIE_OK && !svc_stopped(&e)) {
    svc_fill(&e);
    if (e.used == 0 && e.order_at == e.count && e.deferred_count == 0) break;
    uint64_t now = scan_now_ns();
    svc_events(&e, svc_sleep_ms(&e, now));
    now = scan_now_ns();
    svc_expire(&e, now);
    svc_progress(&e, now);
  }
  stats->interrupted = svc_stopped(&e);
  if (cfg->log != NULL) vigie_log_progress_clear(cfg->log);
  svc_free(&e, stats->interrupted || e.status != VIGIE_OK);
  if (status == VIGIE_OK) status = e.status;
  stats->elapsed_s = (double)(scan_now_ns() - start) / 1e9;
  return status;
}
