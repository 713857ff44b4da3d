/* Service probes kept as data (rules/service-probes.xml): where one request
 * and a pattern on its answer say what a port runs, no code is needed, and
 * a consultant can add a banner without recompiling.
 *
 * The file is ours, so it goes through the safe reader and its XSD; the
 * answers come from the network, so they never meet the XML parser: they
 * are turned into bounded printable text (scan_probes_text) and only then
 * handed to regexec, which needs NUL-free text. */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "vigie/scanner.h"

#define SP_NS "urn:vigie:service-probes:1"
#define SP_REQUEST_MAX 4096u
#define SP_FIELD_MAX 256u /* an expanded product, version or info */
#define SP_GROUPS 10      /* the whole match and \1 to \9 */

/* One pattern and the facts it sets (templates with \1...\9). */
typedef struct sp_match {
  regex_t re;
  bool compiled;
  char *service, *product, *version, *info; /* owned; NULL when absent */
} sp_match;

typedef struct sp_probe {
  char *name;
  uint8_t *request;
  size_t request_len;
  uint16_t *ports; /* ascending */
  size_t port_count;
  bool generic;
  sp_match *matches;
  size_t match_count;
} sp_probe;

struct scan_probes {
  sp_probe *items;
  size_t count;
};

/* Where loading is, for messages. */
typedef struct sp_loader {
  const char *name;
  scan_probes *probes;
  vigie_error *err;
} sp_loader;

/* ------------------------------------------------------------- freeing */

static void sp_probe_free(sp_probe *p) {
  for (size_t i = 0; i < p->match_count; i++) {
    sp_match *m = &p->matches[i];
    if (m->compiled) regfree(&m->re);
    vigie_free(m->service);
    vigie_free(m->product);
    vigie_free(m->version);
    vigie_free(m->info);
  }
  vigie_free(p->matches);
  vigie_free(p->name);
  vigie_free(p->request);
  vigie_free(p->ports);
}

void scan_probes_free(scan_probes *probes) {
  if (probes == NULL) return;
  for (size_t i = 0; i < probes->count; i++) sp_probe_free(&probes->items[i]);
  vigie_free(probes->items);
  vigie_free(probes);
}

/* ------------------------------------------------------------- escapes */

static int sp_hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* One escape after the backslash at *p; *p moves past it. */
static bool sp_escape(const char **p, uint8_t *byte) {
  char c = *(*p)++;
  switch (c) {
    case 'r': *byte = '\r'; return true;
    case 'n': *byte = '\n'; return true;
    case 't': *byte = '\t'; return true;
    case '0': *byte = 0; return true;
    case '\\': *byte = '\\'; return true;
    case 'x': {
      int hi = sp_hex((*p)[0]), lo = hi < 0 ? -1 : sp_hex((*p)[1]);
      if (lo < 0) return false;
      *byte = (uint8_t)(hi << 4 | lo);
      *p += 2;
      return true;
    }
    default: return false;
  }
}

bool scan_probes_unescape(const char *text, uint8_t *out, size_t cap, size_t *len) {
  size_t n = 0;
  for (const char *p = text; *p != '\0';) {
    uint8_t byte = (uint8_t)*p++;
    if (byte == '\\' && !sp_escape(&p, &byte)) return false;
    if (n == cap) return false;
    out[n++] = byte;
  }
  *len = n;
  return true;
}

/* ---------------------------------------------------------------- text */

size_t scan_probes_text(const uint8_t *answer, size_t len, char *text) {
  size_t n = 0;
  for (size_t i = 0; i < len && n < SCAN_PROBE_TEXT_MAX; i++) {
    uint8_t b = answer[i];
    if (b == '\r') {
      text[n++] = '\n';
      if (i + 1 < len && answer[i + 1] == '\n') i++;
    } else {
      text[n++] = b == '\n' || (b >= 0x20 && b < 0x7f) ? (char)b : '.';
    }
  }
  text[n] = '\0';
  return n;
}

/* -------------------------------------------------------------- loading */

static long sp_line(const xmlNode *n) { return xmlGetLineNo(n); }

static bool sp_is(const xmlNode *n, const char *name) {
  return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
         strcmp((const char *)n->ns->href, SP_NS) == 0 && strcmp((const char *)n->name, name) == 0;
}

/* An attribute as a new string (NULL when absent); *status VIGIE_ENOMEM. */
static char *sp_attr(const xmlNode *n, const char *name, vigie_status *status) {
  xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
  if (v == NULL) return NULL;
  char *copy = vigie_strdup((const char *)v);
  xmlFree(v);
  if (copy == NULL) *status = VIGIE_ENOMEM;
  return copy;
}

