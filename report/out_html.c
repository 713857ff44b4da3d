/* report.html: one self-contained page (inline stylesheet allowed by its
 * hash in a CSP, inline SVG, no script, no external resource), French by
 * default, print-ready. Sections are written by html_*.c in page order. */
#include <stdlib.h>
#include <string.h>

#include "report/html.h"

static bool https_link(const char *href) {
  return href && (strncmp(href, "https://", 8) == 0 || strncmp(href, "http://", 7) == 0);
}

void rpt_html_section(const rpt_html_ctx *c, int n, rpt_html_label title, const char *id) {
  fprintf(c->out, "<section class=s id=\"%s\">\n<h2>%d. %s</h2>\n", id, n, rpt_html_l(c, title));
}

void rpt_html_val(const rpt_html_ctx *c, const char *s) {
  if (rpt_html_esc(c->out, s, c->evidence_cap)) {
    fputs("<span class=note>", c->out);
    fputs(rpt_html_l(c, L_TRUNCATED), c->out);
    fputs("</span>", c->out);
  }
}

void rpt_html_rtext(const rpt_html_ctx *c, const rpt_text *t) {
  rpt_html_val(c, rpt_text_get(t, c->en ? "en" : "fr"));
}

void rpt_html_refs(const rpt_html_ctx *c, const rpt_rule *rule) {
  if (!rule->ref_count) return;
  fprintf(c->out, "<p><b>%s</b> :</p><ul>", rpt_html_l(c, L_REFERENCES));
  for (size_t i = 0; i < rule->ref_count; i++) {
    const rpt_reference *ref = &rule->refs[i];
    const char *label = ref->label && *ref->label ? ref->label : ref->href;
    bool link = https_link(ref->href);
    if (!link && !(ref->label && *ref->label)) continue; /* only a non-web href */
    fputs("<li>", c->out);
    if (link) {
      /* The href is escaped like any datum: it cannot leave its quotes. */
      fputs("<a rel=\"noreferrer\" href=\"", c->out);
      rpt_html_esc(c->out, ref->href, c->evidence_cap);
      fputs("\">", c->out);
      rpt_html_val(c, label);
      fputs("</a>", c->out);
    } else {
      rpt_html_val(c, ref->label); /* a non-web href (javascript:...) is dropped */
    }
  }
  fputs("</ul>", c->out);
}

/* ------------------------------------------------------------- indexing */

/* Counting sort of every finding by a key (asset or rule index): no
 * search per finding, so 100,000 findings index in one pass. */
static bool bucket(const rpt_report *r, size_t n, bool by_rule, size_t **idx, size_t **first) {
  *first = vigie_calloc(n + 1, sizeof **first);
  *idx = vigie_malloc((r->finding_count ? r->finding_count : 1) * sizeof **idx);
  if (!*first || !*idx) return false;
  for (size_t i = 0; i < r->finding_count; i++) {
    size_t k = by_rule ? r->findings[i].rule : r->findings[i].asset;
    if (k < n) (*first)[k + 1]++;
  }
  for (size_t k = 0; k < n; k++) (*first)[k + 1] += (*first)[k];
  size_t *fill = vigie_malloc((n ? n : 1) * sizeof *fill);
  if (!fill) return false;
  memcpy(fill, *first, n * sizeof *fill);
  for (size_t i = 0; i < r->finding_count; i++) {
    size_t k = by_rule ? r->findings[i].rule : r->findings[i].asset;
    if (k < n) (*idx)[fill[k]++] = i;
  }
  vigie_free(fill);
  return true;
}

static int group_cmp(const void *pa, const void *pb) {
  const rpt_html_group *a = pa, *b = pb;
  if (a->worst != b->worst) return a->worst < b->worst ? -1 : 1;
  if (a->count != b->count) return a->count > b->count ? -1 : 1;
  return a->rule < b->rule ? -1 : a->rule > b->rule; /* rules are sorted by id */
}

