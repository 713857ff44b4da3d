/* Rule files (doc/rules-language.md): read with the safe XML reader and
 * validated against rules/directory-rules.xsd, then checked for what the
 * schema cannot say (texts in both languages, thresholds, predicates, the
 * set belonging to the profile, IDs unique across files). A consultant
 * writes these by hand, so every message is "FILE:LINE: what is wrong", and
 * a file that fails adds nothing to the rule set. */
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "ldap_audit/ldapa_int.h"
#include "vigie/ldap_audit.h"

struct ldapa_ruleset {
  ldapa_rule **rules;
  size_t n, cap;
  char **attrs[LDAPA_SET_COUNT]; /* NULL-terminated, rebuilt after each load */
};

/* What one file's load needs: its name for messages, its profile, and the
 * rules read so far (added to the set only when the whole file is good). */
typedef struct rl_file {
  const char *path;
  ldapa_profile profile;
  ldapa_rule **rules;
  size_t n, cap;
  vigie_error *err;
} rl_file;

static const char *const rl_fields[LDAPA_TEXT_COUNT] = {"title", "description", "rationale",
                                                        "remediation"};
static const char *const rl_langs[2] = {"fr", "en"};
static const char *const rl_lang_names[2] = {"French", "English"};

/* ------------------------------------------------------------ names */

const char *ldapa_severity_name(ldapa_severity sev) {
  switch (sev) {
  case LDAPA_SEV_INFO: return "info";
  case LDAPA_SEV_LOW: return "low";
  case LDAPA_SEV_MEDIUM: return "medium";
  case LDAPA_SEV_HIGH: return "high";
  case LDAPA_SEV_CRITICAL: return "critical";
  }
  return "unknown";
}

const char *ldapa_outcome_name(ldapa_outcome outcome) {
  switch (outcome) {
  case LDAPA_PASS: return "pass";
  case LDAPA_FAIL: return "fail";
  case LDAPA_NOT_APPLICABLE: return "not-applicable";
  case LDAPA_ERROR: return "error";
  case LDAPA_NOT_EVALUATED: return "not-evaluated";
  }
  return "unknown";
}

const char *ldapa_profile_name(ldapa_profile profile) {
  switch (profile) {
  case LDAPA_PROFILE_AUTO: return "auto";
  case LDAPA_PROFILE_AD: return "ad";
  case LDAPA_PROFILE_OPENLDAP: return "openldap";
  }
  return "unknown";
}

const char *ldapa_cmp_op_text(ldapa_cmp_op op) {
  switch (op) {
  case LDAPA_EQ: return "=";
  case LDAPA_NE: return "!=";
  case LDAPA_LT: return "<";
  case LDAPA_LE: return "<=";
  case LDAPA_GT: return ">";
  case LDAPA_GE: return ">=";
  }
  return "?";
}

/* The profiles a set exists in: server and rootdse in both. */
bool ldapa_set_in_profile(ldapa_set set, ldapa_profile profile) {
  if (set == LDAPA_SET_SERVER || set == LDAPA_SET_ROOTDSE) return true;
  bool openldap = set == LDAPA_SET_ENTRIES || set == LDAPA_SET_PPOLICIES;
  return profile == (openldap ? LDAPA_PROFILE_OPENLDAP : LDAPA_PROFILE_AD);
}

/* ------------------------------------------------------------ rule objects */

static void rl_check_clear(ldapa_check *c) {
  ldapa_expr_free(c->where);
  ldapa_expr_free(c->of);
  vigie_free(c->where_text);
  vigie_free(c->of_text);
  vigie_free(c->threshold_text);
}

static void rl_rule_free(ldapa_rule *r) {
  if (r == NULL) return;
  vigie_free(r->id);
  vigie_free(r->category);
  vigie_free(r->anssi);
  vigie_free(r->file);
  vigie_free(r->not_evaluated);
  for (int f = 0; f < LDAPA_TEXT_COUNT; f++)
    for (int l = 0; l < 2; l++) vigie_free(r->text[f][l]);
  vigie_strv_free(r->pingcastle, r->npingcastle);
  vigie_strv_free(r->ref_href, r->nrefs);
  vigie_strv_free(r->ref_text, r->nrefs);
  for (size_t i = 0; i < r->nchecks; i++) rl_check_clear(&r->checks[i]);
  vigie_free(r->checks);
  vigie_free(r);
}

