/* vigie ldap: audit an Active Directory or OpenLDAP server. Loads the rule
 * files, reads the directory (paged, ranged, probes), evaluates the rules
 * and writes the directory result atomically. A collection cut short by a
 * fatal error (server gone, timeout) writes no result at all: a partial
 * model would be presented as the directory. A collection that completed
 * with some sets refused or limited writes the result, with those rules in
 * error, and exits 3. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/cmd.h"
#include "vigie/ldap_audit.h"

#define DIRCMD_DEFAULT_TIMEOUT 30
#define DIRCMD_DEFAULT_PAGE 500
#define DIRCMD_PASSWORD_MAX 1024

enum {
  OPT_HELP = 1,
  OPT_URL,
  OPT_STARTTLS,
  OPT_BIND,
  OPT_PASSWORD_FILE,
  OPT_PASSWORD,
  OPT_SASL,
  OPT_BASE,
  OPT_PROFILE,
  OPT_RULES,
  OPT_CA_FILE,
  OPT_INSECURE,
  OPT_TIMEOUT,
  OPT_PAGE_SIZE,
  OPT_LDAPS_PORT,
  OPT_OUTPUT,
  OPT_VERBOSE,
  OPT_QUIET
};

static const cli_option dircmd_options[] = {
    {"--base", NULL, OPT_BASE, "DN", "search under DN instead of the rootDSE's naming context"},
    {"--bind", NULL, OPT_BIND, "DN", "simple bind as DN (default: anonymous)"},
    {"--ca-file", NULL, OPT_CA_FILE, "FILE", "trust the CA certificates of FILE (PEM)"},
    {"--help", "-h", OPT_HELP, NULL, "show this help and exit"},
    {"--insecure-skip-tls-verify", NULL, OPT_INSECURE, NULL,
     "do not verify the server certificate (dangerous: anyone on the path can read the password)"},
    {"--ldaps-port", NULL, OPT_LDAPS_PORT, "PORT",
     "port of the LDAPS probe for an ldap:// URL (636)"},
    {"--page-size", NULL, OPT_PAGE_SIZE, "N", "entries per page of paged searches (500)"},
    {"--password", NULL, OPT_PASSWORD, "X",
     "refused: use --password-file, VIGIE_LDAP_PASSWORD or the prompt"},
    {"--password-file", NULL, OPT_PASSWORD_FILE, "FILE",
     "read the bind password from the first line of FILE"},
    {"--profile", NULL, OPT_PROFILE, "P", "auto (default, from the rootDSE), ad or openldap"},
    {"--rules", NULL, OPT_RULES, "DIR",
     "load the rule files of DIR (default: rules/ad and rules/openldap)"},
    {"--sasl", NULL, OPT_SASL, "MECH",
     "SASL bind instead of simple bind (GSSAPI: Kerberos ticket cache)"},
    {"--starttls", NULL, OPT_STARTTLS, NULL,
     "StartTLS on an ldap:// URL (required: failure stops)"},
    {"--timeout", NULL, OPT_TIMEOUT, "SECONDS", "connect and per-answer timeout (30)"},
    {"--url", NULL, OPT_URL, "URL", "the server: ldap://host[:port] or ldaps://host[:port]"},
    {"-o", NULL, OPT_OUTPUT, "FILE", "write the directory result (XML) to FILE"},
    {"--quiet", "-q", OPT_QUIET, NULL, "print errors only"},
    {"--verbose", "-v", OPT_VERBOSE, NULL, "say more"},
};
#define DIRCMD_OPTION_COUNT (sizeof dircmd_options / sizeof dircmd_options[0])

static void dircmd_usage(FILE *out) {
  fprintf(out,
          "Usage: vigie ldap --url URL [OPTIONS] -o FILE\n"
          "\n"
          "Audit an Active Directory or OpenLDAP server: read it (paged searches, range\n"
          "retrieval, probes of anonymous and cleartext access and of TLS), evaluate the\n"
          "rules of rules/ad or rules/openldap, write the result to FILE and print the\n"
          "estimated ANSSI level. The password is never taken from the command line:\n"
          "--password-file, the VIGIE_LDAP_PASSWORD variable, or a prompt on a terminal.\n"
          "Exit status: 0 done, 2 usage or rules error, 3 done but some object sets could\n"
          "not be read fully, 69 server unreachable or timed out, 76 TLS failure or\n"
          "connection cut (no result written), 77 credentials refused.\n"
          "Audit only directories you are authorised to audit.\n"
          "\n"
          "Options:\n");
  cli_print_options(out, dircmd_options, DIRCMD_OPTION_COUNT);
}

typedef struct dircmd_job {
  ldapa_conn_opts conn;
  const char *password_file;
  const char *rules_dir;
  const char *output;
  char *password; /* owned, wiped on free */
  bool insecure;
} dircmd_job;

