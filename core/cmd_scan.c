/* vigie scan: discovery of open, closed and filtered TCP ports, in SYN mode
 * (raw sockets) or connect() mode, with outputs written atomically and a
 * resume point kept when interrupted. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/cmd.h"
#include "vigie/scanner.h"

#define SCAN_DEFAULT_RATE 2000.0
#define SCAN_DEFAULT_TOP_PORTS 100
#define SCAN_DEFAULT_RESUME_FILE "vigie-resume.xml"

enum {
  OPT_HELP = 1, OPT_RATE, OPT_RETRIES, OPT_WAIT, OPT_SOURCE_IP, OPT_INTERFACE, OPT_SHARD,
  OPT_SEED, OPT_RESUME, OPT_OUTPUT, OPT_OUTPUT_NMAP, OPT_JSONL, OPT_CONNECT, OPT_SYN,
  OPT_MAX_INFLIGHT, OPT_MAX_PER_HOST, OPT_TIMEOUT, OPT_ALLOW_INTERNET, OPT_RESUME_FILE,
  OPT_VERBOSE, OPT_QUIET, OPT_NO_PTR, OPT_NO_SERVICES
};

static const cli_option scan_options[] = {
    {"--allow-internet", NULL, OPT_ALLOW_INTERNET, NULL,
     "allow a scan of half the address space or more (0.0.0.0/0, ::/0)"},
    {"--connect", "-sT", OPT_CONNECT, NULL, "connect() mode (the default without raw-socket rights)"},
    {"--help", "-h", OPT_HELP, NULL, "show this help and exit"},
    {"--interface", "-e", OPT_INTERFACE, "IF", "SYN mode: send and capture on IF"},
    {"--jsonl", NULL, OPT_JSONL, NULL, "print one JSON object per result on stdout, as found"},
    {"--max-inflight", NULL, OPT_MAX_INFLIGHT, "N", "connect mode: connections at once (2048)"},
    {"--max-per-host", NULL, OPT_MAX_PER_HOST, "N", "connect mode: connections at once per address (64)"},
    {"--no-ptr", NULL, OPT_NO_PTR, NULL, "no PTR queries for the hosts found up (-n: no DNS at all)"},
    {"--no-services", NULL, OPT_NO_SERVICES, NULL,
     "discovery only: skip the service stage and the exposure findings"},
    {"--rate", NULL, OPT_RATE, "PPS", "probes per second (2000; 0 means no limit)"},
    {"--resume", NULL, OPT_RESUME, "FILE", "finish the interrupted scan saved in FILE"},
    {"--resume-file", NULL, OPT_RESUME_FILE, "FILE", "where an interrupted scan is saved (" SCAN_DEFAULT_RESUME_FILE ")"},
    {"--retries", NULL, OPT_RETRIES, "N", "extra probes for pairs with no answer (1)"},
    {"--seed", NULL, OPT_SEED, "N", "seed of the probe order and cookies (random)"},
    {"--shard", NULL, OPT_SHARD, "I/N", "scan only shard I of N (1-based); shards never overlap"},
    {"--source-ip", "-S", OPT_SOURCE_IP, "ADDR", "source address of the probes"},
    {"--syn", "-sS", OPT_SYN, NULL, "stateless SYN mode (needs root or CAP_NET_RAW)"},
    {"--timeout", NULL, OPT_TIMEOUT, "SECONDS", "connect mode: one attempt's timeout (1)"},
    {"--wait", NULL, OPT_WAIT, "SECONDS", "wait for answers after the last probe (1)"},
    {"-o", NULL, OPT_OUTPUT, "FILE", "write vigie's scan XML to FILE"},
    {"-oX", NULL, OPT_OUTPUT_NMAP, "FILE", "write nmap-compatible XML to FILE"},
    {"--quiet", "-q", OPT_QUIET, NULL, "print errors only"},
    {"--verbose", "-v", OPT_VERBOSE, NULL, "say more"},
    CMD_TARGET_OPTIONS,
    CMD_SERVICE_OPTIONS,
};
#define SCAN_OPTION_COUNT (sizeof scan_options / sizeof scan_options[0])

static void scan_usage(FILE *out) {
  fprintf(out,
          "Usage: vigie scan [OPTIONS] TARGET...\n"
          "\n"
          "Find which TCP ports of TARGET are open, closed or filtered. SYN mode sends\n"
          "stateless probes from a raw socket and needs root or CAP_NET_RAW; without\n"
          "it, vigie uses connect(). Without -p or --top-ports, the %d most common\n"
          "ports are scanned. Host names are resolved first (every A and AAAA address;\n"
          "exclusions still apply), and the hosts found up get a PTR query once the\n"
          "discovery ends; both go to the DNS servers of /etc/resolv.conf or\n"
          "--dns-servers, 5 s a try, 2 tries. Then the service stage looks at each\n"
          "open port (protocol exchanges, banners, TLS) unless --no-services is given,\n"
          "and the exposure rules (rules/exposure, or --exposure-rules DIR) turn each\n"
          "port's facts into findings, written with the port; --no-services skips both.\n"
          "Ctrl-C saves every result so far and a resume point.\n"
          "Scan only networks you are authorised to audit.\n"
          "\n"
          "Options:\n",
          SCAN_DEFAULT_TOP_PORTS);
  cli_print_options(out, scan_options, SCAN_OPTION_COUNT);
}

/* Everything the command gathers before the engine runs. */
typedef struct scan_job {
  cmd_target_args in;
  scan_config cfg;
  scan_space space;
  bool space_ready;
  bool seed_given;
  bool allow_internet;
  bool jsonl;
  bool no_ptr;
  const char *output;
  const char *output_nmap;
  const char *resume;
  const char *resume_file;
  const char *source_text;
  unsigned targets_given; /* positional targets on this command line */
  char *args;             /* the command line, for the record */
  int argc;               /* the arguments saved for --resume (borrowed) */
  char **argv;
  vigie_log *log;
  bool no_services;
  cmd_svc_args svc;
} scan_job;

