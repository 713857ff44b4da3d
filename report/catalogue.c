/* The rule catalogue: every rule of rules/exposure, rules/ad and
 * rules/openldap, loaded with the scanner's and the auditor's own loaders
 * and held as rpt_rule values, so findings join their texts by id. The
 * rules live in a private rpt_report, which gives the arena and the id
 * lookup for free. */
#include <string.h>

#include "report/build_int.h"
#include "vigie/ldap_audit.h"
#include "vigie/scanner.h"

typedef struct cat_names {
  const char **names;
  size_t n;
} cat_names;

struct rpt_catalogue {
  rpt_report *rules;  /* rules and strings; never finished, so indices hold */
  cat_names *names;   /* per rule index: what its predicate reads */
  size_t names_cap;
};

void rpt_catalogue_free(rpt_catalogue *cat) {
  if (!cat) return;
  rpt_report_free(cat->rules);
  vigie_free(cat->names);
  vigie_free(cat);
}

static rpt_severity sev_of_scan(scan_severity s) {
  return s >= SCAN_SEV_CRITICAL ? RPT_SEV_CRITICAL : (rpt_severity)(RPT_SEV_INFO - (int)s);
}

static rpt_severity sev_of_ldapa(ldapa_severity s) {
  return s >= LDAPA_SEV_CRITICAL ? RPT_SEV_CRITICAL : (rpt_severity)(RPT_SEV_INFO - (int)s);
}

/* The names an exposure predicate reads, parsed once per rule. */
static bool cat_names_of(rpt_catalogue *cat, size_t index, const char *where) {
  size_t need = index + 1;
  while (cat->names_cap < need) {
    size_t old = cat->names_cap;
    if (!vigie_grow((void **)&cat->names, old, &cat->names_cap, sizeof *cat->names)) return false;
    memset(cat->names + old, 0, (cat->names_cap - old) * sizeof *cat->names);
  }
  vigie_expr *e = NULL;
  if (!where || vigie_expr_parse(where, &e, NULL, NULL) != VIGIE_OK) return true;
  size_t n = vigie_expr_name_count(e);
  const char **v = rpt_model_alloc(cat->rules, (n ? n : 1) * sizeof *v);
  bool ok = v != NULL;
  for (size_t i = 0; ok && i < n; i++) ok = (v[i] = rpt_model_str(cat->rules, vigie_expr_name_at(e, i)));
  vigie_expr_free(e);
  cat->names[index] = (cat_names){v, ok ? n : 0};
  return ok;
}

static bool cat_refs(rpt_report *r, rpt_rule *rule, size_t n, const char *(*at)(const void *, size_t, const char **),
                     const void *src) {
  rpt_reference *refs = n ? rpt_model_alloc(r, n * sizeof *refs) : NULL;
  if (n && !refs) return false;
  for (size_t i = 0; i < n; i++) {
    const char *href = NULL;
    const char *label = at(src, i, &href);
    refs[i].label = rpt_model_str(r, label ? label : "");
    refs[i].href = rpt_model_str(r, href);
    if (!refs[i].label || (href && !refs[i].href)) return false;
  }
  rule->refs = refs;
  rule->ref_count = n;
  return true;
}

static const char *scan_ref_at(const void *rule, size_t i, const char **href) {
  const char *kind = NULL;
  return scan_exposure_rule_reference_at(rule, i, &kind, href);
}

static const char *ldapa_ref_at(const void *rule, size_t i, const char **href) {
  return ldapa_rule_reference_at(rule, i, href);
}

typedef const char *(*cat_text_fn)(const void *rule, const char *field, const char *lang);

static const char *scan_text(const void *rule, const char *field, const char *lang) {
  return scan_exposure_rule_text(rule, field, lang);
}

static const char *ldapa_text(const void *rule, const char *field, const char *lang) {
  return ldapa_rule_text(rule, field, lang);
}

/* Copy one field in both languages; a text the rule lacks stays NULL. */
static bool cat_text(rpt_report *r, rpt_text *dst, cat_text_fn get, const void *src,
                     const char *field) {
  const char *fr = get(src, field, "fr"), *en = get(src, field, "en");
  dst->fr = rpt_model_str(r, fr);
  dst->en = rpt_model_str(r, en);
  return !(fr && !dst->fr) && !(en && !dst->en);
}

