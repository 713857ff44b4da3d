/* connect() discovery, for users without raw sockets: non-blocking connects
 * watched by epoll, thousands in flight, a global and a per-address limit.
 *
 * Connections start in time order and share one timeout, so the in-flight
 * list kept in start order is also the deadline order: the oldest entry is
 * always the next to expire, and no timer heap is needed. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "scanner/scan_int.h"
#include "vigie/scanner.h"

#define CONNECT_DEFAULT_INFLIGHT 2048u
#define CONNECT_DEFAULT_PER_HOST 64u
#define CONNECT_DEFERRED_MAX 4096u
#define CONNECT_NO_SLOT UINT32_MAX

/* One connection in flight, linked in start order. */
typedef struct conn_slot {
  int fd;
  uint32_t prev, next;
  uint64_t position; /* walk position, for the resume point */
  uint64_t deadline_ns;
  vigie_addr addr;
  uint16_t port;
} conn_slot;

/* Open-addressing count of connections per address (backward-shift delete). */
typedef struct host_count {
  vigie_addr addr;
  uint32_t count; /* 0: empty bucket */
} host_count;

/* A probe decoded from a walk position. */
typedef struct conn_probe {
  uint64_t position;
  vigie_addr addr;
  uint16_t port;
} conn_probe;

typedef struct conn_engine {
  const scan_config *cfg;
  scan_store *store;
  scan_stats *stats;
  int epfd;
  conn_slot *slots;
  uint32_t capacity, used, free_head, oldest, newest;
  host_count *hosts;
  uint32_t host_mask;
  conn_probe *deferred; /* probes waiting for their host to have room */
  uint32_t deferred_count;
  uint64_t timeout_ns;
  scan_ratelimit rl;
  scan_walk walk;
  uint64_t last_progress_ns, start_ns;
  unsigned pass; /* 0: first pass; then retries */
} conn_engine;

/* ------------------------------------------------------- per-host counts */

static bool addr_equal(const vigie_addr *a, const vigie_addr *b) {
  if (a->family != b->family) return false;
  return a->family == AF_INET ? a->v4 == b->v4 : a->v6 == b->v6;
}

static uint32_t addr_hash(const vigie_addr *a) {
  uint64_t x = a->family == AF_INET ? a->v4 : (uint64_t)(a->v6 ^ (a->v6 >> 64));
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return (uint32_t)x;
}

static host_count *hosts_find(conn_engine *e, const vigie_addr *a) {
  uint32_t i = addr_hash(a) & e->host_mask;
  while (e->hosts[i].count != 0 && !addr_equal(&e->hosts[i].addr, a)) i = (i + 1) & e->host_mask;
  return &e->hosts[i];
}

static uint32_t hosts_get(conn_engine *e, const vigie_addr *a) { return hosts_find(e, a)->count; }

static void hosts_inc(conn_engine *e, const vigie_addr *a) {
  host_count *h = hosts_find(e, a);
  h->addr = *a;
  h->count++;
}

/* Linear probing delete: shift later entries back so no tombstone is needed. */
static void hosts_dec(conn_engine *e, const vigie_addr *a) {
  host_count *h = hosts_find(e, a);
  if (h->count == 0 || --h->count != 0) return;
  uint32_t hole = (uint32_t)(h - e->hosts);
  for (uint32_t i = (hole + 1) & e->host_mask; e->hosts[i].count != 0; i = (i + 1) & e->host_mask) {
    uint32_t home = addr_hash(&e->hosts[i].addr) & e->host_mask;
    /* Move i into the hole unless its home lies cyclically in (hole, i]. */
    bool stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
    if (stays) continue;
    e->hosts[hole] = e->hosts[i];
    e->hosts[i].count = 0;
    hole = i;
  }
}

/* ------------------------------------------------------------ the slots */

