/* Exposure rules over one open port: the lookup that gives the predicate
 * language a port's service facts and the synthetic names (port, address,
 * ip_version, transport), and the findings it yields. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "scanner/exposure_int.h"

/* ------------------------------------------------------------ findings */

typedef struct ex_finding {
  scan_finding pub;
  char *rule, *confidence, *title; /* owned; pub points at them */
} ex_finding;

struct scan_findings {
  ex_finding *items;
  size_t n, cap;
};

scan_findings *scan_findings_new(void) { return vigie_calloc(1, sizeof(scan_findings)); }

void scan_findings_free(scan_findings *findings) {
  if (findings == NULL) return;
  for (size_t i = 0; i < findings->n; i++) {
    vigie_free(findings->items[i].rule);
    vigie_free(findings->items[i].confidence);
    vigie_free(findings->items[i].title);
  }
  vigie_free(findings->items);
  vigie_free(findings);
}

vigie_status scan_findings_add(scan_findings *findings, const char *rule, scan_severity severity,
                               const char *confidence, const char *title) {
  if (findings == NULL || rule == NULL || confidence == NULL ||
      (unsigned)severity >= SCAN_SEV_COUNT)
    return VIGIE_EINVAL;
  if (findings->n == findings->cap) {
    size_t cap = findings->cap ? findings->cap * 2 : 4;
    ex_finding *grown = vigie_realloc(findings->items, cap * sizeof *grown);
    if (grown == NULL) return VIGIE_ENOMEM;
    findings->items = grown, findings->cap = cap;
  }
  ex_finding f = {.rule = vigie_strdup(rule), .confidence = vigie_strdup(confidence)};
  if (title != NULL) f.title = vigie_strdup(title);
  if (f.rule == NULL || f.confidence == NULL || (title != NULL && f.title == NULL)) {
    vigie_free(f.rule), vigie_free(f.confidence), vigie_free(f.title);
    return VIGIE_ENOMEM;
  }
  f.pub = (scan_finding){
      .rule = f.rule, .severity = severity, .confidence = f.confidence, .title = f.title};
  findings->items[findings->n++] = f;
  return VIGIE_OK;
}

size_t scan_findings_count(const scan_findings *findings) { return findings ? findings->n : 0; }

const scan_finding *scan_findings_at(const scan_findings *findings, size_t i) {
  return findings != NULL && i < findings->n ? &findings->items[i].pub : NULL;
}

/* ------------------------------------------------------------ lookup */

/* A port as the predicate sees it. The synthetic names are texts made once
 * per port; a fact's values, which sit apart in the facts' flat array, are
 * gathered per predicate name before the evaluation, so every vector the
 * lookup hands out stays valid for the whole evaluation. */
typedef struct ex_port {
  const scan_facts *facts;
  char port[8], address[64], ip_version[2];
  vigie_expr_value synth[4];
  const vigie_expr *expr;  /* the predicate being evaluated */
  vigie_expr_value **vals; /* [name index] gathered values */
  size_t *nvals;
} ex_port;

static const char *const ex_synth_names[4] = {"port", "address", "ip_version", "transport"};

static void ex_port_init(ex_port *p, const scan_facts *facts, const vigie_addr *addr,
                         uint16_t port) {
  *p = (ex_port){.facts = facts};
  snprintf(p->port, sizeof p->port, "%u", (unsigned)port);
  if (vigie_addr_format(addr, p->address, sizeof p->address) == NULL) p->address[0] = '\0';
  p->ip_version[0] = addr->family == AF_INET6 ? '6' : '4';
  const char *texts[4] = {p->port, p->address, p->ip_version, "tcp"};
  for (int i = 0; i < 4; i++) p->synth[i] = (vigie_expr_value){texts[i], strlen(texts[i])};
}

static void ex_port_clear(ex_port *p) {
  size_t n = vigie_expr_name_count(p->expr);
  for (size_t i = 0; p->vals != NULL && i < n; i++) vigie_free(p->vals[i]);
  vigie_free(p->vals);
  vigie_free(p->nvals);
  p->vals = NULL, p->nvals = NULL, p->expr = NULL;
}

