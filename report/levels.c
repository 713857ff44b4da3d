/* rules/levels.xml: the exposure level each severity, category or rule caps
 * at, and the score's weights. Data, so a CRRC can tune them without a
 * rebuild; doc/report-scoring.md explains them. */
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#include "report/build_int.h"

typedef struct lv_override {
  char *key; /* category name or rule id */
  int level;
} lv_override;

struct rpt_levels {
  int sev_cap[RPT_SEV_COUNT];
  unsigned weight[RPT_SEV_COUNT];
  lv_override *cats, *rules;
  size_t ncats, nrules, cats_cap, rules_cap;
};

static const int default_caps[RPT_SEV_COUNT] = {1, 2, 3, 4, 5};
static const unsigned default_weights[RPT_SEV_COUNT] = {40, 15, 5, 1, 0};

void rpt_levels_free(rpt_levels *lv) {
  if (!lv) return;
  for (size_t i = 0; i < lv->ncats; i++) vigie_free(lv->cats[i].key);
  for (size_t i = 0; i < lv->nrules; i++) vigie_free(lv->rules[i].key);
  vigie_free(lv->cats);
  vigie_free(lv->rules);
  vigie_free(lv);
}

static bool lv_push(lv_override **v, size_t *n, size_t *cap, char *key, int level) {
  if (*n == *cap && !vigie_grow((void **)v, *n, cap, sizeof **v)) return false;
  (*v)[(*n)++] = (lv_override){key, level};
  return true;
}

/* One child of <exposure> or <weights>; the XSD checked names and ranges. */
static bool lv_child(rpt_levels *lv, const xmlNode *n, bool *nomem) {
  char *sev = vigie_xml_attr_dup(n, "severity", nomem);
  char *lvl = vigie_xml_attr_dup(n, "level", nomem);
  char *pts = vigie_xml_attr_dup(n, "points", nomem);
  char *key = vigie_xml_is(n, "category") ? vigie_xml_attr_dup(n, "name", nomem)
              : vigie_xml_is(n, "rule")   ? vigie_xml_attr_dup(n, "id", nomem)
                                          : NULL;
  rpt_severity s = RPT_SEV_INFO;
  bool ok = !*nomem;
  int level = lvl ? (int)strtol(lvl, NULL, 10) : 0;
  if (ok && vigie_xml_is(n, "severity") && rpt_severity_parse(sev, &s)) lv->sev_cap[s] = level;
  if (ok && vigie_xml_is(n, "weight") && rpt_severity_parse(sev, &s))
    lv->weight[s] = (unsigned)strtoul(pts, NULL, 10);
  if (ok && key) {
    ok = vigie_xml_is(n, "category") ? lv_push(&lv->cats, &lv->ncats, &lv->cats_cap, key, level)
                                     : lv_push(&lv->rules, &lv->nrules, &lv->rules_cap, key, level);
    if (ok) key = NULL; /* now owned by lv */
  }
  if (!ok) *nomem = true;
  vigie_free(sev);
  vigie_free(lvl);
  vigie_free(pts);
  vigie_free(key);
  return ok;
}

vigie_status rpt_levels_load(const char *path, rpt_levels **out, vigie_error *err) {
  char *def = NULL, *xsd = vigie_data_path("levels.xsd", err);
  if (!xsd) return err ? err->status : VIGIE_ENOENT;
  if (!path && !(path = def = vigie_data_path("levels.xml", err))) {
    vigie_free(xsd);
    return err ? err->status : VIGIE_ENOENT;
  }
  xmlDoc *doc = NULL;
  rpt_levels *lv = NULL;
  vigie_status status = vigie_xml_read_file(path, 1u << 20, xsd, &doc, err);
  if (status != VIGIE_OK) goto done;
  status = VIGIE_ENOMEM;
  if (!(lv = vigie_calloc(1, sizeof *lv))) goto done;
  memcpy(lv->sev_cap, default_caps, sizeof lv->sev_cap);
  memcpy(lv->weight, default_weights, sizeof lv->weight);
  bool nomem = false;
  for (xmlNode *sec = xmlDocGetRootElement(doc)->children; sec; sec = sec->next)
    for (xmlNode *n = sec->type == XML_ELEMENT_NODE ? sec->children : NULL; n; n = n->next)
      if (n->type == XML_ELEMENT_NODE && !lv_child(lv, n, &nomem)) goto done;
  status = VIGIE_OK;
  *out = lv;
  lv = NULL;
done:
  if (status == VIGIE_ENOMEM) vigie_fail(err, status, "%s: out of memory", path);
  rpt_levels_free(lv);
  vigie_xml_doc_free(doc);
  vigie_free(def);
  vigie_free(xsd);
  return status;
}

static int lv_find(const lv_override *v, size_t n, const char *key) {
  for (size_t i = 0; key && i < n; i++)
    if (strcmp(v[i].key, key) == 0) return v[i].level;
  return 0;
}

int rpt_levels_exposure_cap(const rpt_levels *lv, const char *rule_id, const char *category,
                            rpt_severity sev) {
  if (sev >= RPT_SEV_COUNT) sev = RPT_SEV_INFO;
  if (!lv) return default_caps[sev];
  int l = lv_find(lv->rules, lv->nrules, rule_id);
  if (!l) l = lv_find(lv->cats, lv->ncats, category);
  return l ? l : lv->sev_cap[sev];
}

unsigned rpt_levels_weight(const rpt_levels *lv, rpt_severity sev) {
  if (sev >= RPT_SEV_COUNT) return 0;
  return lv ? lv->weight[sev] : default_weights[sev];
}