/* ------------------------------------------------------------ parsing */

static vigie_status parse_profile(const char *v, ldapa_profile *out, vigie_error *err) {
  static const ldapa_profile all[] = {LDAPA_PROFILE_AUTO, LDAPA_PROFILE_AD, LDAPA_PROFILE_OPENLDAP};
  for (size_t i = 0; i < 3; i++)
    if (strcmp(v, ldapa_profile_name(all[i])) == 0) return *out = all[i], VIGIE_OK;
  return vigie_fail(err, VIGIE_EUSAGE, "--profile \"%s\": expected auto, ad or openldap", v);
}

static vigie_status parse_int_option(const char *name, const char *v, unsigned long min,
                                     unsigned long max, int *out, vigie_error *err) {
  unsigned long n = 0;
  vigie_status status = cli_parse_uint(name, v, min, max, &n, err);
  if (status == VIGIE_OK) *out = (int)n;
  return status;
}

/* One option with a value of the connection; VIGIE_EINVAL when id is not one. */
static vigie_status dircmd_conn_option(dircmd_job *job, int id, const char *v, vigie_error *err) {
  ldapa_conn_opts *c = &job->conn;
  switch (id) {
    case OPT_URL: c->url = v; return VIGIE_OK;
    case OPT_STARTTLS: c->starttls = true; return VIGIE_OK;
    case OPT_BIND: c->bind_dn = v; return VIGIE_OK;
    case OPT_SASL: c->sasl_mech = v; return VIGIE_OK;
    case OPT_BASE: c->base = v; return VIGIE_OK;
    case OPT_CA_FILE: c->ca_file = v; return VIGIE_OK;
    case OPT_INSECURE:
      job->insecure = true;
      c->tls_verify = false;
      return VIGIE_OK;
    case OPT_PROFILE: return parse_profile(v, &c->profile, err);
    case OPT_TIMEOUT: return parse_int_option("--timeout", v, 1, 3600, &c->timeout_seconds, err);
    case OPT_PAGE_SIZE: return parse_int_option("--page-size", v, 1, 100000, &c->page_size, err);
    case OPT_LDAPS_PORT: return parse_int_option("--ldaps-port", v, 1, 65535, &c->ldaps_port, err);
    case OPT_PASSWORD:
      return vigie_fail(err, VIGIE_EUSAGE,
                        "--password: a password on the command line is visible "
                        "to every user of this machine; use --password-file, "
                        "VIGIE_LDAP_PASSWORD or the prompt");
    default: return VIGIE_EINVAL;
  }
}

