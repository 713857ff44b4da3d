/* Unit tests of scanner/scan_store.c: results deduplicated per (address,
 * port) in both families, which hosts count as up, the filtered fill, the
 * sorted copy, sealing (the in-place sort and the store after it), state
 * and reason names, and the memory a million IPv4 results take, reserved
 * or grown.
 *
 * Dotted IPv4 literals stay in 127.0.0.0/8 and 198.18.0.0/15, IPv6 ones in
 * 2001:2::/48; other addresses are plain numbers. Nothing here sends a
 * packet.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "harness.h"
#include "scanner/scan_int.h"
#include "vigie/scanner.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define BENCH6 ((vigie_u128)0x2001000200000000u << 64) /* 2001:2:: */

static vigie_addr v4(uint32_t x) {
  vigie_addr a;
  memset(&a, 0, sizeof a);
  a.family = AF_INET;
  a.v4 = x;
  return a;
}

static vigie_addr v6(vigie_u128 x) {
  vigie_addr a;
  memset(&a, 0, sizeof a);
  a.family = AF_INET6;
  a.v6 = x;
  return a;
}

static scan_result result(vigie_addr addr, uint16_t port, scan_state state, scan_reason reason) {
  scan_result r;
  memset(&r, 0, sizeof r);
  r.addr = addr;
  r.port = port;
  r.state = (uint8_t)state;
  r.reason = (uint8_t)reason;
  r.ttl = 64;
  r.time_us = 1700000000000000 + port;
  return r;
}

/* Add and say whether it was new; -1 on error. */
static int add(scan_store *s, scan_result r) {
  bool added = false;
  if (scan_store_add(s, &r, &added) != VIGIE_OK) return -1;
  return added;
}

TEST(names) {
  CHECK_STR(scan_state_name(SCAN_STATE_OPEN), "open");
  CHECK_STR(scan_state_name(SCAN_STATE_CLOSED), "closed");
  CHECK_STR(scan_state_name(SCAN_STATE_FILTERED), "filtered");
  CHECK_STR(scan_reason_name(SCAN_REASON_SYN_ACK), "syn-ack");
  CHECK_STR(scan_reason_name(SCAN_REASON_RESET), "reset");
  CHECK_STR(scan_reason_name(SCAN_REASON_NO_RESPONSE), "no-response");
  CHECK_STR(scan_reason_name(SCAN_REASON_CONNECTED), "syn-ack");
  CHECK_STR(scan_reason_name(SCAN_REASON_REFUSED), "conn-refused");
  CHECK_STR(scan_reason_name(SCAN_REASON_UNREACHABLE), "host-unreach");
  CHECK(scan_state_name((scan_state)0) != NULL && scan_reason_name((scan_reason)99) != NULL);
}

