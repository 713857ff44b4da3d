/* scan.nmap.xml of a report: the scans it was built from, merged and
 * written by the scanner's own nmap writer (one format, one writer), so
 * DefectDojo, Faraday, Metasploit and ndiff read the same file vigie scan
 * -oX gives, with the exposure findings as vigie-exposure scripts. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vigie/report.h"
#include "vigie/scanner.h"

/* "2026-11-25T10:00:00[.123456]Z" as Unix microseconds; 0 when unreadable. */
static int64_t utc_us(const char *text) {
  struct tm tm = {0};
  const char *rest = text ? strptime(text, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
  if (rest == NULL) return 0;
  int64_t us = (int64_t)timegm(&tm) * 1000000;
  if (*rest == '.') {
    int64_t frac = 0, scale = 100000;
    for (rest++; *rest >= '0' && *rest <= '9'; rest++, scale /= 10)
      if (scale > 0) frac += (*rest - '0') * scale;
    us += frac;
  }
  return us;
}

vigie_status rpt_nmap_write(const rpt_report *report, FILE *out, vigie_error *err) {
  scan_store *store = scan_store_new();
  scan_services *services = scan_services_new();
  scan_names *names = scan_names_new();
  char *xsd = vigie_data_path("scan.xsd", err);
  vigie_status st = !store || !services || !names ? vigie_fail(err, VIGIE_ENOMEM, "out of memory")
                    : xsd == NULL                 ? err->status
                                                  : VIGIE_OK;
  scan_meta meta = {.mode = SCAN_MODE_CONNECT, .shard_count = 1};
  scan_stats stats = {0};
  bool first = true;
  for (size_t i = 0; st == VIGIE_OK && i < report->input_count; i++) {
    const rpt_input *in = &report->inputs[i];
    if (in->kind != RPT_SRC_EXPOSURE) continue;
    scan_saved saved = {0};
    st = scan_input_xml_services(in->path, xsd, store, &saved, services, err);
    if (st == VIGIE_OK && saved.names != NULL && scan_names_merge(names, saved.names) != VIGIE_OK)
      st = vigie_fail(err, VIGIE_ENOMEM, "out of memory");
    if (st == VIGIE_OK) {
      int64_t start = utc_us(in->start), end = utc_us(in->end);
      if (first || saved.mode == SCAN_MODE_SYN) meta.mode = saved.mode;
      if (first || (start && start < meta.start_us)) meta.start_us = start;
      if (first || end > meta.end_us) meta.end_us = end;
      if (!in->complete) stats.interrupted = true;
      first = false;
    }
    scan_saved_free(&saved);
  }
  if (st == VIGIE_OK) {
    scan_store_seal(store);
    scan_services_sort(services);
    scan_names_sort(names);
    meta.args = "vigie report";
    meta.stats = &stats;
    meta.services = services;
    meta.names = names;
    scan_result_source results = scan_source_store(store);
    st = scan_output_nmap(out, &meta, &results, err);
  }
  vigie_free(xsd);
  scan_store_free(store);
  scan_services_free(services);
  scan_names_free(names);
  return st;
}
