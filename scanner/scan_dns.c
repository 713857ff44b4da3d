/* An asynchronous resolver on c-ares: every A and AAAA of target names
 * before a scan, PTR records of live addresses after it, many queries in
 * flight on one channel, driven by poll().
 *
 * c-ares answers with its own status codes; scan_dns_status is the one
 * place they become vigie statuses, and each callback keeps ares_strerror's
 * text in a sentence naming the query and the server (STYLE habit 6).
 *
 * Bounded time: c-ares 1.18 doubles a query's timeout on each round of
 * tries (5 s then 10 s), so a dead server would hold a name 15 s. The
 * waiting loop keeps its own deadline, timeout x tries after the last query
 * started, and cancels what is left then: a dead resolver costs 10 s at most
 * with the defaults, whatever c-ares' back-off. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include <ares.h>
#include <arpa/nameser.h>

#include "vigie/scanner.h"

#define SD_DETAIL_MAX 400
#define SD_SERVERS_MAX 256
#define SD_PROGRESS_NS 1000000000ull
/* A batch keeps at most this many queries in flight: the PTR queries of a
 * large scan's live hosts must not reach the resolver all in one burst. */
#define SD_WINDOW 256

struct scan_dns {
  ares_channel channel;
  char servers[SD_SERVERS_MAX];
  unsigned timeout_ms, tries;
  vigie_log *log;
  size_t pending;        /* queries started and not ended */
  size_t started, ended; /* for the progress line */
  uint64_t deadline_ns;  /* the last query's start plus timeout x tries */
  bool expired;          /* the deadline cancelled what was left: a timeout */
};

/* ----------------------------------------------------- the error boundary */

vigie_status scan_dns_status(int ares_status) {
  switch (ares_status) {
    case ARES_SUCCESS: return VIGIE_OK;
    case ARES_ENOTFOUND:
    case ARES_ENODATA:
    case ARES_ENONAME: return VIGIE_ENOENT;
    case ARES_ETIMEOUT:
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION: return VIGIE_ETIMEOUT;
    case ARES_ECONNREFUSED: return VIGIE_ECONNECT;
    case ARES_ESERVFAIL:
    case ARES_EREFUSED:
    case ARES_EFORMERR:
    case ARES_ENOTIMP:
    case ARES_EBADRESP:
    case ARES_EOF: return VIGIE_EPROTO;
    case ARES_EBADNAME:
    case ARES_EBADSTR: return VIGIE_ESYNTAX;
    case ARES_ENOMEM: return VIGIE_ENOMEM;
    case ARES_EFILE: return VIGIE_EIO;
    default: return VIGIE_EINVAL;
  }
}

vigie_status scan_dns_library_init(void) {
  return scan_dns_status(ares_library_init(ARES_LIB_INIT_ALL));
}

void scan_dns_library_cleanup(void) { ares_library_cleanup(); }

/* The sentence a callback gets: what was asked, of whom, what came back. */
static void sd_detail(const scan_dns *dns, int code, const char *what, char *buf, size_t len) {
  vigie_status status = scan_dns_status(code);
  if (status == VIGIE_OK)
    snprintf(buf, len, "%s: resolved", what);
  else if (status == VIGIE_ENOENT)
    snprintf(buf, len, "%s: no such name or no record (%s; DNS server %s)", what,
             ares_strerror(code), dns->servers);
  else if (status == VIGIE_ETIMEOUT)
    snprintf(buf, len, "%s: DNS server %s did not answer within %u s (%u tries of %u ms)%s", what,
             dns->servers, dns->timeout_ms * dns->tries / 1000, dns->tries, dns->timeout_ms,
             code == ARES_ETIMEOUT || dns->expired ? "" : ", cancelled");
  else if (status == VIGIE_ECONNECT)
    snprintf(buf, len, "%s: DNS server %s refused the query (%s: nothing listens there?)", what,
             dns->servers, ares_strerror(code));
  else
    snprintf(buf, len, "%s: DNS server %s: %s", what, dns->servers, ares_strerror(code));
}

/* ------------------------------------------------------------- set-up */