/* ----------------------------------------------------------- parsing */

static vigie_status parse_seconds(const char *option, const char *text, double max, double *out,
                                  vigie_error *err) {
  char *end = NULL;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || *end != '\0' || errno != 0 || !(v >= 0 && v <= max))
    return vigie_fail(err, VIGIE_EUSAGE, "%s \"%s\": expected seconds between 0 and %g", option,
                      text, max);
  *out = v;
  return VIGIE_OK;
}

static vigie_status parse_shard(const char *text, scan_config *cfg, vigie_error *err) {
  unsigned long i = 0, n = 0;
  char extra;
  if (sscanf(text, "%lu/%lu%c", &i, &n, &extra) != 2 || n == 0 || n > 65535 || i == 0 || i > n)
    return vigie_fail(err, VIGIE_EUSAGE,
                      "--shard \"%s\": expected I/N with 1 <= I <= N <= 65535, e.g. 2/4", text);
  cfg->shard_index = (uint32_t)(i - 1);
  cfg->shard_count = (uint32_t)n;
  return VIGIE_OK;
}

static vigie_status parse_seed(const char *text, uint64_t *seed, vigie_error *err) {
  char *end = NULL;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 0);
  if (text[0] == '-' || end == text || *end != '\0' || errno != 0)
    return vigie_fail(err, VIGIE_EUSAGE, "--seed \"%s\": expected an unsigned 64-bit number", text);
  *seed = v;
  return VIGIE_OK;
}

static vigie_status parse_source(const char *text, vigie_addr *addr, vigie_error *err) {
  vigie_targets *t = vigie_targets_new();
  if (t == NULL) return vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  vigie_targets_set_exclude_reserved(t, false);
  vigie_status status = vigie_targets_add(t, text, err);
  if (status == VIGIE_OK) status = vigie_targets_finalize(t, err);
  if (status == VIGIE_OK && (vigie_targets_count4(t) + vigie_targets_count6(t) != 1 ||
                             !vigie_targets_at(t, 0, addr)))
    status = vigie_fail(err, VIGIE_EUSAGE, "--source-ip \"%s\": expected one IPv4 or IPv6 address", text);
  vigie_targets_free(t);
  return status;
}

static vigie_status scan_uint_option(const char *name, const char *v, unsigned long max,
                                     unsigned *out, vigie_error *err) {
  unsigned long n = 0;
  vigie_status status = cli_parse_uint(name, v, 0, max, &n, err);
  if (status == VIGIE_OK) *out = (unsigned)n;
  return status;
}

