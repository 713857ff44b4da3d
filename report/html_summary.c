/* Sections 1 and 2 of report.html: the managerial summary (levels, counts
 * beside the score, first actions, change) and the technical summary. */
#include <stdlib.h>
#include <string.h>

#include "report/html.h"

/* One finding named in a line: severity, rule, title, asset. */
static void finding_line(const rpt_html_ctx *c, const rpt_finding *f) {
  const rpt_rule *rule = &c->r->rules[f->rule];
  fprintf(c->out, "<li>[%s] ", rpt_html_sev(f->severity, c->en));
  rpt_html_val(c, rule->id);
  fputs(" — ", c->out);
  rpt_html_rtext(c, &rule->title);
  fputs(" — ", c->out);
  rpt_html_val(c, c->r->assets[f->asset].id);
  fputs("</li>", c->out);
}

static void more_line(const rpt_html_ctx *c, size_t rest) {
  if (rest)
    fprintf(c->out, "<li class=note>%s %zu %s</li>", rpt_html_l(c, L_AND_MORE), rest,
            rpt_html_l(c, L_MORE_OBJECTS));
}

static void level_box(const rpt_html_ctx *c, const rpt_level *lv, rpt_html_label title,
                      bool directory) {
  FILE *o = c->out;
  fprintf(o, "<div><h3>%s</h3>", rpt_html_l(c, title));
  rpt_html_svg_gauge(o, lv->known ? lv->value : 0, c->en);
  if (!lv->known) {
    fprintf(o, "<p>%s</p></div>\n", rpt_html_l(c, L_UNKNOWN_LEVEL));
    return;
  }
  fprintf(o, "<p><b>%s %d/5</b>", rpt_html_l(c, L_LEVEL), lv->value);
  if (directory && lv->points_total)
    fprintf(o, " — %zu %s %zu", lv->points_evaluated, rpt_html_l(c, L_POINTS), lv->points_total);
  fputs("</p>", o);
  if (lv->holder_count) {
    fprintf(o, "<p>%s :</p><ul>", rpt_html_l(c, L_HOLDERS));
    size_t shown = lv->holder_count < c->object_cap ? lv->holder_count : c->object_cap;
    for (size_t i = 0; i < shown; i++)
      if (lv->holders[i] < c->r->finding_count) finding_line(c, &c->r->findings[lv->holders[i]]);
    more_line(c, lv->holder_count - shown);
    fputs("</ul>", o);
  }
  const char *next = c->en && lv->next_en ? lv->next_en : lv->next;
  if (lv->value >= 5 || !next) {
    fprintf(o, "<p>%s</p>", rpt_html_l(c, L_TOP));
  } else {
    fprintf(o, "<p><b>%s</b> : ", rpt_html_l(c, L_NEXT));
    rpt_html_val(c, next);
    fputs("</p>", o);
  }
  fputs("</div>\n", o);
}

static void counts_table(const rpt_html_ctx *c) {
  const rpt_scores *s = &c->r->scores;
  FILE *o = c->out;
  fprintf(o, "<h3>%s</h3>\n<table><tr><th>%s<th class=n>%s<th class=n>%s</tr>", rpt_html_l(c, L_COUNTS),
          rpt_html_l(c, L_SEVERITY), rpt_html_l(c, L_FINDINGS), rpt_html_l(c, L_WAIVED));
  for (int v = 0; v < RPT_SEV_COUNT; v++)
    fprintf(o, "<tr class=s%d><td>%s<td class=n>%zu<td class=n>%zu</tr>", v,
            rpt_html_sev((rpt_severity)v, c->en), s->counts[v], s->waived_counts[v]);
  fprintf(o, "</table>\n<p><b>%s : %u/100</b>%s%s%s — %s</p>\n", rpt_html_l(c, L_SCORE), s->score,
          s->score_capped ? " (" : "", s->score_capped ? rpt_html_l(c, L_CAPPED) : "",
          s->score_capped ? ")" : "", rpt_html_l(c, L_SCORE_NOTE));
  rpt_html_svg_bars(o, s->counts, c->en);
}

static void first_actions(const rpt_html_ctx *c) {
  FILE *o = c->out;
  fprintf(o, "<h3>%s</h3>\n", rpt_html_l(c, L_FIRST_ACTIONS));
  if (!c->group_count) {
    fprintf(o, "<p>%s</p>\n", rpt_html_l(c, L_NO_ACTION));
    return;
  }
  fputs("<ol>", o);
  for (size_t i = 0; i < c->group_count && i < 5; i++) {
    const rpt_html_group *g = &c->groups[i];
    const rpt_rule *rule = &c->r->rules[g->rule];
    fprintf(o, "<li><b>[%s] ", rpt_html_sev(g->worst, c->en));
    rpt_html_val(c, rule->id);
    fputs(" — ", o);
    rpt_html_rtext(c, &rule->title);
    fprintf(o, "</b> (%zu %s) : ", g->count, rpt_html_l(c, L_ASSETS));
    rpt_html_rtext(c, &rule->remediation);
    fputs("</li>", o);
  }
  fputs("</ol>\n", o);
}

