/* rollup.csv: the regional roll-up as a table for Excel, same columns and
 * same cells as the HTML page, and the CSV rules of findings.csv. */
#include <string.h>

#include "report/rollup.h"

vigie_status rpt_rollup_csv(const rpt_report *const *reports, size_t count,
                            const rpt_csv_options *opts, FILE *out, vigie_error *err) {
  if ((!reports && count) || !out) return vigie_fail(err, VIGIE_EINVAL, "rollup.csv: no stream");
  size_t n;
  rpt_rollup_row *rows = rpt_rollup_rows(reports, count, &n), total;
  if (!rows) return vigie_fail(err, VIGIE_ENOMEM, "rollup.csv: out of memory");
  rpt_rollup_total(rows, n, &total);
  /* The first report's language for every heading (a region works in one). */
  const char *lang = n && count && reports[0] ? reports[0]->lang : "fr";
  bool en = lang && strcmp(lang, "en") == 0;
  rpt_csvw w;
  rpt_buf cell = {0};
  rpt_csvw_init(&w, out, opts, lang);
  for (int c = 0; c < RPT_RC_COUNT; c++) rpt_csvw_cell(&w, rpt_rollup_label((rpt_rollup_col)c, en));
  rpt_csvw_end_row(&w);
  for (size_t i = 0; i <= n; i++) {
    const rpt_rollup_row *row = i < n ? &rows[i] : &total;
    for (int c = 0; c < RPT_RC_COUNT; c++) {
      cell.len = 0;
      rpt_rollup_cell(&cell, row, (rpt_rollup_col)c, en, i == n);
      rpt_csvw_cell(&w, rpt_buf_str(&cell));
    }
    rpt_csvw_end_row(&w);
  }
  if (cell.nomem) w.cell.nomem = true;
  rpt_buf_free(&cell);
  vigie_free(rows);
  return rpt_csvw_finish(&w, "rollup.csv", err);
}
