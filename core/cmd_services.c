/* vigie services: the service stage alone, on a given list of HOST:PORT
 * (arguments or -iL), or on the open ports of a scan XML (--from), when
 * discovery ran elsewhere or earlier. Writes the same outputs as vigie scan,
 * each port "open" as the list says. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/cmd.h"

#define SV_LINE_MAX 1024

enum {
  OPT_HELP = 1,
  OPT_INPUT_LIST,
  OPT_FROM,
  OPT_OUTPUT,
  OPT_OUTPUT_NMAP,
  OPT_JSONL,
  OPT_VERBOSE,
  OPT_QUIET
};

static const cli_option sv_options[] = {
    {"--from", NULL, OPT_FROM, "FILE", "the open ports of a vigie scan XML (vigie scan -o)"},
    {"--help", "-h", OPT_HELP, NULL, "show this help and exit"},
    {"--jsonl", NULL, OPT_JSONL, NULL, "print one JSON object per port on stdout, as done"},
    {"-iL", NULL, OPT_INPUT_LIST, "FILE",
     "read HOST:PORT lines from FILE ('-' for standard input)"},
    {"-o", NULL, OPT_OUTPUT, "FILE", "write vigie's scan XML to FILE"},
    {"-oX", NULL, OPT_OUTPUT_NMAP, "FILE", "write nmap-compatible XML to FILE"},
    {"--quiet", "-q", OPT_QUIET, NULL, "print errors only"},
    {"--verbose", "-v", OPT_VERBOSE, NULL, "say more"},
    CMD_SERVICE_OPTIONS,
};
#define SV_OPTION_COUNT (sizeof sv_options / sizeof sv_options[0])

static void sv_usage(FILE *out) {
  fprintf(out,
          "Usage: vigie services [OPTIONS] HOST:PORT...\n"
          "       vigie services [OPTIONS] -iL FILE | --from SCAN.xml\n"
          "\n"
          "Run only the service stage (protocol exchanges, banners, TLS) on the given\n"
          "ports: 198.18.0.10:443, [2001:2::10]:22, or a name (web.example:443, resolved\n"
          "here, the name kept for SNI and Host:). The exposure rules (rules/exposure,\n"
          "or --exposure-rules DIR) then turn each port's facts into findings. Scan\n"
          "only networks you are authorised to audit.\n"
          "\n"
          "Options:\n");
  cli_print_options(out, sv_options, SV_OPTION_COUNT);
}

typedef struct sv_job {
  cmd_svc_args svc;
  scan_services *services;
  scan_names *names; /* the names given, for the outputs' hostnames */
  scan_store *store;
  const char *from, *output, *output_nmap;
  bool jsonl;
  vigie_log *log;
} sv_job;

/* ---------------------------------------------------------- HOST:PORT */

static void sv_addr_of(const struct sockaddr *sa, vigie_addr *a) {
  memset(a, 0, sizeof *a);
  a->family = sa->sa_family;
  if (sa->sa_family == AF_INET) {
    a->v4 = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
    return;
  }
  const uint8_t *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
  for (int i = 0; i < 16; i++) a->v6 = a->v6 << 8 | b[i];
}

/* Split "host:port", "[v6]:port"; host points into buf. */
static bool sv_split(char *buf, char **host, unsigned long *port) {
  char *colon = strrchr(buf, ':'), *end = NULL;
  if (colon == NULL || colon == buf) return false;
  *colon = '\0';
  errno = 0;
  *port = strtoul(colon + 1, &end, 10);
  if (colon[1] == '\0' || *end != '\0' || errno != 0 || *port == 0 || *port > 65535) return false;
  *host = buf;
  if (buf[0] == '[') {
    size_t n = strlen(buf);
    if (n < 3 || buf[n - 1] != ']') return false;
    buf[n - 1] = '\0';
    *host = buf + 1;
  } else if (strchr(buf, ':') != NULL) {
    return false; /* an IPv6 address needs its brackets */
  }
  return true;
}

/* One HOST:PORT: every address the host gives, the name kept when it was
 * one (getaddrinfo: a literal never touches the network). */
static vigie_status sv_add(sv_job *job, const char *text, vigie_error *err) {
  char buf[SV_LINE_MAX], *host;
  unsigned long port;
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
  if (strlen(text) >= sizeof buf)
    return vigie_fail(err, VIGIE_EUSAGE, "\"%.40s...\": too long", text);
  memcpy(buf, text, strlen(text) + 1);
  if (!sv_split(buf, &host, &port))
    return vigie_fail(err, VIGIE_EUSAGE, "\"%s\": expected HOST:PORT ([IPv6]:PORT)", text);
  int rc = getaddrinfo(host, NULL, &hints, &res);
  if (rc != 0) return vigie_fail(err, VIGIE_EUSAGE, "\"%s\": %s", host, gai_strerror(rc));
  unsigned char probe[16];
  bool literal = inet_pton(AF_INET, host, probe) == 1 || inet_pton(AF_INET6, host, probe) == 1;
  vigie_status status = VIGIE_OK;
  for (const struct addrinfo *ai = res; ai != NULL && status == VIGIE_OK; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    vigie_addr a;
    sv_addr_of(ai->ai_addr, &a);
    status = scan_services_add(job->services, &a, (uint16_t)port, literal ? NULL : host);
    if (status == VIGIE_OK && !literal) status = scan_names_add(job->names, &a, host, SCAN_NAME_TARGET);
  }
  freeaddrinfo(res);
  if (status != VIGIE_OK) return vigie_fail(err, status, "out of memory");
  return VIGIE_OK;
}

