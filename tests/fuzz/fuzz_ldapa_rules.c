/* Fuzz target: the rule-file loader on a buffer (XML reader, schema, then
 * the semantic checks and every predicate). A failure must add nothing and
 * carry a message naming the buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vigie/ldap_audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65536) return 0;
  ldapa_ruleset *rs = ldapa_ruleset_new();
  if (rs == NULL) return 0;
  vigie_error err;
  vigie_status st = ldapa_rules_load_memory(rs, (const char *)data, size, "fuzz.xml", &err);
  if (st != VIGIE_OK && st != VIGIE_ENOMEM && st != VIGIE_ENOENT) {
    if (ldapa_rules_count(rs) != 0) abort();
    if (strncmp(err.msg, "fuzz.xml", 8) != 0) abort();
  }
  for (size_t i = 0; i < ldapa_rules_count(rs); i++) {
    const ldapa_rule *r = ldapa_rules_at(rs, i);
    if (ldapa_rule_text(r, "title", "fr") == NULL || ldapa_rule_text(r, "title", "en") == NULL) abort();
  }
  for (int s = 0; s < LDAPA_SET_COUNT; s++)
    if (ldapa_rules_attrs(rs, (ldapa_set)s) == NULL) abort();
  ldapa_ruleset_free(rs);
  return 0;
}
