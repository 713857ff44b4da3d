/* vigie scanner — SipHash-2-4, scan keys and SYN cookies.
 *
 * A SYN probe carries a keyed hash of its 4-tuple in its source port and
 * sequence number, so that an answer (SYN-ACK or RST, whose acknowledgement
 * number is our sequence + 1) can be checked with no per-probe state, and an
 * off-path host that does not know the key cannot forge one (zmap and
 * masscan do the same). SipHash is a PRF built for exactly this: short
 * inputs, a 128-bit secret key.
 */
#include <string.h>
#include <sys/socket.h>

#include "vigie/scanner.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static inline void sip_round(uint64_t v[4]) {
  v[0] += v[1];
  v[1] = ROTL(v[1], 13);
  v[1] ^= v[0];
  v[0] = ROTL(v[0], 32);
  v[2] += v[3];
  v[3] = ROTL(v[3], 16);
  v[3] ^= v[2];
  v[0] += v[3];
  v[3] = ROTL(v[3], 21);
  v[3] ^= v[0];
  v[2] += v[1];
  v[1] = ROTL(v[1], 17);
  v[1] ^= v[2];
  v[2] = ROTL(v[2], 32);
}

/* The reference reads message words little-endian whatever the host. */
static inline uint64_t load_le64(const uint8_t *p) {
  uint64_t x = 0;
  for (int i = 7; i >= 0; i--) x = (x << 8) | p[i];
  return x;
}

static inline void sip_compress(uint64_t v[4], uint64_t m) {
  v[3] ^= m;
  sip_round(v);
  sip_round(v);
  v[0] ^= m;
}

uint64_t scan_siphash24(const scan_key *key, const void *data, size_t len) {
  const uint8_t *in = data;
  uint64_t v[4] = {key->k0 ^ 0x736f6d6570736575u, key->k1 ^ 0x646f72616e646f6du,
                   key->k0 ^ 0x6c7967656e657261u, key->k1 ^ 0x7465646279746573u};
  uint64_t last = (uint64_t)(len & 0xff) << 56;
  size_t full = len & ~(size_t)7;
  for (size_t i = 0; i < full; i += 8) sip_compress(v, load_le64(in + i));
  for (size_t i = 0; i < (len & 7); i++) last |= (uint64_t)in[full + i] << (8 * i);
  sip_compress(v, last);
  v[2] ^= 0xff;
  for (int i = 0; i < 4; i++) sip_round(v);
  return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* splitmix64 step: distinct states give distinct, well-mixed words. */
static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

void scan_key_from_seed(scan_key *key, uint64_t seed) {
  /* A salt of our own, so the cookie key differs from the permutation keys
   * that the same seed gives (scan_perm_init). */
  uint64_t state = seed ^ 0x636f6f6b69657331u; /* "cookies1" */
  key->k0 = splitmix64(&state);
  key->k1 = splitmix64(&state);
}

/* Hash input: family tag, source, destination (big-endian, as on the wire),
 * destination port. A fixed byte layout keeps cookies the same on every
 * host, so a capture can be checked anywhere. */
static size_t put_addr(uint8_t *out, const vigie_addr *a) {
  if (a->family == AF_INET6) {
    for (int i = 0; i < 16; i++) out[i] = (uint8_t)(a->v6 >> (8 * (15 - i)));
    return 16;
  }
  for (int i = 0; i < 4; i++) out[i] = (uint8_t)(a->v4 >> (8 * (3 - i)));
  return 4;
}

static uint64_t tuple_hash(const scan_key *key, const vigie_addr *src, const vigie_addr *dst,
                           uint16_t dport) {
  uint8_t buf[1 + 16 + 16 + 2];
  size_t n = 0;
  buf[n++] = dst->family == AF_INET6 ? 6 : 4;
  n += put_addr(buf + n, src);
  n += put_addr(buf + n, dst);
  buf[n++] = (uint8_t)(dport >> 8);
  buf[n++] = (uint8_t)dport;
  return scan_siphash24(key, buf, n);
}

/* Span 0 means 1; a span running past 65535 is cut there, so the port never
 * wraps below port_base. */
static uint32_t effective_span(uint16_t port_base, uint16_t port_span) {
  uint32_t span = port_span ? port_span : 1u;
  uint32_t room = 65536u - port_base;
  return span < room ? span : room;
}

scan_cookie scan_cookie_make(const scan_key *key, const vigie_addr *src, const vigie_addr *dst,
                             uint16_t dport, uint16_t port_base, uint16_t port_span) {
  uint64_t h = tuple_hash(key, src, dst, dport);
  scan_cookie c;
  c.sequence = (uint32_t)h;
  c.source_port =
      (uint16_t)(port_base + (uint32_t)(h >> 32) % effective_span(port_base, port_span));
  return c;
}

bool scan_cookie_check(const scan_key *key, const vigie_addr *src, const vigie_addr *dst,
                       uint16_t dport, uint16_t sport, uint32_t ack, uint16_t port_base,
                       uint16_t port_span) {
  scan_cookie c;
  if (src->family != dst->family) return false;
  c = scan_cookie_make(key, src, dst, dport, port_base, port_span);
  /* Unsigned arithmetic wraps modulo 2^32, as TCP sequence numbers do. */
  return sport == c.source_port && ack == (uint32_t)(c.sequence + 1u);
}