/* One engine option; \return VIGIE_EINVAL when id is not one of them. */
static vigie_status scan_engine_option(scan_job *job, int id, const char *v, vigie_error *err) {
  scan_config *cfg = &job->cfg;
  switch (id) {
  case OPT_RATE: {
    vigie_status status = parse_seconds("--rate", v, 100e6, &cfg->rate, err);
    if (status != VIGIE_OK) vigie_fail(err, VIGIE_EUSAGE, "--rate \"%s\": expected probes per second (0-100000000)", v);
    return status;
  }
  case OPT_RETRIES: return scan_uint_option("--retries", v, 20, &cfg->retries, err);
  case OPT_WAIT: return parse_seconds("--wait", v, 3600, &cfg->wait_s, err);
  case OPT_TIMEOUT: return parse_seconds("--timeout", v, 3600, &cfg->timeout_s, err);
  case OPT_MAX_INFLIGHT: return scan_uint_option("--max-inflight", v, 1000000, &cfg->max_inflight, err);
  case OPT_MAX_PER_HOST: return scan_uint_option("--max-per-host", v, 1000000, &cfg->max_per_host, err);
  case OPT_SHARD: return parse_shard(v, cfg, err);
  case OPT_SEED: job->seed_given = true; return parse_seed(v, &cfg->seed, err);
  case OPT_SOURCE_IP: job->source_text = v; return parse_source(v, &cfg->source, err);
  case OPT_INTERFACE: cfg->interface = v; return VIGIE_OK;
  case OPT_CONNECT: cfg->mode = SCAN_MODE_CONNECT; return VIGIE_OK;
  case OPT_SYN: cfg->mode = SCAN_MODE_SYN; return VIGIE_OK;
  default: return VIGIE_EINVAL;
  }
}

static int scan_parse(int argc, char **argv, cmd_ctx *ctx, scan_job *job, vigie_error *err) {
  cli_parser p;
  cli_init(&p, argc, argv, scan_options, SCAN_OPTION_COUNT);
  const char *v = NULL;
  vigie_status status = VIGIE_OK;
  for (int id; status == VIGIE_OK && (id = cli_next(&p, &v, err)) != CLI_END;) {
    job->targets_given += id == CLI_POSITIONAL;
    if (cmd_target_option(&job->in, id, v, &status, err)) continue;
    if (cmd_svc_option(&job->svc, id, v, &status, err)) continue;
    if ((status = scan_engine_option(job, id, v, err)) != VIGIE_EINVAL) continue;
    status = VIGIE_OK;
    switch (id) {
    case CLI_ERROR: return VIGIE_EXIT_USAGE;
    case OPT_HELP: scan_usage(stdout); return -1;
    case OPT_OUTPUT: job->output = v; break;
    case OPT_OUTPUT_NMAP: job->output_nmap = v; break;
    case OPT_JSONL: job->jsonl = true; break;
    case OPT_NO_PTR: job->no_ptr = true; break;
    case OPT_RESUME: job->resume = v; break;
    case OPT_RESUME_FILE: job->resume_file = v; break;
    case OPT_ALLOW_INTERNET: job->allow_internet = true; break;
    case OPT_NO_SERVICES: job->no_services = true; break;
    case OPT_VERBOSE: cmd_adjust_verbosity(ctx, +1); break;
    case OPT_QUIET: ctx->log->level = VIGIE_LOG_QUIET; break;
    default: return vigie_fail(err, VIGIE_EINVAL, "unhandled option"), VIGIE_EXIT_SOFTWARE;
    }
  }
  return status == VIGIE_OK ? VIGIE_EXIT_OK : cli_exit_code(status);
}

/* ----------------------------------------------------------- checking */

/* Half the address space or more is the internet, not a perimeter. */
static vigie_status scan_check_size(const scan_job *job, vigie_error *err) {
  vigie_u128 n4 = vigie_targets_count4(job->in.targets), n6 = vigie_targets_count6(job->in.targets);
  if (job->allow_internet) return VIGIE_OK;
  if (n4 >= ((vigie_u128)1 << 31) || n6 >= ((vigie_u128)1 << 127))
    return vigie_fail(err, VIGIE_EUSAGE,
                      "the targets cover half the address space or more (0.0.0.0/0 or ::/0?); "
                      "add --allow-internet if that is really meant");
  return VIGIE_OK;
}

