/* A scan result (scan.xml, rules/scan.xsd) into the report: one input, a
 * service asset per open port with a <service> (with or without findings:
 * the report shows the exposure of every host and service), and one
 * finding per <finding>, its evidence the facts its rule reads. */
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report/build_int.h"

/* What one scan file's reading shares between hosts and ports. */
typedef struct scan_ctx {
  rpt_report *r;
  const rpt_catalogue *cat;
  const char *path;
  const char **hostnames; /* the current host's, arena */
  size_t hostname_count;
} scan_ctx;

#define EVIDENCE_MAX 320
#define EVIDENCE_VALUE_MAX 96

static vigie_status nomem(const scan_ctx *s, vigie_error *err) {
  return vigie_fail(err, VIGIE_ENOMEM, "%s: out of memory", s->path);
}

/* One name's values on this port: the facts of that name, or the
 * synthetic names the exposure language adds (port, address...). */
static void evidence_name(rpt_clip *c, const char *name, const rpt_asset *a) {
  char num[16];
  const char *synthetic = NULL;
  if (strcasecmp(name, "port") == 0) snprintf(num, sizeof num, "%u", a->port), synthetic = num;
  else if (strcasecmp(name, "address") == 0) synthetic = a->address;
  else if (strcasecmp(name, "transport") == 0) synthetic = "tcp";
  else if (strcasecmp(name, "ip_version") == 0) synthetic = strchr(a->address, ':') ? "6" : "4";
  rpt_clip_str(c, name);
  rpt_clip_str(c, "=");
  if (synthetic) {
    rpt_clip_str(c, synthetic);
    return;
  }
  size_t shown = 0;
  for (size_t i = 0; i < a->fact_count; i++) {
    if (strcasecmp(a->facts[i].name, name) != 0) continue;
    if (shown++) rpt_clip_str(c, ",");
    size_t len = strlen(a->facts[i].value);
    char one[EVIDENCE_VALUE_MAX + 4];
    rpt_clip v = {one, 0, sizeof one, false};
    rpt_clip_add(&v, a->facts[i].value, len);
    for (char *p = one; *p; p++)
      if (*p == '\r' || *p == '\n' || *p == '\t') *p = ' '; /* one line */
    rpt_clip_str(c, one);
  }
  if (!shown) rpt_clip_str(c, "(absent)");
}

/* "service=rdp; rdp.nla_required=false": what the rule's predicate read. */
static const char *scan_evidence(const scan_ctx *s, const char *rule, const rpt_asset *a) {
  const char *const *names = NULL;
  size_t n = rpt_catalogue_names(s->cat, rule, &names);
  if (!n) return NULL;
  char buf[EVIDENCE_MAX];
  rpt_clip c = {buf, 0, sizeof buf, false};
  buf[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    if (i) rpt_clip_str(&c, "; ");
    evidence_name(&c, names[i], a);
  }
  return rpt_model_str(s->r, buf);
}

static vigie_status scan_finding(const scan_ctx *s, const xmlNode *fn, size_t asset,
                                 vigie_error *err) {
  rpt_report *r = s->r;
  const char *rule = rpt_in_attr(fn, "rule"), *conf = rpt_in_attr(fn, "confidence");
  rpt_severity sev = RPT_SEV_INFO;
  (void)rpt_severity_parse(rpt_in_attr(fn, "severity"), &sev); /* the XSD checked it */
  char uid[65];
  if (!rpt_model_uid(rule, r->assets[asset].id, uid)) return nomem(s, err);
  if (rpt_model_find_finding(r, uid) >= 0) return VIGIE_OK; /* the same port in two scans */
  long ri = rpt_rule_join(r, s->cat, rule, RPT_SRC_EXPOSURE, sev, NULL, NULL);
  if (ri < 0) return nomem(s, err);
  const char *evidence = scan_evidence(s, rule, &r->assets[asset]);
  rpt_finding *f = rpt_model_add_finding(r);
  if (!f) return nomem(s, err);
  f->uid = rpt_model_str(r, uid);
  f->rule = (size_t)ri;
  f->asset = asset;
  f->severity = sev;
  f->confidence = rpt_model_str(r, conf ? conf : "confirmed");
  f->evidence = evidence;
  return f->uid && f->confidence ? VIGIE_OK : nomem(s, err);
}