/* ------------------------------------------------------------ XML helpers */

static vigie_status rl_fail(rl_file *f, const xmlNode *node, vigie_status status, const char *fmt,
                            ...) __attribute__((format(printf, 4, 5)));

static vigie_status rl_fail(rl_file *f, const xmlNode *node, vigie_status status, const char *fmt,
                            ...) {
  char msg[VIGIE_ERROR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return vigie_fail(f->err, status, "%s:%d: %s", f->path, vigie_xml_line(node), msg);
}

static vigie_status rl_nomem(rl_file *f) {
  return vigie_fail(f->err, VIGIE_ENOMEM, "%s: out of memory", f->path);
}

/* ------------------------------------------------------------ thresholds */

/* "OP N" with OP one of > >= < <= = != and spaces allowed around. */
static bool rl_parse_op(const char **s, ldapa_cmp_op *op) {
  const char *p = *s;
  while (*p == ' ') p++;
  static const struct { const char *text; ldapa_cmp_op op; } ops[] = {
      {">=", LDAPA_GE}, {"<=", LDAPA_LE}, {"!=", LDAPA_NE}, {">", LDAPA_GT}, {"<", LDAPA_LT}, {"=", LDAPA_EQ}};
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    size_t n = strlen(ops[i].text);
    if (strncmp(p, ops[i].text, n) == 0) {
      *op = ops[i].op;
      *s = p + n;
      while (**s == ' ') (*s)++;
      return true;
    }
  }
  return false;
}

/* A count: decimal digits, at most 18 of them. */
static bool rl_parse_count(const char *s, int64_t *out) {
  size_t n = strspn(s, "0123456789");
  if (n == 0 || n > 18 || s[n + strspn(s + n, " ")] != '\0') return false;
  *out = 0;
  for (size_t i = 0; i < n; i++) *out = *out * 10 + (s[i] - '0');
  return true;
}

/* A ratio in 0..1 written as digits with an optional fraction: parsed by
 * hand, so no locale can turn "0.10" into 0. */
static bool rl_parse_ratio(const char *s, double *out) {
  size_t ip = strspn(s, "0123456789");
  if (ip == 0 || ip > 3) return false;
  double v = 0, scale = 1;
  for (size_t i = 0; i < ip; i++) v = v * 10 + (s[i] - '0');
  s += ip;
  if (*s == '.') {
    size_t fp = strspn(++s, "0123456789");
    if (fp == 0 || fp > 9) return false;
    for (size_t i = 0; i < fp; i++) scale /= 10, v += (s[i] - '0') * scale;
    s += fp;
  }
  while (*s == ' ') s++;
  if (*s != '\0' || v > 1.0) return false;
  *out = v;
  return true;
}

static vigie_status rl_threshold_text(rl_file *f, ldapa_check *c, const char *kind,
                                      const char *value) {
  size_t len = strlen(kind) + strlen(value) + 2;
  c->threshold_text = vigie_malloc(len);
  if (c->threshold_text == NULL) return rl_nomem(f);
  snprintf(c->threshold_text, len, "%s %s", kind, value);
  return VIGIE_OK;
}

/* The one threshold of <fail-if>. */
static vigie_status rl_fail_if(rl_file *f, const xmlNode *node, ldapa_check *c) {
  bool nomem = false;
  char *count = vigie_xml_attr_dup(node, "count", &nomem), *ratio = vigie_xml_attr_dup(node, "ratio", &nomem);
  char *none = vigie_xml_attr_dup(node, "none", &nomem);
  vigie_status status = VIGIE_OK;
  int given = (count != NULL) + (ratio != NULL) + (none != NULL);
  const char *p = count != NULL ? count : ratio;
  if (nomem) {
    status = rl_nomem(f);
  } else if (given != 1) {
    status = rl_fail(f, node, VIGIE_ESCHEMA,
                     "<fail-if> needs exactly one of count, ratio or none (%d given)", given);
  } else if (none != NULL) {
    c->threshold = LDAPA_THR_NONE;
    c->threshold_text = vigie_strdup("none");
    if (c->threshold_text == NULL) status = rl_nomem(f);
  } else if (!rl_parse_op(&p, &c->op)) {
    status = rl_fail(f, node, VIGIE_ESYNTAX,
                     "%s=\"%s\": expected an operator (> >= < <= = !=) then a number",
                     count ? "count" : "ratio", count ? count : ratio);
  } else if (count != NULL && !rl_parse_count(p, &c->count)) {
    status = rl_fail(f, node, VIGIE_ESYNTAX, "count=\"%s\": expected a whole number after the operator",
                     count);
  } else if (ratio != NULL && !rl_parse_ratio(p, &c->ratio)) {
    status = rl_fail(f, node, VIGIE_ESYNTAX,
                     "ratio=\"%s\": expected a number from 0 to 1 after the operator (0.10)", ratio);
  } else {
    c->threshold = count != NULL ? LDAPA_THR_COUNT : LDAPA_THR_RATIO;
    status = rl_threshold_text(f, c, count ? "count" : "ratio", count ? count : ratio);
  }
  vigie_free(count), vigie_free(ratio), vigie_free(none);
  return status;
}