static vigie_status scan_pick_mode(scan_job *job, vigie_error *err) {
  bool raw = scan_raw_allowed();
  if (job->cfg.mode == SCAN_MODE_SYN && !raw)
    return vigie_fail(err, VIGIE_EPERM,
                      "--syn needs raw sockets: run as root or give vigie CAP_NET_RAW, "
                      "or use --connect");
  if (job->cfg.mode == SCAN_MODE_AUTO) {
    job->cfg.mode = raw ? SCAN_MODE_SYN : SCAN_MODE_CONNECT;
    if (!raw) vigie_log_info(job->log, "no raw-socket permission: using connect() mode");
  }
  return VIGIE_OK;
}

static uint64_t random_seed(void) {
  uint64_t seed = 0;
  if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
    seed = (uint64_t)time(NULL) * 6364136223846793005ull ^ (uint64_t)getpid();
  return seed;
}

/* ----------------------------------------------------------- signals */


/* ----------------------------------------------------------- outputs */

/* JSON lines go out as found, but a flush per line would cost a system
 * call per result on a million-result scan: a terminal gets every line at
 * once, a pipe or file at least every 100 ms (and whenever the buffer fills). */
typedef struct jsonl_sink {
  FILE *out;
  bool tty;
  bool hold_open; /* open ports wait for their service */
  uint64_t last_flush_ns;
  const scan_names *names; /* the targets' names, sorted before the engine starts */
} jsonl_sink;

static void scan_print_jsonl(const scan_result *r, void *user) {
  jsonl_sink *sink = user;
  if (sink->hold_open && r->state == SCAN_STATE_OPEN) return;
  if (scan_output_jsonl_named(sink->out, r, sink->names) != VIGIE_OK) return;
  uint64_t now = scan_now_ns();
  if (sink->tty || now - sink->last_flush_ns >= 100000000ull) {
    fflush(sink->out);
    sink->last_flush_ns = now;
  }
}

typedef vigie_status (*scan_writer)(FILE *, const scan_meta *, const scan_result_source *,
                                    vigie_error *);

static vigie_status scan_write_file(const char *path, scan_writer write, const scan_meta *meta,
                                    const scan_result_source *results, vigie_error *err) {
  vigie_afile *f = NULL;
  vigie_status status = vigie_afile_open(path, &f, err);
  if (status != VIGIE_OK) return status;
  status = write(vigie_afile_stream(f), meta, results, err);
  if (status != VIGIE_OK) {
    vigie_afile_abort(f);
    return status;
  }
  return vigie_afile_commit(f, err);
}

static int64_t scan_wall_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void scan_summary(const scan_job *job, const scan_stats *stats, const scan_store *store) {
  scan_tally t;
  scan_store_tally(store, &t);
  double rate = stats->elapsed_s > 0 ? (double)stats->sent / stats->elapsed_s : 0;
  vigie_log_info(job->log,
                 "%s scan %s: %llu probes in %.2f s (%.0f/s); %zu hosts up: %zu open, %zu closed, "
                 "%zu filtered%s",
                 job->cfg.mode == SCAN_MODE_SYN ? "SYN" : "connect",
                 stats->interrupted ? "interrupted" : "done", (unsigned long long)stats->sent,
                 stats->elapsed_s, rate, t.hosts_up, t.open, t.closed, t.filtered,
                 stats->pcap_dropped ? " (libpcap dropped packets: lower --rate)" : "");
}

/* The store is sealed first: its results sorted where they lie and read
 * one at a time, where a sorted copy would add 48 bytes a result (48 MiB on
 * top of the store's 32 at a million). It takes no more results after. */