static vigie_status dircmd_check(const dircmd_job *job, vigie_error *err) {
  const ldapa_conn_opts *c = &job->conn;
  if (c->url == NULL) return vigie_fail(err, VIGIE_EUSAGE, "no server given (--url ldap://host)");
  if (job->output == NULL) return vigie_fail(err, VIGIE_EUSAGE, "no output file given (-o FILE)");
  if (c->sasl_mech != NULL && strcmp(c->sasl_mech, "GSSAPI") != 0)
    return vigie_fail(err, VIGIE_EUSAGE, "--sasl \"%s\": only GSSAPI is supported", c->sasl_mech);
  if (c->sasl_mech != NULL && (c->bind_dn != NULL || job->password_file != NULL))
    return vigie_fail(err, VIGIE_EUSAGE,
                      "--sasl takes its identity from Kerberos: no --bind or --password-file");
  if (job->password_file != NULL && c->bind_dn == NULL)
    return vigie_fail(err, VIGIE_EUSAGE, "--password-file needs --bind DN");
  if (c->starttls && strncasecmp(c->url, "ldaps:", 6) == 0)
    return vigie_fail(err, VIGIE_EUSAGE,
                      "--starttls is for ldap:// URLs (ldaps:// is TLS already)");
  return VIGIE_OK;
}

static int dircmd_parse(int argc, char **argv, cmd_ctx *ctx, dircmd_job *job, vigie_error *err) {
  cli_parser p;
  cli_init(&p, argc, argv, dircmd_options, DIRCMD_OPTION_COUNT);
  const char *v = NULL;
  vigie_status status = VIGIE_OK;
  for (int id; status == VIGIE_OK && (id = cli_next(&p, &v, err)) != CLI_END;) {
    if ((status = dircmd_conn_option(job, id, v, err)) != VIGIE_EINVAL) continue;
    status = VIGIE_OK;
    switch (id) {
      case CLI_ERROR: return VIGIE_EXIT_USAGE;
      case CLI_POSITIONAL:
        status = vigie_fail(err, VIGIE_EUSAGE, "unexpected argument \"%s\"", v);
        break;
      case OPT_HELP: dircmd_usage(stdout); return -1;
      case OPT_PASSWORD_FILE: job->password_file = v; break;
      case OPT_RULES: job->rules_dir = v; break;
      case OPT_OUTPUT: job->output = v; break;
      case OPT_VERBOSE: cmd_adjust_verbosity(ctx, +1); break;
      case OPT_QUIET: ctx->log->level = VIGIE_LOG_QUIET; break;
      default: return vigie_fail(err, VIGIE_EINVAL, "unhandled option"), VIGIE_EXIT_SOFTWARE;
    }
  }
  if (status == VIGIE_OK) status = dircmd_check(job, err);
  return status == VIGIE_OK ? VIGIE_EXIT_OK : cli_exit_code(status);
}

/* ------------------------------------------------------------ password */

/* Drop the line end; \return false when nothing is left. */
static bool password_trim(char *pw) {
  size_t n = strcspn(pw, "\r\n");
  pw[n] = '\0';
  return n > 0;
}

static vigie_status password_from_file(dircmd_job *job, vigie_log *log, vigie_error *err) {
  FILE *f = fopen(job->password_file, "r");
  struct stat st;
  if (f == NULL)
    return vigie_fail(err, VIGIE_ENOENT, "--password-file %s: %s", job->password_file,
                      strerror(errno));
  if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0)
    vigie_log_warn(log, "--password-file %s can be read by other users (chmod 600 it)",
                   job->password_file);
  bool ok = fgets(job->password, DIRCMD_PASSWORD_MAX, f) != NULL && password_trim(job->password);
  fclose(f);
  if (!ok)
    return vigie_fail(err, VIGIE_EUSAGE, "--password-file %s: no password on its first line",
                      job->password_file);
  return VIGIE_OK;
}

