/* Unit tests of scanner/scan_siphash.c: SipHash-2-4 against the reference
 * vectors, scan keys, and SYN cookies: a genuine answer passes, forged or
 * stale ones do not, source ports stay in their range, and sequence
 * numbers look uniform.
 *
 * Addresses are numbers in 127.0.0.0/8, 198.18.0.0/15 and 2001:2::/48;
 * nothing here sends a packet.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "harness.h"
#include "vigie/scanner.h"

/* SipHash-2-4 with key 00 01 .. 0f over the messages 00, 00 01, ...: the
 * vectors_sip64 table of the reference implementation (and, for 15 bytes,
 * the example of the paper's appendix A). */
static const uint64_t sip_vectors[] = {
    0x726fdb47dd0e0e31u, 0x74f839c593dc67fdu, 0x0d6c8009d9a94f5au, 0x85676696d7fb7e2du,
    0xcf2794e0277187b7u, 0x18765564cd99a68du, 0xcbc9466e58fee3ceu, 0xab0200f58b01d137u,
    0x93f5f5799a932462u, 0x9e0082df0ba9e4b0u, 0x7a5dbbc594ddb9f3u, 0xf4b32f46226bada7u,
    0x751e8fbc860ee5fbu, 0x14ea5627c0843d90u, 0xf723ca908e7af2eeu, 0xa129ca6149be45e5u,
    0x3f2acc7f57c29bdbu,
};

static scan_key reference_key(void) {
  uint8_t bytes[16];
  for (int i = 0; i < 16; i++) bytes[i] = (uint8_t)i;
  scan_key key = {0, 0};
  for (int i = 7; i >= 0; i--) { /* little-endian, as the reference reads it */
    key.k0 = (key.k0 << 8) | bytes[i];
    key.k1 = (key.k1 << 8) | bytes[8 + i];
  }
  return key;
}

TEST(siphash_reference_vectors) {
  scan_key key = reference_key();
  uint8_t msg[64];
  for (int i = 0; i < 64; i++) msg[i] = (uint8_t)i;
  for (size_t len = 0; len < sizeof sip_vectors / sizeof sip_vectors[0]; len++) {
    uint64_t h = scan_siphash24(&key, msg, len);
    CHECKF(h == sip_vectors[len], "length %zu: %016llx", len, (unsigned long long)h);
  }
  CHECK(scan_siphash24(&key, msg, 63) == 0x958a324ceb064572u); /* the table's last entry */
  /* Unaligned input hashes the same. */
  uint8_t shifted[65];
  memcpy(shifted + 1, msg, 63);
  CHECK(scan_siphash24(&key, shifted + 1, 63) == 0x958a324ceb064572u);
}

TEST(key_from_seed) {
  scan_key a, b, c;
  scan_key_from_seed(&a, 12345);
  scan_key_from_seed(&b, 12345);
  scan_key_from_seed(&c, 12346);
  CHECK(a.k0 == b.k0 && a.k1 == b.k1);
  CHECK(a.k0 != c.k0 && a.k1 != c.k1 && a.k0 != a.k1);
  scan_key_from_seed(&a, 0);
  CHECK(a.k0 != 0 && a.k1 != 0);
}

static vigie_addr v4(uint32_t x) {
  vigie_addr a;
  memset(&a, 0, sizeof a);
  a.family = AF_INET;
  a.v4 = x;
  return a;
}

static vigie_addr v6(uint64_t low) {
  vigie_addr a;
  memset(&a, 0, sizeof a);
  a.family = AF_INET6;
  a.v6 = ((vigie_u128)0x2001000200000000u << 64) | low;
  return a;
}

/* xorshift64*: a test's own reproducible random numbers. */
static uint64_t rnd(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 0x2545f4914f6cdd1du;
}

enum { BASE = 40000, SPAN = 1000 };

/* A probe's answer, as the receiver sees it. */
typedef struct answer {
  vigie_addr src, dst;
  uint16_t dport, sport;
  uint32_t ack;
} answer;

