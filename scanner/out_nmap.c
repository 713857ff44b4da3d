/* nmap-compatible XML (-oX, xmloutputversion 1.05) for the tools that read
 * nmap's: ndiff, nmap.xsl, DefectDojo, Faraday, Metasploit's db_import.
 *
 * The shape follows what nmap 7.9x writes for a TCP port scan, element for
 * element, so that nmap.dtd accepts it: the same prolog (a bare DOCTYPE and
 * the stylesheet instruction), <scaninfo>, one <host> per address that
 * answered, closed or filtered ports summarized in <extraports> when a host
 * has more than 25 of them (nmap's rule, so "Not shown: 995 closed ports"
 * reads the same), <runstats> at the end.
 *
 * One deliberate departure: scanner="vigie". nmap.dtd enumerates the value
 * as (nmap) only, so the file is DTD-valid except for that attribute; we
 * name the real producer anyway, as masscan does, because an auditor must
 * be able to tell that nmap did not run this scan. ndiff prints it in its
 * banner; no reader we know of rejects it. */
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "vigie/scanner.h"

/* nmap.dtd allows only "nmap" here, and tools that read nmap XML check the
 * file against it: the args attribute ("vigie scan ...") and the version
 * say who really ran the scan. */
#define NM_SCANNER "nmap"
#define NM_PROLOG        \
  "<!DOCTYPE nmaprun>\n" \
  "<?xml-stylesheet href=\"file:///usr/share/nmap/nmap.xsl\" type=\"text/xsl\"?>\n"

/* A host lists its ports of a closed or filtered state one by one up to
 * this many; beyond, they become one <extraports> (nmap's threshold). */
#define NM_EXTRAPORTS_MIN 26

#define NM_TRY(expr)                   \
  do {                                 \
    status = (expr);                   \
    if (status != VIGIE_OK) goto done; \
  } while (0)

/* The results of one address: n of them from index first of the source,
 * read again through nm_at whenever a part of the host needs them. */
typedef struct nm_host {
  const scan_result_source *src;
  size_t first, n;
  vigie_addr addr;
  bool summarized[SCAN_STATE_FILTERED + 1]; /* states in <extraports>, by scan_state */
} nm_host;

/* ------------------------------------------------------------- helpers */

/* nmap's "Wed Nov 25 11:08:07 2026", in local time as nmap writes it. */
static const char *nm_timestr(int64_t us, char *buf, size_t len) {
  struct tm tm;
  time_t secs = (time_t)(us / 1000000);
  if (localtime_r(&secs, &tm) == NULL || strftime(buf, len, "%a %b %d %H:%M:%S %Y", &tm) == 0)
    snprintf(buf, len, "%" PRId64, us / 1000000);
  return buf;
}

static vigie_status nm_nl(vigie_xmlw *w) { return vigie_xmlw_text(w, "\n"); }

static bool nm_same_addr(const vigie_addr *a, const vigie_addr *b) {
  if (a->family != b->family) return false;
  return a->family == AF_INET ? a->v4 == b->v4 : a->v6 == b->v6;
}

/* The host's i-th result (i below h->n). */
static scan_result nm_at(const nm_host *h, size_t i) {
  scan_result r;
  h->src->at(h->src->ctx, h->first + i, &r);
  return r;
}

/* The host starting at result i: its extent and which states to summarize. */
static nm_host nm_host_at(const scan_result_source *src, size_t i) {
  nm_host h = {.src = src, .first = i};
  size_t per_state[SCAN_STATE_FILTERED + 1] = {0};
  scan_result r;
  src->at(src->ctx, i, &r);
  h.addr = r.addr;
  do {
    per_state[r.state]++;
    h.n++;
    if (i + h.n == src->count) break;
    src->at(src->ctx, i + h.n, &r);
  } while (nm_same_addr(&h.addr, &r.addr));
  h.summarized[SCAN_STATE_CLOSED] = per_state[SCAN_STATE_CLOSED] >= NM_EXTRAPORTS_MIN;
  h.summarized[SCAN_STATE_FILTERED] = per_state[SCAN_STATE_FILTERED] >= NM_EXTRAPORTS_MIN;
  return h;
}

