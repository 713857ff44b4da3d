/* vigie report: merge scan and directory results into one scored report
 * (report.xml, report.html, findings.csv, findings.json, scan.nmap.xml),
 * or, with --merge, many establishments' reports into a regional roll-up.
 * Every file is written atomically; a failure leaves the previous file of
 * that name in place and names what went wrong. */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/cli.h"
#include "core/cmd.h"
#include "vigie/report.h"

enum {
  OPT_HELP = 1,
  OPT_SCAN,
  OPT_DIRECTORY,
  OPT_PREVIOUS,
  OPT_WAIVERS,
  OPT_LANG,
  OPT_ESTABLISHMENT,
  OPT_FINESS,
  OPT_OUTPUT,
  OPT_MERGE,
  OPT_CSV_SEMICOLON,
  OPT_CSV_BOM,
  OPT_FAIL_ON,
  OPT_KEY_FINGERPRINT,
  OPT_VERBOSE,
  OPT_QUIET
};

static const cli_option report_options[] = {
    {"--scan", NULL, OPT_SCAN, "FILE", "a scan result (vigie scan -o FILE); repeatable"},
    {"--directory", NULL, OPT_DIRECTORY, "FILE",
     "a directory audit result (vigie ldap -o FILE); repeatable"},
    {"--previous", NULL, OPT_PREVIOUS, "FILE",
     "an earlier report.xml to compare with (trend); repeatable"},
    {"--waivers", NULL, OPT_WAIVERS, "FILE", "accepted risks: rule, asset, reason, author, expiry"},
    {"--lang", NULL, OPT_LANG, "fr|en", "language of report.html and of the titles (fr)"},
    {"--establishment", NULL, OPT_ESTABLISHMENT, "NAME", "the establishment's name"},
    {"--finess", NULL, OPT_FINESS, "ID", "the establishment's FINESS number (9 digits)"},
    {"--merge", NULL, OPT_MERGE, NULL,
     "regional roll-up: the positional arguments are report folders (or report.xml files)"},
    {"--csv-semicolon", NULL, OPT_CSV_SEMICOLON, NULL, "separate CSV cells with ';' (French Excel)"},
    {"--csv-bom", NULL, OPT_CSV_BOM, NULL, "start the CSV files with a UTF-8 byte order mark"},
    {"--fail-on", NULL, OPT_FAIL_ON, "SEVERITY",
     "exit 1 when an open finding is at least this severe (critical, high, medium, low, info)"},
    {"--key-fingerprint", NULL, OPT_KEY_FINGERPRINT, "HEX",
     "SHA-256 fingerprint of the key that will sign the bundle, shown in the annex"},
    {"-o", NULL, OPT_OUTPUT, "DIR", "write the report files into DIR (created if absent)"},
    {"--help", "-h", OPT_HELP, NULL, "show this help and exit"},
    {"--quiet", "-q", OPT_QUIET, NULL, "print errors only"},
    {"--verbose", "-v", OPT_VERBOSE, NULL, "say more"},
};
#define REPORT_OPTION_COUNT (sizeof report_options / sizeof report_options[0])

static void report_usage(FILE *out) {
  fprintf(out,
          "Usage: vigie report [--scan FILE]... [--directory FILE]... [--previous FILE]...\n"
          "                    [--waivers FILE] [--lang fr|en] [--establishment NAME]\n"
          "                    [--finess ID] -o DIR\n"
          "       vigie report --merge [--lang fr|en] -o DIR REPORT_DIR...\n"
          "\n"
          "Merge scan and directory results into one report: findings with severity,\n"
          "trend against earlier reports, waivers, the two estimated levels (exposure,\n"
          "directory) and what holds them down. Writes into DIR: report.xml (the\n"
          "canonical record, rules/report.xsd), report.html (self-contained, French by\n"
          "default), findings.csv, findings.json (DefectDojo generic import) and, when a\n"
          "scan is given, scan.nmap.xml. With --merge, writes region.html and region.csv,\n"
          "one row per establishment. The levels are estimates to prepare and follow\n"
          "remediation, not the official SILENE or ADS results.\n"
          "SOURCE_DATE_EPOCH, when set, fixes the report's date (reproducible output).\n"
          "Exit status: 0 done, 1 an open finding reaches --fail-on, 2 usage or input\n"
          "error (the message names the file and line), 74 a file could not be written.\n"
          "\n"
          "Options:\n");
  cli_print_options(out, report_options, REPORT_OPTION_COUNT);
}

