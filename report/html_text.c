/* The fixed texts of report.html in French and English. */
#include "report/html.h"

typedef struct label {
  const char *fr, *en;
} label;

static const label labels[L_COUNT_] = {
#define RPT_HTML_ROW(key, fr, en) [key] = {fr, en},
    RPT_HTML_LABELS(RPT_HTML_ROW)
#undef RPT_HTML_ROW
};

static const label severities[RPT_SEV_COUNT] = {
    {"critique", "critical"}, {"élevée", "high"}, {"moyenne", "medium"},
    {"faible", "low"},        {"info", "info"},
};

const char *rpt_html_text(rpt_html_label key, bool en) {
  if ((unsigned)key >= L_COUNT_) return "";
  return en ? labels[key].en : labels[key].fr;
}

const char *rpt_html_sev(rpt_severity sev, bool en) {
  if ((unsigned)sev >= RPT_SEV_COUNT) sev = RPT_SEV_INFO;
  return en ? severities[sev].en : severities[sev].fr;
}

const char *rpt_html_trend(rpt_trend trend, bool en) {
  switch (trend) {
  case RPT_TREND_NONE: return "";
  case RPT_TREND_NEW: return en ? "new" : "nouveau";
  case RPT_TREND_PERSISTING: return en ? "persisting" : "persistant";
  case RPT_TREND_FIXED: return en ? "fixed" : "corrigé";
  }
  return "";
}