/* ---------------------------------------------------------------- head */

static vigie_status nm_head(vigie_xmlw *w, const scan_meta *meta, const char *services) {
  char when[64];
  vigie_status status;
  NM_TRY(vigie_xmlw_declaration(w));
  NM_TRY(vigie_xmlw_raw_prolog(w, NM_PROLOG));
  NM_TRY(vigie_xmlw_start(w, "nmaprun"));
  NM_TRY(vigie_xmlw_attr(w, "scanner", NM_SCANNER));
  NM_TRY(vigie_xmlw_attr(w, "args", meta->args != NULL ? meta->args : ""));
  NM_TRY(vigie_xmlw_attrf(w, "start", "%" PRId64, meta->start_us / 1000000));
  NM_TRY(vigie_xmlw_attr(w, "startstr", nm_timestr(meta->start_us, when, sizeof when)));
  NM_TRY(vigie_xmlw_attr(w, "version", VIGIE_VERSION_STRING));
  NM_TRY(vigie_xmlw_attr(w, "xmloutputversion", "1.05"));
  NM_TRY(nm_nl(w));
  NM_TRY(vigie_xmlw_start(w, "scaninfo"));
  NM_TRY(vigie_xmlw_attr(w, "type", meta->mode == SCAN_MODE_SYN ? "syn" : "connect"));
  NM_TRY(vigie_xmlw_attr(w, "protocol", "tcp"));
  NM_TRY(vigie_xmlw_attrf(w, "numservices", "%" PRIu32, meta->space ? meta->space->port_count : 0));
  NM_TRY(vigie_xmlw_attr(w, "services", services));
  NM_TRY(vigie_xmlw_end(w));
  NM_TRY(nm_nl(w));
  NM_TRY(vigie_xmlw_start(w, "verbose"));
  NM_TRY(vigie_xmlw_attr(w, "level", "0"));
  NM_TRY(vigie_xmlw_end(w));
  NM_TRY(nm_nl(w));
  NM_TRY(vigie_xmlw_start(w, "debugging"));
  NM_TRY(vigie_xmlw_attr(w, "level", "0"));
  NM_TRY(vigie_xmlw_end(w));
  status = nm_nl(w);
done:
  return status;
}

/* ---------------------------------------------------------------- hosts */

/* <status>: the host is up because some port answered; the first answer
 * that is not a silence gives the reason, as nmap's host discovery would. */
static vigie_status nm_status(vigie_xmlw *w, const nm_host *h) {
  scan_result why = nm_at(h, 0);
  for (size_t i = 1; i < h->n && why.reason == SCAN_REASON_NO_RESPONSE; i++) {
    scan_result r = nm_at(h, i);
    if (r.reason != SCAN_REASON_NO_RESPONSE) why = r;
  }
  vigie_status status;
  NM_TRY(vigie_xmlw_start(w, "status"));
  NM_TRY(vigie_xmlw_attr(w, "state", "up"));
  NM_TRY(vigie_xmlw_attr(w, "reason", scan_reason_name((scan_reason)why.reason)));
  NM_TRY(vigie_xmlw_attrf(w, "reason_ttl", "%u", why.ttl));
  status = vigie_xmlw_end(w);
done:
  return status;
}

/* nmap's types: "user" for a name given as a target, "PTR" for a reverse
 * lookup; nmap.dtd knows no third, so a certificate's name has none. */
