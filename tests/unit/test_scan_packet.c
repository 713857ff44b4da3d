/* Unit tests of scanner/scan_packet.c: SYN crafting (checksums recomputed
 * here, independently) and the frame parser, for every link type, with
 * truncation at every length and malformed headers. Run under ASan: each
 * truncated frame lives in a buffer of exactly its length, so a read past
 * the captured bytes is caught. */
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "harness.h"
#include "scanner/scan_int.h"

/* --------------------------------------------------------------- helpers */

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void set16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static void set32(uint8_t *p, uint32_t v) {
  set16(p, (uint16_t)(v >> 16));
  set16(p + 2, (uint16_t)v);
}

/* One's complement sum over 16-bit words, written the long way on purpose
 * (a second implementation, not the library's). */
static uint32_t ones_sum(const uint8_t *p, size_t len) {
  uint64_t sum = 0;
  for (size_t i = 0; i < len; i++) sum += (i % 2 == 0) ? (uint64_t)p[i] * 256 : p[i];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return (uint32_t)sum;
}

/* A correct checksum makes the sum over header plus pseudo-header 0xffff. */
static uint32_t tcp_sum4(const uint8_t *ip, size_t tcp_len) {
  uint8_t pseudo[12 + 60];
  memcpy(pseudo, ip + 12, 8);
  pseudo[8] = 0;
  pseudo[9] = 6;
  set16(pseudo + 10, (uint16_t)tcp_len);
  memcpy(pseudo + 12, ip + 20, tcp_len);
  return ones_sum(pseudo, 12 + tcp_len);
}

static uint32_t tcp_sum6(const uint8_t *ip, size_t tcp_len) {
  uint8_t pseudo[40 + 60];
  memcpy(pseudo, ip + 8, 32);
  set32(pseudo + 32, (uint32_t)tcp_len);
  pseudo[36] = pseudo[37] = pseudo[38] = 0;
  pseudo[39] = 6;
  memcpy(pseudo + 40, ip + 40, tcp_len);
  return ones_sum(pseudo, 40 + tcp_len);
}

static vigie_addr v4(uint32_t a) {
  vigie_addr x;
  memset(&x, 0, sizeof x);
  x.family = AF_INET;
  x.v4 = a;
  return x;
}

static vigie_addr v6(uint64_t hi, uint64_t lo) {
  vigie_addr x;
  memset(&x, 0, sizeof x);
  x.family = AF_INET6;
  x.v6 = (vigie_u128)hi << 64 | lo;
  return x;
}

#define A4_US 0xc6120001u   /* 198.18.0.1 */
#define A4_THEM 0xc612000au /* 198.18.0.10 */
#define A6_HI 0x2001000200000000ull

/* An answer's TCP header: fixed part plus optional options. */
static size_t put_tcp(uint8_t *t, uint8_t flags, const uint8_t *opts, size_t optlen) {
  memset(t, 0, 20);
  set16(t, 443);
  set16(t + 2, 41234);
  set32(t + 4, 0x11223344u);
  set32(t + 8, 0xaabbccddu);
  t[12] = (uint8_t)(((20 + optlen) / 4) << 4);
  t[13] = flags;
  set16(t + 14, 64240);
  if (optlen) memcpy(t + 20, opts, optlen);
  return 20 + optlen;
}

static const uint8_t syn_ack_opts[20] = {2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0,
                                         0, 1, 0, 0,    0, 0, 1, 3,  3, 7};

/* An IPv4 packet from them to us. */
static size_t ip4_answer(uint8_t *b, uint8_t flags, const uint8_t *opts, size_t optlen) {
  size_t tl = put_tcp(b + 20, flags, opts, optlen);
  memset(b, 0, 20);
  b[0] = 0x45;
  set16(b + 2, (uint16_t)(20 + tl));
  set16(b + 6, 0x4000); /* DF */
  b[8] = 61;
  b[9] = 6;
  set32(b + 12, A4_THEM);
  set32(b + 16, A4_US);
  return 20 + tl;
}

