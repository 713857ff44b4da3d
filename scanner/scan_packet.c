/* vigie scanner — TCP/IP packets: crafting SYN probes and parsing the
 * frames libpcap captures.
 *
 * The parser reads untrusted bytes off the wire, so it reads every one of
 * them through a bounded reader (pkt_rd) whose fetches fail instead of
 * running past the captured length, and it is a pure function so that a
 * fuzz target can drive it directly.
 */
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <string.h>
#include <sys/socket.h>

#include "scanner/scan_int.h"

/* ------------------------------------------------------------- crafting */

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static void put_addr6(uint8_t *p, vigie_u128 v) {
  for (int i = 0; i < 16; i++) p[i] = (uint8_t)(v >> (8 * (15 - i)));
}

/* The Internet checksum's running sum (RFC 1071) of big-endian 16-bit words;
 * an odd last byte is padded with a zero. */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len) {
  size_t i;
  for (i = 0; i + 1 < len; i += 2) sum += (uint32_t)p[i] << 8 | p[i + 1];
  if (i < len) sum += (uint32_t)p[i] << 8;
  return sum;
}

static uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffffu) + (sum >> 16);
  return (uint16_t)~sum;
}

/* TCP header of 24 bytes: 20 fixed, then the MSS option. Checksum left 0. */
static void put_tcp_syn(uint8_t *t, const scan_syn_probe *probe) {
  put16(t, probe->sport);
  put16(t + 2, probe->dport);
  put32(t + 4, probe->seq);
  put32(t + 8, 0);
  t[12] = 6 << 4; /* data offset: 6 words */
  t[13] = SCAN_TCP_SYN;
  put16(t + 14, SCAN_SYN_WINDOW);
  put16(t + 16, 0);
  put16(t + 18, 0);
  t[20] = 2; /* MSS: kind 2, length 4 */
  t[21] = 4;
  put16(t + 22, SCAN_SYN_MSS);
}

static size_t craft4(uint8_t *b, const scan_syn_probe *probe) {
  uint8_t *t = b + 20;
  uint32_t sum;
  b[0] = 0x45; /* version 4, 5 words */
  b[1] = 0;
  put16(b + 2, 44);
  put16(b + 4, probe->ip_id);
  put16(b + 6, 0); /* no DF: as most stacks' SYNs to unknown paths */
  b[8] = SCAN_SYN_TTL;
  b[9] = IPPROTO_TCP;
  put16(b + 10, 0);
  put32(b + 12, probe->src.v4);
  put32(b + 16, probe->dst.v4);
  put16(b + 10, fold(sum16(0, b, 20)));
  put_tcp_syn(t, probe);
  /* Pseudo-header: source, destination, zero, protocol, TCP length. */
  sum = sum16(0, b + 12, 8) + IPPROTO_TCP + 24;
  put16(t + 16, fold(sum16(sum, t, 24)));
  return 44;
}

static size_t craft6(uint8_t *b, const scan_syn_probe *probe) {
  uint8_t *t = b + 40;
  uint32_t sum;
  put32(b, 6u << 28); /* version 6, traffic class 0, flow label 0 */
  put16(b + 4, 24);
  b[6] = IPPROTO_TCP;
  b[7] = SCAN_SYN_TTL;
  put_addr6(b + 8, probe->src.v6);
  put_addr6(b + 24, probe->dst.v6);
  put_tcp_syn(t, probe);
  /* Pseudo-header (RFC 8200 8.1): addresses, 32-bit length, next header. */
  sum = sum16(0, b + 8, 32) + 24 + IPPROTO_TCP;
  put16(t + 16, fold(sum16(sum, t, 24)));
  return 64;
}

size_t scan_packet_syn(uint8_t *buf, size_t cap, const scan_syn_probe *probe) {
  if (probe->src.family != probe->dst.family) return 0;
  if (probe->src.family == AF_INET && cap >= 44) return craft4(buf, probe);
  if (probe->src.family == AF_INET6 && cap >= 64) return craft6(buf, probe);
  return 0;
}

