/* The service stage as vigie scan and vigie services run it: options,
 * probes file, the open ports of a discovery, JSON lines per finished port,
 * and the summary. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/cli.h"
#include "core/cmd.h"

void cmd_svc_args_init(cmd_svc_args *a) {
  memset(a, 0, sizeof *a);
  a->cfg.port_timeout_s = SCAN_SVC_DEFAULT_PORT_S;
}

void cmd_svc_args_free(cmd_svc_args *a) {
  scan_probes_free(a->probes);
  scan_exposure_rules_free(a->exposure);
  a->probes = NULL, a->exposure = NULL;
}

static vigie_status svc_uint(const char *name, const char *v, unsigned long max, unsigned *out,
                             vigie_error *err) {
  unsigned long n = 0;
  vigie_status status = cli_parse_uint(name, v, 1, max, &n, err);
  if (status == VIGIE_OK) *out = (unsigned)n;
  return status;
}

static vigie_status svc_seconds(const char *v, double *out, vigie_error *err) {
  char *end = NULL;
  double s = strtod(v, &end);
  if (end == v || *end != '\0' || !(s > 0 && s <= 3600))
    return vigie_fail(err, VIGIE_EUSAGE, "--service-timeout \"%s\": expected seconds (0-3600]", v);
  *out = s;
  return VIGIE_OK;
}

bool cmd_svc_option(cmd_svc_args *a, int id, const char *value, vigie_status *status,
                    vigie_error *err) {
  scan_svc_config *cfg = &a->cfg;
  switch (id) {
    case CMD_OPT_INTRUSIVE: cfg->intrusive = true; break;
    case CMD_OPT_PROBES: a->probes_path = value; break;
    case CMD_OPT_EXPOSURE_RULES: a->exposure_dir = value; break;
  case CMD_OPT_NO_TLS_INSPECT: a->no_tls_inspect = true; break;
    case CMD_OPT_SERVICE_TIMEOUT: *status = svc_seconds(value, &cfg->port_timeout_s, err); break;
    case CMD_OPT_SERVICE_PARALLEL:
      *status = svc_uint("--service-parallel", value, 100000, &cfg->parallel, err);
      break;
    case CMD_OPT_SERVICE_PER_HOST:
      *status = svc_uint("--service-per-host", value, 10000, &cfg->per_host, err);
      break;
    case CMD_OPT_SERVICE_THREADS:
      *status = svc_uint("--service-threads", value, 256, &cfg->threads, err);
      break;
    default: return false;
  }
  return true;
}

/* ----------------------------------------------------------- JSON lines */

void cmd_svc_jsonl_free(cmd_svc_jsonl *j) {
  if (j == NULL) return;
  vigie_free(j->open);
  vigie_free(j->printed);
  j->open = NULL, j->printed = NULL, j->count = 0;
}

/* The name to greet addr by: a name it was given as first, else any. */
static const char *svc_name_of(const scan_names *names, const vigie_addr *addr) {
  const scan_name *n = NULL;
  size_t count = 0;
  if (scan_names_of(names, addr, &n, &count) != VIGIE_OK || count == 0) return NULL;
  return n[0].name;
}

vigie_status cmd_svc_from_store(const scan_store *sealed, const scan_names *names,
                                scan_services *services, vigie_error *err) {
  scan_result r;
  for (size_t i = 0; i < scan_store_count(sealed); i++) {
    scan_store_result_at(sealed, i, &r);
    if (r.state == SCAN_STATE_OPEN &&
        scan_services_add(services, &r.addr, r.port, svc_name_of(names, &r.addr)) != VIGIE_OK)
      return vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  }
  return VIGIE_OK;
}

vigie_status cmd_svc_jsonl_init(cmd_svc_jsonl *j, const scan_store *sealed, vigie_error *err) {
  size_t n = scan_store_count(sealed);
  scan_result r;
  j->store = sealed;
  j->count = 0;
  j->open = vigie_calloc(n + 1, sizeof *j->open);
  j->printed = vigie_calloc(n + 1, sizeof *j->printed);
  if (j->open == NULL || j->printed == NULL) return vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    scan_store_result_at(sealed, i, &r);
    if (r.state == SCAN_STATE_OPEN) j->open[j->count++] = i;
  }
  return VIGIE_OK;
}

