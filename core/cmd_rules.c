/* vigie rules: list the directory and exposure rules vigie would run, and
 * check rule files a consultant wrote (schema, predicates, set names, unique
 * IDs) before they are dropped into rules/ad, rules/openldap or
 * rules/exposure. A file's kind is its root element's namespace. */
#include <string.h>
#include <sys/stat.h>

#include <libxml/tree.h>

#include "core/cli.h"
#include "core/cmd.h"
#include "vigie/ldap_audit.h"
#include "vigie/scanner.h"

enum { OPT_HELP = 1, OPT_KIND, OPT_LANG, OPT_PROFILE, OPT_QUIET, OPT_RULES, OPT_VERBOSE };

/* Which rules list shows. */
enum { KIND_DIRECTORY = 1, KIND_EXPOSURE = 2, KIND_BOTH = 3 };

#define RULES_NS_DIRECTORY "urn:vigie:directory-rules:1"
#define RULES_NS_EXPOSURE "urn:vigie:exposure-rules:1"

static const cli_option rules_options[] = {
    {"--help", "-h", OPT_HELP, NULL, "show this help and exit"},
    {"--kind", NULL, OPT_KIND, "exposure|directory",
     "list: only rules of this kind (default both)"},
    {"--lang", NULL, OPT_LANG, "fr|en", "list: language of the titles (default en)"},
    {"--profile", NULL, OPT_PROFILE, "ad|openldap", "list: only the rules of this profile"},
    {"--quiet", "-q", OPT_QUIET, NULL, "print errors only"},
    {"--rules", NULL, OPT_RULES, "DIR",
     "list: directory rules of DIR, DIR/ad and DIR/openldap, exposure rules of DIR/exposure "
     "(of DIR itself with --kind exposure; default: rules/ad, rules/openldap, rules/exposure)"},
    {"--verbose", "-v", OPT_VERBOSE, NULL, "say more"},
};
#define RULES_OPTION_COUNT (sizeof rules_options / sizeof rules_options[0])

