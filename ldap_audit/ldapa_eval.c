/* Rule evaluation: every rule of a profile over a directory model, with the
 * outcomes of doc/rules-language.md. What could not be read is never a
 * pass: a check over a set read partially, refused, or never read is an
 * error carrying the reason. Faults keep the entries at fault with the
 * values the predicate read, capped per check but always counted. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ldap_audit/ldapa_int.h"
#include "vigie/ldap_audit.h"

/* ------------------------------------------------------------ freeing */

static void ev_fault_clear(ldapa_fault *f) {
  for (size_t i = 0; i < f->nev; i++) {
    for (size_t k = 0; k < f->ev[i].n; k++) vigie_free((void *)f->ev[i].values[k].data);
    vigie_free(f->ev[i].values);
    vigie_free(f->ev[i].attr);
  }
  vigie_free(f->ev);
  vigie_free(f->dn);
  vigie_free(f->name);
}

static void ev_check_clear(ldapa_check_res *c) {
  for (size_t i = 0; i < c->nfaults; i++) ev_fault_clear(&c->faults[i]);
  vigie_free(c->faults);
  vigie_free(c->reason);
  c->faults = NULL, c->nfaults = c->faults_cap = 0;
}

void ldapa_results_free(ldapa_results *results) {
  if (results == NULL) return;
  for (size_t i = 0; i < results->n; i++) {
    ldapa_result *r = &results->items[i];
    for (size_t c = 0; c < r->nchecks; c++) ev_check_clear(&r->checks[c]);
    vigie_free(r->checks);
    vigie_free(r->reason);
  }
  vigie_free(results->items);
  vigie_free(results);
}

/* ------------------------------------------------------------ evidence */

static vigie_status ev_nomem(vigie_error *err) {
  return vigie_fail(err, VIGIE_ENOMEM, "rule evaluation: out of memory");
}

static char *ev_bytes_dup(const char *data, size_t len) {
  char *copy = vigie_malloc(len + 1);
  if (copy == NULL) return NULL;
  memcpy(copy, data, len);
  copy[len] = '\0';
  return copy;
}

/* The values of attr on obj, the first LDAPA_EVIDENCE_VALUES of them cut to
 * LDAPA_EVIDENCE_BYTES bytes: enough to show why, bounded for a member
 * list of thousands. */
static bool ev_evidence(ldapa_evidence *e, const ldapa_obj *obj, const char *attr) {
  const ldapa_value *v;
  e->total = ldapa_obj_values(obj, attr, &v);
  e->attr = vigie_strdup(attr);
  size_t n = e->total < LDAPA_EVIDENCE_VALUES ? e->total : LDAPA_EVIDENCE_VALUES;
  e->values = vigie_calloc(n, sizeof *e->values);
  if (e->attr == NULL || e->values == NULL) return false;
  for (; e->n < n; e->n++) {
    size_t len = v[e->n].len < LDAPA_EVIDENCE_BYTES ? v[e->n].len : LDAPA_EVIDENCE_BYTES;
    char *copy = ev_bytes_dup(v[e->n].data, len);
    if (copy == NULL) return false;
    e->values[e->n] = (ldapa_value){.data = copy, .len = len};
  }
  return true;
}

static const char *ev_entry_name(const ldapa_obj *obj) {
  static const char *const attrs[] = {"name", "sAMAccountName", "cn"};
  for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
    const char *v = ldapa_obj_first(obj, attrs[i]);
    if (v != NULL && v[0] != '\0') return v;
  }
  return NULL;
}

/* Keep obj as a fault of c (while under the cap), with the values of the
 * names the predicate read on it. */
static vigie_status ev_add_fault(ldapa_check_res *c, const ldapa_obj *obj, const ldapa_expr *expr,
                                 const bool *read, vigie_error *err) {
  if (c->nfaults >= LDAPA_FAULTS_MAX) return VIGIE_OK;
  if (c->nfaults == c->faults_cap) {
    size_t cap = c->faults_cap ? c->faults_cap * 2 : 8;
    ldapa_fault *grown = vigie_realloc(c->faults, cap * sizeof *grown);
    if (grown == NULL) return ev_nomem(err);
    c->faults = grown, c->faults_cap = cap;
  }
  ldapa_fault *f = &c->faults[c->nfaults++];
  *f = (ldapa_fault){0};
  const char *name = ev_entry_name(obj);
  f->dn = vigie_strdup(ldapa_obj_dn(obj));
  if (name != NULL) f->name = vigie_strdup(name);
  size_t names = expr ? ldapa_expr_name_count(expr) : 0;
  f->ev = vigie_calloc(names, sizeof *f->ev);
  if (f->dn == NULL || (name != NULL && f->name == NULL) || f->ev == NULL) return ev_nomem(err);
  for (size_t k = 0; k < names; k++) {
    if (!read[k]) continue;
    if (!ev_evidence(&f->ev[f->nev++], obj, ldapa_expr_name_at(expr, k))) return ev_nomem(err);
  }
  return VIGIE_OK;
}

