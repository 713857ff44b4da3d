/* vigie rules: list the directory rules vigie would run, and check rule
 * files a consultant wrote (schema, predicates, set names, unique IDs)
 * before they are dropped into rules/ad or rules/openldap. */
#include <string.h>
#include <sys/stat.h>

#include "core/cli.h"
#include "core/cmd.h"
#include "vigie/ldap_audit.h"

enum { OPT_HELP = 1, OPT_LANG, OPT_PROFILE, OPT_QUIET, OPT_RULES, OPT_VERBOSE };

static const cli_option rules_options[] = {
    {"--help", "-h", OPT_HELP, NULL, "show this help and exit"},
    {"--lang", NULL, OPT_LANG, "fr|en", "list: language of the titles (default en)"},
    {"--profile", NULL, OPT_PROFILE, "ad|openldap", "list: only the rules of this profile"},
    {"--quiet", "-q", OPT_QUIET, NULL, "print errors only"},
    {"--rules", NULL, OPT_RULES, "DIR",
     "list: rule files of DIR, DIR/ad and DIR/openldap (default: rules/ad, rules/openldap)"},
    {"--verbose", "-v", OPT_VERBOSE, NULL, "say more"},
};
#define RULES_OPTION_COUNT (sizeof rules_options / sizeof rules_options[0])

static void rules_usage(FILE *out) {
  fprintf(out,
          "Usage: vigie rules list [OPTIONS]\n"
          "       vigie rules validate FILE...\n"
          "\n"
          "list: print the directory rules, one a line: ID, profile, severity, ANSSI\n"
          "control point and title.\n"
          "validate: check rule files against rules/directory-rules.xsd and the\n"
          "predicate language; print \"FILE: OK\" or \"FILE:LINE: what is wrong\".\n"
          "Exit status 0 when every file is good, 2 otherwise.\n"
          "\n"
          "Options:\n");
  cli_print_options(out, rules_options, RULES_OPTION_COUNT);
}

typedef struct rules_job {
  const char *action; /* "list" or "validate" */
  const char *dir;
  const char *lang;
  ldapa_profile profile;
  const char **files; /* validate: argv's file arguments, borrowed */
  size_t nfiles;
} rules_job;

static int rules_option(rules_job *job, int id, const char *v, cmd_ctx *ctx, vigie_error *err) {
  switch (id) {
  case OPT_LANG:
    if (strcmp(v, "fr") != 0 && strcmp(v, "en") != 0)
      return vigie_fail(err, VIGIE_EUSAGE, "--lang \"%s\": fr or en", v), VIGIE_EXIT_USAGE;
    job->lang = v;
    return VIGIE_EXIT_OK;
  case OPT_PROFILE:
    if (strcmp(v, "ad") != 0 && strcmp(v, "openldap") != 0)
      return vigie_fail(err, VIGIE_EUSAGE, "--profile \"%s\": ad or openldap", v), VIGIE_EXIT_USAGE;
    job->profile = strcmp(v, "ad") == 0 ? LDAPA_PROFILE_AD : LDAPA_PROFILE_OPENLDAP;
    return VIGIE_EXIT_OK;
  case OPT_RULES: job->dir = v; return VIGIE_EXIT_OK;
  case OPT_VERBOSE: cmd_adjust_verbosity(ctx, +1); return VIGIE_EXIT_OK;
  case OPT_QUIET: ctx->log->level = VIGIE_LOG_QUIET; return VIGIE_EXIT_OK;
  default: return vigie_fail(err, VIGIE_EINVAL, "unhandled option"), VIGIE_EXIT_SOFTWARE;
  }
}

static int rules_positional(rules_job *job, const char *v, vigie_error *err) {
  if (job->action == NULL) {
    if (strcmp(v, "list") != 0 && strcmp(v, "validate") != 0)
      return vigie_fail(err, VIGIE_EUSAGE, "unknown action \"%s\" (list or validate)", v),
             VIGIE_EXIT_USAGE;
    job->action = v;
    return VIGIE_EXIT_OK;
  }
  if (strcmp(job->action, "validate") != 0)
    return vigie_fail(err, VIGIE_EUSAGE, "rules list takes no argument (\"%s\")", v), VIGIE_EXIT_USAGE;
  job->files[job->nfiles++] = v;
  return VIGIE_EXIT_OK;
}

/* \return an exit code, or -1 after --help. */
static int rules_parse(int argc, char **argv, cmd_ctx *ctx, rules_job *job, vigie_error *err) {
  cli_parser p;
  cli_init(&p, argc, argv, rules_options, RULES_OPTION_COUNT);
  const char *v = NULL;
  int rc = VIGIE_EXIT_OK;
  for (int id; rc == VIGIE_EXIT_OK && (id = cli_next(&p, &v, err)) != CLI_END;) {
    if (id == CLI_ERROR) return VIGIE_EXIT_USAGE;
    if (id == OPT_HELP) return rules_usage(stdout), -1;
    rc = id == CLI_POSITIONAL ? rules_positional(job, v, err) : rules_option(job, id, v, ctx, err);
  }
  if (rc != VIGIE_EXIT_OK) return rc;
  if (job->action == NULL)
    return vigie_fail(err, VIGIE_EUSAGE, "no action given (list or validate)"), VIGIE_EXIT_USAGE;
  if (strcmp(job->action, "validate") == 0 && job->nfiles == 0)
    return vigie_fail(err, VIGIE_EUSAGE, "rules validate needs at least one FILE"), VIGIE_EXIT_USAGE;
  return VIGIE_EXIT_OK;
}

/* ------------------------------------------------------------ validate */

