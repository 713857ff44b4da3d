/* Reading report.xml back (diff, roll-up, the next report's trend): the file
 * is validated against rules/report.xsd by the safe reader, then walked and
 * poured into a model through report/model.h's builder. Strings are kept
 * exactly as read (times too, white space included) so that writing the
 * model again gives the same bytes. Checks here cover what XSD 1.0 cannot
 * (a waiver position in range, one text per language) and repeat the
 * schema's keys, since the schema is a data file VIGIE_RULES_DIR can swap.
 * Every message names the file and the line of the element at fault. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "report/model.h"
#include "report/xml_int.h"

typedef struct rx_ctx {
  const char *path;
  rpt_report *r;
  vigie_error *err;
  long waiver_max;  /* largest waiver position a finding named, -1 none */
  long waiver_line; /* the line of that finding */
} rx_ctx;

#define RX_TRY(expr)                   \
  do {                                 \
    status = (expr);                   \
    if (status != VIGIE_OK) goto done; \
  } while (0)

/* ------------------------------------------------------------- helpers */

static bool rx_is(const xmlNode *n, const char *name) {
  return n->type == XML_ELEMENT_NODE && n->ns && strcmp((const char *)n->ns->href, RPT_NAMESPACE) == 0 &&
         strcmp((const char *)n->name, name) == 0;
}

/* The next element child from n on (n included). */
static xmlNode *rx_elem(xmlNode *n) {
  while (n && n->type != XML_ELEMENT_NODE) n = n->next;
  return n;
}

static vigie_status rx_fail(const rx_ctx *c, const xmlNode *n, vigie_status status, const char *fmt,
                            ...) __attribute__((format(printf, 4, 5)));
static vigie_status rx_fail(const rx_ctx *c, const xmlNode *n, vigie_status status, const char *fmt,
                            ...) {
  char what[VIGIE_ERROR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return vigie_fail(c->err, status, "%s:%ld: <%s>: %s", c->path, xmlGetLineNo(n),
                    (const char *)n->name, what);
}

static vigie_status rx_nomem(const rx_ctx *c) {
  return vigie_fail(c->err, VIGIE_ENOMEM, "%s: out of memory", c->path);
}

/* An arena copy of a libxml2 string, which it frees. */
static vigie_status rx_keep(const rx_ctx *c, xmlChar *v, const char **out) {
  *out = v ? rpt_model_str(c->r, (const char *)v) : NULL;
  bool nomem = v && !*out;
  xmlFree(v);
  return nomem ? rx_nomem(c) : VIGIE_OK;
}

/* An attribute, NULL when absent; required ones must be there. */
static vigie_status rx_attr(const rx_ctx *c, const xmlNode *n, const char *name, bool required,
                            const char **out) {
  xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
  if (!v && required) return rx_fail(c, n, VIGIE_ESCHEMA, "attribute %s is missing", name);
  return rx_keep(c, v, out);
}

/* The whole text content, untrimmed ("" for an empty element). */
static vigie_status rx_text(const rx_ctx *c, const xmlNode *n, const char **out) {
  xmlChar *v = xmlNodeGetContent(n);
  if (!v) return rx_nomem(c);
  return rx_keep(c, v, out);
}

/* A decimal the way the writer prints it: digits only, up to max. */
static vigie_status rx_uint(const rx_ctx *c, const xmlNode *n, const char *name, uint64_t max,
                            uint64_t *out) {
  xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
  if (!v) return rx_fail(c, n, VIGIE_ESCHEMA, "attribute %s is missing", name);
  const char *s = (const char *)v;
  uint64_t x = 0;
  bool ok = *s != '\0';
  for (; ok && *s; s++) {
    unsigned d = (unsigned)(*s - '0');
    ok = d <= 9 && x <= (max - d) / 10;
    x = x * 10 + d;
  }
  vigie_status status = VIGIE_OK;
  if (!ok) status = rx_fail(c, n, VIGIE_ESYNTAX, "%s=\"%.40s\": not a number up to %llu", name,
                            (const char *)v, (unsigned long long)max);
  xmlFree(v);
  *out = x;
  return status;
}

static vigie_status rx_size(const rx_ctx *c, const xmlNode *n, const char *name, size_t *out) {
  uint64_t v = 0;
  vigie_status status = rx_uint(c, n, name, SIZE_MAX, &v);
  *out = (size_t)v;
  return status;
}

static vigie_status rx_small(const rx_ctx *c, const xmlNode *n, const char *name, int max, int *out) {
  uint64_t v = 0;
  vigie_status status = rx_uint(c, n, name, (uint64_t)max, &v);
  *out = (int)v;
  return status;
}

/* An optional leading '-' then rx_uint's digits. */
static vigie_status rx_long(const rx_ctx *c, const xmlNode *n, const char *name, long *out) {
  const char *s = NULL;
  vigie_status status = rx_attr(c, n, name, true, &s);
  if (status != VIGIE_OK) return status;
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || (*s != '-' && (*s < '0' || *s > '9')))
    return rx_fail(c, n, VIGIE_ESYNTAX, "%s=\"%.40s\": not a number", name, s);
  *out = v;
  return VIGIE_OK;
}

