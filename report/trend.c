/* Trend against previous reports: which findings are new, persisting or
 * fixed since the newest one, the list of audits compared with, and the
 * CaRE interval rule (two exposure audits 45 to 60 days apart). Works on
 * reports already read, so tests can hand-build them. */
#include <stdlib.h>
#include <string.h>

#include "report/build_int.h"

/* Lookups index lazily and so take a non-const report; they do not change
 * what the report holds. */
static long prev_find(const rpt_report *p, const char *uid) {
  return rpt_model_find_finding((rpt_report *)p, uid);
}

/* The start of a report's earliest scan input, or NULL. */
static const char *exposure_date(const rpt_report *p) {
  const char *best = NULL;
  for (size_t i = 0; i < p->input_count; i++)
    if (p->inputs[i].kind == RPT_SRC_EXPOSURE && p->inputs[i].start &&
        (!best || strcmp(p->inputs[i].start, best) < 0))
      best = p->inputs[i].start;
  return best;
}

static int cmp_created(const void *a, const void *b) {
  const rpt_report *x = *(const rpt_report *const *)a, *y = *(const rpt_report *const *)b;
  return strcmp(x->created ? x->created : "", y->created ? y->created : "");
}

static vigie_status add_previous(rpt_report *now, const rpt_report *p, const char *path,
                                 vigie_error *err) {
  rpt_previous *e = rpt_model_add_previous(now);
  if (!e) return vigie_fail(err, VIGIE_ENOMEM, "trend: out of memory");
  const char *exp = exposure_date(p);
  e->path = rpt_model_str(now, path);
  e->date = rpt_model_str(now, p->created);
  e->exposure_date = rpt_model_str(now, exp);
  e->exposure_level = p->scores.exposure.known ? p->scores.exposure.value : 0;
  e->directory_level = p->scores.directory.known ? p->scores.directory.value : 0;
  if ((path && !e->path) || (p->created && !e->date) || (exp && !e->exposure_date))
    return vigie_fail(err, VIGIE_ENOMEM, "trend: out of memory");
  return VIGIE_OK;
}

/* The YYYY-MM-DD of an xs:dateTime, as an arena string. */
static const char *date_of(rpt_report *r, const char *when) {
  return when ? rpt_model_strn(r, when, strlen(when) < 10 ? strlen(when) : 10) : NULL;
}

static bool copy_objects(rpt_report *now, rpt_finding *f, const rpt_finding *pf) {
  rpt_object *o = rpt_model_dup(now, pf->objects, pf->object_count, sizeof *o);
  if (pf->object_count && !o) return false;
  for (size_t i = 0; i < pf->object_count; i++) {
    o[i].dn = rpt_model_str(now, pf->objects[i].dn);
    o[i].name = rpt_model_str(now, pf->objects[i].name);
    o[i].evidence = rpt_model_str(now, pf->objects[i].evidence);
    if ((pf->objects[i].dn && !o[i].dn) || (pf->objects[i].name && !o[i].name) ||
        (pf->objects[i].evidence && !o[i].evidence))
      return false;
  }
  f->objects = o;
  f->object_count = pf->object_count;
  return true;
}

/* A finding of the newest previous report that now lacks: listed as fixed. */
static vigie_status add_fixed(rpt_report *now, const rpt_report *p, const rpt_finding *pf,
                              vigie_error *err) {
  long ri = rpt_rule_copy(now, &p->rules[pf->rule]);
  long ai = ri < 0 ? -1 : rpt_asset_copy(now, &p->assets[pf->asset]);
  rpt_finding *f = ai < 0 ? NULL : rpt_model_add_finding(now);
  if (!f) return vigie_fail(err, VIGIE_ENOMEM, "trend: out of memory");
  f->uid = rpt_model_str(now, pf->uid);
  f->rule = (size_t)ri;
  f->asset = (size_t)ai;
  f->severity = pf->severity;
  f->confidence = rpt_model_str(now, pf->confidence);
  f->evidence = rpt_model_str(now, pf->evidence);
  f->objects_total = pf->objects_total;
  f->trend = RPT_TREND_FIXED;
  f->first_seen = pf->first_seen ? rpt_model_str(now, pf->first_seen) : date_of(now, p->created);
  if (!f->uid || !copy_objects(now, f, pf))
    return vigie_fail(err, VIGIE_ENOMEM, "trend: out of memory");
  return VIGIE_OK;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Whether this report looked again at a previous finding's asset: a
 * directory only when the same directory was audited; a service when the
 * host answered this report's scans (some port of its address is an asset
 * now). A finding the report could not look at again is neither fixed nor
 * persisting: claiming "fixed" for a host left out of this scan, or a
 * directory not audited this time, would be false proof. */
typedef struct retest {
  const char **addresses; /* sorted addresses of now's service assets */
  size_t count;
} retest;

static bool retested(rpt_report *now, const retest *rt, const rpt_asset *pa) {
  if (pa->kind == RPT_ASSET_DIRECTORY) return rpt_model_find_asset(now, pa->id) >= 0;
  return pa->address && rt->count &&
         bsearch(&pa->address, rt->addresses, rt->count, sizeof *rt->addresses, cmp_str);
}

