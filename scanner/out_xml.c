/* Our scan XML (rules/scan.xsd, urn:vigie:scan:1): the record of a run that
 * --resume reads back (in_xml.c), so it holds everything needed to go on
 * where the run stopped: seed, shard, resume point, and every result.
 *
 * Results come sorted by family, address and port (a sealed store, or
 * scan_store_sorted), one at a time through a scan_result_source; each run
 * of one address becomes a <host>. The order is checked rather than
 * trusted, since an unsorted source would split a host in two and the file
 * would then fail its own schema when read back. Also home of what the
 * other outputs share: the result sources, times and port lists. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "vigie/scanner.h"

#define SCAN_XML_NS "urn:vigie:scan:1"

/* 9999-12-31T23:59:59Z: xs:dateTime with a four-digit year stops here. */
#define SX_MAX_SECONDS INT64_C(253402300799)

/* Stop at the first failure; every caller cleans up at its done: label. */
#define SX_TRY(expr)                   \
  do {                                 \
    status = (expr);                   \
    if (status != VIGIE_OK) goto done; \
  } while (0)

/* -------------------------------------------------------------- helpers */

static void sx_array_at(const void *ctx, size_t i, scan_result *out) {
  *out = ((const scan_result *)ctx)[i];
}

scan_result_source scan_source_array(const scan_result *results, size_t count) {
  return (scan_result_source){.count = count, .at = sx_array_at, .ctx = results};
}

static void sx_store_at(const void *ctx, size_t i, scan_result *out) {
  scan_store_result_at(ctx, i, out);
}

scan_result_source scan_source_store(const scan_store *sealed) {
  return (scan_result_source){.count = scan_store_count(sealed), .at = sx_store_at, .ctx = sealed};
}

/* Fixed-width decimal digits of v into p[0..width). */
static void sx_digits(char *p, unsigned v, int width) {
  for (int i = width - 1; i >= 0; i--, v /= 10) p[i] = (char)('0' + v % 10);
}

/* By hand rather than gmtime_r + snprintf: JSON lines call this once per
 * answer on the SYN receiver's thread, and snprintf alone cost ~300 ns.
 * The date comes from days since 1970 by Howard Hinnant's civil_from_days. */
char *scan_time_format(int64_t us, char *buf, size_t len) {
  if (buf == NULL || len < SCAN_TIME_LEN || us < 0 || us / 1000000 > SX_MAX_SECONDS) return NULL;
  int64_t secs = us / 1000000;
  unsigned rem = (unsigned)(secs % 86400);
  int64_t z = secs / 86400 + 719468;
  int64_t era = z / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned day = doy - (153 * mp + 2) / 5 + 1;
  unsigned month = mp < 10 ? mp + 3 : mp - 9;
  unsigned year = (unsigned)(yoe + era * 400) + (month <= 2);
  memcpy(buf, "0000-00-00T00:00:00.000000Z", SCAN_TIME_LEN);
  sx_digits(buf, year, 4);
  sx_digits(buf + 5, month, 2);
  sx_digits(buf + 8, day, 2);
  sx_digits(buf + 11, rem / 3600, 2);
  sx_digits(buf + 14, rem / 60 % 60, 2);
  sx_digits(buf + 17, rem % 60, 2);
  sx_digits(buf + 20, (unsigned)(us % 1000000), 6);
  return buf;
}

char *scan_ports_compact(const uint16_t *ports, size_t count) {
  /* "65535-65535," is the longest item: 12 bytes. */
  char *out = vigie_malloc(count * 12 + 1);
  size_t o = 0;
  if (out == NULL) return NULL;
  for (size_t i = 0; i < count;) {
    size_t j = i;
    /* Extend the range while the next port follows on (or repeats). */
    while (j + 1 < count && ports[j + 1] <= (uint32_t)ports[j] + 1) j++;
    int n = ports[j] > ports[i] ? snprintf(out + o, 13, "%s%u-%u", o ? "," : "", ports[i], ports[j])
                                : snprintf(out + o, 13, "%s%u", o ? "," : "", ports[i]);
    o += (size_t)n;
    i = j + 1;
  }
  out[o] = '\0';
  return out;
}

