/* Exposure rule files (doc/exposure-rules.md): read with the safe XML
 * reader and validated against rules/exposure-rules.xsd, then checked for
 * what the schema cannot say (each text once in fr and en, one <match>, the
 * predicate parses, IDs unique across files). Consultants write these by
 * hand, so every message is "FILE:LINE: what is wrong", and a file that
 * fails adds nothing. The same shape as the directory rule loader
 * (ldap_audit/ldapa_rules.c). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>

#include "scanner/exposure_int.h"

struct scan_exposure_rules {
  scan_exposure_rule **rules;
  size_t n, cap;
};

/* One file's load: its name for messages and the rules read so far (added
 * to the set only when the whole file is good). */
typedef struct ex_file {
  const char *path;
  scan_exposure_rule **rules;
  size_t n, cap;
  vigie_error *err;
} ex_file;

static const char *const ex_fields[EXP_TEXT_COUNT] = {"title", "description", "remediation"};
static const char *const ex_langs[2] = {"fr", "en"};
static const char *const ex_lang_names[2] = {"French", "English"};
static const char *const ex_severities[SCAN_SEV_COUNT] = {"info", "low", "medium", "high",
                                                          "critical"};

/* ------------------------------------------------------------ names */

const char *scan_severity_name(scan_severity sev) {
  return (unsigned)sev < SCAN_SEV_COUNT ? ex_severities[sev] : "unknown";
}

bool scan_severity_from_name(const char *name, scan_severity *out) {
  for (int i = 0; name != NULL && i < SCAN_SEV_COUNT; i++) {
    if (strcmp(name, ex_severities[i]) == 0) {
      *out = (scan_severity)i;
      return true;
    }
  }
  return false;
}

bool scan_exposure_is_synthetic(const char *name) {
  static const char *const synthetic[] = {"port", "address", "ip_version", "transport"};
  for (size_t i = 0; name != NULL && i < sizeof synthetic / sizeof synthetic[0]; i++)
    if (strcasecmp(name, synthetic[i]) == 0) return true;
  return false;
}

/* ------------------------------------------------------------ objects */

static void ex_rule_free(scan_exposure_rule *r) {
  if (r == NULL) return;
  vigie_free(r->id);
  vigie_free(r->category);
  vigie_free(r->confidence);
  vigie_free(r->file);
  for (int f = 0; f < EXP_TEXT_COUNT; f++)
    for (int l = 0; l < 2; l++) vigie_free(r->text[f][l]);
  vigie_strv_free(r->ref_kind, r->nrefs);
  vigie_strv_free(r->ref_href, r->nrefs);
  vigie_strv_free(r->ref_text, r->nrefs);
  vigie_free(r->where);
  vigie_expr_free(r->expr);
  vigie_free(r);
}

/* ------------------------------------------------------------ XML helpers */

static vigie_status ex_fail(ex_file *f, const xmlNode *node, vigie_status status, const char *fmt,
                            ...) __attribute__((format(printf, 4, 5)));