/* The facts of a service, in file order, cleaned text kept. */
static bool scan_facts(const scan_ctx *s, const xmlNode *svc, rpt_asset *a) {
  size_t n = 0;
  for (const xmlNode *c = svc->children; c; c = c->next)
    n += c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "fact") == 0;
  rpt_fact *facts = n ? rpt_model_alloc(s->r, n * sizeof *facts) : NULL;
  if (n && !facts) return false;
  size_t i = 0;
  for (const xmlNode *c = svc->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "fact") != 0) continue;
    facts[i].name = rpt_model_str(s->r, rpt_in_attr(c, "name"));
    facts[i].value = rpt_in_text(s->r, c);
    if (!facts[i].name || !facts[i].value) return false;
    i++;
  }
  a->facts = facts;
  a->fact_count = n;
  return true;
}

static vigie_status scan_port(scan_ctx *s, const char *addr, const xmlNode *port,
                              vigie_error *err) {
  const xmlNode *svc = rpt_in_child(port, "service");
  const char *state = rpt_in_attr(port, "state");
  if (!svc || !state || strcmp(state, "open") != 0) return VIGIE_OK;
  rpt_report *r = s->r;
  unsigned long num = strtoul(rpt_in_attr(port, "number"), NULL, 10);
  char id[80];
  snprintf(id, sizeof id, strchr(addr, ':') ? "[%s]:%lu/tcp" : "%s:%lu/tcp", addr, num);
  long ai = rpt_model_find_asset(r, id);
  if (ai < 0) {
    rpt_asset *a = rpt_model_add_asset(r);
    if (!a) return nomem(s, err);
    ai = (long)r->asset_count - 1;
    a->id = rpt_model_str(r, id);
    a->kind = RPT_ASSET_SERVICE;
    a->address = rpt_model_str(r, addr);
    a->port = (uint16_t)num;
    a->hostnames = s->hostnames;
    a->hostname_count = s->hostname_count;
    const char *name = rpt_in_attr(svc, "name"), *product = rpt_in_attr(svc, "product"),
               *version = rpt_in_attr(svc, "version"), *tls = rpt_in_attr(svc, "tls");
    a->service = rpt_model_str(r, name);
    a->product = rpt_model_str(r, product);
    a->version = rpt_model_str(r, version);
    a->tls = tls && (strcmp(tls, "true") == 0 || strcmp(tls, "1") == 0);
    if (!a->id || !a->address || (name && !a->service) || (product && !a->product) ||
        (version && !a->version) || !scan_facts(s, svc, a))
      return nomem(s, err);
  }
  for (const xmlNode *c = svc->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "finding") != 0) continue;
    vigie_status status = scan_finding(s, c, (size_t)ai, err);
    if (status != VIGIE_OK) return status;
  }
  return VIGIE_OK;
}

/* The names a host is known by, shared by its ports' assets. */
static bool scan_hostnames(scan_ctx *s, const xmlNode *host) {
  size_t n = 0;
  for (const xmlNode *c = host->children; c; c = c->next)
    n += c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "hostname") == 0;
  s->hostnames = NULL;
  s->hostname_count = 0;
  if (!n) return true;
  const char **v = rpt_model_alloc(s->r, n * sizeof *v);
  if (!v) return false;
  size_t k = 0;
  for (const xmlNode *c = host->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "hostname") != 0) continue;
    const char *name = rpt_in_attr(c, "name");
    bool dup = false;
    for (size_t j = 0; j < k && !dup; j++) dup = strcasecmp(v[j], name) == 0;
    if (!dup && !(v[k++] = rpt_model_str(s->r, name))) return false;
  }
  s->hostnames = v;
  s->hostname_count = k;
  return true;
}