static vigie_status rx_bool(const rx_ctx *c, const xmlNode *n, const char *name, bool *out) {
  const char *s = NULL;
  vigie_status status = rx_attr(c, n, name, true, &s);
  if (status != VIGIE_OK) return status;
  if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0) *out = true;
  else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0) *out = false;
  else return rx_fail(c, n, VIGIE_ESYNTAX, "%s=\"%.40s\": not a boolean", name, s);
  return VIGIE_OK;
}

static vigie_status rx_source(const rx_ctx *c, const xmlNode *n, const char *name, rpt_source *out) {
  const char *s = NULL;
  vigie_status status = rx_attr(c, n, name, true, &s);
  if (status != VIGIE_OK) return status;
  if (strcmp(s, "exposure") == 0) *out = RPT_SRC_EXPOSURE;
  else if (strcmp(s, "directory") == 0) *out = RPT_SRC_DIRECTORY;
  else return rx_fail(c, n, VIGIE_ESYNTAX, "%s=\"%.40s\": not a source", name, s);
  return VIGIE_OK;
}

static vigie_status rx_severity(const rx_ctx *c, const xmlNode *n, rpt_severity *out) {
  const char *s = NULL;
  vigie_status status = rx_attr(c, n, "severity", true, &s);
  if (status == VIGIE_OK && !rpt_severity_parse(s, out))
    status = rx_fail(c, n, VIGIE_ESYNTAX, "severity=\"%.40s\": unknown", s);
  return status;
}

static vigie_status rx_trend(const rx_ctx *c, const xmlNode *n, rpt_trend *out) {
  static const rpt_trend all[] = {RPT_TREND_NONE, RPT_TREND_NEW, RPT_TREND_PERSISTING,
                                  RPT_TREND_FIXED};
  const char *s = NULL;
  vigie_status status = rx_attr(c, n, "trend", true, &s);
  if (status != VIGIE_OK) return status;
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    if (strcmp(s, rpt_trend_name(all[i])) == 0) {
      *out = all[i];
      return VIGIE_OK;
    }
  return rx_fail(c, n, VIGIE_ESYNTAX, "trend=\"%.40s\": unknown", s);
}

/* A text of one language into t: each language at most once. */
static vigie_status rx_lang_text(const rx_ctx *c, const xmlNode *n, rpt_text *t) {
  const char *lang = NULL, **slot;
  vigie_status status = rx_attr(c, n, "lang", true, &lang);
  if (status != VIGIE_OK) return status;
  if (strcmp(lang, "fr") == 0) slot = &t->fr;
  else if (strcmp(lang, "en") == 0) slot = &t->en;
  else return rx_fail(c, n, VIGIE_ESYNTAX, "lang=\"%.40s\": not fr or en", lang);
  if (*slot) return rx_fail(c, n, VIGIE_ESCHEMA, "a second text in %s", lang);
  return rx_text(c, n, slot);
}

/* How many element children named name n has. */
static size_t rx_count(const xmlNode *n, const char *name) {
  size_t k = 0;
  for (const xmlNode *ch = n->children; ch; ch = ch->next) k += rx_is(ch, name);
  return k;
}