typedef struct report_job {
  const char **scans, **directories, **previous, **merge_inputs;
  size_t scan_count, directory_count, previous_count, merge_count;
  size_t scan_cap, directory_cap, previous_cap, merge_cap;
  const char *waivers, *lang, *establishment, *finess, *output, *key_fingerprint;
  bool merge, csv_semicolon, csv_bom, fail_on_set;
  rpt_severity fail_on;
} report_job;

static vigie_status push(const char ***v, size_t *n, size_t *cap, const char *value,
                         vigie_error *err) {
  if (!vigie_grow((void **)v, *n, cap, sizeof **v))
    return vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  (*v)[(*n)++] = value;
  return VIGIE_OK;
}

static void report_job_free(report_job *job) {
  vigie_free(job->scans);
  vigie_free(job->directories);
  vigie_free(job->previous);
  vigie_free(job->merge_inputs);
}

/* ------------------------------------------------------------ parsing */

static int report_parse(int argc, char **argv, cmd_ctx *ctx, report_job *job, vigie_error *err) {
  cli_parser p;
  cli_init(&p, argc, argv, report_options, REPORT_OPTION_COUNT);
  const char *v = NULL;
  vigie_status st = VIGIE_OK;
  for (int id; st == VIGIE_OK && (id = cli_next(&p, &v, err)) != CLI_END;) {
    switch (id) {
      case CLI_ERROR: return VIGIE_EXIT_USAGE;
      case CLI_POSITIONAL:
        st = push(&job->merge_inputs, &job->merge_count, &job->merge_cap, v, err);
        break;
      case OPT_HELP: report_usage(stdout); return -1;
      case OPT_SCAN: st = push(&job->scans, &job->scan_count, &job->scan_cap, v, err); break;
      case OPT_DIRECTORY:
        st = push(&job->directories, &job->directory_count, &job->directory_cap, v, err);
        break;
      case OPT_PREVIOUS:
        st = push(&job->previous, &job->previous_count, &job->previous_cap, v, err);
        break;
      case OPT_WAIVERS: job->waivers = v; break;
      case OPT_LANG:
        if (strcmp(v, "fr") != 0 && strcmp(v, "en") != 0)
          st = vigie_fail(err, VIGIE_EUSAGE, "--lang \"%s\": expected fr or en", v);
        job->lang = v;
        break;
      case OPT_ESTABLISHMENT: job->establishment = v; break;
      case OPT_FINESS: job->finess = v; break;
      case OPT_OUTPUT: job->output = v; break;
      case OPT_MERGE: job->merge = true; break;
      case OPT_CSV_SEMICOLON: job->csv_semicolon = true; break;
      case OPT_CSV_BOM: job->csv_bom = true; break;
      case OPT_FAIL_ON:
        if (!rpt_severity_parse(v, &job->fail_on))
          st = vigie_fail(err, VIGIE_EUSAGE,
                          "--fail-on \"%s\": expected critical, high, medium, low or info", v);
        job->fail_on_set = true;
        break;
      case OPT_KEY_FINGERPRINT:
        if (strlen(v) != 64 || strspn(v, "0123456789abcdef") != 64)
          st = vigie_fail(err, VIGIE_EUSAGE,
                          "--key-fingerprint \"%.80s\": expected 64 lower-case hex digits "
                          "(the SHA-256 vigie keygen prints)", v);
        job->key_fingerprint = v;
        break;
      case OPT_VERBOSE: cmd_adjust_verbosity(ctx, +1); break;
      case OPT_QUIET: ctx->log->level = VIGIE_LOG_QUIET; break;
      default: return vigie_fail(err, VIGIE_EINVAL, "unhandled option"), VIGIE_EXIT_SOFTWARE;
    }
  }
  if (st == VIGIE_OK && job->output == NULL)
    st = vigie_fail(err, VIGIE_EUSAGE, "no output folder: give -o DIR");
  if (st == VIGIE_OK && job->merge) {
    if (job->merge_count == 0)
      st = vigie_fail(err, VIGIE_EUSAGE, "--merge needs report folders or report.xml files");
    else if (job->scan_count || job->directory_count || job->previous_count || job->waivers)
      st = vigie_fail(err, VIGIE_EUSAGE,
                      "--merge takes report folders only, not --scan, --directory, --previous "
                      "or --waivers");
  } else if (st == VIGIE_OK) {
    if (job->merge_count != 0)
      st = vigie_fail(err, VIGIE_EUSAGE,
                      "unexpected argument \"%s\": inputs are given with --scan and --directory",
                      job->merge_inputs[0]);
    else if (job->scan_count == 0 && job->directory_count == 0)
      st = vigie_fail(err, VIGIE_EUSAGE, "nothing to report: give --scan FILE or --directory FILE");
  }
  return st == VIGIE_OK ? VIGIE_EXIT_OK : cli_exit_code(st);
}