static void sd_format_servers(scan_dns *dns) {
  struct ares_addr_port_node *list = NULL;
  size_t o = 0;
  dns->servers[0] = '\0';
  if (ares_get_servers_ports(dns->channel, &list) != ARES_SUCCESS) return;
  for (struct ares_addr_port_node *n = list; n != NULL && o + 64 < sizeof dns->servers;
       n = n->next) {
    char text[INET6_ADDRSTRLEN];
    if (inet_ntop(n->family, &n->addr, text, sizeof text) == NULL) continue;
    int w = n->udp_port != 0 && n->udp_port != NAMESERVER_PORT
                ? snprintf(dns->servers + o, sizeof dns->servers - o, "%s%s%s%s:%d", o ? ", " : "",
                           n->family == AF_INET6 ? "[" : "", text, n->family == AF_INET6 ? "]" : "",
                           n->udp_port)
                : snprintf(dns->servers + o, sizeof dns->servers - o, "%s%s", o ? ", " : "", text);
    if (w > 0) o += (size_t)w;
  }
  ares_free_data(list);
  if (o == 0) snprintf(dns->servers, sizeof dns->servers, "(none)");
}

/* With servers given, only they are asked: the hosts file ("f") would
 * answer for them and hide what their DNS says. */
static vigie_status sd_init_channel(scan_dns *dns, bool dns_only, vigie_error *err) {
  struct ares_options opt;
  char lookups[] = "b";
  memset(&opt, 0, sizeof opt);
  opt.timeout = (int)dns->timeout_ms;
  opt.tries = (int)dns->tries;
  opt.lookups = lookups;
  int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | (dns_only ? ARES_OPT_LOOKUPS : 0);
  int code = ares_init_options(&dns->channel, &opt, mask);
  if (code != ARES_SUCCESS)
    return vigie_fail(err, scan_dns_status(code),
                      "DNS resolver: cannot set up (%s; is "
                      "/etc/resolv.conf readable?)",
                      ares_strerror(code));
  return VIGIE_OK;
}

/* "ADDR[,ADDR]" with optional ports, checked by c-ares' own parser; an empty
 * item or a name (which would need DNS to find DNS) is refused. */
static vigie_status sd_set_servers(scan_dns *dns, const char *servers, vigie_error *err) {
  int code = ares_set_servers_ports_csv(dns->channel, servers);
  if (code == ARES_SUCCESS && strstr(servers, ",,") == NULL && servers[0] != ',' &&
      servers[strlen(servers) - 1] != ',')
    return VIGIE_OK;
  return vigie_fail(err, VIGIE_ESYNTAX,
                    "--dns-servers \"%s\": expected addresses separated by commas, e.g. "
                    "198.18.1.53,2001:2::53 or 198.18.1.53:5353 (%s)",
                    servers, code == ARES_SUCCESS ? "empty item" : ares_strerror(code));
}

vigie_status scan_dns_new(const scan_dns_options *options, scan_dns **out, vigie_error *err) {
  *out = NULL;
  scan_dns *dns = vigie_calloc(1, sizeof *dns);
  if (dns == NULL) return vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  dns->timeout_ms = options->timeout_ms ? options->timeout_ms : SCAN_DNS_TIMEOUT_MS;
  dns->tries = options->tries ? options->tries : SCAN_DNS_TRIES;
  dns->log = options->log;
  bool given = options->servers != NULL && options->servers[0] != '\0';
  vigie_status status = sd_init_channel(dns, given, err);
  if (status != VIGIE_OK) {
    vigie_free(dns);
    return status;
  }
  if (given) status = sd_set_servers(dns, options->servers, err);
  if (status != VIGIE_OK) {
    scan_dns_free(dns);
    return status;
  }
  sd_format_servers(dns);
  *out = dns;
  return VIGIE_OK;
}

void scan_dns_free(scan_dns *dns) {
  if (dns == NULL) return;
  ares_destroy(dns->channel); /* calls every pending callback with ARES_EDESTRUCTION */
  vigie_free(dns);
}

const char *scan_dns_servers(const scan_dns *dns) { return dns->servers; }

static void sd_started(scan_dns *dns) {
  dns->pending++;
  dns->started++;
  dns->deadline_ns = scan_now_ns() + (uint64_t)dns->timeout_ms * dns->tries * 1000000ull;
}

