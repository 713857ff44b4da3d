/* Unit tests of scanner/scan_perm.c and scanner/scan_space.c: the keyed
 * permutation is a bijection for every size, seeds change the order, shards
 * partition the positions, a resumed walk loses and repeats nothing, and
 * the space decodes indices to every (address, port) pair exactly once.
 *
 * Dotted IPv4 literals stay in 127.0.0.0/8 and 198.18.0.0/15, IPv6 ones in
 * 2001:2::/48 (benchmarking); nothing here sends a packet.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "harness.h"
#include "vigie/scanner.h"

static const uint64_t seeds[] = {0, 1, 42, 0xdeadbeefcafef00du, UINT64_MAX};
#define N_SEEDS (sizeof seeds / sizeof seeds[0])

/* A bitmap of n bits, zeroed; caller frees. */
static uint8_t *bitmap(uint64_t n) { return calloc((size_t)(n / 8 + 1), 1); }

static bool test_and_set(uint8_t *map, uint64_t i) {
  bool was = (map[i / 8] >> (i % 8)) & 1;
  map[i / 8] |= (uint8_t)(1u << (i % 8));
  return was;
}

/* Whether the permutation of [0, range) for seed hits every index once. */
static bool visits_all_once(uint64_t range, uint64_t seed) {
  scan_perm perm;
  uint8_t *seen = bitmap(range);
  bool ok = seen != NULL && scan_perm_init(&perm, range, seed) == VIGIE_OK;
  for (uint64_t p = 0; ok && p < range; p++) {
    uint64_t x = scan_perm_at(&perm, p);
    if (x >= range || test_and_set(seen, x)) {
      printf("# range %llu seed %llx: position %llu gives %llu (out of range or repeated)\n",
             (unsigned long long)range, (unsigned long long)seed, (unsigned long long)p,
             (unsigned long long)x);
      ok = false;
    }
  }
  free(seen);
  return ok;
}

TEST(perm_is_a_bijection) {
  static const uint64_t sizes[] = {0,     1,     2,     3,      4,       5,       7,      8,
                                   9,     15,    16,    17,     63,      64,      65,     100,
                                   255,   256,   257,   1000,   4095,    4096,    4097,   65535,
                                   65536, 65537, 99991, 131072, 1000003, 1048575, 1048576};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    for (size_t s = 0; s < N_SEEDS; s++) {
      CHECKF(visits_all_once(sizes[i], seeds[s]), "range %llu", (unsigned long long)sizes[i]);
    }
  }
}

TEST(perm_domain_is_tight) {
  /* a*b >= range, and close to it, so cycle walking stays cheap. */
  for (uint64_t range = 2; range < 5000; range++) {
    scan_perm perm;
    scan_perm_init(&perm, range, 7);
    unsigned __int128 domain = (unsigned __int128)perm.a * perm.b;
    CHECKF(domain >= range && domain < 2 * (unsigned __int128)range + 4, "range %llu: %llu x %llu",
           (unsigned long long)range, (unsigned long long)perm.a, (unsigned long long)perm.b);
  }
}

static int cmp_u64(const void *pa, const void *pb) {
  uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
  return (a > b) - (a < b);
}

/* For ranges too big for a bitmap: a sample of positions (the first ones
 * and some spread over the range) gives distinct indices in range. */
static bool sample_distinct(uint64_t range, uint64_t seed) {
  enum { N = 200000 };
  uint64_t *out = malloc(N * sizeof *out);
  scan_perm perm;
  bool ok = out != NULL;
  scan_perm_init(&perm, range, seed);
  for (uint64_t i = 0; ok && i < N; i++) {
    uint64_t p = i < N / 2 ? i : range - 1 - (i - N / 2) * (range / N);
    out[i] = scan_perm_at(&perm, p);
    ok = out[i] < range;
  }
  if (ok) qsort(out, N, sizeof *out, cmp_u64);
  for (size_t i = 1; ok && i < N; i++) ok = out[i] != out[i - 1];
  free(out);
  return ok;
}