static bool accepted(const scan_key *k, const answer *a) {
  return scan_cookie_check(k, &a->src, &a->dst, a->dport, a->sport, a->ack, BASE, SPAN);
}

/* The genuine answer to a probe from src to dst:dport. */
static answer genuine(const scan_key *k, vigie_addr src, vigie_addr dst, uint16_t dport) {
  scan_cookie c = scan_cookie_make(k, &src, &dst, dport, BASE, SPAN);
  answer a = {src, dst, dport, c.source_port, c.sequence + 1u};
  return a;
}

static void check_forgeries(test_ctx *ctx, const scan_key *k, vigie_addr src, vigie_addr dst,
                            vigie_addr other, uint16_t dport) {
  answer a = genuine(k, src, dst, dport), f;
  CHECK(accepted(k, &a));
  f = a, f.ack = a.ack - 1; /* the bare sequence, not sequence + 1 */
  CHECK(!accepted(k, &f));
  f = a, f.ack = a.ack + 1;
  CHECK(!accepted(k, &f));
  f = a, f.ack = a.ack ^ 0x80000000u;
  CHECK(!accepted(k, &f));
  f = a, f.sport = (uint16_t)(a.sport + 1);
  CHECK(!accepted(k, &f));
  f = a, f.dport = (uint16_t)(dport + 1);
  CHECK(!accepted(k, &f));
  f = a, f.dst = other; /* someone else answering for the probe */
  CHECK(!accepted(k, &f));
  f = a, f.src = other; /* a probe we never sent from there */
  CHECK(!accepted(k, &f));
}

TEST(cookie_round_trip_and_forgeries) {
  scan_key key;
  uint64_t s = 0x1234;
  scan_key_from_seed(&key, 77);
  for (int i = 0; i < 2000; i++) {
    uint16_t dport = (uint16_t)(1 + rnd(&s) % 65535);
    vigie_addr src4 = v4(0x7f000001u), dst4 = v4(0xc6120000u | (uint32_t)(rnd(&s) & 0x1ffff));
    vigie_addr other4 = v4(dst4.v4 ^ 1);
    check_forgeries(ctx, &key, src4, dst4, other4, dport);
    vigie_addr src6 = v6(1), dst6 = v6(rnd(&s)), other6 = dst6;
    other6.v6 ^= (vigie_u128)1 << 100;
    check_forgeries(ctx, &key, src6, dst6, other6, dport);
    if (ctx->failures) return;
  }
}

TEST(cookie_families_do_not_mix) {
  scan_key key;
  scan_key_from_seed(&key, 5);
  vigie_addr src4 = v4(0x7f000001u), dst4 = v4(0xc6120005u);
  vigie_addr src6 = v6(0x7f000001u), dst6 = v6(0xc6120005u);
  answer a = genuine(&key, src4, dst4, 443);
  CHECK(!scan_cookie_check(&key, &src6, &dst6, 443, a.sport, a.ack, BASE, SPAN));
  CHECK(!scan_cookie_check(&key, &src4, &dst6, 443, a.sport, a.ack, BASE, SPAN));
  scan_cookie c4 = scan_cookie_make(&key, &src4, &dst4, 443, BASE, SPAN);
  scan_cookie c6 = scan_cookie_make(&key, &src6, &dst6, 443, BASE, SPAN);
  CHECK(c4.sequence != c6.sequence);
}

TEST(cookie_stale_key_rejected) {
  /* Answers to a scan run under another seed (an earlier scan, another
   * machine's shard with its own seed) must not pass. */
  scan_key now, before;
  uint64_t s = 99;
  int passed = 0;
  scan_key_from_seed(&now, 1);
  scan_key_from_seed(&before, 2);
  for (int i = 0; i < 20000; i++) {
    vigie_addr src = v4(0x7f000001u), dst = v4(0xc6120000u | (uint32_t)(rnd(&s) & 0x1ffff));
    answer a = genuine(&before, src, dst, (uint16_t)(1 + rnd(&s) % 65535));
    passed += accepted(&now, &a);
    CHECK(accepted(&before, &a));
  }
  CHECK(passed == 0);
}

