/* vigie targets: expand targets, exclusions and ports the way a scan would,
 * and list them without sending a packet (like nmap -sL, with no DNS yet). */
#include <arpa/inet.h>
#include <string.h>

#include "core/cli.h"
#include "core/cmd.h"

enum {
  OPT_HELP = 1, OPT_INPUT_LIST, OPT_EXCLUDE, OPT_EXCLUDE_FILE, OPT_INCLUDE_RESERVED,
  OPT_PORTS, OPT_TOP_PORTS, OPT_COUNT, OPT_OUTPUT, OPT_VERBOSE, OPT_QUIET
};

static const cli_option targets_options[] = {
    {"--count", NULL, OPT_COUNT, NULL, "print only the counts of addresses, names, ports and probes"},
    {"--exclude", NULL, OPT_EXCLUDE, "LIST", "leave out these addresses, CIDR blocks or ranges (comma-separated)"},
    {"--excludefile", NULL, OPT_EXCLUDE_FILE, "FILE", "leave out every address of FILE"},
    {"--help", "-h", OPT_HELP, NULL, "show this help and exit"},
    {"--include-reserved", NULL, OPT_INCLUDE_RESERVED, NULL,
     "lift the built-in exclusion of reserved, documentation and multicast ranges"},
    {"--top-ports", NULL, OPT_TOP_PORTS, "N", "the N most common TCP ports (rules/ports.tsv)"},
    {"-iL", NULL, OPT_INPUT_LIST, "FILE", "read targets from FILE ('-' for standard input)"},
    {"-o", NULL, OPT_OUTPUT, "FILE", "write the list to FILE (atomically) instead of standard output"},
    {"-p", NULL, OPT_PORTS, "PORTS", "ports: 22,80,1000-2000, '-' for all, names like http"},
    {"--quiet", "-q", OPT_QUIET, NULL, "print errors only"},
    {"--verbose", "-v", OPT_VERBOSE, NULL, "say more"},
};
#define TARGETS_OPTION_COUNT (sizeof targets_options / sizeof targets_options[0])

static void targets_usage(FILE *out) {
  fprintf(out,
          "Usage: vigie targets [OPTIONS] TARGET...\n"
          "\n"
          "List the addresses a scan of TARGET would reach, after exclusions, one per\n"
          "line, then host names (resolved by the scanner). No packet is sent.\n"
          "TARGET: 198.18.0.1, 198.18.0.0/24, 198.18.0.1-198.18.0.9, 198.18.0.1-9,\n"
          "2001:2::1, 2001:2::/64, host.example.org\n"
          "\n"
          "Options:\n");
  cli_print_options(out, targets_options, TARGETS_OPTION_COUNT);
}

typedef struct targets_job {
  vigie_targets *targets;
  vigie_ports ports;
  bool ports_given;
  bool count_only;
  const char *output;
  const char *ports_spec;
  unsigned long top_ports;
} targets_job;

/* Decimal text of a 128-bit count; buf needs 40 bytes. */
static const char *u128_text(vigie_u128 v, char *buf, size_t len) {
  char tmp[40];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + (int)(v % 10));
    v /= 10;
  } while (v != 0 && n < sizeof tmp);
  size_t i = 0;
  for (; i < n && i + 1 < len; i++) buf[i] = tmp[n - 1 - i];
  buf[i] = '\0';
  return buf;
}

static vigie_status targets_add_list(vigie_targets *t, const char *list, vigie_error *err) {
  char *copy = vigie_strdup(list);
  if (copy == NULL) return vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  vigie_status status = VIGIE_OK;
  char *save = NULL;
  for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
    status = vigie_targets_exclude(t, tok, err);
    if (status != VIGIE_OK) break;
  }
  vigie_free(copy);
  return status;
}