/* Arena room for the n items of a sub-array (NULL when n is 0). */
static vigie_status rx_array(const rx_ctx *c, size_t n, size_t elem, void **out) {
  *out = NULL;
  if (n == 0) return VIGIE_OK;
  if (n > SIZE_MAX / elem || !(*out = rpt_model_alloc(c->r, n * elem))) return rx_nomem(c);
  return VIGIE_OK;
}

/* ------------------------------------------------------------ sections */

static vigie_status rx_input(const rx_ctx *c, xmlNode *n) {
  vigie_status status;
  rpt_input *in = rpt_model_add_input(c->r);
  if (!in) return rx_nomem(c);
  RX_TRY(rx_source(c, n, "kind", &in->kind));
  RX_TRY(rx_attr(c, n, "path", true, &in->path));
  RX_TRY(rx_attr(c, n, "sha256", true, &in->sha256));
  RX_TRY(rx_attr(c, n, "start", true, &in->start));
  RX_TRY(rx_attr(c, n, "end", true, &in->end));
  RX_TRY(rx_attr(c, n, "tool-version", true, &in->tool_version));
  RX_TRY(rx_bool(c, n, "complete", &in->complete));
  for (xmlNode *ch = rx_elem(n->children); ch; ch = rx_elem(ch->next)) {
    if (rx_is(ch, "args")) RX_TRY(rx_text(c, ch, &in->args));
    else if (rx_is(ch, "reason")) RX_TRY(rx_text(c, ch, &in->incomplete_reason));
  }
done:
  return status;
}

static vigie_status rx_scope(const rx_ctx *c, xmlNode *n) {
  vigie_status status;
  rpt_report *r = c->r;
  RX_TRY(rx_attr(c, n, "uuid", true, &r->uuid));
  RX_TRY(rx_attr(c, n, "created", true, &r->created));
  RX_TRY(rx_attr(c, n, "lang", true, &r->lang));
  RX_TRY(rx_attr(c, n, "establishment", false, &r->establishment));
  RX_TRY(rx_attr(c, n, "finess", false, &r->finess));
  RX_TRY(rx_attr(c, n, "tool-version", true, &r->tool_version));
  RX_TRY(rx_attr(c, n, "rules-version", true, &r->rules_version));
  RX_TRY(rx_attr(c, n, "rules-sha256", true, &r->rules_sha256));
  for (xmlNode *ch = rx_elem(n->children); ch; ch = rx_elem(ch->next))
    if (rx_is(ch, "input")) RX_TRY(rx_input(c, ch));
done:
  return status;
}

static vigie_status rx_coverage(const rx_ctx *c, xmlNode *n) {
  vigie_status status = VIGIE_OK;
  for (xmlNode *ch = rx_elem(n->children); ch; ch = rx_elem(ch->next)) {
    if (!rx_is(ch, "gap")) continue;
    rpt_gap *g = rpt_model_add_gap(c->r);
    if (!g) return rx_nomem(c);
    RX_TRY(rx_source(c, ch, "source", &g->source));
    RX_TRY(rx_attr(c, ch, "what", true, &g->what));
    RX_TRY(rx_attr(c, ch, "why", true, &g->why));
  }
done:
  return status;
}

static vigie_status rx_rule(const rx_ctx *c, xmlNode *n) {
  vigie_status status;
  const char *id = NULL;
  RX_TRY(rx_attr(c, n, "id", true, &id));
  if (rpt_model_find_rule(c->r, id) >= 0) return rx_fail(c, n, VIGIE_ESCHEMA, "rule %s twice", id);
  rpt_rule *rule = rpt_model_add_rule(c->r);
  if (!rule) return rx_nomem(c);
  rule->id = id;
  RX_TRY(rx_source(c, n, "source", &rule->source));
  RX_TRY(rx_severity(c, n, &rule->severity));
  RX_TRY(rx_attr(c, n, "category", true, &rule->category));
  RX_TRY(rx_attr(c, n, "anssi", false, &rule->anssi));
  RX_TRY(rx_small(c, n, "level", 5, &rule->level));
  rpt_reference *refs = NULL;
  RX_TRY(rx_array(c, rx_count(n, "reference"), sizeof *refs, (void **)&refs));
  rule->refs = refs;
  for (xmlNode *ch = rx_elem(n->children); ch; ch = rx_elem(ch->next)) {
    if (rx_is(ch, "title")) RX_TRY(rx_lang_text(c, ch, &rule->title));
    else if (rx_is(ch, "description")) RX_TRY(rx_lang_text(c, ch, &rule->description));
    else if (rx_is(ch, "rationale")) RX_TRY(rx_lang_text(c, ch, &rule->rationale));
    else if (rx_is(ch, "remediation")) RX_TRY(rx_lang_text(c, ch, &rule->remediation));
    else if (rx_is(ch, "reference")) {
      rpt_reference *ref = &refs[rule->ref_count++];
      RX_TRY(rx_attr(c, ch, "label", true, &ref->label));
      RX_TRY(rx_attr(c, ch, "href", false, &ref->href));
    }
  }
done:
  return status;
}