static vigie_status nm_hostnames(vigie_xmlw *w, const scan_names *names, const vigie_addr *addr) {
  const scan_name *n = NULL;
  size_t count = 0;
  vigie_status status;
  NM_TRY(scan_names_of(names, addr, &n, &count));
  for (size_t i = 0; i < count; i++) {
    NM_TRY(nm_nl(w));
    NM_TRY(vigie_xmlw_start(w, "hostname"));
    NM_TRY(vigie_xmlw_attr(w, "name", n[i].name));
    if (n[i].source == SCAN_NAME_TARGET) NM_TRY(vigie_xmlw_attr(w, "type", "user"));
    if (n[i].source == SCAN_NAME_PTR) NM_TRY(vigie_xmlw_attr(w, "type", "PTR"));
    NM_TRY(vigie_xmlw_end(w));
  }
  if (count > 0) NM_TRY(nm_nl(w));
done:
  return status;
}

static vigie_status nm_address(vigie_xmlw *w, const scan_names *names, const vigie_addr *addr) {
  char text[64];
  vigie_status status;
  vigie_addr_format(addr, text, sizeof text);
  NM_TRY(nm_nl(w));
  NM_TRY(vigie_xmlw_start(w, "address"));
  NM_TRY(vigie_xmlw_attr(w, "addr", text));
  NM_TRY(vigie_xmlw_attr(w, "addrtype", addr->family == AF_INET ? "ipv4" : "ipv6"));
  NM_TRY(vigie_xmlw_end(w));
  NM_TRY(nm_nl(w));
  /* Always present, even empty: some readers index hostnames/hostname. */
  NM_TRY(vigie_xmlw_start(w, "hostnames"));
  NM_TRY(nm_hostnames(w, names, addr));
  NM_TRY(vigie_xmlw_end(w));
  status = nm_nl(w);
done:
  return status;
}

/* One <extrareasons> per reason among the host's ports of state, with
 * their list (nmap 7.9x adds proto and ports). scratch holds h->n ports. */
static vigie_status nm_extrareasons(vigie_xmlw *w, const nm_host *h, uint8_t state,
                                    uint16_t *scratch) {
  vigie_status status = VIGIE_OK;
  for (int reason = SCAN_REASON_SYN_ACK; reason <= SCAN_REASON_UNREACHABLE; reason++) {
    size_t n = 0;
    for (size_t i = 0; i < h->n; i++) {
      scan_result r = nm_at(h, i);
      if (r.state == state && r.reason == reason) scratch[n++] = r.port;
    }
    if (n == 0) continue;
    char *list = scan_ports_compact(scratch, n);
    if (list == NULL) return VIGIE_ENOMEM;
    status = vigie_xmlw_start(w, "extrareasons");
    if (status == VIGIE_OK)
      status = vigie_xmlw_attr(w, "reason", scan_reason_name((scan_reason)reason));
    if (status == VIGIE_OK) status = vigie_xmlw_attrf(w, "count", "%zu", n);
    if (status == VIGIE_OK) status = vigie_xmlw_attr(w, "proto", "tcp");
    if (status == VIGIE_OK) status = vigie_xmlw_attr(w, "ports", list);
    if (status == VIGIE_OK) status = vigie_xmlw_end(w);
    vigie_free(list);
    if (status != VIGIE_OK) return status;
  }
  return status;
}

static vigie_status nm_extraports(vigie_xmlw *w, const nm_host *h, uint8_t state,
                                  uint16_t *scratch) {
  size_t n = 0;
  for (size_t i = 0; i < h->n; i++) n += nm_at(h, i).state == state;
  vigie_status status;
  NM_TRY(vigie_xmlw_start(w, "extraports"));
  NM_TRY(vigie_xmlw_attr(w, "state", scan_state_name((scan_state)state)));
  NM_TRY(vigie_xmlw_attrf(w, "count", "%zu", n));
  NM_TRY(nm_nl(w));
  NM_TRY(nm_extrareasons(w, h, state, scratch));
  NM_TRY(nm_nl(w));
  NM_TRY(vigie_xmlw_end(w));
  status = nm_nl(w);
done:
  return status;
}

static vigie_status nm_opt_attr(vigie_xmlw *w, const char *attr, const char *value) {
  return value != NULL && value[0] != '\0' ? vigie_xmlw_attr(w, attr, value) : VIGIE_OK;
}