/* ------------------------------------------------------------ checks */

static vigie_status rl_predicate(rl_file *f, const xmlNode *node, const ldapa_rule *r,
                                 const char *attr, char **text, ldapa_expr **expr) {
  bool nomem = false;
  *text = vigie_xml_attr_dup(node, attr, &nomem);
  if (nomem) return rl_nomem(f);
  if (*text == NULL) return VIGIE_OK;
  vigie_error perr;
  vigie_status status = ldapa_expr_parse(*text, expr, NULL, &perr);
  if (status == VIGIE_ENOMEM) return rl_nomem(f);
  if (status != VIGIE_OK)
    return rl_fail(f, node, status, "rule %s: %s=\"%s\": %s", r->id, attr, *text, perr.msg);
  return VIGIE_OK;
}

static const char *const rl_severities[] = {"info", "low", "medium", "high", "critical"};

static ldapa_severity rl_severity(const char *s) {
  for (int i = 0; s != NULL && i < 5; i++)
    if (strcmp(s, rl_severities[i]) == 0) return (ldapa_severity)i;
  return LDAPA_SEV_INFO;
}

/* The attributes the schema made sure of (objects, severity, level). */
static vigie_status rl_check_attrs(rl_file *f, const xmlNode *node, const ldapa_rule *r,
                                   ldapa_check *c) {
  bool nomem = false;
  char *objects = vigie_xml_attr_dup(node, "objects", &nomem), *sev = vigie_xml_attr_dup(node, "severity", &nomem);
  char *level = vigie_xml_attr_dup(node, "level", &nomem);
  vigie_status status = VIGIE_OK;
  if (nomem) {
    status = rl_nomem(f);
  } else if (objects == NULL || ldapa_set_from_name(objects, &c->set) != VIGIE_OK) {
    status = rl_fail(f, node, VIGIE_ESCHEMA, "rule %s: unknown object set \"%s\"", r->id,
                     objects ? objects : "");
  } else if (!ldapa_set_in_profile(c->set, f->profile)) {
    status = rl_fail(f, node, VIGIE_ESCHEMA, "rule %s: object set \"%s\" is not read in the %s profile",
                     r->id, objects, ldapa_profile_name(f->profile));
  } else {
    c->severity = rl_severity(sev);
    /* The XSD allows only 1..5, possibly with spaces around. */
    const char *d = level;
    while (d != NULL && *d == ' ') d++;
    c->level = d != NULL && *d >= '1' && *d <= '5' ? *d - '0' : 0;
  }
  vigie_free(objects), vigie_free(sev), vigie_free(level);
  return status;
}

static vigie_status rl_check(rl_file *f, const xmlNode *node, ldapa_rule *r) {
  size_t cap = r->nchecks; /* checks grow one at a time: capacity == count */
  if (!vigie_grow((void **)&r->checks, r->nchecks, &cap, sizeof *r->checks)) return rl_nomem(f);
  ldapa_check *c = &r->checks[r->nchecks++];
  *c = (ldapa_check){.line = vigie_xml_line(node)};
  vigie_status status = rl_check_attrs(f, node, r, c);
  if (status == VIGIE_OK) status = rl_predicate(f, node, r, "where", &c->where_text, &c->where);
  if (status == VIGIE_OK) status = rl_predicate(f, node, r, "of", &c->of_text, &c->of);
  const xmlNode *fi = node->children;
  while (fi != NULL && !vigie_xml_is(fi, "fail-if")) fi = fi->next;
  if (status == VIGIE_OK && fi == NULL)
    status = rl_fail(f, node, VIGIE_ESCHEMA, "rule %s: <check> without <fail-if>", r->id);
  if (status == VIGIE_OK) status = rl_fail_if(f, fi, c);
  if (status == VIGIE_OK && c->of_text != NULL && c->threshold != LDAPA_THR_RATIO)
    status = rl_fail(f, node, VIGIE_ESCHEMA, "rule %s: of=\"...\" is only for a ratio threshold", r->id);
  if (status == VIGIE_OK && c->severity > r->severity) r->severity = c->severity;
  return status;
}