static size_t ip6_answer(uint8_t *b, uint8_t flags, const uint8_t *opts, size_t optlen) {
  size_t tl = put_tcp(b + 40, flags, opts, optlen);
  memset(b, 0, 40);
  b[0] = 0x60;
  set16(b + 4, (uint16_t)tl);
  b[6] = 6;
  b[7] = 57;
  set32(b + 8, 0x20010002u);
  b[23] = 0x10; /* 2001:2::10 */
  set32(b + 24, 0x20010002u);
  b[39] = 0x01; /* 2001:2::1 */
  return 40 + tl;
}

/* Put the link-layer header of linktype before an IP packet of family. */
static size_t wrap(int linktype, int family, const uint8_t *ip, size_t len, uint8_t *out) {
  uint16_t type = family == AF_INET6 ? 0x86dd : 0x0800;
  size_t h = 0;
  switch (linktype) {
    case DLT_EN10MB:
      memset(out, 0xab, 12);
      set16(out + 12, type);
      h = 14;
      break;
    case -DLT_EN10MB: /* Ethernet with an 802.1Q tag */
      memset(out, 0xab, 12);
      set16(out + 12, 0x8100);
      set16(out + 14, 42);
      set16(out + 16, type);
      h = 18;
      break;
    case DLT_LINUX_SLL:
      memset(out, 0, 16);
      set16(out + 2, 1);
      set16(out + 14, type);
      h = 16;
      break;
    case DLT_LINUX_SLL2:
      memset(out, 0, 20);
      set16(out, type);
      h = 20;
      break;
    case DLT_NULL:
      memset(out, 0, 4);
      out[0] = family == AF_INET6 ? 10 : 2;
      h = 4;
      break;
    default: h = 0; break; /* DLT_RAW, DLT_IPV4, DLT_IPV6 */
  }
  memcpy(out + h, ip, len);
  return h + len;
}

static scan_parse_status parse_exact(const uint8_t *frame, size_t len, int linktype,
                                     scan_answer *a) {
  /* A buffer of exactly len bytes (at least one, so malloc never returns
   * NULL for 0) so that ASan flags any read past the end. */
  uint8_t *copy = malloc(len ? len : 1);
  scan_parse_status st;
  if (copy == NULL) abort();
  memcpy(copy, frame, len);
  st = scan_packet_parse(copy, len, linktype, a);
  free(copy);
  return st;
}

/* ---------------------------------------------------------------- crafting */

TEST(syn_ipv4_crafted) {
  scan_syn_probe p = {v4(A4_US), v4(A4_THEM), 40123, 443, 0xdeadbeefu, 0x1234};
  uint8_t b[SCAN_SYN_MAX_LEN];
  REQUIRE(scan_packet_syn(b, sizeof b, &p) == 44);
  CHECK(b[0] == 0x45);
  CHECK(get16(b + 2) == 44);
  CHECK(get16(b + 4) == 0x1234);
  CHECK(b[8] == 64);
  CHECK(b[9] == 6);
  CHECK(get32(b + 12) == A4_US);
  CHECK(get32(b + 16) == A4_THEM);
  CHECKF(ones_sum(b, 20) == 0xffff, "IPv4 header sum %#x", ones_sum(b, 20));
  CHECK(get16(b + 20) == 40123);
  CHECK(get16(b + 22) == 443);
  CHECK(get32(b + 24) == 0xdeadbeefu);
  CHECK(get32(b + 28) == 0);
  CHECK(b[32] >> 4 == 6);
  CHECK(b[33] == SCAN_TCP_SYN);
  CHECK(get16(b + 34) == SCAN_SYN_WINDOW);
  CHECK(b[40] == 2 && b[41] == 4 && get16(b + 42) == SCAN_SYN_MSS);
  CHECKF(tcp_sum4(b, 24) == 0xffff, "TCP sum %#x", tcp_sum4(b, 24));
}

