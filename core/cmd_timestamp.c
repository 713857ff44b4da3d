/* vigie timestamp: add an RFC 3161 token to a signed bundle later, from any
 * connected machine (only MANIFEST's hash travels), or by hand: write the
 * request, install the reply. */
#include "core/cli.h"
#include "core/cmd.h"
#include "vigie/report.h"

enum { OPT_HELP = 1, OPT_QUERY_OUT, OPT_QUIET, OPT_REPLY, OPT_TSA_CA, OPT_TSA_TIMEOUT, OPT_TSA_URL, OPT_VERBOSE };

static const cli_option timestamp_options[] = {
    {"--help", "-h", OPT_HELP, NULL, "show this help and exit"},
    {"--query-out", NULL, OPT_QUERY_OUT, "FILE",
     "write the request (DER, like openssl ts -query) to FILE instead of sending it"},
    {"--quiet", "-q", OPT_QUIET, NULL, "print errors only"},
    {"--reply", NULL, OPT_REPLY, "FILE",
     "install FILE, a TSA's reply obtained elsewhere, as DIR/MANIFEST.tsr once it matches"},
    {"--tsa-ca", NULL, OPT_TSA_CA, "FILE", "PEM certificates the TSA's chain must reach"},
    {"--tsa-timeout", NULL, OPT_TSA_TIMEOUT, "SECONDS",
     "give up on the TSA after SECONDS (30), connection attempts included"},
    {"--tsa-url", NULL, OPT_TSA_URL, "URL", "send the request to this RFC 3161 authority"},
    {"--verbose", "-v", OPT_VERBOSE, NULL, "say more"},
};
#define TIMESTAMP_OPTION_COUNT (sizeof timestamp_options / sizeof timestamp_options[0])

static void timestamp_usage(FILE *out) {
  fprintf(out,
          "Usage: vigie timestamp --tsa-url URL [--tsa-ca FILE] DIR\n"
          "       vigie timestamp --query-out FILE DIR\n"
          "       vigie timestamp --reply FILE [--tsa-ca FILE] DIR\n"
          "\n"
          "Timestamp DIR/MANIFEST (RFC 3161, SHA-256) into DIR/MANIFEST.tsr. Only MANIFEST\n"
          "is read: a copy of it alone, in a folder of its own, can be stamped on another\n"
          "machine and the .tsr brought back. --query-out writes the request for a TSA\n"
          "reached by other means; --reply installs its answer after checking that it is\n"
          "for this MANIFEST.\n"
          "Exit status 0 done, 2 usage error, 4 the reply does not match MANIFEST or does\n"
          "not verify, 69 TSA unreachable, 76 TSA refused or answered garbage.\n"
          "\n"
          "Options:\n");
  cli_print_options(out, timestamp_options, TIMESTAMP_OPTION_COUNT);
}

typedef struct timestamp_job {
  rpt_bundle_tsa tsa;
  const char *query_out, *reply, *dir;
} timestamp_job;

static void timestamp_parse(int argc, char **argv, cmd_ctx *ctx, timestamp_job *job, bool *help,
                            vigie_error *err) {
  const char *v = NULL;
  cli_parser p;
  cli_init(&p, argc, argv, timestamp_options, TIMESTAMP_OPTION_COUNT);
  for (int id; (id = cli_next(&p, &v, err)) != CLI_END && err->status == VIGIE_OK;) {
    switch (id) {
    case OPT_HELP: *help = true; return;
    case OPT_QUERY_OUT: job->query_out = v; break;
    case OPT_REPLY: job->reply = v; break;
    case OPT_TSA_URL: job->tsa.url = v; break;
    case OPT_TSA_CA: job->tsa.ca_file = v; break;
    case OPT_TSA_TIMEOUT: {
      unsigned long t = 0;
      if (cli_parse_uint("--tsa-timeout", v, 1, 3600, &t, err) == VIGIE_OK) job->tsa.timeout = (int)t;
      break;
    }
    case OPT_QUIET: ctx->log->level = VIGIE_LOG_QUIET; break;
    case OPT_VERBOSE: cmd_adjust_verbosity(ctx, +1); break;
    case CLI_POSITIONAL:
      if (job->dir != NULL) vigie_fail(err, VIGIE_EUSAGE, "one DIR only (\"%s\")", v);
      job->dir = v;
      break;
    default: break; /* CLI_ERROR: err is set */
    }
  }
  if (err->status != VIGIE_OK) return;
  int modes = (job->tsa.url != NULL) + (job->query_out != NULL) + (job->reply != NULL);
  if (modes != 1) vigie_fail(err, VIGIE_EUSAGE, "give one of --tsa-url, --query-out or --reply");
  else if (job->dir == NULL) vigie_fail(err, VIGIE_EUSAGE, "no DIR given");
  else if (job->query_out != NULL && job->tsa.ca_file != NULL)
    vigie_fail(err, VIGIE_EUSAGE, "--tsa-ca checks a reply: not with --query-out");
}

static int timestamp_run(int argc, char **argv, cmd_ctx *ctx) {
  vigie_error err = {0};
  timestamp_job job = {0};
  bool help = false;
  timestamp_parse(argc, argv, ctx, &job, &help, &err);
  if (help) return timestamp_usage(stdout), VIGIE_EXIT_OK;
  if (err.status != VIGIE_OK) {
    vigie_log_error(ctx->log, "%s (try 'vigie timestamp --help')", vigie_error_text(&err));
    return VIGIE_EXIT_USAGE;
  }
  rpt_bundle_stamp stamp = {0};
  vigie_status status;
  if (job.query_out != NULL) status = rpt_bundle_query_write(job.dir, job.query_out, &err);
  else if (job.reply != NULL)
    status = rpt_bundle_reply_install(job.dir, job.reply, job.tsa.ca_file, &stamp, &err);
  else status = rpt_bundle_timestamp(job.dir, &job.tsa, &stamp, &err);
  if (status != VIGIE_OK) {
    vigie_log_error(ctx->log, "%s", vigie_error_text(&err));
    return cli_exit_code(status);
  }
  if (job.query_out != NULL)
    printf("request: %s (send it to a TSA, then: vigie timestamp --reply FILE %s)\n", job.query_out,
           job.dir);
  else
    printf("timestamp: %s (%s)\n", stamp.time,
           stamp.signer_checked ? "TSA signature and chain checked"
                                : "token intact; its signer was not checked: give --tsa-ca");
  return fflush(stdout) == 0 ? VIGIE_EXIT_OK : VIGIE_EXIT_IOERR;
}

const cmd_desc cmd_timestamp = {
    .name = "timestamp",
    .summary = "add an RFC 3161 timestamp to a signed proof bundle",
    .run = timestamp_run,
    .usage = timestamp_usage,
};
