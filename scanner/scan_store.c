/* vigie scanner — the results of a scan: one entry per (address, port),
 * the set of hosts that answered, the filtered fill and a sorted export.
 *
 * Open addressing with linear probing over power-of-two tables, doubled
 * when 7 slots in 10 are taken. An IPv4 result is one 16-byte slot (the
 * whole scan_result takes 48), so a million of them, at worst on a million
 * distinct hosts, cost about 32 MiB of results plus 8 MiB of host set
 * (about 42 bytes a result) instead of the 100 MiB or more a list of
 * scan_result plus an index would. IPv6 results take 32-byte slots in a
 * table of their own. An empty slot is one whose state is 0, which no
 * result has; an empty host slot is address 0, and the address 0 itself is
 * kept in a flag beside the table.
 *
 * Two moves keep a big scan at one table's worth of memory. A doubling
 * holds the old and the new table at once (16 + 32 MiB on the way to a
 * million IPv4 results), so scan_store_reserve sizes the tables once before
 * the engine runs. And the outputs need the results sorted: rather than a
 * sorted copy (48 bytes a result), scan_store_seal moves the live slots to
 * the front of each table and sorts them there, after which the tables are
 * sorted arrays, searched by bisection, and the store takes no more results.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>

#include "scanner/scan_int.h"
#include "vigie/scanner.h"

typedef struct entry4 {
  int64_t time_us;
  uint32_t addr;
  uint16_t port;
  uint8_t ttl;
  uint8_t state_reason; /* state in the low nibble (0: empty slot), reason in the high */
} entry4;

typedef struct entry6 {
  uint64_t hi, lo; /* the address, split so the slot needs no 16-byte alignment */
  int64_t time_us;
  uint16_t port;
  uint8_t ttl;
  uint8_t state_reason;
} entry6;

_Static_assert(sizeof(entry4) == 16, "an IPv4 result must stay 16 bytes");
_Static_assert(sizeof(entry6) == 32, "an IPv6 result must stay 32 bytes");

typedef struct addr6 {
  uint64_t hi, lo;
} addr6;

/* One table per kind of slot; cap is 0 or a power of two. */
typedef struct table4 {
  entry4 *slots;
  size_t cap, n;
} table4;

typedef struct table6 {
  entry6 *slots;
  size_t cap, n;
} table6;

typedef struct hosts4 {
  uint32_t *slots;
  size_t cap, n;
  bool has_zero;
} hosts4;

typedef struct hosts6 {
  addr6 *slots;
  size_t cap, n;
  bool has_zero;
} hosts6;

struct scan_store {
  table4 res4;
  table6 res6;
  hosts4 up4;
  hosts6 up6;
  /* Set by scan_store_seal: res4 and res6 hold their n entries sorted in
   * slots [0, n), every later slot empty; the host sets are unchanged. */
  bool sealed;
  size_t by_state[4]; /* results per scan_state, for summaries with no sort */
};

#define MIN_CAP 16u

/* The most results scan_store_reserve takes per family: beyond, the table
 * of 32-byte IPv6 slots could no longer be sized without overflow. */
#define MAX_RESERVE (SIZE_MAX / 64)

/* ------------------------------------------------------------- hashing */

static inline uint64_t fmix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdu;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53u;
  x ^= x >> 33;
  return x;
}

static inline uint64_t hash4(uint32_t addr, uint16_t port) {
  return fmix64(((uint64_t)addr << 16) | port);
}

static inline uint64_t hash6(addr6 a, uint16_t port) {
  return fmix64(a.hi ^ fmix64(a.lo ^ ((uint64_t)port << 48 | 0x6)));
}

static inline addr6 split6(vigie_u128 v) {
  addr6 a = {(uint64_t)(v >> 64), (uint64_t)v};
  return a;
}

static inline vigie_u128 join6(uint64_t hi, uint64_t lo) { return ((vigie_u128)hi << 64) | lo; }

/* Whether a table of cap slots must grow before holding n + 1 entries. */
static inline bool needs_growth(size_t n, size_t cap) { return (n + 1) * 10 > cap * 7; }

static size_t next_cap(size_t cap) { return cap ? cap * 2 : MIN_CAP; }