static void sd_ended(scan_dns *dns) {
  dns->pending--;
  dns->ended++;
}

/* ------------------------------------------------------ forward lookups */

typedef struct sd_lookup {
  scan_dns *dns;
  scan_dns_addr_cb cb;
  void *user;
  char name[]; /* as asked */
} sd_lookup;

static bool sd_addr_from(const struct sockaddr *sa, vigie_addr *out) {
  memset(out, 0, sizeof *out);
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
    out->family = AF_INET;
    out->v4 = ntohl(in->sin_addr.s_addr);
    return true;
  }
  if (sa->sa_family != AF_INET6) return false;
  const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
  out->family = AF_INET6;
  for (int i = 0; i < 16; i++) out->v6 = out->v6 << 8 | in6->sin6_addr.s6_addr[i];
  return true;
}

static bool sd_addr_equal(const vigie_addr *a, const vigie_addr *b) {
  return a->family == b->family && (a->family == AF_INET ? a->v4 == b->v4 : a->v6 == b->v6);
}

/* The answer's addresses, each once (c-ares lists one per socket type). */
static vigie_addr *sd_collect(const struct ares_addrinfo *res, size_t *count) {
  size_t n = 0, cap = 0;
  *count = 0;
  for (const struct ares_addrinfo_node *p = res ? res->nodes : NULL; p != NULL; p = p->ai_next)
    cap++;
  vigie_addr *addrs = vigie_malloc((cap ? cap : 1) * sizeof *addrs);
  if (addrs == NULL) return NULL;
  for (const struct ares_addrinfo_node *p = res ? res->nodes : NULL; p != NULL; p = p->ai_next) {
    vigie_addr a;
    if (!sd_addr_from(p->ai_addr, &a)) continue;
    bool seen = false;
    for (size_t i = 0; i < n && !seen; i++) seen = sd_addr_equal(&addrs[i], &a);
    if (!seen) addrs[n++] = a;
  }
  *count = n;
  return addrs;
}

static void sd_lookup_done(void *arg, int code, int timeouts, struct ares_addrinfo *res) {
  (void)timeouts;
  sd_lookup *q = arg;
  char detail[SD_DETAIL_MAX];
  size_t count = 0;
  vigie_addr *addrs = code == ARES_SUCCESS ? sd_collect(res, &count) : NULL;
  if (code == ARES_SUCCESS && addrs == NULL) code = ARES_ENOMEM;
  if (code == ARES_SUCCESS && count == 0) code = ARES_ENODATA;
  sd_detail(q->dns, code, q->name, detail, sizeof detail);
  sd_ended(q->dns);
  q->cb(q->user, scan_dns_status(code), detail, q->name, addrs, count);
  vigie_free(addrs);
  if (res != NULL) ares_freeaddrinfo(res);
  vigie_free(q);
}

vigie_status scan_dns_lookup(scan_dns *dns, const char *name, scan_dns_addr_cb cb, void *user) {
  if (!scan_dns_name_valid(name)) return VIGIE_ESYNTAX;
  size_t len = strlen(name);
  sd_lookup *q = vigie_malloc(sizeof *q + len + 1);
  if (q == NULL) return VIGIE_ENOMEM;
  q->dns = dns, q->cb = cb, q->user = user;
  memcpy(q->name, name, len + 1);
  struct ares_addrinfo_hints hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC; /* A and AAAA both */
  hints.ai_socktype = SOCK_STREAM;
  sd_started(dns);
  ares_getaddrinfo(dns->channel, name, NULL, &hints, sd_lookup_done, q);
  return VIGIE_OK;
}

/* ------------------------------------------------------------ PTR queries */

typedef struct sd_reverse {
  scan_dns *dns;
  scan_dns_ptr_cb cb;
  void *user;
  vigie_addr addr;
} sd_reverse;

/* The address as the bytes ares_parse_ptr_reply copies into its hostent. */
static int sd_addr_bytes(const vigie_addr *a, unsigned char *buf) {
  if (a->family == AF_INET) {
    for (int i = 0; i < 4; i++) buf[i] = (unsigned char)(a->v4 >> (24 - 8 * i));
    return 4;
  }
  for (int i = 0; i < 16; i++) buf[i] = (unsigned char)(a->v6 >> (120 - 8 * i));
  return 16;
}

