/* Host names of addresses, kept for the outputs: the map that name
 * resolution, PTR queries and (later) certificates fill, and the pure DNS
 * helpers that need no c-ares (name checks, PTR query names), so that unit
 * tests reach them without a resolver. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vigie/scanner.h"

/* RFC 1035: 255 bytes on the wire, 253 as text without the final dot. */
#define SN_NAME_MAX 253
#define SN_LABEL_MAX 63

struct scan_names {
  scan_name *entries;
  size_t count, cap;
  bool sorted;
};

const char *scan_name_source_text(scan_name_source source) {
  switch (source) {
    case SCAN_NAME_TARGET: return "target";
    case SCAN_NAME_PTR: return "ptr";
    case SCAN_NAME_CERT: return "cert";
  }
  return NULL;
}

scan_names *scan_names_new(void) {
  scan_names *names = vigie_calloc(1, sizeof *names);
  if (names != NULL) names->sorted = true;
  return names;
}

void scan_names_free(scan_names *names) {
  if (names == NULL) return;
  for (size_t i = 0; i < names->count; i++) vigie_free((char *)names->entries[i].name);
  vigie_free(names->entries);
  vigie_free(names);
}

/* Lower case, final dot dropped: DNS names compare without case. */
static char *sn_normal_copy(const char *name) {
  size_t len = strlen(name);
  if (len > 1 && name[len - 1] == '.') len--;
  if (len == 0 || len > SN_NAME_MAX) return NULL;
  char *copy = vigie_strndup(name, len);
  for (char *p = copy; p != NULL && *p != '\0'; p++)
    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
  return copy;
}

static bool sn_grow(scan_names *names) {
  if (names->count < names->cap) return true;
  size_t cap = names->cap ? names->cap * 2 : 16;
  scan_name *e = vigie_realloc(names->entries, cap * sizeof *e);
  if (e == NULL) return false;
  names->entries = e;
  names->cap = cap;
  return true;
}

vigie_status scan_names_add(scan_names *names, const vigie_addr *addr, const char *name,
                            scan_name_source source) {
  if (names == NULL || addr == NULL || name == NULL || scan_name_source_text(source) == NULL ||
      (addr->family != AF_INET && addr->family != AF_INET6))
    return VIGIE_EINVAL;
  size_t len = strlen(name);
  if (len > 1 && name[len - 1] == '.') len--;
  if (len == 0 || len > SN_NAME_MAX || strcmp(name, ".") == 0) return VIGIE_EINVAL;
  if (!sn_grow(names)) return VIGIE_ENOMEM;
  char *copy = sn_normal_copy(name);
  if (copy == NULL) return VIGIE_ENOMEM;
  scan_name *e = &names->entries[names->count++];
  memset(e, 0, sizeof *e);
  e->addr.family = addr->family;
  if (addr->family == AF_INET)
    e->addr.v4 = addr->v4;
  else
    e->addr.v6 = addr->v6;
  e->name = copy;
  e->source = (uint8_t)source;
  names->sorted = false;
  return VIGIE_OK;
}

vigie_status scan_names_merge(scan_names *dst, const scan_names *src) {
  if (dst == NULL) return VIGIE_EINVAL;
  for (size_t i = 0; src != NULL && i < src->count; i++) {
    const scan_name *n = &src->entries[i];
    vigie_status status = scan_names_add(dst, &n->addr, n->name, (scan_name_source)n->source);
    if (status != VIGIE_OK) return status;
  }
  return VIGIE_OK;
}

/* Family, then address: the order of the results and of the outputs. */
static int sn_addr_cmp(const vigie_addr *a, const vigie_addr *b) {
  if (a->family != b->family) return a->family == AF_INET ? -1 : 1;
  if (a->family == AF_INET) return a->v4 < b->v4 ? -1 : a->v4 > b->v4;
  return a->v6 < b->v6 ? -1 : a->v6 > b->v6;
}

/* Address, source, then name: a repeated triple lands next to its twin,
 * and two runs print the same file. */
static int sn_entry_cmp(const void *pa, const void *pb) {
  const scan_name *a = pa, *b = pb;
  int c = sn_addr_cmp(&a->addr, &b->addr);
  if (c != 0) return c;
  if (a->source != b->source) return a->source < b->source ? -1 : 1;
  return strcmp(a->name, b->name);
}

void scan_names_sort(scan_names *names) {
  if (names == NULL || names->sorted) return;
  qsort(names->entries, names->count, sizeof *names->entries, sn_entry_cmp);
  size_t kept = 0;
  for (size_t i = 0; i < names->count; i++) {
    scan_name e = names->entries[i];
    if (kept > 0 && sn_entry_cmp(&names->entries[kept - 1], &e) == 0) {
      vigie_free((char *)e.name);
      continue;
    }
    names->entries[kept++] = e;
  }
  names->count = kept;
  names->sorted = true;
}

vigie_status scan_names_of(const scan_names *names, const vigie_addr *addr, const scan_name **first,
                           size_t *count) {
  *first = NULL, *count = 0;
  if (names == NULL) return VIGIE_OK;
  if (!names->sorted || addr == NULL) return VIGIE_EINVAL;
  size_t lo = 0, hi = names->count;
  while (lo < hi) { /* the first entry not below addr */
    size_t mid = lo + (hi - lo) / 2;
    if (sn_addr_cmp(&names->entries[mid].addr, addr) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  size_t end = lo;
  while (end < names->count && sn_addr_cmp(&names->entries[end].addr, addr) == 0) end++;
  if (end == lo) return VIGIE_OK;
  *first = &names->entries[lo];
  *count = end - lo;
  return VIGIE_OK;
}

size_t scan_names_count(const scan_names *names) { return names != NULL ? names->count : 0; }

bool scan_names_at(const scan_names *names, size_t i, scan_name *out) {
  if (names == NULL || i >= names->count) return false;
  *out = names->entries[i];
  return true;
}

/* ------------------------------------------------------------ pure DNS */

static bool sn_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

bool scan_dns_name_valid(const char *text) {
  if (text == NULL) return false;
  size_t len = strlen(text);
  if (len > 0 && text[len - 1] == '.') len--;
  if (len == 0 || len > SN_NAME_MAX) return false;
  bool letter = false;
  size_t label = 0;
  for (size_t i = 0; i < len; i++) {
    char c = text[i];
    if (c == '.') {
      if (label == 0 || text[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    if (!sn_label_char(c) || (label == 0 && c == '-') || ++label > SN_LABEL_MAX) return false;
    letter |= !(c >= '0' && c <= '9');
  }
  return label > 0 && text[len - 1] != '-' && letter;
}

char *scan_dns_ptr_name(const vigie_addr *addr, char *buf, size_t len) {
  static const char hex[] = "0123456789abcdef";
  if (addr == NULL || buf == NULL || len < SCAN_DNS_PTR_NAME_LEN) return NULL;
  if (addr->family == AF_INET) {
    uint32_t v = addr->v4;
    snprintf(buf, len, "%u.%u.%u.%u.in-addr.arpa", v & 255, v >> 8 & 255, v >> 16 & 255, v >> 24);
    return buf;
  }
  if (addr->family != AF_INET6) return NULL;
  size_t o = 0;
  vigie_u128 v = addr->v6;
  for (int i = 0; i < 32; i++, v >>= 4) { /* lowest nibble first */
    buf[o++] = hex[(unsigned)(v & 15)];
    buf[o++] = '.';
  }
  memcpy(buf + o, "ip6.arpa", sizeof "ip6.arpa");
  return buf;
}
