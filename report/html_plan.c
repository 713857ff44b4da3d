/* Section 5 of report.html: every open finding grouped by rule (severity,
 * then number of assets), with the remediation; then the fixed ones. */
#include "report/html.h"

static void group_card(const rpt_html_ctx *c, const rpt_html_group *g, size_t rank) {
  FILE *o = c->out;
  const rpt_rule *rule = &c->r->rules[g->rule];
  fprintf(o, "<div class=\"card s%d\"><h3>%zu. [%s] ", (int)g->worst, rank,
          rpt_html_sev(g->worst, c->en));
  rpt_html_val(c, rule->id);
  fputs(" — ", o);
  rpt_html_rtext(c, &rule->title);
  fprintf(o, " (%zu %s)</h3>\n<p><b>%s</b> : ", g->count, rpt_html_l(c, L_ASSETS),
          rpt_html_l(c, L_REMEDIATION));
  rpt_html_rtext(c, &rule->remediation);
  fputs("</p>\n", o);
  rpt_html_refs(c, rule);
  /* Every asset, in one compact paragraph: the per-host section has the
   * details, and 100,000 findings must stay a few megabytes here. */
  fprintf(o, "<details open><summary>%s (%zu)</summary><p class=v>", rpt_html_l(c, L_AFFECTED),
          g->count);
  for (size_t j = 0; j < g->count; j++) {
    if (j) fputs(", ", o);
    rpt_html_val(c, c->r->assets[c->r->findings[c->open_idx[g->first + j]].asset].id);
  }
  fputs("</p></details></div>\n", o);
}

static void fixed(const rpt_html_ctx *c) {
  FILE *o = c->out;
  fprintf(o, "<h3>%s</h3>\n", rpt_html_l(c, L_FIXED_SINCE));
  size_t n = 0;
  for (size_t i = 0; i < c->r->finding_count; i++) {
    const rpt_finding *f = &c->r->findings[i];
    if (f->trend != RPT_TREND_FIXED) continue;
    if (!n++)
      fprintf(o, "<table><tr><th>%s<th>%s<th>%s</tr>\n", rpt_html_l(c, L_SEVERITY),
              rpt_html_l(c, L_RULE), rpt_html_l(c, L_ASSET));
    const rpt_rule *rule = &c->r->rules[f->rule];
    fprintf(o, "<tr class=s%d><td>%s<td>", (int)f->severity, rpt_html_sev(f->severity, c->en));
    rpt_html_val(c, rule->id);
    fputs(" — ", o);
    rpt_html_rtext(c, &rule->title);
    fputs("<td>", o);
    rpt_html_val(c, c->r->assets[f->asset].id);
    fputs("</tr>\n", o);
  }
  if (n) fputs("</table>\n", o);
  else fprintf(o, "<p>%s</p>\n", rpt_html_l(c, L_NONE_FIXED));
}

void rpt_html_plan(const rpt_html_ctx *c) {
  rpt_html_section(c, 5, L_S5, "plan");
  if (!c->group_count) fprintf(c->out, "<p>%s</p>\n", rpt_html_l(c, L_NO_ACTION));
  for (size_t i = 0; i < c->group_count; i++) group_card(c, &c->groups[i], i + 1);
  fixed(c);
  fputs("</section>\n", c->out);
}