static char *sp_text(const xmlNode *n, vigie_status *status) {
  xmlChar *v = xmlNodeGetContent(n);
  char *copy = vigie_strdup(v != NULL ? (const char *)v : "");
  xmlFree(v);
  if (copy == NULL) *status = VIGIE_ENOMEM;
  return copy;
}

/* "21,22,8000-8010" into an ascending array (the schema checked the shape). */
static vigie_status sp_ports(const sp_loader *l, const xmlNode *n, const char *text, sp_probe *p) {
  vigie_ports set;
  vigie_ports_clear(&set);
  vigie_error perr = {0};
  if (vigie_ports_parse(&set, text, NULL, &perr) != VIGIE_OK)
    return vigie_fail(l->err, VIGIE_ESYNTAX, "%s:%ld: <probe ports=\"%s\">: %s", l->name,
                      sp_line(n), text, vigie_error_text(&perr));
  p->ports = vigie_calloc(set.count ? set.count : 1, sizeof *p->ports);
  if (p->ports == NULL) return VIGIE_ENOMEM;
  for (int port = vigie_ports_next(&set, 1); port > 0; port = vigie_ports_next(&set, port + 1))
    p->ports[p->port_count++] = (uint16_t)port;
  return VIGIE_OK;
}

/* glibc's regcomp builds an automaton whose size multiplies with stacked
 * quantifiers ("(a+)+++") and large or nested intervals: a 269-byte probes
 * file found by the fuzzer took 24 GB. A probes file may come from a user
 * (--probes), so such patterns are refused before regcomp: no quantifier
 * may follow another, interval bounds stay under SP_MAX_REPEAT, and the
 * pattern under SP_MAX_PATTERN bytes. \return NULL or what is wrong. */
#define SP_MAX_PATTERN 1024
#define SP_MAX_REPEAT 64
static const char *sp_pattern_risk(const char *p) {
  bool after_quant = false;
  if (strlen(p) > SP_MAX_PATTERN) return "longer than 1024 bytes";
  for (size_t i = 0; p[i] != '\0'; i++) {
    char c = p[i];
    if (c == '\\' && p[i + 1] != '\0') {
      i++, after_quant = false;
    } else if (c == '[') { /* a bracket expression: its ']' first is literal */
      size_t j = i + 1 + (p[i + 1] == '^');
      if (p[j] == ']') j++;
      while (p[j] != '\0' && p[j] != ']') j++;
      if (p[j] == '\0') return NULL; /* regcomp says what is wrong */
      i = j, after_quant = false;
    } else if (c == '*' || c == '+' || c == '?' || c == '{') {
      if (after_quant) return "a quantifier follows another";
      if (c == '{') {
        unsigned long lo = strtoul(p + i + 1, NULL, 10);
        const char *comma = strchr(p + i, ',');
        const char *close = strchr(p + i, '}');
        unsigned long hi = lo;
        if (close == NULL) return NULL;
        if (comma != NULL && comma < close && comma[1] != '}') hi = strtoul(comma + 1, NULL, 10);
        if (lo > SP_MAX_REPEAT || hi > SP_MAX_REPEAT) return "a repetition over 64";
        i = (size_t)(close - p);
      }
      after_quant = true;
    } else {
      after_quant = false;
    }
  }
  return NULL;
}

static vigie_status sp_match_load(const sp_loader *l, const xmlNode *n, sp_match *m) {
  vigie_status status = VIGIE_OK;
  char *pattern = sp_text(n, &status);
  m->service = sp_attr(n, "service", &status);
  m->product = sp_attr(n, "product", &status);
  m->version = sp_attr(n, "version", &status);
  m->info = sp_attr(n, "info", &status);
  if (status != VIGIE_OK) goto done;
  const char *risk = sp_pattern_risk(pattern);
  if (risk != NULL) {
    status = vigie_fail(l->err, VIGIE_ESYNTAX, "%s:%ld: <match>: regular expression refused (%s)",
                        l->name, sp_line(n), risk);
    goto done;
  }
  int rc = regcomp(&m->re, pattern, REG_EXTENDED | REG_ICASE | REG_NEWLINE);
  if (rc != 0) {
    char why[128];
    regerror(rc, &m->re, why, sizeof why);
    status = vigie_fail(l->err, VIGIE_ESYNTAX, "%s:%ld: <match>: bad regular expression \"%s\": %s",
                        l->name, sp_line(n), pattern, why);
    goto done;
  }
  m->compiled = true;
  if (m->re.re_nsub >= SP_GROUPS)
    status = vigie_fail(l->err, VIGIE_ESYNTAX, "%s:%ld: <match>: more than 9 groups", l->name,
                        sp_line(n));
done:
  vigie_free(pattern);
  return status;
}

