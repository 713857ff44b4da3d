/* findings.json: DefectDojo's "Generic Findings Import" JSON. DefectDojo
 * rejects a finding holding any key outside its list, so each finding
 * carries only those keys, in a fixed order (the output is deterministic).
 * One finding per line keeps diffs and greps readable. */
#include <string.h>

#include "report/esc.h"
#include "report/find_text.h"

/* Lengths of DefectDojo's Finding columns: longer values fail the import. */
#define CAP_TITLE 500u
#define CAP_COMPONENT 500u
#define CAP_VERSION 100u
#define CAP_SERVICE 200u
/* A description holds evidence: keep it readable in DefectDojo's page. */
#define CAP_TEXT 65536u

typedef struct json_out {
  rpt_buf b;
  const char *marker;
} json_out;

static void key(json_out *j, bool *first, const char *name) {
  rpt_buf_adds(&j->b, *first ? "\"" : ",\"");
  rpt_buf_adds(&j->b, name);
  rpt_buf_adds(&j->b, "\":");
  *first = false;
}

static void str_field(json_out *j, bool *first, const char *name, const char *value, size_t cap,
                      bool always) {
  if (!always && (!value || !*value)) return;
  key(j, first, name);
  rpt_esc_json(&j->b, value, cap, j->marker);
}

static void bool_field(json_out *j, bool *first, const char *name, bool value) {
  key(j, first, name);
  rpt_buf_adds(&j->b, value ? "true" : "false");
}

/* "CVE-YYYY-NNNN…" exactly: only those go to vulnerability_ids. */
static bool is_cve(const char *s) {
  if (!s || strncmp(s, "CVE-", 4) != 0) return false;
  size_t i = 4, d = 0;
  for (; s[i] >= '0' && s[i] <= '9'; i++) d++;
  if (d != 4 || s[i++] != '-') return false;
  for (d = 0; s[i] >= '0' && s[i] <= '9'; i++) d++;
  return d >= 4 && s[i] == '\0';
}

static void arrays(json_out *j, bool *first, const rpt_report *r, const rpt_finding *f,
                   rpt_buf *tmp) {
  const rpt_rule *rule = &r->rules[f->rule];
  tmp->len = 0;
  if (rpt_ftext_endpoint(tmp, &r->assets[f->asset])) {
    key(j, first, "endpoints");
    rpt_buf_addc(&j->b, '[');
    rpt_esc_json(&j->b, rpt_buf_str(tmp), 0, NULL);
    rpt_buf_addc(&j->b, ']');
  }
  key(j, first, "tags");
  rpt_buf_adds(&j->b, rule->source == RPT_SRC_EXPOSURE ? "[\"vigie\",\"exposure\""
                                                       : "[\"vigie\",\"directory\"");
  if (rule->category && *rule->category) {
    /* DefectDojo splits tags on spaces and commas: keep one word */
    tmp->len = 0;
    for (const char *c = rule->category; *c && tmp->len < 100; c++) {
      bool word = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.';
      rpt_buf_addc(tmp, word ? *c : '-');
    }
    rpt_buf_adds(&j->b, ",\"");
    rpt_buf_add(&j->b, tmp->data, tmp->len);
    rpt_buf_addc(&j->b, '"');
  }
  rpt_buf_addc(&j->b, ']');
  size_t n = 0;
  for (size_t i = 0; i < rule->ref_count; i++) {
    if (!is_cve(rule->refs[i].label)) continue;
    if (n++ == 0) key(j, first, "vulnerability_ids");
    rpt_buf_addc(&j->b, n == 1 ? '[' : ',');
    rpt_esc_json(&j->b, rule->refs[i].label, 0, NULL);
  }
  if (n) rpt_buf_addc(&j->b, ']');
}