static void sd_ptr_names(sd_reverse *q, struct hostent *host, const char *what) {
  const char *list[17];
  size_t n = 0;
  if (host->h_name != NULL) list[n++] = host->h_name;
  for (char **a = host->h_aliases; a != NULL && *a != NULL && n < 16; a++) list[n++] = *a;
  list[n] = NULL;
  char detail[SD_DETAIL_MAX];
  sd_detail(q->dns, ARES_SUCCESS, what, detail, sizeof detail);
  q->cb(q->user, VIGIE_OK, detail, &q->addr, list, n);
}

static void sd_reverse_done(void *arg, int code, int timeouts, unsigned char *abuf, int alen) {
  (void)timeouts;
  sd_reverse *q = arg;
  char what[64], detail[SD_DETAIL_MAX];
  struct hostent *host = NULL;
  unsigned char raw[16];
  vigie_addr_format(&q->addr, what, sizeof what);
  if (code == ARES_SUCCESS)
    code =
        ares_parse_ptr_reply(abuf, alen, raw, sd_addr_bytes(&q->addr, raw), q->addr.family, &host);
  sd_ended(q->dns);
  if (code == ARES_SUCCESS) {
    sd_ptr_names(q, host, what);
    ares_free_hostent(host);
  } else {
    sd_detail(q->dns, code, what, detail, sizeof detail);
    q->cb(q->user, scan_dns_status(code), detail, &q->addr, NULL, 0);
  }
  vigie_free(q);
}

vigie_status scan_dns_reverse(scan_dns *dns, const vigie_addr *addr, scan_dns_ptr_cb cb,
                              void *user) {
  char qname[SCAN_DNS_PTR_NAME_LEN];
  if (scan_dns_ptr_name(addr, qname, sizeof qname) == NULL) return VIGIE_EINVAL;
  sd_reverse *q = vigie_malloc(sizeof *q);
  if (q == NULL) return VIGIE_ENOMEM;
  q->dns = dns, q->cb = cb, q->user = user, q->addr = *addr;
  sd_started(dns);
  /* ares_query, not ares_gethostbyaddr: that one reads /etc/hosts first,
   * and the report must say what the DNS says. */
  ares_query(dns->channel, qname, ns_c_in, ns_t_ptr, sd_reverse_done, q);
  return VIGIE_OK;
}

/* --------------------------------------------------------------- the loop */

/* One poll over c-ares' sockets for at most wait_ms, then let c-ares read,
 * write and expire what is due. */