static vigie_status sp_request(const sp_loader *l, const xmlNode *n, sp_probe *p) {
  vigie_status status = VIGIE_OK;
  char *text = sp_text(n, &status);
  uint8_t *buf = vigie_malloc(SP_REQUEST_MAX);
  if (text == NULL || buf == NULL) {
    status = VIGIE_ENOMEM;
  } else if (!scan_probes_unescape(text, buf, SP_REQUEST_MAX, &p->request_len)) {
    status =
        vigie_fail(l->err, VIGIE_ESYNTAX,
                   "%s:%ld: <request>: bad escape (\\r \\n \\t \\0 \\\\ \\xHH) or over %u bytes",
                   l->name, sp_line(n), SP_REQUEST_MAX);
  } else {
    vigie_free(p->request);
    p->request = buf, buf = NULL;
  }
  vigie_free(text);
  vigie_free(buf);
  return status;
}

static size_t sp_count(const xmlNode *parent, const char *name) {
  size_t n = 0;
  for (const xmlNode *c = parent->children; c != NULL; c = c->next) n += sp_is(c, name);
  return n;
}

static vigie_status sp_probe_load(const sp_loader *l, const xmlNode *n, sp_probe *p) {
  vigie_status status = VIGIE_OK;
  p->name = sp_attr(n, "name", &status);
  char *ports = sp_attr(n, "ports", &status);
  char *generic = sp_attr(n, "generic", &status);
  p->generic = generic != NULL && (strcmp(generic, "true") == 0 || strcmp(generic, "1") == 0);
  p->matches = vigie_calloc(sp_count(n, "match") + 1, sizeof *p->matches);
  if (status == VIGIE_OK && (p->name == NULL || p->matches == NULL)) status = VIGIE_ENOMEM;
  if (status == VIGIE_OK && ports != NULL) status = sp_ports(l, n, ports, p);
  for (const xmlNode *c = n->children; c != NULL && status == VIGIE_OK; c = c->next) {
    if (sp_is(c, "request")) status = sp_request(l, c, p);
    if (sp_is(c, "match")) status = sp_match_load(l, c, &p->matches[p->match_count++]);
  }
  vigie_free(ports);
  vigie_free(generic);
  return status;
}

static vigie_status sp_walk(sp_loader *l, const xmlNode *root) {
  if (root == NULL || !sp_is(root, "probes"))
    return vigie_fail(l->err, VIGIE_ESCHEMA, "%s: the root element is not <probes> (%s)", l->name,
                      SP_NS);
  scan_probes *probes = l->probes;
  probes->items = vigie_calloc(sp_count(root, "probe") + 1, sizeof *probes->items);
  if (probes->items == NULL) return VIGIE_ENOMEM;
  vigie_status status = VIGIE_OK;
  for (const xmlNode *c = root->children; c != NULL && status == VIGIE_OK; c = c->next) {
    if (!sp_is(c, "probe")) continue;
    status = sp_probe_load(l, c, &probes->items[probes->count++]);
  }
  return status;
}

static vigie_status sp_finish(const char *name, struct _xmlDoc *doc, vigie_status status,
                              scan_probes **out, vigie_error *err) {
  scan_probes *probes = NULL;
  if (status != VIGIE_OK) goto done;
  probes = vigie_calloc(1, sizeof *probes);
  if (probes == NULL) {
    status = VIGIE_ENOMEM;
    goto done;
  }
  sp_loader l = {.name = name, .probes = probes, .err = err};
  status = sp_walk(&l, xmlDocGetRootElement(doc));
done:
  if (status == VIGIE_ENOMEM && (err == NULL || err->status != VIGIE_ENOMEM))
    vigie_fail(err, VIGIE_ENOMEM, "%s: out of memory", name);
  if (status != VIGIE_OK) {
    scan_probes_free(probes);
    probes = NULL;
  }
  vigie_xml_doc_free(doc);
  *out = probes;
  return status;
}

vigie_status scan_probes_load(const char *path, const char *xsd_path, scan_probes **out,
                              vigie_error *err) {
  struct _xmlDoc *doc = NULL;
  *out = NULL;
  if (xsd_path == NULL) return vigie_fail(err, VIGIE_EINVAL, "%s: no schema to check it", path);
  vigie_status status = vigie_xml_read_file(path, 0, xsd_path, &doc, err);
  return sp_finish(path, doc, status, out, err);
}