static vigie_status scan_write_outputs(scan_job *job, const scan_meta *meta, scan_store *store,
                                       bool interrupted, vigie_error *err) {
  vigie_status status = VIGIE_OK;
  scan_summary(job, meta->stats, store);
  /* Sorting a million results takes a quarter of a second: only for files. */
  if (job->output == NULL && job->output_nmap == NULL && !interrupted) return VIGIE_OK;
  scan_store_seal(store);
  scan_result_source results = scan_source_store(store);
  if (job->output != NULL)
    status = scan_write_file(job->output, scan_output_xml, meta, &results, err);
  if (status == VIGIE_OK && job->output_nmap != NULL)
    status = scan_write_file(job->output_nmap, scan_output_nmap, meta, &results, err);
  if (status == VIGIE_OK && interrupted) {
    const char *path = job->resume_file ? job->resume_file : SCAN_DEFAULT_RESUME_FILE;
    status = scan_write_file(path, scan_output_xml, meta, &results, err);
    if (status == VIGIE_OK)
      vigie_log_warn(job->log, "interrupted: %zu results and the resume point saved in %s; "
                               "finish with: vigie scan --resume %s", results.count, path, path);
  }
  return status;
}

/* The most results reserved before a scan: 2^20, 32 MiB of IPv4 slots (64
 * of IPv6). A scan rarely answers on every probe: a sparse scan of a large
 * space (a /8 on 100 ports is 1.6 billion probes) must not reserve a slot per
 * probe, most of which stay empty; past the cap the tables grow as needed,
 * as before. */
#define SCAN_RESERVE_MAX (UINT64_C(1) << 20)

/* Size the store once for every result the engine may add (each probe of
 * this shard answered, filtered fill included), up to SCAN_RESERVE_MAX: the
 * tables then never double during the scan, which would hold the old and
 * the new table at once. A resumed scan's saved results are part of it. */
static vigie_status scan_reserve(const scan_job *job, scan_store *store, vigie_error *err) {
  const scan_space *sp = &job->space;
  uint64_t shards = job->cfg.shard_count > 0 ? job->cfg.shard_count : 1;
  uint64_t probes4 = vigie_targets_count4(sp->targets) * sp->port_count; /* < 2^48 */
  uint64_t probes6 = sp->range - probes4;
  uint64_t n4 = (probes4 + shards - 1) / shards, n6 = (probes6 + shards - 1) / shards;
  if (n4 > SCAN_RESERVE_MAX) n4 = SCAN_RESERVE_MAX;
  if (n6 > SCAN_RESERVE_MAX - n4) n6 = SCAN_RESERVE_MAX - n4;
  if (scan_store_reserve(store, (size_t)n4, (size_t)n6) != VIGIE_OK)
    return vigie_fail(err, VIGIE_ENOMEM, "out of memory making room for %llu results",
                      (unsigned long long)(n4 + n6));
  return VIGIE_OK;
}

/* The service stage on the open ports discovery found: the store is sealed
 * for it (no result comes after discovery). \return its status; *stopped
 * when Ctrl-C cut it short. */
static vigie_status scan_services_stage(scan_job *job, scan_store *store, scan_services *services,
                                        volatile sig_atomic_t *stop, bool *stopped,
                                        vigie_error *err) {
  cmd_svc_jsonl jsonl = {.out = job->jsonl ? stdout : NULL};
  scan_svc_stats stats = {0};
  scan_store_seal(store);
  vigie_status status = cmd_svc_from_store(store, job->in.names, services, err);
  jsonl.names = job->in.names;
  if (status == VIGIE_OK && job->jsonl) status = cmd_svc_jsonl_init(&jsonl, store, err);
  if (status == VIGIE_OK && scan_services_count(services) > 0)
    status = cmd_svc_run(&job->svc, services, job->jsonl ? &jsonl : NULL, stop, job->log, &stats, err);
  *stopped = stats.interrupted;
  if (job->jsonl) cmd_svc_jsonl_rest(&jsonl);
  cmd_svc_jsonl_free(&jsonl);
  return status;
}

/* The addresses that answered, each once, from the sealed store. */
static vigie_addr *scan_live_addresses(const scan_store *store, size_t *count) {
  size_t total = scan_store_count(store), n = 0;
  vigie_addr *addrs = vigie_malloc((total ? total : 1) * sizeof *addrs);
  scan_result r;
  if (addrs == NULL) return NULL;
  for (size_t i = 0; i < total; i++) {
    scan_store_result_at(store, i, &r);
    bool same = n > 0 && addrs[n - 1].family == r.addr.family &&
                (r.addr.family == AF_INET ? addrs[n - 1].v4 == r.addr.v4
                                          : addrs[n - 1].v6 == r.addr.v6);
    if (!same && scan_store_host_up(store, &r.addr)) addrs[n++] = r.addr;
  }
  *count = n;
  return addrs;
}