/* The run: dates, command line, tool, and whether it covered everything. */
static vigie_status scan_input(scan_ctx *s, const xmlNode *root, vigie_error *err) {
  char hex[65];
  vigie_status status = rpt_sha256_file(s->path, hex, err);
  if (status != VIGIE_OK) return status;
  rpt_report *r = s->r;
  rpt_input *in = rpt_model_add_input(r);
  if (!in) return nomem(s, err);
  const xmlNode *run = rpt_in_child(root, "run"), *stats = rpt_in_child(root, "stats"),
                *resume = rpt_in_child(root, "resume");
  in->kind = RPT_SRC_EXPOSURE;
  in->path = rpt_model_str(r, s->path);
  in->sha256 = rpt_model_str(r, hex);
  in->start = rpt_model_str(r, rpt_in_attr(run, "start"));
  in->end = rpt_model_str(r, rpt_in_attr(run, "end"));
  in->args = rpt_in_text(r, rpt_in_child(root, "args"));
  in->tool_version = rpt_model_str(r, rpt_in_attr(rpt_in_child(root, "tool"), "version"));
  in->complete = true;
  const char *interrupted = rpt_in_attr(stats, "interrupted");
  unsigned long long next = strtoull(rpt_in_attr(resume, "next-position"), NULL, 10);
  unsigned long long range = strtoull(rpt_in_attr(resume, "range"), NULL, 10);
  if (interrupted && (strcmp(interrupted, "true") == 0 || strcmp(interrupted, "1") == 0)) {
    in->complete = false;
    in->incomplete_reason = rpt_model_strf(r, "scan interrupted after %llu of %llu probes", next, range);
  } else if (next < range) {
    in->complete = false;
    in->incomplete_reason = rpt_model_strf(r, "scan stopped after %llu of %llu probes (resume point)", next, range);
  }
  if (!in->path || !in->sha256 || !in->start || !in->end || !in->args || !in->tool_version ||
      (!in->complete && !in->incomplete_reason))
    return nomem(s, err);
  if (in->complete) return VIGIE_OK;
  const char *why = in->incomplete_reason;
  rpt_gap *g = rpt_model_add_gap(r);
  if (!g) return nomem(s, err);
  g->source = RPT_SRC_EXPOSURE;
  g->what = rpt_model_strf(r, "scan %s", rpt_basename(s->path));
  g->why = why;
  return g->what ? VIGIE_OK : nomem(s, err);
}

vigie_status rpt_in_scan(rpt_report *r, const rpt_catalogue *cat, const char *path,
                         vigie_error *err) {
  char *xsd = vigie_data_path("scan.xsd", err);
  if (!xsd) return err ? err->status : VIGIE_ENOENT;
  xmlDoc *doc = NULL;
  vigie_status status = vigie_xml_read_file(path, 0, xsd, &doc, err);
  vigie_free(xsd);
  if (status != VIGIE_OK) return status;
  scan_ctx s = {r, cat, path, NULL, 0};
  const xmlNode *root = xmlDocGetRootElement(doc);
  status = scan_input(&s, root, err);
  for (const xmlNode *h = root->children; status == VIGIE_OK && h; h = h->next) {
    if (h->type != XML_ELEMENT_NODE || strcmp((const char *)h->name, "host") != 0) continue;
    const char *addr = rpt_in_attr(h, "addr");
    if (!scan_hostnames(&s, h)) status = nomem(&s, err);
    for (const xmlNode *p = h->children; status == VIGIE_OK && p; p = p->next)
      if (p->type == XML_ELEMENT_NODE && strcmp((const char *)p->name, "port") == 0)
        status = scan_port(&s, addr, p, err);
  }
  vigie_xml_doc_free(doc);
  return status;
}