vigie_status scan_probes_load_memory(const char *data, size_t len, const char *name,
                                     const char *xsd_path, scan_probes **out, vigie_error *err) {
  struct _xmlDoc *doc = NULL;
  *out = NULL;
  if (xsd_path == NULL) return vigie_fail(err, VIGIE_EINVAL, "%s: no schema to check it", name);
  vigie_status status = vigie_xml_read_memory(data, len, name, xsd_path, &doc, err);
  return sp_finish(name, doc, status, out, err);
}

/* ------------------------------------------------------------ queries */

size_t scan_probes_count(const scan_probes *probes) { return probes == NULL ? 0 : probes->count; }

const char *scan_probes_name(const scan_probes *probes, size_t i) {
  return probes != NULL && i < probes->count ? probes->items[i].name : NULL;
}

const uint8_t *scan_probes_request(const scan_probes *probes, size_t i, size_t *len) {
  *len = 0;
  if (probes == NULL || i >= probes->count) return NULL;
  *len = probes->items[i].request_len;
  return probes->items[i].request;
}

bool scan_probes_lists_port(const scan_probes *probes, size_t i, uint16_t port) {
  if (probes == NULL || i >= probes->count) return false;
  const sp_probe *p = &probes->items[i];
  size_t lo = 0, hi = p->port_count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (p->ports[mid] == port) return true;
    if (p->ports[mid] < port)
      lo = mid + 1;
    else
      hi = mid;
  }
  return false;
}

bool scan_probes_generic(const scan_probes *probes, size_t i) {
  return probes != NULL && i < probes->count && probes->items[i].generic;
}

/* ------------------------------------------------------------ matching */

/* A template with \1...\9 replaced by the groups of text, at most
 * SP_FIELD_MAX - 1 bytes, trimmed of blanks. */
static void sp_expand(const char *tmpl, const char *text, const regmatch_t *g, char *out) {
  size_t n = 0;
  for (const char *p = tmpl; *p != '\0' && n < SP_FIELD_MAX - 1; p++) {
    if (p[0] == '\\' && p[1] >= '1' && p[1] <= '9') {
      const regmatch_t *m = &g[p[1] - '0'];
      p++;
      for (regoff_t k = m->rm_so; m->rm_so >= 0 && k < m->rm_eo && n < SP_FIELD_MAX - 1; k++)
        out[n++] = text[k];
      continue;
    }
    out[n++] = *p;
  }
  while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\n')) n--;
  out[n] = '\0';
}

static void sp_set(scan_facts *facts, const char *name, const char *tmpl, const char *text,
                   const regmatch_t *g) {
  char value[SP_FIELD_MAX];
  if (tmpl == NULL) return;
  sp_expand(tmpl, text, g, value);
  if (value[0] != '\0') (void)scan_facts_set(facts, name, value);
}

static bool sp_match_probe(const sp_probe *p, const char *text, scan_facts *facts) {
  regmatch_t g[SP_GROUPS];
  for (size_t i = 0; i < p->match_count; i++) {
    const sp_match *m = &p->matches[i];
    if (regexec(&m->re, text, SP_GROUPS, g, 0) != 0) continue;
    for (size_t k = m->re.re_nsub + 1; k < SP_GROUPS; k++) g[k].rm_so = g[k].rm_eo = -1;
    sp_set(facts, "service", m->service, text, g);
    sp_set(facts, "product", m->product, text, g);
    sp_set(facts, "version", m->version, text, g);
    sp_set(facts, "info", m->info, text, g);
    (void)scan_facts_set(facts, "confidence", "banner");
    return true;
  }
  return false;
}

bool scan_probes_match(const scan_probes *probes, size_t i, const uint8_t *answer, size_t len,
                       scan_facts *facts) {
  char *text;
  bool found = false;
  if (probes == NULL || answer == NULL || len == 0 || facts == NULL) return false;
  if (i != SIZE_MAX && i >= probes->count) return false;
  text = vigie_malloc(SCAN_PROBE_TEXT_MAX + 1);
  if (text == NULL) return false;
  scan_probes_text(answer, len, text);
  if (i != SIZE_MAX) found = sp_match_probe(&probes->items[i], text, facts);
  for (size_t k = 0; i == SIZE_MAX && k < probes->count && !found; k++)
    found = sp_match_probe(&probes->items[k], text, facts);
  vigie_free(text);
  return found;
}
