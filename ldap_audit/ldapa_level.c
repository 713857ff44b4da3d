/* The ANSSI-style level of a directory (1 to 5) from rule results: the
 * lowest level any failed check is mapped to, 5 when none failed, and the
 * coverage that says how much of the control-point list that rests on: the
 * distinct control points (vuln_*) with a pass or fail outcome over those
 * of every rule evaluated. An error or not-evaluated point does not lower
 * the level, it lowers the coverage. */
#include <string.h>

#include "ldap_audit/ldapa_int.h"
#include "vigie/ldap_audit.h"

/* Whether the control point of results->items[i] already appeared before i
 * (with a decided outcome, when decided is set). Quadratic, but a rule set
 * holds a few hundred rules at most. */
static bool lv_seen_before(const ldapa_results *results, size_t i, bool decided) {
  const char *id = results->items[i].rule->anssi;
  for (size_t k = 0; k < i; k++) {
    const ldapa_result *r = &results->items[k];
    if (r->rule->anssi == NULL || strcmp(r->rule->anssi, id) != 0) continue;
    if (!decided || r->outcome == LDAPA_PASS || r->outcome == LDAPA_FAIL) return true;
  }
  return false;
}

static bool lv_decided(ldapa_outcome o) { return o == LDAPA_PASS || o == LDAPA_FAIL; }

ldapa_level ldapa_level_compute(const ldapa_results *results) {
  ldapa_level lv = {.level = 5};
  for (size_t i = 0; results != NULL && i < results->n; i++) {
    const ldapa_result *r = &results->items[i];
    for (size_t c = 0; c < r->nchecks; c++) {
      int l = r->checks[c].check->level;
      if (r->checks[c].outcome == LDAPA_FAIL && l > 0 && l < lv.level) lv.level = l;
    }
    if (r->rule->anssi == NULL) continue;
    if (!lv_seen_before(results, i, false)) lv.points_total++;
    if (lv_decided(r->outcome) && !lv_seen_before(results, i, true)) lv.points_evaluated++;
  }
  return lv;
}