/* ------------------------------------------------------------ outputs */

static vigie_status make_dir(const char *dir, vigie_error *err) {
  if (mkdir(dir, 0777) == 0 || errno == EEXIST) {
    struct stat st;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) return VIGIE_OK;
    return vigie_fail(err, VIGIE_EIO, "%s: exists and is not a folder", dir);
  }
  return vigie_fail(err, VIGIE_EIO, "%s: cannot create the folder: %s", dir, strerror(errno));
}

static char *join_path(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = vigie_malloc(n);
  if (p) snprintf(p, n, "%s/%s", dir, name);
  return p;
}

/* One output file: written to a temporary beside it, renamed when whole. */
typedef vigie_status (*report_writer)(const void *ctx, FILE *out, vigie_error *err);

static vigie_status write_one(const char *dir, const char *name, report_writer write,
                              const void *ctx, vigie_error *err) {
  char *path = join_path(dir, name);
  if (!path) return vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  vigie_afile *f = NULL;
  vigie_status st = vigie_afile_open(path, &f, err);
  if (st == VIGIE_OK) {
    st = write(ctx, vigie_afile_stream(f), err);
    if (st == VIGIE_OK)
      st = vigie_afile_commit(f, err);
    else
      vigie_afile_abort(f);
  }
  if (st != VIGIE_OK) vigie_fail(err, st, "%s: %s", path, vigie_error_text(err));
  vigie_free(path);
  return st;
}

/* One output of a set written at once. */
typedef struct report_file {
  const char *name;
  report_writer write;
  const void *ctx;
  const char *dir;
  vigie_status status;
  vigie_error err;
} report_file;

static void *write_thread(void *arg) {
  report_file *f = arg;
  f->status = write_one(f->dir, f->name, f->write, f->ctx, &f->err);
  return NULL;
}

/* Write every file of the set, each on a thread of its own: the writers
 * only read the report, and a big report's formats then share the cores
 * (findings.csv and findings.json alone are each about a second for
 * 100,000 findings). Every file is attempted; the first failure in the
 * set's order is returned. */
static vigie_status write_all(const char *dir, report_file *files, size_t n, vigie_log *log,
                              vigie_error *err) {
  pthread_t threads[8];
  bool started[8] = {false};
  /* One malloc arena for all: memory the build freed (its XML trees) is
   * then reused by the writers instead of each thread growing its own. */
  mallopt(M_ARENA_MAX, 1);
  for (size_t i = 0; i < n && i < 8; i++) {
    files[i].dir = dir;
    started[i] = pthread_create(&threads[i], NULL, write_thread, &files[i]) == 0;
    if (!started[i]) write_thread(&files[i]); /* no thread: write it here */
  }
  for (size_t i = 0; i < n && i < 8; i++)
    if (started[i]) pthread_join(threads[i], NULL);
  for (size_t i = 0; i < n && i < 8; i++) {
    if (files[i].status != VIGIE_OK) {
      *err = files[i].err;
      return files[i].status;
    }
    vigie_log_verbose(log, "wrote %s/%s", dir, files[i].name);
  }
  return VIGIE_OK;
}