TEST(syn_ipv6_crafted) {
  scan_syn_probe p = {v6(A6_HI, 1), v6(A6_HI, 0x10), 56383, 22, 0x01020304u, 0};
  uint8_t b[SCAN_SYN_MAX_LEN];
  REQUIRE(scan_packet_syn(b, sizeof b, &p) == 64);
  CHECK(b[0] >> 4 == 6);
  CHECK(get16(b + 4) == 24);
  CHECK(b[6] == 6);
  CHECK(b[7] == 64);
  CHECK(get32(b + 8) == 0x20010002u && b[23] == 1);
  CHECK(get32(b + 24) == 0x20010002u && b[39] == 0x10);
  CHECK(get16(b + 40) == 56383);
  CHECK(get16(b + 42) == 22);
  CHECK(get32(b + 44) == 0x01020304u);
  CHECK(b[53] == SCAN_TCP_SYN);
  CHECKF(tcp_sum6(b, 24) == 0xffff, "TCP sum %#x", tcp_sum6(b, 24));
}

/* The Ethernet frame: MACs, EtherType, then the very packet of
 * scan_packet_syn; and it parses back as a DLT_EN10MB capture. */
TEST(syn_eth_frame) {
  static const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x02}, src[6] = {0x02, 0, 0, 0, 0, 0x01};
  scan_syn_probe p4 = {v4(A4_US), v4(A4_THEM), 40123, 443, 0xdeadbeefu, 0x1234};
  scan_syn_probe p6 = {v6(A6_HI, 1), v6(A6_HI, 0x10), 56383, 22, 0x01020304u, 0};
  uint8_t f[SCAN_SYN_MAX_FRAME], b[SCAN_SYN_MAX_LEN];
  scan_answer a;
  REQUIRE(scan_packet_syn_eth(f, sizeof f, dst, src, &p4) == 58);
  CHECK(memcmp(f, dst, 6) == 0 && memcmp(f + 6, src, 6) == 0);
  CHECK(get16(f + 12) == 0x0800);
  REQUIRE(scan_packet_syn(b, sizeof b, &p4) == 44);
  CHECK(memcmp(f + 14, b, 44) == 0);
  REQUIRE(scan_packet_parse(f, 58, DLT_EN10MB, &a) == SCAN_PARSE_OK);
  CHECK(a.sport == 40123 && a.dport == 443 && a.seq == 0xdeadbeefu && a.mss == SCAN_SYN_MSS);
  REQUIRE(scan_packet_syn_eth(f, sizeof f, dst, src, &p6) == 78);
  CHECK(get16(f + 12) == 0x86dd);
  REQUIRE(scan_packet_syn(b, sizeof b, &p6) == 64);
  CHECK(memcmp(f + 14, b, 64) == 0);
  CHECK(scan_packet_syn_eth(f, 57, dst, src, &p4) == 0);
  CHECK(scan_packet_syn_eth(f, 10, dst, src, &p4) == 0);
}

/* Checksums hold across many tuples, odd sums and carries included. */
TEST(syn_checksums_many) {
  uint8_t b[SCAN_SYN_MAX_LEN];
  uint32_t x = 12345;
  for (int i = 0; i < 2000; i++) {
    x = x * 1103515245u + 12345u;
    scan_syn_probe p4 = {v4(x), v4(~x), (uint16_t)x, (uint16_t)(x >> 7), x * 7u, (uint16_t)i};
    scan_syn_probe p6 = {v6(~(uint64_t)x << 20, x),
                         v6(x, (uint64_t)x << 33),
                         (uint16_t)(x >> 3),
                         (uint16_t)(x >> 16),
                         ~x,
                         0};
    REQUIRE(scan_packet_syn(b, sizeof b, &p4) == 44);
    CHECK(ones_sum(b, 20) == 0xffff);
    CHECK(tcp_sum4(b, 24) == 0xffff);
    REQUIRE(scan_packet_syn(b, sizeof b, &p6) == 64);
    CHECK(tcp_sum6(b, 24) == 0xffff);
  }
}

TEST(syn_refuses_bad_arguments) {
  uint8_t b[SCAN_SYN_MAX_LEN];
  scan_syn_probe mixed = {v4(A4_US), v6(A6_HI, 0x10), 40000, 80, 1, 1};
  scan_syn_probe p4 = {v4(A4_US), v4(A4_THEM), 40000, 80, 1, 1};
  scan_syn_probe p6 = {v6(A6_HI, 1), v6(A6_HI, 0x10), 40000, 80, 1, 1};
  CHECK(scan_packet_syn(b, sizeof b, &mixed) == 0);
  CHECK(scan_packet_syn(b, 43, &p4) == 0);
  CHECK(scan_packet_syn(b, 63, &p6) == 0);
  p4.src.family = p4.dst.family = AF_UNIX;
  CHECK(scan_packet_syn(b, sizeof b, &p4) == 0);
}