/* ------------------------------------------------------------ rule texts */

static vigie_status rl_text_elem(rl_file *f, const xmlNode *node, ldapa_rule *r, int field) {
  bool nomem = false;
  char *lang = vigie_xml_attr_dup(node, "lang", &nomem);
  int l = lang != NULL && strcmp(lang, "en") == 0;
  vigie_free(lang);
  if (nomem) return rl_nomem(f);
  if (r->text[field][l] != NULL)
    return rl_fail(f, node, VIGIE_ESCHEMA, "rule %s: a second %s %s (one per language)", r->id,
                   rl_lang_names[l], rl_fields[field]);
  char *text = vigie_xml_text_dup(node, &nomem);
  if (nomem) return rl_nomem(f);
  r->text[field][l] = text;
  if (text[0] == '\0')
    return rl_fail(f, node, VIGIE_ESCHEMA, "rule %s: empty %s %s", r->id, rl_lang_names[l],
                   rl_fields[field]);
  return VIGIE_OK;
}

static vigie_status rl_anssi(rl_file *f, const xmlNode *node, ldapa_rule *r) {
  if (r->anssi != NULL)
    return rl_fail(f, node, VIGIE_ESCHEMA, "rule %s: a second <anssi> (one control point per rule)",
                   r->id);
  bool nomem = false;
  r->anssi = vigie_xml_attr_dup(node, "id", &nomem);
  return nomem ? rl_nomem(f) : VIGIE_OK;
}

static vigie_status rl_pingcastle(rl_file *f, const xmlNode *node, ldapa_rule *r) {
  size_t cap = r->npingcastle;
  bool nomem = false;
  if (!vigie_grow((void **)&r->pingcastle, r->npingcastle, &cap, sizeof *r->pingcastle))
    return rl_nomem(f);
  char *id = vigie_xml_attr_dup(node, "id", &nomem);
  if (id == NULL) return nomem ? rl_nomem(f) : VIGIE_OK;
  r->pingcastle[r->npingcastle++] = id;
  return VIGIE_OK;
}

static vigie_status rl_reference(rl_file *f, const xmlNode *node, ldapa_rule *r) {
  size_t cap1 = r->nrefs, cap2 = r->nrefs;
  bool nomem = false;
  if (!vigie_grow((void **)&r->ref_href, r->nrefs, &cap1, sizeof *r->ref_href) ||
      !vigie_grow((void **)&r->ref_text, r->nrefs, &cap2, sizeof *r->ref_text))
    return rl_nomem(f);
  char *href = vigie_xml_attr_dup(node, "href", &nomem), *text = vigie_xml_text_dup(node, &nomem);
  if (href == NULL || text == NULL) {
    vigie_free(href), vigie_free(text);
    return rl_nomem(f);
  }
  r->ref_href[r->nrefs] = href, r->ref_text[r->nrefs] = text;
  r->nrefs++;
  return VIGIE_OK;
}

static vigie_status rl_not_evaluated(rl_file *f, const xmlNode *node, ldapa_rule *r) {
  bool nomem = false;
  char *sev = vigie_xml_attr_dup(node, "severity", &nomem);
  r->not_evaluated = vigie_xml_attr_dup(node, "reason", &nomem);
  r->severity = rl_severity(sev);
  vigie_free(sev);
  return nomem || r->not_evaluated == NULL ? rl_nomem(f) : VIGIE_OK;
}

/* ------------------------------------------------------------ rules */