static void level_move(const rpt_html_ctx *c, rpt_html_label what, int before,
                       const rpt_level *now) {
  fprintf(c->out, "<li>%s : ", rpt_html_l(c, what));
  if (before) fprintf(c->out, "%d", before);
  else fputs("?", c->out);
  fputs(" → ", c->out);
  if (now->known) fprintf(c->out, "%d", now->value);
  else fputs("?", c->out);
  fputs("</li>", c->out);
}

static void change(const rpt_html_ctx *c) {
  const rpt_report *r = c->r;
  FILE *o = c->out;
  fprintf(o, "<h3>%s</h3>\n", rpt_html_l(c, L_CHANGE));
  if (!r->previous_count) {
    fprintf(o, "<p>%s</p>\n", rpt_html_l(c, L_NO_PREVIOUS));
    return;
  }
  fprintf(o, "<ul><li>%zu %s</li><li>%zu %s</li><li>%zu %s</li></ul>\n", r->scores.new_count,
          rpt_html_l(c, L_NEW), r->scores.fixed_count, rpt_html_l(c, L_FIXED),
          r->scores.persisting_count, rpt_html_l(c, L_PERSISTING));
  const rpt_previous *p = &r->previous[r->previous_count - 1]; /* the newest */
  fprintf(o, "<p>%s ", rpt_html_l(c, L_LEVEL_MOVE));
  rpt_html_val(c, p->date);
  fputs(" :</p><ul>", o);
  level_move(c, L_EXPO_SHORT, p->exposure_level, &r->scores.exposure);
  level_move(c, L_DIR_SHORT, p->directory_level, &r->scores.directory);
  fputs("</ul>\n", o);
}

void rpt_html_summary(const rpt_html_ctx *c) {
  rpt_html_section(c, 1, L_S1, "synthese");
  fputs("<div class=lv>\n", c->out);
  level_box(c, &c->r->scores.exposure, L_EXPOSURE_LEVEL, false);
  level_box(c, &c->r->scores.directory, L_DIRECTORY_LEVEL, true);
  fprintf(c->out, "</div>\n<p class=note>%s</p>\n", rpt_html_l(c, L_ESTIMATE));
  counts_table(c);
  first_actions(c);
  change(c);
  fputs("</section>\n", c->out);
}

/* ------------------------------------------------------------ section 2 */

typedef struct cat_key {
  const char *name;
  size_t rule;
} cat_key;

static int cat_cmp(const void *pa, const void *pb) {
  const cat_key *a = pa, *b = pb;
  return strcmp(a->name, b->name);
}

void rpt_html_technical(const rpt_html_ctx *c) {
  const rpt_report *r = c->r;
  FILE *o = c->out;
  rpt_html_section(c, 2, L_S2, "technique");
  size_t n = r->rule_count;
  cat_key *keys = vigie_malloc((n ? n : 1) * sizeof *keys);
  size_t(*counts)[RPT_SEV_COUNT] = vigie_calloc(n ? n : 1, sizeof *counts);
  size_t *slot = vigie_malloc((n ? n : 1) * sizeof *slot);
  if (!keys || !counts || !slot) goto done; /* the section stays empty */
  for (size_t k = 0; k < n; k++)
    keys[k] = (cat_key){r->rules[k].category ? r->rules[k].category : "", k};
  qsort(keys, n, sizeof *keys, cat_cmp);
  size_t cats = 0;
  for (size_t i = 0; i < n; i++) {
    if (i && strcmp(keys[i].name, keys[i - 1].name) != 0) cats++;
    slot[keys[i].rule] = cats;
  }
  for (size_t i = 0; i < c->group_count; i++)
    for (size_t j = 0; j < c->groups[i].count; j++) {
      const rpt_finding *f = &r->findings[c->open_idx[c->groups[i].first + j]];
      counts[slot[f->rule]][f->severity]++;
    }
  fprintf(o, "<h3>%s</h3>\n<table><tr><th>%s", rpt_html_l(c, L_BY_CATEGORY),
          rpt_html_l(c, L_CATEGORY));
  for (int v = 0; v < RPT_SEV_COUNT; v++)
    fprintf(o, "<th class=n>%s", rpt_html_sev((rpt_severity)v, c->en));
  fprintf(o, "<th class=n>%s</tr>\n", rpt_html_l(c, L_TOTAL));
  for (size_t i = 0; i < n; i++) {
    if (i && slot[keys[i].rule] == slot[keys[i - 1].rule]) continue;
    size_t *row = counts[slot[keys[i].rule]], total = 0;
    fputs("<tr><td>", o);
    rpt_html_val(c, keys[i].name);
    for (int v = 0; v < RPT_SEV_COUNT; v++) {
      fprintf(o, "<td class=n>%zu", row[v]);
      total += row[v];
    }
    fprintf(o, "<td class=n>%zu</tr>\n", total);
  }
  fputs("</table>\n", o);
  rpt_html_svg_bars(o, r->scores.counts, c->en);
done:
  vigie_free(keys);
  vigie_free(counts);
  vigie_free(slot);
  fputs("</section>\n", o);
}
