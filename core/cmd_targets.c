/* vigie targets: expand targets, exclusions and ports the way a scan would,
 * and list them without sending a probe (like nmap -sL): host names are
 * resolved as a scan would resolve them, unless -n. */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "core/cli.h"
#include "core/cmd.h"

enum { OPT_HELP = 1, OPT_COUNT, OPT_OUTPUT, OPT_VERBOSE, OPT_QUIET };

static const cli_option targets_options[] = {
    {"--count", NULL, OPT_COUNT, NULL, "print only the counts of addresses, names, ports and probes"},
    {"--help", "-h", OPT_HELP, NULL, "show this help and exit"},
    {"-o", NULL, OPT_OUTPUT, "FILE", "write the list to FILE (atomically) instead of standard output"},
    {"--quiet", "-q", OPT_QUIET, NULL, "print errors only"},
    {"--verbose", "-v", OPT_VERBOSE, NULL, "say more"},
    CMD_TARGET_OPTIONS,
};
#define TARGETS_OPTION_COUNT (sizeof targets_options / sizeof targets_options[0])

static void targets_usage(FILE *out) {
  fprintf(out,
          "Usage: vigie targets [OPTIONS] TARGET...\n"
          "\n"
          "List the addresses a scan of TARGET would reach, after exclusions, one per\n"
          "line. Host names are resolved first (every A and AAAA) and listed after the\n"
          "addresses as '# NAME: ADDRESS...' comments, so the list reads back with -iL;\n"
          "with -n they are listed as given, unresolved. No probe is sent.\n"
          "TARGET: 198.18.0.1, 198.18.0.0/24, 198.18.0.1-198.18.0.9, 198.18.0.1-9,\n"
          "2001:2::1, 2001:2::/64, host.example.org\n"
          "\n"
          "Options:\n");
  cli_print_options(out, targets_options, TARGETS_OPTION_COUNT);
}

typedef struct targets_job {
  cmd_target_args in;
  bool count_only;
  const char *output;
} targets_job;

static int targets_parse(int argc, char **argv, cmd_ctx *ctx, targets_job *job,
                         vigie_error *err) {
  cli_parser p;
  cli_init(&p, argc, argv, targets_options, TARGETS_OPTION_COUNT);
  const char *v = NULL;
  vigie_status status = VIGIE_OK;
  for (int id; status == VIGIE_OK && (id = cli_next(&p, &v, err)) != CLI_END;) {
    if (cmd_target_option(&job->in, id, v, &status, err)) continue;
    switch (id) {
    case CLI_ERROR: return VIGIE_EXIT_USAGE;
    case OPT_HELP: targets_usage(stdout); return -1;
    case OPT_COUNT: job->count_only = true; break;
    case OPT_OUTPUT: job->output = v; break;
    case OPT_VERBOSE: cmd_adjust_verbosity(ctx, +1); break;
    case OPT_QUIET: ctx->log->level = VIGIE_LOG_QUIET; break;
    default: return vigie_fail(err, VIGIE_EINVAL, "unhandled option"), VIGIE_EXIT_SOFTWARE;
    }
  }
  if (status != VIGIE_OK) return cli_exit_code(status);
  return cli_exit_code(cmd_target_args_finish(&job->in, 0, ctx->log, err));
}

static void targets_print_counts(FILE *out, const targets_job *job) {
  char a[48], b[48], c[48], probes[48];
  size_t names = 0;
  vigie_targets_names(job->in.targets, &names);
  vigie_u128 n4 = vigie_targets_count4(job->in.targets), n6 = vigie_targets_count6(job->in.targets);
  vigie_u128 all = n4 + n6;
  fprintf(out, "addresses: %s (IPv4 %s, IPv6 %s)\n", cmd_u128_text(all, a, sizeof a),
          cmd_u128_text(n4, b, sizeof b), cmd_u128_text(n6, c, sizeof c));
  fprintf(out, "names: %zu\n", names);
  if (!job->in.ports_given) return;
  fprintf(out, "ports: %u (", job->in.ports.count);
  cmd_print_ports(out, &job->in.ports);
  vigie_u128 per = job->in.ports.count;
  /* Unresolved names (-n) resolve to at least one address each: count them
   * once; resolved ones are among the addresses already. */
  if (job->in.names_resolved) names = 0;
  bool overflow = all != 0 && (all + names) > ((vigie_u128)0 - 1) / per;
  fprintf(out, ")\nprobes: %s%s\n", overflow ? "more than " : "",
          overflow ? cmd_u128_text((vigie_u128)0 - 1, probes, sizeof probes)
                   : cmd_u128_text((all + names) * per, probes, sizeof probes));
}

