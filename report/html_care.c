/* Sections 8 to 10 of report.html: waivers, the CaRE domain 1 view (what
 * the establishment gathers as evidence) and the appendix. */
#include <time.h>

#include "report/html.h"

static void waiver_row(const rpt_html_ctx *c, const rpt_waiver *w) {
  FILE *o = c->out;
  char day[16] = "?";
  struct tm tm;
  if (gmtime_r(&w->expires, &tm)) strftime(day, sizeof day, "%Y-%m-%d", &tm);
  fputs(w->expired ? "<tr class=warn><td>" : "<tr><td>", o);
  rpt_html_val(c, w->rule);
  fputs("<td>", o);
  if (w->asset && w->asset[0] == '*' && !w->asset[1]) fputs(rpt_html_l(c, L_EVERY_ASSET), o);
  else rpt_html_val(c, w->asset);
  fputs("<td>", o);
  rpt_html_val(c, w->reason);
  fputs("<td>", o);
  rpt_html_val(c, w->author);
  fprintf(o, "<td>%s (%s)<td class=n>%zu</tr>\n", day,
          rpt_html_l(c, w->expired ? L_EXPIRED : L_ACTIVE), w->uses);
}

void rpt_html_waivers(const rpt_html_ctx *c) {
  FILE *o = c->out;
  rpt_html_section(c, 8, L_S8, "derogations");
  if (!c->r->waiver_count) {
    fprintf(o, "<p>%s</p>\n</section>\n", rpt_html_l(c, L_NO_WAIVER));
    return;
  }
  fprintf(o, "<table><tr><th>%s<th>%s<th>%s<th>%s<th>%s<th class=n>%s</tr>\n",
          rpt_html_l(c, L_RULE), rpt_html_l(c, L_ASSET), rpt_html_l(c, L_REASON),
          rpt_html_l(c, L_AUTHOR), rpt_html_l(c, L_EXPIRES), rpt_html_l(c, L_COVERED));
  for (size_t i = 0; i < c->r->waiver_count; i++) waiver_row(c, &c->r->waivers[i]);
  fputs("</table>\n</section>\n", o);
}

/* Dates of every exposure audit known: the previous reports', then ours. */
static void exposure_dates(const rpt_html_ctx *c) {
  FILE *o = c->out;
  size_t n = 0;
  fprintf(o, "<li>%s : ", rpt_html_l(c, L_CARE_EXPO));
  for (size_t i = 0; i < c->r->previous_count; i++) {
    if (!c->r->previous[i].exposure_date) continue;
    if (n++) fputs(", ", o);
    rpt_html_val(c, c->r->previous[i].exposure_date);
  }
  for (size_t i = 0; i < c->r->input_count; i++) {
    if (c->r->inputs[i].kind != RPT_SRC_EXPOSURE) continue;
    if (n++) fputs(", ", o);
    rpt_html_val(c, c->r->inputs[i].start);
  }
  if (!n) fputs(rpt_html_l(c, L_NONE), o);
  fputs("</li>\n", o);
}

static void directory_audits(const rpt_html_ctx *c) {
  FILE *o = c->out;
  size_t n = 0;
  fprintf(o, "<li>%s : ", rpt_html_l(c, L_CARE_AD));
  for (size_t i = 0; i < c->r->input_count; i++) {
    const rpt_input *in = &c->r->inputs[i];
    if (in->kind != RPT_SRC_DIRECTORY) continue;
    if (n++) fputs(", ", o);
    rpt_html_val(c, in->path);
    fputs(" (", o);
    rpt_html_val(c, in->start);
    fputs(")", o);
  }
  if (!n) fputs(rpt_html_l(c, L_NONE), o);
  const rpt_level *d = &c->r->scores.directory;
  if (d->known) fprintf(o, " — %s %d/5", rpt_html_l(c, L_LEVEL), d->value);
  fputs("</li>\n", o);
}