static void slots_unlink(conn_engine *e, uint32_t i) {
  conn_slot *s = &e->slots[i];
  if (s->prev != CONNECT_NO_SLOT) e->slots[s->prev].next = s->next;
  else e->oldest = s->next;
  if (s->next != CONNECT_NO_SLOT) e->slots[s->next].prev = s->prev;
  else e->newest = s->prev;
}

static void slot_release(conn_engine *e, uint32_t i) {
  conn_slot *s = &e->slots[i];
  /* RST instead of FIN: no TIME_WAIT pile-up on our side, no half-open
   * sessions left on the target. */
  struct linger lg = {1, 0};
  (void)setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(s->fd);
  s->fd = -1;
  hosts_dec(e, &s->addr);
  slots_unlink(e, i);
  s->next = e->free_head;
  e->free_head = i;
  e->used--;
}

static uint32_t slot_take(conn_engine *e) {
  uint32_t i = e->free_head;
  conn_slot *s = &e->slots[i];
  e->free_head = s->next;
  s->prev = e->newest;
  s->next = CONNECT_NO_SLOT;
  if (e->newest != CONNECT_NO_SLOT) e->slots[e->newest].next = i;
  else e->oldest = i;
  e->newest = i;
  e->used++;
  return i;
}

/* --------------------------------------------------------------- results */

static int64_t wall_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static vigie_status conn_record(conn_engine *e, const conn_slot *s, scan_state state,
                                scan_reason reason) {
  scan_result r = {.addr = s->addr, .port = s->port, .state = (uint8_t)state,
                   .reason = (uint8_t)reason, .ttl = 0, .time_us = wall_us()};
  bool added = false;
  vigie_status status = scan_store_add(e->store, &r, &added);
  if (status == VIGIE_OK && added) {
    e->stats->valid++;
    if (e->cfg->on_result != NULL) e->cfg->on_result(&r, e->cfg->user);
  }
  return status;
}

/* What a finished connect() says about the port. */
static vigie_status conn_finish(conn_engine *e, uint32_t i, int so_error) {
  conn_slot *s = &e->slots[i];
  vigie_status status = VIGIE_OK;
  e->stats->received++;
  /* A reset after the handshake (a server that accepts and closes at once)
   * still proves the port open: a closed port refuses the SYN instead. */
  if (so_error == 0 || so_error == ECONNRESET || so_error == EPIPE)
    status = conn_record(e, s, SCAN_STATE_OPEN, SCAN_REASON_CONNECTED);
  else if (so_error == ECONNREFUSED)
    status = conn_record(e, s, SCAN_STATE_CLOSED, SCAN_REASON_REFUSED);
  /* Anything else (unreachable, timed out by the kernel) is no answer: the
   * pair stays without a result, for a retry or the filtered fill. */
  slot_release(e, i);
  return status;
}

/* -------------------------------------------------------------- sending */

static void sockaddr_of(const vigie_addr *a, uint16_t port, struct sockaddr_storage *ss,
                        socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  if (a->family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    in->sin_addr.s_addr = htonl(a->v4);
    *len = sizeof *in;
  } else {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    for (int b = 0; b < 16; b++) in6->sin6_addr.s6_addr[b] = (uint8_t)(a->v6 >> (8 * (15 - b)));
    *len = sizeof *in6;
  }
}

static vigie_status conn_bind_source(const conn_engine *e, int fd, int family, vigie_error *err) {
  const vigie_addr *src = &e->cfg->source;
  if (src->family != family) return VIGIE_OK;
  struct sockaddr_storage ss;
  socklen_t len;
  sockaddr_of(src, 0, &ss, &len);
  if (bind(fd, (struct sockaddr *)&ss, len) == 0) return VIGIE_OK;
  char buf[64];
  return vigie_fail(err, VIGIE_EIO, "--source-ip %s: cannot bind: %s",
                    vigie_addr_format(src, buf, sizeof buf), strerror(errno));
}

/* Start one connection. A refusal that comes at once (on loopback, say) is
 * an answer like any other. */