TEST(add_and_dedup) {
  scan_store *s = scan_store_new();
  REQUIRE(s != NULL);
  CHECK(scan_store_count(s) == 0);
  CHECK(!scan_store_has(s, &(vigie_addr){.family = AF_INET, .v4 = 0x7f000001u}, 22));
  CHECK(add(s, result(v4(0x7f000001u), 22, SCAN_STATE_OPEN, SCAN_REASON_SYN_ACK)) == 1);
  /* A later answer for the same pair is ignored, whatever it says. */
  CHECK(add(s, result(v4(0x7f000001u), 22, SCAN_STATE_CLOSED, SCAN_REASON_RESET)) == 0);
  CHECK(add(s, result(v4(0x7f000001u), 23, SCAN_STATE_CLOSED, SCAN_REASON_RESET)) == 1);
  CHECK(add(s, result(v6(BENCH6 | 1), 22, SCAN_STATE_OPEN, SCAN_REASON_SYN_ACK)) == 1);
  CHECK(add(s, result(v6(BENCH6 | 1), 22, SCAN_STATE_OPEN, SCAN_REASON_SYN_ACK)) == 0);
  /* The same number in the other family is another address. */
  CHECK(add(s, result(v6(0x7f000001u), 22, SCAN_STATE_OPEN, SCAN_REASON_SYN_ACK)) == 1);
  CHECK(add(s, result(v4(0), 22, SCAN_STATE_OPEN, SCAN_REASON_SYN_ACK)) == 1);
  CHECK(add(s, result(v6(0), 22, SCAN_STATE_OPEN, SCAN_REASON_SYN_ACK)) == 1);
  CHECK(add(s, result(v4(0), 22, SCAN_STATE_OPEN, SCAN_REASON_SYN_ACK)) == 0);
  CHECK(scan_store_count(s) == 6);
  /* The tally counts new results only, and each answering address once. */
  scan_tally t;
  scan_store_tally(s, &t);
  CHECKF(t.open == 5 && t.closed == 1 && t.filtered == 0 && t.hosts_up == 5,
         "open %zu closed %zu filtered %zu hosts %zu", t.open, t.closed, t.filtered, t.hosts_up);
  CHECK(scan_store_has(s, &(vigie_addr){.family = AF_INET, .v4 = 0x7f000001u}, 22));
  CHECK(!scan_store_has(s, &(vigie_addr){.family = AF_INET, .v4 = 0x7f000001u}, 24));
  CHECK(scan_store_has(s, &(vigie_addr){.family = AF_INET6, .v6 = BENCH6 | 1}, 22));
  CHECK(!scan_store_has(s, &(vigie_addr){.family = AF_INET6, .v6 = BENCH6 | 2}, 22));

  scan_result *all = NULL;
  size_t n = 0;
  REQUIRE(scan_store_sorted(s, &all, &n) == VIGIE_OK && n == 6);
  CHECK(all[1].addr.v4 == 0x7f000001u && all[1].port == 22 && all[1].state == SCAN_STATE_OPEN);
  vigie_free(all);
  scan_store_free(s);
  scan_store_free(NULL);
}

TEST(invalid_results_refused) {
  scan_store *s = scan_store_new();
  bool added = true;
  REQUIRE(s != NULL);
  scan_result r = result(v4(0x7f000001u), 22, SCAN_STATE_OPEN, SCAN_REASON_SYN_ACK);
  r.state = 0;
  CHECK(scan_store_add(s, &r, &added) == VIGIE_EINVAL && !added);
  r.state = 4;
  CHECK(scan_store_add(s, &r, NULL) == VIGIE_EINVAL);
  r = result(v4(0x7f000001u), 22, SCAN_STATE_OPEN, (scan_reason)0);
  CHECK(scan_store_add(s, &r, NULL) == VIGIE_EINVAL);
  r = result(v4(0x7f000001u), 22, SCAN_STATE_OPEN, SCAN_REASON_SYN_ACK);
  r.addr.family = 0;
  CHECK(scan_store_add(s, &r, NULL) == VIGIE_EINVAL);
  CHECK(scan_store_count(s) == 0);
  scan_store_free(s);
}

TEST(host_up) {
  scan_store *s = scan_store_new();
  REQUIRE(s != NULL);
  vigie_addr open = v4(0x7f000001u), closed = v4(0x7f000002u), silent = v4(0x7f000003u);
  vigie_addr unreach = v4(0x7f000004u), refused6 = v6(BENCH6 | 9), other6 = v6(BENCH6 | 10);
  CHECK(!scan_store_host_up(s, &open));
  add(s, result(open, 80, SCAN_STATE_OPEN, SCAN_REASON_SYN_ACK));
  add(s, result(closed, 80, SCAN_STATE_CLOSED, SCAN_REASON_RESET));
  add(s, result(silent, 80, SCAN_STATE_FILTERED, SCAN_REASON_NO_RESPONSE));
  /* An unreachable comes from a router, not from the host. */
  add(s, result(unreach, 80, SCAN_STATE_FILTERED, SCAN_REASON_UNREACHABLE));
  add(s, result(refused6, 80, SCAN_STATE_CLOSED, SCAN_REASON_REFUSED));
  CHECK(scan_store_host_up(s, &open) && scan_store_host_up(s, &closed));
  CHECK(!scan_store_host_up(s, &silent) && !scan_store_host_up(s, &unreach));
  CHECK(scan_store_host_up(s, &refused6) && !scan_store_host_up(s, &other6));
  CHECK(!scan_store_host_up(s, &(vigie_addr){.family = AF_INET6, .v6 = 0x7f000001u}));
  /* The host then answers on another port: up from now on. */
  add(s, result(unreach, 443, SCAN_STATE_OPEN, SCAN_REASON_CONNECTED));
  CHECK(scan_store_host_up(s, &unreach));
  CHECK(!scan_store_host_up(s, &(vigie_addr){.family = 0}));
  scan_store_free(s);
}

