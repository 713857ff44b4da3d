/* Rows and cells of the regional roll-up (see rollup.h). */
#include "report/rollup.h"

#include <stdlib.h>
#include <string.h>

/* Column headings: French, English. */
static const char *const labels[RPT_RC_COUNT][2] = {
    [RPT_RC_NAME] = {"Établissement", "Establishment"},
    [RPT_RC_FINESS] = {"FINESS", "FINESS"},
    [RPT_RC_DATE] = {"Date du rapport", "Report date"},
    [RPT_RC_EXPOSURE] = {"Niveau exposition", "Exposure level"},
    [RPT_RC_DIRECTORY] = {"Niveau annuaire", "Directory level"},
    [RPT_RC_SCORE] = {"Score", "Score"},
    [RPT_RC_CRITICAL] = {"Critiques", "Critical"},
    [RPT_RC_HIGH] = {"Élevées", "High"},
    [RPT_RC_MEDIUM] = {"Moyennes", "Medium"},
    [RPT_RC_LOW] = {"Faibles", "Low"},
    [RPT_RC_INFO] = {"Info", "Info"},
    [RPT_RC_NEW] = {"Nouvelles", "New"},
    [RPT_RC_FIXED] = {"Corrigées", "Fixed"},
    [RPT_RC_PERSISTING] = {"Persistantes", "Persisting"},
    [RPT_RC_EXPOSURE_MOVE] = {"Évolution exposition", "Exposure move"},
    [RPT_RC_DIRECTORY_MOVE] = {"Évolution annuaire", "Directory move"},
    [RPT_RC_LAST_EXPOSURE] = {"Dernier audit d'exposition", "Last exposure audit"},
    [RPT_RC_INTERVAL] = {"Intervalle 45–60 j", "45–60 day interval"},
};

const char *rpt_rollup_label(rpt_rollup_col col, bool en) {
  return (unsigned)col < RPT_RC_COUNT ? labels[col][en ? 1 : 0] : "";
}

/* The newest exposure audit: this report's scans, else a previous one's. */
static void last_exposure(const rpt_report *r, char out[11]) {
  out[0] = '\0';
  for (size_t i = 0; i < r->input_count; i++) {
    char d[11];
    if (r->inputs[i].kind != RPT_SRC_EXPOSURE) continue;
    rpt_date_of(r->inputs[i].start, d);
    if (strcmp(d, out) > 0) memcpy(out, d, sizeof d);
  }
  for (size_t i = r->previous_count; i > 0 && !out[0]; i--)
    rpt_date_of(r->previous[i - 1].exposure_date, out);
}

static void fill_row(rpt_rollup_row *row, const rpt_report *r) {
  memset(row, 0, sizeof *row);
  row->name = r->establishment ? r->establishment : "";
  row->finess = r->finess ? r->finess : "";
  rpt_date_of(r->created, row->date);
  row->exposure = r->scores.exposure.known ? r->scores.exposure.value : 0;
  row->directory = r->scores.directory.known ? r->scores.directory.value : 0;
  if (r->previous_count) {
    row->exposure_prev = r->previous[r->previous_count - 1].exposure_level;
    row->directory_prev = r->previous[r->previous_count - 1].directory_level;
  }
  row->has_score = true;
  row->score = r->scores.score;
  memcpy(row->counts, r->scores.counts, sizeof row->counts);
  row->new_count = r->scores.new_count;
  row->fixed_count = r->scores.fixed_count;
  row->persisting_count = r->scores.persisting_count;
  last_exposure(r, row->last_exposure);
  row->interval = r->interval;
}

static int worst(const rpt_rollup_row *r) {
  int e = r->exposure >= 1 && r->exposure <= 5 ? r->exposure : 6;
  int d = r->directory >= 1 && r->directory <= 5 ? r->directory : 6;
  return e < d ? e : d;
}

static int cmp_rows(const void *x, const void *y) {
  const rpt_rollup_row *a = x, *b = y;
  int wa = worst(a), wb = worst(b), c;
  if (wa != wb) return wa < wb ? -1 : 1;
  if ((c = strcmp(a->name, b->name))) return c;
  if ((c = strcmp(a->finess, b->finess))) return c;
  return strcmp(a->date, b->date);
}