static void finding(json_out *j, const rpt_report *r, const rpt_finding *f, const char *date,
                    rpt_buf *tmp) {
  const rpt_rule *rule = &r->rules[f->rule];
  const rpt_asset *a = &r->assets[f->asset];
  bool first = true;
  bool fixed = f->trend == RPT_TREND_FIXED;
  rpt_buf_addc(&j->b, '{');
  str_field(j, &first, "title", rpt_text_get(&rule->title, r->lang), CAP_TITLE, true);
  str_field(j, &first, "severity", rpt_dd_severity(f->severity), 0, true);
  tmp->len = 0;
  rpt_ftext_description(tmp, r, f, r->lang);
  str_field(j, &first, "description", rpt_buf_str(tmp), CAP_TEXT, true);
  str_field(j, &first, "date", date, 0, false);
  str_field(j, &first, "mitigation", rpt_text_get(&rule->remediation, r->lang), CAP_TEXT, false);
  str_field(j, &first, "impact", rpt_text_get(&rule->rationale, r->lang), CAP_TEXT, false);
  tmp->len = 0;
  rpt_ftext_references(tmp, rule);
  str_field(j, &first, "references", rpt_buf_str(tmp), CAP_TEXT, false);
  bool_field(j, &first, "active", !fixed);
  bool_field(j, &first, "verified", false);
  bool_field(j, &first, "false_p", false);
  bool_field(j, &first, "risk_accepted", f->waived && !fixed);
  bool_field(j, &first, "is_mitigated", fixed);
  if (a->kind == RPT_ASSET_SERVICE) {
    str_field(j, &first, "component_name", a->product, CAP_COMPONENT, false);
    str_field(j, &first, "component_version", a->version, CAP_VERSION, false);
    str_field(j, &first, "service", a->service, CAP_SERVICE, false);
  }
  str_field(j, &first, "unique_id_from_tool", f->uid, CAP_COMPONENT, false);
  str_field(j, &first, "vuln_id_from_tool", rule->id, CAP_COMPONENT, false);
  arrays(j, &first, r, f, tmp);
  rpt_buf_addc(&j->b, '}');
}

static void header(json_out *j, const rpt_report *r) {
  bool en = r->lang && strcmp(r->lang, "en") == 0;
  rpt_buf desc = {0};
  rpt_buf_adds(&desc,
               r->establishment ? r->establishment : (en ? "Establishment" : "Établissement"));
  if (r->finess) rpt_buf_addf(&desc, " (FINESS %s)", r->finess);
  rpt_buf_adds(&desc, en ? ", report " : ", rapport ");
  rpt_buf_adds(&desc, r->uuid);
  rpt_buf_adds(&desc, en ? " of " : " du ");
  rpt_buf_adds(&desc, r->created);
  rpt_buf_adds(&desc, en ? ", rules " : ", règles ");
  rpt_buf_adds(&desc, r->rules_version);
  rpt_buf_adds(&j->b, "{\"name\":\"vigie\",\"type\":\"vigie report\",\"version\":");
  rpt_esc_json(&j->b, r->tool_version ? r->tool_version : VIGIE_VERSION_STRING, CAP_VERSION,
               j->marker);
  rpt_buf_adds(&j->b, ",\"description\":");
  rpt_esc_json(&j->b, rpt_buf_str(&desc), CAP_TEXT, j->marker);
  rpt_buf_adds(&j->b, ",\"findings\":[");
  if (desc.nomem) j->b.nomem = true;
  rpt_buf_free(&desc);
}

vigie_status rpt_json_write(const rpt_report *report, FILE *out, vigie_error *err) {
  if (!report || !out) return vigie_fail(err, VIGIE_EINVAL, "findings.json: no report or stream");
  json_out j = {.marker = rpt_cut_marker(report->lang)};
  rpt_buf tmp = {0};
  bool io = true;
  char date[11];
  rpt_date_of(report->created, date);
  header(&j, report);
  size_t n = 0;
  for (size_t i = 0; i < report->finding_count && !j.b.nomem; i++) {
    const rpt_finding *f = &report->findings[i];
    if (f->rule >= report->rule_count || f->asset >= report->asset_count) continue;
    rpt_buf_adds(&j.b, n++ ? ",\n" : "\n");
    finding(&j, report, f, date, &tmp);
    if (j.b.len >= 65536) io = rpt_buf_flush(&j.b, out) && io;
  }
  rpt_buf_adds(&j.b, "\n]}\n");
  vigie_status st = VIGIE_OK;
  if (j.b.nomem || tmp.nomem)
    st = vigie_fail(err, VIGIE_ENOMEM, "findings.json: out of memory");
  else if (!rpt_buf_flush(&j.b, out) || !io || fflush(out) != 0 || ferror(out))
    st = vigie_fail(err, VIGIE_EIO, "findings.json: write failed");
  rpt_buf_free(&j.b);
  rpt_buf_free(&tmp);
  return st;
}