static vigie_status conn_start(conn_engine *e, const conn_probe *p, vigie_error *err) {
  const vigie_addr *addr = &p->addr;
  int fd = socket(addr->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return vigie_fail(err, VIGIE_EIO, "socket(): %s", strerror(errno));
  vigie_status status = conn_bind_source(e, fd, addr->family, err);
  if (status != VIGIE_OK) {
    close(fd);
    return status;
  }
  uint32_t i = slot_take(e);
  conn_slot *s = &e->slots[i];
  *s = (conn_slot){fd, s->prev, s->next, p->position, scan_now_ns() + e->timeout_ns, *addr, p->port};
  hosts_inc(e, addr);
  e->stats->sent++;
  struct sockaddr_storage ss;
  socklen_t len;
  sockaddr_of(addr, p->port, &ss, &len);
  if (connect(fd, (struct sockaddr *)&ss, len) == 0) return conn_finish(e, i, 0);
  if (errno != EINPROGRESS) return conn_finish(e, i, errno);
  struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = i};
  if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    slot_release(e, i);
    return vigie_fail(err, VIGIE_EIO, "epoll_ctl: %s", strerror(errno));
  }
  return VIGIE_OK;
}

/* Whether this pair still needs a probe in this pass. */
static bool conn_wanted(const conn_engine *e, const vigie_addr *addr, uint16_t port) {
  return e->pass == 0 || !scan_store_has(e->store, addr, port);
}

/* Start the deferred probes whose host now has room; keep the others. */
static vigie_status conn_drain_deferred(conn_engine *e, unsigned *budget, vigie_error *err) {
  uint32_t kept = 0;
  vigie_status status = VIGIE_OK;
  for (uint32_t k = 0; k < e->deferred_count; k++) {
    const conn_probe *p = &e->deferred[k];
    if (status != VIGIE_OK || *budget == 0 || e->used == e->capacity ||
        hosts_get(e, &p->addr) >= e->cfg->max_per_host) {
      e->deferred[kept++] = *p;
      continue;
    }
    (*budget)--;
    status = conn_start(e, p, err);
  }
  e->deferred_count = kept;
  return status;
}

/* Pull new probes from the walk while the budget, the slots and the
 * per-host limit allow. \return false once the walk is over. */
static bool conn_fill(conn_engine *e, const scan_perm *perm, unsigned *budget,
                      vigie_status *status, vigie_error *err) {
  while (*budget > 0 && e->used < e->capacity && e->deferred_count < CONNECT_DEFERRED_MAX &&
         *status == VIGIE_OK) {
    conn_probe p;
    if (!scan_walk_next(&e->walk, &p.position)) return false;
    scan_space_at(e->cfg->space, scan_perm_at(perm, p.position), &p.addr, &p.port);
    if (!conn_wanted(e, &p.addr, p.port)) continue;
    if (hosts_get(e, &p.addr) >= e->cfg->max_per_host) {
      e->deferred[e->deferred_count++] = p;
      continue;
    }
    (*budget)--;
    *status = conn_start(e, &p, err);
  }
  return true;
}

