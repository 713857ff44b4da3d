/* The directory result (rules/directory.xsd, urn:vigie:directory:1): what
 * the report module reads back to score and explain a directory. Every
 * string that came from the directory (DNs, names, values) goes through the
 * safe writer, which cleans and escapes it; values whose bytes had to be
 * cleaned (binary SIDs, invalid UTF-8) also keep their raw bytes in base64. */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "ldap_audit/ldapa_int.h"
#include "vigie/ldap_audit.h"

#define DIR_XML_NS "urn:vigie:directory:1"

/* Stop at the first failure; every caller cleans up at its done: label. */
#define DX_TRY(expr)                   \
  do {                                 \
    status = (expr);                   \
    if (status != VIGIE_OK) goto done; \
  } while (0)

static vigie_status dx_nl(vigie_xmlw *w) { return vigie_xmlw_text(w, "\n"); }

/* A whole element with text content. */
static vigie_status dx_text_elem(vigie_xmlw *w, const char *name, const char *text) {
  vigie_status status = vigie_xmlw_start(w, name);
  if (status == VIGIE_OK) status = vigie_xmlw_text(w, text);
  if (status == VIGIE_OK) status = vigie_xmlw_end(w);
  return status;
}

static const char *dx_state_name(ldapa_read_state st) {
  switch (st) {
  case LDAPA_READ_NOT_ASKED: return "not-asked";
  case LDAPA_READ_COMPLETE: return "complete";
  case LDAPA_READ_PARTIAL: return "partial";
  case LDAPA_READ_DENIED: return "denied";
  }
  return "not-asked";
}

static vigie_status dx_sets(vigie_xmlw *w, const ldapa_dir *dir, ldapa_profile profile) {
  vigie_status status;
  DX_TRY(vigie_xmlw_start(w, "sets"));
  for (int s = 0; s < LDAPA_SET_COUNT; s++) {
    if (profile != LDAPA_PROFILE_AUTO && !ldapa_set_in_profile((ldapa_set)s, profile)) continue;
    const char *reason = NULL;
    ldapa_read_state st = ldapa_dir_read_state(dir, (ldapa_set)s, &reason);
    DX_TRY(dx_nl(w));
    DX_TRY(vigie_xmlw_start(w, "set"));
    DX_TRY(vigie_xmlw_attr(w, "name", ldapa_set_name((ldapa_set)s)));
    DX_TRY(vigie_xmlw_attr(w, "state", dx_state_name(st)));
    DX_TRY(vigie_xmlw_attrf(w, "entries", "%zu", ldapa_dir_set_size(dir, (ldapa_set)s)));
    if (reason != NULL) DX_TRY(vigie_xmlw_attr(w, "reason", reason));
    DX_TRY(vigie_xmlw_end(w));
  }
  DX_TRY(dx_nl(w));
  DX_TRY(vigie_xmlw_end(w));
done:
  return status;
}

static vigie_status dx_level(vigie_xmlw *w, const ldapa_results *results) {
  vigie_status status;
  ldapa_level lv = ldapa_level_compute(results);
  DX_TRY(vigie_xmlw_start(w, "level"));
  DX_TRY(vigie_xmlw_attrf(w, "value", "%d", lv.level));
  DX_TRY(vigie_xmlw_attrf(w, "points-evaluated", "%zu", lv.points_evaluated));
  DX_TRY(vigie_xmlw_attrf(w, "points-total", "%zu", lv.points_total));
  for (size_t i = 0; lv.level < 5 && i < ldapa_results_count(results); i++) {
    const ldapa_result *r = ldapa_results_at(results, i);
    if (!ldapa_result_holds_level(r, lv.level)) continue;
    DX_TRY(dx_nl(w));
    DX_TRY(vigie_xmlw_start(w, "holder"));
    DX_TRY(vigie_xmlw_attr(w, "rule", ldapa_rule_id(ldapa_result_rule(r))));
    DX_TRY(vigie_xmlw_end(w));
  }
  if (lv.level < 5) DX_TRY(dx_nl(w));
  DX_TRY(vigie_xmlw_end(w));
done:
  return status;
}

