/* Scores: counts by severity, the exposure level (SILENE-style estimate
 * from rules/levels.xml), the directory level (the worst directory's, as
 * its audit computed it) and the capped 0..100 score. Estimates to steer
 * remediation, not official results (doc/report-scoring.md). */
#include <string.h>

#include "report/build_int.h"

#define NEXT_IDS_MAX 8 /* rule ids named in a "next" line */

static bool is_open(const rpt_finding *f) { return f->trend != RPT_TREND_FIXED && !f->waived; }

static void counts(rpt_report *r, const rpt_levels *lv) {
  rpt_scores *s = &r->scores;
  unsigned long sum = 0;
  for (size_t i = 0; i < r->finding_count; i++) {
    const rpt_finding *f = &r->findings[i];
    size_t sev = f->severity < RPT_SEV_COUNT ? f->severity : RPT_SEV_INFO;
    s->fixed_count += f->trend == RPT_TREND_FIXED;
    s->new_count += f->trend == RPT_TREND_NEW;
    s->persisting_count += f->trend == RPT_TREND_PERSISTING;
    if (f->trend == RPT_TREND_FIXED) continue;
    if (f->waived) {
      s->waived_counts[sev]++;
      continue;
    }
    s->counts[sev]++;
    sum += rpt_levels_weight(lv, (rpt_severity)sev);
  }
  s->score = sum > 100 ? 100 : (unsigned)sum;
  s->score_capped = sum > 100;
}

/* "EXP-RDP-001, EXP-SMB-001, …": the distinct rules of the holders, the
 * first NEXT_IDS_MAX named (checked against those only: linear in n). */
static void holder_rules(const rpt_report *r, const size_t *h, size_t n, rpt_clip *c) {
  size_t named[NEXT_IDS_MAX], count = 0;
  for (size_t i = 0; i < n; i++) {
    size_t rule = r->findings[h[i]].rule;
    bool seen = false;
    for (size_t j = 0; j < count && !seen; j++) seen = named[j] == rule;
    if (seen) continue;
    if (count == NEXT_IDS_MAX) {
      rpt_clip_str(c, ", \xe2\x80\xa6");
      return;
    }
    rpt_clip_str(c, count ? ", " : "");
    rpt_clip_str(c, r->rules[rule].id);
    named[count++] = rule;
  }
}

static const char *sev_en(rpt_severity s) {
  static const char *const names[RPT_SEV_COUNT] = {"critical", "high", "medium", "low", "info"};
  return s < RPT_SEV_COUNT ? names[s] : "info";
}

/* What raising lvl by one takes: fixing (or waiving) every holder. */
static bool next_lines(rpt_report *r, rpt_level *lvl) {
  if (lvl->value >= 5 || !lvl->holder_count) return true;
  const size_t *h = lvl->holders;
  rpt_severity sev = r->findings[h[0]].severity;
  bool same = true;
  for (size_t i = 1; i < lvl->holder_count; i++) same &= r->findings[h[i]].severity == sev;
  char ids[512], fr[640], en[640];
  rpt_clip c = {ids, 0, sizeof ids, false};
  ids[0] = '\0';
  holder_rules(r, h, lvl->holder_count, &c);
  size_t n = lvl->holder_count;
  if (same) {
    snprintf(fr, sizeof fr, "Corriger %s %zu constat%s de sévérité %s : %s", n > 1 ? "les" : "le",
             n, n > 1 ? "s" : "", rpt_severity_label_fr(sev), ids);
    snprintf(en, sizeof en, "Fix the %zu %s-severity finding%s: %s", n, sev_en(sev),
             n > 1 ? "s" : "", ids);
  } else {
    snprintf(fr, sizeof fr, "Corriger %s %zu constat%s qui maintiennent le niveau à %d : %s",
             n > 1 ? "les" : "le", n, n > 1 ? "s" : "", lvl->value, ids);
    snprintf(en, sizeof en, "Fix the %zu finding%s holding the level at %d: %s", n,
             n > 1 ? "s" : "", lvl->value, ids);
  }
  lvl->next = rpt_model_str(r, fr);
  lvl->next_en = rpt_model_str(r, en);
  return lvl->next && lvl->next_en;
}