/* What the service stage found, as nmap -sV writes it: method "probed" and
 * conf 10; TLS as tunnel="ssl" under the protocol's own name. */
static vigie_status nm_service_probed(vigie_xmlw *w, const scan_facts *facts) {
  vigie_status status;
  NM_TRY(vigie_xmlw_start(w, "service"));
  NM_TRY(vigie_xmlw_attr(w, "name", scan_facts_get(facts, "service")));
  NM_TRY(nm_opt_attr(w, "product", scan_facts_get(facts, "product")));
  NM_TRY(nm_opt_attr(w, "version", scan_facts_get(facts, "version")));
  NM_TRY(nm_opt_attr(w, "extrainfo", scan_facts_get(facts, "info")));
  if (scan_facts_get(facts, "tls") != NULL) NM_TRY(vigie_xmlw_attr(w, "tunnel", "ssl"));
  NM_TRY(vigie_xmlw_attr(w, "method", "probed"));
  NM_TRY(vigie_xmlw_attr(w, "conf", "10"));
  status = vigie_xmlw_end(w);
done:
  return status;
}

/* "EXP-... (severity): title; EXP-... (severity): title" for the script's
 * output (a finding read back without its title gives its ID alone). */
static char *nm_findings_text(const scan_findings *findings) {
  size_t cap = 1;
  for (size_t i = 0; i < scan_findings_count(findings); i++) {
    const scan_finding *f = scan_findings_at(findings, i);
    cap += strlen(f->rule) + strlen(f->title ? f->title : "") + 32;
  }
  char *text = vigie_malloc(cap);
  size_t n = 0;
  for (size_t i = 0; text != NULL && i < scan_findings_count(findings); i++) {
    const scan_finding *f = scan_findings_at(findings, i);
    n += (size_t)snprintf(text + n, cap - n, "%s%s (%s)%s%s", i > 0 ? "; " : "", f->rule,
                          scan_severity_name(f->severity), f->title ? ": " : "",
                          f->title ? f->title : "");
  }
  if (text != NULL && n == 0) text[0] = '\0';
  return text;
}

/* <script id="vigie-exposure" output="..."/>: nmap's place for what a
 * script concluded about a port, which ndiff and nmap.xsl show. */
static vigie_status nm_findings(vigie_xmlw *w, const scan_findings *findings) {
  char *text = nm_findings_text(findings);
  vigie_status status = text != NULL ? VIGIE_OK : VIGIE_ENOMEM;
  if (status != VIGIE_OK) goto done;
  NM_TRY(vigie_xmlw_start(w, "script"));
  NM_TRY(vigie_xmlw_attr(w, "id", "vigie-exposure"));
  NM_TRY(vigie_xmlw_attr(w, "output", text));
  status = vigie_xmlw_end(w);
done:
  vigie_free(text);
  return status;
}

static vigie_status nm_port(vigie_xmlw *w, const scan_meta *meta, const scan_result *r) {
  const char *service = meta->portdb != NULL ? vigie_portdb_name(meta->portdb, r->port) : NULL;
  const scan_facts *facts = r->state == SCAN_STATE_OPEN
                                ? scan_services_find(meta->services, &r->addr, r->port)
                                : NULL;
  if (facts != NULL && scan_facts_get(facts, "service") == NULL) facts = NULL;
  const scan_findings *findings =
      r->state == SCAN_STATE_OPEN ? scan_services_find_findings(meta->services, &r->addr, r->port)
                                  : NULL;
  vigie_status status;
  NM_TRY(vigie_xmlw_start(w, "port"));
  NM_TRY(vigie_xmlw_attr(w, "protocol", "tcp"));
  NM_TRY(vigie_xmlw_attrf(w, "portid", "%u", r->port));
  NM_TRY(vigie_xmlw_start(w, "state"));
  NM_TRY(vigie_xmlw_attr(w, "state", scan_state_name((scan_state)r->state)));
  NM_TRY(vigie_xmlw_attr(w, "reason", scan_reason_name((scan_reason)r->reason)));
  NM_TRY(vigie_xmlw_attrf(w, "reason_ttl", "%u", r->ttl));
  NM_TRY(vigie_xmlw_end(w));
  /* A name from the port table only, as nmap without -sV: conf 3. */
  if (facts != NULL) {
    NM_TRY(nm_service_probed(w, facts));
  } else if (service != NULL) {
    NM_TRY(vigie_xmlw_start(w, "service"));
    NM_TRY(vigie_xmlw_attr(w, "name", service));
    NM_TRY(vigie_xmlw_attr(w, "method", "table"));
    NM_TRY(vigie_xmlw_attr(w, "conf", "3"));
    NM_TRY(vigie_xmlw_end(w));
  }
  if (findings != NULL) NM_TRY(nm_findings(w, findings));
  NM_TRY(vigie_xmlw_end(w));
  status = nm_nl(w);
done:
  return status;
}