static vigie_status dx_fault(vigie_xmlw *w, const ldapa_fault *f) {
  vigie_status status;
  DX_TRY(vigie_xmlw_start(w, "fault"));
  DX_TRY(vigie_xmlw_attr(w, "dn", ldapa_fault_dn(f)));
  if (ldapa_fault_name(f) != NULL) DX_TRY(vigie_xmlw_attr(w, "name", ldapa_fault_name(f)));
  for (size_t i = 0; i < ldapa_fault_evidence_count(f); i++) {
    const ldapa_value *v;
    size_t n, total;
    const char *attr = ldapa_fault_evidence(f, i, &v, &n, &total);
    DX_TRY(vigie_xmlw_start(w, "attr"));
    DX_TRY(vigie_xmlw_attr(w, "name", attr));
    DX_TRY(vigie_xmlw_attrf(w, "total", "%zu", total));
    for (size_t k = 0; k < n; k++) DX_TRY(vigie_xmlw_element_bytes(w, "value", v[k].data, v[k].len));
    DX_TRY(vigie_xmlw_end(w));
  }
  DX_TRY(vigie_xmlw_end(w));
done:
  return status;
}

static vigie_status dx_check(vigie_xmlw *w, const ldapa_result *r, size_t i) {
  vigie_status status;
  ldapa_check_outcome c;
  if (!ldapa_result_check(r, i, &c)) return VIGIE_EINVAL;
  DX_TRY(vigie_xmlw_start(w, "check"));
  DX_TRY(vigie_xmlw_attrf(w, "index", "%zu", c.index));
  DX_TRY(vigie_xmlw_attr(w, "objects", ldapa_set_name(c.set)));
  DX_TRY(vigie_xmlw_attr(w, "outcome", ldapa_outcome_name(c.outcome)));
  DX_TRY(vigie_xmlw_attr(w, "severity", ldapa_severity_name(c.severity)));
  if (c.level > 0) DX_TRY(vigie_xmlw_attrf(w, "level", "%d", c.level));
  DX_TRY(vigie_xmlw_attr(w, "threshold", c.threshold));
  DX_TRY(vigie_xmlw_attrf(w, "at-fault", "%zu", c.at_fault));
  DX_TRY(vigie_xmlw_attrf(w, "considered", "%zu", c.considered));
  DX_TRY(vigie_xmlw_attrf(w, "faults-kept", "%zu", c.faults_kept));
  if (c.where != NULL) DX_TRY(dx_text_elem(w, "where", c.where));
  if (c.reason != NULL) DX_TRY(dx_text_elem(w, "reason", c.reason));
  for (size_t j = 0; j < c.faults_kept; j++) {
    DX_TRY(dx_nl(w));
    DX_TRY(dx_fault(w, ldapa_result_fault(r, i, j)));
  }
  DX_TRY(vigie_xmlw_end(w));
done:
  return status;
}

static vigie_status dx_result(vigie_xmlw *w, const ldapa_result *r) {
  vigie_status status;
  const ldapa_rule *rule = ldapa_result_rule(r);
  DX_TRY(vigie_xmlw_start(w, "result"));
  DX_TRY(vigie_xmlw_attr(w, "id", ldapa_rule_id(rule)));
  DX_TRY(vigie_xmlw_attr(w, "outcome", ldapa_outcome_name(ldapa_result_outcome(r))));
  DX_TRY(vigie_xmlw_attr(w, "severity", ldapa_severity_name(ldapa_rule_severity(rule))));
  DX_TRY(vigie_xmlw_attr(w, "category", ldapa_rule_category(rule)));
  if (ldapa_rule_anssi(rule) != NULL) DX_TRY(vigie_xmlw_attr(w, "anssi", ldapa_rule_anssi(rule)));
  static const char *const langs[] = {"fr", "en"};
  for (int l = 0; l < 2; l++) {
    DX_TRY(dx_nl(w));
    DX_TRY(vigie_xmlw_start(w, "title"));
    DX_TRY(vigie_xmlw_attr(w, "lang", langs[l]));
    DX_TRY(vigie_xmlw_text(w, ldapa_rule_text(rule, "title", langs[l])));
    DX_TRY(vigie_xmlw_end(w));
  }
  if (ldapa_result_reason(r) != NULL) {
    DX_TRY(dx_nl(w));
    DX_TRY(dx_text_elem(w, "reason", ldapa_result_reason(r)));
  }
  for (size_t i = 0; i < ldapa_result_check_count(r); i++) {
    DX_TRY(dx_nl(w));
    DX_TRY(dx_check(w, r, i));
  }
  DX_TRY(dx_nl(w));
  DX_TRY(vigie_xmlw_end(w));
done:
  return status;
}