typedef struct report_out {
  const rpt_report *report;
  const report_job *job;
  const rpt_report *const *many;
  size_t many_count;
} report_out;

static rpt_csv_options csv_options(const report_job *job) {
  return (rpt_csv_options){.separator = job->csv_semicolon ? ';' : ',', .bom = job->csv_bom};
}

static vigie_status w_xml(const void *ctx, FILE *out, vigie_error *err) {
  return rpt_xml_write(((const report_out *)ctx)->report, out, err);
}

static vigie_status w_html(const void *ctx, FILE *out, vigie_error *err) {
  const report_out *o = ctx;
  rpt_html_options h = {.lang = o->job->lang, .key_fingerprint = o->job->key_fingerprint};
  return rpt_html_write(o->report, &h, out, err);
}

static vigie_status w_csv(const void *ctx, FILE *out, vigie_error *err) {
  const report_out *o = ctx;
  rpt_csv_options c = csv_options(o->job);
  return rpt_csv_write(o->report, &c, out, err);
}

static vigie_status w_json(const void *ctx, FILE *out, vigie_error *err) {
  return rpt_json_write(((const report_out *)ctx)->report, out, err);
}

static vigie_status w_nmap(const void *ctx, FILE *out, vigie_error *err) {
  const report_out *o = ctx;
  return rpt_nmap_write(o->report, out, err);
}

static vigie_status w_rollup_html(const void *ctx, FILE *out, vigie_error *err) {
  const report_out *o = ctx;
  return rpt_rollup_html(o->many, o->many_count, o->job->lang ? o->job->lang : "fr", out, err);
}

static vigie_status w_rollup_csv(const void *ctx, FILE *out, vigie_error *err) {
  const report_out *o = ctx;
  rpt_csv_options c = csv_options(o->job);
  return rpt_rollup_csv(o->many, o->many_count, &c, out, err);
}

/* The report's time: SOURCE_DATE_EPOCH when set (reproducible builds'
 * convention), else now. */
static vigie_status report_now(time_t *now, vigie_error *err) {
  const char *sde = getenv("SOURCE_DATE_EPOCH");
  if (sde == NULL || *sde == '\0') {
    *now = time(NULL);
    return VIGIE_OK;
  }
  unsigned long v = 0;
  vigie_status st = cli_parse_uint("SOURCE_DATE_EPOCH", sde, 0, 253402300799ul, &v, err);
  *now = (time_t)v;
  return st;
}

static bool fails_at(const rpt_report *r, rpt_severity threshold) {
  for (int s = RPT_SEV_CRITICAL; s <= (int)threshold; s++)
    if (r->scores.counts[s] > 0) return true;
  return false;
}