rpt_rollup_row *rpt_rollup_rows(const rpt_report *const *reports, size_t count, size_t *n) {
  rpt_rollup_row *rows = vigie_calloc(count ? count : 1, sizeof *rows);
  *n = 0;
  if (!rows) return NULL;
  for (size_t i = 0; i < count; i++)
    if (reports[i]) fill_row(&rows[(*n)++], reports[i]);
  qsort(rows, *n, sizeof *rows, cmp_rows);
  return rows;
}

static int min_level(int a, int b) {
  if (a < 1 || a > 5) return b;
  if (b < 1 || b > 5) return a;
  return a < b ? a : b;
}

void rpt_rollup_total(const rpt_rollup_row *rows, size_t n, rpt_rollup_row *t) {
  memset(t, 0, sizeof *t);
  t->name = t->finess = "";
  t->rows = n;
  for (size_t i = 0; i < n; i++) {
    const rpt_rollup_row *r = &rows[i];
    t->exposure = min_level(t->exposure, r->exposure);
    t->directory = min_level(t->directory, r->directory);
    for (int s = 0; s < RPT_SEV_COUNT; s++) t->counts[s] += r->counts[s];
    t->new_count += r->new_count;
    t->fixed_count += r->fixed_count;
    t->persisting_count += r->persisting_count;
    t->interval_known += r->interval.known;
    t->interval_holds += r->interval.known && r->interval.holds;
  }
}

static void level(rpt_buf *b, int v) {
  if (v >= 1 && v <= 5) rpt_buf_addf(b, "%d", v);
}

/* "2 → 3" when the level moved, "stable" when not, "" when either is unknown. */
static void move(rpt_buf *b, int prev, int now) {
  if (prev < 1 || prev > 5 || now < 1 || now > 5) return;
  if (prev == now)
    rpt_buf_adds(b, "stable");
  else
    rpt_buf_addf(b, "%d → %d", prev, now);
}

/* The totals row's own texts: its name and the interval tally. */
static void total_cell(rpt_buf *b, const rpt_rollup_row *t, rpt_rollup_col col, bool en) {
  if (col == RPT_RC_NAME)
    rpt_buf_addf(b, en ? "Total (%zu establishments)" : "Total (%zu établissements)", t->rows);
  else if (col == RPT_RC_INTERVAL && t->interval_known)
    rpt_buf_addf(b, en ? "%zu of %zu hold" : "%zu sur %zu respectés", t->interval_holds,
                 t->interval_known);
}

void rpt_rollup_cell(rpt_buf *b, const rpt_rollup_row *row, rpt_rollup_col col, bool en,
                     bool total) {
  if (total && (col == RPT_RC_NAME || col == RPT_RC_INTERVAL)) {
    total_cell(b, row, col, en);
    return;
  }
  switch (col) {
    case RPT_RC_NAME: rpt_buf_adds(b, row->name); break;
    case RPT_RC_FINESS: rpt_buf_adds(b, row->finess); break;
    case RPT_RC_DATE: rpt_buf_adds(b, row->date); break;
    case RPT_RC_EXPOSURE: level(b, row->exposure); break;
    case RPT_RC_DIRECTORY: level(b, row->directory); break;
    case RPT_RC_SCORE:
      if (row->has_score) rpt_buf_addf(b, "%u", row->score);
      break;
    case RPT_RC_CRITICAL:
    case RPT_RC_HIGH:
    case RPT_RC_MEDIUM:
    case RPT_RC_LOW:
    case RPT_RC_INFO: rpt_buf_addf(b, "%zu", row->counts[col - RPT_RC_CRITICAL]); break;
    case RPT_RC_NEW: rpt_buf_addf(b, "%zu", row->new_count); break;
    case RPT_RC_FIXED: rpt_buf_addf(b, "%zu", row->fixed_count); break;
    case RPT_RC_PERSISTING: rpt_buf_addf(b, "%zu", row->persisting_count); break;
    case RPT_RC_EXPOSURE_MOVE: move(b, row->exposure_prev, row->exposure); break;
    case RPT_RC_DIRECTORY_MOVE: move(b, row->directory_prev, row->directory); break;
    case RPT_RC_LAST_EXPOSURE: rpt_buf_adds(b, row->last_exposure); break;
    case RPT_RC_INTERVAL:
      if (row->interval.known)
        rpt_buf_addf(b, en ? "%s (%ld d)" : "%s (%ld j)",
                     row->interval.holds ? (en ? "yes" : "oui") : (en ? "no" : "non"),
                     row->interval.days);
      break;
    case RPT_RC_COUNT: break;
  }
}
