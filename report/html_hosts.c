/* Section 6 of report.html: per host, its services and their findings.
 * Assets come sorted by address then port, so a host is a run of them;
 * findings are reached through the by-asset index (no search). */
#include <string.h>

#include "report/html.h"

/* Facts worth a line in the page; the rest stay in report.xml. */
static bool key_fact(const char *name) {
  static const char *const prefixes[] = {"tls.", "cert.", "http.title", "http.server", "ssh.protocol",
                                         "smb.", "rdp.", "ldap.", "dicom.", "hl7."};
  for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
    if (name && strncmp(name, prefixes[i], strlen(prefixes[i])) == 0) return true;
  return false;
}

enum { FACTS_SHOWN = 12 };

static void service_row(const rpt_html_ctx *c, const rpt_asset *a) {
  FILE *o = c->out;
  fprintf(o, "<tr><td>%u<td>", (unsigned)a->port);
  rpt_html_val(c, a->service);
  fputs("<td>", o);
  rpt_html_val(c, a->product);
  fputs("<td>", o);
  rpt_html_val(c, a->version);
  fprintf(o, "<td>%s<td class=v>", rpt_html_l(c, a->tls ? L_YES : L_NO));
  size_t shown = 0;
  for (size_t i = 0; i < a->fact_count && shown < FACTS_SHOWN; i++) {
    if (!key_fact(a->facts[i].name)) continue;
    if (shown++) fputs("\n", o);
    rpt_html_val(c, a->facts[i].name);
    fputs(" = ", o);
    rpt_html_val(c, a->facts[i].value);
  }
  fputs("</tr>\n", o);
}

static void finding_rows(const rpt_html_ctx *c, size_t asset, size_t *n) {
  FILE *o = c->out;
  for (size_t j = c->asset_first[asset]; j < c->asset_first[asset + 1]; j++) {
    const rpt_finding *f = &c->r->findings[c->by_asset[j]];
    if (f->trend == RPT_TREND_FIXED) continue; /* listed in the plan */
    if (!(*n)++)
      fprintf(o, "<table><tr><th>%s<th>%s<th>%s<th>%s<th>%s</tr>\n", rpt_html_l(c, L_SEVERITY),
              rpt_html_l(c, L_RULE), rpt_html_l(c, L_PORT), rpt_html_l(c, L_EVIDENCE),
              rpt_html_l(c, L_TREND));
    fprintf(o, "<tr class=s%d><td>%s<td>", (int)f->severity, rpt_html_sev(f->severity, c->en));
    rpt_html_val(c, c->r->rules[f->rule].id);
    fprintf(o, "<td>%u<td class=v>", (unsigned)c->r->assets[asset].port);
    rpt_html_val(c, f->evidence);
    fprintf(o, "<td>%s%s%s</tr>\n", rpt_html_trend(f->trend, c->en), f->waived ? " " : "",
            f->waived ? rpt_html_l(c, L_WAIVED) : "");
  }
}

static void hostnames(const rpt_html_ctx *c, const rpt_asset *a) {
  if (!a->hostname_count) return;
  fprintf(c->out, "<p>%s : ", rpt_html_l(c, L_HOSTNAMES));
  size_t shown = a->hostname_count < c->object_cap ? a->hostname_count : c->object_cap;
  for (size_t i = 0; i < shown; i++) {
    if (i) fputs(", ", c->out);
    rpt_html_val(c, a->hostnames[i]);
  }
  if (shown < a->hostname_count)
    fprintf(c->out, " %s %zu %s", rpt_html_l(c, L_AND_MORE), a->hostname_count - shown,
            rpt_html_l(c, L_MORE_OBJECTS));
  fputs("</p>\n", c->out);
}

/* One host: the run of service assets [first, end) sharing its address. */
static void host(const rpt_html_ctx *c, size_t first, size_t end) {
  FILE *o = c->out;
  const rpt_asset *a = &c->r->assets[first];
  fputs("<h3>", o);
  rpt_html_val(c, a->address);
  fputs("</h3>\n", o);
  hostnames(c, a);
  fprintf(o, "<table><tr><th>%s<th>%s<th>%s<th>%s<th>%s<th>%s</tr>\n", rpt_html_l(c, L_PORT),
          rpt_html_l(c, L_SERVICE), rpt_html_l(c, L_PRODUCT), rpt_html_l(c, L_VERSION),
          rpt_html_l(c, L_TLS), rpt_html_l(c, L_FACTS));
  for (size_t i = first; i < end; i++) service_row(c, &c->r->assets[i]);
  fputs("</table>\n", o);
  size_t n = 0;
  for (size_t i = first; i < end; i++) finding_rows(c, i, &n);
  if (n) fputs("</table>\n", o);
}

static bool same_host(const rpt_asset *a, const rpt_asset *b) {
  return b->kind == RPT_ASSET_SERVICE && a->address && b->address &&
         strcmp(a->address, b->address) == 0;
}

void rpt_html_hosts(const rpt_html_ctx *c) {
  const rpt_report *r = c->r;
  rpt_html_section(c, 6, L_S6, "hotes");
  size_t hosts = 0;
  for (size_t i = 0; i < r->asset_count;) {
    if (r->assets[i].kind != RPT_ASSET_SERVICE) {
      i++;
      continue;
    }
    size_t end = i + 1;
    while (end < r->asset_count && same_host(&r->assets[i], &r->assets[end])) end++;
    host(c, i, end);
    hosts++;
    i = end;
  }
  if (!hosts) fprintf(c->out, "<p>%s</p>\n", rpt_html_l(c, L_NO_HOST));
  fputs("</section>\n", c->out);
}