/* The map holds names lowered and without a final dot; the targets keep
 * them as given. */
static bool targets_same_name(const char *mapped, const char *given) {
  size_t len = strlen(mapped);
  return strncasecmp(mapped, given, len) == 0 &&
         (given[len] == '\0' || strcmp(given + len, ".") == 0);
}

/* "# name: addr addr (excluded: addr)": a comment, so -iL reads the list
 * back as the same addresses. The map is small: one pass per name. */
static void targets_write_name(FILE *out, const targets_job *job, const char *name) {
  char buf[64];
  scan_name n;
  size_t shown = 0;
  fprintf(out, "# %s:", name);
  for (int excluded = 0; excluded <= 1; excluded++) {
    bool first = true;
    for (size_t i = 0; scan_names_at(job->in.names, i, &n); i++) {
      if (!targets_same_name(n.name, name)) continue;
      if (vigie_targets_is_excluded(job->in.targets, &n.addr) != (excluded == 1)) continue;
      fprintf(out, "%s%s", excluded && first ? " (excluded: " : " ",
              vigie_addr_format(&n.addr, buf, sizeof buf));
      first = false, shown++;
    }
    if (excluded && !first) fputc(')', out);
  }
  fprintf(out, "%s\n", shown == 0 ? " not in DNS (skipped)" : "");
}

static int targets_write_list(FILE *out, const targets_job *job) {
  char buf[64];
  size_t n = 0;
  const vigie_range4 *r4 = vigie_targets_ranges4(job->in.targets, &n);
  for (size_t i = 0; i < n; i++) {
    vigie_addr a = {.family = AF_INET};
    for (uint64_t v = r4[i].first; v <= r4[i].last; v++) {
      a.v4 = (uint32_t)v;
      fprintf(out, "%s\n", vigie_addr_format(&a, buf, sizeof buf));
    }
  }
  const vigie_range6 *r6 = vigie_targets_ranges6(job->in.targets, &n);
  for (size_t i = 0; i < n; i++) {
    vigie_addr a = {.family = AF_INET6, .v6 = r6[i].first};
    for (;;) {
      fprintf(out, "%s\n", vigie_addr_format(&a, buf, sizeof buf));
      if (ferror(out) || a.v6 == r6[i].last) break;
      a.v6++;
    }
  }
  const char *const *names = vigie_targets_names(job->in.targets, &n);
  for (size_t i = 0; i < n; i++) {
    if (job->in.names_resolved) targets_write_name(out, job, names[i]);
    else fprintf(out, "%s\n", names[i]);
  }
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
  if (cmd_target_args_init(&job.in, &err) != VIGIE_OK) {
    vigie_log_error(ctx->log, "%s", vigie_error_text(&err));
    return rc;
  }
  rc = targets_parse(argc, argv, ctx, &job, &err);
  if (rc < 0) {
    rc = VIGIE_EXIT_OK; /* --help */
    goto done;
  }
  if (rc != VIGIE_EXIT_OK) goto done;
  size_t names = 0;
  vigie_targets_names(job.in.targets, &names);
  if (job.in.names_resolved) names = 0; /* their addresses are counted, or excluded */
  if (vigie_targets_count4(job.in.targets) + vigie_targets_count6(job.in.targets) + names == 0) {
    rc = VIGIE_EXIT_USAGE;
    vigie_fail(&err, VIGIE_EEMPTY, "no target left to list (give a TARGET or -iL FILE; "
                                    "exclusions may have removed every address, "
                                    "resolved ones too)");
    goto done;
  }
  rc = targets_output(&job, ctx, &err);
done:
  if (rc != VIGIE_EXIT_OK) vigie_log_error(ctx->log, "%s", vigie_error_text(&err));
  cmd_target_args_free(&job.in);
  return rc;
}

const cmd_desc cmd_targets = {
    .name = "targets",
    .summary = "list the addresses and ports a scan would reach (no packet sent)",
    .run = targets_run,
    .usage = targets_usage,
};