static vigie_status nm_ports(vigie_xmlw *w, const scan_meta *meta, const nm_host *h) {
  uint16_t *scratch = vigie_malloc(h->n * sizeof *scratch);
  if (scratch == NULL) return VIGIE_ENOMEM;
  vigie_status status;
  NM_TRY(vigie_xmlw_start(w, "ports"));
  for (uint8_t s = SCAN_STATE_CLOSED; s <= SCAN_STATE_FILTERED; s++)
    if (h->summarized[s]) NM_TRY(nm_extraports(w, h, s, scratch));
  for (size_t i = 0; i < h->n; i++) {
    scan_result r = nm_at(h, i);
    if (!h->summarized[r.state]) NM_TRY(nm_port(w, meta, &r));
  }
  NM_TRY(vigie_xmlw_end(w));
  status = nm_nl(w);
done:
  vigie_free(scratch);
  return status;
}

static vigie_status nm_host_write(vigie_xmlw *w, const scan_meta *meta, const nm_host *h) {
  int64_t first = INT64_MAX, last = 0;
  for (size_t i = 0; i < h->n; i++) {
    int64_t t = nm_at(h, i).time_us;
    if (t > 0 && t < first) first = t;
    if (t > 0 && t > last) last = t;
  }
  /* No answer time known: the whole run's span. */
  if (last == 0) first = meta->start_us, last = meta->end_us;
  vigie_status status;
  NM_TRY(vigie_xmlw_start(w, "host"));
  NM_TRY(vigie_xmlw_attrf(w, "starttime", "%" PRId64, first / 1000000));
  NM_TRY(vigie_xmlw_attrf(w, "endtime", "%" PRId64, last / 1000000));
  NM_TRY(nm_status(w, h));
  NM_TRY(nm_address(w, meta->names, &h->addr));
  NM_TRY(nm_ports(w, meta, h));
  NM_TRY(vigie_xmlw_end(w));
  status = nm_nl(w);
done:
  return status;
}

/* ----------------------------------------------------------------- tail */

static vigie_status nm_finished(vigie_xmlw *w, const scan_meta *meta, uint64_t up, uint64_t total) {
  char when[64];
  double elapsed =
      meta->end_us > meta->start_us ? (double)(meta->end_us - meta->start_us) / 1e6 : 0.0;
  bool interrupted = meta->stats != NULL && meta->stats->interrupted;
  nm_timestr(meta->end_us, when, sizeof when);
  vigie_status status;
  NM_TRY(vigie_xmlw_start(w, "finished"));
  NM_TRY(vigie_xmlw_attrf(w, "time", "%" PRId64, meta->end_us / 1000000));
  NM_TRY(vigie_xmlw_attr(w, "timestr", when));
  NM_TRY(vigie_xmlw_attrf(w, "summary",
                          "vigie done at %s; %" PRIu64 " IP address%s (%" PRIu64
                          " host%s up) scanned in %.2f seconds",
                          when, total, total == 1 ? "" : "es", up, up == 1 ? "" : "s", elapsed));
  NM_TRY(vigie_xmlw_attrf(w, "elapsed", "%.2f", elapsed));
  NM_TRY(vigie_xmlw_attr(w, "exit", interrupted ? "error" : "success"));
  /* nmap writes no <runstats> when stopped; ours says why it is partial. */
  if (interrupted)
    NM_TRY(vigie_xmlw_attr(w, "errormsg", "interrupted: results are partial (see --resume)"));
  status = vigie_xmlw_end(w);
done:
  return status;
}