/* The smallest capacity that takes n entries without growing; n is at most
 * MAX_RESERVE, so cap * 7 cannot overflow. */
static size_t cap_for(size_t n) {
  size_t cap = MIN_CAP;
  while (needs_growth(n - (n > 0), cap)) cap *= 2;
  return cap;
}

/* ------------------------------------------------------- IPv4 results */

/* The slot of (addr, port): the entry's, or the empty slot it would take. */
static entry4 *find4(const table4 *t, uint32_t addr, uint16_t port) {
  size_t mask = t->cap - 1, i = hash4(addr, port) & mask;
  for (;; i = (i + 1) & mask) {
    entry4 *e = &t->slots[i];
    if (e->state_reason == 0 || (e->addr == addr && e->port == port)) return e;
  }
}

/* Ask for transparent huge pages on a large table. Every answer of a SYN
 * scan lands on a random slot: with 4 KiB pages each one also missed the
 * TLB, and the lookup was the receiver thread's costliest line (6 % of all
 * CPU samples on the dense benchmark). Only the whole 2 MiB pages inside
 * the block are advised; the kernel may refuse, which changes nothing. */
static void advise_huge(void *block, size_t bytes) {
  const uintptr_t huge = (uintptr_t)2 << 20;
  uintptr_t start = ((uintptr_t)block + huge - 1) & ~(huge - 1);
  uintptr_t end = ((uintptr_t)block + bytes) & ~(huge - 1);
  if (block != NULL && bytes >= 2 * huge && end > start)
    (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
}

/* Move every entry into a new table of cap slots (a power of two that holds
 * them all); on failure the table is left as it was. */
static vigie_status resize4(table4 *t, size_t cap) {
  table4 bigger = {vigie_calloc(cap, sizeof(entry4)), cap, t->n};
  if (bigger.slots == NULL) return VIGIE_ENOMEM;
  advise_huge(bigger.slots, cap * sizeof(entry4));
  for (size_t i = 0; i < t->cap; i++) {
    if (t->slots[i].state_reason != 0) {
      *find4(&bigger, t->slots[i].addr, t->slots[i].port) = t->slots[i];
    }
  }
  vigie_free(t->slots);
  *t = bigger;
  return VIGIE_OK;
}

static vigie_status grow4(table4 *t) { return resize4(t, next_cap(t->cap)); }

/* ------------------------------------------------------- IPv6 results */

static entry6 *find6(const table6 *t, addr6 a, uint16_t port) {
  size_t mask = t->cap - 1, i = hash6(a, port) & mask;
  for (;; i = (i + 1) & mask) {
    entry6 *e = &t->slots[i];
    if (e->state_reason == 0 || (e->lo == a.lo && e->hi == a.hi && e->port == port)) return e;
  }
}

static vigie_status resize6(table6 *t, size_t cap) {
  table6 bigger = {vigie_calloc(cap, sizeof(entry6)), cap, t->n};
  if (bigger.slots == NULL) return VIGIE_ENOMEM;
  advise_huge(bigger.slots, cap * sizeof(entry6));
  for (size_t i = 0; i < t->cap; i++) {
    const entry6 *e = &t->slots[i];
    if (e->state_reason != 0) *find6(&bigger, (addr6){e->hi, e->lo}, e->port) = *e;
  }
  vigie_free(t->slots);
  *t = bigger;
  return VIGIE_OK;
}

static vigie_status grow6(table6 *t) { return resize6(t, next_cap(t->cap)); }

/* ----------------------------------------------------------- host sets */

static uint32_t *host4_slot(const hosts4 *h, uint32_t addr) {
  size_t mask = h->cap - 1, i = fmix64(addr) & mask;
  while (h->slots[i] != 0 && h->slots[i] != addr) i = (i + 1) & mask;
  return &h->slots[i];
}

static bool host4_has(const hosts4 *h, uint32_t addr) {
  if (addr == 0) return h->has_zero;
  return h->cap != 0 && *host4_slot(h, addr) == addr;
}

static vigie_status host4_grow(hosts4 *h) {
  hosts4 bigger = {vigie_calloc(next_cap(h->cap), sizeof(uint32_t)), next_cap(h->cap), h->n,
                   h->has_zero};
  if (bigger.slots == NULL) return VIGIE_ENOMEM;
  for (size_t i = 0; i < h->cap; i++) {
    if (h->slots[i] != 0) *host4_slot(&bigger, h->slots[i]) = h->slots[i];
  }
  vigie_free(h->slots);
  *h = bigger;
  return VIGIE_OK;
}

static addr6 *host6_slot(const hosts6 *h, addr6 a) {
  size_t mask = h->cap - 1, i = fmix64(a.hi ^ fmix64(a.lo)) & mask;
  for (;; i = (i + 1) & mask) {
    addr6 *s = &h->slots[i];
    if ((s->hi | s->lo) == 0 || (s->hi == a.hi && s->lo == a.lo)) return s;
  }
}

static bool host6_has(const hosts6 *h, addr6 a) {
  if ((a.hi | a.lo) == 0) return h->has_zero;
  if (h->cap == 0) return false;
  const addr6 *s = host6_slot(h, a);
  return s->hi == a.hi && s->lo == a.lo;
}

static vigie_status host6_grow(hosts6 *h) {
  hosts6 bigger = {vigie_calloc(next_cap(h->cap), sizeof(addr6)), next_cap(h->cap), h->n,
                   h->has_zero};
  if (bigger.slots == NULL) return VIGIE_ENOMEM;
  for (size_t i = 0; i < h->cap; i++) {
    if ((h->slots[i].hi | h->slots[i].lo) != 0) *host6_slot(&bigger, h->slots[i]) = h->slots[i];
  }
  vigie_free(h->slots);
  *h = bigger;
  return VIGIE_OK;
}

/* ---------------------------------------------------------- the store */

scan_store *scan_store_new(void) { return vigie_calloc(1, sizeof(scan_store)); }

void scan_store_free(scan_store *store) {
  if (store == NULL) return;
  vigie_free(store->res4.slots);
  vigie_free(store->res6.slots);
  vigie_free(store->up4.slots);
  vigie_free(store->up6.slots);
  vigie_free(store);
}

size_t scan_store_count(const scan_store *store) {
  return store != NULL ? store->res4.n + store->res6.n : 0;
}

vigie_status scan_store_reserve(scan_store *store, size_t results4, size_t results6) {
  if (store == NULL || store->sealed) return VIGIE_EINVAL;
  if (results4 > MAX_RESERVE || results6 > MAX_RESERVE) return VIGIE_ENOMEM;
  /* A table already big enough stays; one that is not is moved once, and
   * an empty one (the usual case, before the engine runs) is just made. */
  size_t cap4 = cap_for(results4), cap6 = cap_for(results6);
  if (results4 > 0 && cap4 > store->res4.cap && resize4(&store->res4, cap4) != VIGIE_OK) {
    return VIGIE_ENOMEM;
  }
  if (results6 > 0 && cap6 > store->res6.cap && resize6(&store->res6, cap6) != VIGIE_OK) {
    return VIGIE_ENOMEM;
  }
  return VIGIE_OK;
}

/* Whether a result shows the address itself answered. No answer at all
 * does not, nor does an unreachable: that ICMP message (or EHOSTUNREACH)
 * usually comes from a router, and says the host is down, not up. */
static bool shows_up(uint8_t reason) {
  return reason != SCAN_REASON_NO_RESPONSE && reason != SCAN_REASON_UNREACHABLE;
}

static bool valid_result(const scan_result *r) {
  return (r->addr.family == AF_INET || r->addr.family == AF_INET6) && r->state >= SCAN_STATE_OPEN &&
         r->state <= SCAN_STATE_FILTERED && r->reason >= SCAN_REASON_SYN_ACK &&
         r->reason <= SCAN_REASON_UNREACHABLE;
}

/* Add an IPv4 result known to be absent and valid. Every table that may
 * grow grows first, so a failure leaves the store as it was. */
/* One probe of the table decides both "already there" and "where it goes":
 * this runs once per answer on the SYN receiver's thread. */
static vigie_status add4(scan_store *s, const scan_result *r, bool *added) {
  uint32_t addr = r->addr.v4;
  if (needs_growth(s->res4.n, s->res4.cap) && grow4(&s->res4) != VIGIE_OK) return VIGIE_ENOMEM;
  entry4 *e = find4(&s->res4, addr, r->port);
  if (e->state_reason != 0) return VIGIE_OK; /* a later answer for the same pair */
  bool mark = shows_up(r->reason) && !host4_has(&s->up4, addr);
  if (mark && addr != 0 && needs_growth(s->up4.n, s->up4.cap) && host4_grow(&s->up4) != VIGIE_OK) {
    return VIGIE_ENOMEM;
  }
  *added = true;
  *e = (entry4){r->time_us, addr, r->port, r->ttl, (uint8_t)(r->state | r->reason << 4)};
  s->res4.n++;
  if (mark && addr == 0) {
    s->up4.has_zero = true;
  } else if (mark) {
    *host4_slot(&s->up4, addr) = addr;
    s->up4.n++;
  }
  return VIGIE_OK;
}

static vigie_status add6(scan_store *s, const scan_result *r, bool *added) {
  addr6 a = split6(r->addr.v6);
  bool zero = (a.hi | a.lo) == 0;
  if (needs_growth(s->res6.n, s->res6.cap) && grow6(&s->res6) != VIGIE_OK) return VIGIE_ENOMEM;
  entry6 *e = find6(&s->res6, a, r->port);
  if (e->state_reason != 0) return VIGIE_OK; /* a later answer for the same pair */
  bool mark = shows_up(r->reason) && !host6_has(&s->up6, a);
  if (mark && !zero && needs_growth(s->up6.n, s->up6.cap) && host6_grow(&s->up6) != VIGIE_OK) {
    return VIGIE_ENOMEM;
  }
  *added = true;
  *e = (entry6){a.hi, a.lo, r->time_us, r->port, r->ttl, (uint8_t)(r->state | r->reason << 4)};
  s->res6.n++;
  if (mark && zero) {
    s->up6.has_zero = true;
  } else if (mark) {
    *host6_slot(&s->up6, a) = a;
    s->up6.n++;
  }
  return VIGIE_OK;
}

vigie_status scan_store_add(scan_store *store, const scan_result *result, bool *added) {
  bool is_new = false;
  if (added != NULL) *added = false;
  if (store == NULL || result == NULL || store->sealed || !valid_result(result)) {
    return VIGIE_EINVAL;
  }
  vigie_status status = result->addr.family == AF_INET ? add4(store, result, &is_new)
                                                        : add6(store, result, &is_new);
  if (status == VIGIE_OK && is_new) store->by_state[result->state & 3]++;
  if (added != NULL) *added = is_new;
  return status;
}

void scan_store_tally(const scan_store *store, scan_tally *out) {
  out->open = store->by_state[SCAN_STATE_OPEN];
  out->closed = store->by_state[SCAN_STATE_CLOSED];
  out->filtered = store->by_state[SCAN_STATE_FILTERED];
  out->hosts_up = store->up4.n + store->up4.has_zero + store->up6.n + store->up6.has_zero;
}

/* The output order within a family: address, then port. */
static int cmp_entry4(const void *pa, const void *pb) {
  const entry4 *a = pa, *b = pb;
  if (a->addr != b->addr) return a->addr < b->addr ? -1 : 1;
  return (a->port > b->port) - (a->port < b->port);
}

static int cmp_entry6(const void *pa, const void *pb) {
  const entry6 *a = pa, *b = pb;
  if (a->hi != b->hi) return a->hi < b->hi ? -1 : 1;
  if (a->lo != b->lo) return a->lo < b->lo ? -1 : 1;
  return (a->port > b->port) - (a->port < b->port);
}

/* Whether a sealed table holds the key (bisection over its sorted front). */
static bool sealed_has(const void *slots, size_t n, size_t size, const void *key,
                       int (*cmp)(const void *, const void *)) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = cmp((const char *)slots + mid * size, key);
    if (c == 0) return true;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return false;
}