static vigie_status ex_fail(ex_file *f, const xmlNode *node, vigie_status status, const char *fmt,
                            ...) {
  char msg[VIGIE_ERROR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return vigie_fail(f->err, status, "%s:%d: %s", f->path, vigie_xml_line(node), msg);
}

static vigie_status ex_nomem(ex_file *f) {
  return vigie_fail(f->err, VIGIE_ENOMEM, "%s: out of memory", f->path);
}

/* ------------------------------------------------------------ children */

static vigie_status ex_text_elem(ex_file *f, const xmlNode *node, scan_exposure_rule *r,
                                 int field) {
  bool nomem = false;
  char *lang = vigie_xml_attr_dup(node, "lang", &nomem);
  int l = lang != NULL && strcmp(lang, "en") == 0;
  vigie_free(lang);
  if (nomem) return ex_nomem(f);
  if (r->text[field][l] != NULL)
    return ex_fail(f, node, VIGIE_ESCHEMA, "rule %s: a second %s %s (one per language)", r->id,
                   ex_lang_names[l], ex_fields[field]);
  char *text = vigie_xml_text_dup(node, &nomem);
  if (nomem) return ex_nomem(f);
  r->text[field][l] = text;
  if (text[0] == '\0')
    return ex_fail(f, node, VIGIE_ESCHEMA, "rule %s: empty %s %s", r->id, ex_lang_names[l],
                   ex_fields[field]);
  return VIGIE_OK;
}

static vigie_status ex_reference(ex_file *f, const xmlNode *node, scan_exposure_rule *r) {
  size_t c1 = r->nrefs, c2 = r->nrefs, c3 = r->nrefs;
  bool nomem = false;
  if (!vigie_grow((void **)&r->ref_kind, r->nrefs, &c1, sizeof *r->ref_kind) ||
      !vigie_grow((void **)&r->ref_href, r->nrefs, &c2, sizeof *r->ref_href) ||
      !vigie_grow((void **)&r->ref_text, r->nrefs, &c3, sizeof *r->ref_text))
    return ex_nomem(f);
  char *kind = vigie_xml_attr_dup(node, "kind", &nomem), *href = vigie_xml_attr_dup(node, "href", &nomem);
  char *text = vigie_xml_text_dup(node, &nomem);
  if (nomem || kind == NULL || href == NULL || text == NULL) {
    vigie_free(kind), vigie_free(href), vigie_free(text);
    /* The schema requires both attributes: only memory can be missing. */
    return ex_nomem(f);
  }
  r->ref_kind[r->nrefs] = kind, r->ref_href[r->nrefs] = href, r->ref_text[r->nrefs] = text;
  r->nrefs++;
  return VIGIE_OK;
}

/* Whether expr reads only the names the evaluator makes up. */
static bool ex_port_only(const vigie_expr *expr) {
  for (size_t i = 0; i < vigie_expr_name_count(expr); i++)
    if (!scan_exposure_is_synthetic(vigie_expr_name_at(expr, i))) return false;
  return true;
}

static vigie_status ex_match(ex_file *f, const xmlNode *node, scan_exposure_rule *r) {
  if (r->where != NULL)
    return ex_fail(f, node, VIGIE_ESCHEMA, "rule %s: a second <match> (one predicate per rule)",
                   r->id);
  bool nomem = false;
  r->where = vigie_xml_attr_dup(node, "where", &nomem);
  if (nomem || r->where == NULL) return ex_nomem(f);
  vigie_error perr;
  vigie_status status = vigie_expr_parse(r->where, &r->expr, NULL, &perr);
  if (status == VIGIE_ENOMEM) return ex_nomem(f);
  if (status != VIGIE_OK)
    return ex_fail(f, node, status, "rule %s: where=\"%s\": %s", r->id, r->where, perr.msg);
  r->port_only = ex_port_only(r->expr);
  return VIGIE_OK;
}

static vigie_status ex_child(ex_file *f, const xmlNode *node, scan_exposure_rule *r) {
  for (int field = 0; field < EXP_TEXT_COUNT; field++)
    if (vigie_xml_is(node, ex_fields[field])) return ex_text_elem(f, node, r, field);
  if (vigie_xml_is(node, "reference")) return ex_reference(f, node, r);
  if (vigie_xml_is(node, "match")) return ex_match(f, node, r);
  return ex_fail(f, node, VIGIE_ESCHEMA, "rule %s: unexpected <%s>", r->id,
                 (const char *)node->name);
}

/* ------------------------------------------------------------ rules */

/* Every text once in each language, and the one <match> (the schema allows
 * the children in any order, so it cannot count them). */
static vigie_status ex_complete(ex_file *f, const xmlNode *node, const scan_exposure_rule *r) {
  for (int field = 0; field < EXP_TEXT_COUNT; field++)
    for (int l = 0; l < 2; l++)
      if (r->text[field][l] == NULL)
        return ex_fail(f, node, VIGIE_ESCHEMA, "rule %s: no %s %s (<%s lang=\"%s\">)", r->id,
                       ex_lang_names[l], ex_fields[field], ex_fields[field], ex_langs[l]);
  if (r->expr == NULL)
    return ex_fail(f, node, VIGIE_ESCHEMA, "rule %s: no <match where=\"...\"/>", r->id);
  return VIGIE_OK;
}

/* The same ID twice, in this file or against the rules already loaded. */
static vigie_status ex_unique(ex_file *f, const xmlNode *node, const scan_exposure_rules *set,
                              const char *id) {
  for (size_t i = 0; i < f->n; i++)
    if (strcmp(f->rules[i]->id, id) == 0)
      return ex_fail(f, node, VIGIE_ESCHEMA, "rule ID %s already defined on line %d", id,
                     f->rules[i]->line);
  for (size_t i = 0; i < set->n; i++)
    if (strcmp(set->rules[i]->id, id) == 0)
      return ex_fail(f, node, VIGIE_ESCHEMA, "rule ID %s already defined in %s:%d", id,
                     set->rules[i]->file, set->rules[i]->line);
  return VIGIE_OK;
}

static vigie_status ex_rule_fill(ex_file *f, const xmlNode *node, const scan_exposure_rules *set,
                                 scan_exposure_rule *r) {
  bool nomem = false;
  char *sev = vigie_xml_attr_dup(node, "severity", &nomem);
  r->id = vigie_xml_attr_dup(node, "id", &nomem);
  r->category = vigie_xml_attr_dup(node, "category", &nomem);
  r->confidence = vigie_xml_attr_dup(node, "confidence", &nomem);
  r->file = vigie_strdup(f->path);
  bool known = scan_severity_from_name(sev, &r->severity);
  vigie_free(sev);
  if (nomem || r->file == NULL || r->id == NULL || r->category == NULL) return ex_nomem(f);
  if (!known) /* the schema's enumeration, restated for a loader used without it */
    return ex_fail(f, node, VIGIE_ESCHEMA,
                   "rule %s: severity is not one of critical, high, "
                   "medium, low, info",
                   r->id);
  vigie_status status = ex_unique(f, node, set, r->id);
  for (const xmlNode *c = node->children; status == VIGIE_OK && c != NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE) status = ex_child(f, c, r);
  if (status == VIGIE_OK) status = ex_complete(f, node, r);
  return status;
}

static vigie_status ex_rule(ex_file *f, const xmlNode *node, const scan_exposure_rules *set) {
  if (!vigie_grow((void **)&f->rules, f->n, &f->cap, sizeof *f->rules)) return ex_nomem(f);
  scan_exposure_rule *r = vigie_calloc(1, sizeof *r);
  if (r == NULL) return ex_nomem(f);
  r->line = vigie_xml_line(node);
  vigie_status status = ex_rule_fill(f, node, set, r);
  if (status != VIGIE_OK) {
    ex_rule_free(r);
    return status;
  }
  f->rules[f->n++] = r;
  return VIGIE_OK;
}

static vigie_status ex_document(ex_file *f, const xmlDoc *doc, const scan_exposure_rules *set) {
  const xmlNode *root = xmlDocGetRootElement(doc);
  if (root == NULL || !vigie_xml_is(root, "rules"))
    return vigie_fail(f->err, VIGIE_ESCHEMA, "%s:1: not an exposure rule file (<rules> expected)",
                      f->path);
  vigie_status status = VIGIE_OK;
  for (const xmlNode *c = root->children; status == VIGIE_OK && c != NULL; c = c->next)
    if (vigie_xml_is(c, "rule")) status = ex_rule(f, c, set);
  return status;
}

/* ------------------------------------------------------------ rule set */

scan_exposure_rules *scan_exposure_rules_new(void) {
  return vigie_calloc(1, sizeof(scan_exposure_rules));
}

void scan_exposure_rules_free(scan_exposure_rules *rules) {
  if (rules == NULL) return;
  for (size_t i = 0; i < rules->n; i++) ex_rule_free(rules->rules[i]);
  vigie_free(rules->rules);
  vigie_free(rules);
}

static vigie_status ex_commit(scan_exposure_rules *set, ex_file *f, vigie_error *err) {
  size_t cap = set->cap;
  while (set->n + f->n > cap) {
    if (!vigie_grow((void **)&set->rules, cap, &cap, sizeof *set->rules))
      return vigie_fail(err, VIGIE_ENOMEM, "%s: out of memory", f->path);
    set->cap = cap;
  }
  if (f->n > 0) memcpy(set->rules + set->n, f->rules, f->n * sizeof *f->rules);
  set->n += f->n;
  f->n = 0;
  return VIGIE_OK;
}

/* Check a parsed document and add its rules, or nothing. */
static vigie_status ex_load_doc(scan_exposure_rules *rules, const char *name, struct _xmlDoc *doc,
                                vigie_error *err) {
  ex_file f = {.path = name, .err = err};
  vigie_status status = ex_document(&f, doc, rules);
  if (status == VIGIE_OK) status = ex_commit(rules, &f, err);
  for (size_t i = 0; i < f.n; i++) ex_rule_free(f.rules[i]);
  vigie_free(f.rules);
  return status;
}

/* Rule files are small: a cap well under the reader's default. */
#define EX_MAX_FILE (4u * 1024u * 1024u)

static vigie_status ex_load_cb(void *ctx, const char *name, struct _xmlDoc *doc,
                                   vigie_error *err) {
  return ex_load_doc(ctx, name, doc, err);
}

vigie_status scan_exposure_load_file(scan_exposure_rules *rules, const char *path, vigie_error *err) {
  if (rules == NULL || path == NULL)
    return vigie_fail(err, VIGIE_EINVAL, "scan_exposure_load_file: no rule set or no path");
  return vigie_xml_load_file(path, EX_MAX_FILE, "exposure-rules.xsd", ex_load_cb, rules, err);
}

vigie_status scan_exposure_load_memory(scan_exposure_rules *rules, const char *data, size_t len, const char *name,
                                     vigie_error *err) {
  if (rules == NULL || (data == NULL && len > 0))
    return vigie_fail(err, VIGIE_EINVAL, "scan_exposure_load_memory: no rule set or no data");
  return vigie_xml_load_memory(data, len, name, EX_MAX_FILE, "exposure-rules.xsd", ex_load_cb, rules, err);
}

vigie_status scan_exposure_load_dir(scan_exposure_rules *rules, const char *dir, vigie_error *err) {
  if (rules == NULL || dir == NULL)
    return vigie_fail(err, VIGIE_EINVAL, "scan_exposure_load_dir: no rule set or no folder");
  return vigie_xml_load_dir(dir, EX_MAX_FILE, "exposure-rules.xsd", ex_load_cb, rules, err);
}

/* ------------------------------------------------------------ accessors */

size_t scan_exposure_count(const scan_exposure_rules *rules) { return rules ? rules->n : 0; }

const scan_exposure_rule *scan_exposure_at(const scan_exposure_rules *rules, size_t i) {
  return rules != NULL && i < rules->n ? rules->rules[i] : NULL;
}

const scan_exposure_rule *scan_exposure_find(const scan_exposure_rules *rules, const char *id) {
  for (size_t i = 0; rules != NULL && id != NULL && i < rules->n; i++)
    if (strcmp(rules->rules[i]->id, id) == 0) return rules->rules[i];
  return NULL;
}

const char *scan_exposure_rule_id(const scan_exposure_rule *rule) { return rule->id; }
scan_severity scan_exposure_rule_severity(const scan_exposure_rule *rule) { return rule->severity; }
const char *scan_exposure_rule_category(const scan_exposure_rule *rule) { return rule->category; }
const char *scan_exposure_rule_confidence(const scan_exposure_rule *rule) {
  return rule->confidence;
}
const char *scan_exposure_rule_where(const scan_exposure_rule *rule) { return rule->where; }

const char *scan_exposure_rule_text(const scan_exposure_rule *rule, const char *field,
                                    const char *lang) {
  int l = lang != NULL && strcmp(lang, "en") == 0 ? 1 : 0;
  if (lang == NULL || (l == 0 && strcmp(lang, "fr") != 0)) return NULL;
  for (int f = 0; field != NULL && f < EXP_TEXT_COUNT; f++)
    if (strcmp(field, ex_fields[f]) == 0) return rule->text[f][l];
  return NULL;
}

const char *scan_exposure_rule_source(const scan_exposure_rule *rule, int *line) {
  if (line != NULL) *line = rule->line;
  return rule->file;
}

size_t scan_exposure_rule_reference_count(const scan_exposure_rule *rule) { return rule->nrefs; }

const char *scan_exposure_rule_reference_at(const scan_exposure_rule *rule, size_t i,
                                            const char **kind, const char **href) {
  if (i >= rule->nrefs) return NULL;
  if (kind != NULL) *kind = rule->ref_kind[i];
  if (href != NULL) *href = rule->ref_href[i];
  return rule->ref_text[i];
}