static vigie_status rl_child(rl_file *f, const xmlNode *node, ldapa_rule *r) {
  for (int field = 0; field < LDAPA_TEXT_COUNT; field++)
    if (vigie_xml_is(node, rl_fields[field])) return rl_text_elem(f, node, r, field);
  if (vigie_xml_is(node, "anssi")) return rl_anssi(f, node, r);
  if (vigie_xml_is(node, "pingcastle")) return rl_pingcastle(f, node, r);
  if (vigie_xml_is(node, "reference")) return rl_reference(f, node, r);
  if (vigie_xml_is(node, "check")) return rl_check(f, node, r);
  if (vigie_xml_is(node, "not-evaluated")) return rl_not_evaluated(f, node, r);
  return rl_fail(f, node, VIGIE_ESCHEMA, "rule %s: unexpected <%s>", r->id, (const char *)node->name);
}

/* Every text once in each language (the schema cannot count per language). */
static vigie_status rl_texts_complete(rl_file *f, const xmlNode *node, const ldapa_rule *r) {
  for (int field = 0; field < LDAPA_TEXT_COUNT; field++)
    for (int l = 0; l < 2; l++)
      if (r->text[field][l] == NULL)
        return rl_fail(f, node, VIGIE_ESCHEMA, "rule %s: no %s %s (<%s lang=\"%s\">)", r->id,
                       rl_lang_names[l], rl_fields[field], rl_fields[field], rl_langs[l]);
  return VIGIE_OK;
}

/* The same ID twice, in this file or against the rules already loaded. */
static vigie_status rl_unique(rl_file *f, const xmlNode *node, const ldapa_ruleset *set,
                              const char *id) {
  for (size_t i = 0; i < f->n; i++)
    if (strcmp(f->rules[i]->id, id) == 0)
      return rl_fail(f, node, VIGIE_ESCHEMA, "rule ID %s already defined on line %d", id,
                     f->rules[i]->line);
  for (size_t i = 0; i < set->n; i++)
    if (strcmp(set->rules[i]->id, id) == 0)
      return rl_fail(f, node, VIGIE_ESCHEMA, "rule ID %s already defined in %s:%d", id,
                     set->rules[i]->file, set->rules[i]->line);
  return VIGIE_OK;
}

static vigie_status rl_rule_fill(rl_file *f, const xmlNode *node, const ldapa_ruleset *set,
                                 ldapa_rule *r) {
  bool nomem = false;
  r->id = vigie_xml_attr_dup(node, "id", &nomem);
  r->category = vigie_xml_attr_dup(node, "category", &nomem);
  r->file = vigie_strdup(f->path);
  if (nomem || r->file == NULL || r->id == NULL || r->category == NULL) return rl_nomem(f);
  vigie_status status = rl_unique(f, node, set, r->id);
  for (const xmlNode *c = node->children; status == VIGIE_OK && c != NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE) status = rl_child(f, c, r);
  if (status == VIGIE_OK) status = rl_texts_complete(f, node, r);
  return status;
}

static vigie_status rl_rule(rl_file *f, const xmlNode *node, const ldapa_ruleset *set) {
  if (!vigie_grow((void **)&f->rules, f->n, &f->cap, sizeof *f->rules)) return rl_nomem(f);
  ldapa_rule *r = vigie_calloc(1, sizeof *r);
  if (r == NULL) return rl_nomem(f);
  r->line = vigie_xml_line(node);
  r->profile = f->profile;
  vigie_status status = rl_rule_fill(f, node, set, r);
  if (status != VIGIE_OK) {
    rl_rule_free(r);
    return status;
  }
  f->rules[f->n++] = r;
  return VIGIE_OK;
}

static vigie_status rl_document(rl_file *f, const xmlDoc *doc, const ldapa_ruleset *set) {
  const xmlNode *root = xmlDocGetRootElement(doc);
  if (root == NULL || !vigie_xml_is(root, "rules"))
    return vigie_fail(f->err, VIGIE_ESCHEMA, "%s:1: not a rule file (<rules> expected)", f->path);
  bool nomem = false;
  char *profile = vigie_xml_attr_dup(root, "profile", &nomem);
  f->profile = profile != NULL && strcmp(profile, "openldap") == 0 ? LDAPA_PROFILE_OPENLDAP
                                                                   : LDAPA_PROFILE_AD;
  vigie_free(profile);
  if (nomem) return rl_nomem(f);
  vigie_status status = VIGIE_OK;
  for (const xmlNode *c = root->children; status == VIGIE_OK && c != NULL; c = c->next)
    if (vigie_xml_is(c, "rule")) status = rl_rule(f, c, set);
  return status;
}