/* -iL: one HOST:PORT per line or blank-separated, '#' comments. */
static vigie_status sv_add_file(sv_job *job, const char *path, vigie_error *err) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
  char line[SV_LINE_MAX];
  vigie_status status = VIGIE_OK;
  if (f == NULL) return vigie_fail(err, VIGIE_EUSAGE, "%s: %s", path, strerror(errno));
  for (unsigned long n = 1; status == VIGIE_OK && fgets(line, sizeof line, f) != NULL; n++) {
    char *hash = strchr(line, '#'), *save = NULL;
    if (hash != NULL) *hash = '\0';
    for (char *tok = strtok_r(line, " \t\r\n,", &save); tok != NULL && status == VIGIE_OK;
         tok = strtok_r(NULL, " \t\r\n,", &save))
      if ((status = sv_add(job, tok, err)) != VIGIE_OK)
        vigie_fail(err, status, "%s:%lu: %s", path, n, vigie_error_text(err));
  }
  if (f != stdin) fclose(f);
  return status;
}

/* --from: the open ports of a scan XML, with the names it gives their
 * addresses (its facts are dropped: this run finds them again). */
static vigie_status sv_add_from(sv_job *job, const char *path, vigie_error *err) {
  scan_saved saved = {0};
  scan_store *store = scan_store_new();
  char *xsd = vigie_data_path("scan.xsd", err);
  vigie_status status = store == NULL ? VIGIE_ENOMEM : xsd == NULL ? err->status : VIGIE_OK;
  if (status == VIGIE_OK) status = scan_input_xml(path, xsd, store, &saved, err);
  if (status == VIGIE_OK) {
    scan_store_seal(store);
    scan_names_sort(saved.names);
    status = cmd_svc_from_store(store, saved.names, job->services, err);
  }
  if (status == VIGIE_OK && saved.names != NULL &&
      scan_names_merge(job->names, saved.names) != VIGIE_OK)
    status = vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  scan_saved_free(&saved);
  scan_store_free(store);
  vigie_free(xsd);
  return status;
}

/* --------------------------------------------------------------- parsing */

static int sv_parse(int argc, char **argv, cmd_ctx *ctx, sv_job *job, vigie_error *err) {
  cli_parser p;
  cli_init(&p, argc, argv, sv_options, SV_OPTION_COUNT);
  const char *v = NULL;
  vigie_status status = VIGIE_OK;
  for (int id; status == VIGIE_OK && (id = cli_next(&p, &v, err)) != CLI_END;) {
    if (cmd_svc_option(&job->svc, id, v, &status, err)) continue;
    switch (id) {
      case CLI_ERROR: return VIGIE_EXIT_USAGE;
      case CLI_POSITIONAL: status = sv_add(job, v, err); break;
      case OPT_HELP: sv_usage(stdout); return -1;
      case OPT_INPUT_LIST: status = sv_add_file(job, v, err); break;
      case OPT_FROM: job->from = v; break;
      case OPT_OUTPUT: job->output = v; break;
      case OPT_OUTPUT_NMAP: job->output_nmap = v; break;
      case OPT_JSONL: job->jsonl = true; break;
      case OPT_VERBOSE: cmd_adjust_verbosity(ctx, +1); break;
      case OPT_QUIET: ctx->log->level = VIGIE_LOG_QUIET; break;
      default: return vigie_fail(err, VIGIE_EINVAL, "unhandled option"), VIGIE_EXIT_SOFTWARE;
    }
  }
  if (status == VIGIE_OK && job->from != NULL) status = sv_add_from(job, job->from, err);
  if (status == VIGIE_OK && scan_services_count(job->services) == 0)
    status = vigie_fail(err, VIGIE_EUSAGE, "nothing to look at: give HOST:PORT, -iL or --from");
  return status == VIGIE_OK ? VIGIE_EXIT_OK : cli_exit_code(status);
}

/* --------------------------------------------------------------- running */

static int64_t sv_wall_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The given ports as open results, so every output format can print them. */
static vigie_status sv_results(sv_job *job, vigie_error *err) {
  vigie_addr a;
  uint16_t port;
  scan_services_sort(job->services);
  for (size_t i = 0; i < scan_services_count(job->services); i++) {
    scan_services_at(job->services, i, &a, &port, NULL);
    scan_result r = {.addr = a,
                     .port = port,
                     .state = SCAN_STATE_OPEN,
                     .reason = SCAN_REASON_CONNECTED,
                     .time_us = sv_wall_us()};
    if (scan_store_add(job->store, &r, NULL) != VIGIE_OK)
      return vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  }
  scan_store_seal(job->store);
  return VIGIE_OK;
}