static int svc_cmp(const scan_result *r, const vigie_addr *a, uint16_t port) {
  if (r->addr.family != a->family) return r->addr.family == AF_INET ? -1 : 1;
  if (a->family == AF_INET && r->addr.v4 != a->v4) return r->addr.v4 < a->v4 ? -1 : 1;
  if (a->family == AF_INET6 && r->addr.v6 != a->v6) return r->addr.v6 < a->v6 ? -1 : 1;
  return r->port < port ? -1 : r->port > port;
}

/* One port's line with its findings, evaluated here on its final facts
 * (the stage's end evaluates them again into the services set, where an
 * evaluation error is reported once). */
static void svc_print_line(cmd_svc_jsonl *j, const scan_result *r, const scan_facts *facts) {
  scan_findings *findings = j->exposure != NULL ? scan_findings_new() : NULL;
  vigie_error ignored;
  if (findings != NULL)
    (void)scan_exposure_eval(j->exposure, facts, &r->addr, r->port, time(NULL), findings, &ignored);
  (void)scan_output_jsonl_findings(j->out, r, j->names, scan_facts_count(facts) > 0 ? facts : NULL,
                                   findings);
  scan_findings_free(findings);
}

/* One finished port: its line, found by bisection over the open results. */
static void svc_print(const vigie_addr *addr, uint16_t port, const scan_facts *facts, void *user) {
  cmd_svc_jsonl *j = user;
  size_t lo = 0, hi = j->count;
  scan_result r;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    scan_store_result_at(j->store, j->open[mid], &r);
    int c = svc_cmp(&r, addr, port);
    if (c == 0) {
      /* A port the stage learnt nothing of prints as discovery saw it. */
      if (!j->printed[mid]) svc_print_line(j, &r, facts);
      j->printed[mid] = true;
      fflush(j->out);
      return;
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
}

void cmd_svc_jsonl_rest(cmd_svc_jsonl *j) {
  scan_result r;
  for (size_t i = 0; j != NULL && i < j->count; i++) {
    if (j->printed[i]) continue;
    scan_store_result_at(j->store, j->open[i], &r);
    (void)scan_output_jsonl_named(j->out, &r, j->names);
    j->printed[i] = true;
  }
  if (j != NULL && j->out != NULL) fflush(j->out);
}

/* ------------------------------------------------------ TLS inspection */

/* The deep look of a TLS port (or one that offered STARTTLS), on a worker
 * thread: scan_tls_inspect with the name the port was reached by as SNI and
 * for the certificate's name check. */
static vigie_status svc_tls_deep(const vigie_addr *addr, uint16_t port, const char *host_name,
                                 const char *starttls, scan_facts *facts, void *user,
                                 vigie_error *err) {
  (void)user;
  scan_tls_opts opts = {.starttls = SCAN_STARTTLS_NONE,
                        .sni = host_name,
                        .host_names = host_name != NULL ? &host_name : NULL,
                        .host_name_count = host_name != NULL ? 1 : 0,
                        .timeout_ms = 5000,
                        .test_weak = true};
  /* A service whose preamble tls does not know (an odd module's) is left. */
  if (starttls != NULL && !scan_starttls_from_name(starttls, &opts.starttls)) return VIGIE_OK;
  return scan_tls_inspect(addr, port, &opts, facts, err);
}

/* ----------------------------------------------------------------- run */

static vigie_status svc_load(cmd_svc_args *a, vigie_error *err) {
  char *path = NULL, *xsd = vigie_data_path("service-probes.xsd", err);
  vigie_status status = xsd != NULL ? VIGIE_OK : err->status;
  if (status == VIGIE_OK && a->probes_path == NULL) {
    path = vigie_data_path("service-probes.xml", err);
    if (path == NULL) status = err->status;
  }
  if (status == VIGIE_OK)
    status = scan_probes_load(a->probes_path ? a->probes_path : path, xsd, &a->probes, err);
  vigie_free(path);
  vigie_free(xsd);
  return status;
}

/* --exposure-rules DIR must exist; the default folder may be missing (the
 * catalogue is data a site may not install), which means no rule. */
static vigie_status svc_load_exposure(cmd_svc_args *a, vigie_log *log, vigie_error *err) {
  vigie_error missing;
  char *dir = a->exposure_dir != NULL ? vigie_strdup(a->exposure_dir)
                                      : vigie_data_path("exposure", &missing);
  vigie_status status = VIGIE_OK;
  a->exposure = scan_exposure_rules_new();
  if (a->exposure == NULL || (a->exposure_dir != NULL && dir == NULL))
    status = vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  else if (dir != NULL)
    status = scan_exposure_load_dir(a->exposure, dir, err);
  if (status == VIGIE_ENOENT && a->exposure_dir != NULL)
    vigie_fail(err, status, "--exposure-rules %s: no such folder", a->exposure_dir);
  else if (status == VIGIE_ENOENT || (status == VIGIE_OK && dir == NULL))
    status = VIGIE_OK, vigie_log_verbose(log, "no exposure rule folder: no exposure findings");
  if (status == VIGIE_OK)
    vigie_log_verbose(log, "%zu exposure rules from %s", scan_exposure_count(a->exposure),
                      dir != NULL ? dir : "nowhere");
  vigie_free(dir);
  return status;
}

vigie_status cmd_svc_prepare(cmd_svc_args *a, vigie_log *log, vigie_error *err) {
  vigie_status status = a->probes != NULL ? VIGIE_OK : svc_load(a, err);
  if (status == VIGIE_OK && a->exposure == NULL) status = svc_load_exposure(a, log, err);
  return status;
}

/* Every pair's findings, kept in services for the files; a rule that cannot
 * read a value is reported once per port, at warning level. */
static vigie_status svc_exposure(const cmd_svc_args *a, scan_services *services, vigie_log *log,
                                 size_t counts[SCAN_SEV_COUNT], vigie_error *err) {
  time_t now = time(NULL);
  for (size_t i = 0; i < scan_services_count(services); i++) {
    vigie_addr addr;
    uint16_t port;
    vigie_error e;
    scan_services_at(services, i, &addr, &port, NULL);
    scan_findings *findings = scan_services_findings(services, i);
    vigie_status st = scan_exposure_eval(a->exposure, scan_services_facts(services, i), &addr,
                                         port, now, findings, &e);
    if (st == VIGIE_ENOMEM) return vigie_fail(err, st, "%s", e.msg);
    if (st != VIGIE_OK) vigie_log_warn(log, "%s", e.msg);
    for (size_t k = 0; k < scan_findings_count(findings); k++)
      counts[scan_findings_at(findings, k)->severity]++;
  }
  return VIGIE_OK;
}

/* "exposure: 5 findings (1 critical, 2 high, 0 medium, 2 low, 0 info)". */
static void svc_exposure_summary(const cmd_svc_args *a, const size_t counts[SCAN_SEV_COUNT],
                                 vigie_log *log) {
  size_t total = 0;
  for (int s = 0; s < SCAN_SEV_COUNT; s++) total += counts[s];
  vigie_log_info(log,
                 "exposure: %zu finding%s (%zu critical, %zu high, %zu medium, %zu low, %zu info) "
                 "from %zu rules",
                 total, total == 1 ? "" : "s", counts[SCAN_SEV_CRITICAL], counts[SCAN_SEV_HIGH],
                 counts[SCAN_SEV_MEDIUM], counts[SCAN_SEV_LOW], counts[SCAN_SEV_INFO],
                 scan_exposure_count(a->exposure));
}

vigie_status cmd_svc_run(cmd_svc_args *a, scan_services *services, cmd_svc_jsonl *jsonl,
                         volatile sig_atomic_t *stop, vigie_log *log, scan_svc_stats *stats,
                         vigie_error *err) {
  size_t counts[SCAN_SEV_COUNT] = {0};
  vigie_status status = cmd_svc_prepare(a, log, err);
  if (status != VIGIE_OK) return status;
  if (jsonl != NULL) jsonl->exposure = a->exposure;
  scan_svc_config cfg = a->cfg;
  cfg.probes = a->probes;
  cfg.stop = stop;
  cfg.log = log;
  if (jsonl != NULL && jsonl->out != NULL) cfg.on_done = svc_print, cfg.user = jsonl;
  if (!a->no_tls_inspect) cfg.deep = svc_tls_deep;
  status = scan_run_services(&cfg, services, stats, err);
  vigie_log_info(log,
                 "service stage %s: %zu of %zu ports done in %.2f s, %zu identified, %zu over TLS, "
                 "%llu connections",
                 stats->interrupted ? "interrupted" : "done", stats->done, stats->ports,
                 stats->elapsed_s, stats->identified, stats->tls,
                 (unsigned long long)stats->connections);
  /* An interrupted stage's facts are kept, so are the findings they give. */
  if (status == VIGIE_OK) status = svc_exposure(a, services, log, counts, err);
  if (status == VIGIE_OK) svc_exposure_summary(a, counts, log);
  return status;
}
