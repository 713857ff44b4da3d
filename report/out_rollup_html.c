/* rollup.html: one self-contained page for a CRRC consultant, one row per
 * establishment. No script; one inline style whose SHA-256 the CSP names,
 * so nothing else can run or be styled even if a datum escaped. */
#include <string.h>

#include "report/rollup.h"

static const char style[] =
    "body{font:14px/1.4 system-ui,sans-serif;color:#1a1a1a;margin:1.5em}"
    "h1{font-size:1.4em;margin:0 0 .3em}"
    ".note{background:#fff6d6;border-left:4px solid #c90;padding:.4em .8em;max-width:60em}"
    "table{border-collapse:collapse;margin-top:1em}"
    "th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left;vertical-align:top}"
    "th{background:#eef1f5}td.n{text-align:right}"
    "tfoot td{font-weight:bold;background:#f5f5f5}"
    ".l1{background:#f4b6b6}.l2{background:#f9d3a8}.l3{background:#fbeea9}"
    ".l4{background:#d5efc1}.l5{background:#b9e2c0}"
    ".ko{color:#a00}"
    "@media print{body{margin:0;font-size:10px}.note{border-color:#000}"
    "table{page-break-inside:auto}tr{page-break-inside:avoid}thead{display:table-header-group}"
    "th,td{padding:.15em .3em}}";

static bool numeric(rpt_rollup_col c) {
  return c == RPT_RC_SCORE || (c >= RPT_RC_CRITICAL && c <= RPT_RC_PERSISTING);
}

static bool head(rpt_buf *b, bool en) {
  char hash[RPT_CSP_HASH_LEN];
  if (!rpt_csp_hash(style, sizeof style - 1, hash)) return false;
  rpt_buf_addf(b,
               "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n"
               "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
               "style-src '%s'; img-src data:; base-uri 'none'; form-action 'none'\">\n"
               "<meta charset=\"utf-8\">\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
               "<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n",
               en ? "en" : "fr", hash,
               en ? "vigie — regional roll-up" : "vigie — synthèse régionale", style);
  return true;
}

static void intro(rpt_buf *b, size_t n, bool en) {
  rpt_buf_addf(b, "<h1>%s</h1>\n<p>%zu %s</p>\n", en ? "Regional roll-up" : "Synthèse régionale", n,
               en ? "establishment reports" : "rapports d'établissement");
  rpt_buf_adds(b, en ? "<p class=\"note\">Levels 1 (worst) to 5 are estimates made by vigie to "
                       "prepare and follow remediation. They are not official results of "
                       "ANSSI's SILENE exposure audits or of an ADS directory assessment.</p>\n"
                     : "<p class=\"note\">Les niveaux 1 (le plus faible) à 5 sont des estimations "
                       "de vigie pour préparer et suivre la remédiation. Ce ne sont pas des "
                       "résultats officiels des audits d'exposition SILENE de l'ANSSI ni d'une "
                       "évaluation ADS de l'annuaire.</p>\n");
}

static void row_html(rpt_buf *b, rpt_buf *cell, const rpt_rollup_row *row, bool en, bool total) {
  rpt_buf_adds(b, "<tr>");
  for (int c = 0; c < RPT_RC_COUNT; c++) {
    rpt_rollup_col col = (rpt_rollup_col)c;
    int lv = col == RPT_RC_EXPOSURE ? row->exposure : col == RPT_RC_DIRECTORY ? row->directory : 0;
    cell->len = 0;
    rpt_rollup_cell(cell, row, col, en, total);
    if (col == RPT_RC_NAME && !total)
      rpt_buf_adds(b, "<th scope=\"row\">");
    else if (lv >= 1 && lv <= 5)
      rpt_buf_addf(b, "<td class=\"l%d\">", lv);
    else if (col == RPT_RC_INTERVAL && !total && row->interval.known && !row->interval.holds)
      rpt_buf_adds(b, "<td class=\"ko\">");
    else
      rpt_buf_adds(b, numeric(col) ? "<td class=\"n\">" : "<td>");
    if (cell->len)
      rpt_esc_html(b, rpt_buf_str(cell));
    else if (!total)
      rpt_buf_adds(b, "—");
    rpt_buf_adds(b, col == RPT_RC_NAME && !total ? "</th>" : "</td>");
  }
  rpt_buf_adds(b, "</tr>\n");
}

vigie_status rpt_rollup_html(const rpt_report *const *reports, size_t count, const char *lang,
                             FILE *out, vigie_error *err) {
  if ((!reports && count) || !out) return vigie_fail(err, VIGIE_EINVAL, "rollup.html: no stream");
  size_t n;
  rpt_rollup_row *rows = rpt_rollup_rows(reports, count, &n), total;
  if (!rows) return vigie_fail(err, VIGIE_ENOMEM, "rollup.html: out of memory");
  bool en = lang && strcmp(lang, "en") == 0;
  rpt_buf b = {0}, cell = {0};
  if (!head(&b, en)) {
    vigie_free(rows);
    return vigie_fail(err, VIGIE_ENOMEM, "rollup.html: SHA-256 of the style failed (OpenSSL)");
  }
  intro(&b, n, en);
  rpt_buf_adds(&b, "<table>\n<thead><tr>");
  for (int c = 0; c < RPT_RC_COUNT; c++) {
    rpt_buf_adds(&b, "<th scope=\"col\">");
    rpt_esc_html(&b, rpt_rollup_label((rpt_rollup_col)c, en));
    rpt_buf_adds(&b, "</th>");
  }
  rpt_buf_adds(&b, "</tr></thead>\n<tbody>\n");
  for (size_t i = 0; i < n; i++) row_html(&b, &cell, &rows[i], en, false);
  rpt_buf_adds(&b, "</tbody>\n<tfoot>\n");
  rpt_rollup_total(rows, n, &total);
  row_html(&b, &cell, &total, en, true);
  rpt_buf_adds(&b, "</tfoot>\n</table>\n</body>\n</html>\n");
  vigie_status st = VIGIE_OK;
  if (b.nomem || cell.nomem)
    st = vigie_fail(err, VIGIE_ENOMEM, "rollup.html: out of memory");
  else if (!rpt_buf_flush(&b, out) || fflush(out) != 0 || ferror(out))
    st = vigie_fail(err, VIGIE_EIO, "rollup.html: write failed");
  rpt_buf_free(&b);
  rpt_buf_free(&cell);
  vigie_free(rows);
  return st;
}
