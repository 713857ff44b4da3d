/* report.xml (rules/report.xsd, urn:vigie:report:1): the canonical record
 * of a report, read back by in_xml.c. It writes exactly what the model
 * holds, in the model's order, one element per line, so that reading a file
 * and writing it again gives the same bytes. Every string goes through the
 * safe writer (cleaned, escaped): most of them came from the network or a
 * directory. NULL strings are left out; empty ones are written empty. */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "report/xml_int.h"

#define OX_TRY(expr)                   \
  do {                                 \
    status = (expr);                   \
    if (status != VIGIE_OK) goto done; \
  } while (0)

static vigie_status ox_nl(vigie_xmlw *w) { return vigie_xmlw_text(w, "\n"); }

static const char *ox_bool(bool b) { return b ? "true" : "false"; }

static const char *ox_source(rpt_source s) { return s == RPT_SRC_DIRECTORY ? "directory" : "exposure"; }

/* An attribute only when the value is not NULL. */
static vigie_status ox_attr_opt(vigie_xmlw *w, const char *name, const char *value) {
  return value ? vigie_xmlw_attr(w, name, value) : VIGIE_OK;
}

/* <name>text</name> on its own line, nothing when text is NULL. */
static vigie_status ox_text_elem(vigie_xmlw *w, const char *name, const char *lang,
                                 const char *text) {
  vigie_status status = VIGIE_OK;
  if (!text) return VIGIE_OK;
  OX_TRY(ox_nl(w));
  OX_TRY(vigie_xmlw_start(w, name));
  if (lang) OX_TRY(vigie_xmlw_attr(w, "lang", lang));
  if (*text) OX_TRY(vigie_xmlw_text(w, text));
  OX_TRY(vigie_xmlw_end(w));
done:
  return status;
}

static vigie_status ox_text_pair(vigie_xmlw *w, const char *name, const rpt_text *t) {
  vigie_status status = ox_text_elem(w, name, "fr", t->fr);
  if (status == VIGIE_OK) status = ox_text_elem(w, name, "en", t->en);
  return status;
}

/* Close an element whose children each started a line. */
static vigie_status ox_end_block(vigie_xmlw *w, bool had_children) {
  vigie_status status = had_children ? ox_nl(w) : VIGIE_OK;
  return status == VIGIE_OK ? vigie_xmlw_end(w) : status;
}

/* ------------------------------------------------------------ sections */

static vigie_status ox_scope(vigie_xmlw *w, const rpt_report *r) {
  vigie_status status;
  OX_TRY(ox_nl(w));
  OX_TRY(vigie_xmlw_start(w, "scope"));
  OX_TRY(vigie_xmlw_attr(w, "uuid", r->uuid));
  OX_TRY(vigie_xmlw_attr(w, "created", r->created));
  OX_TRY(vigie_xmlw_attr(w, "lang", r->lang));
  OX_TRY(ox_attr_opt(w, "establishment", r->establishment));
  OX_TRY(ox_attr_opt(w, "finess", r->finess));
  OX_TRY(vigie_xmlw_attr(w, "tool-version", r->tool_version));
  OX_TRY(vigie_xmlw_attr(w, "rules-version", r->rules_version));
  OX_TRY(vigie_xmlw_attr(w, "rules-sha256", r->rules_sha256));
  for (size_t i = 0; i < r->input_count; i++) {
    const rpt_input *in = &r->inputs[i];
    OX_TRY(ox_nl(w));
    OX_TRY(vigie_xmlw_start(w, "input"));
    OX_TRY(vigie_xmlw_attr(w, "kind", ox_source(in->kind)));
    OX_TRY(vigie_xmlw_attr(w, "path", in->path));
    OX_TRY(vigie_xmlw_attr(w, "sha256", in->sha256));
    OX_TRY(vigie_xmlw_attr(w, "start", in->start));
    OX_TRY(vigie_xmlw_attr(w, "end", in->end));
    OX_TRY(vigie_xmlw_attr(w, "tool-version", in->tool_version));
    OX_TRY(vigie_xmlw_attr(w, "complete", ox_bool(in->complete)));
    OX_TRY(ox_text_elem(w, "args", NULL, in->args));
    OX_TRY(ox_text_elem(w, "reason", NULL, in->incomplete_reason));
    OX_TRY(ox_end_block(w, in->args || in->incomplete_reason));
  }
  OX_TRY(ox_end_block(w, r->input_count > 0));
done:
  return status;
}