static bool cat_add_exposure(rpt_catalogue *cat, const rpt_levels *lv, const scan_exposure_rule *x) {
  rpt_report *r = cat->rules;
  if (rpt_model_find_rule(r, scan_exposure_rule_id(x)) >= 0) return true;
  rpt_rule *rule = rpt_model_add_rule(r);
  if (!rule) return false;
  size_t index = r->rule_count - 1;
  rule->id = rpt_model_str(r, scan_exposure_rule_id(x));
  rule->source = RPT_SRC_EXPOSURE;
  rule->severity = sev_of_scan(scan_exposure_rule_severity(x));
  rule->category = rpt_model_str(r, scan_exposure_rule_category(x));
  rule->level = lv ? rpt_levels_exposure_cap(lv, rule->id, rule->category, rule->severity) : 0;
  if (!rule->id || !rule->category || !cat_text(r, &rule->title, scan_text, x, "title") ||
      !cat_text(r, &rule->description, scan_text, x, "description") ||
      !cat_text(r, &rule->remediation, scan_text, x, "remediation") ||
      !cat_refs(r, rule, scan_exposure_rule_reference_count(x), scan_ref_at, x))
    return false;
  return cat_names_of(cat, index, scan_exposure_rule_where(x));
}

static bool cat_add_directory(rpt_catalogue *cat, const ldapa_rule *d) {
  rpt_report *r = cat->rules;
  if (rpt_model_find_rule(r, ldapa_rule_id(d)) >= 0) return true;
  rpt_rule *rule = rpt_model_add_rule(r);
  if (!rule) return false;
  rule->id = rpt_model_str(r, ldapa_rule_id(d));
  rule->source = RPT_SRC_DIRECTORY;
  rule->severity = sev_of_ldapa(ldapa_rule_severity(d));
  rule->category = rpt_model_str(r, ldapa_rule_category(d));
  rule->anssi = rpt_model_str(r, ldapa_rule_anssi(d));
  rule->level = ldapa_rule_level(d);
  if (!rule->id || !rule->category || (ldapa_rule_anssi(d) && !rule->anssi) ||
      !cat_text(r, &rule->title, ldapa_text, d, "title") ||
      !cat_text(r, &rule->description, ldapa_text, d, "description") ||
      !cat_text(r, &rule->rationale, ldapa_text, d, "rationale") ||
      !cat_text(r, &rule->remediation, ldapa_text, d, "remediation"))
    return false;
  return cat_refs(r, rule, ldapa_rule_reference_count(d), ldapa_ref_at, d);
}

static vigie_status cat_load_exposure(rpt_catalogue *cat, const rpt_levels *lv, vigie_error *err) {
  char *dir = vigie_data_path("exposure", err);
  if (!dir) return err ? err->status : VIGIE_ENOENT;
  scan_exposure_rules *x = scan_exposure_rules_new();
  vigie_status status = x ? scan_exposure_load_dir(x, dir, err) : VIGIE_ENOMEM;
  for (size_t i = 0; status == VIGIE_OK && i < scan_exposure_count(x); i++)
    if (!cat_add_exposure(cat, lv, scan_exposure_at(x, i))) status = VIGIE_ENOMEM;
  scan_exposure_rules_free(x);
  vigie_free(dir);
  return status;
}

static vigie_status cat_load_directory(rpt_catalogue *cat, const char *sub, vigie_error *err) {
  char *dir = vigie_data_path(sub, err);
  if (!dir) return err ? err->status : VIGIE_ENOENT;
  ldapa_ruleset *d = ldapa_ruleset_new();
  vigie_status status = d ? ldapa_rules_load_dir(d, dir, err) : VIGIE_ENOMEM;
  for (size_t i = 0; status == VIGIE_OK && i < ldapa_rules_count(d); i++)
    if (!cat_add_directory(cat, ldapa_rules_at(d, i))) status = VIGIE_ENOMEM;
  ldapa_ruleset_free(d);
  vigie_free(dir);
  return status;
}

vigie_status rpt_catalogue_load(const rpt_levels *lv, rpt_catalogue **out, vigie_error *err) {
  rpt_catalogue *cat = vigie_calloc(1, sizeof *cat);
  if (cat && !(cat->rules = rpt_model_new())) {
    vigie_free(cat);
    cat = NULL;
  }
  if (!cat) return vigie_fail(err, VIGIE_ENOMEM, "rule catalogue: out of memory");
  vigie_status status = cat_load_exposure(cat, lv, err);
  if (status == VIGIE_OK) status = cat_load_directory(cat, "ad", err);
  if (status == VIGIE_OK) status = cat_load_directory(cat, "openldap", err);
  if (status == VIGIE_ENOMEM) vigie_fail(err, status, "rule catalogue: out of memory");
  if (status != VIGIE_OK) {
    rpt_catalogue_free(cat);
    return status;
  }
  *out = cat;
  return VIGIE_OK;
}

const rpt_rule *rpt_catalogue_find(const rpt_catalogue *cat, const char *id) {
  if (!cat || !id) return NULL;
  long i = rpt_model_find_rule(cat->rules, id);
  return i < 0 ? NULL : &cat->rules->rules[i];
}

size_t rpt_catalogue_names(const rpt_catalogue *cat, const char *id, const char *const **names) {
  long i = cat && id ? rpt_model_find_rule(cat->rules, id) : -1;
  if (i < 0 || (size_t)i >= cat->names_cap) return 0;
  *names = cat->names[i].names;
  return cat->names[i].n;
}