/* A finalized target set of the given tokens. */
static vigie_targets *targets_of(const char *const *tokens, size_t n) {
  vigie_targets *t = vigie_targets_new();
  if (t == NULL) return NULL;
  for (size_t i = 0; i < n; i++) {
    if (vigie_targets_add(t, tokens[i], NULL) != VIGIE_OK) goto fail;
  }
  if (vigie_targets_finalize(t, NULL) == VIGIE_OK) return t;
fail:
  vigie_targets_free(t);
  return NULL;
}

typedef struct seen_list {
  scan_result r[16];
  size_t n;
} seen_list;

static void on_filtered(const scan_result *r, void *user) {
  seen_list *seen = user;
  if (seen->n < 16) seen->r[seen->n] = *r;
  seen->n++;
}

TEST(fill_filtered) {
  static const char *const tokens[] = {"127.0.0.1-127.0.0.4", "2001:2::/127"};
  vigie_targets *t = targets_of(tokens, 2);
  scan_store *s = scan_store_new();
  vigie_ports ports;
  scan_space space;
  seen_list seen = {.n = 0};
  REQUIRE(t != NULL && s != NULL);
  vigie_ports_clear(&ports);
  vigie_ports_set(&ports, 22);
  vigie_ports_set(&ports, 80);
  vigie_ports_set(&ports, 443);
  REQUIRE(scan_space_init(&space, t, &ports, NULL) == VIGIE_OK);
  add(s, result(v6(BENCH6 | 1), 443, SCAN_STATE_OPEN, SCAN_REASON_SYN_ACK));
  add(s, result(v4(0x7f000002u), 80, SCAN_STATE_CLOSED, SCAN_REASON_RESET));
  add(s, result(v4(0x7f000001u), 22, SCAN_STATE_OPEN, SCAN_REASON_SYN_ACK));
  add(s, result(v4(0x7f000003u), 22, SCAN_STATE_FILTERED, SCAN_REASON_UNREACHABLE));
  add(s, result(v4(0x7f000101u), 22, SCAN_STATE_OPEN, SCAN_REASON_SYN_ACK)); /* not in space */
  REQUIRE(scan_store_count(s) == 5);
  REQUIRE(scan_store_fill_filtered(s, &space, on_filtered, &seen, NULL) == VIGIE_OK);
  /* .1 gains 80 and 443, .2 gains 22 and 443, 2001:2::1 gains 22 and 80;
   * .3 (unreachable only), .4 and 2001:2:: (silent) and the host outside
   * the space gain nothing. Ascending order, IPv4 first. */
  static const struct {
    uint32_t a4;
    uint64_t a6;
    uint16_t port;
  } expect[] = {{0x7f000001u, 0, 80}, {0x7f000001u, 0, 443},
                {0x7f000002u, 0, 22}, {0x7f000002u, 0, 443},
                {0, 1, 22},           {0, 1, 80}};
  CHECK(seen.n == 6 && scan_store_count(s) == 11);
  /* The filled ports count in the tally like any other result: 6 filled
   * plus the unreachable one added above. */
  scan_tally tally;
  scan_store_tally(s, &tally);
  CHECKF(tally.filtered == 7, "tally says %zu filtered", tally.filtered);
  for (size_t i = 0; i < 6 && i < seen.n; i++) {
    const scan_result *r = &seen.r[i];
    bool is6 = expect[i].a6 != 0;
    CHECKF(r->addr.family == (is6 ? AF_INET6 : AF_INET) && r->port == expect[i].port &&
               (is6 ? r->addr.v6 == (BENCH6 | expect[i].a6) : r->addr.v4 == expect[i].a4),
           "filled result %zu", i);
    CHECK(r->state == SCAN_STATE_FILTERED && r->reason == SCAN_REASON_NO_RESPONSE);
    CHECK(scan_store_has(s, &r->addr, r->port));
  }
  CHECK(!scan_store_has(s, &(vigie_addr){.family = AF_INET, .v4 = 0x7f000003u}, 80));
  CHECK(!scan_store_has(s, &(vigie_addr){.family = AF_INET, .v4 = 0x7f000004u}, 80));
  CHECK(!scan_store_has(s, &(vigie_addr){.family = AF_INET, .v4 = 0x7f000101u}, 80));
  /* Filled ports do not make a host up, and a second fill adds nothing. */
  CHECK(!scan_store_host_up(s, &(vigie_addr){.family = AF_INET, .v4 = 0x7f000003u}));
  seen.n = 0;
  REQUIRE(scan_store_fill_filtered(s, &space, NULL, NULL, NULL) == VIGIE_OK);
  CHECK(scan_store_fill_filtered(s, &space, on_filtered, &seen, NULL) == VIGIE_OK && seen.n == 0);
  CHECK(scan_store_count(s) == 11);
  scan_space_free(&space);
  scan_store_free(s);
  vigie_targets_free(t);
}

