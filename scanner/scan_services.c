/* The pairs the service stage looks at, with their facts: a flat array kept
 * in the order of scan results (family, address, port) once sorted, so an
 * output walking sorted results finds each port's facts by bisection. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vigie/scanner.h"

typedef struct ss_entry {
  vigie_addr addr;
  uint16_t port;
  char *host_name;   /* owned, may be NULL */
  scan_facts *facts; /* owned */
  scan_findings *findings; /* owned: exposure findings */
} ss_entry;

struct scan_services {
  ss_entry *items;
  size_t n, cap;
  bool sorted;
};

scan_services *scan_services_new(void) {
  scan_services *s = vigie_calloc(1, sizeof *s);
  if (s != NULL) s->sorted = true;
  return s;
}

static void ss_entry_free(ss_entry *e) {
  vigie_free(e->host_name);
  scan_facts_free(e->facts);
  scan_findings_free(e->findings);
}

void scan_services_free(scan_services *services) {
  if (services == NULL) return;
  for (size_t i = 0; i < services->n; i++) ss_entry_free(&services->items[i]);
  vigie_free(services->items);
  vigie_free(services);
}

static int ss_compare_key(const vigie_addr *a, uint16_t pa, const vigie_addr *b, uint16_t pb) {
  if (a->family != b->family) return a->family == AF_INET ? -1 : 1;
  if (a->family == AF_INET && a->v4 != b->v4) return a->v4 < b->v4 ? -1 : 1;
  if (a->family == AF_INET6 && a->v6 != b->v6) return a->v6 < b->v6 ? -1 : 1;
  return pa < pb ? -1 : pa > pb;
}

static int ss_compare(const void *x, const void *y) {
  const ss_entry *a = x, *b = y;
  return ss_compare_key(&a->addr, a->port, &b->addr, b->port);
}

vigie_status scan_services_add(scan_services *services, const vigie_addr *addr, uint16_t port,
                               const char *host_name) {
  if (services == NULL || addr == NULL || port == 0 ||
      (addr->family != AF_INET && addr->family != AF_INET6))
    return VIGIE_EINVAL;
  if (services->n == services->cap) {
    size_t cap = services->cap ? services->cap * 2 : 64;
    ss_entry *items = vigie_realloc(services->items, cap * sizeof *items);
    if (items == NULL) return VIGIE_ENOMEM;
    services->items = items, services->cap = cap;
  }
  ss_entry e = {.addr = *addr, .port = port, .facts = scan_facts_new(),
                .findings = scan_findings_new()};
  e.addr.v4 = addr->family == AF_INET ? addr->v4 : 0;
  e.addr.v6 = addr->family == AF_INET6 ? addr->v6 : 0;
  if (host_name != NULL) e.host_name = vigie_strdup(host_name);
  if (e.facts == NULL || e.findings == NULL || (host_name != NULL && e.host_name == NULL)) {
    ss_entry_free(&e);
    return VIGIE_ENOMEM;
  }
  if (services->n > 0 && ss_compare(&services->items[services->n - 1], &e) >= 0)
    services->sorted = false;
  services->items[services->n++] = e;
  return VIGIE_OK;
}

/* Merge duplicates: the first keeps its name, or takes the later one's. */
static void ss_dedup(scan_services *s) {
  size_t kept = 0;
  for (size_t i = 0; i < s->n; i++) {
    ss_entry *e = &s->items[i];
    if (kept > 0 && ss_compare(&s->items[kept - 1], e) == 0) {
      ss_entry *first = &s->items[kept - 1];
      if (first->host_name == NULL) first->host_name = e->host_name, e->host_name = NULL;
      ss_entry_free(e);
      continue;
    }
    s->items[kept++] = *e;
  }
  s->n = kept;
}

void scan_services_sort(scan_services *services) {
  if (services == NULL || services->sorted) return;
  qsort(services->items, services->n, sizeof *services->items, ss_compare);
  ss_dedup(services);
  services->sorted = true;
}

size_t scan_services_count(const scan_services *services) {
  return services == NULL ? 0 : services->n;
}

void scan_services_at(const scan_services *services, size_t i, vigie_addr *addr, uint16_t *port,
                      const char **host_name) {
  const ss_entry *e = &services->items[i];
  if (addr != NULL) *addr = e->addr;
  if (port != NULL) *port = e->port;
  if (host_name != NULL) *host_name = e->host_name;
}

scan_facts *scan_services_facts(scan_services *services, size_t i) {
  return services != NULL && i < services->n ? services->items[i].facts : NULL;
}

scan_findings *scan_services_findings(scan_services *services, size_t i) {
  return services != NULL && i < services->n ? services->items[i].findings : NULL;
}

static const ss_entry *ss_find(const scan_services *services, const vigie_addr *addr,
                               uint16_t port) {
  if (services == NULL || !services->sorted || addr == NULL) return NULL;
  size_t lo = 0, hi = services->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const ss_entry *e = &services->items[mid];
    int c = ss_compare_key(&e->addr, e->port, addr, port);
    if (c == 0) return e;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

const scan_facts *scan_services_find(const scan_services *services, const vigie_addr *addr,
                                     uint16_t port) {
  const ss_entry *e = ss_find(services, addr, port);
  return e != NULL && scan_facts_count(e->facts) > 0 ? e->facts : NULL;
}

const scan_findings *scan_services_find_findings(const scan_services *services,
                                                 const vigie_addr *addr, uint16_t port) {
  const ss_entry *e = ss_find(services, addr, port);
  return e != NULL && scan_findings_count(e->findings) > 0 ? e->findings : NULL;
}

