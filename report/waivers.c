/* Waivers: accepted risks read from an XML file (rules/waivers.xsd). A
 * waived finding stays listed; it stops counting until its waiver expires
 * at the end of the day it names (UTC). Errors name FILE:LINE. */
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#include "report/build_int.h"

static vigie_status wv_one(rpt_report *r, const rpt_catalogue *cat, const char *name,
                           const xmlNode *n, vigie_error *err) {
  const char *rule = rpt_in_attr(n, "rule"), *expires = rpt_in_attr(n, "expires");
  int line = vigie_xml_line(n);
  if (cat && !rpt_catalogue_find(cat, rule))
    return vigie_fail(err, VIGIE_ESYNTAX, "%s:%d: waiver for unknown rule \"%s\"", name, line, rule);
  time_t day;
  if (!rpt_parse_date(expires, &day) || strlen(expires) != 10)
    return vigie_fail(err, VIGIE_ESYNTAX, "%s:%d: expires=\"%s\" is not a date (YYYY-MM-DD)",
                      name, line, expires);
  rpt_waiver *w = rpt_model_add_waiver(r);
  if (!w) return vigie_fail(err, VIGIE_ENOMEM, "%s: out of memory", name);
  w->rule = rpt_model_str(r, rule);
  w->asset = rpt_model_str(r, rpt_in_attr(n, "asset"));
  w->author = rpt_model_str(r, rpt_in_attr(n, "author"));
  w->reason = rpt_in_text(r, rpt_in_child(n, "reason"));
  w->expires = day + 86399; /* the last second of that day */
  if (!w->rule || !w->asset || !w->author || !w->reason)
    return vigie_fail(err, VIGIE_ENOMEM, "%s: out of memory", name);
  return VIGIE_OK;
}

static vigie_status wv_doc(rpt_report *r, const rpt_catalogue *cat, const char *name, xmlDoc *doc,
                           vigie_error *err) {
  vigie_status status = VIGIE_OK;
  for (const xmlNode *n = xmlDocGetRootElement(doc)->children; n && status == VIGIE_OK; n = n->next)
    if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, "waiver") == 0)
      status = wv_one(r, cat, name, n, err);
  return status;
}

vigie_status rpt_waivers_read(rpt_report *r, const rpt_catalogue *cat, const char *path,
                              vigie_error *err) {
  char *xsd = vigie_data_path("waivers.xsd", err);
  if (!xsd) return err ? err->status : VIGIE_ENOENT;
  xmlDoc *doc = NULL;
  vigie_status status = vigie_xml_read_file(path, 4u << 20, xsd, &doc, err);
  if (status == VIGIE_OK) status = wv_doc(r, cat, path, doc, err);
  vigie_xml_doc_free(doc);
  vigie_free(xsd);
  return status;
}

vigie_status rpt_waivers_read_memory(rpt_report *r, const rpt_catalogue *cat, const char *data,
                                     size_t len, const char *name, vigie_error *err) {
  char *xsd = vigie_data_path("waivers.xsd", err);
  if (!xsd) return err ? err->status : VIGIE_ENOENT;
  xmlDoc *doc = NULL;
  vigie_status status = vigie_xml_read_memory(data, len, name, xsd, &doc, err);
  if (status == VIGIE_OK) status = wv_doc(r, cat, name, doc, err);
  vigie_xml_doc_free(doc);
  vigie_free(xsd);
  return status;
}

/* Waiver indices sorted by rule id, so each finding finds its candidates
 * by binary search rather than a scan of every waiver. */
static int cmp_by_rule(const void *a, const void *b, void *ctx) {
  const rpt_waiver *w = ctx;
  return strcmp(w[*(const size_t *)a].rule, w[*(const size_t *)b].rule);
}

/* Rank of waiver w for a finding on asset: 0 none, else higher is better
 * (asset-specific over "*", live over expired). */
static int wv_rank(const rpt_waiver *w, const char *asset) {
  bool exact = strcmp(w->asset, asset) == 0;
  if (!exact && strcmp(w->asset, "*") != 0) return 0;
  return 1 + (exact ? 2 : 0) + (w->expired ? 0 : 1);
}

static long wv_best(const rpt_waiver *w, const size_t *order, size_t n, const char *rule,
                    const char *asset) {
  size_t lo = 0, hi = n;
  while (lo < hi) { /* first waiver whose rule >= rule */
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(w[order[mid]].rule, rule) < 0) lo = mid + 1;
    else hi = mid;
  }
  long best = -1;
  int best_rank = 0;
  for (size_t i = lo; i < n && strcmp(w[order[i]].rule, rule) == 0; i++) {
    int rank = wv_rank(&w[order[i]], asset);
    if (rank > best_rank) best_rank = rank, best = (long)order[i];
  }
  return best;
}

vigie_status rpt_waivers_apply(rpt_report *r, time_t now, vigie_error *err) {
  rpt_waiver *w = rpt_model_waivers(r);
  size_t n = r->waiver_count;
  if (!n) return VIGIE_OK;
  size_t *order = vigie_malloc(n * sizeof *order);
  for (size_t i = 0; i < n; i++) {
    w[i].expired = w[i].expires < now;
    w[i].uses = 0;
    if (order) order[i] = i;
  }
  if (!order) return vigie_fail(err, VIGIE_ENOMEM, "waivers: out of memory");
  qsort_r(order, n, sizeof *order, cmp_by_rule, w);
  rpt_finding *f = rpt_model_findings(r);
  for (size_t i = 0; i < r->finding_count; i++) {
    if (f[i].trend == RPT_TREND_FIXED) continue;
    long best = wv_best(w, order, n, r->rules[f[i].rule].id, r->assets[f[i].asset].id);
    f[i].waiver = best;
    f[i].waived = best >= 0 && !w[best].expired;
    if (best >= 0) w[best].uses++;
  }
  vigie_free(order);
  return VIGIE_OK;
}