typedef vigie_status (*sv_writer)(FILE *, const scan_meta *, const scan_result_source *,
                                  vigie_error *);

static vigie_status sv_write(const char *path, sv_writer write, const scan_meta *meta,
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

static vigie_status sv_outputs(const sv_job *job, const scan_meta *meta, vigie_error *err) {
  scan_result_source results = scan_source_store(job->store);
  vigie_status status = VIGIE_OK;
  if (job->output != NULL) status = sv_write(job->output, scan_output_xml, meta, &results, err);
  if (status == VIGIE_OK && job->output_nmap != NULL)
    status = sv_write(job->output_nmap, scan_output_nmap, meta, &results, err);
  return status;
}


/* The command line as one string, for the outputs' record. */
static char *sv_join_args(int argc, char **argv) {
  size_t len = sizeof "vigie";
  for (int i = 0; i < argc; i++) len += strlen(argv[i]) + 1;
  char *text = vigie_malloc(len);
  if (text == NULL) return NULL;
  size_t at = sizeof "vigie" - 1;
  memcpy(text, "vigie", at);
  for (int i = 0; i < argc; i++) {
    size_t n = strlen(argv[i]);
    text[at++] = ' ';
    memcpy(text + at, argv[i], n);
    at += n;
  }
  text[at] = '\0';
  return text;
}

static int sv_execute(sv_job *job, int argc, char **argv, vigie_error *err) {
  volatile sig_atomic_t stop = 0;
  scan_svc_stats stats = {0};
  scan_stats scan = {0};
  scan_names_sort(job->names);
  cmd_svc_jsonl jsonl = {.out = stdout, .names = job->names};
  char *args = sv_join_args(argc, argv);
  vigie_status status = args != NULL ? cmd_svc_prepare(&job->svc, job->log, err) : VIGIE_ENOMEM;
  if (status == VIGIE_OK) status = sv_results(job, err);
  if (status == VIGIE_OK && job->jsonl) status = cmd_svc_jsonl_init(&jsonl, job->store, err);
  scan_meta meta = {.args = args,
                    .mode = SCAN_MODE_CONNECT,
                    .start_us = sv_wall_us(),
                    .stats = &scan,
                    .shard_count = 1,
                    .services = job->services,
                    .names = job->names};
  cmd_stop_on_signals(&stop, true);
  if (status == VIGIE_OK)
    status = cmd_svc_run(&job->svc, job->services, job->jsonl ? &jsonl : NULL, &stop, job->log,
                         &stats, err);
  cmd_stop_on_signals(&stop, false);
  meta.end_us = sv_wall_us();
  vigie_error out_err = {0};
  vigie_status out = status == VIGIE_ENOMEM ? status : sv_outputs(job, &meta, &out_err);
  if (job->jsonl) cmd_svc_jsonl_rest(&jsonl);
  cmd_svc_jsonl_free(&jsonl);
  vigie_free(args);
  if (status == VIGIE_OK && out != VIGIE_OK) *err = out_err, status = out;
  if (status != VIGIE_OK) return cli_exit_code(status);
  return stats.interrupted ? VIGIE_EXIT_INCOMPLETE : VIGIE_EXIT_OK;
}

static int sv_run(int argc, char **argv, cmd_ctx *ctx) {
  vigie_error err = {0};
  sv_job job = {.log = ctx->log};
  cmd_svc_args_init(&job.svc);
  job.services = scan_services_new();
  job.store = scan_store_new();
  job.names = scan_names_new();
  int rc = VIGIE_EXIT_OSERR;
  if (job.services == NULL || job.store == NULL || job.names == NULL) goto done;
  rc = sv_parse(argc, argv, ctx, &job, &err);
  if (rc < 0) {
    rc = VIGIE_EXIT_OK; /* --help */
    goto done;
  }
  if (rc == VIGIE_EXIT_OK) rc = sv_execute(&job, argc, argv, &err);
done:
  if (rc == VIGIE_EXIT_OSERR && err.status == VIGIE_OK)
    vigie_fail(&err, VIGIE_ENOMEM, "out of memory");
  if (rc != VIGIE_EXIT_OK && rc != VIGIE_EXIT_INCOMPLETE)
    vigie_log_error(ctx->log, "%s", vigie_error_text(&err));
  scan_services_free(job.services);
  scan_store_free(job.store);
  scan_names_free(job.names);
  cmd_svc_args_free(&job.svc);
  return rc;
}

const cmd_desc cmd_services = {
    .name = "services",
    .summary = "identify what runs on given open ports (HOST:PORT, -iL, --from)",
    .run = sv_run,
    .usage = sv_usage,
};