TEST(perm_large_ranges) {
  static const uint64_t sizes[] = {((uint64_t)1 << 32) - 1, (uint64_t)1 << 32,
                                   ((uint64_t)1 << 32) + 1, ((uint64_t)1 << 32) + 12345,
                                   1000000007u * 3u,        ((uint64_t)1 << 48) + 3,
                                   ((uint64_t)1 << 62) + 1, ((uint64_t)1 << 63) - 1,
                                   (uint64_t)1 << 63,       UINT64_MAX};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    CHECKF(sample_distinct(sizes[i], 0x5eed), "range %llu", (unsigned long long)sizes[i]);
  }
}

TEST(perm_out_of_range_position) {
  scan_perm perm;
  scan_perm_init(&perm, 10, 1);
  CHECK(scan_perm_at(&perm, 10) == 10); /* a caller's bug, answered without looping */
  scan_perm_init(&perm, 0, 1);
  CHECK(scan_perm_at(&perm, 0) == 0);
  scan_perm_init(&perm, 1, 1);
  CHECK(scan_perm_at(&perm, 0) == 0);
}

TEST(perm_seed_changes_order) {
  enum { RANGE = 1000, SEEDS = 32 };
  static uint64_t orders[SEEDS][RANGE];
  for (uint64_t s = 0; s < SEEDS; s++) {
    scan_perm perm;
    scan_perm_init(&perm, RANGE, s);
    for (uint64_t p = 0; p < RANGE; p++) orders[s][p] = scan_perm_at(&perm, p);
  }
  for (int s = 0; s < SEEDS; s++) {
    int fixed = 0, ascending = 0;
    for (int p = 0; p < RANGE; p++) {
      fixed += orders[s][p] == (uint64_t)p;
      ascending += p > 0 && orders[s][p] == orders[s][p - 1] + 1;
    }
    /* A random permutation has about 1 fixed point and 1 ascending run. */
    CHECKF(fixed < 10 && ascending < 10, "seed %d: %d fixed, %d ascending", s, fixed, ascending);
    for (int t = 0; t < s; t++) {
      int same = 0;
      for (int p = 0; p < RANGE; p++) same += orders[s][p] == orders[t][p];
      CHECKF(same < 20, "seeds %d and %d agree on %d positions", s, t, same);
    }
  }
  /* Same seed, same order: a resumed scan needs it. */
  scan_perm again;
  scan_perm_init(&again, RANGE, 5);
  for (uint64_t p = 0; p < RANGE; p++) CHECK(scan_perm_at(&again, p) == orders[5][p]);
}

TEST(perm_small_ranges_vary) {
  /* Even tiny spaces get more than one order across seeds. */
  for (uint64_t range = 3; range <= 8; range++) {
    uint64_t first[64];
    int distinct = 0;
    for (uint64_t s = 0; s < 64; s++) {
      scan_perm perm;
      scan_perm_init(&perm, range, s);
      first[s] = scan_perm_at(&perm, 0);
    }
    for (uint64_t v = 0; v < range; v++) {
      for (int s = 0; s < 64; s++) {
        if (first[s] == v) {
          distinct++;
          break;
        }
      }
    }
    CHECKF(distinct == (int)range, "range %llu: position 0 took %d values",
           (unsigned long long)range, distinct);
  }
}

/* -------------------------------------------------------------- shards */

TEST(shards_partition_positions) {
  static const uint64_t ranges[] = {0, 1, 2, 10, 1000, 65537, 1000003};
  static const uint32_t counts[] = {1, 2, 3, 7};
  for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
      uint64_t range = ranges[r], total = 0;
      uint8_t *seen = bitmap(range);
      scan_perm perm;
      bool overlap = false;
      scan_perm_init(&perm, range, 99);
      for (uint32_t i = 0; i < counts[c]; i++) {
        scan_walk walk;
        uint64_t pos, last = 0;
        bool first = true;
        scan_walk_init(&walk, range, i, counts[c], 0);
        while (scan_walk_next(&walk, &pos)) {
          CHECK(pos % counts[c] == i && (first || pos > last));
          overlap |= test_and_set(seen, scan_perm_at(&perm, pos));
          first = false;
          last = pos;
          total++;
        }
      }
      CHECKF(!overlap && total == range, "range %llu in %u shards: %llu visited",
             (unsigned long long)range, counts[c], (unsigned long long)total);
      free(seen);
    }
  }
}