void scan_store_prefetch(const scan_store *store, const vigie_addr *addr, uint16_t port) {
  if (store == NULL || addr == NULL || store->sealed) return;
  if (addr->family == AF_INET && store->res4.cap != 0) {
    __builtin_prefetch(&store->res4.slots[hash4(addr->v4, port) & (store->res4.cap - 1)]);
  } else if (addr->family == AF_INET6 && store->res6.cap != 0) {
    __builtin_prefetch(&store->res6.slots[hash6(split6(addr->v6), port) & (store->res6.cap - 1)]);
  }
}

bool scan_store_has(const scan_store *store, const vigie_addr *addr, uint16_t port) {
  if (store == NULL || addr == NULL) return false;
  if (addr->family == AF_INET && store->sealed) {
    entry4 key = {.addr = addr->v4, .port = port};
    return sealed_has(store->res4.slots, store->res4.n, sizeof key, &key, cmp_entry4);
  }
  if (addr->family == AF_INET6 && store->sealed) {
    addr6 a = split6(addr->v6);
    entry6 key = {.hi = a.hi, .lo = a.lo, .port = port};
    return sealed_has(store->res6.slots, store->res6.n, sizeof key, &key, cmp_entry6);
  }
  if (addr->family == AF_INET) {
    return store->res4.cap != 0 && find4(&store->res4, addr->v4, port)->state_reason != 0;
  }
  if (addr->family == AF_INET6) {
    return store->res6.cap != 0 && find6(&store->res6, split6(addr->v6), port)->state_reason != 0;
  }
  return false;
}