static int rules_validate(const rules_job *job) {
  ldapa_ruleset *rs = ldapa_ruleset_new();
  if (rs == NULL) return VIGIE_EXIT_OSERR;
  int rc = VIGIE_EXIT_OK;
  /* One rule set for every file, so an ID used twice across them is caught. */
  for (size_t i = 0; i < job->nfiles; i++) {
    vigie_error err = {0};
    vigie_status st = ldapa_rules_load_file(rs, job->files[i], &err);
    if (st == VIGIE_OK) {
      printf("%s: OK\n", job->files[i]);
      continue;
    }
    fflush(stdout);
    fprintf(stderr, "%s\n", vigie_error_text(&err));
    if (st == VIGIE_ENOMEM) rc = VIGIE_EXIT_OSERR;
    else if (rc == VIGIE_EXIT_OK) rc = VIGIE_EXIT_USAGE;
  }
  ldapa_ruleset_free(rs);
  if (fflush(stdout) != 0) rc = VIGIE_EXIT_IOERR;
  return rc;
}

/* ------------------------------------------------------------ list */

static bool rules_is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Load one directory when it exists; the first failure is kept in *first. */
static void rules_load_if_dir(ldapa_ruleset *rs, const char *dir, bool *found, vigie_error *first) {
  vigie_error err = {0};
  if (dir == NULL || !rules_is_dir(dir)) return;
  *found = true;
  if (ldapa_rules_load_dir(rs, dir, &err) != VIGIE_OK && first->status == VIGIE_OK) *first = err;
}

static void rules_load_sub(ldapa_ruleset *rs, const char *base, const char *sub, bool *found,
                           vigie_error *first) {
  size_t len = strlen(base) + strlen(sub) + 2;
  char *path = vigie_malloc(len);
  if (path == NULL) return;
  snprintf(path, len, "%s/%s", base, sub);
  rules_load_if_dir(rs, path, found, first);
  vigie_free(path);
}

/* --rules DIR: DIR and its ad/ and openldap/; else the data dirs' ones. */
static vigie_status rules_load_all(const rules_job *job, ldapa_ruleset *rs, vigie_error *err) {
  vigie_error first = {0};
  bool found = false;
  if (job->dir != NULL) {
    rules_load_if_dir(rs, job->dir, &found, &first);
    rules_load_sub(rs, job->dir, "ad", &found, &first);
    rules_load_sub(rs, job->dir, "openldap", &found, &first);
  } else {
    static const char *const subs[] = {"ad", "openldap"};
    for (size_t i = 0; i < 2; i++) {
      vigie_error ignored;
      char *path = vigie_data_path(subs[i], &ignored);
      rules_load_if_dir(rs, path, &found, &first);
      vigie_free(path);
    }
  }
  if (!found)
    return vigie_fail(err, VIGIE_ENOENT, "no rule directory found%s%s", job->dir ? ": " : "",
                      job->dir ? job->dir : " (rules/ad, rules/openldap)");
  if (first.status != VIGIE_OK) *err = first;
  return first.status;
}

static void rules_print(const rules_job *job, const ldapa_ruleset *rs) {
  printf("%-20s %-8s %-8s %-40s %s\n", "ID", "PROFILE", "SEVERITY", "ANSSI", "TITLE");
  for (size_t i = 0; i < ldapa_rules_count(rs); i++) {
    const ldapa_rule *r = ldapa_rules_at(rs, i);
    if (job->profile != LDAPA_PROFILE_AUTO && ldapa_rule_profile(r) != job->profile) continue;
    const char *anssi = ldapa_rule_anssi(r);
    printf("%-20s %-8s %-8s %-40s %s\n", ldapa_rule_id(r), ldapa_profile_name(ldapa_rule_profile(r)),
           ldapa_severity_name(ldapa_rule_severity(r)), anssi ? anssi : "-",
           ldapa_rule_text(r, "title", job->lang));
  }
}

/* A broken file is reported and the others are still listed; the exit
 * status then says the rule set is not in order. */
static int rules_list(const rules_job *job, cmd_ctx *ctx) {
  vigie_error err = {0};
  ldapa_ruleset *rs = ldapa_ruleset_new();
  if (rs == NULL) return VIGIE_EXIT_OSERR;
  vigie_status st = rules_load_all(job, rs, &err);
  int rc = VIGIE_EXIT_OK;
  if (st != VIGIE_OK) {
    vigie_log_error(ctx->log, "%s", vigie_error_text(&err));
    rc = cli_exit_code(st);
  }
  if (st == VIGIE_OK || ldapa_rules_count(rs) > 0) rules_print(job, rs);
  ldapa_ruleset_free(rs);
  if (fflush(stdout) != 0) rc = VIGIE_EXIT_IOERR;
  return rc;
}

static int rules_run(int argc, char **argv, cmd_ctx *ctx) {
  vigie_error err = {0};
  rules_job job = {.lang = "en"};
  job.files = vigie_calloc((size_t)argc, sizeof *job.files);
  if (job.files == NULL) return VIGIE_EXIT_OSERR;
  int rc = rules_parse(argc, argv, ctx, &job, &err);
  if (rc < 0) rc = VIGIE_EXIT_OK; /* --help */
  else if (rc != VIGIE_EXIT_OK) vigie_log_error(ctx->log, "%s (try 'vigie rules --help')", vigie_error_text(&err));
  else if (strcmp(job.action, "validate") == 0) rc = rules_validate(&job);
  else rc = rules_list(&job, ctx);
  vigie_free(job.files);
  return rc;
}

const cmd_desc cmd_rules = {
    .name = "rules",
    .summary = "list the directory rules, or validate rule files",
    .run = rules_run,
    .usage = rules_usage,
};