/* xorshift64*: reproducible random numbers. */
static uint64_t rnd(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 0x2545f4914f6cdd1du;
}

/* Whether a comes strictly before b in the sorted copy's order. */
static bool before(const scan_result *a, const scan_result *b) {
  if (a->addr.family != b->addr.family) return a->addr.family == AF_INET;
  if (a->addr.family == AF_INET && a->addr.v4 != b->addr.v4) return a->addr.v4 < b->addr.v4;
  if (a->addr.family == AF_INET6 && a->addr.v6 != b->addr.v6) return a->addr.v6 < b->addr.v6;
  return a->port < b->port;
}

TEST(sorted_and_many) {
  /* Random adds with many repeats, through several doublings; the sorted
   * copy is strictly ascending (so no duplicate) and keeps every field. */
  enum { ADDS = 200000 };
  scan_store *s = scan_store_new();
  uint64_t seed = 11;
  size_t fresh = 0;
  REQUIRE(s != NULL);
  for (int i = 0; i < ADDS; i++) {
    uint64_t x = rnd(&seed);
    uint16_t port = (uint16_t)(1 + x % 64);
    vigie_addr a = (x >> 20) % 3
                       ? v4(0xc6120000u | (uint32_t)((x >> 8) % 2048))
                       : v6(BENCH6 | ((vigie_u128)((x >> 8) % 512) << 70) | (x >> 40 & 3));
    scan_result r = result(a, port, (scan_state)(1 + x % 3), (scan_reason)(1 + (x >> 4) % 6));
    r.ttl = (uint8_t)(a.v4 ^ (uint32_t)a.v6 ^ port);
    r.time_us = (int64_t)(a.v4 ^ (uint32_t)(a.v6 >> 70)) * 100000 + port - 123456789;
    int got = add(s, r);
    REQUIRE(got >= 0);
    fresh += (size_t)got;
    CHECK(scan_store_has(s, &a, port));
  }
  CHECK(scan_store_count(s) == fresh && fresh > 100000);
  scan_result *all = NULL;
  size_t n = 0;
  REQUIRE(scan_store_sorted(s, &all, &n) == VIGIE_OK);
  CHECK(n == fresh);
  size_t first6 = n;
  for (size_t i = 0; i < n; i++) {
    const scan_result *r = &all[i];
    CHECK(i == 0 || before(&all[i - 1], r));
    CHECK(r->ttl == (uint8_t)(r->addr.v4 ^ (uint32_t)r->addr.v6 ^ r->port));
    CHECK(r->time_us ==
          (int64_t)(r->addr.v4 ^ (uint32_t)(r->addr.v6 >> 70)) * 100000 + r->port - 123456789);
    CHECK(r->state >= 1 && r->state <= 3 && r->reason >= 1 && r->reason <= 6);
    if (r->addr.family == AF_INET6 && first6 == n) first6 = i;
    if (ctx->failures > 5) break;
  }
  CHECK(first6 > 0 && first6 < n);
  vigie_free(all);

  scan_store *empty = scan_store_new();
  REQUIRE(empty != NULL);
  CHECK(scan_store_sorted(empty, &all, &n) == VIGIE_OK && n == 0);
  vigie_free(all);
  scan_store_free(empty);
  scan_store_free(s);
}