bool scan_store_host_up(const scan_store *store, const vigie_addr *addr) {
  if (store == NULL || addr == NULL) return false;
  if (addr->family == AF_INET) return host4_has(&store->up4, addr->v4);
  if (addr->family == AF_INET6) return host6_has(&store->up6, split6(addr->v6));
  return false;
}

/* ------------------------------------------------------ filtered fill */

static int64_t wall_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The up hosts that lie in space, ascending, as addresses in a new array:
 * sorted so that the filled results (and what on_result streams) come out
 * in the same order on every run. */
static int cmp_addr(const void *pa, const void *pb) {
  const vigie_addr *a = pa, *b = pb;
  if (a->family != b->family) return a->family == AF_INET ? -1 : 1;
  if (a->family == AF_INET) return a->v4 < b->v4 ? -1 : a->v4 > b->v4;
  return a->v6 < b->v6 ? -1 : a->v6 > b->v6;
}

static vigie_status up_hosts_in_space(const scan_store *s, const scan_space *space,
                                      vigie_addr **out, size_t *count) {
  size_t n = 0;
  vigie_addr *hosts = vigie_calloc(s->up4.n + s->up6.n + 2, sizeof *hosts);
  if (hosts == NULL) return VIGIE_ENOMEM;
  for (size_t i = 0; i <= s->up4.cap; i++) { /* the extra turn is the address 0 */
    bool up = i < s->up4.cap ? s->up4.slots[i] != 0 : s->up4.has_zero;
    uint32_t a = i < s->up4.cap ? s->up4.slots[i] : 0;
    vigie_addr host = {.family = AF_INET, .v4 = a};
    if (up && vigie_targets_contains(space->targets, &host)) hosts[n++] = host;
  }
  for (size_t i = 0; i <= s->up6.cap; i++) {
    bool up = i < s->up6.cap ? (s->up6.slots[i].hi | s->up6.slots[i].lo) != 0 : s->up6.has_zero;
    vigie_u128 a = i < s->up6.cap ? join6(s->up6.slots[i].hi, s->up6.slots[i].lo) : 0;
    vigie_addr host = {.family = AF_INET6, .v6 = a};
    if (up && vigie_targets_contains(space->targets, &host)) hosts[n++] = host;
  }
  qsort(hosts, n, sizeof *hosts, cmp_addr);
  *out = hosts;
  *count = n;
  return VIGIE_OK;
}