static vigie_status conn_events(conn_engine *e, int timeout_ms) {
  struct epoll_event events[256];
  int n = epoll_wait(e->epfd, events, 256, timeout_ms);
  vigie_status status = VIGIE_OK;
  for (int k = 0; k < n && status == VIGIE_OK; k++) {
    uint32_t i = events[k].data.u32;
    int so_error = 0;
    socklen_t len = sizeof so_error;
    if (getsockopt(e->slots[i].fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) so_error = errno;
    status = conn_finish(e, i, so_error);
  }
  return status;
}

/* The oldest connections are the first to time out: no answer. */
static void conn_expire(conn_engine *e, uint64_t now) {
  while (e->oldest != CONNECT_NO_SLOT && e->slots[e->oldest].deadline_ns <= now)
    slot_release(e, e->oldest);
}

/* How long epoll may sleep: until the next deadline, the next token, or
 * a progress tick, whichever is first. */
static int conn_sleep_ms(const conn_engine *e, bool can_send, uint64_t now) {
  uint64_t wait = 250000000ull;
  if (e->oldest != CONNECT_NO_SLOT) {
    uint64_t d = e->slots[e->oldest].deadline_ns;
    wait = d > now ? (d - now < wait ? d - now : wait) : 0;
  }
  if (can_send) {
    uint64_t t = scan_ratelimit_delay_ns(&e->rl, now);
    if (t < wait) wait = t;
  }
  return (int)((wait + 999999) / 1000000);
}

static void conn_progress(conn_engine *e, uint64_t now) {
  if (now - e->last_progress_ns < 250000000ull) return;
  e->last_progress_ns = now;
  uint32_t shards = e->cfg->shard_count ? e->cfg->shard_count : 1;
  double total = (double)e->cfg->space->range / shards;
  double done = total > 0 ? (double)e->walk.position / (double)e->cfg->space->range * 100.0 : 100.0;
  double secs = (double)(now - e->start_ns) / 1e9;
  double rate = secs > 0 ? (double)e->stats->sent / secs : 0;
  double left = done > 0 && done < 100 ? secs * (100.0 - done) / done : 0;
  vigie_log_progress(e->cfg->log, "connect%s: %.0f probes/s, %.1f %% done, %02u:%02u left, found %zu",
                     e->pass ? " (retry)" : "", rate, done > 100 ? 100.0 : done,
                     (unsigned)(left / 60), (unsigned)left % 60, scan_store_count(e->store));
}

/* One pass over the shard: the first sends every probe, a retry only those
 * still without an answer. */
static vigie_status conn_pass(conn_engine *e, const scan_perm *perm, vigie_error *err) {
  const scan_config *cfg = e->cfg;
  vigie_status status = VIGIE_OK;
  bool more = true;
  scan_walk_init(&e->walk, cfg->space->range, cfg->shard_index, cfg->shard_count ? cfg->shard_count : 1,
                 e->pass == 0 ? cfg->resume_from : 0);
  while (status == VIGIE_OK && !(cfg->stop != NULL && *cfg->stop)) {
    uint64_t now = scan_now_ns();
    unsigned free_slots = e->capacity - e->used;
    unsigned want = free_slots < 256 ? free_slots : 256;
    unsigned budget = want ? scan_ratelimit_take(&e->rl, want, now) : 0;
    status = conn_drain_deferred(e, &budget, err);
    if (more && status == VIGIE_OK) more = conn_fill(e, perm, &budget, &status, err);
    if (!more && e->deferred_count == 0 && e->used == 0) break;
    /* Sleep for a token only when a slot is free to spend it on: with every
     * slot taken, only an answer or a deadline can let work go on. */
    bool can_send = (more || e->deferred_count) && e->used < e->capacity;
    if (status == VIGIE_OK) status = conn_events(e, conn_sleep_ms(e, can_send, now));
    now = scan_now_ns();
    conn_expire(e, now);
    conn_progress(e, now);
  }
  return status;
}

/* The resume point: the smallest position not yet answered or expired. */
static uint64_t conn_resume_point(const conn_engine *e) {
  uint64_t low = e->walk.position;
  for (uint32_t i = e->oldest; i != CONNECT_NO_SLOT; i = e->slots[i].next)
    if (e->slots[i].position < low) low = e->slots[i].position;
  for (uint32_t k = 0; k < e->deferred_count; k++)
    if (e->deferred[k].position < low) low = e->deferred[k].position;
  return low;
}

/* Each connection takes a descriptor: raise the soft limit to the hard one
 * and keep the in-flight limit under it. Shared with the service engine. */
unsigned scan_fd_capacity(unsigned want, unsigned reserve) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    if (rl.rlim_cur < rl.rlim_max) {
      rl.rlim_cur = rl.rlim_max;
      (void)setrlimit(RLIMIT_NOFILE, &rl);
      (void)getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)want + reserve)
      want = rl.rlim_cur > 2 * (rlim_t)reserve ? (unsigned)(rl.rlim_cur - reserve) : 64;
  }
  return want;
}

