/* vigie bundle: sign a folder of audit results for eCaRE (MANIFEST,
 * MANIFEST.sig, pubkey.pem) and optionally timestamp it (MANIFEST.tsr). */
#include "core/cli.h"
#include "core/cmd.h"
#include "vigie/report.h"

enum { OPT_HELP = 1, OPT_KEY, OPT_QUIET, OPT_TSA_CA, OPT_TSA_TIMEOUT, OPT_TSA_URL, OPT_VERBOSE };

static const cli_option bundle_options[] = {
    {"--help", "-h", OPT_HELP, NULL, "show this help and exit"},
    {"--key", NULL, OPT_KEY, "KEY", "the Ed25519 private key to sign with (vigie keygen)"},
    {"--quiet", "-q", OPT_QUIET, NULL, "print errors only"},
    {"--tsa-ca", NULL, OPT_TSA_CA, "FILE", "PEM certificates the TSA's chain must reach"},
    {"--tsa-timeout", NULL, OPT_TSA_TIMEOUT, "SECONDS",
     "give up on the TSA after SECONDS (30), connection attempts included"},
    {"--tsa-url", NULL, OPT_TSA_URL, "URL",
     "also timestamp MANIFEST at this RFC 3161 authority (http_proxy is honoured)"},
    {"--verbose", "-v", OPT_VERBOSE, NULL, "say more"},
};
#define BUNDLE_OPTION_COUNT (sizeof bundle_options / sizeof bundle_options[0])

static void bundle_usage(FILE *out) {
  fprintf(out,
          "Usage: vigie bundle --key KEY [--tsa-url URL [--tsa-ca FILE]] DIR\n"
          "\n"
          "Sign every file under DIR: DIR/MANIFEST (sha256sum lines, sorted),\n"
          "DIR/MANIFEST.sig (Ed25519 signature of MANIFEST) and DIR/pubkey.pem. Prints\n"
          "the key's fingerprint and the SHA-256 of MANIFEST, the value to record in the\n"
          "eCaRE form. With --tsa-url, MANIFEST's hash is also timestamped (RFC 3161) into\n"
          "DIR/MANIFEST.tsr; if the authority cannot be reached the bundle stays signed\n"
          "and 'vigie timestamp' can add the token later.\n"
          "Exit status 0 done, 2 usage error or a file a bundle cannot hold (symbolic\n"
          "link, device, name with a control character or backslash), 69 TSA unreachable,\n"
          "76 TSA refused or answered garbage, 4 its answer does not match.\n"
          "\n"
          "Options:\n");
  cli_print_options(out, bundle_options, BUNDLE_OPTION_COUNT);
}

static void print_stamp(const rpt_bundle_stamp *s) {
  printf("timestamp: %s (%s)\n", s->time,
         s->signer_checked ? "TSA signature and chain checked"
                           : "token intact; its signer was not checked: give --tsa-ca");
}

static int bundle_sign_stamp(const char *dir, const char *key, const rpt_bundle_tsa *tsa,
                             cmd_ctx *ctx) {
  vigie_error err = {0};
  rpt_bundle_info info;
  vigie_status status = rpt_bundle_sign(dir, key, &info, &err);
  if (status != VIGIE_OK) {
    vigie_log_error(ctx->log, "%s", vigie_error_text(&err));
    return cli_exit_code(status);
  }
  printf("signed: %s (%zu files)\nkey fingerprint: %s\nMANIFEST sha256: %s\n", dir, info.files,
         info.fingerprint, info.manifest_sha256);
  if (tsa->url == NULL) return fflush(stdout) == 0 ? VIGIE_EXIT_OK : VIGIE_EXIT_IOERR;
  rpt_bundle_stamp stamp;
  status = rpt_bundle_timestamp(dir, tsa, &stamp, &err);
  fflush(stdout);
  if (status != VIGIE_OK) {
    vigie_log_error(ctx->log, "%s", vigie_error_text(&err));
    vigie_log_error(ctx->log, "%s is signed but not timestamped: run 'vigie timestamp --tsa-url "
                    "URL %s' later", dir, dir);
    return cli_exit_code(status);
  }
  print_stamp(&stamp);
  return fflush(stdout) == 0 ? VIGIE_EXIT_OK : VIGIE_EXIT_IOERR;
}

static int bundle_run(int argc, char **argv, cmd_ctx *ctx) {
  vigie_error err = {0};
  const char *v = NULL, *key = NULL, *dir = NULL;
  rpt_bundle_tsa tsa = {0};
  cli_parser p;
  cli_init(&p, argc, argv, bundle_options, BUNDLE_OPTION_COUNT);
  for (int id; (id = cli_next(&p, &v, &err)) != CLI_END && err.status == VIGIE_OK;) {
    switch (id) {
    case OPT_HELP: bundle_usage(stdout); return VIGIE_EXIT_OK;
    case OPT_KEY: key = v; break;
    case OPT_TSA_URL: tsa.url = v; break;
    case OPT_TSA_CA: tsa.ca_file = v; break;
    case OPT_TSA_TIMEOUT: {
      unsigned long t = 0;
      if (cli_parse_uint("--tsa-timeout", v, 1, 3600, &t, &err) == VIGIE_OK) tsa.timeout = (int)t;
      break;
    }
    case OPT_QUIET: ctx->log->level = VIGIE_LOG_QUIET; break;
    case OPT_VERBOSE: cmd_adjust_verbosity(ctx, +1); break;
    case CLI_POSITIONAL:
      if (dir != NULL) vigie_fail(&err, VIGIE_EUSAGE, "one DIR only (\"%s\")", v);
      dir = v;
      break;
    default: break; /* CLI_ERROR: err is set */
    }
  }
  if (err.status == VIGIE_OK && key == NULL) vigie_fail(&err, VIGIE_EUSAGE, "--key KEY is required");
  if (err.status == VIGIE_OK && dir == NULL) vigie_fail(&err, VIGIE_EUSAGE, "no DIR given");
  if (err.status == VIGIE_OK && tsa.ca_file != NULL && tsa.url == NULL)
    vigie_fail(&err, VIGIE_EUSAGE, "--tsa-ca needs --tsa-url");
  if (err.status != VIGIE_OK) {
    vigie_log_error(ctx->log, "%s (try 'vigie bundle --help')", vigie_error_text(&err));
    return VIGIE_EXIT_USAGE;
  }
  return bundle_sign_stamp(dir, key, &tsa, ctx);
}

const cmd_desc cmd_bundle = {
    .name = "bundle",
    .summary = "sign a folder of results as a proof bundle (and timestamp it)",
    .run = bundle_run,
    .usage = bundle_usage,
};