static vigie_status rx_service(const rx_ctx *c, xmlNode *n, rpt_asset *a) {
  vigie_status status;
  int port = 0;
  a->kind = RPT_ASSET_SERVICE;
  RX_TRY(rx_attr(c, n, "address", true, &a->address));
  RX_TRY(rx_small(c, n, "port", 65535, &port));
  a->port = (uint16_t)port;
  RX_TRY(rx_attr(c, n, "name", false, &a->service));
  RX_TRY(rx_attr(c, n, "product", false, &a->product));
  RX_TRY(rx_attr(c, n, "version", false, &a->version));
  RX_TRY(rx_bool(c, n, "tls", &a->tls));
  const char **names = NULL;
  rpt_fact *facts = NULL;
  RX_TRY(rx_array(c, rx_count(n, "hostname"), sizeof *names, (void **)&names));
  RX_TRY(rx_array(c, rx_count(n, "fact"), sizeof *facts, (void **)&facts));
  a->hostnames = names;
  a->facts = facts;
  for (xmlNode *ch = rx_elem(n->children); ch; ch = rx_elem(ch->next)) {
    if (rx_is(ch, "hostname")) {
      RX_TRY(rx_text(c, ch, &names[a->hostname_count++]));
    } else if (rx_is(ch, "fact")) {
      rpt_fact *f = &facts[a->fact_count++];
      RX_TRY(rx_attr(c, ch, "name", true, &f->name));
      RX_TRY(rx_text(c, ch, &f->value));
    }
  }
done:
  return status;
}

static vigie_status rx_asset(const rx_ctx *c, xmlNode *n) {
  vigie_status status;
  const char *id = NULL;
  RX_TRY(rx_attr(c, n, "id", true, &id));
  if (rpt_model_find_asset(c->r, id) >= 0)
    return rx_fail(c, n, VIGIE_ESCHEMA, "asset %s twice", id);
  rpt_asset *a = rpt_model_add_asset(c->r);
  if (!a) return rx_nomem(c);
  a->id = id;
  if (rx_is(n, "service")) return rx_service(c, n, a);
  a->kind = RPT_ASSET_DIRECTORY;
  RX_TRY(rx_attr(c, n, "profile", true, &a->profile));
  RX_TRY(rx_attr(c, n, "server", false, &a->dir_server));
  RX_TRY(rx_attr(c, n, "base", false, &a->dir_base));
done:
  return status;
}

static vigie_status rx_objects(const rx_ctx *c, xmlNode *n, rpt_finding *f) {
  vigie_status status;
  rpt_object *objs = NULL;
  RX_TRY(rx_array(c, rx_count(n, "object"), sizeof *objs, (void **)&objs));
  f->objects = objs;
  for (xmlNode *ch = rx_elem(n->children); ch; ch = rx_elem(ch->next)) {
    if (rx_is(ch, "evidence")) {
      RX_TRY(rx_text(c, ch, &f->evidence));
    } else if (rx_is(ch, "object")) {
      rpt_object *o = &objs[f->object_count++];
      RX_TRY(rx_attr(c, ch, "dn", true, &o->dn));
      RX_TRY(rx_attr(c, ch, "name", false, &o->name));
      for (xmlNode *e = rx_elem(ch->children); e; e = rx_elem(e->next))
        if (rx_is(e, "evidence")) RX_TRY(rx_text(c, e, &o->evidence));
    }
  }
done:
  return status;
}