/* Bytes malloc has handed out and not taken back, mmap'ed blocks included. */
static size_t heap_in_use(void) {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

TEST(million_ipv4_results) {
  /* The worst case for memory: a million results on a million distinct
   * hosts, so the host set is as big as it gets. */
  enum { N = 1000000 };
  size_t before_bytes = heap_in_use();
  scan_store *s = scan_store_new();
  REQUIRE(s != NULL);
  for (uint32_t i = 0; i < N; i++) {
    scan_result r = result(v4(0x0a000000u + i * 3), (uint16_t)(1 + i % 1024), SCAN_STATE_OPEN,
                           SCAN_REASON_SYN_ACK);
    REQUIRE(add(s, r) == 1);
  }
  CHECK(scan_store_count(s) == N);
  CHECK(scan_store_host_up(s, &(vigie_addr){.family = AF_INET, .v4 = 0x0a000000u + 3 * 777}));
  CHECK(!scan_store_host_up(s, &(vigie_addr){.family = AF_INET, .v4 = 0x0a000001u}));
  size_t used = heap_in_use() - before_bytes;
#ifdef UNDER_ASAN
  (void)used;
  printf("# memory not measured under AddressSanitizer (its allocator is not malloc's)\n");
#else
  printf("# 1,000,000 IPv4 results: %.1f MiB in the store, %.1f bytes a result\n",
         (double)used / (1024 * 1024), (double)used / N);
  CHECKF(used <= 48u * 1024 * 1024, "%zu bytes", used);
#endif
  scan_store_free(s);
}

/* Whether two results carry the same fields (padding aside). */
static bool same(const scan_result *a, const scan_result *b) {
  return a->addr.family == b->addr.family && a->addr.v4 == b->addr.v4 && a->addr.v6 == b->addr.v6 &&
         a->port == b->port && a->state == b->state && a->reason == b->reason && a->ttl == b->ttl &&
         a->time_us == b->time_us;
}

/* Whether two arrays of n results carry the same fields. */
static bool same_all(const scan_result *a, const scan_result *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!same(&a[i], &b[i])) return false;
  return true;
}

/* A store of ADDS random results, IPv4 and IPv6 mixed, many repeated.
 * \return the store, or NULL. */
static scan_store *random_store(uint64_t seed, int adds) {
  scan_store *s = scan_store_new();
  for (int i = 0; s != NULL && i < adds; i++) {
    uint64_t x = rnd(&seed);
    uint16_t port = (uint16_t)(1 + x % 64);
    vigie_addr a = (x >> 20) % 3
                       ? v4(0xc6120000u | (uint32_t)((x >> 8) % 2048))
                       : v6(BENCH6 | ((vigie_u128)((x >> 8) % 512) << 70) | (x >> 40 & 3));
    scan_result r = result(a, port, (scan_state)(1 + x % 3), (scan_reason)(1 + (x >> 4) % 6));
    r.ttl = (uint8_t)x;
    r.time_us = (int64_t)(x >> 1);
    if (add(s, r) < 0) {
      scan_store_free(s);
      return NULL;
    }
  }
  return s;
}

TEST(seal_sorts_in_place) {
  /* Sealing gives the sorted copy's order and fields, result by result. */
  scan_store *s = random_store(29, 100000);
  REQUIRE(s != NULL);
  scan_result *all = NULL;
  size_t n = 0;
  REQUIRE(scan_store_sorted(s, &all, &n) == VIGIE_OK && n == scan_store_count(s));
  bool up[8] = {false};
  vigie_addr probes[8];
  for (int i = 0; i < 8; i++) {
    probes[i] = all[(size_t)i * (n / 8)].addr;
    up[i] = scan_store_host_up(s, &probes[i]);
  }
  scan_store_seal(s);
  CHECK(scan_store_count(s) == n);
  size_t first6 = n;
  for (size_t i = 0; i < n; i++) {
    scan_result r;
    scan_store_result_at(s, i, &r);
    CHECKF(same(&r, &all[i]), "result %zu", i);
    CHECK(scan_store_has(s, &r.addr, r.port));
    if (r.addr.family == AF_INET6 && first6 == n) first6 = i;
    if (ctx->failures > 5) break;
  }
  CHECK(first6 > 0 && first6 < n); /* both families, IPv4 first */
  /* Lookups still answer, by bisection now. */
  CHECK(!scan_store_has(s, &(vigie_addr){.family = AF_INET, .v4 = 0xc6120000u}, 65));
  CHECK(!scan_store_has(s, &(vigie_addr){.family = AF_INET, .v4 = 0xc6130000u}, 1));
  CHECK(!scan_store_has(s, &(vigie_addr){.family = AF_INET6, .v6 = BENCH6 | 7}, 1));
  CHECK(!scan_store_has(s, &(vigie_addr){.family = 0}, 1));
  for (int i = 0; i < 8; i++) CHECK(scan_store_host_up(s, &probes[i]) == up[i]);
  /* The sorted copy of a sealed store is the same. */
  scan_result *again = NULL;
  size_t m = 0;
  CHECK(scan_store_sorted(s, &again, &m) == VIGIE_OK && m == n && same_all(again, all, n));
  vigie_free(again);
  /* Past the end: all zeros, which no output takes. */
  scan_result past;
  memset(&past, 0xff, sizeof past);
  scan_store_result_at(s, n, &past);
  CHECK(past.addr.family == 0 && past.state == 0);
  scan_store_seal(s); /* a second seal changes nothing */
  scan_store_result_at(s, n - 1, &past);
  CHECK(same(&past, &all[n - 1]));
  vigie_free(all);
  scan_store_free(s);
}