/* A crafted SYN parses back into what was asked (DLT_RAW: the IP packet). */
TEST(syn_round_trip) {
  scan_syn_probe p = {v6(A6_HI, 1), v6(A6_HI, 0x10), 41000, 8443, 0xcafef00du, 0};
  uint8_t b[SCAN_SYN_MAX_LEN];
  scan_answer a;
  size_t n = scan_packet_syn(b, sizeof b, &p);
  REQUIRE(scan_packet_parse(b, n, DLT_RAW, &a) == SCAN_PARSE_OK);
  CHECK(a.src.family == AF_INET6 && a.src.v6 == p.src.v6 && a.dst.v6 == p.dst.v6);
  CHECK(a.sport == 41000 && a.dport == 8443 && a.seq == 0xcafef00du);
  CHECK(a.flags == SCAN_TCP_SYN && a.ttl == 64 && a.mss == SCAN_SYN_MSS);
}

/* ----------------------------------------------------------------- parsing */

static const int link_types[] = {DLT_EN10MB,     -DLT_EN10MB, DLT_LINUX_SLL,
                                 DLT_LINUX_SLL2, DLT_RAW,     DLT_NULL};

/* -DLT_EN10MB stands for Ethernet with a VLAN tag (see wrap). */
static int real_linktype(int lt) { return lt == -DLT_EN10MB ? DLT_EN10MB : lt; }

static void check_answer(test_ctx *ctx, const scan_answer *a, int family, uint8_t flags) {
  CHECK(a->src.family == family && a->dst.family == family);
  if (family == AF_INET) {
    CHECK(a->src.v4 == A4_THEM && a->dst.v4 == A4_US);
    CHECK(a->ttl == 61);
  } else {
    CHECK(a->src.v6 == ((vigie_u128)A6_HI << 64 | 0x10));
    CHECK(a->dst.v6 == ((vigie_u128)A6_HI << 64 | 0x1));
    CHECK(a->ttl == 57);
  }
  CHECK(a->sport == 443 && a->dport == 41234);
  CHECK(a->seq == 0x11223344u && a->ack == 0xaabbccddu);
  CHECK(a->flags == flags);
  CHECK(a->window == 64240);
}

/* Every link type, both families, SYN-ACK (with options) and RST; then the
 * same frame cut at every shorter length must be refused. */
static void parse_all(test_ctx *ctx, int family, uint8_t flags, const uint8_t *opts,
                      size_t optlen) {
  uint8_t ip[128], frame[160];
  scan_answer a;
  size_t iplen =
      family == AF_INET ? ip4_answer(ip, flags, opts, optlen) : ip6_answer(ip, flags, opts, optlen);
  for (size_t i = 0; i < sizeof link_types / sizeof link_types[0]; i++) {
    int lt = real_linktype(link_types[i]);
    size_t n = wrap(link_types[i], family, ip, iplen, frame);
    memset(&a, 0, sizeof a);
    CHECKF(parse_exact(frame, n, lt, &a) == SCAN_PARSE_OK, "link %d family %d", link_types[i],
           family);
    check_answer(ctx, &a, family, flags);
    CHECK(a.mss == (optlen ? 1460 : 0));
    for (size_t cut = 0; cut < n; cut++) {
      CHECKF(parse_exact(frame, cut, lt, &a) != SCAN_PARSE_OK, "link %d family %d len %zu",
             link_types[i], family, cut);
    }
  }
}

TEST(parse_syn_ack_and_rst_every_link_type) {
  parse_all(ctx, AF_INET, SCAN_TCP_SYN | SCAN_TCP_ACK, syn_ack_opts, sizeof syn_ack_opts);
  parse_all(ctx, AF_INET6, SCAN_TCP_SYN | SCAN_TCP_ACK, syn_ack_opts, sizeof syn_ack_opts);
  parse_all(ctx, AF_INET, SCAN_TCP_RST | SCAN_TCP_ACK, NULL, 0);
  parse_all(ctx, AF_INET6, SCAN_TCP_RST | SCAN_TCP_ACK, NULL, 0);
}