static bool sx_same_addr(const vigie_addr *a, const vigie_addr *b) {
  if (a->family != b->family) return false;
  return a->family == AF_INET ? a->v4 == b->v4 : a->v6 == b->v6;
}

/* The order scan_store_sorted gives: family (AF_INET first), address, port. */
static int sx_compare(const scan_result *a, const scan_result *b) {
  if (a->addr.family != b->addr.family) return a->addr.family < b->addr.family ? -1 : 1;
  if (a->addr.family == AF_INET && a->addr.v4 != b->addr.v4)
    return a->addr.v4 < b->addr.v4 ? -1 : 1;
  if (a->addr.family == AF_INET6 && a->addr.v6 != b->addr.v6)
    return a->addr.v6 < b->addr.v6 ? -1 : 1;
  return a->port < b->port ? -1 : a->port > b->port;
}

static vigie_status sx_check_results(const scan_result_source *src, vigie_error *err) {
  scan_result prev = {0}, r;
  for (size_t i = 0; i < src->count; i++, prev = r) {
    src->at(src->ctx, i, &r);
    if (r.addr.family != AF_INET && r.addr.family != AF_INET6)
      return vigie_fail(err, VIGIE_EINVAL, "scan XML: result %zu has no address family", i);
    if (r.state < SCAN_STATE_OPEN || r.state > SCAN_STATE_FILTERED ||
        r.reason < SCAN_REASON_SYN_ACK || r.reason > SCAN_REASON_UNREACHABLE)
      return vigie_fail(err, VIGIE_EINVAL, "scan XML: result %zu has an unknown state or reason",
                        i);
    if (i > 0 && sx_compare(&prev, &r) >= 0)
      return vigie_fail(err, VIGIE_EINVAL,
                        "scan XML: results are not sorted by address and port (at %zu)", i);
  }
  return VIGIE_OK;
}

/* ---------------------------------------------------------------- parts */

/* One element a line (a bad port's line number is then worth something in
 * the reader's messages, and two files diff line by line). */
static vigie_status sx_nl(vigie_xmlw *w) { return vigie_xmlw_text(w, "\n"); }

static vigie_status sx_time_attr(vigie_xmlw *w, const char *name, int64_t us) {
  char buf[SCAN_TIME_LEN];
  if (scan_time_format(us, buf, sizeof buf) == NULL) return VIGIE_EINVAL;
  return vigie_xmlw_attr(w, name, buf);
}

/* The arguments one by one, so --resume rebuilds the same scan. */
static vigie_status sx_argv(vigie_xmlw *w, const scan_meta *meta) {
  vigie_status status = VIGIE_OK;
  if (meta->argv == NULL) return VIGIE_OK;
  SX_TRY(vigie_xmlw_start(w, "argv"));
  for (int i = 0; i < meta->argc; i++) {
    SX_TRY(sx_nl(w));
    SX_TRY(vigie_xmlw_start(w, "arg"));
    SX_TRY(vigie_xmlw_text(w, meta->argv[i]));
    SX_TRY(vigie_xmlw_end(w));
  }
  SX_TRY(sx_nl(w));
  SX_TRY(vigie_xmlw_end(w));
  status = sx_nl(w);
done:
  return status;
}

static vigie_status sx_run(vigie_xmlw *w, const scan_meta *meta) {
  vigie_status status;
  SX_TRY(vigie_xmlw_start(w, "tool"));
  SX_TRY(vigie_xmlw_attr(w, "name", "vigie"));
  SX_TRY(vigie_xmlw_attr(w, "version", VIGIE_VERSION_STRING));
  SX_TRY(vigie_xmlw_end(w));
  SX_TRY(sx_nl(w));
  SX_TRY(vigie_xmlw_start(w, "args"));
  SX_TRY(vigie_xmlw_text(w, meta->args != NULL ? meta->args : ""));
  SX_TRY(vigie_xmlw_end(w));
  SX_TRY(sx_nl(w));
  SX_TRY(sx_argv(w, meta));
  SX_TRY(vigie_xmlw_start(w, "run"));
  SX_TRY(vigie_xmlw_attr(w, "mode", meta->mode == SCAN_MODE_SYN ? "syn" : "connect"));
  SX_TRY(sx_time_attr(w, "start", meta->start_us));
  SX_TRY(sx_time_attr(w, "end", meta->end_us));
  SX_TRY(vigie_xmlw_attrf(w, "seed", "%" PRIu64, meta->seed));
  SX_TRY(vigie_xmlw_end(w));
  SX_TRY(sx_nl(w));
  SX_TRY(vigie_xmlw_start(w, "shard"));
  SX_TRY(vigie_xmlw_attrf(w, "index", "%" PRIu32, meta->shard_index));
  SX_TRY(vigie_xmlw_attrf(w, "count", "%" PRIu32, meta->shard_count));
  SX_TRY(vigie_xmlw_end(w));
  status = sx_nl(w);
done:
  return status;
}