static vigie_status conn_engine_init(conn_engine *e, const scan_config *cfg, scan_store *store,
                                     scan_stats *stats, vigie_error *err) {
  memset(e, 0, sizeof *e);
  e->cfg = cfg, e->store = store, e->stats = stats;
  e->oldest = e->newest = CONNECT_NO_SLOT; /* conn_engine_free may run after a failure */
  e->capacity = scan_fd_capacity(cfg->max_inflight ? cfg->max_inflight : CONNECT_DEFAULT_INFLIGHT, 64);
  uint32_t buckets = 1;
  while (buckets < 2 * e->capacity) buckets <<= 1;
  e->host_mask = buckets - 1;
  e->epfd = epoll_create1(EPOLL_CLOEXEC);
  e->slots = vigie_calloc(e->capacity, sizeof *e->slots);
  e->hosts = vigie_calloc(buckets, sizeof *e->hosts);
  e->deferred = vigie_calloc(CONNECT_DEFERRED_MAX, sizeof *e->deferred);
  if (e->epfd < 0) return vigie_fail(err, VIGIE_EIO, "epoll_create1: %s", strerror(errno));
  if (e->slots == NULL || e->hosts == NULL || e->deferred == NULL)
    return vigie_fail(err, VIGIE_ENOMEM, "connect scan: out of memory");
  for (uint32_t i = 0; i < e->capacity; i++) {
    e->slots[i].fd = -1;
    e->slots[i].next = i + 1 < e->capacity ? i + 1 : CONNECT_NO_SLOT;
  }
  e->free_head = 0;
  e->timeout_ns = (uint64_t)((cfg->timeout_s > 0 ? cfg->timeout_s : 1.0) * 1e9);
  e->start_ns = scan_now_ns();
  scan_ratelimit_init(&e->rl, cfg->rate, 256, e->start_ns);
  return VIGIE_OK;
}

static void conn_engine_free(conn_engine *e) {
  while (e->slots != NULL && e->oldest != CONNECT_NO_SLOT) slot_release(e, e->oldest);
  if (e->epfd >= 0) close(e->epfd);
  vigie_free(e->slots);
  vigie_free(e->hosts);
  vigie_free(e->deferred);
}

vigie_status scan_run_connect(const scan_config *cfg, scan_store *store, scan_stats *stats,
                              vigie_error *err) {
  conn_engine e;
  scan_perm perm;
  scan_config local = *cfg;
  if (local.max_per_host == 0) local.max_per_host = CONNECT_DEFAULT_PER_HOST;
  memset(stats, 0, sizeof *stats);
  vigie_status status = conn_engine_init(&e, &local, store, stats, err);
  if (status == VIGIE_OK) status = scan_perm_init(&perm, cfg->space->range, cfg->seed);
  for (e.pass = 0; status == VIGIE_OK && e.pass <= cfg->retries; e.pass++) {
    status = conn_pass(&e, &perm, err);
    if (cfg->stop != NULL && *cfg->stop) break;
  }
  stats->interrupted = cfg->stop != NULL && *cfg->stop;
  stats->next_position = e.pass == 0 ? conn_resume_point(&e) : cfg->space->range;
  vigie_log_progress_clear(cfg->log);
  /* A shard probed only its share of each host's ports: the rest belong
   * to other shards and must not be called filtered here. */
  if (status == VIGIE_OK && !stats->interrupted && cfg->shard_count <= 1)
    status = scan_store_fill_filtered(store, cfg->space, cfg->on_result, cfg->user, err);
  stats->elapsed_s = (double)(scan_now_ns() - e.start_ns) / 1e9;
  conn_engine_free(&e);
  return status;
}