vigie_status rpt_html_index(rpt_html_ctx *c) {
  const rpt_report *r = c->r;
  if (!bucket(r, r->asset_count, false, &c->by_asset, &c->asset_first) ||
      !bucket(r, r->rule_count, true, &c->by_rule, &c->rule_first))
    return VIGIE_ENOMEM;
  c->open_idx = vigie_malloc((r->finding_count ? r->finding_count : 1) * sizeof *c->open_idx);
  c->groups = vigie_malloc((r->rule_count ? r->rule_count : 1) * sizeof *c->groups);
  if (!c->open_idx || !c->groups) return VIGIE_ENOMEM;
  size_t n = 0;
  for (size_t k = 0; k < r->rule_count; k++) {
    rpt_html_group g = {k, RPT_SEV_INFO, n, 0};
    for (size_t j = c->rule_first[k]; j < c->rule_first[k + 1]; j++) {
      const rpt_finding *f = &r->findings[c->by_rule[j]];
      if (!rpt_html_open(f)) continue;
      c->open_idx[n++] = c->by_rule[j];
      if (f->severity < g.worst) g.worst = f->severity;
    }
    g.count = n - g.first;
    if (g.count) c->groups[c->group_count++] = g;
  }
  qsort(c->groups, c->group_count, sizeof *c->groups, group_cmp);
  return VIGIE_OK;
}

void rpt_html_index_free(rpt_html_ctx *c) {
  vigie_free(c->open_idx);
  vigie_free(c->groups);
  vigie_free(c->by_asset);
  vigie_free(c->asset_first);
  vigie_free(c->by_rule);
  vigie_free(c->rule_first);
}

/* ------------------------------------------------------------- the page */

static void head(const rpt_html_ctx *c, const char hash[45]) {
  FILE *o = c->out;
  fprintf(o,
          "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'sha256-%s'; img-src data:; base-uri 'none'; form-action 'none'\">\n"
          "<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"referrer\" content=\"no-referrer\">\n<title>",
          c->en ? "en" : "fr", hash);
  fputs(rpt_html_l(c, L_TITLE), o);
  if (c->r->establishment) {
    fputs(" — ", o);
    rpt_html_esc(o, c->r->establishment, 200);
  }
  fprintf(o, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", rpt_html_style());
  fputs(rpt_html_l(c, L_TITLE), o);
  if (c->r->establishment) {
    fputs(" — ", o);
    rpt_html_val(c, c->r->establishment);
  }
  fprintf(o, "</h1>\n<p class=note>%s ", rpt_html_l(c, L_CREATED));
  rpt_html_val(c, c->r->created);
  fprintf(o, ". %s</p>\n", rpt_html_l(c, L_ESTIMATE));
}

vigie_status rpt_html_write(const rpt_report *report, const rpt_html_options *opts, FILE *out,
                            vigie_error *err) {
  if (!report || !out) return vigie_fail(err, VIGIE_EINVAL, "report.html: no report or stream");
  const char *lang = opts && opts->lang ? opts->lang : report->lang;
  rpt_html_ctx c = {
      .r = report,
      .out = out,
      .en = lang && strcmp(lang, "en") == 0,
      .object_cap = opts && opts->object_cap ? opts->object_cap : 50,
      .evidence_cap = opts && opts->evidence_cap ? opts->evidence_cap : 2048,
      .key_fingerprint = opts ? opts->key_fingerprint : NULL,
  };
  char hash[45];
  if (!rpt_html_style_hash(hash))
    return vigie_fail(err, VIGIE_ENOMEM, "report.html: SHA-256 of the stylesheet failed");
  vigie_status status = rpt_html_index(&c);
  if (status != VIGIE_OK) {
    vigie_fail(err, status, "report.html: out of memory indexing %zu findings",
               report->finding_count);
    goto done;
  }
  head(&c, hash);
  rpt_html_summary(&c);
  rpt_html_technical(&c);
  rpt_html_scope(&c);
  rpt_html_coverage(&c);
  rpt_html_plan(&c);
  rpt_html_hosts(&c);
  rpt_html_directory(&c);
  rpt_html_waivers(&c);
  rpt_html_care(&c);
  rpt_html_appendix(&c);
  fputs("</body>\n</html>\n", out);
  if (fflush(out) != 0 || ferror(out))
    status = vigie_fail(err, VIGIE_EIO, "report.html: write failed");
done:
  rpt_html_index_free(&c);
  return status;
}