TEST(cookie_source_port_range) {
  scan_key key;
  uint64_t s = 7;
  unsigned hits[SPAN] = {0};
  scan_key_from_seed(&key, 3);
  for (int i = 0; i < 100000; i++) {
    vigie_addr src = v4(0x7f000001u), dst = v4(0xc6120000u | (uint32_t)(rnd(&s) & 0x1ffff));
    uint16_t dport = (uint16_t)(1 + rnd(&s) % 65535);
    scan_cookie c = scan_cookie_make(&key, &src, &dst, dport, BASE, SPAN);
    REQUIRE(c.source_port >= BASE && c.source_port < BASE + SPAN);
    hits[c.source_port - BASE]++;
    c = scan_cookie_make(&key, &src, &dst, dport, 61000, 0); /* span 0 means one port */
    CHECK(c.source_port == 61000);
    c = scan_cookie_make(&key, &src, &dst, dport, 65000, 5000); /* cut at 65535 */
    CHECK(c.source_port >= 65000);
    CHECK(scan_cookie_check(&key, &src, &dst, dport, c.source_port, c.sequence + 1u, 65000, 5000));
  }
  unsigned lo = hits[0], hi = hits[0];
  for (int p = 1; p < SPAN; p++) {
    lo = hits[p] < lo ? hits[p] : lo;
    hi = hits[p] > hi ? hits[p] : hi;
  }
  /* 100 expected per port, standard deviation 10: 6 sigma either side. */
  CHECKF(lo >= 40 && hi <= 160, "ports used between %u and %u times", lo, hi);
}

static int cmp_u32(const void *pa, const void *pb) {
  uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
  return (a > b) - (a < b);
}

TEST(cookie_sequences_look_uniform) {
  /* 100,000 distinct probes (198.18.0.0/15 x a few ports). */
  enum { N = 100000 };
  static uint8_t low16[65536];
  uint32_t *seq = malloc(N * sizeof *seq);
  scan_key key;
  size_t distinct = 0, collisions = 0;
  REQUIRE(seq != NULL);
  memset(low16, 0, sizeof low16);
  scan_key_from_seed(&key, 2024);
  vigie_addr src = v4(0x7f000001u);
  for (uint32_t i = 0; i < N; i++) {
    vigie_addr dst = v4(0xc6120000u + i % 65536);
    scan_cookie c = scan_cookie_make(&key, &src, &dst, (uint16_t)(80 + i / 65536), BASE, SPAN);
    seq[i] = c.sequence;
    distinct += low16[c.sequence & 0xffff] == 0;
    low16[c.sequence & 0xffff] = 1;
  }
  /* Expected distinct low halves: 65536 (1 - e^(-N/65536)) = 51,290, with a
   * standard deviation near 100. */
  CHECKF(distinct > 50500 && distinct < 52100, "%zu distinct low 16 bits", distinct);
  qsort(seq, N, sizeof *seq, cmp_u32);
  for (size_t i = 1; i < N; i++) collisions += seq[i] == seq[i - 1];
  /* Expected full 32-bit collisions: N^2 / 2^33 = 1.2. */
  CHECKF(collisions <= 8, "%zu collisions of 32-bit sequence numbers", collisions);
  free(seq);
}

TEST_MAIN(TEST_CASE_ENTRY(siphash_reference_vectors), TEST_CASE_ENTRY(key_from_seed),
          TEST_CASE_ENTRY(cookie_round_trip_and_forgeries),
          TEST_CASE_ENTRY(cookie_families_do_not_mix), TEST_CASE_ENTRY(cookie_stale_key_rejected),
          TEST_CASE_ENTRY(cookie_source_port_range), TEST_CASE_ENTRY(cookie_sequences_look_uniform))
