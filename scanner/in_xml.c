/* Reading our scan XML back (--resume): the file is validated against
 * rules/scan.xsd by the safe reader first, then walked with libxml2's tree
 * API. The schema already refuses most bad values; the checks here cover
 * what XSD 1.0 cannot say (an address that matches its family, a shard index
 * below the shard count, a resume point inside the range, the same address
 * spelled two ways) and keep every value's parsing strict anyway, since the
 * schema is a data file that VIGIE_RULES_DIR can swap. Every message names
 * the file and the line of the element at fault. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libxml/tree.h>

#include "vigie/scanner.h"

#define SCAN_XML_NS "urn:vigie:scan:1"

/* Longer than any attribute value of ours (an IPv6 address, a time). */
#define SI_VALUE_MAX 64

typedef struct si_ctx {
  const char *path;
  scan_store *store;
  vigie_error *err;
  scan_mode mode; /* of <run>, which comes before any <host> */
  scan_saved *saved;
  scan_services *services; /* may be NULL: facts are then skipped */
} si_ctx;

/* -------------------------------------------------------------- helpers */

static long si_line(const xmlNode *node) { return xmlGetLineNo(node); }

static bool si_is(const xmlNode *node, const char *name) {
  return node->type == XML_ELEMENT_NODE && node->ns != NULL &&
         strcmp((const char *)node->ns->href, SCAN_XML_NS) == 0 &&
         strcmp((const char *)node->name, name) == 0;
}

static vigie_status si_bad(const si_ctx *c, const xmlNode *node, vigie_status status,
                           const char *attr, const char *value, const char *what) {
  return vigie_fail(c->err, status, "%s:%ld: <%s %s=\"%s\">: %s", c->path, si_line(node),
                    (const char *)node->name, attr, value, what);
}

/* Copy attribute name of node into buf (SI_VALUE_MAX bytes). */
static vigie_status si_attr(const si_ctx *c, const xmlNode *node, const char *name, char *buf) {
  xmlChar *v = xmlGetNoNsProp(node, (const xmlChar *)name);
  if (v == NULL)
    return vigie_fail(c->err, VIGIE_ESCHEMA, "%s:%ld: <%s>: attribute %s is missing", c->path,
                      si_line(node), (const char *)node->name, name);
  size_t len = strlen((const char *)v);
  if (len >= SI_VALUE_MAX) {
    xmlFree(v);
    return vigie_fail(c->err, VIGIE_ESYNTAX, "%s:%ld: <%s>: attribute %s is too long", c->path,
                      si_line(node), (const char *)node->name, name);
  }
  memcpy(buf, v, len + 1);
  xmlFree(v);
  return VIGIE_OK;
}

static bool si_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'; }

/* An xs:unsignedLong-style value up to max: optional blanks (the schema
 * collapses whitespace), an optional '+', decimal digits. */
static vigie_status si_uint(const si_ctx *c, const xmlNode *node, const char *name, uint64_t max,
                            uint64_t *out) {
  char buf[SI_VALUE_MAX];
  vigie_status status = si_attr(c, node, name, buf);
  if (status != VIGIE_OK) return status;
  const char *p = buf;
  uint64_t v = 0;
  while (si_space(*p)) p++;
  if (*p == '+') p++;
  if (*p < '0' || *p > '9') return si_bad(c, node, VIGIE_ESYNTAX, name, buf, "not a number");
  for (; *p >= '0' && *p <= '9'; p++) {
    if (v > (max - (uint64_t)(*p - '0')) / 10)
      return si_bad(c, node, VIGIE_ESYNTAX, name, buf, "out of range");
    v = v * 10 + (uint64_t)(*p - '0');
  }
  while (si_space(*p)) p++;
  if (*p != '\0') return si_bad(c, node, VIGIE_ESYNTAX, name, buf, "not a number");
  *out = v;
  return VIGIE_OK;
}

/* n decimal digits at s into *out. */
static bool si_digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

/* "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" (the schema's utcTime) into Unix
 * microseconds. \return false when malformed or before 1970. */
