/* Fuzz target: the exposure rule loader on a buffer (XML reader, schema,
 * the semantic checks and every predicate), then every loaded rule on a
 * port with facts and on one without. A failure must add nothing and carry
 * a message naming the buffer; a loaded rule has both titles. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vigie/scanner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fz_eval(const scan_exposure_rules *rules, const scan_facts *facts) {
  vigie_addr a = {.family = AF_INET, .v4 = 0xC6120010u}; /* 198.18.0.16 */
  scan_findings *out = scan_findings_new();
  vigie_error err;
  if (out == NULL) return;
  (void)scan_exposure_eval(rules, facts, &a, 3389, 1704067200, out, &err);
  if (scan_findings_count(out) > scan_exposure_count(rules)) abort(); /* one per rule at most */
  scan_findings_free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65536) return 0;
  scan_exposure_rules *rules = scan_exposure_rules_new();
  scan_facts *facts = scan_facts_new();
  if (rules == NULL || facts == NULL) goto done;
  vigie_error err;
  vigie_status st = scan_exposure_load_memory(rules, (const char *)data, size, "fuzz.xml", &err);
  if (st != VIGIE_OK && st != VIGIE_ENOMEM && st != VIGIE_ENOENT) {
    if (scan_exposure_count(rules) != 0) abort();
    if (strncmp(err.msg, "fuzz.xml", 8) != 0) abort();
  }
  for (size_t i = 0; i < scan_exposure_count(rules); i++) {
    const scan_exposure_rule *r = scan_exposure_at(rules, i);
    if (scan_exposure_rule_text(r, "title", "fr") == NULL ||
        scan_exposure_rule_text(r, "title", "en") == NULL)
      abort();
  }
  if (scan_facts_add_str(facts, "service", "rdp") != VIGIE_OK ||
      scan_facts_add_str(facts, "rdp.nla_required", "false") != VIGIE_OK ||
      scan_facts_add_str(facts, "version", "10.0.17763") != VIGIE_OK)
    goto done;
  fz_eval(rules, facts);
  fz_eval(rules, NULL);
done:
  scan_facts_free(facts);
  scan_exposure_rules_free(rules);
  return 0;
}