/* After discovery, a PTR query for every live address, for the files only
 * (JSON lines are already out). A failure here loses no result: it is a
 * warning, and the files are written without the names. Ctrl-C stops it. */
static void scan_reverse(scan_job *job, scan_store *store, volatile sig_atomic_t *stop) {
  size_t count = 0, failed = 0;
  vigie_error err = {0};
  scan_dns *dns = NULL;
  scan_store_seal(store);
  vigie_addr *addrs = scan_live_addresses(store, &count);
  if (job->in.names == NULL) job->in.names = scan_names_new();
  scan_dns_options opt = cmd_dns_options(&job->in, job->log);
  vigie_status status = addrs == NULL || job->in.names == NULL
                            ? vigie_fail(&err, VIGIE_ENOMEM, "out of memory")
                            : scan_dns_new(&opt, &dns, &err);
  if (status == VIGIE_OK && count > 0) {
    vigie_log_verbose(job->log, "PTR queries for %zu hosts up (DNS server %s)", count,
                      scan_dns_servers(dns));
    status = scan_dns_reverse_all(dns, addrs, count, job->in.names, stop, &failed, &err);
  }
  if (status != VIGIE_OK) vigie_log_warn(job->log, "no PTR names: %s", vigie_error_text(&err));
  else if (count > 0)
    vigie_log_verbose(job->log, "PTR: %zu of %zu hosts have a name", count - failed, count);
  scan_dns_free(dns);
  vigie_free(addrs);
  scan_names_sort(job->in.names);
}

/* JSON lines of the open ports held for a service stage that did not run
 * (discovery interrupted). */
static void scan_print_open(scan_store *store, jsonl_sink *sink) {
  scan_result r;
  sink->hold_open = false;
  scan_store_seal(store);
  for (size_t i = 0; i < scan_store_count(store); i++) {
    scan_store_result_at(store, i, &r);
    if (r.state == SCAN_STATE_OPEN) scan_print_jsonl(&r, sink);
  }
  fflush(stdout);
}

/* Run the engine and write what it found, even when interrupted. */
static int scan_execute(scan_job *job, cmd_ctx *ctx, scan_store *store, vigie_error *err) {
  volatile sig_atomic_t stop = 0;
  scan_stats stats = {0};
  bool services_on = !job->no_services, svc_stopped = false;
  jsonl_sink sink = {stdout, isatty(STDOUT_FILENO) == 1, services_on, scan_now_ns(),
                     job->in.names};
  scan_services *services = services_on ? scan_services_new() : NULL;
  vigie_status status = services_on && services == NULL ? VIGIE_ENOMEM : scan_reserve(job, store, err);
  /* Probes and exposure rules are read before any packet: a broken file
   * stops the scan now rather than after the discovery. */
  if (status == VIGIE_OK && services_on) status = cmd_svc_prepare(&job->svc, ctx->log, err);
  if (status != VIGIE_OK) {
    scan_services_free(services);
    return cli_exit_code(status);
  }
  job->cfg.stop = &stop;
  job->cfg.log = ctx->log;
  if (job->jsonl) job->cfg.on_result = scan_print_jsonl, job->cfg.user = &sink;
  scan_meta meta = {.args = job->args, .argc = job->argc, .argv = job->argv,
                    .mode = job->cfg.mode, .start_us = scan_wall_us(),
                    .space = &job->space, .stats = &stats, .seed = job->cfg.seed,
                    .shard_index = job->cfg.shard_index, .shard_count = job->cfg.shard_count,
                    .services = services};
  cmd_stop_on_signals(&stop, true);
  status = job->cfg.mode == SCAN_MODE_SYN ? scan_run_syn(&job->cfg, store, &stats, err)
                                            : scan_run_connect(&job->cfg, store, &stats, err);
  if (job->jsonl) fflush(stdout);
  /* An interrupted discovery goes straight to its resume file: the service
   * stage runs on a finished one (a resumed run does it then). */
  if (status == VIGIE_OK && services_on && !stats.interrupted)
    status = scan_services_stage(job, store, services, &stop, &svc_stopped, err);
  else if (services_on && job->jsonl)
    scan_print_open(store, &sink);
  if (status == VIGIE_OK && !stats.interrupted && !stop && !job->in.no_dns && !job->no_ptr &&
      (job->output != NULL || job->output_nmap != NULL))
    scan_reverse(job, store, &stop);
  cmd_stop_on_signals(&stop, false);
  meta.names = job->in.names;
  meta.end_us = scan_wall_us();
  vigie_error out_err = {0};
  /* Whatever the engine said, what it found is written: never a lost result. */
  vigie_status out = scan_write_outputs(job, &meta, store, stats.interrupted || status != VIGIE_OK,
                                        &out_err);
  scan_services_free(services);
  if (status != VIGIE_OK) return cli_exit_code(status);
  if (out != VIGIE_OK) {
    *err = out_err;
    return cli_exit_code(out);
  }
  return stats.interrupted || svc_stopped ? VIGIE_EXIT_INCOMPLETE : VIGIE_EXIT_OK;
}