static bool si_parse_time(const char *s, int64_t *us) {
  struct tm tm = {0};
  int frac = 0, scale = 100000, digit;
  while (si_space(*s)) s++;
  if (!si_digits(s, 4, &tm.tm_year) || s[4] != '-' || !si_digits(s + 5, 2, &tm.tm_mon) ||
      s[7] != '-' || !si_digits(s + 8, 2, &tm.tm_mday) || s[10] != 'T' ||
      !si_digits(s + 11, 2, &tm.tm_hour) || s[13] != ':' || !si_digits(s + 14, 2, &tm.tm_min) ||
      s[16] != ':' || !si_digits(s + 17, 2, &tm.tm_sec))
    return false;
  s += 19;
  if (*s == '.') {
    if (!si_digits(++s, 1, &digit)) return false;
    for (; si_digits(s, 1, &digit) && scale > 0; s++, scale /= 10) frac += digit * scale;
  }
  if (*s++ != 'Z') return false;
  while (si_space(*s)) s++;
  if (*s != '\0' || tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
      tm.tm_mday > 31 || tm.tm_hour > 24 || tm.tm_min > 59 || tm.tm_sec > 60)
    return false;
  tm.tm_year -= 1900, tm.tm_mon -= 1;
  time_t secs = timegm(&tm);
  if (secs == (time_t)-1) return false;
  *us = (int64_t)secs * 1000000 + frac;
  return true;
}

/* The engine that gives a reason; SCAN_MODE_AUTO for both. */
static scan_mode si_reason_mode(scan_reason reason) {
  switch (reason) {
    case SCAN_REASON_SYN_ACK:
    case SCAN_REASON_RESET: return SCAN_MODE_SYN;
    case SCAN_REASON_CONNECTED:
    case SCAN_REASON_REFUSED: return SCAN_MODE_CONNECT;
    case SCAN_REASON_NO_RESPONSE:
    case SCAN_REASON_UNREACHABLE: return SCAN_MODE_AUTO;
  }
  return SCAN_MODE_AUTO;
}

static uint8_t si_state_of(const char *name) {
  for (int v = SCAN_STATE_OPEN; v <= SCAN_STATE_FILTERED; v++)
    if (strcmp(scan_state_name((scan_state)v), name) == 0) return (uint8_t)v;
  return 0;
}

/* scan_reason_name() gives nmap's names, and nmap calls both a SYN-ACK and
 * a completed connect() "syn-ack": when a name fits several reasons, the
 * one of the run's engine wins. */
static uint8_t si_reason_of(const char *name, scan_mode mode) {
  int found = 0;
  for (int v = SCAN_REASON_SYN_ACK; v <= SCAN_REASON_UNREACHABLE; v++)
    if (strcmp(scan_reason_name((scan_reason)v), name) == 0 &&
        (found == 0 || si_reason_mode((scan_reason)v) == mode))
      found = v;
  return (uint8_t)found;
}

/* ---------------------------------------------------------------- hosts */

static vigie_status si_address(const si_ctx *c, const xmlNode *host, vigie_addr *addr) {
  char text[SI_VALUE_MAX], family[SI_VALUE_MAX];
  unsigned char raw[16];
  vigie_status status = si_attr(c, host, "addr", text);
  if (status == VIGIE_OK) status = si_attr(c, host, "family", family);
  if (status != VIGIE_OK) return status;
  memset(addr, 0, sizeof *addr);
  addr->family = strcmp(family, "ipv4") == 0 ? AF_INET : strcmp(family, "ipv6") == 0 ? AF_INET6 : 0;
  if (addr->family == 0)
    return si_bad(c, host, VIGIE_ESCHEMA, "family", family, "not ipv4 or ipv6");
  if (inet_pton(addr->family, text, raw) != 1)
    return si_bad(c, host, VIGIE_ESYNTAX, "addr", text,
                  addr->family == AF_INET ? "not an IPv4 address" : "not an IPv6 address");
  if (addr->family == AF_INET) {
    addr->v4 = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3];
  } else {
    for (int i = 0; i < 16; i++) addr->v6 = addr->v6 << 8 | raw[i];
  }
  return VIGIE_OK;
}

