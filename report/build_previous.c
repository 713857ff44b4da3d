/* The part of rpt_build that reads previous report.xml files: linked only
 * with report/in_xml.c (rpt_xml_read), see report/meson.build. */
#include "report/build_int.h"

vigie_status rpt_build_previous(rpt_report *now, const char *const *paths, size_t n,
                                vigie_error *err) {
  rpt_report **prev = vigie_calloc(n + 1, sizeof *prev);
  if (!prev) return vigie_fail(err, VIGIE_ENOMEM, "previous reports: out of memory");
  vigie_status status = VIGIE_OK;
  for (size_t i = 0; i < n && status == VIGIE_OK; i++) status = rpt_xml_read(paths[i], &prev[i], err);
  if (status == VIGIE_OK)
    status = rpt_trend_apply(now, (const rpt_report *const *)prev, paths, n, err);
  for (size_t i = 0; i < n; i++) rpt_report_free(prev[i]);
  vigie_free(prev);
  return status;
}