/* Read a line from the terminal with echo off, restoring it afterwards. */
static vigie_status password_prompt(dircmd_job *job, vigie_error *err) {
  struct termios old, quiet;
  if (tcgetattr(STDIN_FILENO, &old) != 0)
    return vigie_fail(err, VIGIE_EUSAGE,
                      "cannot turn the terminal echo off for the password prompt");
  quiet = old;
  quiet.c_lflag &= ~(tcflag_t)ECHO;
  fprintf(stderr, "Password for %s: ", job->conn.bind_dn);
  fflush(stderr);
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  bool ok =
      fgets(job->password, DIRCMD_PASSWORD_MAX, stdin) != NULL && password_trim(job->password);
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
  fprintf(stderr, "\n");
  if (!ok) return vigie_fail(err, VIGIE_EUSAGE, "no password typed");
  return VIGIE_OK;
}

static vigie_status dircmd_password(dircmd_job *job, vigie_log *log, vigie_error *err) {
  if (job->conn.bind_dn == NULL) return VIGIE_OK;
  job->password = vigie_calloc(1, DIRCMD_PASSWORD_MAX);
  if (job->password == NULL) return vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  job->conn.password = job->password;
  const char *env = getenv("VIGIE_LDAP_PASSWORD");
  if (job->password_file != NULL) return password_from_file(job, log, err);
  if (env != NULL && env[0] != '\0') {
    snprintf(job->password, DIRCMD_PASSWORD_MAX, "%s", env);
    return VIGIE_OK;
  }
  if (isatty(STDIN_FILENO)) return password_prompt(job, err);
  return vigie_fail(err, VIGIE_EUSAGE,
                    "--bind %s needs a password: --password-file FILE, "
                    "VIGIE_LDAP_PASSWORD, or run on a terminal for a prompt",
                    job->conn.bind_dn);
}

static void dircmd_job_free(dircmd_job *job) {
  if (job->password != NULL) {
    /* The password does not outlive the bind in our memory. */
    explicit_bzero(job->password, DIRCMD_PASSWORD_MAX);
    vigie_free(job->password);
  }
}

/* ------------------------------------------------------------ rules */

static vigie_status load_profile_rules(ldapa_ruleset *rules, const char *name, vigie_error *err) {
  char *dir = vigie_data_path(name, err);
  if (dir == NULL) return err->status;
  vigie_status status = ldapa_rules_load_dir(rules, dir, err);
  vigie_free(dir);
  return status;
}

/* Rules load before any connection, so a broken rule file stops the run
 * before the server is touched. With --profile auto both profiles' rules
 * load: the evaluation keeps the detected profile's. */
static vigie_status dircmd_load_rules(const dircmd_job *job, ldapa_ruleset **out,
                                      vigie_error *err) {
  ldapa_ruleset *rules = ldapa_ruleset_new();
  if (rules == NULL) return vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  vigie_status status = VIGIE_OK;
  ldapa_profile p = job->conn.profile;
  if (job->rules_dir != NULL) status = ldapa_rules_load_dir(rules, job->rules_dir, err);
  if (job->rules_dir == NULL && p != LDAPA_PROFILE_OPENLDAP)
    status = load_profile_rules(rules, "ad", err);
  if (job->rules_dir == NULL && status == VIGIE_OK && p != LDAPA_PROFILE_AD)
    status = load_profile_rules(rules, "openldap", err);
  if (status != VIGIE_OK) {
    ldapa_ruleset_free(rules);
    return status;
  }
  *out = rules;
  return VIGIE_OK;
}

/* ------------------------------------------------------------ collection */

static void dircmd_progress(void *ctx, ldapa_set set, size_t entries) {
  vigie_log_progress(ctx, "reading %s: %zu entries", ldapa_set_name(set), entries);
}

static vigie_status dircmd_collect(const dircmd_job *job, const ldapa_ruleset *rules,
                                   ldapa_dir *dir, ldapa_profile *profile, vigie_log *log,
                                   vigie_error *err) {
  const char *const *attrs[LDAPA_SET_COUNT];
  for (int s = 0; s < LDAPA_SET_COUNT; s++) attrs[s] = ldapa_rules_attrs(rules, (ldapa_set)s);
  vigie_log_verbose(log, "reading %s", job->conn.url);
  vigie_status status =
      ldapa_collect(&job->conn, attrs, dir, profile, dircmd_progress, log, log, err);
  vigie_log_progress_clear(log);
  return status;
}