/* The positions a shard visits from resume_from to its end. */
static uint64_t walk_all(uint64_t range, uint32_t i, uint32_t n, uint64_t from, uint64_t *out) {
  scan_walk walk;
  uint64_t pos, k = 0;
  scan_walk_init(&walk, range, i, n, from);
  while (scan_walk_next(&walk, &pos)) out[k++] = pos;
  return k;
}

TEST(walk_resume_loses_nothing) {
  enum { RANGE = 1000 };
  static uint64_t full[RANGE], rest[RANGE];
  static const uint32_t counts[] = {1, 2, 3, 7};
  for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
    for (uint32_t i = 0; i < counts[c]; i++) {
      uint64_t n_full = walk_all(RANGE, i, counts[c], 0, full);
      for (uint64_t stop = 0; stop <= n_full; stop += 7) {
        /* Send stop positions, save the walk's position, resume from it. */
        scan_walk walk;
        uint64_t pos;
        scan_walk_init(&walk, RANGE, i, counts[c], 0);
        for (uint64_t k = 0; k < stop; k++) scan_walk_next(&walk, &pos);
        uint64_t n_rest = walk_all(RANGE, i, counts[c], walk.position, rest);
        CHECK(n_rest == n_full - stop);
        CHECK(n_rest == 0 || memcmp(rest, full + stop, n_rest * sizeof *rest) == 0);
      }
    }
  }
}

TEST(walk_resume_at_any_point) {
  /* All shards resumed at k cover exactly [k, range): the resume point of
   * a sharded scan may be any position. */
  enum { RANGE = 500 };
  for (uint32_t n = 1; n <= 7; n++) {
    for (uint64_t k = 0; k <= RANGE; k += 13) {
      uint8_t seen[RANGE / 8 + 1] = {0};
      uint64_t total = 0, pos;
      bool bad = false;
      for (uint32_t i = 0; i < n; i++) {
        scan_walk walk;
        scan_walk_init(&walk, RANGE, i, n, k);
        while (scan_walk_next(&walk, &pos)) {
          bad |= pos < k || test_and_set(seen, pos);
          total++;
        }
      }
      CHECKF(!bad && total == RANGE - k, "%u shards from %llu", n, (unsigned long long)k);
    }
  }
}

TEST(walk_edges) {
  scan_walk walk;
  uint64_t pos;
  scan_walk_init(&walk, 10, 3, 3, 0); /* index >= count: nothing */
  CHECK(!scan_walk_next(&walk, &pos));
  scan_walk_init(&walk, 10, 0, 0, 0); /* count 0 counts as one shard */
  uint64_t k = 0;
  while (scan_walk_next(&walk, &pos)) CHECK(pos == k++);
  CHECK(k == 10 && walk.position == 10);
  scan_walk_init(&walk, 10, 0, 1, 10);
  CHECK(!scan_walk_next(&walk, &pos));
  scan_walk_init(&walk, 10, 0, 1, 1000);
  CHECK(!scan_walk_next(&walk, &pos) && walk.position == 10);
  /* Near the top of the 64-bit range nothing wraps. */
  scan_walk_init(&walk, UINT64_MAX, 6, 7, UINT64_MAX - 3);
  while (scan_walk_next(&walk, &pos)) CHECK(pos >= UINT64_MAX - 3 && pos % 7 == 6);
  CHECK(walk.position == UINT64_MAX);
  scan_walk_init(&walk, UINT64_MAX, 4294967294u, 4294967295u, UINT64_MAX - 5);
  k = 0;
  while (scan_walk_next(&walk, &pos) && k < 3) k++;
  CHECK(k <= 1);
}