static vigie_status ox_coverage(vigie_xmlw *w, const rpt_report *r) {
  vigie_status status;
  OX_TRY(ox_nl(w));
  OX_TRY(vigie_xmlw_start(w, "coverage"));
  for (size_t i = 0; i < r->gap_count; i++) {
    OX_TRY(ox_nl(w));
    OX_TRY(vigie_xmlw_start(w, "gap"));
    OX_TRY(vigie_xmlw_attr(w, "source", ox_source(r->gaps[i].source)));
    OX_TRY(vigie_xmlw_attr(w, "what", r->gaps[i].what));
    OX_TRY(vigie_xmlw_attr(w, "why", r->gaps[i].why));
    OX_TRY(vigie_xmlw_end(w));
  }
  OX_TRY(ox_end_block(w, r->gap_count > 0));
done:
  return status;
}

static vigie_status ox_rule(vigie_xmlw *w, const rpt_rule *rule) {
  vigie_status status;
  OX_TRY(ox_nl(w));
  OX_TRY(vigie_xmlw_start(w, "rule"));
  OX_TRY(vigie_xmlw_attr(w, "id", rule->id));
  OX_TRY(vigie_xmlw_attr(w, "source", ox_source(rule->source)));
  OX_TRY(vigie_xmlw_attr(w, "severity", rpt_severity_name(rule->severity)));
  OX_TRY(vigie_xmlw_attr(w, "category", rule->category));
  OX_TRY(ox_attr_opt(w, "anssi", rule->anssi));
  OX_TRY(vigie_xmlw_attrf(w, "level", "%d", rule->level));
  OX_TRY(ox_text_pair(w, "title", &rule->title));
  OX_TRY(ox_text_pair(w, "description", &rule->description));
  OX_TRY(ox_text_pair(w, "rationale", &rule->rationale));
  OX_TRY(ox_text_pair(w, "remediation", &rule->remediation));
  for (size_t i = 0; i < rule->ref_count; i++) {
    OX_TRY(ox_nl(w));
    OX_TRY(vigie_xmlw_start(w, "reference"));
    OX_TRY(vigie_xmlw_attr(w, "label", rule->refs[i].label));
    OX_TRY(ox_attr_opt(w, "href", rule->refs[i].href));
    OX_TRY(vigie_xmlw_end(w));
  }
  const rpt_text *t[4] = {&rule->title, &rule->description, &rule->rationale, &rule->remediation};
  bool children = rule->ref_count > 0;
  for (int i = 0; i < 4; i++) children = children || t[i]->fr || t[i]->en;
  OX_TRY(ox_end_block(w, children));
done:
  return status;
}