/* The command line as one string, for the outputs' record. */
static char *scan_join_args(int argc, char **argv) {
  size_t len = sizeof "vigie scan";
  for (int i = 0; i < argc; i++) len += strlen(argv[i]) + 1;
  char *s = vigie_malloc(len);
  if (s == NULL) return NULL;
  size_t at = sizeof "vigie scan" - 1;
  memcpy(s, "vigie scan", at);
  for (int i = 0; i < argc; i++) {
    size_t n = strlen(argv[i]);
    s[at++] = ' ';
    memcpy(s + at, argv[i], n);
    at += n;
  }
  s[at] = '\0';
  return s;
}

static vigie_status scan_prepare(scan_job *job, vigie_error *err) {
  size_t names = 0;
  const char *const *name = vigie_targets_names(job->in.targets, &names);
  if (names > 0 && job->in.no_dns)
    return vigie_fail(err, VIGIE_EUSAGE, "host name \"%s\" given with -n, which forbids DNS: "
                      "give addresses or drop -n", name[0]);
  vigie_status status =
      cmd_target_args_finish(&job->in, SCAN_DEFAULT_TOP_PORTS, job->log, err);
  if (status == VIGIE_OK) status = scan_check_size(job, err);
  if (status == VIGIE_OK) status = scan_space_init(&job->space, job->in.targets, &job->in.ports, err);
  if (status != VIGIE_OK) return status;
  job->space_ready = true;
  if (!job->seed_given) job->cfg.seed = random_seed();
  job->cfg.space = &job->space;
  return scan_pick_mode(job, err);
}

static void scan_job_defaults(scan_job *job, cmd_ctx *ctx) {
  memset(job, 0, sizeof *job);
  cmd_svc_args_init(&job->svc);
  job->log = ctx->log;
  job->cfg.rate = SCAN_DEFAULT_RATE;
  job->cfg.retries = 1;
  job->cfg.wait_s = 1.0;
  job->cfg.timeout_s = 1.0;
  job->cfg.shard_count = 1;
}

/* --resume FILE: the saved arguments first, then this command line's
 * options on top (new outputs, another rate); the saved seed, shard and
 * mode, so the probe order and cookies are the same; the saved results in
 * the store, so the outputs hold the whole scan. */