vigie_status scan_store_fill_filtered(scan_store *store, const scan_space *space,
                                      void (*on_result)(const scan_result *, void *), void *user,
                                      vigie_error *err) {
  vigie_addr *hosts = NULL;
  size_t n_hosts = 0;
  vigie_status status;
  /* One time for all: the moment the last retry was given up on. */
  scan_result r = {
      .state = SCAN_STATE_FILTERED, .reason = SCAN_REASON_NO_RESPONSE, .time_us = wall_us()};
  if (store == NULL || space == NULL || space->targets == NULL) {
    return vigie_fail(err, VIGIE_EINVAL, "scan_store_fill_filtered: NULL argument");
  }
  if (store->sealed) {
    return vigie_fail(err, VIGIE_EINVAL, "scan_store_fill_filtered: the store is sealed");
  }
  status = up_hosts_in_space(store, space, &hosts, &n_hosts);
  if (status != VIGIE_OK) goto done;
  for (size_t h = 0; h < n_hosts; h++) {
    r.addr = hosts[h];
    for (uint32_t p = 0; p < space->port_count; p++) {
      r.port = space->ports[p];
      bool added = false;
      status = scan_store_add(store, &r, &added); /* counted in the tally too */
      if (status != VIGIE_OK) goto done;
      if (added && on_result != NULL) on_result(&r, user);
    }
  }
done:
  if (status != VIGIE_OK) {
    vigie_fail(err, status, "out of memory while recording filtered ports (%zu results held)",
               scan_store_count(store));
  }
  vigie_free(hosts);
  return status;
}