/* ------------------------------------------------------------ attributes */

static void rl_attrs_free(ldapa_ruleset *set) {
  for (int s = 0; s < LDAPA_SET_COUNT; s++) {
    for (size_t i = 0; set->attrs[s] != NULL && set->attrs[s][i] != NULL; i++)
      vigie_free(set->attrs[s][i]);
    vigie_free(set->attrs[s]);
    set->attrs[s] = NULL;
  }
}

/* Add the attribute names (not facts) expr reads to the list of set s. */
static bool rl_attrs_add(char ***list, size_t *n, size_t *cap, const ldapa_expr *expr) {
  for (size_t k = 0; k < ldapa_expr_name_count(expr); k++) {
    const char *name = ldapa_expr_name_at(expr, k);
    bool seen = ldapa_expr_is_fact(name);
    for (size_t i = 0; i < *n && !seen; i++) seen = strcasecmp((*list)[i], name) == 0;
    if (seen) continue;
    if (*n + 1 >= *cap && !vigie_grow((void **)list, *n + 1, cap, sizeof **list)) return false;
    if (((*list)[*n] = vigie_strdup(name)) == NULL) return false;
    (*list)[++*n] = NULL;
  }
  return true;
}

/* Rebuilt from scratch after a load: rule sets are small, and a list that
 * is always complete is simpler than merging. */
static vigie_status rl_attrs_rebuild(ldapa_ruleset *set, vigie_error *err) {
  rl_attrs_free(set);
  for (int s = 0; s < LDAPA_SET_COUNT; s++) {
    size_t n = 0, cap = 1;
    set->attrs[s] = vigie_calloc(1, sizeof *set->attrs[s]);
    bool ok = set->attrs[s] != NULL;
    for (size_t i = 0; ok && i < set->n; i++) {
      const ldapa_rule *r = set->rules[i];
      for (size_t c = 0; ok && c < r->nchecks; c++) {
        if ((int)r->checks[c].set != s) continue;
        if (r->checks[c].where) ok = rl_attrs_add(&set->attrs[s], &n, &cap, r->checks[c].where);
        if (ok && r->checks[c].of) ok = rl_attrs_add(&set->attrs[s], &n, &cap, r->checks[c].of);
      }
    }
    if (!ok) return vigie_fail(err, VIGIE_ENOMEM, "rules: out of memory");
  }
  return VIGIE_OK;
}

const char *const *ldapa_rules_attrs(const ldapa_ruleset *rules, ldapa_set set) {
  static const char *const none[] = {NULL};
  if (rules == NULL || (unsigned)set >= LDAPA_SET_COUNT || rules->attrs[set] == NULL) return none;
  return (const char *const *)rules->attrs[set];
}

/* ------------------------------------------------------------ rule set */

ldapa_ruleset *ldapa_ruleset_new(void) { return vigie_calloc(1, sizeof(ldapa_ruleset)); }

void ldapa_ruleset_free(ldapa_ruleset *rules) {
  if (rules == NULL) return;
  for (size_t i = 0; i < rules->n; i++) rl_rule_free(rules->rules[i]);
  vigie_free(rules->rules);
  rl_attrs_free(rules);
  vigie_free(rules);
}

static vigie_status rl_commit(ldapa_ruleset *set, rl_file *f, vigie_error *err) {
  size_t cap = set->cap;
  while (set->n + f->n > cap) {
    if (!vigie_grow((void **)&set->rules, cap, &cap, sizeof *set->rules))
      return vigie_fail(err, VIGIE_ENOMEM, "%s: out of memory", f->path);
    set->cap = cap;
  }
  memcpy(set->rules + set->n, f->rules, f->n * sizeof *f->rules);
  set->n += f->n;
  f->n = 0;
  return rl_attrs_rebuild(set, err);
}

/* Check a parsed document and add its rules, or nothing. */
static vigie_status rl_load_doc(ldapa_ruleset *rules, const char *name, struct _xmlDoc *doc,
                                vigie_error *err) {
  rl_file f = {.path = name, .err = err};
  vigie_status status = rl_document(&f, doc, rules);
  if (status == VIGIE_OK) status = rl_commit(rules, &f, err);
  for (size_t i = 0; i < f.n; i++) rl_rule_free(f.rules[i]);
  vigie_free(f.rules);
  return status;
}

