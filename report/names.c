/* The names and labels of the report's enumerations. */
#include <string.h>

#include "vigie/report.h"

static const char *const severity_names[RPT_SEV_COUNT] = {"critical", "high", "medium", "low",
                                                          "info"};
static const char *const severity_labels_fr[RPT_SEV_COUNT] = {"critique", "élevée", "moyenne",
                                                              "faible", "info"};

const char *rpt_severity_name(rpt_severity sev) {
  return (unsigned)sev < RPT_SEV_COUNT ? severity_names[sev] : "info";
}

const char *rpt_severity_label_fr(rpt_severity sev) {
  return (unsigned)sev < RPT_SEV_COUNT ? severity_labels_fr[sev] : "info";
}

bool rpt_severity_parse(const char *name, rpt_severity *out) {
  for (int i = 0; name && i < RPT_SEV_COUNT; i++)
    if (strcmp(name, severity_names[i]) == 0) {
      *out = (rpt_severity)i;
      return true;
    }
  return false;
}

const char *rpt_trend_name(rpt_trend trend) {
  switch (trend) {
  case RPT_TREND_NONE: return "none";
  case RPT_TREND_NEW: return "new";
  case RPT_TREND_PERSISTING: return "persisting";
  case RPT_TREND_FIXED: return "fixed";
  }
  return "none";
}

const char *rpt_text_get(const rpt_text *text, const char *lang) {
  bool en = lang && strcmp(lang, "en") == 0;
  const char *first = en ? text->en : text->fr, *second = en ? text->fr : text->en;
  if (first && *first) return first;
  return second ? second : "";
}