static vigie_status ox_service(vigie_xmlw *w, const rpt_asset *a) {
  vigie_status status;
  OX_TRY(vigie_xmlw_start(w, "service"));
  OX_TRY(vigie_xmlw_attr(w, "id", a->id));
  OX_TRY(vigie_xmlw_attr(w, "address", a->address));
  OX_TRY(vigie_xmlw_attrf(w, "port", "%u", (unsigned)a->port));
  OX_TRY(ox_attr_opt(w, "name", a->service));
  OX_TRY(ox_attr_opt(w, "product", a->product));
  OX_TRY(ox_attr_opt(w, "version", a->version));
  OX_TRY(vigie_xmlw_attr(w, "tls", ox_bool(a->tls)));
  for (size_t i = 0; i < a->hostname_count; i++)
    OX_TRY(ox_text_elem(w, "hostname", NULL, a->hostnames[i]));
  for (size_t i = 0; i < a->fact_count; i++) {
    OX_TRY(ox_nl(w));
    OX_TRY(vigie_xmlw_start(w, "fact"));
    OX_TRY(vigie_xmlw_attr(w, "name", a->facts[i].name));
    if (*a->facts[i].value) OX_TRY(vigie_xmlw_text(w, a->facts[i].value));
    OX_TRY(vigie_xmlw_end(w));
  }
  OX_TRY(ox_end_block(w, a->hostname_count + a->fact_count > 0));
done:
  return status;
}

static vigie_status ox_asset(vigie_xmlw *w, const rpt_asset *a) {
  vigie_status status;
  OX_TRY(ox_nl(w));
  if (a->kind == RPT_ASSET_SERVICE) return ox_service(w, a);
  OX_TRY(vigie_xmlw_start(w, "directory"));
  OX_TRY(vigie_xmlw_attr(w, "id", a->id));
  OX_TRY(vigie_xmlw_attr(w, "profile", a->profile));
  OX_TRY(ox_attr_opt(w, "server", a->dir_server));
  OX_TRY(ox_attr_opt(w, "base", a->dir_base));
  OX_TRY(vigie_xmlw_end(w));
done:
  return status;
}

static vigie_status ox_finding(vigie_xmlw *w, const rpt_report *r, const rpt_finding *f) {
  vigie_status status;
  OX_TRY(ox_nl(w));
  OX_TRY(vigie_xmlw_start(w, "finding"));
  OX_TRY(vigie_xmlw_attr(w, "uid", f->uid));
  OX_TRY(vigie_xmlw_attr(w, "rule", r->rules[f->rule].id));
  OX_TRY(vigie_xmlw_attr(w, "asset", r->assets[f->asset].id));
  OX_TRY(vigie_xmlw_attr(w, "severity", rpt_severity_name(f->severity)));
  OX_TRY(vigie_xmlw_attr(w, "confidence", f->confidence));
  OX_TRY(vigie_xmlw_attr(w, "trend", rpt_trend_name(f->trend)));
  OX_TRY(ox_attr_opt(w, "first-seen", f->first_seen));
  if (f->waiver >= 0) OX_TRY(vigie_xmlw_attrf(w, "waiver", "%ld", f->waiver));
  OX_TRY(vigie_xmlw_attr(w, "waived", ox_bool(f->waived)));
  OX_TRY(vigie_xmlw_attrf(w, "objects-total", "%zu", f->objects_total));
  OX_TRY(ox_text_elem(w, "evidence", NULL, f->evidence));
  for (size_t i = 0; i < f->object_count; i++) {
    const rpt_object *o = &f->objects[i];
    OX_TRY(ox_nl(w));
    OX_TRY(vigie_xmlw_start(w, "object"));
    OX_TRY(vigie_xmlw_attr(w, "dn", o->dn));
    OX_TRY(ox_attr_opt(w, "name", o->name));
    OX_TRY(ox_text_elem(w, "evidence", NULL, o->evidence));
    OX_TRY(ox_end_block(w, o->evidence != NULL));
  }
  OX_TRY(ox_end_block(w, f->evidence || f->object_count > 0));
done:
  return status;
}