size_t scan_packet_syn_eth(uint8_t *buf, size_t cap, const uint8_t dst_mac[6],
                           const uint8_t src_mac[6], const scan_syn_probe *probe) {
  size_t n;
  if (cap < SCAN_ETH_HLEN) return 0;
  n = scan_packet_syn(buf + SCAN_ETH_HLEN, cap - SCAN_ETH_HLEN, probe);
  if (n == 0) return 0;
  memcpy(buf, dst_mac, 6);
  memcpy(buf + 6, src_mac, 6);
  put16(buf + 12, probe->src.family == AF_INET6 ? 0x86dd : 0x0800);
  return SCAN_ETH_HLEN + n;
}

/* -------------------------------------------------------------- parsing */

/* A bounded view of the captured bytes: every fetch checks the end first. */
typedef struct pkt_rd {
  const uint8_t *data;
  size_t len; /* bytes that may be read: captured, cut to the IP length */
  size_t off;
} pkt_rd;

static bool rd_has(const pkt_rd *r, size_t n) { return r->off <= r->len && r->len - r->off >= n; }

static bool rd_u8(pkt_rd *r, size_t at, uint8_t *v) {
  if (at >= r->len) return false;
  *v = r->data[at];
  return true;
}

static bool rd_u16(pkt_rd *r, size_t at, uint16_t *v) {
  if (at >= r->len || r->len - at < 2) return false;
  *v = (uint16_t)(r->data[at] << 8 | r->data[at + 1]);
  return true;
}

static bool rd_u32(pkt_rd *r, size_t at, uint32_t *v) {
  if (at >= r->len || r->len - at < 4) return false;
  *v = (uint32_t)r->data[at] << 24 | (uint32_t)r->data[at + 1] << 16 |
       (uint32_t)r->data[at + 2] << 8 | r->data[at + 3];
  return true;
}

static bool rd_addr6(pkt_rd *r, size_t at, vigie_u128 *v) {
  if (at >= r->len || r->len - at < 16) return false;
  *v = 0;
  for (int i = 0; i < 16; i++) *v = *v << 8 | r->data[at + (size_t)i];
  return true;
}

/* The TCP options: each must fit the header. A kind-1 no-op is one byte,
 * kind 0 ends the list; every other option has a length byte >= 2. */
static scan_parse_status parse_tcp_options(pkt_rd *r, size_t start, size_t end, scan_answer *out) {
  size_t at = start;
  uint8_t kind, olen;
  uint16_t mss;
  while (at < end) {
    if (!rd_u8(r, at, &kind)) return SCAN_PARSE_TRUNCATED;
    if (kind == 0) break;
    if (kind == 1) {
      at++;
      continue;
    }
    if (end - at < 2 || !rd_u8(r, at + 1, &olen)) return SCAN_PARSE_MALFORMED;
    if (olen < 2 || olen > end - at) return SCAN_PARSE_MALFORMED;
    if (kind == 2) {
      if (olen != 4 || !rd_u16(r, at + 2, &mss)) return SCAN_PARSE_MALFORMED;
      out->mss = mss;
    }
    at += olen;
  }
  return SCAN_PARSE_OK;
}

/* The TCP header at r->off, which must lie wholly within both the captured
 * bytes and the IP payload (r->len is already the smaller of the two). */
static scan_parse_status parse_tcp(pkt_rd *r, scan_answer *out) {
  size_t at = r->off, hlen;
  uint8_t doff;
  if (!rd_has(r, 20)) return SCAN_PARSE_TRUNCATED;
  if (!rd_u16(r, at, &out->sport) || !rd_u16(r, at + 2, &out->dport) ||
      !rd_u32(r, at + 4, &out->seq) || !rd_u32(r, at + 8, &out->ack) || !rd_u8(r, at + 12, &doff) ||
      !rd_u8(r, at + 13, &out->flags) || !rd_u16(r, at + 14, &out->window)) {
    return SCAN_PARSE_TRUNCATED;
  }
  hlen = (size_t)(doff >> 4) * 4;
  if (hlen < 20) return SCAN_PARSE_MALFORMED;
  if (!rd_has(r, hlen)) return SCAN_PARSE_TRUNCATED;
  out->mss = 0;
  return parse_tcp_options(r, at + 20, at + hlen, out);
}