/* ------------------------------------------------------------- order */

/* The same orders, on pointers to entries (the sorted copy). */
static int cmp_ptr4(const void *pa, const void *pb) {
  return cmp_entry4(*(const entry4 *const *)pa, *(const entry4 *const *)pb);
}

static int cmp_ptr6(const void *pa, const void *pb) {
  return cmp_entry6(*(const entry6 *const *)pa, *(const entry6 *const *)pb);
}

/* ------------------------------------------------------- in-place sort */

/* glibc's qsort is a merge sort into a malloc'ed copy of the array (16 MiB
 * for a million IPv4 slots, 32 for IPv6), which would undo what sealing
 * saves. This one works in place (scan_int.h): quicksort with a
 * median-of-three pivot, insertion sort for short runs, heapsort when the
 * splits go bad (introsort). */
#define SORT_MAX_SIZE SCAN_SORT_MAX_SIZE
#define SORT_SHORT 16u

typedef int (*sort_cmp)(const void *, const void *);

typedef struct sort_array {
  char *base;
  size_t size;
  sort_cmp cmp;
} sort_array;

static inline void *sort_at(const sort_array *a, size_t i) { return a->base + i * a->size; }

static inline int sort_cmp_at(const sort_array *a, size_t i, size_t j) {
  return a->cmp(sort_at(a, i), sort_at(a, j));
}

static inline void sort_swap(const sort_array *a, size_t i, size_t j) {
  unsigned char tmp[SORT_MAX_SIZE];
  if (i == j) return; /* memcpy onto itself is undefined */
  memcpy(tmp, sort_at(a, i), a->size);
  memcpy(sort_at(a, i), sort_at(a, j), a->size);
  memcpy(sort_at(a, j), tmp, a->size);
}

static void insertion_sort(const sort_array *a, size_t lo, size_t hi) {
  for (size_t i = lo + 1; i < hi; i++) {
    for (size_t j = i; j > lo && sort_cmp_at(a, j - 1, j) > 0; j--) sort_swap(a, j - 1, j);
  }
}

/* Move element root down the max-heap a[lo, lo + n). */
static void sift_down(const sort_array *a, size_t lo, size_t root, size_t n) {
  for (size_t child; (child = 2 * root + 1) < n; root = child) {
    if (child + 1 < n && sort_cmp_at(a, lo + child, lo + child + 1) < 0) child++;
    if (sort_cmp_at(a, lo + root, lo + child) >= 0) return;
    sort_swap(a, lo + root, lo + child);
  }
}

static void heap_sort(const sort_array *a, size_t lo, size_t hi) {
  size_t n = hi - lo;
  for (size_t i = n / 2; i-- > 0;) sift_down(a, lo, i, n);
  for (size_t end = n; end-- > 1;) {
    sort_swap(a, lo, lo + end);
    sift_down(a, lo, 0, end);
  }
}

/* Put the median of a[lo], a[mid] and a[hi - 1] in its final place p,
 * with a[lo, p) <= a[p] <= a(p, hi) (Hoare's scheme, the pivot parked at
 * lo while the scans run). \return p. hi - lo >= 3. */
