/* Section 7 of report.html: directory rule cards by category — what, why,
 * how to fix, references, and the objects at fault (capped). */
#include <stdlib.h>
#include <string.h>

#include "report/html.h"

typedef struct card_key {
  const char *category;
  size_t rule;
} card_key;

static int card_cmp(const void *pa, const void *pb) {
  const card_key *a = pa, *b = pb;
  int d = strcmp(a->category, b->category);
  if (d) return d;
  return a->rule < b->rule ? -1 : a->rule > b->rule;
}

static void objects(const rpt_html_ctx *c, const rpt_finding *f) {
  FILE *o = c->out;
  if (!f->object_count) return;
  size_t shown = f->object_count < c->object_cap ? f->object_count : c->object_cap;
  size_t total = f->objects_total > f->object_count ? f->objects_total : f->object_count;
  fprintf(o, "<details open><summary>%s (%zu)</summary><table><tr><th>DN<th>%s<th>%s</tr>\n",
          rpt_html_l(c, L_OBJECTS), total, rpt_html_l(c, L_OBJECT_NAME),
          rpt_html_l(c, L_EVIDENCE));
  for (size_t i = 0; i < shown; i++) {
    fputs("<tr><td class=v>", o);
    rpt_html_val(c, f->objects[i].dn);
    fputs("<td>", o);
    rpt_html_val(c, f->objects[i].name);
    fputs("<td class=v>", o);
    rpt_html_val(c, f->objects[i].evidence);
    fputs("</tr>\n", o);
  }
  fputs("</table>", o);
  if (total > shown)
    fprintf(o, "<p class=note>%s %zu %s</p>", rpt_html_l(c, L_AND_MORE), total - shown,
            rpt_html_l(c, L_MORE_OBJECTS));
  fputs("</details>\n", o);
}

static void para(const rpt_html_ctx *c, rpt_html_label key, const rpt_text *t) {
  fprintf(c->out, "<p><b>%s</b> : ", rpt_html_l(c, key));
  rpt_html_rtext(c, t);
  fputs("</p>\n", c->out);
}

static void card(const rpt_html_ctx *c, size_t k) {
  FILE *o = c->out;
  const rpt_rule *rule = &c->r->rules[k];
  fprintf(o, "<div class=\"card s%d\"><h4>[%s] ", (int)rule->severity,
          rpt_html_sev(rule->severity, c->en));
  rpt_html_val(c, rule->id);
  fputs(" — ", o);
  rpt_html_rtext(c, &rule->title);
  fputs("</h4>\n", o);
  if (rule->anssi || rule->level) {
    fputs("<p>", o);
    if (rule->anssi) {
      fprintf(o, "%s : ", rpt_html_l(c, L_ANSSI));
      rpt_html_val(c, rule->anssi);
    }
    if (rule->level) fprintf(o, " — %s %d", rpt_html_l(c, L_LEVEL), rule->level);
    fputs("</p>\n", o);
  }
  para(c, L_WHAT_IS, &rule->description);
  para(c, L_WHY_MATTERS, &rule->rationale);
  para(c, L_HOW_FIX, &rule->remediation);
  rpt_html_refs(c, rule);
  for (size_t j = c->rule_first[k]; j < c->rule_first[k + 1]; j++) {
    const rpt_finding *f = &c->r->findings[c->by_rule[j]];
    if (f->trend == RPT_TREND_FIXED) continue;
    fputs("<p><b>", o);
    rpt_html_val(c, c->r->assets[f->asset].id);
    fprintf(o, "</b> %s%s%s : <span class=v>", rpt_html_trend(f->trend, c->en),
            f->waived ? " — " : "", f->waived ? rpt_html_l(c, L_WAIVED) : "");
    rpt_html_val(c, f->evidence);
    fputs("</span></p>\n", o);
    objects(c, f);
  }
  fputs("</div>\n", o);
}

/* A directory rule with a finding still there (open or waived). */
static bool shown_rule(const rpt_html_ctx *c, size_t k) {
  if (c->r->rules[k].source != RPT_SRC_DIRECTORY) return false;
  for (size_t j = c->rule_first[k]; j < c->rule_first[k + 1]; j++)
    if (c->r->findings[c->by_rule[j]].trend != RPT_TREND_FIXED) return true;
  return false;
}

void rpt_html_directory(const rpt_html_ctx *c) {
  const rpt_report *r = c->r;
  rpt_html_section(c, 7, L_S7, "annuaire");
  card_key *keys = vigie_malloc((r->rule_count ? r->rule_count : 1) * sizeof *keys);
  size_t n = 0;
  for (size_t k = 0; keys && k < r->rule_count; k++)
    if (shown_rule(c, k))
      keys[n++] = (card_key){r->rules[k].category ? r->rules[k].category : "", k};
  if (keys) qsort(keys, n, sizeof *keys, card_cmp);
  if (!n) fprintf(c->out, "<p>%s</p>\n", rpt_html_l(c, L_NO_DIR));
  for (size_t i = 0; i < n; i++) {
    if (!i || strcmp(keys[i].category, keys[i - 1].category) != 0) {
      fputs("<h3>", c->out);
      rpt_html_val(c, keys[i].category);
      fputs("</h3>\n", c->out);
    }
    card(c, keys[i].rule);
  }
  vigie_free(keys);
  fputs("</section>\n", c->out);
}