/* Stats, resume point and space; a missing stats or space counts as zero
 * (resuming such a file starts again from the beginning, which is safe). */
static vigie_status sx_progress(vigie_xmlw *w, const scan_meta *meta, const char *ports) {
  static const scan_stats no_stats;
  static const scan_space no_space;
  const scan_stats *st = meta->stats != NULL ? meta->stats : &no_stats;
  const scan_space *sp = meta->space != NULL ? meta->space : &no_space;
  vigie_status status;
  SX_TRY(vigie_xmlw_start(w, "stats"));
  SX_TRY(vigie_xmlw_attrf(w, "sent", "%" PRIu64, st->sent));
  SX_TRY(vigie_xmlw_attrf(w, "received", "%" PRIu64, st->received));
  SX_TRY(vigie_xmlw_attrf(w, "valid", "%" PRIu64, st->valid));
  SX_TRY(vigie_xmlw_attrf(w, "pcap-dropped", "%" PRIu64, st->pcap_dropped));
  SX_TRY(vigie_xmlw_attr(w, "interrupted", st->interrupted ? "true" : "false"));
  SX_TRY(vigie_xmlw_end(w));
  SX_TRY(sx_nl(w));
  SX_TRY(vigie_xmlw_start(w, "resume"));
  SX_TRY(vigie_xmlw_attrf(w, "next-position", "%" PRIu64, st->next_position));
  SX_TRY(vigie_xmlw_attrf(w, "range", "%" PRIu64, sp->range));
  SX_TRY(vigie_xmlw_end(w));
  SX_TRY(sx_nl(w));
  SX_TRY(vigie_xmlw_start(w, "space"));
  SX_TRY(vigie_xmlw_attrf(w, "addresses", "%" PRIu64, sp->address_count));
  SX_TRY(vigie_xmlw_attrf(w, "port-count", "%" PRIu32, sp->port_count));
  SX_TRY(vigie_xmlw_attr(w, "ports", ports));
  SX_TRY(vigie_xmlw_end(w));
  status = sx_nl(w);
done:
  return status;
}

/* One fact: the cleaned text, and the raw bytes in base64 when cleaning
 * changed them or an XML reader would (a CR becomes a LF on reading). */
static vigie_status sx_fact(vigie_xmlw *w, const char *name, const char *value, size_t len) {
  bool changed = false;
  char *b64 = NULL, *clean = vigie_xml_clean(value, len, &changed);
  vigie_status status = clean != NULL ? VIGIE_OK : VIGIE_ENOMEM;
  if (status == VIGIE_OK && (changed || memchr(value, '\r', len) != NULL)) {
    b64 = vigie_base64_encode(value, len);
    if (b64 == NULL) status = VIGIE_ENOMEM;
  }
  if (status != VIGIE_OK) goto done;
  SX_TRY(vigie_xmlw_start(w, "fact"));
  SX_TRY(vigie_xmlw_attr(w, "name", name));
  if (b64 != NULL) SX_TRY(vigie_xmlw_attr(w, "base64", b64));
  if (clean[0] != '\0') SX_TRY(vigie_xmlw_text(w, clean));
  SX_TRY(vigie_xmlw_end(w));
  status = sx_nl(w);
done:
  vigie_free(clean);
  vigie_free(b64);
  return status;
}