/* state and reason of a <port>, by the names scanner.h gives them. */
static vigie_status si_state_reason(const si_ctx *c, const xmlNode *port, scan_result *r) {
  char state[SI_VALUE_MAX], reason[SI_VALUE_MAX];
  vigie_status status = si_attr(c, port, "state", state);
  if (status == VIGIE_OK) status = si_attr(c, port, "reason", reason);
  if (status != VIGIE_OK) return status;
  r->state = si_state_of(state);
  if (r->state == 0) return si_bad(c, port, VIGIE_ESCHEMA, "state", state, "not a port state");
  r->reason = si_reason_of(reason, c->mode);
  if (r->reason == 0) return si_bad(c, port, VIGIE_ESCHEMA, "reason", reason, "not a port reason");
  return VIGIE_OK;
}

static vigie_status si_port(const si_ctx *c, const xmlNode *port, scan_result *r) {
  char text[SI_VALUE_MAX];
  uint64_t number, ttl;
  vigie_status status = si_uint(c, port, "number", UINT16_MAX, &number);
  if (status == VIGIE_OK) status = si_uint(c, port, "ttl", UINT8_MAX, &ttl);
  if (status == VIGIE_OK) status = si_state_reason(c, port, r);
  if (status != VIGIE_OK) return status;
  if (number == 0) return si_bad(c, port, VIGIE_ESCHEMA, "number", "0", "port 0 is never scanned");
  r->port = (uint16_t)number, r->ttl = (uint8_t)ttl, r->time_us = 0;
  if (xmlHasProp(port, (const xmlChar *)"time") == NULL) return VIGIE_OK;
  status = si_attr(c, port, "time", text);
  if (status == VIGIE_OK && !si_parse_time(text, &r->time_us))
    status = si_bad(c, port, VIGIE_ESYNTAX, "time", text,
                    "not a UTC time (YYYY-MM-DDTHH:MM:SS.ffffffZ, 1970 or later)");
  return status;
}

/* ------------------------------------------------------------ services */

static int si_b64(unsigned char ch) {
  if (ch >= 'A' && ch <= 'Z') return ch - 'A';
  if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
  if (ch >= '0' && ch <= '9') return ch - '0' + 52;
  if (ch == '+') return 62;
  if (ch == '/') return 63;
  return -1;
}

/* Decode base64 (the schema checked its shape; blanks skipped, '=' ends).
 * \return a new buffer of *len bytes, or NULL on ENOMEM or a bad byte. */
static uint8_t *si_base64(const char *text, size_t *len) {
  uint8_t *out = vigie_malloc(strlen(text) / 4 * 3 + 3);
  uint32_t acc = 0;
  int bits = 0;
  size_t n = 0;
  if (out == NULL) return NULL;
  for (const unsigned char *p = (const unsigned char *)text; *p != '\0' && *p != '='; p++) {
    if (si_space((char)*p)) continue;
    int v = si_b64(*p);
    if (v < 0) return vigie_free(out), NULL;
    acc = acc << 6 | (uint32_t)v, bits += 6;
    if (bits >= 8) bits -= 8, out[n++] = (uint8_t)(acc >> bits);
  }
  *len = n;
  return out;
}

/* One <fact>: the base64 bytes when present (they are the raw value),
 * else the text. */