static vigie_status targets_load_ports(targets_job *job, vigie_error *err) {
  vigie_portdb *db = NULL;
  char *path = vigie_data_path("ports.tsv", err);
  if (path == NULL) return err->status;
  vigie_status status = vigie_portdb_load(path, &db, err);
  vigie_free(path);
  if (status != VIGIE_OK) return status;
  if (job->ports_spec != NULL) status = vigie_ports_parse(&job->ports, job->ports_spec, db, err);
  if (status == VIGIE_OK && job->top_ports != 0)
    status = vigie_ports_top(&job->ports, db, (unsigned)job->top_ports, err);
  vigie_portdb_free(db);
  return status;
}

static int targets_parse(int argc, char **argv, cmd_ctx *ctx, targets_job *job,
                         vigie_error *err) {
  cli_parser p;
  cli_init(&p, argc, argv, targets_options, TARGETS_OPTION_COUNT);
  const char *v = NULL;
  vigie_status status = VIGIE_OK;
  for (int id; status == VIGIE_OK && (id = cli_next(&p, &v, err)) != CLI_END;) {
    switch (id) {
    case CLI_ERROR: return VIGIE_EXIT_USAGE;
    case CLI_POSITIONAL: status = vigie_targets_add(job->targets, v, err); break;
    case OPT_HELP: targets_usage(stdout); return -1;
    case OPT_INPUT_LIST: status = vigie_targets_add_file(job->targets, v, err); break;
    case OPT_EXCLUDE: status = targets_add_list(job->targets, v, err); break;
    case OPT_EXCLUDE_FILE: status = vigie_targets_exclude_file(job->targets, v, err); break;
    case OPT_INCLUDE_RESERVED: vigie_targets_set_exclude_reserved(job->targets, false); break;
    case OPT_PORTS: job->ports_spec = v; job->ports_given = true; break;
    case OPT_TOP_PORTS:
      status = cli_parse_uint("--top-ports", v, 1, 65535, &job->top_ports, err);
      job->ports_given = true;
      break;
    case OPT_COUNT: job->count_only = true; break;
    case OPT_OUTPUT: job->output = v; break;
    case OPT_VERBOSE: cmd_adjust_verbosity(ctx, +1); break;
    case OPT_QUIET: ctx->log->level = VIGIE_LOG_QUIET; break;
    default: return vigie_fail(err, VIGIE_EINVAL, "unhandled option"), VIGIE_EXIT_SOFTWARE;
    }
  }
  if (status != VIGIE_OK) return cli_exit_code(status);
  if (job->ports_given && (status = targets_load_ports(job, err)) != VIGIE_OK)
    return cli_exit_code(status);
  return VIGIE_EXIT_OK;
}

static void targets_print_ports(FILE *out, const vigie_ports *ports) {
  const char *sep = "";
  for (int port = vigie_ports_next(ports, 0); port >= 0;) {
    int last = port;
    while (last < 65535 && vigie_ports_has(ports, (uint16_t)(last + 1))) last++;
    if (last == port) fprintf(out, "%s%d", sep, port);
    else fprintf(out, "%s%d-%d", sep, port, last);
    sep = ",";
    port = last < 65535 ? vigie_ports_next(ports, last + 1) : -1;
  }
}

static void targets_print_counts(FILE *out, const targets_job *job) {
  char a[48], b[48], c[48], probes[48];
  size_t names = 0;
  vigie_targets_names(job->targets, &names);
  vigie_u128 n4 = vigie_targets_count4(job->targets), n6 = vigie_targets_count6(job->targets);
  vigie_u128 all = n4 + n6;
  fprintf(out, "addresses: %s (IPv4 %s, IPv6 %s)\n", u128_text(all, a, sizeof a),
          u128_text(n4, b, sizeof b), u128_text(n6, c, sizeof c));
  fprintf(out, "names: %zu\n", names);
  if (!job->ports_given) return;
  fprintf(out, "ports: %u (", job->ports.count);
  targets_print_ports(out, &job->ports);
  vigie_u128 per = job->ports.count;
  /* Names resolve to at least one address each; count them once here. */
  bool overflow = all != 0 && (all + names) > ((vigie_u128)0 - 1) / per;
  fprintf(out, ")\nprobes: %s%s\n", overflow ? "more than " : "",
          overflow ? u128_text((vigie_u128)0 - 1, probes, sizeof probes)
                   : u128_text((all + names) * per, probes, sizeof probes));
}

