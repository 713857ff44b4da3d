/* The regional roll-up's rows and columns, shared by its HTML page and its
 * CSV so both show the same figures. Private to report/. */
#ifndef VIGIE_REPORT_ROLLUP_H
#define VIGIE_REPORT_ROLLUP_H

#include "report/esc.h"

/* One establishment's report, reduced to what a regional table shows. */
typedef struct rpt_rollup_row {
  const char *name;                  /* establishment, "" when the report has none */
  const char *finess;                /* "" when none */
  char date[11];                     /* report date */
  int exposure, directory;           /* levels 1..5, 0 unknown */
  int exposure_prev, directory_prev; /* the newest previous report's, 0 unknown */
  bool has_score;
  unsigned score;
  size_t counts[RPT_SEV_COUNT]; /* open findings */
  size_t new_count, fixed_count, persisting_count;
  char last_exposure[11];                      /* date of the last exposure audit, "" unknown */
  rpt_interval interval;                       /* CaRE 45–60 days between the last two */
  size_t rows, interval_known, interval_holds; /* totals row only */
} rpt_rollup_row;

typedef enum rpt_rollup_col {
  RPT_RC_NAME = 0,
  RPT_RC_FINESS,
  RPT_RC_DATE,
  RPT_RC_EXPOSURE,
  RPT_RC_DIRECTORY,
  RPT_RC_SCORE,
  RPT_RC_CRITICAL,
  RPT_RC_HIGH,
  RPT_RC_MEDIUM,
  RPT_RC_LOW,
  RPT_RC_INFO,
  RPT_RC_NEW,
  RPT_RC_FIXED,
  RPT_RC_PERSISTING,
  RPT_RC_EXPOSURE_MOVE,
  RPT_RC_DIRECTORY_MOVE,
  RPT_RC_LAST_EXPOSURE,
  RPT_RC_INTERVAL,
  RPT_RC_COUNT
} rpt_rollup_col;

/** The rows, sorted worst level first (the lower of the two known levels;
 * unknown last), then by name, FINESS and date. NULL reports are skipped.
 * \param[out] n  rows returned
 * \return an array the caller frees with vigie_free (non-NULL even when
 *   empty), or NULL on ENOMEM. */
rpt_rollup_row *rpt_rollup_rows(const rpt_report *const *reports, size_t count, size_t *n);
/** Sums of counts and trends, the worst known levels, the interval tally. */
void rpt_rollup_total(const rpt_rollup_row *rows, size_t n, rpt_rollup_row *total);

/** Column heading in French, or English when en. \return static string. */
const char *rpt_rollup_label(rpt_rollup_col col, bool en);
/** A cell's text (raw, not escaped; "" when unknown) added to b. */
void rpt_rollup_cell(rpt_buf *b, const rpt_rollup_row *row, rpt_rollup_col col, bool en,
                     bool total);

#endif