static vigie_status nm_runstats(vigie_xmlw *w, const scan_meta *meta, uint64_t up) {
  uint64_t total =
      meta->space != NULL && meta->space->address_count > up ? meta->space->address_count : up;
  vigie_status status;
  NM_TRY(vigie_xmlw_start(w, "runstats"));
  NM_TRY(nm_finished(w, meta, up, total));
  NM_TRY(vigie_xmlw_start(w, "hosts"));
  NM_TRY(vigie_xmlw_attrf(w, "up", "%" PRIu64, up));
  NM_TRY(vigie_xmlw_attrf(w, "down", "%" PRIu64, total - up));
  NM_TRY(vigie_xmlw_attrf(w, "total", "%" PRIu64, total));
  NM_TRY(vigie_xmlw_end(w));
  NM_TRY(nm_nl(w));
  NM_TRY(vigie_xmlw_end(w));
  status = nm_nl(w);
done:
  return status;
}

/* ----------------------------------------------------------------- main */

static vigie_status nm_document(vigie_xmlw *w, const scan_meta *meta,
                                const scan_result_source *results, const char *services) {
  uint64_t up = 0;
  vigie_status status;
  NM_TRY(nm_head(w, meta, services));
  for (size_t i = 0; i < results->count; up++) {
    nm_host h = nm_host_at(results, i);
    NM_TRY(nm_host_write(w, meta, &h));
    i += h.n;
  }
  NM_TRY(nm_runstats(w, meta, up));
  status = vigie_xmlw_finish(w);
done:
  return status;
}

vigie_status scan_output_nmap(FILE *stream, const scan_meta *meta,
                              const scan_result_source *results, vigie_error *err) {
  if (stream == NULL || meta == NULL || results == NULL ||
      (results->at == NULL && results->count > 0))
    return vigie_fail(err, VIGIE_EINVAL, "nmap XML: no stream, meta data or results");
  if (meta->mode != SCAN_MODE_SYN && meta->mode != SCAN_MODE_CONNECT)
    return vigie_fail(err, VIGIE_EINVAL,
                      "nmap XML: the mode must be the engine that ran (syn or connect)");
  for (size_t i = 0; i < results->count; i++) {
    scan_result r;
    results->at(results->ctx, i, &r);
    if ((r.addr.family != AF_INET && r.addr.family != AF_INET6) || r.state < SCAN_STATE_OPEN ||
        r.state > SCAN_STATE_FILTERED || r.reason < SCAN_REASON_SYN_ACK ||
        r.reason > SCAN_REASON_UNREACHABLE)
      return vigie_fail(err, VIGIE_EINVAL, "nmap XML: result %zu has no family, state or reason",
                        i);
  }
  vigie_xmlw *w = vigie_xmlw_new(stream);
  char *services = meta->space != NULL
                       ? scan_ports_compact(meta->space->ports, meta->space->port_count)
                       : scan_ports_compact(NULL, 0);
  vigie_status status =
      w != NULL && services != NULL ? nm_document(w, meta, results, services) : VIGIE_ENOMEM;
  if (status == VIGIE_EIO)
    vigie_fail(err, status, "nmap XML: write failed (disk full or closed output?)");
  else if (status != VIGIE_OK)
    vigie_fail(err, status, "nmap XML: %s", vigie_strerror(status));
  vigie_free(services);
  vigie_xmlw_free(w);
  return status;
}
