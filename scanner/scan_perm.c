/* vigie scanner — the keyed permutation of the probe index space and the
 * shard walk over it.
 *
 * The permutation is the "generalised Feistel" of Black and Rogaway that
 * masscan's blackrock also uses: an index m of [0, a*b) is split into
 * (L, R) in Z_a x Z_b, four rounds add a keyed hash of one half to the other
 * modulo that half's size, and the pair is joined back. Each round is
 * invertible whatever the hash, so the whole is a bijection of [0, a*b);
 * cycle walking (re-encrypting while the result is >= range) turns it into a
 * bijection of [0, range). Nothing is stored but a, b and four round keys.
 *
 * Two choices keep a call cheap on the sender's hot path:
 *  - a is a power of two, so splitting and joining are a mask, a shift and
 *    an or, with no division; b = ceil(range / a). a is about sqrt(range),
 *    so a*b - range < a and cycle walking almost never takes a second turn;
 *  - a round reduces its 64-bit hash into [0, m) with Lemire's multiply-high
 *    ((h * m) >> 64) instead of a division.
 */
#include "vigie/scanner.h"

/* The murmur3 64-bit finaliser: a bijection of 64-bit words with full
 * avalanche, so every bit of a round's input moves every bit of its hash. */
static inline uint64_t fmix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdu;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53u;
  x ^= x >> 33;
  return x;
}

/* splitmix64: turns one seed into a stream of well-mixed, distinct words. */
static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

/* Bit length of x (0 for 0). */
static unsigned bit_length(uint64_t x) { return x ? 64u - (unsigned)__builtin_clzll(x) : 0u; }

vigie_status scan_perm_init(scan_perm *perm, uint64_t range, uint64_t seed) {
  /* A salt of our own, so the permutation keys never equal the cookie keys
   * that the same seed gives (scan_key_from_seed). */
  uint64_t state = seed ^ 0x7065726d75746531u; /* "permute1" */
  perm->range = range;
  if (range <= 1) {
    perm->a = perm->b = 1;
  } else {
    /* a = 2^floor(bits/2) with 2^bits >= range; both halves at least 2 so
     * that even tiny spaces get mixed by both kinds of round. */
    unsigned shift = bit_length(range - 1) / 2;
    if (shift == 0) shift = 1;
    perm->a = (uint64_t)1 << shift;
    perm->b = ((range - 1) >> shift) + 1;
    if (perm->b < 2) perm->b = 2;
  }
  for (int i = 0; i < 4; i++) perm->key[i] = splitmix64(&state);
  return VIGIE_OK;
}

/* (x + keyed hash of y) mod m, for x < m. */
static inline uint64_t round_add(uint64_t x, uint64_t y, uint64_t key, uint64_t m) {
  uint64_t h = (uint64_t)(((unsigned __int128)fmix64(y ^ key) * m) >> 64);
  uint64_t sum = x + h; /* x, h < m <= 2^33: no overflow */
  return sum >= m ? sum - m : sum;
}

/* One pass of the Feistel network over [0, a*b). Rounds alternate moduli:
 * the half added to is in Z_a for rounds 0 and 2, in Z_b for 1 and 3. */
static inline uint64_t encrypt(const scan_perm *perm, uint64_t m, unsigned shift) {
  uint64_t a = perm->a, b = perm->b;
  uint64_t left = m & (a - 1), right = m >> shift, t; /* left in Z_a, right in Z_b */
  t = round_add(left, right, perm->key[0], a);        /* now (right, t) in Z_b x Z_a */
  left = round_add(right, t, perm->key[1], b);        /* (t, left) in Z_a x Z_b */
  right = round_add(t, left, perm->key[2], a);        /* (left, right) in Z_b x Z_a */
  t = round_add(left, right, perm->key[3], b);        /* (right, t) in Z_a x Z_b */
  return (t << shift) | right;
}

uint64_t scan_perm_at(const scan_perm *perm, uint64_t position) {
  unsigned shift = (unsigned)__builtin_ctzll(perm->a);
  uint64_t x = position;
  /* Out of range is a caller's bug; answering it would loop for ever when
   * the position's cycle never enters [0, range). */
  if (position >= perm->range || perm->range <= 1) return position;
  do {
    x = encrypt(perm, x, shift);
  } while (x >= perm->range);
  return x;
}

/* ------------------------------------------------------------ shard walk */

void scan_walk_init(scan_walk *walk, uint64_t range, uint32_t index, uint32_t count,
                    uint64_t resume_from) {
  uint64_t step = count ? count : 1, rem, first;
  walk->step = step;
  walk->range = range;
  walk->position = range; /* done, unless a position of the shard remains */
  if (index >= step || resume_from >= range) return;
  rem = resume_from % step;
  /* The shard's position in resume_from's block of step positions, or in
   * the next block when it lies before resume_from; an overflow is past
   * any range. */
  if (__builtin_add_overflow(resume_from - rem, (uint64_t)index, &first)) return;
  if (index < rem && __builtin_add_overflow(first, step, &first)) return;
  if (first < range) walk->position = first;
}

bool scan_walk_next(scan_walk *walk, uint64_t *position) {
  uint64_t p = walk->position;
  if (p >= walk->range) return false;
  *position = p;
  /* Past the end the resume point is range itself, never a wrapped value. */
  walk->position = walk->range - p > walk->step ? p + walk->step : walk->range;
  return true;
}