static void rules_usage(FILE *out) {
  fprintf(out,
          "Usage: vigie rules list [OPTIONS]\n"
          "       vigie rules validate FILE...\n"
          "\n"
          "list: print the directory rules, one a line: ID, profile, severity, ANSSI\n"
          "control point and title; then the exposure rules: ID, category, severity,\n"
          "confidence and title.\n"
          "validate: check rule files (directory or exposure rules, told apart by the\n"
          "root element's namespace) against rules/directory-rules.xsd or\n"
          "rules/exposure-rules.xsd and the predicate language; print \"FILE: OK\" or\n"
          "\"FILE:LINE: what is wrong\".\n"
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
  int kind;           /* KIND_* */
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
  case OPT_KIND:
    if (strcmp(v, "exposure") != 0 && strcmp(v, "directory") != 0)
      return vigie_fail(err, VIGIE_EUSAGE, "--kind \"%s\": exposure or directory", v),
             VIGIE_EXIT_USAGE;
    job->kind = strcmp(v, "exposure") == 0 ? KIND_EXPOSURE : KIND_DIRECTORY;
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

/* The loader a file needs, from its root element's namespace: the file is
 * read once more by that loader, which is cheap for rule files and keeps
 * each loader whole. */
static vigie_status rules_kind_of(const char *path, int *kind, vigie_error *err) {
  struct _xmlDoc *doc = NULL;
  vigie_status st = vigie_xml_read_file(path, 0, NULL, &doc, err);
  if (st != VIGIE_OK) return st;
  const xmlNode *root = xmlDocGetRootElement(doc);
  const char *ns = root != NULL && root->ns != NULL ? (const char *)root->ns->href : "";
  if (strcmp(ns, RULES_NS_DIRECTORY) == 0) *kind = KIND_DIRECTORY;
  else if (strcmp(ns, RULES_NS_EXPOSURE) == 0) *kind = KIND_EXPOSURE;
  else
    st = vigie_fail(err, VIGIE_ESCHEMA,
                    "%s:%d: not a rule file: the root element's namespace is \"%s\" (expected "
                    RULES_NS_DIRECTORY " or " RULES_NS_EXPOSURE ")",
                    path, root != NULL ? (int)xmlGetLineNo(root) : 1, ns);
  vigie_xml_doc_free(doc);
  return st;
}

static vigie_status rules_validate_one(ldapa_ruleset *rs, scan_exposure_rules *xs, const char *path,
                                       vigie_error *err) {
  int kind = 0;
  vigie_status st = rules_kind_of(path, &kind, err);
  if (st != VIGIE_OK) return st;
  return kind == KIND_EXPOSURE ? scan_exposure_load_file(xs, path, err)
                               : ldapa_rules_load_file(rs, path, err);
}

static int rules_validate(const rules_job *job) {
  ldapa_ruleset *rs = ldapa_ruleset_new();
  scan_exposure_rules *xs = scan_exposure_rules_new();
  int rc = VIGIE_EXIT_OK;
  if (rs == NULL || xs == NULL) rc = VIGIE_EXIT_OSERR;
  /* One rule set of each kind for every file, so an ID used twice across
   * them is caught. */
  for (size_t i = 0; rc != VIGIE_EXIT_OSERR && i < job->nfiles; i++) {
    vigie_error err = {0};
    vigie_status st = rules_validate_one(rs, xs, job->files[i], &err);
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
  scan_exposure_rules_free(xs);
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
static void rules_load_directory(const rules_job *job, ldapa_ruleset *rs, bool *found,
                                 vigie_error *first) {
  if (job->dir != NULL) {
    rules_load_if_dir(rs, job->dir, found, first);
    rules_load_sub(rs, job->dir, "ad", found, first);
    rules_load_sub(rs, job->dir, "openldap", found, first);
    return;
  }
  static const char *const subs[] = {"ad", "openldap"};
  for (size_t i = 0; i < 2; i++) {
    vigie_error ignored;
    char *path = vigie_data_path(subs[i], &ignored);
    rules_load_if_dir(rs, path, found, first);
    vigie_free(path);
  }
}

/* The exposure folder: DIR itself with --kind exposure, else DIR/exposure,
 * else the data dir's exposure/. */
static void rules_load_exposure(const rules_job *job, scan_exposure_rules *xs, bool *found,
                                vigie_error *first) {
  vigie_error err = {0};
  char *path = NULL;
  if (job->dir != NULL && job->kind == KIND_EXPOSURE) {
    path = vigie_strdup(job->dir);
  } else if (job->dir != NULL) {
    size_t len = strlen(job->dir) + sizeof "/exposure";
    if ((path = vigie_malloc(len)) != NULL) snprintf(path, len, "%s/exposure", job->dir);
  } else {
    path = vigie_data_path("exposure", &err);
  }
  if (path != NULL && rules_is_dir(path)) {
    *found = true;
    if (scan_exposure_load_dir(xs, path, &err) != VIGIE_OK && first->status == VIGIE_OK)
      *first = err;
  }
  vigie_free(path);
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

static void rules_print_exposure(const rules_job *job, const scan_exposure_rules *xs) {
  printf("%-20s %-12s %-8s %-10s %s\n", "ID", "CATEGORY", "SEVERITY", "CONFIDENCE", "TITLE");
  for (size_t i = 0; i < scan_exposure_count(xs); i++) {
    const scan_exposure_rule *r = scan_exposure_at(xs, i);
    const char *conf = scan_exposure_rule_confidence(r);
    printf("%-20s %-12s %-8s %-10s %s\n", scan_exposure_rule_id(r), scan_exposure_rule_category(r),
           scan_severity_name(scan_exposure_rule_severity(r)), conf ? conf : "service",
           scan_exposure_rule_text(r, "title", job->lang));
  }
}

/* A broken file is reported and the others are still listed; the exit
 * status then says the rule set is not in order. A kind whose folder does
 * not exist is left out (the exposure catalogue may not be installed yet);
 * no folder at all is an error. */
static int rules_list(const rules_job *job, cmd_ctx *ctx) {
  vigie_error first = {0};
  ldapa_ruleset *rs = ldapa_ruleset_new();
  scan_exposure_rules *xs = scan_exposure_rules_new();
  bool found_dir = false, found_exp = false;
  int rc = VIGIE_EXIT_OK;
  if (rs == NULL || xs == NULL) rc = VIGIE_EXIT_OSERR;
  if (rc == VIGIE_EXIT_OK && (job->kind & KIND_DIRECTORY))
    rules_load_directory(job, rs, &found_dir, &first);
  if (rc == VIGIE_EXIT_OK && (job->kind & KIND_EXPOSURE))
    rules_load_exposure(job, xs, &found_exp, &first);
  if (rc == VIGIE_EXIT_OK && !found_dir && !found_exp)
    vigie_fail(&first, VIGIE_ENOENT, "no rule directory found%s%s", job->dir ? ": " : "",
               job->dir ? job->dir : " (rules/ad, rules/openldap, rules/exposure)");
  if (rc == VIGIE_EXIT_OK && first.status != VIGIE_OK) {
    vigie_log_error(ctx->log, "%s", vigie_error_text(&first));
    rc = cli_exit_code(first.status);
  }
  if (found_dir && (first.status == VIGIE_OK || ldapa_rules_count(rs) > 0)) rules_print(job, rs);
  if (found_dir && found_exp) printf("\n");
  if (found_exp && (first.status == VIGIE_OK || scan_exposure_count(xs) > 0))
    rules_print_exposure(job, xs);
  ldapa_ruleset_free(rs);
  scan_exposure_rules_free(xs);
  if (fflush(stdout) != 0) rc = VIGIE_EXIT_IOERR;
  return rc;
}

static int rules_run(int argc, char **argv, cmd_ctx *ctx) {
  vigie_error err = {0};
  rules_job job = {.lang = "en", .kind = KIND_BOTH};
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
    .summary = "list the directory and exposure rules, or validate rule files",
    .run = rules_run,
    .usage = rules_usage,
};
