/* Fuzz target: the predicate parser and evaluator on one rule's "where".
 * A syntax error must point inside the text (or just past it), and a parsed
 * predicate must evaluate on an entry without crashing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vigie/ldap_audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ldapa_obj *fuzz_entry(ldapa_dir *dir) {
  vigie_error err;
  ldapa_obj *o = ldapa_dir_entry(dir, "CN=f,DC=x", &err);
  if (o == NULL) return NULL;
  static const char *const kv[][2] = {
      {"x", "1"}, {"x", "abc"}, {"userAccountControl", "512"}, {"enabled", "TRUE"},
      {"pwdLastSet", "133088832000000000"}, {"whenCreated", "20230101000000.0Z"},
      {"name", ""}, {"t", "-9223372036854775808"}};
  for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
    if (ldapa_obj_add_str(dir, o, kv[i][0], kv[i][1], &err) != VIGIE_OK) return NULL;
  return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 16384) return 0;
  char *text = vigie_strndup((const char *)data, size);
  ldapa_dir *dir = ldapa_dir_new();
  ldapa_obj *o = dir ? fuzz_entry(dir) : NULL;
  if (text != NULL && o != NULL) {
    ldapa_expr *e = NULL;
    size_t col = 0;
    vigie_error err;
    vigie_status st = ldapa_expr_parse(text, &e, &col, &err);
    if (st == VIGIE_ESYNTAX && (col == 0 || col > strlen(text) + 1)) abort();
    if (st == VIGIE_OK) {
      size_t n = ldapa_expr_name_count(e);
      bool *read = calloc(n + 1, 1);
      bool r;
      if (read != NULL) (void)ldapa_expr_eval(e, o, 1704067200, read, &r, &err);
      free(read);
      ldapa_expr_free(e);
    }
  }
  ldapa_dir_free(dir);
  vigie_free(text);
  return 0;
}