static size_t partition(const sort_array *a, size_t lo, size_t hi) {
  size_t mid = lo + (hi - lo) / 2, last = hi - 1;
  if (sort_cmp_at(a, mid, lo) < 0) sort_swap(a, mid, lo);
  if (sort_cmp_at(a, last, mid) < 0) {
    sort_swap(a, last, mid);
    if (sort_cmp_at(a, mid, lo) < 0) sort_swap(a, mid, lo);
  }
  sort_swap(a, lo, mid);
  /* a[last] >= pivot stops the first scan, the pivot at lo the second. */
  size_t i = lo, j = hi;
  for (;;) {
    do i++;
    while (sort_cmp_at(a, i, lo) < 0);
    do j--;
    while (sort_cmp_at(a, j, lo) > 0);
    if (i >= j) break;
    sort_swap(a, i, j);
  }
  sort_swap(a, lo, j);
  return j;
}

/* Sort a[lo, hi), falling back to heapsort after budget more splits. */
static void quick_sort(const sort_array *a, size_t lo, size_t hi, unsigned budget) {
  while (hi - lo > SORT_SHORT) {
    if (budget-- == 0) {
      heap_sort(a, lo, hi);
      return;
    }
    size_t p = partition(a, lo, hi);
    /* Recurse into the smaller side, loop on the larger: O(log n) depth. */
    if (p - lo < hi - p) {
      quick_sort(a, lo, p, budget);
      lo = p + 1;
    } else {
      quick_sort(a, p + 1, hi, budget);
      hi = p;
    }
  }
  insertion_sort(a, lo, hi);
}

void scan_sort_in_place(void *base, size_t n, size_t size, sort_cmp cmp) {
  sort_array a = {base, size, cmp};
  if (n < 2 || size == 0 || size > SORT_MAX_SIZE) return;
  unsigned budget = 0;
  for (size_t m = n; m > 1; m >>= 1) budget += 2; /* 2 log2(n) splits */
  quick_sort(&a, 0, n, budget);
}

/* -------------------------------------------------------------- seal */

/* Move the n live slots of an open-addressing table to its front, in
 * place (slot i moves to some j <= i), sort them there. Only the slots
 * moved from are cleared: a slot never used stays on a page never touched
 * (calloc'ed tables are mapped lazily), so a sparse table does not grow
 * its resident memory by being sealed. */
static void seal_table(void *slots, size_t cap, size_t n, size_t size, sort_cmp cmp,
                       bool (*live)(const void *)) {
  char *s = slots;
  size_t j = 0;
  if (cap == 0) return;
  for (size_t i = 0; i < cap; i++) {
    if (!live(s + i * size)) continue;
    if (j != i) {
      memcpy(s + j * size, s + i * size, size);
      memset(s + i * size, 0, size);
    }
    j++;
  }
  scan_sort_in_place(s, n, size, cmp);
}

static bool live4(const void *e) { return ((const entry4 *)e)->state_reason != 0; }
static bool live6(const void *e) { return ((const entry6 *)e)->state_reason != 0; }

void scan_store_seal(scan_store *store) {
  if (store == NULL || store->sealed) return;
  _Static_assert(sizeof(entry4) <= SORT_MAX_SIZE && sizeof(entry6) <= SORT_MAX_SIZE,
                 "the in-place sort swaps through a SORT_MAX_SIZE buffer");
  seal_table(store->res4.slots, store->res4.cap, store->res4.n, sizeof(entry4), cmp_entry4, live4);
  seal_table(store->res6.slots, store->res6.cap, store->res6.n, sizeof(entry6), cmp_entry6, live6);
  store->sealed = true;
}

/* ------------------------------------------------------ reading results */

static scan_result result_of(int family, uint32_t v4, vigie_u128 v6, uint16_t port, uint8_t ttl,
                             uint8_t state_reason, int64_t time_us) {
  scan_result r;
  memset(&r, 0, sizeof r); /* padding too: the copy may be written out */
  r.addr.family = family;
  r.addr.v4 = v4;
  r.addr.v6 = v6;
  r.port = port;
  r.state = state_reason & 0x0f;
  r.reason = state_reason >> 4;
  r.ttl = ttl;
  r.time_us = time_us;
  return r;
}