TEST(sealed_store_refuses_more) {
  static const char *const tokens[] = {"127.0.0.1-127.0.0.2"};
  vigie_targets *t = targets_of(tokens, 1);
  scan_store *s = scan_store_new();
  vigie_ports ports;
  scan_space space;
  bool added = true;
  REQUIRE(t != NULL && s != NULL);
  vigie_ports_clear(&ports);
  vigie_ports_set(&ports, 22);
  vigie_ports_set(&ports, 80);
  REQUIRE(scan_space_init(&space, t, &ports, NULL) == VIGIE_OK);
  scan_result r = result(v4(0x7f000001u), 22, SCAN_STATE_OPEN, SCAN_REASON_SYN_ACK);
  scan_result before = r;
  /* Not sealed yet: nothing to read by index. */
  CHECK(add(s, r) == 1);
  scan_store_result_at(s, 0, &before);
  CHECK(before.addr.family == 0);
  scan_store_seal(s);
  scan_store_result_at(s, 0, &before);
  CHECK(before.addr.v4 == 0x7f000001u && before.port == 22);
  r.port = 23;
  CHECK(scan_store_add(s, &r, &added) == VIGIE_EINVAL && !added);
  CHECK(scan_store_reserve(s, 10, 0) == VIGIE_EINVAL);
  vigie_error err = {0};
  CHECK(scan_store_fill_filtered(s, &space, NULL, NULL, &err) == VIGIE_EINVAL);
  CHECK(strstr(err.msg, "sealed") != NULL);
  CHECK(scan_store_count(s) == 1 && !scan_store_has(s, &r.addr, 23));
  scan_space_free(&space);
  scan_store_free(s);
  vigie_targets_free(t);

  /* An empty store seals too, and NULLs are harmless. */
  s = scan_store_new();
  REQUIRE(s != NULL);
  scan_store_seal(s);
  CHECK(scan_store_count(s) == 0 && !scan_store_has(s, &r.addr, 22));
  scan_store_result_at(s, 0, &before);
  CHECK(before.addr.family == 0);
  scan_store_seal(NULL);
  scan_store_result_at(NULL, 0, &before);
  scan_store_result_at(s, 0, NULL);
  CHECK(scan_store_reserve(NULL, 1, 1) == VIGIE_EINVAL);
  scan_store_free(s);
}

TEST(reserve_keeps_results) {
  /* Reserving after results came (a resumed scan) moves them, once. */
  scan_store *s = random_store(5, 3000);
  REQUIRE(s != NULL);
  scan_result *all = NULL, *after = NULL;
  size_t n = 0, m = 0;
  REQUIRE(scan_store_sorted(s, &all, &n) == VIGIE_OK);
  CHECK(scan_store_reserve(s, 0, 0) == VIGIE_OK);
  CHECK(scan_store_reserve(s, 100000, 20000) == VIGIE_OK);
  CHECK(scan_store_reserve(s, 10, 10) == VIGIE_OK); /* smaller: nothing moves */
  CHECK(scan_store_count(s) == n);
  for (size_t i = 0; i < n; i++) CHECK(scan_store_has(s, &all[i].addr, all[i].port));
  CHECK(scan_store_sorted(s, &after, &m) == VIGIE_OK && m == n && same_all(after, all, n));
  CHECK(scan_store_reserve(s, SIZE_MAX / 2, 0) == VIGIE_ENOMEM);
  CHECK(scan_store_count(s) == n);
  vigie_free(all);
  vigie_free(after);
  scan_store_free(s);
}