static int report_single(report_job *job, cmd_ctx *ctx, vigie_error *err) {
  rpt_build_options b = {.scans = job->scans,
                         .scan_count = job->scan_count,
                         .directories = job->directories,
                         .directory_count = job->directory_count,
                         .previous = job->previous,
                         .previous_count = job->previous_count,
                         .waivers = job->waivers,
                         .lang = job->lang,
                         .establishment = job->establishment,
                         .finess = job->finess,
                         .log = ctx->log};
  rpt_report *report = NULL;
  vigie_status st = report_now(&b.now, err);
  if (st == VIGIE_OK) st = rpt_build(&b, &report, err);
  if (st == VIGIE_OK) st = make_dir(job->output, err);
  report_out o = {.report = report, .job = job};
  report_file files[] = {{.name = "report.xml", .write = w_xml, .ctx = &o},
                         {.name = "report.html", .write = w_html, .ctx = &o},
                         {.name = "findings.csv", .write = w_csv, .ctx = &o},
                         {.name = "findings.json", .write = w_json, .ctx = &o},
                         {.name = "scan.nmap.xml", .write = w_nmap, .ctx = &o}};
  size_t nfiles = job->scan_count > 0 ? 5 : 4;
  if (st == VIGIE_OK) st = write_all(job->output, files, nfiles, ctx->log, err);
  int rc = VIGIE_EXIT_OK;
  if (st != VIGIE_OK) {
    vigie_log_error(ctx->log, "%s", vigie_error_text(err));
    rc = cli_exit_code(st);
  } else {
    const rpt_scores *s = &report->scores;
    vigie_log_info(ctx->log,
                   "report: %zu findings open (%zu critical, %zu high, %zu medium, %zu low, %zu "
                   "info), %zu waived, %zu fixed since the last report",
                   s->counts[0] + s->counts[1] + s->counts[2] + s->counts[3] + s->counts[4],
                   s->counts[0], s->counts[1], s->counts[2], s->counts[3], s->counts[4],
                   s->waived_counts[0] + s->waived_counts[1] + s->waived_counts[2] +
                       s->waived_counts[3] + s->waived_counts[4],
                   s->fixed_count);
    if (s->exposure.known)
      vigie_log_info(ctx->log, "estimated exposure level: %d of 5", s->exposure.value);
    if (s->directory.known)
      vigie_log_info(ctx->log, "estimated directory level: %d of 5 (%zu of %zu control points "
                     "evaluated)", s->directory.value, s->directory.points_evaluated,
                     s->directory.points_total);
    vigie_log_info(ctx->log, "report: %s/report.html", job->output);
    if (job->fail_on_set && fails_at(report, job->fail_on)) rc = VIGIE_EXIT_FINDINGS;
  }
  rpt_report_free(report);
  return rc;
}

/* A --merge argument: a report folder, or a report.xml itself. */
static char *merge_path(const char *arg) {
  struct stat st;
  if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) return join_path(arg, "report.xml");
  return vigie_strdup(arg);
}

static int report_merge(report_job *job, cmd_ctx *ctx, vigie_error *err) {
  rpt_report **many = vigie_calloc(job->merge_count, sizeof *many);
  vigie_status st = many ? VIGIE_OK : vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  for (size_t i = 0; st == VIGIE_OK && i < job->merge_count; i++) {
    char *path = merge_path(job->merge_inputs[i]);
    st = path ? rpt_xml_read(path, &many[i], err) : vigie_fail(err, VIGIE_ENOMEM, "out of memory");
    vigie_free(path);
  }
  if (st == VIGIE_OK) st = make_dir(job->output, err);
  report_out o = {.job = job, .many = (const rpt_report *const *)many,
                  .many_count = job->merge_count};
  report_file files[] = {{.name = "region.html", .write = w_rollup_html, .ctx = &o},
                         {.name = "region.csv", .write = w_rollup_csv, .ctx = &o}};
  if (st == VIGIE_OK) st = write_all(job->output, files, 2, ctx->log, err);
  int rc = VIGIE_EXIT_OK;
  if (st != VIGIE_OK) {
    vigie_log_error(ctx->log, "%s", vigie_error_text(err));
    rc = cli_exit_code(st);
  } else {
    vigie_log_info(ctx->log, "roll-up of %zu establishments: %s/region.html", job->merge_count,
                   job->output);
  }
  for (size_t i = 0; many && i < job->merge_count; i++) rpt_report_free(many[i]);
  vigie_free(many);
  return rc;
}

static int report_run(int argc, char **argv, cmd_ctx *ctx) {
  vigie_error err = {0};
  report_job job = {0};
  int rc = report_parse(argc, argv, ctx, &job, &err);
  if (rc < 0) {
    rc = VIGIE_EXIT_OK; /* --help */
  } else if (rc != VIGIE_EXIT_OK) {
    vigie_log_error(ctx->log, "%s", vigie_error_text(&err));
    if (rc == VIGIE_EXIT_USAGE) vigie_log_error(ctx->log, "see vigie report --help");
  } else {
    rc = job.merge ? report_merge(&job, ctx, &err) : report_single(&job, ctx, &err);
  }
  report_job_free(&job);
  return rc;
}

const cmd_desc cmd_report = {
    .name = "report",
    .summary = "merge scan and directory results into a scored report (HTML, XML, CSV, JSON)",
    .run = report_run,
    .usage = report_usage,
};