/* The values of fact name, in the order the service stage added them. */
static vigie_status ex_gather(const scan_facts *facts, const char *name, vigie_expr_value **out,
                              size_t *count) {
  const char *fname, *value;
  size_t len, n = 0;
  *out = NULL, *count = 0;
  for (size_t i = 0; scan_facts_at(facts, i, &fname, NULL, NULL); i++)
    n += strcasecmp(fname, name) == 0;
  if (n == 0) return VIGIE_OK;
  if ((*out = vigie_calloc(n, sizeof **out)) == NULL) return VIGIE_ENOMEM;
  for (size_t i = 0; scan_facts_at(facts, i, &fname, &value, &len); i++)
    if (strcasecmp(fname, name) == 0) (*out)[(*count)++] = (vigie_expr_value){value, len};
  return VIGIE_OK;
}

static vigie_status ex_port_prepare(ex_port *p, const vigie_expr *expr) {
  size_t n = vigie_expr_name_count(expr);
  p->expr = expr;
  p->vals = vigie_calloc(n ? n : 1, sizeof *p->vals);
  p->nvals = vigie_calloc(n ? n : 1, sizeof *p->nvals);
  if (p->vals == NULL || p->nvals == NULL) return VIGIE_ENOMEM;
  vigie_status status = VIGIE_OK;
  for (size_t i = 0; status == VIGIE_OK && i < n; i++) {
    const char *name = vigie_expr_name_at(expr, i);
    if (!scan_exposure_is_synthetic(name))
      status = ex_gather(p->facts, name, &p->vals[i], &p->nvals[i]);
  }
  return status;
}

static size_t ex_lookup(void *ctx, const char *name, const vigie_expr_value **values) {
  ex_port *p = ctx;
  *values = NULL;
  for (int i = 0; i < 4; i++) {
    if (strcasecmp(name, ex_synth_names[i]) == 0) {
      *values = &p->synth[i];
      return 1;
    }
  }
  for (size_t i = 0; i < vigie_expr_name_count(p->expr); i++) {
    if (strcasecmp(name, vigie_expr_name_at(p->expr, i)) == 0) {
      *values = p->vals[i];
      return p->nvals[i];
    }
  }
  return 0;
}

/* ------------------------------------------------------------ evaluation */

static vigie_status ex_eval_rule(const scan_exposure_rule *r, ex_port *p, time_t now, bool *match,
                                 vigie_error *err) {
  vigie_status status = ex_port_prepare(p, r->expr);
  if (status == VIGIE_ENOMEM) {
    vigie_fail(err, status, "exposure rule %s: out of memory", r->id);
  } else {
    vigie_error e;
    status = vigie_expr_eval(r->expr, ex_lookup, p, now, NULL, match, &e);
    if (status != VIGIE_OK)
      vigie_fail(err, status, "exposure rule %s on %s port %s: %s", r->id, p->address, p->port,
                 e.msg);
  }
  ex_port_clear(p);
  return status;
}

static vigie_status ex_add_finding(const scan_exposure_rule *r, const scan_facts *facts,
                                   scan_findings *out, vigie_error *err) {
  const char *confidence =
      r->confidence != NULL ? r->confidence : scan_facts_get(facts, "confidence");
  if (confidence == NULL) confidence = "banner";
  vigie_status status =
      scan_findings_add(out, r->id, r->severity, confidence, r->text[EXP_TEXT_TITLE][1]);
  if (status != VIGIE_OK) return vigie_fail(err, status, "exposure rule %s: out of memory", r->id);
  return VIGIE_OK;
}

vigie_status scan_exposure_eval(const scan_exposure_rules *rules, const scan_facts *facts,
                                const vigie_addr *addr, uint16_t port, time_t now,
                                scan_findings *out, vigie_error *err) {
  if (addr == NULL || out == NULL)
    return vigie_fail(err, VIGIE_EINVAL, "scan_exposure_eval: no address or no findings");
  bool no_facts = scan_facts_count(facts) == 0;
  ex_port p;
  ex_port_init(&p, facts, addr, port);
  vigie_error first = {.status = VIGIE_OK};
  for (size_t i = 0; i < scan_exposure_count(rules); i++) {
    const scan_exposure_rule *r = scan_exposure_at(rules, i);
    bool match = false;
    vigie_error e;
    /* A port the service stage told nothing about is only a port: a rule
     * about its service cannot judge it, even through "not has(x)". */
    if (no_facts && !r->port_only) continue;
    vigie_status status = ex_eval_rule(r, &p, now, &match, &e);
    if (status == VIGIE_OK && match) status = ex_add_finding(r, facts, out, &e);
    if (status != VIGIE_OK && first.status == VIGIE_OK) first = e;
    if (status == VIGIE_ENOMEM) break; /* the next rules would fail alike */
  }
  if (first.status != VIGIE_OK && err != NULL) *err = first;
  return first.status;
}