TEST(reserved_million_does_not_grow) {
  /* Reserved for the dense benchmark (65536 hosts x 16 ports), the table is
   * made once: 2^21 slots of 16 bytes, 32 MiB, and a million adds on the
   * worst case for the host set (a million distinct hosts) add only that
   * set. A doubling would show as 32 MiB more (the 64 MiB table). */
  enum { N = 1000000 };
  size_t start = heap_in_use();
  scan_store *s = scan_store_new();
  REQUIRE(s != NULL);
  REQUIRE(scan_store_reserve(s, (size_t)1 << 20, 0) == VIGIE_OK);
  size_t reserved = heap_in_use() - start;
  for (uint32_t i = 0; i < N; i++) {
    scan_result r = result(v4(0x0a000000u + i * 3), (uint16_t)(1 + i % 1024), SCAN_STATE_OPEN,
                           SCAN_REASON_SYN_ACK);
    REQUIRE(add(s, r) == 1);
  }
  CHECK(scan_store_count(s) == N);
  size_t used = heap_in_use() - start;
#ifdef UNDER_ASAN
  (void)reserved, (void)used;
  printf("# memory not measured under AddressSanitizer (its allocator is not malloc's)\n");
#else
  printf("# reserved: %.1f MiB; after 1,000,000 adds: %.1f MiB (host set %.1f MiB)\n",
         (double)reserved / (1024 * 1024), (double)used / (1024 * 1024),
         (double)(used - reserved) / (1024 * 1024));
  /* 64 KiB for the store itself and malloc's headers. */
  CHECKF(reserved <= (32u << 20) + (64u << 10), "%zu bytes reserved", reserved);
  /* The host set ends at 2^21 slots of 4 bytes, 8 MiB. */
  CHECKF(used - reserved <= (8u << 20) + (64u << 10), "%zu bytes more", used - reserved);
#endif
  /* Sealing allocates nothing either. */
  size_t before_seal = heap_in_use();
  scan_store_seal(s);
  CHECK(heap_in_use() == before_seal);
  scan_result first, last;
  scan_store_result_at(s, 0, &first);
  scan_store_result_at(s, N - 1, &last);
  CHECK(first.addr.v4 == 0x0a000000u && last.addr.v4 == 0x0a000000u + (N - 1) * 3);
  scan_store_free(s);
}

/* ---------------------------------------------------------- the in-place sort */

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

TEST(sort_in_place_shapes) {
  /* Random, sorted, reversed, all equal, few values, organ pipe; sizes
   * around the insertion-sort cut-off and past it. */
  static uint32_t v[5000];
  static const size_t sizes[] = {0, 1, 2, 3, 15, 16, 17, 33, 1000, 5000};
  uint64_t seed = 3;
  for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
    size_t n = sizes[si];
    for (int shape = 0; shape < 6; shape++) {
      uint64_t sum = 0, sum_after = 0;
      for (size_t i = 0; i < n; i++) {
        uint32_t x = (uint32_t)rnd(&seed);
        v[i] = shape == 0   ? x
               : shape == 1 ? (uint32_t)i
               : shape == 2 ? (uint32_t)(n - i)
               : shape == 3 ? 7u
               : shape == 4 ? x % 3
                            : (uint32_t)(i < n / 2 ? i : n - i);
        sum += v[i];
      }
      scan_sort_in_place(v, n, sizeof v[0], cmp_u32);
      for (size_t i = 0; i < n; i++) sum_after += v[i];
      bool ordered = true;
      for (size_t i = 1; i < n; i++) ordered = ordered && v[i - 1] <= v[i];
      CHECKF(ordered && sum == sum_after, "size %zu, shape %d", n, shape);
    }
  }
}

/* McIlroy's adversary ("A killer adversary for quicksort", 1999): it fixes
 * the values of the elements only as the comparisons force it, so as to
 * make any quicksort quadratic. The heapsort fallback must keep the count
 * of comparisons at O(n log n) all the same. */