static vigie_status sx_service_attr(vigie_xmlw *w, const scan_facts *facts, const char *attr,
                                    const char *fact) {
  const char *v = scan_facts_get(facts, fact);
  return v != NULL ? vigie_xmlw_attr(w, attr, v) : VIGIE_OK;
}

/* <finding rule severity confidence/>: the rule's texts stay in its file. */
static vigie_status sx_finding(vigie_xmlw *w, const scan_finding *f) {
  vigie_status status;
  SX_TRY(vigie_xmlw_start(w, "finding"));
  SX_TRY(vigie_xmlw_attr(w, "rule", f->rule));
  SX_TRY(vigie_xmlw_attr(w, "severity", scan_severity_name(f->severity)));
  SX_TRY(vigie_xmlw_attr(w, "confidence", f->confidence));
  SX_TRY(vigie_xmlw_end(w));
  status = sx_nl(w);
done:
  return status;
}

/* <service name product version confidence tls> with every fact inside,
 * then the findings. facts may be NULL for a port only findings speak of. */
static vigie_status sx_service(vigie_xmlw *w, const scan_facts *facts,
                               const scan_findings *findings) {
  const char *name, *value, *confidence = scan_facts_get(facts, "confidence");
  size_t len;
  vigie_status status;
  SX_TRY(vigie_xmlw_start(w, "service"));
  SX_TRY(sx_service_attr(w, facts, "name", "service"));
  SX_TRY(sx_service_attr(w, facts, "product", "product"));
  SX_TRY(sx_service_attr(w, facts, "version", "version"));
  if (confidence != NULL && (strcmp(confidence, "confirmed") == 0 || strcmp(confidence, "banner") == 0))
    SX_TRY(vigie_xmlw_attr(w, "confidence", confidence));
  SX_TRY(vigie_xmlw_attr(w, "tls", scan_facts_get(facts, "tls") != NULL ? "true" : "false"));
  SX_TRY(sx_nl(w));
  for (size_t i = 0; scan_facts_at(facts, i, &name, &value, &len); i++)
    SX_TRY(sx_fact(w, name, value, len));
  for (size_t i = 0; i < scan_findings_count(findings); i++)
    SX_TRY(sx_finding(w, scan_findings_at(findings, i)));
  SX_TRY(vigie_xmlw_end(w));
  status = sx_nl(w);
done:
  return status;
}

static vigie_status sx_port(vigie_xmlw *w, const scan_meta *meta, const scan_result *r) {
  bool open = r->state == SCAN_STATE_OPEN;
  const scan_facts *facts = open ? scan_services_find(meta->services, &r->addr, r->port) : NULL;
  const scan_findings *findings =
      open ? scan_services_find_findings(meta->services, &r->addr, r->port) : NULL;
  vigie_status status;
  SX_TRY(vigie_xmlw_start(w, "port"));
  SX_TRY(vigie_xmlw_attrf(w, "number", "%u", r->port));
  SX_TRY(vigie_xmlw_attr(w, "state", scan_state_name((scan_state)r->state)));
  SX_TRY(vigie_xmlw_attr(w, "reason", scan_reason_name((scan_reason)r->reason)));
  SX_TRY(vigie_xmlw_attrf(w, "ttl", "%u", r->ttl));
  /* 0 (or less) means the engine did not know; a time past year 9999 is a
   * broken clock: both are left out rather than losing the whole file. */
  if (r->time_us > 0 && r->time_us / 1000000 <= SX_MAX_SECONDS)
    SX_TRY(sx_time_attr(w, "time", r->time_us));
  if (facts != NULL || findings != NULL) {
    SX_TRY(sx_nl(w));
    SX_TRY(sx_service(w, facts, findings));
  }
  SX_TRY(vigie_xmlw_end(w));
  status = sx_nl(w);
done:
  return status;
}

/* <hostname name="..." source="target|ptr|cert"/> for each name of addr. */
static vigie_status sx_hostnames(vigie_xmlw *w, const scan_names *names, const vigie_addr *addr) {
  const scan_name *n = NULL;
  size_t count = 0;
  vigie_status status;
  SX_TRY(scan_names_of(names, addr, &n, &count));
  for (size_t i = 0; i < count; i++) {
    SX_TRY(vigie_xmlw_start(w, "hostname"));
    SX_TRY(vigie_xmlw_attr(w, "name", n[i].name));
    SX_TRY(vigie_xmlw_attr(w, "source", scan_name_source_text((scan_name_source)n[i].source)));
    SX_TRY(vigie_xmlw_end(w));
    SX_TRY(sx_nl(w));
  }
done:
  return status;
}