void rpt_html_care(const rpt_html_ctx *c) {
  FILE *o = c->out;
  const rpt_interval *iv = &c->r->interval;
  rpt_html_section(c, 9, L_S9, "care");
  fprintf(o, "<p>%s</p>\n<ul>\n", rpt_html_l(c, L_CARE_INTRO));
  exposure_dates(c);
  fprintf(o, "<li>%s : ", rpt_html_l(c, L_CARE_INTERVAL));
  if (iv->known)
    fprintf(o, "%ld %s, <b%s>%s</b>", iv->days, rpt_html_l(c, L_DAYS), iv->holds ? "" : " class=warn",
            rpt_html_l(c, iv->holds ? L_HOLDS : L_BROKEN));
  else
    fputs(rpt_html_l(c, L_INTERVAL_UNKNOWN), o);
  fputs("</li>\n", o);
  directory_audits(c);
  fprintf(o, "<li>%s : %zu</li>\n</ul>\n", rpt_html_l(c, L_CARE_REMED), c->r->scores.fixed_count);
  fprintf(o, "<h3>%s</h3>\n<p>%s</p>\n<h3>%s</h3>\n<p>%s</p>\n<p><b>%s</b></p>\n</section>\n",
          rpt_html_l(c, L_CARE_PROVIDES), rpt_html_l(c, L_CARE_PROVIDES_TEXT),
          rpt_html_l(c, L_CARE_REMAINS), rpt_html_l(c, L_CARE_REMAINS_TEXT),
          rpt_html_l(c, L_ESTIMATE));
}

static void kv(const rpt_html_ctx *c, rpt_html_label key, const char *value) {
  fprintf(c->out, "<tr><th>%s<td class=v>", rpt_html_l(c, key));
  rpt_html_val(c, value);
  fputs("</tr>\n", c->out);
}

static void previous(const rpt_html_ctx *c) {
  FILE *o = c->out;
  fprintf(o, "<h3>%s</h3>\n", rpt_html_l(c, L_PREVIOUS));
  if (!c->r->previous_count) {
    fprintf(o, "<p>%s</p>\n", rpt_html_l(c, L_NO_PREVIOUS));
    return;
  }
  fprintf(o, "<table><tr><th>%s<th>%s<th>%s<th>%s<th>%s</tr>\n", rpt_html_l(c, L_FILE),
          rpt_html_l(c, L_DATE), rpt_html_l(c, L_SCAN_DATE), rpt_html_l(c, L_EXPO_SHORT),
          rpt_html_l(c, L_DIR_SHORT));
  for (size_t i = 0; i < c->r->previous_count; i++) {
    const rpt_previous *p = &c->r->previous[i];
    fputs("<tr><td>", o);
    rpt_html_val(c, p->path);
    fputs("<td>", o);
    rpt_html_val(c, p->date);
    fputs("<td>", o);
    rpt_html_val(c, p->exposure_date);
    fprintf(o, "<td>%d<td>%d</tr>\n", p->exposure_level, p->directory_level);
  }
  fputs("</table>\n", o);
}

void rpt_html_appendix(const rpt_html_ctx *c) {
  FILE *o = c->out;
  rpt_html_section(c, 10, L_S10, "annexe");
  fprintf(o, "<table>\n<tr><th>%s<td class=v>", rpt_html_l(c, L_CATALOGUE));
  rpt_html_val(c, c->r->rules_version);
  fputs(" — sha256 ", o);
  rpt_html_val(c, c->r->rules_sha256);
  fputs("</tr>\n", o);
  kv(c, L_UUID, c->r->uuid);
  kv(c, L_KEY, c->key_fingerprint ? c->key_fingerprint : rpt_html_l(c, L_UNSIGNED));
  fputs("</table>\n", o);
  previous(c);
  fputs("</section>\n<footer>vigie ", o);
  rpt_html_val(c, c->r->tool_version);
  fputs(" — ", o);
  rpt_html_val(c, c->r->uuid);
  fputs("</footer>\n", o);
}