/* --------------------------------------------------------------- space */

static vigie_targets *targets_of(const char *const *tokens, size_t n, bool reserved) {
  vigie_targets *t = vigie_targets_new();
  vigie_error err;
  if (t == NULL) return NULL;
  vigie_targets_set_exclude_reserved(t, reserved);
  for (size_t i = 0; i < n; i++) {
    if (vigie_targets_add(t, tokens[i], &err) != VIGIE_OK) {
      printf("# %s\n", err.msg);
      vigie_targets_free(t);
      return NULL;
    }
  }
  if (vigie_targets_finalize(t, &err) != VIGIE_OK) {
    printf("# %s\n", err.msg);
    vigie_targets_free(t);
    return NULL;
  }
  return t;
}

static void ports_of(vigie_ports *p, const char *spec) {
  vigie_error err;
  vigie_ports_clear(p);
  if (spec != NULL && vigie_ports_parse(p, spec, NULL, &err) != VIGIE_OK) printf("# %s\n", err.msg);
}

TEST(space_decodes_every_pair) {
  static const char *const tokens[] = {"198.18.0.0/30", "127.0.0.1-127.0.0.3", "2001:2::/126"};
  vigie_targets *t = targets_of(tokens, 3, true);
  vigie_ports ports;
  scan_space space;
  vigie_error err;
  REQUIRE(t != NULL);
  ports_of(&ports, "443,22,80");
  REQUIRE(scan_space_init(&space, t, &ports, &err) == VIGIE_OK);
  CHECK(space.address_count == 11 && space.port_count == 3 && space.range == 33);
  CHECK(space.ports[0] == 22 && space.ports[1] == 80 && space.ports[2] == 443);
  bool seen[11][3] = {{false}};
  for (uint64_t i = 0; i < space.range; i++) {
    vigie_addr a, expect;
    uint16_t port = 0;
    scan_space_at(&space, i, &a, &port);
    REQUIRE(vigie_targets_at(t, i % 11, &expect));
    CHECK(a.family == expect.family && a.v4 == expect.v4 && a.v6 == expect.v6);
    CHECK(port == space.ports[i / 11]);
    CHECK(!seen[i % 11][i / 11]);
    seen[i % 11][i / 11] = true;
  }
  /* Addresses vary fastest, IPv4 first in ascending order. */
  vigie_addr a;
  uint16_t port;
  scan_space_at(&space, 0, &a, &port);
  CHECK(a.family == AF_INET && a.v4 == 0x7f000001u && port == 22);
  scan_space_at(&space, 1, &a, &port);
  CHECK(a.family == AF_INET && a.v4 == 0x7f000002u && port == 22);
  scan_space_at(&space, 7, &a, &port);
  CHECK(a.family == AF_INET6 && a.v6 == (vigie_u128)0x20010002u << 96 && port == 22);
  scan_space_at(&space, 11, &a, &port);
  CHECK(a.family == AF_INET && a.v4 == 0x7f000001u && port == 80);
  scan_space_at(&space, 33, &a, &port); /* out of range: zeroed, no crash */
  CHECK(a.family == 0 && port == 0);
  scan_space_free(&space);
  CHECK(space.ports == NULL);
  vigie_targets_free(t);
}