/* Resolve a finding's rule and asset ids to indices. */
static vigie_status rx_refs(rx_ctx *c, xmlNode *n, rpt_finding *f) {
  vigie_status status;
  const char *rule = NULL, *asset = NULL;
  RX_TRY(rx_attr(c, n, "rule", true, &rule));
  RX_TRY(rx_attr(c, n, "asset", true, &asset));
  long ri = rpt_model_find_rule(c->r, rule), ai = rpt_model_find_asset(c->r, asset);
  if (ri < 0) return rx_fail(c, n, VIGIE_ESCHEMA, "rule %s is not in <rules>", rule);
  if (ai < 0) return rx_fail(c, n, VIGIE_ESCHEMA, "asset %s is not in <assets>", asset);
  f->rule = (size_t)ri;
  f->asset = (size_t)ai;
done:
  return status;
}

static vigie_status rx_finding(rx_ctx *c, xmlNode *n) {
  vigie_status status;
  const char *uid = NULL;
  RX_TRY(rx_attr(c, n, "uid", true, &uid));
  if (rpt_model_find_finding(c->r, uid) >= 0)
    return rx_fail(c, n, VIGIE_ESCHEMA, "finding %s twice", uid);
  rpt_finding *f = rpt_model_add_finding(c->r);
  if (!f) return rx_nomem(c);
  f->uid = uid; /* before any other lookup indexes it */
  RX_TRY(rx_refs(c, n, f));
  RX_TRY(rx_severity(c, n, &f->severity));
  RX_TRY(rx_attr(c, n, "confidence", true, &f->confidence));
  RX_TRY(rx_trend(c, n, &f->trend));
  RX_TRY(rx_attr(c, n, "first-seen", false, &f->first_seen));
  if (xmlHasProp(n, (const xmlChar *)"waiver")) {
    uint64_t w = 0;
    RX_TRY(rx_uint(c, n, "waiver", LONG_MAX, &w));
    f->waiver = (long)w;
    if (f->waiver > c->waiver_max) c->waiver_max = f->waiver, c->waiver_line = xmlGetLineNo(n);
  }
  RX_TRY(rx_bool(c, n, "waived", &f->waived));
  RX_TRY(rx_size(c, n, "objects-total", &f->objects_total));
  RX_TRY(rx_objects(c, n, f));
  if (f->objects_total < f->object_count)
    return rx_fail(c, n, VIGIE_ESYNTAX, "objects-total %zu below the %zu objects listed",
                   f->objects_total, f->object_count);
done:
  return status;
}

static vigie_status rx_waiver(const rx_ctx *c, xmlNode *n) {
  vigie_status status;
  rpt_waiver *w = rpt_model_add_waiver(c->r);
  if (!w) return rx_nomem(c);
  const char *expires = NULL;
  RX_TRY(rx_attr(c, n, "rule", true, &w->rule));
  RX_TRY(rx_attr(c, n, "asset", true, &w->asset));
  RX_TRY(rx_attr(c, n, "author", true, &w->author));
  RX_TRY(rx_attr(c, n, "expires", false, &expires));
  if (expires && !rpt_xml_parse_time(expires, &w->expires))
    return rx_fail(c, n, VIGIE_ESYNTAX, "expires=\"%.40s\": not a UTC time", expires);
  RX_TRY(rx_bool(c, n, "expired", &w->expired));
  RX_TRY(rx_size(c, n, "uses", &w->uses));
  for (xmlNode *ch = rx_elem(n->children); ch; ch = rx_elem(ch->next))
    if (rx_is(ch, "reason")) RX_TRY(rx_text(c, ch, &w->reason));
done:
  return status;
}

