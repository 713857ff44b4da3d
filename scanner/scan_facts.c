/* Service facts: a small ordered multimap of name -> bytes. A port has a
 * few dozen facts at most, so a flat array searched linearly is both the
 * simplest and the fastest shape. */
#include <stdio.h>
#include <string.h>

#include "vigie/scanner.h"

typedef struct fact {
  char *name;  /* owned */
  char *value; /* owned, NUL-terminated after len bytes */
  size_t len;
} fact;

struct scan_facts {
  fact *items;
  size_t n, cap;
};

scan_facts *scan_facts_new(void) { return vigie_calloc(1, sizeof(scan_facts)); }

void scan_facts_free(scan_facts *facts) {
  if (facts == NULL) return;
  for (size_t i = 0; i < facts->n; i++) {
    vigie_free(facts->items[i].name);
    vigie_free(facts->items[i].value);
  }
  vigie_free(facts->items);
  vigie_free(facts);
}

static bool name_ok(const char *name) {
  if (name == NULL || *name == '\0') return false;
  for (const char *p = name; *p != '\0'; p++) {
    bool ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' ||
              *p == '-';
    if (!ok) return false;
  }
  return true;
}

static vigie_status push(scan_facts *facts, const char *name, const void *value, size_t len) {
  fact f;
  if (facts->n == facts->cap) {
    size_t cap = facts->cap ? facts->cap * 2 : 16;
    fact *items = vigie_realloc(facts->items, cap * sizeof *items);
    if (items == NULL) return VIGIE_ENOMEM;
    facts->items = items;
    facts->cap = cap;
  }
  f.name = vigie_strdup(name);
  f.value = vigie_malloc(len + 1);
  if (f.name == NULL || f.value == NULL) {
    vigie_free(f.name);
    vigie_free(f.value);
    return VIGIE_ENOMEM;
  }
  if (len > 0) memcpy(f.value, value, len);
  f.value[len] = '\0';
  f.len = len;
  facts->items[facts->n++] = f;
  return VIGIE_OK;
}

vigie_status scan_facts_add(scan_facts *facts, const char *name, const void *value, size_t len) {
  char cut_name[128];
  vigie_status status;
  if (facts == NULL || !name_ok(name) || (value == NULL && len > 0)) return VIGIE_EINVAL;
  if (len <= SCAN_FACT_MAX) return push(facts, name, value, len);
  status = push(facts, name, value, SCAN_FACT_MAX);
  if (status != VIGIE_OK) return status;
  /* Said once per name: a reader learns that the value is not whole. */
  if (snprintf(cut_name, sizeof cut_name, "%s.truncated", name) >= (int)sizeof cut_name)
    return VIGIE_OK;
  if (scan_facts_get(facts, cut_name) != NULL) return VIGIE_OK;
  return push(facts, cut_name, "true", 4);
}

vigie_status scan_facts_add_str(scan_facts *facts, const char *name, const char *value) {
  if (value == NULL) return VIGIE_EINVAL;
  return scan_facts_add(facts, name, value, strlen(value));
}

vigie_status scan_facts_set(scan_facts *facts, const char *name, const char *value) {
  size_t kept = 0;
  if (facts == NULL || !name_ok(name) || value == NULL) return VIGIE_EINVAL;
  for (size_t i = 0; i < facts->n; i++) {
    if (strcmp(facts->items[i].name, name) == 0) {
      vigie_free(facts->items[i].name);
      vigie_free(facts->items[i].value);
    } else {
      facts->items[kept++] = facts->items[i];
    }
  }
  facts->n = kept;
  return scan_facts_add_str(facts, name, value);
}

const char *scan_facts_get(const scan_facts *facts, const char *name) {
  if (facts == NULL || name == NULL) return NULL;
  for (size_t i = 0; i < facts->n; i++) {
    if (strcmp(facts->items[i].name, name) == 0) return facts->items[i].value;
  }
  return NULL;
}

bool scan_facts_at(const scan_facts *facts, size_t i, const char **name, const char **value,
                   size_t *len) {
  if (facts == NULL || i >= facts->n) return false;
  if (name != NULL) *name = facts->items[i].name;
  if (value != NULL) *value = facts->items[i].value;
  if (len != NULL) *len = facts->items[i].len;
  return true;
}

size_t scan_facts_count(const scan_facts *facts) { return facts == NULL ? 0 : facts->n; }
