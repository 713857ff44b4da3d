/* findings.csv: DefectDojo's generic CSV columns first (so the file imports
 * as "Generic Findings Import"), then vigie's own, for Excel action plans. */
#include <string.h>

#include "report/esc.h"
#include "report/find_text.h"

static const char *const columns[] = {
    /* DefectDojo generic CSV */
    "Date", "Title", "CweId", "Url", "Severity", "Description", "Mitigation", "Impact",
    "References", "Active", "Verified", "FalsePositive", "Duplicate",
    /* ours */
    "RuleId", "Source", "Asset", "Address", "Port", "Service", "Product", "Version", "Confidence",
    "Objects", "Trend", "FirstSeen", "Waived", "WaiverReason", "WaiverExpires", "Uid"};

static const char *yes_no(bool b) { return b ? "True" : "False"; }

/* The DefectDojo columns of one finding; tmp is scratch. */
static void dd_cells(rpt_csvw *w, const rpt_report *r, const rpt_finding *f, const char *date,
                     rpt_buf *tmp) {
  const rpt_rule *rule = &r->rules[f->rule];
  const rpt_asset *a = &r->assets[f->asset];
  rpt_csvw_cell(w, date);
  rpt_csvw_cell(w, rpt_text_get(&rule->title, r->lang));
  rpt_csvw_cell(w, "0"); /* DefectDojo reads CweId with int(): 0 is "none" */
  tmp->len = 0;
  rpt_ftext_endpoint(tmp, a);
  rpt_csvw_cell(w, rpt_buf_str(tmp));
  rpt_csvw_cell(w, rpt_dd_severity(f->severity));
  tmp->len = 0;
  rpt_ftext_description(tmp, r, f, r->lang);
  rpt_csvw_cell(w, rpt_buf_str(tmp));
  rpt_csvw_cell(w, rpt_text_get(&rule->remediation, r->lang));
  rpt_csvw_cell(w, rpt_text_get(&rule->rationale, r->lang));
  tmp->len = 0;
  rpt_ftext_references(tmp, rule);
  rpt_csvw_cell(w, rpt_buf_str(tmp));
  /* A waived finding stays active: the waiver is ours, told in our columns. */
  rpt_csvw_cell(w, yes_no(f->trend != RPT_TREND_FIXED));
  rpt_csvw_cell(w, "False"); /* verified means by a human, in DefectDojo */
  rpt_csvw_cell(w, "False");
  rpt_csvw_cell(w, "False");
}

static void our_cells(rpt_csvw *w, const rpt_report *r, const rpt_finding *f, rpt_buf *tmp) {
  const rpt_rule *rule = &r->rules[f->rule];
  const rpt_asset *a = &r->assets[f->asset];
  bool svc = a->kind == RPT_ASSET_SERVICE;
  rpt_csvw_cell(w, rule->id);
  rpt_csvw_cell(w, rule->source == RPT_SRC_EXPOSURE ? "exposure" : "directory");
  rpt_csvw_cell(w, a->id);
  rpt_csvw_cell(w, svc ? a->address : a->dir_server);
  if (svc)
    rpt_csvw_cellf(w, "%u", a->port);
  else
    rpt_csvw_cell(w, NULL);
  rpt_csvw_cell(w, a->service);
  rpt_csvw_cell(w, a->product);
  rpt_csvw_cell(w, a->version);
  rpt_csvw_cell(w, f->confidence);
  tmp->len = 0;
  rpt_ftext_objects(tmp, f);
  rpt_csvw_cell(w, rpt_buf_str(tmp));
  rpt_csvw_cell(w, f->trend == RPT_TREND_NONE ? NULL : rpt_trend_name(f->trend));
  rpt_csvw_cell(w, f->first_seen);
  rpt_csvw_cell(w, yes_no(f->waived));
  const rpt_waiver *wv =
      f->waiver >= 0 && (size_t)f->waiver < r->waiver_count ? &r->waivers[f->waiver] : NULL;
  char day[11];
  rpt_ftext_expiry(wv, day);
  rpt_csvw_cell(w, wv ? wv->reason : NULL);
  rpt_csvw_cell(w, day);
  rpt_csvw_cell(w, f->uid);
}

vigie_status rpt_csv_write(const rpt_report *report, const rpt_csv_options *opts, FILE *out,
                           vigie_error *err) {
  if (!report || !out) return vigie_fail(err, VIGIE_EINVAL, "findings.csv: no report or stream");
  rpt_csvw w;
  rpt_buf tmp = {0};
  char date[11];
  rpt_date_of(report->created, date);
  rpt_csvw_init(&w, out, opts, report->lang);
  for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++) rpt_csvw_cell(&w, columns[i]);
  rpt_csvw_end_row(&w);
  for (size_t i = 0; i < report->finding_count; i++) {
    const rpt_finding *f = &report->findings[i];
    if (f->rule >= report->rule_count || f->asset >= report->asset_count) continue;
    dd_cells(&w, report, f, date, &tmp);
    our_cells(&w, report, f, &tmp);
    rpt_csvw_end_row(&w);
  }
  bool nomem = tmp.nomem;
  rpt_buf_free(&tmp);
  vigie_status st = rpt_csvw_finish(&w, "findings.csv", err);
  if (st == VIGIE_OK && nomem) st = vigie_fail(err, VIGIE_ENOMEM, "findings.csv: out of memory");
  return st;
}
