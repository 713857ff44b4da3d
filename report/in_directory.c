/* A directory result (directory.xml, rules/directory.xsd) into the report:
 * one input, the directory asset, one finding per failed rule with the
 * entries at fault, and a gap line for what could not be tested (rules not
 * evaluated or in error, object sets read partially or denied). */
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report/build_int.h"

#define OBJECT_EVIDENCE_MAX 1024 /* one entry's line; the values are in directory.xml */
#define FINDING_EVIDENCE_MAX 512

typedef struct dir_ctx {
  rpt_report *r;
  const rpt_catalogue *cat;
  const char *path;
  size_t asset;
  bool incomplete;
} dir_ctx;

static vigie_status nomem(const char *path, vigie_error *err) {
  return vigie_fail(err, VIGIE_ENOMEM, "%s: out of memory", path);
}

static bool is_elem(const xmlNode *n, const char *name) {
  return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* The naming context a DN sits in: from its first DC= component. */
static const char *dn_base(const char *dn) {
  for (const char *p = dn; p && *p; p = strchr(p, ',')) {
    if (*p == ',') p++;
    while (*p == ' ') p++;
    if (strncasecmp(p, "dc=", 3) == 0) return p;
  }
  return NULL;
}

/* A base DN from the first fault DN that has DC= components. */
static const char *infer_base(const xmlNode *results) {
  for (const xmlNode *res = results ? results->children : NULL; res; res = res->next)
    for (const xmlNode *chk = res->children; chk; chk = chk->next)
      for (const xmlNode *f = is_elem(chk, "check") ? chk->children : NULL; f; f = f->next) {
        const char *b = is_elem(f, "fault") ? dn_base(rpt_in_attr(f, "dn")) : NULL;
        if (b) return b;
      }
  return NULL;
}

static vigie_status dir_asset(dir_ctx *d, const xmlNode *root, vigie_error *err) {
  rpt_report *r = d->r;
  const xmlNode *target = rpt_in_child(root, "target");
  const char *profile = rpt_in_attr(root, "profile");
  const char *url = rpt_in_attr(target, "url"), *base = rpt_in_attr(target, "base");
  if (!base) base = infer_base(rpt_in_child(root, "results"));
  const char *id = url && base ? rpt_model_strf(r, "%s/%s", url, base)
                   : url       ? rpt_model_str(r, url)
                   : base      ? rpt_model_strf(r, "directory:%s:%s", profile, base)
                               : rpt_model_strf(r, "directory:%s:%s", profile, rpt_basename(d->path));
  if (!id) return nomem(d->path, err);
  long ai = rpt_model_find_asset(r, id);
  if (ai >= 0) {
    d->asset = (size_t)ai;
    return VIGIE_OK;
  }
  rpt_asset *a = rpt_model_add_asset(r);
  if (!a) return nomem(d->path, err);
  a->id = id;
  a->kind = RPT_ASSET_DIRECTORY;
  a->profile = rpt_model_str(r, profile);
  a->dir_server = rpt_model_str(r, url);
  a->dir_base = rpt_model_str(r, base);
  if (!a->profile || (url && !a->dir_server) || (base && !a->dir_base)) return nomem(d->path, err);
  d->asset = r->asset_count - 1;
  return VIGIE_OK;
}

static vigie_status dir_gap(dir_ctx *d, const char *what, const char *how, const char *why,
                            vigie_error *err) {
  rpt_gap *g = rpt_model_add_gap(d->r);
  if (!g) return nomem(d->path, err);
  g->source = RPT_SRC_DIRECTORY;
  g->what = rpt_model_str(d->r, what);
  g->why = rpt_model_strf(d->r, "%s: %s", how, why && *why ? why : "no reason given");
  return g->what && g->why ? VIGIE_OK : nomem(d->path, err);
}

/* Sets read partially or denied: gaps, and the input is incomplete. */
static vigie_status dir_sets(dir_ctx *d, const xmlNode *root, vigie_error *err) {
  for (const xmlNode *s = rpt_in_child(root, "sets")->children; s; s = s->next) {
    if (!is_elem(s, "set")) continue;
    const char *state = rpt_in_attr(s, "state");
    bool partial = strcmp(state, "partial") == 0, denied = strcmp(state, "denied") == 0;
    if (!partial && !denied) continue;
    d->incomplete = true;
    char what[96];
    snprintf(what, sizeof what, "objects: %s", rpt_in_attr(s, "name"));
    vigie_status status = dir_gap(d, what, partial ? "read partially" : "not readable",
                                  rpt_in_attr(s, "reason"), err);
    if (status != VIGIE_OK) return status;
  }
  return VIGIE_OK;
}

/* "userAccountControl=66048; enabled=TRUE": the values the predicate read. */
static const char *fault_evidence(rpt_report *r, const xmlNode *fault) {
  char buf[OBJECT_EVIDENCE_MAX];
  rpt_clip c = {buf, 0, sizeof buf, false};
  buf[0] = '\0';
  size_t attrs = 0;
  for (const xmlNode *a = fault->children; a; a = a->next) {
    if (!is_elem(a, "attr")) continue;
    if (attrs++) rpt_clip_str(&c, "; ");
    rpt_clip_str(&c, rpt_in_attr(a, "name"));
    rpt_clip_str(&c, "=");
    size_t vals = 0;
    for (const xmlNode *v = a->children; v; v = v->next) {
      if (!is_elem(v, "value")) continue;
      if (vals++) rpt_clip_str(&c, ",");
      const xmlNode *t = v->children;
      if (t && t->type == XML_TEXT_NODE) rpt_clip_str(&c, (const char *)t->content);
    }
  }
  return attrs ? rpt_model_str(r, buf) : NULL;
}

/* The objects of the failed checks, and the finding's evidence line. */
static vigie_status dir_objects(dir_ctx *d, const xmlNode *res, rpt_finding *f, vigie_error *err) {
  rpt_report *r = d->r;
  size_t n = 0;
  for (const xmlNode *chk = res->children; chk; chk = chk->next)
    if (is_elem(chk, "check") && strcmp(rpt_in_attr(chk, "outcome"), "fail") == 0)
      for (const xmlNode *x = chk->children; x; x = x->next) n += is_elem(x, "fault");
  rpt_object *objs = n ? rpt_model_alloc(r, n * sizeof *objs) : NULL;
  if (n && !objs) return nomem(d->path, err);
  char ev[FINDING_EVIDENCE_MAX];
  rpt_clip c = {ev, 0, sizeof ev, false};
  ev[0] = '\0';
  size_t k = 0, total = 0, checks = 0;
  for (const xmlNode *chk = res->children; chk; chk = chk->next) {
    if (!is_elem(chk, "check") || strcmp(rpt_in_attr(chk, "outcome"), "fail") != 0) continue;
    total += strtoull(rpt_in_attr(chk, "at-fault"), NULL, 10);
    char line[160];
    snprintf(line, sizeof line, "%s%s of %s %s; %s", checks++ ? " | " : "",
             rpt_in_attr(chk, "at-fault"), rpt_in_attr(chk, "considered"),
             rpt_in_attr(chk, "objects"), rpt_in_attr(chk, "threshold"));
    rpt_clip_str(&c, line);
    for (const xmlNode *x = chk->children; x; x = x->next) {
      if (!is_elem(x, "fault")) continue;
      const char *name = rpt_in_attr(x, "name");
      objs[k].dn = rpt_model_str(r, rpt_in_attr(x, "dn"));
      objs[k].name = rpt_model_str(r, name);
      objs[k].evidence = fault_evidence(r, x);
      if (!objs[k].dn || (name && !objs[k].name)) return nomem(d->path, err);
      k++;
    }
  }
  f->objects = objs;
  f->object_count = k;
  f->objects_total = total > k ? total : k;
  f->evidence = rpt_model_str(r, ev);
  return f->evidence ? VIGIE_OK : nomem(d->path, err);
}

static const char *title_of(const xmlNode *res, const char *lang) {
  for (const xmlNode *t = res->children; t; t = t->next)
    if (is_elem(t, "title") && strcmp(rpt_in_attr(t, "lang"), lang) == 0 && t->children &&
        t->children->type == XML_TEXT_NODE)
      return (const char *)t->children->content;
  return NULL;
}

static vigie_status dir_failed(dir_ctx *d, const xmlNode *res, vigie_error *err) {
  rpt_report *r = d->r;
  const char *id = rpt_in_attr(res, "id");
  rpt_severity sev = RPT_SEV_INFO;
  (void)rpt_severity_parse(rpt_in_attr(res, "severity"), &sev);
  char uid[65];
  if (!rpt_model_uid(id, r->assets[d->asset].id, uid)) return nomem(d->path, err);
  if (rpt_model_find_finding(r, uid) >= 0) return VIGIE_OK; /* the same directory twice */
  long ri = rpt_rule_join(r, d->cat, id, RPT_SRC_DIRECTORY, sev, title_of(res, "fr"),
                          title_of(res, "en"));
  if (ri < 0) return nomem(d->path, err);
  rpt_finding *f = rpt_model_add_finding(r);
  if (!f) return nomem(d->path, err);
  f->uid = rpt_model_str(r, uid);
  f->rule = (size_t)ri;
  f->asset = d->asset;
  f->severity = sev;
  f->confidence = "directory";
  if (!f->uid) return nomem(d->path, err);
  return dir_objects(d, res, f, err);
}

/* Why a rule could not be evaluated: its reason, else its first check's. */
static const char *result_reason(const xmlNode *res) {
  const xmlNode *why = rpt_in_child(res, "reason");
  for (const xmlNode *chk = res->children; !why && chk; chk = chk->next)
    if (is_elem(chk, "check")) why = rpt_in_child(chk, "reason");
  return why && why->children && why->children->type == XML_TEXT_NODE
             ? (const char *)why->children->content
             : NULL;
}

static vigie_status dir_results(dir_ctx *d, const xmlNode *root, vigie_error *err) {
  vigie_status status = VIGIE_OK;
  for (const xmlNode *res = rpt_in_child(root, "results")->children; res && status == VIGIE_OK;
       res = res->next) {
    if (!is_elem(res, "result")) continue;
    const char *outcome = rpt_in_attr(res, "outcome");
    if (strcmp(outcome, "fail") == 0)
      status = dir_failed(d, res, err);
    else if (strcmp(outcome, "not-evaluated") == 0)
      status = dir_gap(d, rpt_in_attr(res, "id"), "not evaluated", result_reason(res), err);
    else if (strcmp(outcome, "error") == 0)
      status = dir_gap(d, rpt_in_attr(res, "id"), "error", result_reason(res), err);
  }
  return status;
}

static vigie_status dir_level(dir_ctx *d, const xmlNode *root, rpt_dir_level *lv,
                              vigie_error *err) {
  const xmlNode *l = rpt_in_child(root, "level");
  memset(lv, 0, sizeof *lv);
  lv->asset = d->asset;
  lv->value = (int)strtol(rpt_in_attr(l, "value"), NULL, 10);
  lv->points_evaluated = strtoull(rpt_in_attr(l, "points-evaluated"), NULL, 10);
  lv->points_total = strtoull(rpt_in_attr(l, "points-total"), NULL, 10);
  size_t n = 0;
  for (const xmlNode *h = l->children; h; h = h->next) n += is_elem(h, "holder");
  if (!n) return VIGIE_OK;
  lv->holders = rpt_model_alloc(d->r, n * sizeof *lv->holders);
  if (!lv->holders) return nomem(d->path, err);
  for (const xmlNode *h = l->children; h; h = h->next)
    if (is_elem(h, "holder") &&
        !(lv->holders[lv->holder_count++] = rpt_model_str(d->r, rpt_in_attr(h, "rule"))))
      return nomem(d->path, err);
  return VIGIE_OK;
}

static vigie_status dir_input(dir_ctx *d, const xmlNode *root, vigie_error *err) {
  char hex[65];
  vigie_status status = rpt_sha256_file(d->path, hex, err);
  if (status != VIGIE_OK) return status;
  rpt_report *r = d->r;
  rpt_input *in = rpt_model_add_input(r);
  if (!in) return nomem(d->path, err);
  in->kind = RPT_SRC_DIRECTORY;
  in->path = rpt_model_str(r, d->path);
  in->sha256 = rpt_model_str(r, hex);
  in->start = in->end = rpt_model_str(r, rpt_in_attr(root, "collected"));
  in->tool_version = rpt_model_str(r, rpt_in_attr(rpt_in_child(root, "tool"), "version"));
  in->complete = !d->incomplete;
  if (d->incomplete) in->incomplete_reason = "object sets read partially or denied (see gaps)";
  return in->path && in->sha256 && in->start && in->tool_version ? VIGIE_OK : nomem(d->path, err);
}

vigie_status rpt_in_directory(rpt_report *r, const rpt_catalogue *cat, const char *path,
                              rpt_dir_level *level, vigie_error *err) {
  char *xsd = vigie_data_path("directory.xsd", err);
  if (!xsd) return err ? err->status : VIGIE_ENOENT;
  xmlDoc *doc = NULL;
  vigie_status status = vigie_xml_read_file(path, 0, xsd, &doc, err);
  vigie_free(xsd);
  if (status != VIGIE_OK) return status;
  dir_ctx d = {r, cat, path, 0, false};
  const xmlNode *root = xmlDocGetRootElement(doc);
  status = dir_asset(&d, root, err);
  if (status == VIGIE_OK) status = dir_sets(&d, root, err);
  if (status == VIGIE_OK) status = dir_results(&d, root, err);
  if (status == VIGIE_OK) status = dir_level(&d, root, level, err);
  if (status == VIGIE_OK) status = dir_input(&d, root, err);
  vigie_xml_doc_free(doc);
  return status;
}