static vigie_status exposure_level(rpt_report *r, const rpt_levels *lv, vigie_error *err) {
  rpt_level *lvl = &r->scores.exposure;
  bool scanned = false;
  for (size_t i = 0; i < r->input_count && !scanned; i++) scanned = r->inputs[i].kind == RPT_SRC_EXPOSURE;
  if (!scanned) return VIGIE_OK;
  lvl->known = true;
  lvl->value = 5;
  size_t holders = 0;
  for (size_t pass = 0; pass < 2; pass++) { /* the lowest cap, then who holds it */
    for (size_t i = 0; i < r->finding_count; i++) {
      const rpt_finding *f = &r->findings[i];
      const rpt_rule *rule = &r->rules[f->rule];
      if (rule->source != RPT_SRC_EXPOSURE || !is_open(f)) continue;
      int cap = rpt_levels_exposure_cap(lv, rule->id, rule->category, f->severity);
      if (pass == 0 && cap < lvl->value) lvl->value = cap;
      if (pass == 1 && cap == lvl->value && lvl->value < 5) ((size_t *)lvl->holders)[holders++] = i;
    }
    if (pass == 0 && lvl->value < 5 &&
        !(lvl->holders = rpt_model_alloc(r, r->finding_count * sizeof *lvl->holders)))
      return vigie_fail(err, VIGIE_ENOMEM, "score: out of memory");
  }
  lvl->holder_count = holders;
  return next_lines(r, lvl) ? VIGIE_OK : vigie_fail(err, VIGIE_ENOMEM, "score: out of memory");
}

static bool holds(const rpt_dir_level *d, const char *rule) {
  for (size_t i = 0; i < d->holder_count; i++)
    if (strcmp(d->holders[i], rule) == 0) return true;
  return false;
}

/* The worst directory's level; on a tie, the holders of every tied one. */
static vigie_status directory_level(rpt_report *r, const rpt_dir_level *dirs, size_t n,
                                    vigie_error *err) {
  rpt_level *lvl = &r->scores.directory;
  if (!n) return VIGIE_OK;
  size_t worst = 0;
  for (size_t i = 1; i < n; i++)
    if (dirs[i].value < dirs[worst].value) worst = i;
  lvl->known = true;
  lvl->value = dirs[worst].value;
  lvl->points_evaluated = dirs[worst].points_evaluated;
  lvl->points_total = dirs[worst].points_total;
  size_t *h = r->finding_count ? rpt_model_alloc(r, r->finding_count * sizeof *h) : NULL;
  if (r->finding_count && !h) return vigie_fail(err, VIGIE_ENOMEM, "score: out of memory");
  size_t k = 0;
  for (size_t i = 0; i < r->finding_count; i++) {
    const rpt_finding *f = &r->findings[i];
    if (f->trend == RPT_TREND_FIXED) continue;
    for (size_t d = 0; d < n; d++)
      if (dirs[d].value == lvl->value && dirs[d].asset == f->asset &&
          holds(&dirs[d], r->rules[f->rule].id)) {
        h[k++] = i;
        break;
      }
  }
  lvl->holders = h;
  lvl->holder_count = k;
  return next_lines(r, lvl) ? VIGIE_OK : vigie_fail(err, VIGIE_ENOMEM, "score: out of memory");
}

vigie_status rpt_score(rpt_report *r, const rpt_levels *lv, const rpt_dir_level *dirs, size_t n,
                       vigie_error *err) {
  memset(&r->scores, 0, sizeof r->scores);
  counts(r, lv);
  vigie_status status = exposure_level(r, lv, err);
  return status == VIGIE_OK ? directory_level(r, dirs, n, err) : status;
}
