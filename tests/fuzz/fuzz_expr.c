/* Fuzz target: the shared predicate engine (core/expr.c) through its own
 * API, with the exposure grammar's dotted names and version functions: a
 * syntax error points inside the text (or just past it); a parsed predicate
 * evaluates over a lookup without crashing; the bytes after a NUL are two
 * versions compared both ways, which must agree. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vigie/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
  const char *name;
  vigie_expr_value v[2];
  size_t n;
} fz_values[] = {
    {"service", {{"ssh", 3}}, 1},
    {"version", {{"7.4p1", 5}, {"2.4.50", 6}}, 2},
    {"rdp.nla_required", {{"false", 5}}, 1},
    {"tls.weak", {{"rc4", 3}, {"", 0}}, 2},
    {"cert.key_bits", {{"1024", 4}}, 1},
    {"port", {{"3389", 4}}, 1},
};

static size_t fz_lookup(void *ctx, const char *name, const vigie_expr_value **values) {
  (void)ctx;
  for (size_t i = 0; i < sizeof fz_values / sizeof fz_values[0]; i++) {
    if (strcasecmp(name, fz_values[i].name) == 0) {
      *values = fz_values[i].v;
      return fz_values[i].n;
    }
  }
  *values = NULL;
  return 0;
}

static void fz_versions(const char *a, size_t alen, const char *b, size_t blen) {
  int ab = 0, ba = 0;
  bool ok1 = vigie_version_cmp(a, alen, b, blen, &ab);
  bool ok2 = vigie_version_cmp(b, blen, a, alen, &ba);
  if (ok1 != ok2 || (ok1 && (ab > 0) - (ab < 0) != (ba < 0) - (ba > 0))) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 16384) return 0;
  char *text = vigie_strndup((const char *)data, size);
  if (text == NULL) return 0;
  size_t tlen = strlen(text);
  if (tlen < size) fz_versions(text, tlen, (const char *)data + tlen + 1, size - tlen - 1);
  vigie_expr *e = NULL;
  size_t col = 0;
  vigie_error err;
  vigie_status st = vigie_expr_parse(text, &e, &col, &err);
  if (st == VIGIE_ESYNTAX && (col == 0 || col > tlen + 1)) abort();
  if (st == VIGIE_OK) {
    size_t n = vigie_expr_name_count(e);
    bool *read = calloc(n + 1, 1);
    bool r;
    if (read != NULL) (void)vigie_expr_eval(e, fz_lookup, NULL, 1704067200, read, &r, &err);
    free(read);
    vigie_expr_free(e);
  }
  vigie_free(text);
  return 0;
}
