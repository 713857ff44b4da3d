/* Unit tests of scanner/scan_store.c: results deduplicated per (address,
 * port) in both families, which hosts count as up, the filtered fill, the
 * sorted copy, state and reason names, and the memory a million IPv4
 * results take.
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

TEST_MAIN(TEST_CASE_ENTRY(names), TEST_CASE_ENTRY(add_and_dedup),
          TEST_CASE_ENTRY(invalid_results_refused), TEST_CASE_ENTRY(host_up),
          TEST_CASE_ENTRY(fill_filtered), TEST_CASE_ENTRY(sorted_and_many),
          TEST_CASE_ENTRY(million_ipv4_results))