/* Rule files are small: a cap well under the reader's default. */
#define RL_MAX_FILE (4u * 1024u * 1024u)

static vigie_status rl_load_cb(void *ctx, const char *name, struct _xmlDoc *doc,
                                   vigie_error *err) {
  return rl_load_doc(ctx, name, doc, err);
}

vigie_status ldapa_rules_load_file(ldapa_ruleset *rules, const char *path, vigie_error *err) {
  if (rules == NULL || path == NULL)
    return vigie_fail(err, VIGIE_EINVAL, "ldapa_rules_load_file: no rule set or no path");
  return vigie_xml_load_file(path, RL_MAX_FILE, "directory-rules.xsd", rl_load_cb, rules, err);
}

vigie_status ldapa_rules_load_memory(ldapa_ruleset *rules, const char *data, size_t len, const char *name,
                                     vigie_error *err) {
  if (rules == NULL || (data == NULL && len > 0))
    return vigie_fail(err, VIGIE_EINVAL, "ldapa_rules_load_memory: no rule set or no data");
  return vigie_xml_load_memory(data, len, name, RL_MAX_FILE, "directory-rules.xsd", rl_load_cb, rules, err);
}

vigie_status ldapa_rules_load_dir(ldapa_ruleset *rules, const char *dir, vigie_error *err) {
  if (rules == NULL || dir == NULL)
    return vigie_fail(err, VIGIE_EINVAL, "ldapa_rules_load_dir: no rule set or no folder");
  return vigie_xml_load_dir(dir, RL_MAX_FILE, "directory-rules.xsd", rl_load_cb, rules, err);
}

/* ------------------------------------------------------------ accessors */

size_t ldapa_rules_count(const ldapa_ruleset *rules) { return rules ? rules->n : 0; }

const ldapa_rule *ldapa_rules_at(const ldapa_ruleset *rules, size_t i) {
  return rules != NULL && i < rules->n ? rules->rules[i] : NULL;
}

const char *ldapa_rule_id(const ldapa_rule *rule) { return rule->id; }
ldapa_profile ldapa_rule_profile(const ldapa_rule *rule) { return rule->profile; }
ldapa_severity ldapa_rule_severity(const ldapa_rule *rule) { return rule->severity; }
const char *ldapa_rule_category(const ldapa_rule *rule) { return rule->category; }
const char *ldapa_rule_anssi(const ldapa_rule *rule) { return rule->anssi; }
const char *ldapa_rule_not_evaluated(const ldapa_rule *rule) { return rule->not_evaluated; }

const char *ldapa_rule_text(const ldapa_rule *rule, const char *field, const char *lang) {
  int l = lang != NULL && strcmp(lang, "en") == 0 ? 1 : 0;
  if (lang == NULL || (l == 0 && strcmp(lang, "fr") != 0)) return NULL;
  for (int f = 0; field != NULL && f < LDAPA_TEXT_COUNT; f++)
    if (strcmp(field, rl_fields[f]) == 0) return rule->text[f][l];
  return NULL;
}

const char *ldapa_rule_source(const ldapa_rule *rule, int *line) {
  if (line != NULL) *line = rule->line;
  return rule->file;
}

size_t ldapa_rule_reference_count(const ldapa_rule *rule) { return rule->nrefs; }

const char *ldapa_rule_reference_at(const ldapa_rule *rule, size_t i, const char **href) {
  if (i >= rule->nrefs) return NULL;
  if (href != NULL) *href = rule->ref_href[i];
  return rule->ref_text[i];
}

size_t ldapa_rule_check_count(const ldapa_rule *rule) { return rule->nchecks; }

int ldapa_rule_level(const ldapa_rule *rule) {
  int level = 0;
  for (size_t i = 0; i < rule->nchecks; i++)
    if (rule->checks[i].level > 0 && (level == 0 || rule->checks[i].level < level))
      level = rule->checks[i].level;
  return level;
}

const ldapa_check *ldapa_rule_check_at(const ldapa_rule *rule, size_t i) {
  return i < rule->nchecks ? &rule->checks[i] : NULL;
}