static vigie_status ox_waiver(vigie_xmlw *w, const rpt_waiver *wv) {
  vigie_status status;
  OX_TRY(ox_nl(w));
  OX_TRY(vigie_xmlw_start(w, "waiver"));
  OX_TRY(vigie_xmlw_attr(w, "rule", wv->rule));
  OX_TRY(vigie_xmlw_attr(w, "asset", wv->asset));
  OX_TRY(vigie_xmlw_attr(w, "author", wv->author));
  if (wv->expires != 0) {
    char buf[32];
    if (!rpt_xml_format_time(wv->expires, buf, sizeof buf)) return VIGIE_ERANGE;
    OX_TRY(vigie_xmlw_attr(w, "expires", buf));
  }
  OX_TRY(vigie_xmlw_attr(w, "expired", ox_bool(wv->expired)));
  OX_TRY(vigie_xmlw_attrf(w, "uses", "%zu", wv->uses));
  OX_TRY(ox_text_elem(w, "reason", NULL, wv->reason ? wv->reason : ""));
  OX_TRY(ox_end_block(w, true));
done:
  return status;
}

static vigie_status ox_level(vigie_xmlw *w, const rpt_report *r, const char *kind,
                             const rpt_level *lv) {
  vigie_status status;
  OX_TRY(ox_nl(w));
  OX_TRY(vigie_xmlw_start(w, "level"));
  OX_TRY(vigie_xmlw_attr(w, "kind", kind));
  OX_TRY(vigie_xmlw_attr(w, "known", ox_bool(lv->known)));
  OX_TRY(vigie_xmlw_attrf(w, "value", "%d", lv->value));
  OX_TRY(vigie_xmlw_attrf(w, "points-evaluated", "%zu", lv->points_evaluated));
  OX_TRY(vigie_xmlw_attrf(w, "points-total", "%zu", lv->points_total));
  for (size_t i = 0; i < lv->holder_count; i++) {
    OX_TRY(ox_nl(w));
    OX_TRY(vigie_xmlw_start(w, "holder"));
    OX_TRY(vigie_xmlw_attr(w, "finding", r->findings[lv->holders[i]].uid));
    OX_TRY(vigie_xmlw_end(w));
  }
  OX_TRY(ox_text_elem(w, "next", "fr", lv->next));
  OX_TRY(ox_text_elem(w, "next", "en", lv->next_en));
  OX_TRY(ox_end_block(w, lv->holder_count > 0 || lv->next || lv->next_en));
done:
  return status;
}

static vigie_status ox_scores(vigie_xmlw *w, const rpt_report *r) {
  vigie_status status;
  const rpt_scores *s = &r->scores;
  OX_TRY(ox_nl(w));
  OX_TRY(vigie_xmlw_start(w, "scores"));
  OX_TRY(vigie_xmlw_attrf(w, "score", "%u", s->score));
  OX_TRY(vigie_xmlw_attr(w, "capped", ox_bool(s->score_capped)));
  OX_TRY(vigie_xmlw_attrf(w, "fixed", "%zu", s->fixed_count));
  OX_TRY(vigie_xmlw_attrf(w, "new", "%zu", s->new_count));
  OX_TRY(vigie_xmlw_attrf(w, "persisting", "%zu", s->persisting_count));
  for (int i = 0; i < RPT_SEV_COUNT; i++) {
    OX_TRY(ox_nl(w));
    OX_TRY(vigie_xmlw_start(w, "count"));
    OX_TRY(vigie_xmlw_attr(w, "severity", rpt_severity_name((rpt_severity)i)));
    OX_TRY(vigie_xmlw_attrf(w, "open", "%zu", s->counts[i]));
    OX_TRY(vigie_xmlw_attrf(w, "waived", "%zu", s->waived_counts[i]));
    OX_TRY(vigie_xmlw_end(w));
  }
  OX_TRY(ox_level(w, r, "exposure", &s->exposure));
  OX_TRY(ox_level(w, r, "directory", &s->directory));
  OX_TRY(ox_end_block(w, true));
done:
  return status;
}