TEST(space_through_permutation) {
  /* The whole chain a sender runs: shard walk, permutation, decode. */
  static const char *const tokens[] = {"198.18.0.0/24", "2001:2::/120"};
  vigie_targets *t = targets_of(tokens, 2, true);
  vigie_ports ports;
  scan_space space;
  REQUIRE(t != NULL);
  ports_of(&ports, "1-100");
  REQUIRE(scan_space_init(&space, t, &ports, NULL) == VIGIE_OK);
  CHECK(space.range == 512 * 100);
  uint8_t *seen = bitmap(space.range);
  scan_perm perm;
  uint64_t total = 0, pos;
  scan_perm_init(&perm, space.range, 2024);
  for (uint32_t i = 0; i < 3; i++) {
    scan_walk walk;
    scan_walk_init(&walk, space.range, i, 3, 0);
    while (scan_walk_next(&walk, &pos)) {
      vigie_addr a;
      uint16_t port;
      scan_space_at(&space, scan_perm_at(&perm, pos), &a, &port);
      uint64_t slot = a.family == AF_INET ? (a.v4 & 0xff) : 256 + (uint64_t)(a.v6 & 0xff);
      CHECK(port >= 1 && port <= 100);
      CHECK(!test_and_set(seen, slot * 100 + port - 1));
      total++;
    }
  }
  CHECK(total == space.range);
  free(seen);
  scan_space_free(&space);
  vigie_targets_free(t);
}

TEST(space_many_ranges) {
  /* Hundreds of ranges of odd sizes in both families: the space's decode
   * table agrees with vigie_targets_at on every address, and so does a
   * space filled in by hand, which has no table. */
  enum { N4 = 300, N6 = 77 };
  static char text[N4 + N6][64];
  const char *tokens[N4 + N6];
  for (int i = 0; i < N4; i++) {
    int first = (i * 7) % 256, size = 1 + i % 5;
    snprintf(text[i], sizeof text[i], "198.%d.%d.%d-%d", 18 + (i & 1), i / 2, first / 2,
             first / 2 + size - 1);
    tokens[i] = text[i];
  }
  for (int i = 0; i < N6; i++) {
    snprintf(text[N4 + i], sizeof text[N4 + i], "2001:2:0:%x::/%d", i * 3, 120 + i % 9);
    tokens[N4 + i] = text[N4 + i];
  }
  vigie_targets *t = targets_of(tokens, N4 + N6, true);
  vigie_ports ports;
  scan_space space;
  REQUIRE(t != NULL);
  size_t n4, n6;
  vigie_targets_ranges4(t, &n4);
  vigie_targets_ranges6(t, &n6);
  CHECKF(n4 > 250 && n6 == N6, "%zu and %zu ranges", n4, n6);
  ports_of(&ports, "7,9");
  REQUIRE(scan_space_init(&space, t, &ports, NULL) == VIGIE_OK);
  scan_space by_hand = space;
  by_hand.index = NULL;
  for (uint64_t i = 0; i < space.range; i++) {
    vigie_addr a, b, expect;
    uint16_t pa, pb;
    scan_space_at(&space, i, &a, &pa);
    scan_space_at(&by_hand, i, &b, &pb);
    REQUIRE(vigie_targets_at(t, i % space.address_count, &expect));
    CHECK(memcmp(&a, &expect, sizeof a) == 0 && memcmp(&b, &expect, sizeof b) == 0);
    CHECK(pa == pb && pa == (i < space.address_count ? 7 : 9));
    if (ctx->failures > 5) break;
  }
  scan_space_free(&space);
  vigie_targets_free(t);
}