typedef struct killer {
  int *val;
  int gas, solid, candidate;
  uint64_t comparisons;
} killer;

static killer adv;

static int cmp_killer(const void *pa, const void *pb) {
  int x = *(const int *)pa, y = *(const int *)pb;
  adv.comparisons++;
  if (adv.val[x] == adv.gas && adv.val[y] == adv.gas) {
    adv.val[x == adv.candidate ? x : y] = adv.solid++;
  }
  if (adv.val[x] == adv.gas)
    adv.candidate = x;
  else if (adv.val[y] == adv.gas)
    adv.candidate = y;
  return (adv.val[x] > adv.val[y]) - (adv.val[x] < adv.val[y]);
}

TEST(sort_in_place_survives_an_adversary) {
  enum { N = 20000 };
  static int val[N], idx[N];
  adv = (killer){.val = val, .gas = N, .solid = 0, .candidate = 0, .comparisons = 0};
  for (int i = 0; i < N; i++) val[i] = N, idx[i] = i;
  scan_sort_in_place(idx, N, sizeof idx[0], cmp_killer);
  bool ordered = true;
  for (int i = 1; i < N; i++) ordered = ordered && val[idx[i - 1]] <= val[idx[i]];
  CHECK(ordered);
  /* 20000 log2(20000) is about 286,000; a quadratic sort takes ~10^8. */
  printf("# %llu comparisons for %d elements against the adversary\n",
         (unsigned long long)adv.comparisons, N);
  CHECKF(adv.comparisons < 20u * 286000u, "%llu comparisons", (unsigned long long)adv.comparisons);
}

/* A prefetch is a hint: any store, any state, any address, and nothing it
 * does may change what the store holds. */
TEST(prefetch_is_harmless) {
  vigie_addr a4 = {.family = AF_INET, .v4 = 0xc6120001u}, a6 = {.family = AF_INET6, .v6 = BENCH6 | 7};
  vigie_addr none = {.family = 0};
  scan_store *s = scan_store_new();
  REQUIRE(s != NULL);
  scan_store_prefetch(NULL, &a4, 80);
  scan_store_prefetch(s, NULL, 80);
  scan_store_prefetch(s, &a4, 80); /* no table yet */
  scan_store_prefetch(s, &a6, 80);
  scan_store_prefetch(s, &none, 80);
  CHECK(scan_store_count(s) == 0);
  REQUIRE(scan_store_reserve(s, 1u << 20, 16) == VIGIE_OK);
  for (uint32_t i = 0; i < 70000; i++) {
    vigie_addr a = {.family = AF_INET, .v4 = 0xc6120000u + i};
    scan_store_prefetch(s, &a, 443);
    if (add(s, result(a, 443, SCAN_STATE_OPEN, SCAN_REASON_SYN_ACK)) != 1) CHECKF(0, "result %u", i);
  }
  scan_store_prefetch(s, &a6, 22);
  CHECK(add(s, result(a6, 22, SCAN_STATE_OPEN, SCAN_REASON_SYN_ACK)) == 1);
  CHECK(scan_store_count(s) == 70001);
  scan_store_seal(s);
  scan_store_prefetch(s, &a4, 443); /* sealed: ignored */
  CHECK(scan_store_has(s, &a4, 443) && scan_store_count(s) == 70001);
  scan_store_free(s);
}

TEST_MAIN(TEST_CASE_ENTRY(names), TEST_CASE_ENTRY(prefetch_is_harmless), TEST_CASE_ENTRY(add_and_dedup),
          TEST_CASE_ENTRY(invalid_results_refused), TEST_CASE_ENTRY(host_up),
          TEST_CASE_ENTRY(fill_filtered), TEST_CASE_ENTRY(sorted_and_many),
          TEST_CASE_ENTRY(million_ipv4_results), TEST_CASE_ENTRY(seal_sorts_in_place),
          TEST_CASE_ENTRY(sealed_store_refuses_more), TEST_CASE_ENTRY(reserve_keeps_results),
          TEST_CASE_ENTRY(reserved_million_does_not_grow), TEST_CASE_ENTRY(sort_in_place_shapes),
          TEST_CASE_ENTRY(sort_in_place_survives_an_adversary))
