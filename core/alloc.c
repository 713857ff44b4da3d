/* Every allocation of vigie goes through here (STYLE.md habit 13), so that a
 * later test build can count or fail allocations in one place. */
#include <stdlib.h>
#include <string.h>

#include "vigie/core.h"

void *vigie_malloc(size_t size) { return malloc(size ? size : 1); }

void *vigie_calloc(size_t count, size_t size) {
  if (count == 0 || size == 0) return calloc(1, 1);
  return calloc(count, size);
}

void *vigie_realloc(void *ptr, size_t size) { return realloc(ptr, size ? size : 1); }

void vigie_free(void *ptr) { free(ptr); }

char *vigie_strndup(const char *s, size_t len) {
  size_t n = strnlen(s, len);
  char *copy = vigie_malloc(n + 1);
  if (copy == NULL) return NULL;
  memcpy(copy, s, n);
  copy[n] = '\0';
  return copy;
}

char *vigie_strdup(const char *s) { return vigie_strndup(s, strlen(s)); }

bool vigie_grow(void **v, size_t n, size_t *cap, size_t elem) {
  if (n < *cap) return true;
  size_t c = *cap ? *cap * 2 : 4;
  void *grown = vigie_realloc(*v, c * elem);
  if (grown == NULL) return false;
  *v = grown, *cap = c;
  return true;
}

void vigie_strv_free(char **v, size_t n) {
  for (size_t i = 0; i < n && v != NULL; i++) vigie_free(v[i]);
  vigie_free(v);
}
