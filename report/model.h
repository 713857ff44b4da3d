/* The report model's builder, private to report/: an arena for strings and
 * sub-arrays, growable top-level arrays, and id lookups. Every reader of a
 * report (rpt_build from scan and directory results, rpt_xml_read from a
 * report.xml) fills an rpt_report through these, then calls
 * rpt_model_finish, after which the report is read-only.
 *
 * Ownership: everything handed out lives in the report and is freed by
 * rpt_report_free. A pointer returned by an rpt_model_add_* is valid until
 * the next add of the same kind (the array may move); keep indices. */
#ifndef VIGIE_REPORT_MODEL_H
#define VIGIE_REPORT_MODEL_H

#include <stdarg.h>

#include "vigie/report.h"

/** A new empty report with its arena. \return NULL on ENOMEM. */
rpt_report *rpt_model_new(void);

/** Zeroed arena memory (aligned for any type). \return NULL on ENOMEM. */
void *rpt_model_alloc(rpt_report *r, size_t size);
/** Arena copies of a string (NULL gives NULL; the caller checks ENOMEM by
 * comparing a non-NULL input with a NULL output). */
const char *rpt_model_str(rpt_report *r, const char *s);
const char *rpt_model_strn(rpt_report *r, const char *s, size_t len);
const char *rpt_model_strf(rpt_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** Arena copy of n elements of size bytes (n may be 0: returns NULL). */
void *rpt_model_dup(rpt_report *r, const void *items, size_t n, size_t size);

/* Top-level items: each returns a zeroed element (finding->waiver is set to
 * -1) or NULL on ENOMEM, and updates the report's array and count. */
rpt_input *rpt_model_add_input(rpt_report *r);
rpt_rule *rpt_model_add_rule(rpt_report *r);
rpt_asset *rpt_model_add_asset(rpt_report *r);
rpt_finding *rpt_model_add_finding(rpt_report *r);
rpt_waiver *rpt_model_add_waiver(rpt_report *r);
rpt_gap *rpt_model_add_gap(rpt_report *r);
rpt_previous *rpt_model_add_previous(rpt_report *r);

/* Mutable views of the arrays while building (same memory as the report's). */
rpt_rule *rpt_model_rules(rpt_report *r);
rpt_asset *rpt_model_assets(rpt_report *r);
rpt_finding *rpt_model_findings(rpt_report *r);
rpt_waiver *rpt_model_waivers(rpt_report *r);

/** Index of the rule or asset with this id, or -1. Ids are indexed as they
 * are added (the id must be set before the next add of the same kind). */
long rpt_model_find_rule(rpt_report *r, const char *id);
long rpt_model_find_asset(rpt_report *r, const char *id);
/** Index of the finding with this uid, or -1. */
long rpt_model_find_finding(rpt_report *r, const char *uid);

/** The stable uid of a finding: hex SHA-256 of "rule|asset" (65 bytes with
 * the NUL). \return false on failure (OpenSSL). */
bool rpt_model_uid(const char *rule_id, const char *asset_id, char out[65]);

/** Sort rules by id, assets (services by family, address, port; then
 * directories by id), findings (severity, rule id, asset id; fixed last),
 * remap every index, and rebuild the lookups. */
vigie_status rpt_model_finish(rpt_report *r, vigie_error *err);

/** Compare two assets in the report's order (for outputs that regroup). */
int rpt_model_asset_cmp(const rpt_asset *a, const rpt_asset *b);

#endif
