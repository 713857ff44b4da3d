/* Texts shared by the DefectDojo outputs (see find_text.h). */
#include "report/find_text.h"

#include <arpa/inet.h>
#include <string.h>

const char *rpt_dd_severity(rpt_severity sev) {
  static const char *const names[RPT_SEV_COUNT] = {"Critical", "High", "Medium", "Low", "Info"};
  return (unsigned)sev < RPT_SEV_COUNT ? names[sev] : "Info";
}

void rpt_ftext_expiry(const rpt_waiver *w, char out[11]) {
  struct tm tm;
  out[0] = '\0';
  if (w && w->expires > 0 && gmtime_r(&w->expires, &tm))
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)(tm.tm_year + 1900) % 10000u,
             (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u);
}

void rpt_ftext_objects(rpt_buf *b, const rpt_finding *f) {
  size_t total = f->objects_total > f->object_count ? f->objects_total : f->object_count;
  if (!total) return;
  rpt_buf_addf(b, "%zu", total);
  for (size_t i = 0; i < f->object_count && i < RPT_FTEXT_OBJECTS; i++) {
    rpt_buf_adds(b, i ? " | " : ": ");
    rpt_buf_adds(b, f->objects[i].dn);
  }
  if (total > RPT_FTEXT_OBJECTS && f->object_count) rpt_buf_adds(b, " | …");
}

void rpt_ftext_references(rpt_buf *b, const rpt_rule *rule) {
  for (size_t i = 0; i < rule->ref_count; i++) {
    const rpt_reference *ref = &rule->refs[i];
    if (i) rpt_buf_addc(b, '\n');
    rpt_buf_adds(b, ref->label);
    if (ref->href && *ref->href) {
      rpt_buf_adds(b, ref->label && *ref->label ? ": " : "");
      rpt_buf_adds(b, ref->href);
    }
  }
}

static void add_line(rpt_buf *b, const char *label, const char *value) {
  if (!value || !*value) return;
  rpt_buf_addc(b, '\n');
  rpt_buf_adds(b, label);
  rpt_buf_adds(b, value);
}

void rpt_ftext_description(rpt_buf *b, const rpt_report *r, const rpt_finding *f,
                           const char *lang) {
  bool en = lang && strcmp(lang, "en") == 0;
  const rpt_rule *rule = &r->rules[f->rule];
  const rpt_asset *a = &r->assets[f->asset];
  rpt_buf_adds(b, rpt_text_get(&rule->description, lang));
  rpt_buf_addc(b, '\n');
  add_line(b, en ? "Asset: " : "Actif : ", a->id);
  add_line(b, en ? "Evidence: " : "Preuve : ", f->evidence);
  add_line(b, en ? "Confidence: " : "Confiance : ", f->confidence);
  if (f->trend != RPT_TREND_NONE)
    add_line(b, en ? "Trend: " : "Évolution : ", rpt_trend_name(f->trend));
  if (f->waiver >= 0 && (size_t)f->waiver < r->waiver_count) {
    const rpt_waiver *w = &r->waivers[f->waiver];
    char day[11];
    rpt_ftext_expiry(w, day);
    add_line(b, en ? "Waiver: " : "Dérogation : ", w->reason ? w->reason : "-");
    add_line(b, en ? "Waiver expires: " : "Fin de dérogation : ", day);
    if (!f->waived) rpt_buf_adds(b, en ? " (expired)" : " (expirée)");
  }
  size_t total = f->objects_total > f->object_count ? f->objects_total : f->object_count;
  if (total) {
    rpt_buf_addf(b, en ? "\nObjects: %zu" : "\nObjets : %zu", total);
    for (size_t i = 0; i < f->object_count && i < RPT_FTEXT_OBJECTS; i++) {
      rpt_buf_adds(b, "\n- ");
      rpt_buf_adds(b, f->objects[i].dn);
    }
  }
}

/* A host name as DNS allows it; anything else (markup, spaces) is left out
 * rather than handed to an importer that parses it as a URL. */
static bool host_name_ok(const char *h, size_t n) {
  if (n == 0 || n > 253) return false;
  for (size_t i = 0; i < n; i++) {
    char c = h[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

static bool v6_ok(const char *h, size_t n) {
  char tmp[64];
  unsigned char bin[16];
  if (n == 0 || n >= sizeof tmp) return false;
  memcpy(tmp, h, n);
  tmp[n] = '\0';
  return inet_pton(AF_INET6, tmp, bin) == 1;
}

static bool directory_endpoint(rpt_buf *b, const char *uri) {
  unsigned port;
  if (!uri) return false;
  if (strncmp(uri, "ldap://", 7) == 0)
    uri += 7, port = 389;
  else if (strncmp(uri, "ldaps://", 8) == 0)
    uri += 8, port = 636;
  else
    return false; /* ldapi:// and the rest name no network host */
  const char *h = uri, *end;
  bool v6 = *h == '[';
  if (v6) {
    end = strchr(h, ']');
    if (!end || !v6_ok(h + 1, (size_t)(end - h - 1))) return false;
    end++;
  } else {
    end = h + strcspn(h, ":/?");
    if (!host_name_ok(h, (size_t)(end - h))) return false;
  }
  if (*end == ':') {
    unsigned long p = 0;
    const char *d = end + 1;
    for (; *d >= '0' && *d <= '9' && p <= 65535; d++) p = p * 10 + (unsigned)(*d - '0');
    if (d == end + 1 || p == 0 || p > 65535 || (*d && *d != '/' && *d != '?')) return false;
    port = (unsigned)p;
  } else if (*end && *end != '/' && *end != '?') {
    return false;
  }
  rpt_buf_add(b, h, (size_t)(end - h));
  rpt_buf_addf(b, ":%u", port);
  return true;
}

bool rpt_ftext_endpoint(rpt_buf *b, const rpt_asset *a) {
  if (a->kind == RPT_ASSET_DIRECTORY) return directory_endpoint(b, a->dir_server);
  unsigned char bin[16];
  if (!a->address || a->port == 0) return false;
  if (inet_pton(AF_INET, a->address, bin) == 1) {
    rpt_buf_addf(b, "%s:%u", a->address, a->port);
  } else if (inet_pton(AF_INET6, a->address, bin) == 1) {
    rpt_buf_addf(b, "[%s]:%u", a->address, a->port);
  } else {
    return false;
  }
  return true;
}