/* One <host> for result *i and the following results of the same
 * address; *i moves past them. */
static vigie_status sx_host(vigie_xmlw *w, const scan_meta *meta, const scan_result_source *src,
                            size_t *i) {
  char addr[INET6_ADDRSTRLEN + 1];
  scan_result first, r;
  vigie_status status;
  src->at(src->ctx, *i, &first);
  vigie_addr_format(&first.addr, addr, sizeof addr);
  SX_TRY(vigie_xmlw_start(w, "host"));
  SX_TRY(vigie_xmlw_attr(w, "addr", addr));
  SX_TRY(vigie_xmlw_attr(w, "family", first.addr.family == AF_INET ? "ipv4" : "ipv6"));
  SX_TRY(sx_nl(w));
  SX_TRY(sx_hostnames(w, meta->names, &first.addr));
  for (r = first; sx_same_addr(&first.addr, &r.addr);) {
    SX_TRY(sx_port(w, meta, &r));
    if (++*i == src->count) break;
    src->at(src->ctx, *i, &r);
  }
  SX_TRY(vigie_xmlw_end(w));
  status = sx_nl(w);
done:
  return status;
}

/* ----------------------------------------------------------------- main */

static vigie_status sx_document(vigie_xmlw *w, const scan_meta *meta,
                                const scan_result_source *results, const char *ports) {
  vigie_status status;
  SX_TRY(vigie_xmlw_declaration(w));
  SX_TRY(vigie_xmlw_start(w, "scan"));
  SX_TRY(vigie_xmlw_attr(w, "xmlns", SCAN_XML_NS));
  SX_TRY(vigie_xmlw_attr(w, "schemaVersion", "1"));
  SX_TRY(sx_nl(w));
  SX_TRY(sx_run(w, meta));
  SX_TRY(sx_progress(w, meta, ports));
  for (size_t i = 0; i < results->count;) SX_TRY(sx_host(w, meta, results, &i));
  status = vigie_xmlw_finish(w);
done:
  return status;
}

vigie_status scan_output_xml(FILE *stream, const scan_meta *meta, const scan_result_source *results,
                             vigie_error *err) {
  vigie_xmlw *w = NULL;
  char *ports = NULL;
  if (stream == NULL || meta == NULL || results == NULL ||
      (results->at == NULL && results->count > 0))
    return vigie_fail(err, VIGIE_EINVAL, "scan XML: no stream, meta data or results");
  if (meta->mode != SCAN_MODE_SYN && meta->mode != SCAN_MODE_CONNECT)
    return vigie_fail(err, VIGIE_EINVAL,
                      "scan XML: the mode must be the engine that ran (syn or connect)");
  char buf[SCAN_TIME_LEN];
  if (scan_time_format(meta->start_us, buf, sizeof buf) == NULL ||
      scan_time_format(meta->end_us, buf, sizeof buf) == NULL)
    return vigie_fail(err, VIGIE_EINVAL,
                      "scan XML: a start or end time is outside the years 1970 to 9999");
  vigie_status status = sx_check_results(results, err);
  if (status != VIGIE_OK) return status;
  w = vigie_xmlw_new(stream);
  ports = meta->space != NULL ? scan_ports_compact(meta->space->ports, meta->space->port_count)
                              : scan_ports_compact(NULL, 0);
  if (w == NULL || ports == NULL) {
    status = vigie_fail(err, VIGIE_ENOMEM, "scan XML: out of memory");
    goto done;
  }
  status = sx_document(w, meta, results, ports);
  if (status == VIGIE_EIO)
    vigie_fail(err, status, "scan XML: write failed (disk full or closed output?)");
  else if (status != VIGIE_OK)
    vigie_fail(err, status, "scan XML: %s", vigie_strerror(status));
done:
  vigie_free(ports);
  vigie_xmlw_free(w);
  return status;
}