static vigie_status dx_header(vigie_xmlw *w, const ldapa_results *results, const char *url,
                              const char *base) {
  vigie_status status;
  char when[32];
  time_t t = ldapa_results_time(results);
  struct tm tm;
  if (gmtime_r(&t, &tm) == NULL || strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    return VIGIE_ERANGE;
  DX_TRY(vigie_xmlw_declaration(w));
  DX_TRY(vigie_xmlw_start(w, "directory"));
  DX_TRY(vigie_xmlw_attr(w, "xmlns", DIR_XML_NS));
  DX_TRY(vigie_xmlw_attr(w, "profile", ldapa_profile_name(ldapa_results_profile(results))));
  DX_TRY(vigie_xmlw_attr(w, "collected", when));
  DX_TRY(dx_nl(w));
  DX_TRY(vigie_xmlw_start(w, "tool"));
  DX_TRY(vigie_xmlw_attr(w, "name", "vigie"));
  DX_TRY(vigie_xmlw_attr(w, "version", VIGIE_VERSION_STRING));
  DX_TRY(vigie_xmlw_end(w));
  DX_TRY(dx_nl(w));
  if (url != NULL && *url != '\0') {
    DX_TRY(vigie_xmlw_start(w, "target"));
    DX_TRY(vigie_xmlw_attr(w, "url", url));
    if (base != NULL) DX_TRY(vigie_xmlw_attr(w, "base", base));
    DX_TRY(vigie_xmlw_end(w));
    DX_TRY(dx_nl(w));
  }
done:
  return status;
}

vigie_status ldapa_output_xml(const ldapa_results *results, const ldapa_dir *dir, FILE *out,
                              vigie_error *err) {
  return ldapa_output_xml_target(results, dir, NULL, NULL, out, err);
}

vigie_status ldapa_output_xml_target(const ldapa_results *results, const ldapa_dir *dir,
                                     const char *url, const char *base, FILE *out,
                                     vigie_error *err) {
  if (results == NULL || dir == NULL || out == NULL)
    return vigie_fail(err, VIGIE_EINVAL, "ldapa_output_xml: bad argument");
  vigie_xmlw *w = vigie_xmlw_new(out);
  if (w == NULL) return vigie_fail(err, VIGIE_ENOMEM, "directory result: out of memory");
  vigie_status status;
  DX_TRY(dx_header(w, results, url, base));
  DX_TRY(dx_sets(w, dir, ldapa_results_profile(results)));
  DX_TRY(dx_nl(w));
  DX_TRY(dx_level(w, results));
  DX_TRY(dx_nl(w));
  DX_TRY(vigie_xmlw_start(w, "results"));
  for (size_t i = 0; i < ldapa_results_count(results); i++) {
    DX_TRY(dx_nl(w));
    DX_TRY(dx_result(w, ldapa_results_at(results, i)));
  }
  DX_TRY(dx_nl(w));
  DX_TRY(vigie_xmlw_end(w));
  DX_TRY(dx_nl(w));
  DX_TRY(vigie_xmlw_finish(w));
done:
  vigie_xmlw_free(w);
  if (status != VIGIE_OK)
    return vigie_fail(err, status, "directory result: cannot write: %s", vigie_strerror(status));
  return VIGIE_OK;
}