/* Cut the readable bytes to the IP packet's own length: Ethernet pads short
 * frames, and the padding is no part of the packet. A packet longer than
 * what was captured keeps the captured length (the TCP header check then
 * decides whether enough of it arrived). */
static void clip(pkt_rd *r, size_t ip_start, size_t ip_len) {
  if (ip_len < r->len - ip_start) r->len = ip_start + ip_len;
}

static scan_parse_status parse_ipv4(pkt_rd *r, scan_answer *out) {
  size_t at = r->off, ihl;
  uint8_t vihl, proto;
  uint16_t total, frag;
  if (!rd_has(r, 20)) return SCAN_PARSE_TRUNCATED;
  if (!rd_u8(r, at, &vihl) || !rd_u16(r, at + 2, &total) || !rd_u16(r, at + 6, &frag) ||
      !rd_u8(r, at + 8, &out->ttl) || !rd_u8(r, at + 9, &proto) ||
      !rd_u32(r, at + 12, &out->src.v4) || !rd_u32(r, at + 16, &out->dst.v4)) {
    return SCAN_PARSE_TRUNCATED;
  }
  ihl = (size_t)(vihl & 0x0f) * 4;
  if (vihl >> 4 != 4 || ihl < 20 || total < ihl) return SCAN_PARSE_MALFORMED;
  if (!rd_has(r, ihl)) return SCAN_PARSE_TRUNCATED;
  /* A fragment (more-fragments set or a non-zero offset) is no answer of
   * ours: a SYN-ACK or RST is far smaller than any MTU. */
  if ((frag & 0x3fff) != 0 || proto != IPPROTO_TCP) return SCAN_PARSE_IGNORED;
  out->src.family = out->dst.family = AF_INET;
  clip(r, at, total);
  r->off = at + ihl;
  return parse_tcp(r, out);
}

/* Skip IPv6 extension headers up to the TCP header. At most 8 of them: the
 * chain is attacker-controlled and an answer of ours carries none. */
static scan_parse_status skip_ext6(pkt_rd *r, uint8_t *next) {
  uint8_t len8;
  for (int i = 0; i < 8 && *next != IPPROTO_TCP; i++) {
    uint8_t type = *next;
    size_t hlen;
    /* A fragment is no answer of ours (see parse_ipv4); an unknown header
     * cannot be skipped. */
    if (type != IPPROTO_HOPOPTS && type != IPPROTO_ROUTING && type != IPPROTO_DSTOPTS &&
        type != IPPROTO_AH) {
      return SCAN_PARSE_IGNORED;
    }
    if (!rd_u8(r, r->off, next) || !rd_u8(r, r->off + 1, &len8)) return SCAN_PARSE_TRUNCATED;
    /* AH counts 4-byte words minus 2 (RFC 4302), the others 8-byte words
     * minus 1 (RFC 8200). */
    hlen = type == IPPROTO_AH ? ((size_t)len8 + 2) * 4 : ((size_t)len8 + 1) * 8;
    if (!rd_has(r, hlen)) return SCAN_PARSE_TRUNCATED;
    r->off += hlen;
  }
  return *next == IPPROTO_TCP ? SCAN_PARSE_OK : SCAN_PARSE_IGNORED;
}

static scan_parse_status parse_ipv6(pkt_rd *r, scan_answer *out) {
  size_t at = r->off;
  uint8_t ver, next;
  uint16_t payload;
  scan_parse_status st;
  if (!rd_has(r, 40)) return SCAN_PARSE_TRUNCATED;
  if (!rd_u8(r, at, &ver) || !rd_u16(r, at + 4, &payload) || !rd_u8(r, at + 6, &next) ||
      !rd_u8(r, at + 7, &out->ttl) || !rd_addr6(r, at + 8, &out->src.v6) ||
      !rd_addr6(r, at + 24, &out->dst.v6)) {
    return SCAN_PARSE_TRUNCATED;
  }
  if (ver >> 4 != 6) return SCAN_PARSE_MALFORMED;
  /* A zero payload length means a jumbogram (RFC 2675): never an answer. */
  if (payload == 0) return SCAN_PARSE_IGNORED;
  out->src.family = out->dst.family = AF_INET6;
  clip(r, at, 40 + (size_t)payload);
  r->off = at + 40;
  /* skip_ext6 walks the chain when the first header is not TCP. */
  st = skip_ext6(r, &next);
  if (st != SCAN_PARSE_OK) return st;
  return parse_tcp(r, out);
}

