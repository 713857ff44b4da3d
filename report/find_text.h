/* The texts findings.csv and findings.json both derive from a finding, so
 * the two DefectDojo imports say the same thing. Private to report/. */
#ifndef VIGIE_REPORT_FIND_TEXT_H
#define VIGIE_REPORT_FIND_TEXT_H

#include "report/esc.h"

/* Objects named in a description or an Objects cell; the rest is counted. */
#define RPT_FTEXT_OBJECTS 5

/** "Critical", "High", "Medium", "Low", "Info": DefectDojo's names. */
const char *rpt_dd_severity(rpt_severity sev);

/** The rule's description in lang, then the asset, evidence, confidence,
 * trend, waiver and the first objects, one per line (raw, not escaped):
 * DefectDojo deduplicates on severity, title and description, so the asset
 * must be in it. */
void rpt_ftext_description(rpt_buf *b, const rpt_report *r, const rpt_finding *f, const char *lang);
/** One line per reference: "label: href" or the label alone. */
void rpt_ftext_references(rpt_buf *b, const rpt_rule *rule);
/** "N: dn1 | dn2 ..." (the first RPT_FTEXT_OBJECTS), "" when none. */
void rpt_ftext_objects(rpt_buf *b, const rpt_finding *f);
/** The endpoint of an asset as DefectDojo reads it: "host:port", IPv6 as
 * "[addr]:port"; a directory's from its server URI with the scheme's
 * default port. \return false (nothing added) when there is no usable host. */
bool rpt_ftext_endpoint(rpt_buf *b, const rpt_asset *a);
/** "YYYY-MM-DD" of a waiver's expiry (UTC), "" when it has none. */
void rpt_ftext_expiry(const rpt_waiver *w, char out[11]);

#endif