TEST(space_too_big) {
  vigie_ports ports;
  scan_space space;
  vigie_error err;
  static const char *const half[] = {"::/1"};
  vigie_targets *t = targets_of(half, 1, false);
  REQUIRE(t != NULL);
  ports_of(&ports, "80");
  CHECK(scan_space_init(&space, t, &ports, &err) == VIGIE_ETOOBIG);
  CHECK(strstr(err.msg, "narrow the IPv6 prefix") != NULL && strstr(err.msg, "2^127") != NULL);
  printf("# %s\n", err.msg);
  CHECK(space.ports == NULL && space.range == 0);
  vigie_targets_free(t);

  static const char *const bench[] = {"2001:2::/32", "127.0.0.1"};
  t = targets_of(bench, 2, false);
  REQUIRE(t != NULL);
  ports_of(&ports, "-");
  CHECK(scan_space_init(&space, t, &ports, &err) == VIGIE_ETOOBIG);
  CHECK(strstr(err.msg, "65535 ports") != NULL);
  vigie_targets_free(t);

  /* 2^63 probes exactly is the largest space; one more port is too many. */
  static const char *const edge[] = {"2001:2::/65"};
  t = targets_of(edge, 1, true);
  REQUIRE(t != NULL);
  ports_of(&ports, "443");
  REQUIRE(scan_space_init(&space, t, &ports, &err) == VIGIE_OK);
  CHECK(space.range == (uint64_t)1 << 63);
  scan_perm perm;
  scan_perm_init(&perm, space.range, 3);
  for (uint64_t p = space.range - 1000; p < space.range; p++) {
    vigie_addr a;
    uint16_t port;
    scan_space_at(&space, scan_perm_at(&perm, p), &a, &port);
    CHECK(a.family == AF_INET6 && port == 443 && (uint64_t)(a.v6 >> 64) == 0x2001000200000000u);
  }
  scan_space_free(&space);
  ports_of(&ports, "80,443");
  CHECK(scan_space_init(&space, t, &ports, &err) == VIGIE_ETOOBIG);
  vigie_targets_free(t);
}

TEST(space_empty) {
  vigie_ports ports;
  scan_space space;
  vigie_error err;
  vigie_targets *none = targets_of(NULL, 0, true);
  static const char *const one[] = {"127.0.0.1"};
  vigie_targets *t = targets_of(one, 1, true);
  REQUIRE(none != NULL && t != NULL);
  ports_of(&ports, "22");
  CHECK(scan_space_init(&space, none, &ports, &err) == VIGIE_EEMPTY);
  CHECK(strstr(err.msg, "no address") != NULL && strstr(err.msg, "port") == NULL);
  ports_of(&ports, NULL);
  CHECK(scan_space_init(&space, t, &ports, &err) == VIGIE_EEMPTY);
  CHECK(strstr(err.msg, "no port") != NULL && strstr(err.msg, "address") == NULL);
  CHECK(scan_space_init(&space, none, &ports, &err) == VIGIE_EEMPTY);
  CHECK(strstr(err.msg, "no address") != NULL && strstr(err.msg, "no port") != NULL);
  vigie_targets_free(none);

  /* Everything excluded is empty too. */
  vigie_targets *gone = vigie_targets_new();
  REQUIRE(gone != NULL);
  vigie_targets_add(gone, "127.0.0.0/30", NULL);
  vigie_targets_exclude(gone, "127.0.0.0/29", NULL);
  REQUIRE(vigie_targets_finalize(gone, NULL) == VIGIE_OK);
  ports_of(&ports, "22");
  CHECK(scan_space_init(&space, gone, &ports, &err) == VIGIE_EEMPTY);
  CHECK(scan_space_init(&space, NULL, &ports, &err) == VIGIE_EINVAL);
  scan_space_free(NULL);
  vigie_targets_free(gone);
  vigie_targets_free(t);
}

TEST_MAIN(TEST_CASE_ENTRY(perm_is_a_bijection), TEST_CASE_ENTRY(perm_domain_is_tight),
          TEST_CASE_ENTRY(perm_large_ranges), TEST_CASE_ENTRY(perm_out_of_range_position),
          TEST_CASE_ENTRY(perm_seed_changes_order), TEST_CASE_ENTRY(perm_small_ranges_vary),
          TEST_CASE_ENTRY(shards_partition_positions), TEST_CASE_ENTRY(walk_resume_loses_nothing),
          TEST_CASE_ENTRY(walk_resume_at_any_point), TEST_CASE_ENTRY(walk_edges),
          TEST_CASE_ENTRY(space_decodes_every_pair), TEST_CASE_ENTRY(space_through_permutation),
          TEST_CASE_ENTRY(space_many_ranges), TEST_CASE_ENTRY(space_too_big),
          TEST_CASE_ENTRY(space_empty))