static vigie_status si_fact(const si_ctx *c, const xmlNode *node, scan_facts *facts) {
  xmlChar *name = xmlGetNoNsProp(node, (const xmlChar *)"name");
  xmlChar *b64 = xmlGetNoNsProp(node, (const xmlChar *)"base64");
  xmlChar *text = b64 == NULL ? xmlNodeGetContent(node) : NULL;
  uint8_t *raw = NULL;
  size_t len = 0;
  vigie_status status = VIGIE_OK;
  if (b64 != NULL && (raw = si_base64((const char *)b64, &len)) == NULL)
    status = vigie_fail(c->err, VIGIE_ESYNTAX, "%s:%ld: <fact>: bad base64", c->path, si_line(node));
  if (status == VIGIE_OK) {
    const void *value = raw != NULL ? (const void *)raw : (text != NULL ? (const void *)text : "");
    if (raw == NULL) len = text != NULL ? strlen((const char *)text) : 0;
    status = scan_facts_add(facts, name != NULL ? (const char *)name : "", value, len);
    if (status != VIGIE_OK)
      vigie_fail(c->err, status, "%s:%ld: <fact name=\"%s\">: cannot keep it", c->path,
                 si_line(node), name != NULL ? (const char *)name : "");
  }
  vigie_free(raw);
  xmlFree(name);
  xmlFree(b64);
  xmlFree(text);
  return status;
}

/* One <finding>: the schema checked its attributes. A finding read back
 * has no title: the rule files hold the texts. */
static vigie_status si_finding(const si_ctx *c, const xmlNode *node, scan_findings *findings) {
  xmlChar *rule = xmlGetNoNsProp(node, (const xmlChar *)"rule");
  xmlChar *sev = xmlGetNoNsProp(node, (const xmlChar *)"severity");
  xmlChar *conf = xmlGetNoNsProp(node, (const xmlChar *)"confidence");
  scan_severity severity = SCAN_SEV_INFO;
  vigie_status status = VIGIE_OK;
  if (rule == NULL || conf == NULL || !scan_severity_from_name((const char *)sev, &severity))
    status = vigie_fail(c->err, VIGIE_ESCHEMA, "%s:%ld: <finding>: rule, severity or confidence "
                        "missing or wrong", c->path, si_line(node));
  if (status == VIGIE_OK) {
    status = scan_findings_add(findings, (const char *)rule, severity, (const char *)conf, NULL);
    if (status != VIGIE_OK) vigie_fail(c->err, status, "%s: out of memory", c->path);
  }
  xmlFree(rule);
  xmlFree(sev);
  xmlFree(conf);
  return status;
}

/* A port's <service>, into the services set (the host's names are in
 * saved->names, from its <hostname> elements). */
static vigie_status si_service(const si_ctx *c, const xmlNode *port, const scan_result *r) {
  vigie_status status = VIGIE_OK;
  if (c->services == NULL) return VIGIE_OK;
  for (const xmlNode *sv = port->children; sv != NULL && status == VIGIE_OK; sv = sv->next) {
    if (!si_is(sv, "service")) continue;
    status = scan_services_add(c->services, &r->addr, r->port, NULL);
    if (status != VIGIE_OK)
      return vigie_fail(c->err, status, "%s: out of memory", c->path);
    size_t last = scan_services_count(c->services) - 1;
    scan_facts *facts = scan_services_facts(c->services, last);
    scan_findings *findings = scan_services_findings(c->services, last);
    for (const xmlNode *f = sv->children; f != NULL && status == VIGIE_OK; f = f->next) {
      if (si_is(f, "fact")) status = si_fact(c, f, facts);
      else if (si_is(f, "finding")) status = si_finding(c, f, findings);
    }
  }
  return status;
}

/* <hostname name="..." source="..."/> into the saved names; the name is
 * longer than SI_VALUE_MAX allows, so it is read here with its own cap. */
static vigie_status si_hostname(const si_ctx *c, const xmlNode *node, const vigie_addr *addr) {
  char source[SI_VALUE_MAX];
  vigie_status status = si_attr(c, node, "source", source);
  if (status != VIGIE_OK) return status;
  int src = SCAN_NAME_TARGET;
  while (src <= SCAN_NAME_CERT && strcmp(scan_name_source_text((scan_name_source)src), source) != 0)
    src++;
  if (src > SCAN_NAME_CERT)
    return si_bad(c, node, VIGIE_ESCHEMA, "source", source, "not target, ptr or cert");
  xmlChar *name = xmlGetNoNsProp(node, (const xmlChar *)"name");
  status = name == NULL
               ? VIGIE_ESCHEMA
               : scan_names_add(c->saved->names, addr, (const char *)name, (scan_name_source)src);
  xmlFree(name);
  if (status == VIGIE_ENOMEM) return vigie_fail(c->err, status, "%s: out of memory", c->path);
  if (status != VIGIE_OK)
    return vigie_fail(c->err, VIGIE_ESCHEMA,
                      "%s:%ld: <hostname>: name missing, empty or over 253 bytes", c->path,
                      si_line(node));
  return VIGIE_OK;
}

