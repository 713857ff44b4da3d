/* Private to report/: the steps of rpt_build, each in its own file, so a
 * test can run one step on a model it built by hand (report/model.h).
 *
 * Ownership: rpt_catalogue and rpt_levels are _new/_free pairs owned by
 * the caller; everything a step adds to a report belongs to that report. */
#ifndef VIGIE_REPORT_BUILD_INT_H
#define VIGIE_REPORT_BUILD_INT_H

#include "report/model.h"

/* ------------------------------------------------- levels.xml (levels.c) */

/* The mapping from findings to levels and weights: data, rules/levels.xml. */
typedef struct rpt_levels rpt_levels;

/** Read path (rules/levels.xsd), or rules/levels.xml when path is NULL.
 * \param[out] out  caller frees with rpt_levels_free */
vigie_status rpt_levels_load(const char *path, rpt_levels **out, vigie_error *err);
void rpt_levels_free(rpt_levels *lv);
/** The exposure level (1..5) a finding of rule_id, category and severity
 * caps at: the rule's override, else the category's, else the severity's. */
int rpt_levels_exposure_cap(const rpt_levels *lv, const char *rule_id, const char *category,
                            rpt_severity sev);
/** Points of one open finding of this severity in the 0..100 score. */
unsigned rpt_levels_weight(const rpt_levels *lv, rpt_severity sev);

/* ----------------------------------------------- rule texts (catalogue.c) */

/* Every rule of rules/exposure, rules/ad and rules/openldap, held as
 * rpt_rule values, with the names each exposure predicate reads. */
typedef struct rpt_catalogue rpt_catalogue;

/** Load the rule files found through vigie_data_path; lv gives the
 * exposure rules' levels (may be NULL: level 0).
 * \param[out] out  caller frees with rpt_catalogue_free */
vigie_status rpt_catalogue_load(const rpt_levels *lv, rpt_catalogue **out, vigie_error *err);
void rpt_catalogue_free(rpt_catalogue *cat);
/** The rule with this id, or NULL. Borrowed from cat. */
const rpt_rule *rpt_catalogue_find(const rpt_catalogue *cat, const char *id);
/** Names an exposure rule's predicate reads; 0 for other rules. Borrowed. */
size_t rpt_catalogue_names(const rpt_catalogue *cat, const char *id, const char *const **names);
/** rules/VERSION trimmed, and the SHA-256 over every file of rules/ sorted
 * by relative path ("path\0" then the bytes of each). Arena strings of r. */
vigie_status rpt_catalogue_stamp(rpt_report *r, vigie_error *err);

/** The index in r of rule id: found, else copied from cat, else a bare
 * rule (source, severity, title_fr/title_en when given).
 * \return -1 on ENOMEM. */
long rpt_rule_join(rpt_report *r, const rpt_catalogue *cat, const char *id, rpt_source source,
                   rpt_severity sev, const char *title_fr, const char *title_en);
/** Deep copy of a rule into r's arena (rule of another report). -1 on ENOMEM. */
long rpt_rule_copy(rpt_report *r, const rpt_rule *rule);
/** Deep copy of an asset into r's arena. -1 on ENOMEM. */
long rpt_asset_copy(rpt_report *r, const rpt_asset *asset);

/* --------------------------------------------------- inputs (in_*.c) */

/** Add one scan.xml: an input, a service asset per open port with a
 * service, a finding per <finding>. */
vigie_status rpt_in_scan(rpt_report *r, const rpt_catalogue *cat, const char *path,
                         vigie_error *err);
/** Add one directory.xml: an input, the directory asset, a finding per
 * failed rule, gaps. The directory's level is kept for rpt_score through
 * dir_levels (one entry per directory read). */
typedef struct rpt_dir_level {
  size_t asset;        /* the directory asset */
  int value;           /* 1..5 from the file's <level> */
  size_t points_evaluated, points_total;
  const char **holders; /* rule ids, arena strings */
  size_t holder_count;
} rpt_dir_level;

vigie_status rpt_in_directory(rpt_report *r, const rpt_catalogue *cat, const char *path,
                              rpt_dir_level *level, vigie_error *err);
/* Reading our own parsed, validated files (in_util.c). */
struct _xmlNode;
/** The attribute's text, borrowed from the document, or NULL. */
const char *rpt_in_attr(const struct _xmlNode *node, const char *name);
/** The first child element named name, or NULL. */
const struct _xmlNode *rpt_in_child(const struct _xmlNode *node, const char *name);
/** The element's text content as an arena string of r ("" when empty). */
const char *rpt_in_text(rpt_report *r, const struct _xmlNode *node);
/** Append text to a bounded buffer, cutting at a UTF-8 boundary; once
 * full, "…" marks the cut and later appends are ignored. */
typedef struct rpt_clip {
  char *buf;
  size_t len, cap; /* cap includes the NUL; >= 8 */
  bool cut;
} rpt_clip;
void rpt_clip_add(rpt_clip *c, const char *text, size_t len);
void rpt_clip_str(rpt_clip *c, const char *text);
/** The file name part of a path (borrowed from path). */
const char *rpt_basename(const char *path);

/** Hex SHA-256 of a file's bytes into out (65 bytes). */
vigie_status rpt_sha256_file(const char *path, char out[65], vigie_error *err);

/* ------------------------------------------------------- waivers.c */

/** Read a waiver file (urn:vigie:waivers:1, rules/waivers.xsd) into r's
 * waivers; cat checks the rule ids (NULL: not checked). Errors name
 * FILE:LINE. */
vigie_status rpt_waivers_read(rpt_report *r, const rpt_catalogue *cat, const char *path,
                              vigie_error *err);
vigie_status rpt_waivers_read_memory(rpt_report *r, const rpt_catalogue *cat, const char *data,
                                     size_t len, const char *name, vigie_error *err);
/** Mark waivers expired at now and attach them to findings (not fixed
 * ones): an asset-specific waiver before "*", a live one before an expired
 * one. */
vigie_status rpt_waivers_apply(rpt_report *r, time_t now, vigie_error *err);

/* --------------------------------------------------------- trend.c */

/** Compare now with previous reports (any order; paths may be NULL):
 * trends and first_seen of now's findings against the newest, fixed copies
 * of what it had and now lacks, previous[] oldest first, the interval. */
vigie_status rpt_trend_apply(rpt_report *now, const rpt_report *const *prev,
                             const char *const *paths, size_t n, vigie_error *err);

/* --------------------------------------------------------- score.c */

/** Counts, exposure and directory levels, score. dirs: the levels read
 * from each directory input (n of them). */
vigie_status rpt_score(rpt_report *r, const rpt_levels *lv, const rpt_dir_level *dirs, size_t n,
                       vigie_error *err);

/* ------------------------------------------------------- build.c */

/** FINESS: 9 characters, digits, or 2A/2B (Corsica) then 7 digits. */
bool rpt_finess_valid(const char *finess);
/** "YYYY-MM-DDTHH:MM:SSZ" of t into buf (21 bytes). */
bool rpt_format_time(time_t t, char buf[21]);
/** Parse the date part of an xs:dateTime or xs:date ("2026-11-25...") as
 * midnight UTC. \return false when malformed. */
bool rpt_parse_date(const char *text, time_t *out);

/* --------------------------------------------- build_previous.c */

/** Read opts->previous with rpt_xml_read and apply the trend. Lives in its
 * own file, linked once report/in_xml.c is part of the build. */
vigie_status rpt_build_previous(rpt_report *now, const char *const *paths, size_t n,
                                vigie_error *err);

#endif