/* ------------------------------------------------------------ checks */

static vigie_status ev_reason(ldapa_check_res *c, ldapa_outcome outcome, vigie_error *err,
                              const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static vigie_status ev_reason(ldapa_check_res *c, ldapa_outcome outcome, vigie_error *err,
                              const char *fmt, ...) {
  char buf[VIGIE_ERROR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  c->outcome = outcome;
  vigie_free(c->reason);
  c->reason = vigie_strdup(buf);
  return c->reason == NULL ? ev_nomem(err) : VIGIE_OK;
}

/* An error outcome when the set was not read completely. \return true when
 * the check must stop there. */
static bool ev_read_state(ldapa_check_res *c, const ldapa_dir *dir, vigie_status *status,
                          vigie_error *err) {
  const char *why = NULL;
  const char *set = ldapa_set_name(c->check->set);
  switch (ldapa_dir_read_state(dir, c->check->set, &why)) {
  case LDAPA_READ_COMPLETE: return false;
  case LDAPA_READ_NOT_ASKED:
    *status = ev_reason(c, LDAPA_ERROR, err, "the set %s was not read", set);
    return true;
  case LDAPA_READ_PARTIAL:
    *status = ev_reason(c, LDAPA_ERROR, err, "the set %s was read partially: %s", set,
                        why ? why : "no reason given");
    return true;
  case LDAPA_READ_DENIED:
    *status = ev_reason(c, LDAPA_ERROR, err, "the set %s could not be read: %s", set,
                        why ? why : "no reason given");
    return true;
  }
  return false;
}

/* Evaluate expr on obj (NULL is true). \return VIGIE_OK, or the status of
 * an error outcome already recorded in c (*stop set). */
static vigie_status ev_match(ldapa_check_res *c, const ldapa_expr *expr, const ldapa_obj *obj,
                             time_t now, bool *read, bool *match, bool *stop, vigie_error *err) {
  vigie_error e;
  *match = true;
  if (expr == NULL) return VIGIE_OK;
  if (read != NULL) memset(read, 0, ldapa_expr_name_count(expr) * sizeof *read);
  vigie_status st = ldapa_expr_eval(expr, obj, now, read, match, &e);
  if (st == VIGIE_ENOMEM) return ev_nomem(err);
  if (st == VIGIE_OK) return VIGIE_OK;
  *stop = true;
  return ev_reason(c, LDAPA_ERROR, err, "%s: %s", ldapa_obj_dn(obj), e.msg);
}

/* Count the entries at fault (and, for a ratio, the denominator), keeping
 * the first faults with their evidence. */
static vigie_status ev_scan(ldapa_check_res *c, const ldapa_dir *dir, bool *read, bool *stop,
                            vigie_error *err) {
  const ldapa_check *k = c->check;
  size_t n = ldapa_dir_set_size(dir, k->set);
  time_t now = ldapa_dir_time(dir);
  vigie_status status = VIGIE_OK;
  for (size_t i = 0; i < n && status == VIGIE_OK && !*stop; i++) {
    const ldapa_obj *obj = ldapa_dir_set_at(dir, k->set, i);
    bool in_scope = true, at_fault = false;
    if (k->threshold == LDAPA_THR_RATIO)
      status = ev_match(c, k->of, obj, now, NULL, &in_scope, stop, err);
    if (status != VIGIE_OK || *stop || !in_scope) continue;
    c->considered++;
    status = ev_match(c, k->where, obj, now, read, &at_fault, stop, err);
    if (status != VIGIE_OK || *stop || !at_fault) continue;
    c->at_fault++;
    status = ev_add_fault(c, obj, k->where, read, err);
  }
  return status;
}

static bool ev_cmp(ldapa_cmp_op op, double a, double b) {
  switch (op) {
  case LDAPA_EQ: return a == b;
  case LDAPA_NE: return a != b;
  case LDAPA_LT: return a < b;
  case LDAPA_LE: return a <= b;
  case LDAPA_GT: return a > b;
  case LDAPA_GE: return a >= b;
  }
  return false;
}

/* The outcome from the counts, per threshold. */
static vigie_status ev_decide(ldapa_check_res *c, size_t set_size, vigie_error *err) {
  const ldapa_check *k = c->check;
  const char *set = ldapa_set_name(k->set);
  bool failed;
  if (k->threshold == LDAPA_THR_NONE) {
    failed = c->at_fault == 0; /* something required is absent, also from an empty set */
  } else if (set_size == 0) {
    return ev_reason(c, LDAPA_NOT_APPLICABLE, err, "the set %s is empty", set);
  } else if (k->threshold == LDAPA_THR_COUNT) {
    failed = ev_cmp(k->op, (double)c->at_fault, (double)k->count);
  } else if (c->considered == 0) {
    return ev_reason(c, LDAPA_NOT_APPLICABLE, err, "no entry of %s matches of=\"%s\"", set,
                     k->of_text ? k->of_text : "true");
  } else {
    failed = ev_cmp(k->op, (double)c->at_fault / (double)c->considered, k->ratio);
  }
  c->outcome = failed ? LDAPA_FAIL : LDAPA_PASS;
  return VIGIE_OK;
}

static vigie_status ev_check(ldapa_check_res *c, const ldapa_dir *dir, vigie_error *err) {
  vigie_status status = VIGIE_OK;
  if (ev_read_state(c, dir, &status, err)) return status;
  size_t names = c->check->where ? ldapa_expr_name_count(c->check->where) : 0;
  bool *read = vigie_calloc(names, sizeof *read), stop = false;
  if (read == NULL) return ev_nomem(err);
  status = ev_scan(c, dir, read, &stop, err);
  vigie_free(read);
  if (status == VIGIE_OK && !stop) status = ev_decide(c, ldapa_dir_set_size(dir, c->check->set), err);
  /* Faults are evidence of a failure only: drop them otherwise. */
  if (c->outcome != LDAPA_FAIL) {
    for (size_t i = 0; i < c->nfaults; i++) ev_fault_clear(&c->faults[i]);
    c->nfaults = 0;
  }
  return status;
}

/* ------------------------------------------------------------ rules */

/* fail if any check failed (a crossed threshold stands whatever else
 * happened); else error if any errored; not applicable if every check was;
 * else pass. */
static void ev_rule_outcome(ldapa_result *r) {
  bool any_fail = false, any_error = false, all_na = r->nchecks > 0;
  const char *reason = NULL;
  for (size_t i = 0; i < r->nchecks; i++) {
    ldapa_outcome o = r->checks[i].outcome;
    any_fail |= o == LDAPA_FAIL;
    if (o == LDAPA_ERROR && !any_error) reason = r->checks[i].reason;
    any_error |= o == LDAPA_ERROR;
    all_na &= o == LDAPA_NOT_APPLICABLE;
  }
  if (any_fail) r->outcome = LDAPA_FAIL, reason = NULL;
  else if (any_error) r->outcome = LDAPA_ERROR;
  else if (all_na) r->outcome = LDAPA_NOT_APPLICABLE, reason = r->checks[0].reason;
  else r->outcome = LDAPA_PASS;
  r->reason = reason != NULL ? vigie_strdup(reason) : NULL;
}

static vigie_status ev_rule(ldapa_result *r, const ldapa_rule *rule, const ldapa_dir *dir,
                            vigie_error *err) {
  r->rule = rule;
  if (rule->not_evaluated != NULL) {
    r->outcome = LDAPA_NOT_EVALUATED;
    r->reason = vigie_strdup(rule->not_evaluated);
    return r->reason == NULL ? ev_nomem(err) : VIGIE_OK;
  }
  r->checks = vigie_calloc(rule->nchecks, sizeof *r->checks);
  if (r->checks == NULL) return ev_nomem(err);
  vigie_status status = VIGIE_OK;
  for (size_t i = 0; i < rule->nchecks && status == VIGIE_OK; i++, r->nchecks++) {
    r->checks[i] = (ldapa_check_res){.check = &rule->checks[i], .index = i};
    status = ev_check(&r->checks[i], dir, err);
  }
  if (status == VIGIE_OK) ev_rule_outcome(r);
  return status;
}

vigie_status ldapa_eval(const ldapa_ruleset *rules, const ldapa_dir *dir, ldapa_profile profile,
                        ldapa_results **out, vigie_error *err) {
  if (rules == NULL || dir == NULL || out == NULL)
    return vigie_fail(err, VIGIE_EINVAL, "ldapa_eval: bad argument");
  *out = NULL;
  if (profile != LDAPA_PROFILE_AD && profile != LDAPA_PROFILE_OPENLDAP)
    return vigie_fail(err, VIGIE_EINVAL, "ldapa_eval: the profile must be ad or openldap, not %s",
                      ldapa_profile_name(profile));
  ldapa_results *res = vigie_calloc(1, sizeof *res);
  size_t n = ldapa_rules_count(rules);
  if (res == NULL || (res->items = vigie_calloc(n, sizeof *res->items)) == NULL) {
    vigie_free(res);
    return ev_nomem(err);
  }
  res->time = ldapa_dir_time(dir);
  res->profile = profile;
  vigie_status status = VIGIE_OK;
  for (size_t i = 0; i < n && status == VIGIE_OK; i++) {
    const ldapa_rule *rule = ldapa_rules_at(rules, i);
    if (rule->profile != profile) continue;
    status = ev_rule(&res->items[res->n++], rule, dir, err);
  }
  if (status != VIGIE_OK) {
    ldapa_results_free(res);
    return status;
  }
  *out = res;
  return VIGIE_OK;
}

/* ------------------------------------------------------------ accessors */

size_t ldapa_results_count(const ldapa_results *results) { return results ? results->n : 0; }

const ldapa_result *ldapa_results_at(const ldapa_results *results, size_t i) {
  return results != NULL && i < results->n ? &results->items[i] : NULL;
}

time_t ldapa_results_time(const ldapa_results *results) { return results->time; }
ldapa_profile ldapa_results_profile(const ldapa_results *results) { return results->profile; }
const ldapa_rule *ldapa_result_rule(const ldapa_result *result) { return result->rule; }
ldapa_outcome ldapa_result_outcome(const ldapa_result *result) { return result->outcome; }
const char *ldapa_result_reason(const ldapa_result *result) { return result->reason; }
size_t ldapa_result_check_count(const ldapa_result *result) { return result->nchecks; }

bool ldapa_result_check(const ldapa_result *result, size_t i, ldapa_check_outcome *out) {
  if (i >= result->nchecks) return false;
  const ldapa_check_res *c = &result->checks[i];
  const ldapa_check *k = c->check;
  *out = (ldapa_check_outcome){.index = c->index, .set = k->set, .outcome = c->outcome,
                               .severity = k->severity, .level = k->level,
                               .threshold = k->threshold_text, .where = k->where_text,
                               .reason = c->reason, .at_fault = c->at_fault,
                               .considered = c->considered, .faults_kept = c->nfaults};
  return true;
}

const ldapa_fault *ldapa_result_fault(const ldapa_result *result, size_t i, size_t j) {
  if (i >= result->nchecks || j >= result->checks[i].nfaults) return NULL;
  return &result->checks[i].faults[j];
}

bool ldapa_result_holds_level(const ldapa_result *result, int level) {
  for (size_t i = 0; i < result->nchecks; i++)
    if (result->checks[i].outcome == LDAPA_FAIL && result->checks[i].check->level == level) return true;
  return false;
}

const char *ldapa_fault_dn(const ldapa_fault *fault) { return fault->dn; }
const char *ldapa_fault_name(const ldapa_fault *fault) { return fault->name; }
size_t ldapa_fault_evidence_count(const ldapa_fault *fault) { return fault->nev; }

const char *ldapa_fault_evidence(const ldapa_fault *fault, size_t i, const ldapa_value **values,
                                 size_t *count, size_t *total) {
  if (i >= fault->nev) return NULL;
  const ldapa_evidence *e = &fault->ev[i];
  if (values != NULL) *values = e->values;
  if (count != NULL) *count = e->n;
  if (total != NULL) *total = e->total;
  return e->attr;
}