/* Sets that were not read fully, named in the log. \return how many. */
static size_t dircmd_incomplete_sets(const ldapa_dir *dir, vigie_log *log) {
  size_t n = 0;
  for (int s = 0; s < LDAPA_SET_COUNT; s++) {
    const char *reason = NULL;
    ldapa_read_state st = ldapa_dir_read_state(dir, (ldapa_set)s, &reason);
    if (st != LDAPA_READ_PARTIAL && st != LDAPA_READ_DENIED) continue;
    n++;
    vigie_log_warn(log, "set %s %s: %s", ldapa_set_name((ldapa_set)s),
                   st == LDAPA_READ_DENIED ? "not readable" : "read partially",
                   reason != NULL ? reason : "no reason given");
  }
  return n;
}

static vigie_status dircmd_write(const dircmd_job *job, const ldapa_results *results,
                                 const ldapa_dir *dir, vigie_error *err) {
  vigie_afile *f = NULL;
  vigie_status status = vigie_afile_open(job->output, &f, err);
  if (status != VIGIE_OK) return status;
  /* The base searched: the one asked for, else the domain root read. */
  const char *base = job->conn.base;
  if (base == NULL && ldapa_dir_set_size(dir, LDAPA_SET_DOMAIN) > 0)
    base = ldapa_obj_dn(ldapa_dir_set_at(dir, LDAPA_SET_DOMAIN, 0));
  status = ldapa_output_xml_target(results, dir, job->conn.url, base, vigie_afile_stream(f), err);
  if (status != VIGIE_OK) {
    vigie_afile_abort(f);
    return status;
  }
  return vigie_afile_commit(f, err);
}

/* Outcomes counted, and failed rules by the severity of their worst failed check. */
static void dircmd_summary_outcomes(const ldapa_results *results) {
  size_t outcomes[LDAPA_NOT_EVALUATED + 1] = {0}, fails[LDAPA_SEV_CRITICAL + 1] = {0};
  for (size_t i = 0; i < ldapa_results_count(results); i++) {
    const ldapa_result *r = ldapa_results_at(results, i);
    ldapa_outcome o = ldapa_result_outcome(r);
    outcomes[o]++;
    if (o != LDAPA_FAIL) continue;
    ldapa_severity worst = LDAPA_SEV_INFO;
    ldapa_check_outcome c;
    for (size_t k = 0; ldapa_result_check(r, k, &c); k++)
      if (c.outcome == LDAPA_FAIL && c.severity > worst) worst = c.severity;
    fails[worst]++;
  }
  printf("rules: %zu pass, %zu fail, %zu not applicable, %zu error, %zu not evaluated\n",
         outcomes[LDAPA_PASS], outcomes[LDAPA_FAIL], outcomes[LDAPA_NOT_APPLICABLE],
         outcomes[LDAPA_ERROR], outcomes[LDAPA_NOT_EVALUATED]);
  printf("failed rules by severity:");
  for (int sev = LDAPA_SEV_CRITICAL; sev >= LDAPA_SEV_INFO; sev--)
    printf(" %s %zu%s", ldapa_severity_name((ldapa_severity)sev), fails[sev], sev > 0 ? "," : "\n");
}

static void dircmd_summary(const dircmd_job *job, const ldapa_results *results,
                           ldapa_profile profile, size_t incomplete, vigie_log *log) {
  ldapa_level level = ldapa_level_compute(results);
  printf("directory: %s (%s)\n", job->conn.url, ldapa_profile_name(profile));
  /* The ANSSI scale is Active Directory's: a rule set that maps no control
   * point (OpenLDAP) has no level, rather than a flattering 5. */
  if (level.points_total == 0) {
    printf("estimated ANSSI level: not applicable (no ANSSI control point in the %s rules)\n",
           ldapa_profile_name(profile));
  } else {
    printf("estimated ANSSI level: %d\n", level.level);
    printf("coverage: %zu of %zu control points evaluated\n", level.points_evaluated,
           level.points_total);
  }
  dircmd_summary_outcomes(results);
  if (incomplete > 0)
    printf("incomplete: %zu object sets not read fully (their rules are in error)\n", incomplete);
  printf("result: %s\n", job->output);
  fflush(stdout);
  vigie_log_verbose(log, "wrote %s", job->output);
}