/* The IP packet at r->off: version from its first nibble when the link
 * layer does not say, else the link layer's word must agree with it. */
static scan_parse_status parse_ip(pkt_rd *r, int want_version, scan_answer *out) {
  uint8_t first;
  int version;
  if (!rd_u8(r, r->off, &first)) return SCAN_PARSE_TRUNCATED;
  version = first >> 4;
  if (want_version != 0 && version != want_version) return SCAN_PARSE_MALFORMED;
  if (version == 4) return parse_ipv4(r, out);
  if (version == 6) return parse_ipv6(r, out);
  return SCAN_PARSE_MALFORMED;
}

/* An EtherType's IP version: 4, 6, or 0 for anything else. */
static int ethertype_version(uint16_t type) {
  if (type == 0x0800) return 4;
  if (type == 0x86dd) return 6;
  return 0;
}

/* Ethernet II, with up to two VLAN tags (802.1Q 0x8100, 802.1ad 0x88a8). */
static scan_parse_status parse_ether(pkt_rd *r, scan_answer *out) {
  uint16_t type;
  size_t at = 12;
  if (!rd_u16(r, at, &type)) return SCAN_PARSE_TRUNCATED;
  for (int tags = 0; tags < 2 && (type == 0x8100 || type == 0x88a8); tags++) {
    at += 4;
    if (!rd_u16(r, at, &type)) return SCAN_PARSE_TRUNCATED;
  }
  if (ethertype_version(type) == 0) return SCAN_PARSE_IGNORED;
  r->off = at + 2;
  return parse_ip(r, ethertype_version(type), out);
}

/* Linux cooked captures: SLL (16 bytes, protocol at 14) and SLL2 (20 bytes,
 * protocol at 0), as libpcap gives on the "any" device. */
static scan_parse_status parse_sll(pkt_rd *r, size_t hlen, size_t proto_at, scan_answer *out) {
  uint16_t type;
  if (!rd_has(r, hlen)) return SCAN_PARSE_TRUNCATED;
  if (!rd_u16(r, proto_at, &type)) return SCAN_PARSE_TRUNCATED;
  if (ethertype_version(type) == 0) return SCAN_PARSE_IGNORED;
  r->off = hlen;
  return parse_ip(r, ethertype_version(type), out);
}

scan_parse_status scan_packet_parse(const uint8_t *frame, size_t len, int linktype,
                                    scan_answer *out) {
  pkt_rd r = {frame, frame ? len : 0, 0};
  scan_answer a;
  scan_parse_status st;
  memset(&a, 0, sizeof a);
  switch (linktype) {
    case DLT_EN10MB: st = parse_ether(&r, &a); break;
    case DLT_LINUX_SLL: st = parse_sll(&r, 16, 14, &a); break;
    case DLT_LINUX_SLL2: st = parse_sll(&r, 20, 0, &a); break;
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
      st = parse_ip(&r, linktype == DLT_IPV4 ? 4 : linktype == DLT_IPV6 ? 6 : 0, &a);
      break;
    case DLT_NULL:
    case DLT_LOOP:
      /* A 4-byte address family whose byte order varies by system: the IP
       * version nibble decides instead. */
      if (!rd_has(&r, 4)) return SCAN_PARSE_TRUNCATED;
      r.off = 4;
      st = parse_ip(&r, 0, &a);
      break;
    default: return SCAN_PARSE_IGNORED;
  }
  if (st == SCAN_PARSE_OK) *out = a;
  return st;
}
