/* vigie scanner — the probe index space: targets x ports as one integer
 * range, so the permutation and the shard walk deal in plain indices.
 *
 * Index i decodes to address i % address_count and port i / address_count:
 * addresses vary fastest, so even without the permutation consecutive
 * indices go to different hosts. The space stays below 2^63 probes so that
 * every count and position fits a signed 64-bit integer in our outputs and
 * no product or sum of positions can overflow.
 */
#include <string.h>
#include <sys/socket.h>

#include "vigie/scanner.h"

#define SPACE_MAX ((vigie_u128)1 << 63)

/* The targets' merged ranges, IPv4 then IPv6, with the number of addresses
 * before each: the space is below 2^63, so these counts fit 64 bits and the
 * search compares plain words, unlike vigie_targets_at's 128-bit ones. */
struct scan_space_index {
  size_t n, n4;      /* ranges; the first n4 are IPv4 */
  uint64_t *start;   /* start[k]: addresses in ranges 0..k-1 (start[0] = 0) */
  vigie_u128 *first; /* first address of range k (IPv4 in the low bits) */
};

/* The ports of p, ascending, in a new array. */
static vigie_status copy_ports(const vigie_ports *p, uint16_t **out, uint32_t *count) {
  uint32_t n = 0;
  uint16_t *ports = NULL;
  for (int port = vigie_ports_next(p, 0); port >= 0; port = vigie_ports_next(p, port + 1)) n++;
  *out = NULL;
  *count = n;
  if (n == 0) return VIGIE_OK;
  ports = vigie_malloc(n * sizeof *ports);
  if (ports == NULL) return VIGIE_ENOMEM;
  n = 0;
  for (int port = vigie_ports_next(p, 0); port >= 0; port = vigie_ports_next(p, port + 1)) {
    ports[n++] = (uint16_t)port;
  }
  *out = ports;
  return VIGIE_OK;
}

/* floor(log2(x)) for x > 0, for messages about huge counts. */
static int log2_u128(vigie_u128 x) {
  uint64_t hi = (uint64_t)(x >> 64);
  if (hi) return 127 - __builtin_clzll(hi);
  return 63 - __builtin_clzll((uint64_t)x);
}

static vigie_status check_size(vigie_u128 addresses, uint32_t port_count, vigie_error *err) {
  if (addresses == 0 && port_count == 0) {
    return vigie_fail(err, VIGIE_EEMPTY,
                      "nothing to scan: no address (every target excluded or "
                      "none given) and no port");
  }
  if (addresses == 0) {
    return vigie_fail(err, VIGIE_EEMPTY,
                      "nothing to scan: no address left (every target was "
                      "excluded, or none was given)");
  }
  if (port_count == 0) return vigie_fail(err, VIGIE_EEMPTY, "nothing to scan: no port given");
  /* Both factors are checked first so the product cannot overflow 128 bits. */
  if (addresses > SPACE_MAX || addresses * port_count > SPACE_MAX) {
    return vigie_fail(err, VIGIE_ETOOBIG,
                      "the scan would take %u port%s x about 2^%d addresses, more than the "
                      "2^63 probes vigie can count: narrow the IPv6 prefixes (a /64 alone is "
                      "2^64 addresses)",
                      port_count, port_count > 1 ? "s" : "", log2_u128(addresses));
  }
  return VIGIE_OK;
}

static void index_free(struct scan_space_index *idx) {
  if (idx == NULL) return;
  vigie_free(idx->first);
  vigie_free(idx);
}