TEST(parse_ipv4_and_ipv6_link_types) {
  uint8_t ip[128];
  scan_answer a;
  size_t n = ip4_answer(ip, SCAN_TCP_RST, NULL, 0);
  CHECK(parse_exact(ip, n, DLT_IPV4, &a) == SCAN_PARSE_OK);
  CHECK(parse_exact(ip, n, DLT_IPV6, &a) == SCAN_PARSE_MALFORMED);
  n = ip6_answer(ip, SCAN_TCP_RST, NULL, 0);
  CHECK(parse_exact(ip, n, DLT_IPV6, &a) == SCAN_PARSE_OK);
  CHECK(parse_exact(ip, n, DLT_IPV4, &a) == SCAN_PARSE_MALFORMED);
  CHECK(parse_exact(ip, n, 9999, &a) == SCAN_PARSE_IGNORED);
  CHECK(scan_packet_parse(NULL, 0, DLT_RAW, &a) != SCAN_PARSE_OK);
}

/* Ethernet pads a 54-byte RST to 60: the padding is not TCP. */
TEST(parse_ethernet_padding) {
  uint8_t ip[128], frame[160];
  scan_answer a;
  size_t n =
      wrap(DLT_EN10MB, AF_INET, ip, ip4_answer(ip, SCAN_TCP_RST | SCAN_TCP_ACK, NULL, 0), frame);
  memset(frame + n, 0xff, 6);
  REQUIRE(parse_exact(frame, n + 6, DLT_EN10MB, &a) == SCAN_PARSE_OK);
  check_answer(ctx, &a, AF_INET, SCAN_TCP_RST | SCAN_TCP_ACK);
}

static scan_parse_status parse_with_opts(const uint8_t *opts, size_t optlen) {
  uint8_t ip[128];
  scan_answer a;
  size_t n = ip4_answer(ip, SCAN_TCP_SYN | SCAN_TCP_ACK, opts, optlen);
  return parse_exact(ip, n, DLT_RAW, &a);
}

TEST(parse_tcp_options_bad_lengths) {
  static const uint8_t len0[4] = {8, 0, 1, 1};      /* length 0 */
  static const uint8_t len1[4] = {8, 1, 1, 1};      /* length 1 */
  static const uint8_t past[4] = {1, 1, 8, 10};     /* runs past the header */
  static const uint8_t mss3[4] = {2, 3, 5, 1};      /* MSS must be 4 long */
  static const uint8_t kind_last[4] = {1, 1, 1, 8}; /* no room for the length */
  static const uint8_t ok_eol[4] = {0, 99, 99, 99}; /* after EOL: ignored */
  static const uint8_t ok_nops[4] = {1, 1, 1, 1};
  CHECK(parse_with_opts(len0, 4) == SCAN_PARSE_MALFORMED);
  CHECK(parse_with_opts(len1, 4) == SCAN_PARSE_MALFORMED);
  CHECK(parse_with_opts(past, 4) == SCAN_PARSE_MALFORMED);
  CHECK(parse_with_opts(mss3, 4) == SCAN_PARSE_MALFORMED);
  CHECK(parse_with_opts(kind_last, 4) == SCAN_PARSE_MALFORMED);
  CHECK(parse_with_opts(ok_eol, 4) == SCAN_PARSE_OK);
  CHECK(parse_with_opts(ok_nops, 4) == SCAN_PARSE_OK);
}

TEST(parse_tcp_data_offset) {
  uint8_t ip[128];
  scan_answer a;
  size_t n = ip4_answer(ip, SCAN_TCP_RST, NULL, 0);
  ip[32] = 4 << 4; /* shorter than the fixed header */
  CHECK(parse_exact(ip, n, DLT_RAW, &a) == SCAN_PARSE_MALFORMED);
  ip[32] = 15 << 4; /* 60 bytes: past the packet */
  CHECK(parse_exact(ip, n, DLT_RAW, &a) != SCAN_PARSE_OK);
}

