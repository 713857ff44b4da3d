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

#include "vigie/scanner.h"

#define SPACE_MAX ((vigie_u128)1 << 63)

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
    return vigie_fail(err, VIGIE_EEMPTY, "nothing to scan: no address (every target excluded or "
                                         "none given) and no port");
  }
  if (addresses == 0) {
    return vigie_fail(err, VIGIE_EEMPTY, "nothing to scan: no address left (every target was "
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
  memset(space, 0, sizeof *space);
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
  vigie_targets_at(space->targets, host, addr);
}