static vigie_status sd_poll_once(scan_dns *dns, int wait_ms, vigie_error *err) {
  ares_socket_t socks[ARES_GETSOCK_MAXNUM];
  struct pollfd pfd[ARES_GETSOCK_MAXNUM];
  nfds_t n = 0;
  /* By hand rather than ARES_GETSOCK_WRITABLE, which shifts a signed 1 into
   * the sign bit for the 16th socket (undefined behaviour). */
  unsigned bits = (unsigned)ares_getsock(dns->channel, socks, ARES_GETSOCK_MAXNUM);
  for (unsigned i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
    short events = (short)((bits & 1u << i ? POLLIN : 0) |
                           (bits & 1u << (i + ARES_GETSOCK_MAXNUM) ? POLLOUT : 0));
    if (events != 0) pfd[n++] = (struct pollfd){.fd = socks[i], .events = events};
  }
  int rc = poll(pfd, n, wait_ms);
  if (rc < 0 && errno != EINTR)
    return vigie_fail(err, VIGIE_EIO, "DNS resolver: poll failed: %s", strerror(errno));
  if (rc <= 0) {
    ares_process_fd(dns->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts only */
    return VIGIE_OK;
  }
  for (nfds_t i = 0; i < n; i++) {
    if (pfd[i].revents == 0) continue;
    bool rd = (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
    ares_process_fd(dns->channel, rd ? pfd[i].fd : ARES_SOCKET_BAD,
                    (pfd[i].revents & POLLOUT) ? pfd[i].fd : ARES_SOCKET_BAD);
  }
  return VIGIE_OK;
}

/* How long to wait: c-ares' next timeout, our deadline, and a second at
 * most so that the progress line and a stop are seen. */
static int sd_wait_ms(scan_dns *dns, uint64_t now) {
  struct timeval max = {1, 0}, tv;
  struct timeval *t = ares_timeout(dns->channel, &max, &tv);
  uint64_t ms = (uint64_t)t->tv_sec * 1000 + (uint64_t)t->tv_usec / 1000;
  uint64_t left = dns->deadline_ns > now ? (dns->deadline_ns - now) / 1000000 : 0;
  if (left < ms) ms = left;
  return (int)(ms > 0 ? ms : 1);
}

/* Run the queries in flight until at most max_pending are left; a stop or
 * the deadline cancels every one of them. */
static vigie_status sd_run(scan_dns *dns, volatile sig_atomic_t *stop, size_t max_pending,
                           vigie_error *err) {
  uint64_t last_progress = scan_now_ns();
  vigie_status status = VIGIE_OK;
  while (dns->pending > max_pending && status == VIGIE_OK) {
    uint64_t now = scan_now_ns();
    if (now >= dns->deadline_ns || (stop != NULL && *stop)) {
      dns->expired = now >= dns->deadline_ns;
      ares_cancel(dns->channel); /* every callback runs, with ARES_ECANCELLED */
      dns->expired = false;
      break;
    }
    if (now - last_progress >= SD_PROGRESS_NS && dns->log != NULL) {
      vigie_log_progress(dns->log, "DNS: %zu of %zu queries answered", dns->ended, dns->started);
      last_progress = now;
    }
    status = sd_poll_once(dns, sd_wait_ms(dns, now), err);
  }
  return status;
}

vigie_status scan_dns_wait(scan_dns *dns, volatile sig_atomic_t *stop, vigie_error *err) {
  vigie_status status = sd_run(dns, stop, 0, err);
  if (dns->log != NULL) vigie_log_progress_clear(dns->log);
  return status;
}

/* -------------------------------------------------------- batch helpers */

typedef struct sd_batch {
  scan_names *map;
  vigie_log *log;
  bool skip_missing;
  vigie_status worst;  /* first failure other than a missing name */
  vigie_status memory; /* VIGIE_ENOMEM while adding to the map */
  size_t resolved, missing, failed;
  bool server_failed; /* a timeout or refusal: start no more queries */
  char missing_text[VIGIE_ERROR_MAX];
  char failed_text[VIGIE_ERROR_MAX];
} sd_batch;

static void sd_append(char *buf, size_t len, const char *item) {
  size_t o = strlen(buf);
  if (o + 8 >= len) return;
  snprintf(buf + o, len - o, "%s%s", o ? "; " : "", item);
}

static void sd_batch_name(void *user, vigie_status status, const char *detail, const char *name,
                          const vigie_addr *addrs, size_t count) {
  sd_batch *b = user;
  if (status == VIGIE_OK) {
    b->resolved++;
    for (size_t i = 0; i < count && b->memory == VIGIE_OK; i++)
      b->memory = scan_names_add(b->map, &addrs[i], name, SCAN_NAME_TARGET);
    return;
  }
  if (status == VIGIE_ENOENT) {
    b->missing++;
    if (b->skip_missing && b->log != NULL) vigie_log_warn(b->log, "skipped: %s", detail);
    sd_append(b->missing_text, sizeof b->missing_text, name);
    return;
  }
  b->failed++;
  b->server_failed |= status == VIGIE_ETIMEOUT || status == VIGIE_ECONNECT;
  if (b->worst == VIGIE_OK) b->worst = status;
  sd_append(b->failed_text, sizeof b->failed_text, b->failed == 1 ? detail : name);
}

/* Room for one more query of a batch: wait while the window is full. */
static vigie_status sd_room(scan_dns *dns, volatile sig_atomic_t *stop, vigie_error *err) {
  return dns->pending < SD_WINDOW ? VIGIE_OK : sd_run(dns, stop, SD_WINDOW - 1, err);
}

/* started names were asked; the others were not, once the server failed. */
static vigie_status sd_batch_result(const scan_dns *dns, const sd_batch *b, size_t count,
                                    size_t started, vigie_error *err) {
  if (b->memory != VIGIE_OK) return vigie_fail(err, b->memory, "out of memory");
  if (b->failed > 0)
    return vigie_fail(err, b->worst, "cannot resolve %zu of %zu target names%s: %s", b->failed,
                      count, started < count ? " (the others not tried)" : "", b->failed_text);
  if (b->missing > 0 && !b->skip_missing)
    return vigie_fail(err, VIGIE_ENOENT,
                      "%zu of %zu target names do not exist in DNS (server %s): %s "
                      "(--skip-unresolved scans the others)",
                      b->missing, count, dns->servers, b->missing_text);
  return VIGIE_OK;
}

vigie_status scan_dns_resolve_names(scan_dns *dns, const char *const *names, size_t count,
                                    bool skip_missing, scan_names *map, size_t *resolved,
                                    vigie_error *err) {
  sd_batch b = {.map = map, .log = dns->log, .skip_missing = skip_missing};
  vigie_status status = VIGIE_OK;
  size_t started = 0;
  while (started < count && status == VIGIE_OK) {
    status = sd_room(dns, NULL, err);
    if (status != VIGIE_OK || b.server_failed) break;
    status = scan_dns_lookup(dns, names[started++], sd_batch_name, &b);
    if (status == VIGIE_ESYNTAX)
      vigie_fail(err, status, "\"%s\": not a valid host name", names[started - 1]);
    else if (status == VIGIE_ENOMEM)
      vigie_fail(err, status, "out of memory");
  }
  if (status == VIGIE_OK) status = scan_dns_wait(dns, NULL, err);
  if (status != VIGIE_OK) {
    ares_cancel(dns->channel); /* the batch lives on this stack */
    return status;
  }
  if (resolved != NULL) *resolved = b.resolved;
  return sd_batch_result(dns, &b, count, started, err);
}

static void sd_batch_ptr(void *user, vigie_status status, const char *detail,
                         const vigie_addr *addr, const char *const *names, size_t count) {
  sd_batch *b = user;
  if (status != VIGIE_OK) {
    b->failed++;
    b->server_failed |= status == VIGIE_ETIMEOUT || status == VIGIE_ECONNECT;
    if (b->log != NULL && status != VIGIE_ENOENT) vigie_log_verbose(b->log, "PTR %s", detail);
    return;
  }
  b->resolved++;
  for (size_t i = 0; i < count && b->memory == VIGIE_OK; i++) {
    vigie_status s = scan_names_add(b->map, addr, names[i], SCAN_NAME_PTR);
    if (s == VIGIE_ENOMEM) b->memory = s; /* an empty or overlong name is skipped */
  }
}

vigie_status scan_dns_reverse_all(scan_dns *dns, const vigie_addr *addrs, size_t count,
                                  scan_names *map, volatile sig_atomic_t *stop, size_t *failed,
                                  vigie_error *err) {
  sd_batch b = {.map = map, .log = dns->log};
  vigie_status status = VIGIE_OK;
  size_t started = 0;
  /* A server that does not answer one PTR query will not answer the next
   * thousand: stop there rather than wait for each window. */
  while (started < count && status == VIGIE_OK) {
    status = sd_room(dns, stop, err);
    if (status != VIGIE_OK || b.server_failed || (stop != NULL && *stop)) break;
    status = scan_dns_reverse(dns, &addrs[started++], sd_batch_ptr, &b);
    if (status != VIGIE_OK) vigie_fail(err, status, "PTR queries: %s", vigie_strerror(status));
  }
  if (status == VIGIE_OK) status = scan_dns_wait(dns, stop, err);
  if (status != VIGIE_OK) ares_cancel(dns->channel); /* the batch lives on this stack */
  if (failed != NULL) *failed = b.failed + (count - started);
  if (status == VIGIE_OK && b.server_failed && b.log != NULL)
    vigie_log_warn(b.log, "PTR queries stopped: DNS server %s does not answer", dns->servers);
  if (status == VIGIE_OK && b.memory != VIGIE_OK)
    status = vigie_fail(err, b.memory, "out of memory");
  return status;
}