TEST(parse_wrong_ip_version) {
  uint8_t ip[128], frame[160];
  scan_answer a;
  size_t n = ip4_answer(ip, SCAN_TCP_RST, NULL, 0);
  ip[0] = 0x65; /* says 6 under an IPv4 EtherType */
  size_t fn = wrap(DLT_EN10MB, AF_INET, ip, n, frame);
  CHECK(parse_exact(frame, fn, DLT_EN10MB, &a) == SCAN_PARSE_MALFORMED);
  ip[0] = 0x55;
  CHECK(parse_exact(ip, n, DLT_RAW, &a) == SCAN_PARSE_MALFORMED);
  n = ip6_answer(ip, SCAN_TCP_RST, NULL, 0);
  ip[0] = 0x40;
  fn = wrap(DLT_LINUX_SLL, AF_INET6, ip, n, frame);
  CHECK(parse_exact(frame, fn, DLT_LINUX_SLL, &a) == SCAN_PARSE_MALFORMED);
}

TEST(parse_ipv4_bad_header_lengths) {
  uint8_t ip[128];
  scan_answer a;
  size_t n = ip4_answer(ip, SCAN_TCP_RST, NULL, 0);
  for (uint8_t ihl = 0; ihl < 5; ihl++) {
    ip[0] = (uint8_t)(0x40 | ihl);
    CHECKF(parse_exact(ip, n, DLT_RAW, &a) == SCAN_PARSE_MALFORMED, "IHL %u", ihl);
  }
  ip[0] = 0x4f; /* 60-byte header: past the packet */
  CHECK(parse_exact(ip, n, DLT_RAW, &a) != SCAN_PARSE_OK);
  ip[0] = 0x45;
  set16(ip + 2, 19); /* total length under the header */
  CHECK(parse_exact(ip, n, DLT_RAW, &a) == SCAN_PARSE_MALFORMED);
  set16(ip + 2, 30); /* cuts the TCP header */
  CHECK(parse_exact(ip, n, DLT_RAW, &a) == SCAN_PARSE_TRUNCATED);
}

/* IPv4 options are skipped: IHL 6 with one NOP word. */
TEST(parse_ipv4_with_options) {
  uint8_t ip[128], opt[128];
  scan_answer a;
  size_t n = ip4_answer(ip, SCAN_TCP_RST | SCAN_TCP_ACK, NULL, 0);
  memcpy(opt, ip, 20);
  memset(opt + 20, 1, 4);
  memcpy(opt + 24, ip + 20, n - 20);
  opt[0] = 0x46;
  set16(opt + 2, (uint16_t)(n + 4));
  REQUIRE(parse_exact(opt, n + 4, DLT_RAW, &a) == SCAN_PARSE_OK);
  check_answer(ctx, &a, AF_INET, SCAN_TCP_RST | SCAN_TCP_ACK);
}

TEST(parse_fragments_ignored) {
  uint8_t ip[128];
  scan_answer a;
  size_t n = ip4_answer(ip, SCAN_TCP_RST, NULL, 0);
  set16(ip + 6, 0x2000); /* more fragments */
  CHECK(parse_exact(ip, n, DLT_RAW, &a) == SCAN_PARSE_IGNORED);
  set16(ip + 6, 0x0010); /* offset 128 */
  CHECK(parse_exact(ip, n, DLT_RAW, &a) == SCAN_PARSE_IGNORED);
  set16(ip + 6, 0x4000); /* DF alone is fine */
  CHECK(parse_exact(ip, n, DLT_RAW, &a) == SCAN_PARSE_OK);
  /* IPv6: a fragment header before TCP. */
  uint8_t frag[128];
  n = ip6_answer(ip, SCAN_TCP_RST, NULL, 0);
  memcpy(frag, ip, 40);
  frag[6] = 44;
  memset(frag + 40, 0, 8);
  frag[40] = 6;
  memcpy(frag + 48, ip + 40, n - 40);
  set16(frag + 4, (uint16_t)(n - 40 + 8));
  CHECK(parse_exact(frag, n + 8, DLT_RAW, &a) == SCAN_PARSE_IGNORED);
}