static vigie_status si_host(const si_ctx *c, const xmlNode *host) {
  scan_result r = {0};
  vigie_status status = si_address(c, host, &r.addr);
  for (const xmlNode *p = host->children; p != NULL && status == VIGIE_OK; p = p->next) {
    if (p->type != XML_ELEMENT_NODE) continue;
    if (si_is(p, "hostname")) {
      status = si_hostname(c, p, &r.addr);
      continue;
    }
    if (!si_is(p, "port"))
      return vigie_fail(c->err, VIGIE_ESCHEMA, "%s:%ld: <%s> is not allowed in <host>", c->path,
                        si_line(p), (const char *)p->name);
    bool added = false;
    status = si_port(c, p, &r);
    if (status != VIGIE_OK) return status;
    status = si_service(c, p, &r);
    if (status != VIGIE_OK) return status;
    status = scan_store_add(c->store, &r, &added);
    if (status != VIGIE_OK)
      return vigie_fail(c->err, status, "%s:%ld: cannot keep this result: %s", c->path, si_line(p),
                        vigie_strerror(status));
    if (!added)
      return vigie_fail(c->err, VIGIE_ESCHEMA, "%s:%ld: port %u of this host is listed twice",
                        c->path, si_line(p), r.port);
  }
  return status;
}

/* ---------------------------------------------------------------- scan */

static vigie_status si_run(si_ctx *c, const xmlNode *node) {
  char mode[SI_VALUE_MAX];
  vigie_status status = si_attr(c, node, "mode", mode);
  if (status != VIGIE_OK) return status;
  c->mode = strcmp(mode, "syn") == 0       ? SCAN_MODE_SYN
            : strcmp(mode, "connect") == 0 ? SCAN_MODE_CONNECT
                                           : SCAN_MODE_AUTO;
  if (c->mode == SCAN_MODE_AUTO)
    return si_bad(c, node, VIGIE_ESCHEMA, "mode", mode, "not syn or connect");
  c->saved->mode = c->mode;
  return si_uint(c, node, "seed", UINT64_MAX, &c->saved->seed);
}

/* The saved arguments, NULL-terminated, for --resume. */
static vigie_status si_argv(si_ctx *c, const xmlNode *node) {
  int count = 0;
  for (const xmlNode *n = node->children; n != NULL; n = n->next) count += si_is(n, "arg");
  char **argv = vigie_calloc((size_t)count + 1, sizeof *argv);
  if (argv == NULL) return vigie_fail(c->err, VIGIE_ENOMEM, "%s: out of memory", c->path);
  c->saved->argv = argv;
  for (const xmlNode *n = node->children; n != NULL; n = n->next) {
    if (!si_is(n, "arg")) continue;
    xmlChar *text = xmlNodeGetContent(n);
    argv[c->saved->argc] = vigie_strdup(text != NULL ? (const char *)text : "");
    xmlFree(text);
    if (argv[c->saved->argc] == NULL) return vigie_fail(c->err, VIGIE_ENOMEM, "%s: out of memory", c->path);
    c->saved->argc++;
  }
  return VIGIE_OK;
}