static vigie_status ox_trend(vigie_xmlw *w, const rpt_report *r) {
  vigie_status status;
  OX_TRY(ox_nl(w));
  OX_TRY(vigie_xmlw_start(w, "trend"));
  for (size_t i = 0; i < r->previous_count; i++) {
    const rpt_previous *p = &r->previous[i];
    OX_TRY(ox_nl(w));
    OX_TRY(vigie_xmlw_start(w, "previous"));
    OX_TRY(vigie_xmlw_attr(w, "path", p->path));
    OX_TRY(vigie_xmlw_attr(w, "date", p->date));
    OX_TRY(ox_attr_opt(w, "exposure-date", p->exposure_date));
    OX_TRY(vigie_xmlw_attrf(w, "exposure-level", "%d", p->exposure_level));
    OX_TRY(vigie_xmlw_attrf(w, "directory-level", "%d", p->directory_level));
    OX_TRY(vigie_xmlw_end(w));
  }
  OX_TRY(ox_nl(w));
  OX_TRY(vigie_xmlw_start(w, "interval"));
  OX_TRY(vigie_xmlw_attr(w, "known", ox_bool(r->interval.known)));
  OX_TRY(vigie_xmlw_attrf(w, "days", "%ld", r->interval.days));
  OX_TRY(vigie_xmlw_attr(w, "holds", ox_bool(r->interval.holds)));
  OX_TRY(vigie_xmlw_end(w));
  OX_TRY(ox_end_block(w, true));
done:
  return status;
}

/* A list section: <name> then one item per line. */
#define OX_LIST(w, name, count, write_item)        \
  do {                                             \
    OX_TRY(ox_nl(w));                              \
    OX_TRY(vigie_xmlw_start(w, name));             \
    for (size_t i_ = 0; i_ < (count); i_++)        \
      OX_TRY(write_item);                          \
    OX_TRY(ox_end_block(w, (count) > 0));          \
  } while (0)

static vigie_status ox_document(vigie_xmlw *w, const rpt_report *r) {
  vigie_status status;
  OX_TRY(vigie_xmlw_declaration(w));
  OX_TRY(vigie_xmlw_start(w, "report"));
  OX_TRY(vigie_xmlw_attr(w, "xmlns", RPT_NAMESPACE));
  OX_TRY(vigie_xmlw_attr(w, "schemaVersion", RPT_SCHEMA_VERSION));
  OX_TRY(ox_scope(w, r));
  OX_TRY(ox_coverage(w, r));
  OX_LIST(w, "rules", r->rule_count, ox_rule(w, &r->rules[i_]));
  OX_LIST(w, "assets", r->asset_count, ox_asset(w, &r->assets[i_]));
  OX_LIST(w, "findings", r->finding_count, ox_finding(w, r, &r->findings[i_]));
  OX_LIST(w, "waivers", r->waiver_count, ox_waiver(w, &r->waivers[i_]));
  OX_TRY(ox_scores(w, r));
  OX_TRY(ox_trend(w, r));
  OX_TRY(ox_nl(w));
  status = vigie_xmlw_finish(w);
done:
  return status;
}

vigie_status rpt_xml_write(const rpt_report *report, FILE *out, vigie_error *err) {
  if (!report || !out) return vigie_fail(err, VIGIE_EINVAL, "report.xml: no report or no stream");
  /* Refuse what the reader would refuse, naming it, rather than writing a
   * file that does not read back. */
  vigie_status status = rpt_xml_check_model(report, err);
  if (status != VIGIE_OK) return status;
  vigie_xmlw *w = vigie_xmlw_new(out);
  if (!w) return vigie_fail(err, VIGIE_ENOMEM, "report.xml: out of memory");
  status = ox_document(w, report);
  vigie_xmlw_free(w);
  if (status == VIGIE_EIO) return vigie_fail(err, status, "report.xml: write error");
  if (status == VIGIE_ERANGE)
    return vigie_fail(err, status, "report.xml: a waiver's expiry is not a representable date");
  if (status != VIGIE_OK) return vigie_fail(err, status, "report.xml: %s", vigie_strerror(status));
  return VIGIE_OK;
}