/* A hop-by-hop header is skipped; a chain that runs out is truncated. */
TEST(parse_ipv6_extension_headers) {
  uint8_t ip[128], ext[160];
  scan_answer a;
  size_t n = ip6_answer(ip, SCAN_TCP_SYN | SCAN_TCP_ACK, syn_ack_opts, sizeof syn_ack_opts);
  memcpy(ext, ip, 40);
  ext[6] = 0; /* hop-by-hop */
  memset(ext + 40, 0, 16);
  ext[40] = 6;
  ext[41] = 1; /* 16 bytes */
  ext[42] = 1; /* PadN */
  ext[43] = 12;
  memcpy(ext + 56, ip + 40, n - 40);
  set16(ext + 4, (uint16_t)(n - 40 + 16));
  REQUIRE(parse_exact(ext, n + 16, DLT_RAW, &a) == SCAN_PARSE_OK);
  check_answer(ctx, &a, AF_INET6, SCAN_TCP_SYN | SCAN_TCP_ACK);
  for (size_t cut = 0; cut < n + 16; cut++)
    CHECK(parse_exact(ext, cut, DLT_RAW, &a) != SCAN_PARSE_OK);
  ext[41] = 200; /* longer than the packet */
  CHECK(parse_exact(ext, n + 16, DLT_RAW, &a) == SCAN_PARSE_TRUNCATED);
  set16(ext + 4, 0); /* jumbogram */
  CHECK(parse_exact(ext, n + 16, DLT_RAW, &a) == SCAN_PARSE_IGNORED);
}

TEST(parse_other_protocols_ignored) {
  uint8_t ip[128], frame[160];
  scan_answer a;
  size_t n = ip4_answer(ip, SCAN_TCP_RST, NULL, 0);
  ip[9] = 17; /* UDP */
  CHECK(parse_exact(ip, n, DLT_RAW, &a) == SCAN_PARSE_IGNORED);
  n = ip6_answer(ip, SCAN_TCP_RST, NULL, 0);
  ip[6] = 58; /* ICMPv6 */
  CHECK(parse_exact(ip, n, DLT_RAW, &a) == SCAN_PARSE_IGNORED);
  n = wrap(DLT_EN10MB, AF_INET, ip, n, frame);
  set16(frame + 12, 0x0806); /* ARP */
  CHECK(parse_exact(frame, n, DLT_EN10MB, &a) == SCAN_PARSE_IGNORED);
}

/* The out struct is written only on success. */
TEST(parse_leaves_output_on_failure) {
  uint8_t ip[128];
  scan_answer a;
  size_t n = ip4_answer(ip, SCAN_TCP_RST, NULL, 0);
  memset(&a, 0x5a, sizeof a);
  CHECK(parse_exact(ip, n - 1, DLT_RAW, &a) == SCAN_PARSE_TRUNCATED);
  CHECK(a.sport == 0x5a5a && a.flags == 0x5a);
}

TEST_MAIN(TEST_CASE_ENTRY(syn_ipv4_crafted), TEST_CASE_ENTRY(syn_ipv6_crafted),
          TEST_CASE_ENTRY(syn_eth_frame), TEST_CASE_ENTRY(syn_checksums_many),
          TEST_CASE_ENTRY(syn_refuses_bad_arguments),
          TEST_CASE_ENTRY(syn_round_trip), TEST_CASE_ENTRY(parse_syn_ack_and_rst_every_link_type),
          TEST_CASE_ENTRY(parse_ipv4_and_ipv6_link_types), TEST_CASE_ENTRY(parse_ethernet_padding),
          TEST_CASE_ENTRY(parse_tcp_options_bad_lengths), TEST_CASE_ENTRY(parse_tcp_data_offset),
          TEST_CASE_ENTRY(parse_wrong_ip_version), TEST_CASE_ENTRY(parse_ipv4_bad_header_lengths),
          TEST_CASE_ENTRY(parse_ipv4_with_options), TEST_CASE_ENTRY(parse_fragments_ignored),
          TEST_CASE_ENTRY(parse_ipv6_extension_headers),
          TEST_CASE_ENTRY(parse_other_protocols_ignored),
          TEST_CASE_ENTRY(parse_leaves_output_on_failure))