static vigie_status rx_level(const rx_ctx *c, xmlNode *n, rpt_level *lv) {
  vigie_status status;
  rpt_text next = {0};
  RX_TRY(rx_bool(c, n, "known", &lv->known));
  RX_TRY(rx_small(c, n, "value", 5, &lv->value));
  RX_TRY(rx_size(c, n, "points-evaluated", &lv->points_evaluated));
  RX_TRY(rx_size(c, n, "points-total", &lv->points_total));
  size_t *holders = NULL;
  RX_TRY(rx_array(c, rx_count(n, "holder"), sizeof *holders, (void **)&holders));
  lv->holders = holders;
  for (xmlNode *ch = rx_elem(n->children); ch; ch = rx_elem(ch->next)) {
    if (rx_is(ch, "next")) {
      RX_TRY(rx_lang_text(c, ch, &next));
    } else if (rx_is(ch, "holder")) {
      const char *uid = NULL;
      RX_TRY(rx_attr(c, ch, "finding", true, &uid));
      long fi = rpt_model_find_finding(c->r, uid);
      if (fi < 0) return rx_fail(c, ch, VIGIE_ESCHEMA, "finding %s is not in <findings>", uid);
      holders[lv->holder_count++] = (size_t)fi;
    }
  }
  lv->next = next.fr;
  lv->next_en = next.en;
done:
  return status;
}

static vigie_status rx_scores(const rx_ctx *c, xmlNode *n) {
  vigie_status status;
  rpt_scores *s = &c->r->scores;
  int score = 0;
  RX_TRY(rx_small(c, n, "score", 100, &score));
  s->score = (unsigned)score;
  RX_TRY(rx_bool(c, n, "capped", &s->score_capped));
  RX_TRY(rx_size(c, n, "fixed", &s->fixed_count));
  RX_TRY(rx_size(c, n, "new", &s->new_count));
  RX_TRY(rx_size(c, n, "persisting", &s->persisting_count));
  for (xmlNode *ch = rx_elem(n->children); ch; ch = rx_elem(ch->next)) {
    if (rx_is(ch, "count")) {
      rpt_severity sev;
      RX_TRY(rx_severity(c, ch, &sev));
      RX_TRY(rx_size(c, ch, "open", &s->counts[sev]));
      RX_TRY(rx_size(c, ch, "waived", &s->waived_counts[sev]));
    } else if (rx_is(ch, "level")) {
      rpt_source kind;
      RX_TRY(rx_source(c, ch, "kind", &kind));
      RX_TRY(rx_level(c, ch, kind == RPT_SRC_DIRECTORY ? &s->directory : &s->exposure));
    }
  }
done:
  return status;
}

static vigie_status rx_trend_block(const rx_ctx *c, xmlNode *n) {
  vigie_status status = VIGIE_OK;
  for (xmlNode *ch = rx_elem(n->children); ch; ch = rx_elem(ch->next)) {
    if (rx_is(ch, "previous")) {
      rpt_previous *p = rpt_model_add_previous(c->r);
      if (!p) return rx_nomem(c);
      RX_TRY(rx_attr(c, ch, "path", true, &p->path));
      RX_TRY(rx_attr(c, ch, "date", true, &p->date));
      RX_TRY(rx_attr(c, ch, "exposure-date", false, &p->exposure_date));
      RX_TRY(rx_small(c, ch, "exposure-level", 5, &p->exposure_level));
      RX_TRY(rx_small(c, ch, "directory-level", 5, &p->directory_level));
    } else if (rx_is(ch, "interval")) {
      rpt_interval *iv = &c->r->interval;
      RX_TRY(rx_bool(c, ch, "known", &iv->known));
      RX_TRY(rx_long(c, ch, "days", &iv->days));
      RX_TRY(rx_bool(c, ch, "holds", &iv->holds));
    }
  }
done:
  return status;
}

/* Every item of a list section through one reader. */
static vigie_status rx_list(rx_ctx *c, xmlNode *n, vigie_status (*item)(rx_ctx *, xmlNode *)) {
  vigie_status status = VIGIE_OK;
  for (xmlNode *ch = rx_elem(n->children); ch && status == VIGIE_OK; ch = rx_elem(ch->next))
    status = item(c, ch);
  return status;
}

static vigie_status rx_rule_item(rx_ctx *c, xmlNode *n) { return rx_rule(c, n); }
static vigie_status rx_asset_item(rx_ctx *c, xmlNode *n) { return rx_asset(c, n); }
static vigie_status rx_waiver_item(rx_ctx *c, xmlNode *n) { return rx_waiver(c, n); }