/* ------------------------------------------------------------ run */

static int dircmd_audit(dircmd_job *job, cmd_ctx *ctx, vigie_error *err) {
  ldapa_ruleset *rules = NULL;
  ldapa_dir *dir = NULL;
  ldapa_results *results = NULL;
  ldapa_profile profile = LDAPA_PROFILE_AUTO;
  size_t incomplete = 0;
  vigie_status status = dircmd_load_rules(job, &rules, err);
  if (status != VIGIE_OK) goto done;
  status = dircmd_password(job, ctx->log, err);
  if (status != VIGIE_OK) goto done;
  dir = ldapa_dir_new();
  if (dir == NULL) {
    status = vigie_fail(err, VIGIE_ENOMEM, "out of memory");
    goto done;
  }
  status = dircmd_collect(job, rules, dir, &profile, ctx->log, err);
  if (status != VIGIE_OK) goto done; /* no result file: see the top of this file */
  incomplete = dircmd_incomplete_sets(dir, ctx->log);
  status = ldapa_eval(rules, dir, profile, &results, err);
  if (status == VIGIE_OK) status = dircmd_write(job, results, dir, err);
  if (status == VIGIE_OK) dircmd_summary(job, results, profile, incomplete, ctx->log);
done:
  ldapa_results_free(results);
  ldapa_dir_free(dir);
  ldapa_ruleset_free(rules);
  if (status == VIGIE_OK && incomplete > 0) return VIGIE_EXIT_INCOMPLETE;
  return cli_exit_code(status);
}

static int dircmd_run(int argc, char **argv, cmd_ctx *ctx) {
  vigie_error err = {0};
  /* A server that closes its side while libldap writes must give an error
   * (EPIPE, then EPROTO), not kill the process before it can say why. */
  signal(SIGPIPE, SIG_IGN);
  dircmd_job job = {.conn = {.tls_verify = true,
                             .timeout_seconds = DIRCMD_DEFAULT_TIMEOUT,
                             .page_size = DIRCMD_DEFAULT_PAGE}};
  int rc = dircmd_parse(argc, argv, ctx, &job, &err);
  if (rc < 0) return VIGIE_EXIT_OK; /* --help */
  if (rc == VIGIE_EXIT_OK) {
    if (job.insecure)
      vigie_log_warn(ctx->log,
                     "TLS CERTIFICATE VERIFICATION IS OFF (--insecure-skip-tls-verify): "
                     "anyone between here and %s can pose as the server and read the "
                     "bind password; use --ca-file instead",
                     job.conn.url);
    if (job.conn.bind_dn != NULL && !job.conn.starttls &&
        strncasecmp(job.conn.url, "ldaps:", 6) != 0)
      vigie_log_warn(ctx->log,
                     "the bind password goes to %s in cleartext: use ldaps:// or --starttls",
                     job.conn.url);
    rc = dircmd_audit(&job, ctx, &err);
  }
  if (rc != VIGIE_EXIT_OK && rc != VIGIE_EXIT_INCOMPLETE)
    vigie_log_error(ctx->log, "%s", vigie_error_text(&err));
  dircmd_job_free(&job);
  return rc;
}

const cmd_desc cmd_ldap = {
    .name = "ldap",
    .summary = "audit an Active Directory or OpenLDAP directory (ANSSI-style level)",
    .run = dircmd_run,
    .usage = dircmd_usage,
};
