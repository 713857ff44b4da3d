/* Fuzz target: the waiver file reader on a buffer (safe XML reader, schema,
 * rule ids checked against the catalogue, dates), then applying the
 * waivers to a one-finding model. A failure must carry a message naming
 * the buffer; every waiver read has a rule, an asset and a reason. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/build_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static rpt_catalogue *fz_catalogue(void) {
  static rpt_catalogue *cat; /* loaded once: the rules never change under the fuzzer */
  static bool tried;
  if (!tried) {
    tried = true;
    setenv("VIGIE_RULES_DIR", VIGIE_FUZZ_RULES, 0);
    if (rpt_catalogue_load(NULL, &cat, NULL) != VIGIE_OK) cat = NULL;
  }
  return cat;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 262144) return 0;
  rpt_report *r = rpt_model_new();
  if (!r) return 0;
  rpt_rule *rule = rpt_model_add_rule(r);
  rpt_asset *a = rule ? rpt_model_add_asset(r) : NULL;
  rpt_finding *f = a ? rpt_model_add_finding(r) : NULL;
  if (f) {
    rule->id = "EXP-SSH-001";
    a->id = "198.18.0.10:22/tcp";
    f->uid = "x";
    vigie_error err = {0};
    vigie_status st =
        rpt_waivers_read_memory(r, fz_catalogue(), (const char *)data, size, "fuzz.xml", &err);
    if (st != VIGIE_OK && st != VIGIE_ENOMEM && st != VIGIE_ENOENT &&
        strncmp(err.msg, "fuzz.xml", 8) != 0)
      abort();
    for (size_t i = 0; i < r->waiver_count; i++)
      if (!r->waivers[i].rule || !r->waivers[i].asset || !r->waivers[i].reason) abort();
    if (st == VIGIE_OK && rpt_waivers_apply(r, 1795651200, &err) == VIGIE_OK && f->waiver >= 0 &&
        (size_t)f->waiver >= r->waiver_count)
      abort();
  }
  rpt_report_free(r);
  return 0;
}