static vigie_status si_shard(const si_ctx *c, const xmlNode *node) {
  uint64_t index, count;
  vigie_status status = si_uint(c, node, "index", UINT32_MAX, &index);
  if (status == VIGIE_OK) status = si_uint(c, node, "count", UINT32_MAX, &count);
  if (status == VIGIE_OK && index >= count)
    status =
        vigie_fail(c->err, VIGIE_ESCHEMA, "%s:%ld: <shard>: index %llu is not below count %llu",
                   c->path, si_line(node), (unsigned long long)index, (unsigned long long)count);
  if (status == VIGIE_OK) {
    c->saved->shard_index = (uint32_t)index;
    c->saved->shard_count = (uint32_t)count;
  }
  return status;
}

static vigie_status si_resume(const si_ctx *c, const xmlNode *node, uint64_t *next_position) {
  c->saved->range = 0;
  uint64_t next, range;
  vigie_status status = si_uint(c, node, "next-position", UINT64_MAX, &next);
  if (status == VIGIE_OK) status = si_uint(c, node, "range", UINT64_MAX, &range);
  if (status == VIGIE_OK && next > range)
    status =
        vigie_fail(c->err, VIGIE_ESCHEMA, "%s:%ld: <resume>: next-position %llu is past range %llu",
                   c->path, si_line(node), (unsigned long long)next, (unsigned long long)range);
  if (status == VIGIE_OK) {
    *next_position = next;
    c->saved->range = range;
  }
  return status;
}

static vigie_status si_scan(si_ctx *c, const xmlNode *root, uint64_t *next_position) {
  vigie_status status = VIGIE_OK;
  bool resume_seen = false;
  if (root == NULL || !si_is(root, "scan"))
    return vigie_fail(c->err, VIGIE_ESCHEMA, "%s: the root element is not a vigie <scan> (%s)",
                      c->path, SCAN_XML_NS);
  for (const xmlNode *n = root->children; n != NULL && status == VIGIE_OK; n = n->next) {
    if (si_is(n, "host")) {
      status = si_host(c, n);
    } else if (si_is(n, "run")) {
      status = si_run(c, n);
    } else if (si_is(n, "shard")) {
      status = si_shard(c, n);
    } else if (si_is(n, "argv")) {
      status = si_argv(c, n);
    } else if (si_is(n, "resume")) {
      status = si_resume(c, n, next_position);
      resume_seen = true;
    }
  }
  if (status == VIGIE_OK && !resume_seen)
    status = vigie_fail(c->err, VIGIE_ESCHEMA, "%s: no <resume> element", c->path);
  return status;
}

void scan_saved_free(scan_saved *saved) {
  if (saved == NULL) return;
  scan_names_free(saved->names);
  saved->names = NULL;
  if (saved->argv == NULL) return;
  for (int i = 0; i < saved->argc; i++) vigie_free(saved->argv[i]);
  vigie_free(saved->argv);
  saved->argv = NULL;
  saved->argc = 0;
}

vigie_status scan_input_xml(const char *path, const char *xsd_path, scan_store *store,
                            scan_saved *saved, vigie_error *err) {
  return scan_input_xml_services(path, xsd_path, store, saved, NULL, err);
}

vigie_status scan_input_xml_services(const char *path, const char *xsd_path, scan_store *store,
                                     scan_saved *saved, scan_services *services,
                                     vigie_error *err) {
  xmlDoc *doc = NULL;
  if (saved != NULL) memset(saved, 0, sizeof *saved);
  if (path == NULL || xsd_path == NULL || store == NULL || saved == NULL)
    return vigie_fail(err, VIGIE_EINVAL,
                      "scan_input_xml: no path, schema, store or result pointer");
  /* The schema is not optional: the walk below trusts the shape it checks. */
  vigie_status status = vigie_xml_read_file(path, 0, xsd_path, &doc, err);
  if (status == VIGIE_OK && (saved->names = scan_names_new()) == NULL)
    status = vigie_fail(err, VIGIE_ENOMEM, "%s: out of memory", path);
  if (status == VIGIE_OK) {
    si_ctx c = {.path = path, .store = store, .err = err, .saved = saved, .services = services};
    status = si_scan(&c, xmlDocGetRootElement(doc), &saved->next_position);
  }
  scan_names_sort(saved->names);
  vigie_xml_doc_free(doc);
  return status;
}
