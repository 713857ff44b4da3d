/* Sections 3 and 4 of report.html: scope and method (what the report was
 * built from, for proof) and coverage (what could not be tested). */
#include <string.h>

#include "report/html.h"

static void row(const rpt_html_ctx *c, rpt_html_label key, const char *value) {
  fprintf(c->out, "<tr><th>%s<td>", rpt_html_l(c, key));
  if (value && *value) rpt_html_val(c, value);
  else fprintf(c->out, "<span class=note>%s</span>", rpt_html_l(c, L_NOT_GIVEN));
  fputs("</tr>\n", c->out);
}

static void inputs(const rpt_html_ctx *c) {
  FILE *o = c->out;
  fprintf(o, "<h3>%s</h3>\n<table><tr><th>%s<th>%s<th>%s<th>%s<th>%s</tr>\n",
          rpt_html_l(c, L_INPUTS), rpt_html_l(c, L_KIND), rpt_html_l(c, L_FILE),
          rpt_html_l(c, L_DATES), rpt_html_l(c, L_TOOL), rpt_html_l(c, L_ARGS));
  for (size_t i = 0; i < c->r->input_count; i++) {
    const rpt_input *in = &c->r->inputs[i];
    fprintf(o, "<tr><td>%s<td>",
            rpt_html_l(c, in->kind == RPT_SRC_EXPOSURE ? L_KIND_SCAN : L_KIND_DIR));
    rpt_html_val(c, in->path);
    fputs("<br><span class=v>sha256 ", o);
    rpt_html_val(c, in->sha256);
    fputs("</span><td>", o);
    rpt_html_val(c, in->start);
    if (in->end && (!in->start || strcmp(in->start, in->end) != 0)) {
      fputs(" → ", o);
      rpt_html_val(c, in->end);
    }
    fputs("<td>", o);
    rpt_html_val(c, in->tool_version);
    fputs("<td class=v>", o);
    rpt_html_val(c, in->args);
    fputs("</tr>\n", o);
  }
  fputs("</table>\n", o);
}

void rpt_html_scope(const rpt_html_ctx *c) {
  const rpt_report *r = c->r;
  FILE *o = c->out;
  rpt_html_section(c, 3, L_S3, "perimetre");
  fputs("<table>\n", o);
  row(c, L_ESTABLISHMENT, r->establishment);
  row(c, L_FINESS, r->finess);
  row(c, L_CREATED, r->created);
  fprintf(o, "<tr><th>%s<td>vigie ", rpt_html_l(c, L_VERSIONS));
  rpt_html_val(c, r->tool_version);
  fprintf(o, " — %s ", rpt_html_l(c, L_RULES));
  rpt_html_val(c, r->rules_version);
  fputs("</tr>\n</table>\n", o);
  inputs(c);
  fprintf(o, "<h3>%s</h3>\n<p>%s</p>\n</section>\n", rpt_html_l(c, L_METHOD),
          rpt_html_l(c, L_METHOD_TEXT));
}

static void gaps(const rpt_html_ctx *c) {
  FILE *o = c->out;
  fprintf(o, "<h3>%s</h3>\n", rpt_html_l(c, L_GAPS));
  if (!c->r->gap_count) {
    fprintf(o, "<p>%s</p>\n", rpt_html_l(c, L_NO_GAP));
    return;
  }
  fprintf(o, "<table><tr><th>%s<th>%s<th>%s</tr>\n", rpt_html_l(c, L_KIND),
          rpt_html_l(c, L_WHAT), rpt_html_l(c, L_WHY));
  for (size_t i = 0; i < c->r->gap_count; i++) {
    const rpt_gap *g = &c->r->gaps[i];
    fprintf(o, "<tr><td>%s<td>",
            rpt_html_l(c, g->source == RPT_SRC_EXPOSURE ? L_KIND_SCAN : L_KIND_DIR));
    rpt_html_val(c, g->what);
    fputs("<td>", o);
    rpt_html_val(c, g->why);
    fputs("</tr>\n", o);
  }
  fputs("</table>\n", o);
}

static void incomplete(const rpt_html_ctx *c) {
  FILE *o = c->out;
  fprintf(o, "<h3>%s</h3>\n", rpt_html_l(c, L_INCOMPLETE));
  size_t n = 0;
  for (size_t i = 0; i < c->r->input_count; i++) {
    const rpt_input *in = &c->r->inputs[i];
    if (in->complete) continue;
    fputs(n++ ? "<li class=warn>" : "<ul><li class=warn>", o);
    rpt_html_val(c, in->path);
    fputs(" : ", o);
    rpt_html_val(c, in->incomplete_reason);
    fputs("</li>", o);
  }
  if (n) fputs("</ul>\n", o);
  else fprintf(o, "<p>%s</p>\n", rpt_html_l(c, L_ALL_COMPLETE));
}

void rpt_html_coverage(const rpt_html_ctx *c) {
  const rpt_level *d = &c->r->scores.directory;
  rpt_html_section(c, 4, L_S4, "couverture");
  gaps(c);
  incomplete(c);
  fprintf(c->out, "<h3>%s</h3>\n<p>", rpt_html_l(c, L_DIR_COVERAGE));
  if (d->points_total)
    fprintf(c->out, "%zu %s %zu.", d->points_evaluated, rpt_html_l(c, L_POINTS), d->points_total);
  else
    fputs(rpt_html_l(c, L_UNKNOWN_LEVEL), c->out);
  fputs("</p>\n</section>\n", c->out);
}
