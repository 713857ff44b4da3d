/* Copies of rules and assets into a report's arena: a finding's rule
 * joined from the catalogue, and the rules and assets of a previous
 * report's fixed findings. */
#include <string.h>

#include "report/build_int.h"

static bool copy_text(rpt_report *r, rpt_text *dst, const rpt_text *src) {
  dst->fr = rpt_model_str(r, src->fr);
  dst->en = rpt_model_str(r, src->en);
  return !(src->fr && !dst->fr) && !(src->en && !dst->en);
}

/* Fill dst (a new element of r) from src, every string copied. */
static bool copy_rule_into(rpt_report *r, rpt_rule *dst, const rpt_rule *src) {
  *dst = *src;
  dst->id = rpt_model_str(r, src->id);
  dst->category = rpt_model_str(r, src->category);
  dst->anssi = rpt_model_str(r, src->anssi);
  rpt_reference *refs = rpt_model_dup(r, src->refs, src->ref_count, sizeof *refs);
  dst->refs = refs;
  if (!dst->id || (src->category && !dst->category) || (src->anssi && !dst->anssi) ||
      (src->ref_count && !refs))
    return false;
  for (size_t i = 0; i < src->ref_count; i++) {
    refs[i].label = rpt_model_str(r, src->refs[i].label);
    refs[i].href = rpt_model_str(r, src->refs[i].href);
    if ((src->refs[i].label && !refs[i].label) || (src->refs[i].href && !refs[i].href))
      return false;
  }
  return copy_text(r, &dst->title, &src->title) &&
         copy_text(r, &dst->description, &src->description) &&
         copy_text(r, &dst->rationale, &src->rationale) &&
         copy_text(r, &dst->remediation, &src->remediation);
}

long rpt_rule_copy(rpt_report *r, const rpt_rule *rule) {
  long i = rpt_model_find_rule(r, rule->id);
  if (i >= 0) return i;
  rpt_rule *dst = rpt_model_add_rule(r);
  if (!dst || !copy_rule_into(r, dst, rule)) return -1;
  return (long)r->rule_count - 1;
}

long rpt_rule_join(rpt_report *r, const rpt_catalogue *cat, const char *id, rpt_source source,
                   rpt_severity sev, const char *title_fr, const char *title_en) {
  long i = rpt_model_find_rule(r, id);
  if (i >= 0) return i;
  const rpt_rule *known = rpt_catalogue_find(cat, id);
  rpt_rule *dst = rpt_model_add_rule(r);
  if (!dst) return -1;
  if (known) {
    if (!copy_rule_into(r, dst, known)) return -1;
    dst->severity = sev; /* as evaluated: a rule's checks may differ */
  } else {
    /* A rule the installed catalogue lacks (older rules/): keep what the
     * result says, so the finding is still shown. */
    dst->id = rpt_model_str(r, id);
    dst->source = source;
    dst->severity = sev;
    dst->title.fr = rpt_model_str(r, title_fr);
    dst->title.en = rpt_model_str(r, title_en);
    if (!dst->id || (title_fr && !dst->title.fr) || (title_en && !dst->title.en)) return -1;
  }
  return (long)r->rule_count - 1;
}

long rpt_asset_copy(rpt_report *r, const rpt_asset *a) {
  long i = rpt_model_find_asset(r, a->id);
  if (i >= 0) return i;
  rpt_asset *d = rpt_model_add_asset(r);
  if (!d) return -1;
  *d = *a;
  const char **names = rpt_model_dup(r, a->hostnames, a->hostname_count, sizeof *names);
  rpt_fact *facts = rpt_model_dup(r, a->facts, a->fact_count, sizeof *facts);
  d->hostnames = names;
  d->facts = facts;
  if ((a->hostname_count && !names) || (a->fact_count && !facts)) return -1;
  bool ok = true;
  for (size_t k = 0; k < a->hostname_count; k++) ok &= (names[k] = rpt_model_str(r, a->hostnames[k])) != NULL;
  for (size_t k = 0; k < a->fact_count; k++) {
    facts[k].name = rpt_model_str(r, a->facts[k].name);
    facts[k].value = rpt_model_str(r, a->facts[k].value);
    ok &= facts[k].name != NULL && facts[k].value != NULL;
  }
  const char *const src[] = {a->id, a->address, a->service, a->product, a->version,
                             a->profile, a->dir_server, a->dir_base};
  const char **dst[] = {&d->id, &d->address, &d->service, &d->product, &d->version,
                        &d->profile, &d->dir_server, &d->dir_base};
  for (size_t k = 0; k < sizeof src / sizeof src[0]; k++) {
    *dst[k] = rpt_model_str(r, src[k]);
    ok &= !(src[k] && !*dst[k]);
  }
  return ok ? (long)r->asset_count - 1 : -1;
}
