/* What report.xml's writer and reader both require of a model beyond the
 * schema's types, and the one date format they share. The writer checks
 * first so it never writes a file the reader refuses; the reader checks
 * again after filling, since the schema is a data file VIGIE_RULES_DIR can
 * swap. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report/xml_int.h"

#define XC_NEED(cond, ...)                                       \
  do {                                                           \
    if (!(cond)) return vigie_fail(err, VIGIE_EINVAL, __VA_ARGS__); \
  } while (0)

static vigie_status xc_scope(const rpt_report *r, vigie_error *err) {
  XC_NEED(r->uuid && r->created && r->lang, "report: no uuid, creation time or language");
  XC_NEED(r->tool_version && r->rules_version && r->rules_sha256,
          "report: no tool version, rules version or rules sum");
  for (size_t i = 0; i < r->input_count; i++) {
    const rpt_input *in = &r->inputs[i];
    XC_NEED(in->path && in->sha256 && in->start && in->end && in->tool_version,
            "input %zu: no path, sum, times or tool version", i);
  }
  for (size_t i = 0; i < r->gap_count; i++)
    XC_NEED(r->gaps[i].what && r->gaps[i].why, "gap %zu: no what or why", i);
  return VIGIE_OK;
}

static vigie_status xc_rules_assets(const rpt_report *r, vigie_error *err) {
  for (size_t i = 0; i < r->rule_count; i++) {
    const rpt_rule *rule = &r->rules[i];
    XC_NEED(rule->id && rule->category, "rule %zu: no id or category", i);
    XC_NEED((unsigned)rule->severity < RPT_SEV_COUNT, "rule %s: bad severity", rule->id);
    for (size_t k = 0; k < rule->ref_count; k++)
      XC_NEED(rule->refs[k].label, "rule %s: reference %zu has no label", rule->id, k);
  }
  for (size_t i = 0; i < r->asset_count; i++) {
    const rpt_asset *a = &r->assets[i];
    XC_NEED(a->id, "asset %zu: no id", i);
    if (a->kind == RPT_ASSET_SERVICE) {
      XC_NEED(a->address && a->port, "asset %s: a service needs an address and a port", a->id);
      for (size_t k = 0; k < a->hostname_count; k++)
        XC_NEED(a->hostnames[k], "asset %s: hostname %zu is NULL", a->id, k);
      for (size_t k = 0; k < a->fact_count; k++)
        XC_NEED(a->facts[k].name && a->facts[k].value, "asset %s: fact %zu is NULL", a->id, k);
    } else {
      XC_NEED(a->profile, "asset %s: a directory needs a profile", a->id);
    }
  }
  return VIGIE_OK;
}

static vigie_status xc_findings(const rpt_report *r, vigie_error *err) {
  for (size_t i = 0; i < r->finding_count; i++) {
    const rpt_finding *f = &r->findings[i];
    XC_NEED(f->uid && f->confidence, "finding %zu: no uid or confidence", i);
    XC_NEED(f->rule < r->rule_count && f->asset < r->asset_count,
            "finding %s: rule or asset index out of range", f->uid);
    XC_NEED((unsigned)f->severity < RPT_SEV_COUNT, "finding %s: bad severity", f->uid);
    XC_NEED(f->waiver >= -1 && (f->waiver < 0 || (size_t)f->waiver < r->waiver_count),
            "finding %s: waiver %ld out of range (%zu waivers)", f->uid, f->waiver,
            r->waiver_count);
    XC_NEED(f->objects_total >= f->object_count, "finding %s: objects-total below the objects kept",
            f->uid);
    for (size_t k = 0; k < f->object_count; k++)
      XC_NEED(f->objects[k].dn, "finding %s: object %zu has no dn", f->uid, k);
  }
  for (size_t i = 0; i < r->waiver_count; i++)
    XC_NEED(r->waivers[i].rule && r->waivers[i].asset && r->waivers[i].author,
            "waiver %zu: no rule, asset or author", i);
  return VIGIE_OK;
}

static vigie_status xc_scores(const rpt_report *r, vigie_error *err) {
  const rpt_level *lv[2] = {&r->scores.exposure, &r->scores.directory};
  for (int l = 0; l < 2; l++) {
    XC_NEED(lv[l]->value >= 0 && lv[l]->value <= 5, "level %d: value %d out of 0..5", l,
            lv[l]->value);
    for (size_t h = 0; h < lv[l]->holder_count; h++)
      XC_NEED(lv[l]->holders[h] < r->finding_count, "level %d: holder %zu out of range", l, h);
  }
  XC_NEED(r->scores.score <= 100, "score %u over 100", r->scores.score);
  for (size_t i = 0; i < r->previous_count; i++)
    XC_NEED(r->previous[i].path && r->previous[i].date, "previous %zu: no path or date", i);
  return VIGIE_OK;
}

vigie_status rpt_xml_check_model(const rpt_report *r, vigie_error *err) {
  vigie_status status = xc_scope(r, err);
  if (status == VIGIE_OK) status = xc_rules_assets(r, err);
  if (status == VIGIE_OK) status = xc_findings(r, err);
  if (status == VIGIE_OK) status = xc_scores(r, err);
  return status;
}

bool rpt_xml_format_time(time_t t, char *buf, size_t len) {
  struct tm tm;
  if (!gmtime_r(&t, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900) return false;
  /* Four-digit years always: strftime's %Y writes "252" for the year 252,
   * which xs:dateTime refuses, so such a time would not read back. */
  int n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                   tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return n > 0 && (size_t)n < len;
}

static bool xc_digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool rpt_xml_parse_time(const char *s, time_t *out) {
  int y, mo, d, h, mi, se;
  if (!s || strlen(s) < 20 || !xc_digits(s, 4, &y) || s[4] != '-' || !xc_digits(s + 5, 2, &mo) ||
      s[7] != '-' || !xc_digits(s + 8, 2, &d) || s[10] != 'T' || !xc_digits(s + 11, 2, &h) ||
      s[13] != ':' || !xc_digits(s + 14, 2, &mi) || s[16] != ':' || !xc_digits(s + 17, 2, &se))
    return false;
  const char *p = s + 19;
  if (*p == '.')
    for (p++; *p >= '0' && *p <= '9'; p++) continue;
  if (strcmp(p, "Z") != 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
    return false;
  struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                  .tm_min = mi, .tm_sec = se};
  time_t t = timegm(&tm);
  struct tm back;
  /* timegm accepts 31 February (as 3 March): refuse what it moved. */
  if (!gmtime_r(&t, &back) || back.tm_mday != d || back.tm_mon != mo - 1) return false;
  *out = t;
  return true;
}