static scan_result result_of4(const entry4 *e) {
  return result_of(AF_INET, e->addr, 0, e->port, e->ttl, e->state_reason, e->time_us);
}

static scan_result result_of6(const entry6 *e) {
  return result_of(AF_INET6, 0, join6(e->hi, e->lo), e->port, e->ttl, e->state_reason, e->time_us);
}

void scan_store_result_at(const scan_store *sealed, size_t i, scan_result *out) {
  if (out == NULL) return;
  if (sealed == NULL || !sealed->sealed || i >= scan_store_count(sealed)) {
    memset(out, 0, sizeof *out); /* family 0: every output refuses it */
  } else if (i < sealed->res4.n) {
    *out = result_of4(&sealed->res4.slots[i]);
  } else {
    *out = result_of6(&sealed->res6.slots[i - sealed->res4.n]);
  }
}

/* Pointers to the live slots of a table, sorted; results are copied out in
 * that order. Sorting pointers (8 bytes) rather than scan_results (48)
 * keeps the extra memory small when there are millions. */
static void sorted4(const table4 *t, const void **ptrs, scan_result *out) {
  size_t n = 0;
  for (size_t i = 0; i < t->cap; i++) {
    if (t->slots[i].state_reason != 0) ptrs[n++] = &t->slots[i];
  }
  qsort(ptrs, n, sizeof *ptrs, cmp_ptr4);
  for (size_t i = 0; i < n; i++) out[i] = result_of4(ptrs[i]);
}

static void sorted6(const table6 *t, const void **ptrs, scan_result *out) {
  size_t n = 0;
  for (size_t i = 0; i < t->cap; i++) {
    if (t->slots[i].state_reason != 0) ptrs[n++] = &t->slots[i];
  }
  qsort(ptrs, n, sizeof *ptrs, cmp_ptr6);
  for (size_t i = 0; i < n; i++) out[i] = result_of6(ptrs[i]);
}

vigie_status scan_store_sorted(const scan_store *store, scan_result **out, size_t *count) {
  size_t n4, n6;
  const void **ptrs;
  scan_result *results;
  if (out == NULL || count == NULL) return VIGIE_EINVAL;
  *out = NULL;
  *count = 0;
  if (store == NULL) return VIGIE_EINVAL;
  n4 = store->res4.n;
  n6 = store->res6.n;
  results = vigie_malloc((n4 + n6) * sizeof *results);
  if (results == NULL) return VIGIE_ENOMEM;
  if (store->sealed) { /* already in order */
    for (size_t i = 0; i < n4 + n6; i++) scan_store_result_at(store, i, &results[i]);
    *out = results;
    *count = n4 + n6;
    return VIGIE_OK;
  }
  ptrs = vigie_malloc((n4 > n6 ? n4 : n6) * sizeof *ptrs);
  if (ptrs == NULL) {
    vigie_free(results);
    return VIGIE_ENOMEM;
  }
  sorted4(&store->res4, ptrs, results);
  sorted6(&store->res6, ptrs, results + n4);
  vigie_free(ptrs);
  *out = results;
  *count = n4 + n6;
  return VIGIE_OK;
}

const char *scan_state_name(scan_state state) {
  switch (state) {
    case SCAN_STATE_OPEN: return "open";
    case SCAN_STATE_CLOSED: return "closed";
    case SCAN_STATE_FILTERED: return "filtered";
  }
  return "unknown";
}

const char *scan_reason_name(scan_reason reason) {
  /* nmap's reason strings, so our XML reads like its -oX; a completed
   * connect() is what nmap -sT also reports as syn-ack. */
  switch (reason) {
    case SCAN_REASON_SYN_ACK: return "syn-ack";
    case SCAN_REASON_RESET: return "reset";
    case SCAN_REASON_NO_RESPONSE: return "no-response";
    case SCAN_REASON_CONNECTED: return "syn-ack";
    case SCAN_REASON_REFUSED: return "conn-refused";
    case SCAN_REASON_UNREACHABLE: return "host-unreach";
  }
  return "unknown";
}