/* One coverage line per previous asset whose findings were not compared. */
static vigie_status add_untested(rpt_report *now, const rpt_report *newest, size_t asset,
                                 size_t findings, vigie_error *err) {
  const rpt_asset *pa = &newest->assets[asset];
  rpt_gap *g = rpt_model_add_gap(now);
  if (!g) return vigie_fail(err, VIGIE_ENOMEM, "trend: out of memory");
  bool dir = pa->kind == RPT_ASSET_DIRECTORY;
  g->source = dir ? RPT_SRC_DIRECTORY : RPT_SRC_EXPOSURE;
  g->what = rpt_model_str(now, pa->id);
  g->why = rpt_model_strf(now,
                          "not re-tested: %s, so its %zu finding(s) of the previous report (%s) "
                          "are neither confirmed nor counted as fixed",
                          dir ? "this directory was not audited this time"
                              : "this host did not answer this report's scans",
                          findings, newest->created ? newest->created : "undated");
  if (!g->what || !g->why) return vigie_fail(err, VIGIE_ENOMEM, "trend: out of memory");
  return VIGIE_OK;
}

static vigie_status compare(rpt_report *now, const rpt_report *newest, vigie_error *err) {
  const char *today = date_of(now, now->created);
  if (now->created && !today) return vigie_fail(err, VIGIE_ENOMEM, "trend: out of memory");
  size_t mine = now->finding_count; /* the fixed copies come after */
  for (size_t i = 0; i < mine; i++) {
    rpt_finding *f = &rpt_model_findings(now)[i];
    long k = prev_find(newest, f->uid);
    const rpt_finding *pf = k >= 0 ? &newest->findings[k] : NULL;
    if (pf && pf->trend != RPT_TREND_FIXED) {
      f->trend = RPT_TREND_PERSISTING;
      f->first_seen = pf->first_seen ? rpt_model_str(now, pf->first_seen)
                                     : date_of(now, newest->created);
    } else { /* absent, or fixed then and back now */
      f->trend = RPT_TREND_NEW;
      f->first_seen = today;
    }
  }
  retest rt = {vigie_malloc((now->asset_count ? now->asset_count : 1) * sizeof *rt.addresses), 0};
  size_t *untested = vigie_calloc(newest->asset_count ? newest->asset_count : 1, sizeof *untested);
  vigie_status status = rt.addresses && untested ? VIGIE_OK
                                                 : vigie_fail(err, VIGIE_ENOMEM, "trend: out of memory");
  for (size_t i = 0; status == VIGIE_OK && i < now->asset_count; i++)
    if (now->assets[i].kind == RPT_ASSET_SERVICE && now->assets[i].address)
      rt.addresses[rt.count++] = now->assets[i].address;
  if (status == VIGIE_OK) qsort(rt.addresses, rt.count, sizeof *rt.addresses, cmp_str);
  for (size_t i = 0; status == VIGIE_OK && i < newest->finding_count; i++) {
    const rpt_finding *pf = &newest->findings[i];
    if (pf->trend == RPT_TREND_FIXED || rpt_model_find_finding(now, pf->uid) >= 0) continue;
    if (retested(now, &rt, &newest->assets[pf->asset]))
      status = add_fixed(now, newest, pf, err);
    else
      untested[pf->asset]++;
  }
  for (size_t a = 0; status == VIGIE_OK && a < newest->asset_count; a++)
    if (untested[a]) status = add_untested(now, newest, a, untested[a], err);
  vigie_free(rt.addresses);
  vigie_free(untested);
  return status;
}

static int cmp_time(const void *a, const void *b) {
  time_t x = *(const time_t *)a, y = *(const time_t *)b;
  return (x > y) - (x < y);
}

/* Days between the last two dated exposure audits, previous ones and now. */
static vigie_status interval(rpt_report *now, vigie_error *err) {
  size_t n = 0;
  time_t *t = vigie_malloc((now->previous_count + 1) * sizeof *t);
  if (!t) return vigie_fail(err, VIGIE_ENOMEM, "trend: out of memory");
  for (size_t i = 0; i < now->previous_count; i++)
    if (now->previous[i].exposure_date && rpt_parse_date(now->previous[i].exposure_date, &t[n])) n++;
  const char *mine = exposure_date(now);
  if (mine && rpt_parse_date(mine, &t[n])) n++;
  qsort(t, n, sizeof *t, cmp_time);
  now->interval = (rpt_interval){0};
  if (n >= 2) {
    now->interval.known = true;
    now->interval.days = (long)((t[n - 1] - t[n - 2]) / 86400);
    now->interval.holds = now->interval.days >= 45 && now->interval.days <= 60;
  }
  vigie_free(t);
  return VIGIE_OK;
}

vigie_status rpt_trend_apply(rpt_report *now, const rpt_report *const *prev,
                             const char *const *paths, size_t n, vigie_error *err) {
  if (n == 0) return interval(now, err);
  const rpt_report **order = vigie_malloc(n * sizeof *order);
  if (!order) return vigie_fail(err, VIGIE_ENOMEM, "trend: out of memory");
  memcpy(order, prev, n * sizeof *order);
  qsort(order, n, sizeof *order, cmp_created); /* oldest first */
  vigie_status status = VIGIE_OK;
  for (size_t i = 0; i < n && status == VIGIE_OK; i++) {
    size_t k = 0; /* the path given with this report */
    while (k < n && prev[k] != order[i]) k++;
    status = add_previous(now, order[i], paths && k < n ? paths[k] : NULL, err);
  }
  if (status == VIGIE_OK) status = compare(now, order[n - 1], err);
  if (status == VIGIE_OK) status = interval(now, err);
  vigie_free(order);
  return status;
}