static int scan_resume(int argc, char **argv, cmd_ctx *ctx, scan_job *job, scan_store *store,
                       scan_saved *saved, vigie_error *err) {
  const char *path = job->resume;
  if (job->targets_given > 0)
    return vigie_fail(err, VIGIE_EUSAGE, "--resume takes the targets from %s: give no TARGET", path),
           VIGIE_EXIT_USAGE;
  char *xsd = vigie_data_path("scan.xsd", err);
  if (xsd == NULL) return cli_exit_code(err->status);
  vigie_status status = scan_input_xml(path, xsd, store, saved, err);
  vigie_free(xsd);
  if (status != VIGIE_OK) return cli_exit_code(status);
  if (saved->argc == 0)
    return vigie_fail(err, VIGIE_EUSAGE, "%s: no saved arguments to resume from", path),
           VIGIE_EXIT_USAGE;
  cmd_target_args_free(&job->in);
  scan_job_defaults(job, ctx);
  if (cmd_target_args_init(&job->in, err) != VIGIE_OK) return VIGIE_EXIT_OSERR;
  /* The parser skips argv[0], the command's name. */
  char **full = vigie_calloc((size_t)saved->argc + 2, sizeof *full);
  if (full == NULL) return VIGIE_EXIT_OSERR;
  full[0] = argv[0];
  memcpy(full + 1, saved->argv, (size_t)saved->argc * sizeof *full);
  int rc = scan_parse(saved->argc + 1, full, ctx, job, err);
  vigie_free(full);
  if (rc == VIGIE_EXIT_OK) rc = scan_parse(argc, argv, ctx, job, err);
  if (rc != VIGIE_EXIT_OK) return rc < 0 ? VIGIE_EXIT_USAGE : rc;
  job->resume = path;
  job->cfg.seed = saved->seed, job->seed_given = true;
  job->cfg.shard_index = saved->shard_index, job->cfg.shard_count = saved->shard_count;
  job->cfg.mode = saved->mode;
  job->cfg.resume_from = saved->next_position;
  job->argc = saved->argc, job->argv = saved->argv;
  vigie_log_info(ctx->log, "resuming %s at probe %llu of %llu with %zu results", path,
                 (unsigned long long)saved->next_position, (unsigned long long)saved->range,
                 scan_store_count(store));
  return VIGIE_EXIT_OK;
}

/* A resumed scan keeps the names its file held (PTR names of hosts found
 * before the interruption) beside the ones resolved again now. */
static vigie_status scan_keep_saved_names(scan_job *job, const scan_saved *saved,
                                          vigie_error *err) {
  if (job->in.names == NULL) job->in.names = scan_names_new();
  if (job->in.names == NULL || scan_names_merge(job->in.names, saved->names) != VIGIE_OK)
    return vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  scan_names_sort(job->in.names);
  return VIGIE_OK;
}

static int scan_run(int argc, char **argv, cmd_ctx *ctx) {
  vigie_error err = {0};
  scan_job job;
  scan_saved saved = {0};
  scan_store *store = scan_store_new();
  scan_job_defaults(&job, ctx);
  int rc = VIGIE_EXIT_OSERR;
  if (store == NULL || cmd_target_args_init(&job.in, &err) != VIGIE_OK) goto done;
  rc = scan_parse(argc, argv, ctx, &job, &err);
  if (rc < 0) {
    rc = VIGIE_EXIT_OK; /* --help */
    goto done;
  }
  job.argc = argc - 1, job.argv = argv + 1;
  if (rc == VIGIE_EXIT_OK && job.resume != NULL)
    rc = scan_resume(argc, argv, ctx, &job, store, &saved, &err);
  if (rc != VIGIE_EXIT_OK) goto done;
  rc = VIGIE_EXIT_OSERR;
  job.args = scan_join_args(job.argc, job.argv);
  if (job.args == NULL) goto done;
  vigie_status status = scan_prepare(&job, &err);
  if (status == VIGIE_OK && job.resume != NULL && job.space.range != saved.range)
    status = vigie_fail(&err, VIGIE_EUSAGE,
                        "%s: the targets or ports no longer give the saved scan (%llu probes "
                        "then, %llu now): was an -iL or exclude file changed?",
                        job.resume, (unsigned long long)saved.range,
                        (unsigned long long)job.space.range);
  if (status == VIGIE_OK && saved.names != NULL && scan_names_count(saved.names) > 0)
    status = scan_keep_saved_names(&job, &saved, &err);
  rc = status == VIGIE_OK ? scan_execute(&job, ctx, store, &err) : cli_exit_code(status);
done:
  if (rc == VIGIE_EXIT_OSERR && err.status == VIGIE_OK) vigie_fail(&err, VIGIE_ENOMEM, "out of memory");
  if (rc != VIGIE_EXIT_OK && rc != VIGIE_EXIT_INCOMPLETE)
    vigie_log_error(ctx->log, "%s", vigie_error_text(&err));
  scan_store_free(store);
  if (job.space_ready) scan_space_free(&job.space);
  vigie_free(job.args);
  cmd_target_args_free(&job.in);
  cmd_svc_args_free(&job.svc);
  scan_saved_free(&saved);
  return rc;
}

const cmd_desc cmd_scan = {
    .name = "scan",
    .summary = "find open, closed and filtered TCP ports (SYN or connect)",
    .run = scan_run,
    .usage = scan_usage,
};