/* Copy the ranges of t and count the addresses before each. */
static vigie_status index_build(const vigie_targets *t, struct scan_space_index **out) {
  size_t n4, n6;
  const vigie_range4 *r4 = vigie_targets_ranges4(t, &n4);
  const vigie_range6 *r6 = vigie_targets_ranges6(t, &n6);
  struct scan_space_index *idx = vigie_calloc(1, sizeof *idx);
  uint64_t total = 0;
  *out = NULL;
  if (idx == NULL) return VIGIE_ENOMEM;
  idx->n = n4 + n6;
  idx->n4 = n4;
  /* One block: the 16-byte addresses first, so both arrays stay aligned. */
  idx->first = vigie_malloc(idx->n * (sizeof *idx->first + sizeof *idx->start));
  if (idx->first == NULL) {
    index_free(idx);
    return VIGIE_ENOMEM;
  }
  idx->start = (uint64_t *)(idx->first + idx->n);
  for (size_t k = 0; k < n4; k++) {
    idx->first[k] = r4[k].first;
    idx->start[k] = total;
    total += (uint64_t)r4[k].last - r4[k].first + 1;
  }
  for (size_t k = 0; k < n6; k++) { /* sizes fit: the total was checked below 2^63 */
    idx->first[n4 + k] = r6[k].first;
    idx->start[n4 + k] = total;
    total += (uint64_t)(r6[k].last - r6[k].first) + 1;
  }
  *out = idx;
  return VIGIE_OK;
}

vigie_status scan_space_init(scan_space *space, const vigie_targets *targets,
                             const vigie_ports *ports, vigie_error *err) {
  vigie_u128 addresses;
  vigie_status status;
  memset(space, 0, sizeof *space);
  if (targets == NULL || ports == NULL) {
    return vigie_fail(err, VIGIE_EINVAL, "scan_space_init: NULL argument");
  }
  addresses = (vigie_u128)vigie_targets_count4(targets) + vigie_targets_count6(targets);
  status = copy_ports(ports, &space->ports, &space->port_count);
  if (status != VIGIE_OK) {
    return vigie_fail(err, status, "out of memory while listing %u ports", ports->count);
  }
  status = check_size(addresses, space->port_count, err);
  if (status != VIGIE_OK) goto done;
  status = index_build(targets, &space->index);
  if (status != VIGIE_OK) {
    vigie_fail(err, status, "out of memory while indexing the target ranges");
    goto done;
  }
  space->targets = targets;
  space->address_count = (uint64_t)addresses;
  space->range = space->address_count * space->port_count;
done:
  if (status != VIGIE_OK) scan_space_free(space);
  return status;
}

void scan_space_free(scan_space *space) {
  if (space == NULL) return;
  vigie_free(space->ports);
  index_free(space->index);
  memset(space, 0, sizeof *space);
}

/* The range holding address number i: the last k with start[k] <= i.
 * Branch-free, with a sign mask rather than a comparison, and the mask
 * hidden from the optimiser, which would otherwise turn it back into a jump
 * (clang 14 does): a random index goes either way half the time, and a
 * mispredicted jump per level costs more than the whole search. */
static inline size_t index_find(const struct scan_space_index *idx, uint64_t i) {
  const uint64_t *base = idx->start;
  size_t len = idx->n;
  while (len > 1) {
    size_t half = len / 2;
    /* All ones when i < base[half]: both are below 2^63, so the top bit of
     * their difference is set exactly when it wrapped below zero. */
    size_t before = (size_t)0 - (size_t)((i - base[half]) >> 63);
    __asm__("" : "+r"(before)); /* opaque: clang would rebuild the jump */
    base += half & ~before;
    len -= half;
  }
  return (size_t)(base - idx->start);
}

static inline void index_at(const struct scan_space_index *idx, uint64_t i, vigie_addr *addr) {
  size_t k = index_find(idx, i);
  vigie_u128 a = idx->first[k] + (i - idx->start[k]);
  memset(addr, 0, sizeof *addr);
  if (k < idx->n4) {
    addr->family = AF_INET;
    addr->v4 = (uint32_t)a;
  } else {
    addr->family = AF_INET6;
    addr->v6 = a;
  }
}

void scan_space_at(const scan_space *space, uint64_t index, vigie_addr *addr, uint16_t *port) {
  uint64_t host, slot;
  if (index >= space->range) { /* a caller's bug; also keeps an empty space from dividing by 0 */
    memset(addr, 0, sizeof *addr);
    *port = 0;
    return;
  }
  /* One division gives both: the compiler reuses the quotient's remainder. */
  host = index % space->address_count;
  slot = index / space->address_count;
  *port = space->ports[slot];
  if (space->index != NULL)
    index_at(space->index, host, addr);
  else
    vigie_targets_at(space->targets, host, addr);
}