static int targets_write_list(FILE *out, const targets_job *job) {
  char buf[64];
  size_t n = 0;
  const vigie_range4 *r4 = vigie_targets_ranges4(job->targets, &n);
  for (size_t i = 0; i < n; i++) {
    vigie_addr a = {.family = AF_INET};
    for (uint64_t v = r4[i].first; v <= r4[i].last; v++) {
      a.v4 = (uint32_t)v;
      fprintf(out, "%s\n", vigie_addr_format(&a, buf, sizeof buf));
    }
  }
  const vigie_range6 *r6 = vigie_targets_ranges6(job->targets, &n);
  for (size_t i = 0; i < n; i++) {
    vigie_addr a = {.family = AF_INET6, .v6 = r6[i].first};
    for (;;) {
      fprintf(out, "%s\n", vigie_addr_format(&a, buf, sizeof buf));
      if (ferror(out) || a.v6 == r6[i].last) break;
      a.v6++;
    }
  }
  const char *const *names = vigie_targets_names(job->targets, &n);
  for (size_t i = 0; i < n; i++) fprintf(out, "%s\n", names[i]);
  return ferror(out) ? -1 : 0;
}

static int targets_output(const targets_job *job, cmd_ctx *ctx, vigie_error *err) {
  vigie_afile *file = NULL;
  FILE *out = stdout;
  if (job->output != NULL) {
    vigie_status status = vigie_afile_open(job->output, &file, err);
    if (status != VIGIE_OK) return cli_exit_code(status);
    out = vigie_afile_stream(file);
  }
  int rc = job->count_only ? (targets_print_counts(out, job), ferror(out) ? -1 : 0)
                           : targets_write_list(out, job);
  if (file != NULL) {
    if (rc != 0) {
      vigie_afile_abort(file);
      return vigie_fail(err, VIGIE_EIO, "%s: write failed", job->output), VIGIE_EXIT_IOERR;
    }
    vigie_status status = vigie_afile_commit(file, err);
    if (status != VIGIE_OK) return cli_exit_code(status);
  } else if (fflush(stdout) != 0 || rc != 0) {
    return vigie_fail(err, VIGIE_EIO, "standard output: write failed"), VIGIE_EXIT_IOERR;
  }
  if (!job->count_only && ctx->log->level >= VIGIE_LOG_VERBOSE) targets_print_counts(stderr, job);
  return VIGIE_EXIT_OK;
}

static int targets_run(int argc, char **argv, cmd_ctx *ctx) {
  vigie_error err = {0};
  targets_job job = {0};
  int rc = VIGIE_EXIT_OSERR;
  job.targets = vigie_targets_new();
  if (job.targets == NULL) {
    vigie_log_error(ctx->log, "out of memory");
    return rc;
  }
  rc = targets_parse(argc, argv, ctx, &job, &err);
  if (rc < 0) {
    rc = VIGIE_EXIT_OK; /* --help */
    goto done;
  }
  if (rc != VIGIE_EXIT_OK) goto done;
  vigie_status status = vigie_targets_finalize(job.targets, &err);
  if (status != VIGIE_OK) {
    rc = cli_exit_code(status);
    goto done;
  }
  size_t names = 0;
  vigie_targets_names(job.targets, &names);
  if (vigie_targets_count4(job.targets) + vigie_targets_count6(job.targets) + names == 0) {
    rc = VIGIE_EXIT_USAGE;
    vigie_fail(&err, VIGIE_EEMPTY, "no target left to list (give a TARGET or -iL FILE; "
                                    "exclusions may have removed every address)");
    goto done;
  }
  rc = targets_output(&job, ctx, &err);
done:
  if (rc != VIGIE_EXIT_OK) vigie_log_error(ctx->log, "%s", vigie_error_text(&err));
  vigie_targets_free(job.targets);
  return rc;
}

const cmd_desc cmd_targets = {
    .name = "targets",
    .summary = "list the addresses and ports a scan would reach (no packet sent)",
    .run = targets_run,
    .usage = targets_usage,
};