static vigie_status rx_report(rx_ctx *c, xmlNode *root) {
  vigie_status status = VIGIE_OK;
  if (!root || !rx_is(root, "report"))
    return vigie_fail(c->err, VIGIE_ESCHEMA, "%s: the root is not <report xmlns=\"%s\">", c->path,
                      RPT_NAMESPACE);
  for (xmlNode *n = rx_elem(root->children); n; n = rx_elem(n->next)) {
    if (rx_is(n, "scope")) RX_TRY(rx_scope(c, n));
    else if (rx_is(n, "coverage")) RX_TRY(rx_coverage(c, n));
    else if (rx_is(n, "rules")) RX_TRY(rx_list(c, n, rx_rule_item));
    else if (rx_is(n, "assets")) RX_TRY(rx_list(c, n, rx_asset_item));
    else if (rx_is(n, "findings")) RX_TRY(rx_list(c, n, rx_finding));
    else if (rx_is(n, "waivers")) RX_TRY(rx_list(c, n, rx_waiver_item));
    else if (rx_is(n, "scores")) RX_TRY(rx_scores(c, n));
    else if (rx_is(n, "trend")) RX_TRY(rx_trend_block(c, n));
  }
  if (c->waiver_max >= 0 && (size_t)c->waiver_max >= c->r->waiver_count)
    return vigie_fail(c->err, VIGIE_ESCHEMA, "%s:%ld: <finding>: waiver %ld is out of range (%zu waivers)",
                      c->path, c->waiver_line, c->waiver_max, c->r->waiver_count);
  /* Already in the model's order: finish keeps it, and rebuilds lookups. */
  RX_TRY(rpt_model_finish(c->r, c->err));
  vigie_error why;
  status = rpt_xml_check_model(c->r, &why);
  if (status != VIGIE_OK) vigie_fail(c->err, status, "%s: %s", c->path, why.msg);
done:
  return status;
}

/* The schema is not optional: the walk trusts the shape it checks. */
static vigie_status rx_doc(xmlDoc *doc, const char *name, rpt_report **out, vigie_error *err) {
  rpt_report *r = rpt_model_new();
  if (!r) return vigie_fail(err, VIGIE_ENOMEM, "%s: out of memory", name);
  rx_ctx c = {.path = name, .r = r, .err = err, .waiver_max = -1};
  vigie_status status = rx_report(&c, xmlDocGetRootElement(doc));
  if (status == VIGIE_OK) *out = r;
  else rpt_report_free(r);
  return status;
}

vigie_status rpt_xml_read_memory(const char *data, size_t len, const char *name, rpt_report **out,
                                 vigie_error *err) {
  xmlDoc *doc = NULL;
  if (!out) return vigie_fail(err, VIGIE_EINVAL, "rpt_xml_read_memory: no result pointer");
  *out = NULL;
  if (len > RPT_XML_MAX_FILE)
    return vigie_fail(err, VIGIE_ETOOBIG, "%s: over %u bytes", name, RPT_XML_MAX_FILE);
  char *xsd = vigie_data_path("report.xsd", err);
  if (!xsd) return err ? err->status : VIGIE_ENOENT;
  vigie_status status = vigie_xml_read_memory(data, len, name, xsd, &doc, err);
  vigie_free(xsd);
  if (status == VIGIE_OK) status = rx_doc(doc, name, out, err);
  vigie_xml_doc_free(doc);
  return status;
}

vigie_status rpt_xml_read(const char *path, rpt_report **out, vigie_error *err) {
  xmlDoc *doc = NULL;
  if (!path || !out) return vigie_fail(err, VIGIE_EINVAL, "rpt_xml_read: no path or result pointer");
  *out = NULL;
  char *xsd = vigie_data_path("report.xsd", err);
  if (!xsd) return err ? err->status : VIGIE_ENOENT;
  vigie_status status = vigie_xml_read_file(path, RPT_XML_MAX_FILE, xsd, &doc, err);
  vigie_free(xsd);
  if (status == VIGIE_OK) status = rx_doc(doc, path, out, err);
  vigie_xml_doc_free(doc);
  return status;
}
