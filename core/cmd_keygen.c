/* vigie keygen: make the Ed25519 key that signs proof bundles. */
#include "core/cli.h"
#include "core/cmd.h"
#include "vigie/report.h"

#define KEYGEN_DEFAULT "./vigie-signing.key"

enum { OPT_HELP = 1, OPT_OUTPUT, OPT_QUIET, OPT_VERBOSE };

static const cli_option keygen_options[] = {
    {"--help", "-h", OPT_HELP, NULL, "show this help and exit"},
    {"--output", "-o", OPT_OUTPUT, "KEY", "write the private key to KEY (default " KEYGEN_DEFAULT
                                          ") and the public key to KEY.pub"},
    {"--quiet", "-q", OPT_QUIET, NULL, "print errors only"},
    {"--verbose", "-v", OPT_VERBOSE, NULL, "say more"},
};
#define KEYGEN_OPTION_COUNT (sizeof keygen_options / sizeof keygen_options[0])

static void keygen_usage(FILE *out) {
  fprintf(out,
          "Usage: vigie keygen [-o KEY]\n"
          "\n"
          "Make an Ed25519 signing key for 'vigie bundle': KEY as PEM PKCS#8, mode 0600,\n"
          "never overwriting an existing file, and KEY.pub, its public half. Prints the\n"
          "key's fingerprint (SHA-256 of its DER SubjectPublicKeyInfo): give it to whoever\n"
          "checks your bundles. Keep KEY off shared folders.\n"
          "Exit status 0 done, 2 usage error, 73 KEY or KEY.pub already exists.\n"
          "\n"
          "Options:\n");
  cli_print_options(out, keygen_options, KEYGEN_OPTION_COUNT);
}

static int keygen_run(int argc, char **argv, cmd_ctx *ctx) {
  vigie_error err = {0};
  const char *path = KEYGEN_DEFAULT, *v = NULL;
  cli_parser p;
  cli_init(&p, argc, argv, keygen_options, KEYGEN_OPTION_COUNT);
  for (int id; (id = cli_next(&p, &v, &err)) != CLI_END && err.status == VIGIE_OK;) {
    switch (id) {
    case OPT_HELP: keygen_usage(stdout); return VIGIE_EXIT_OK;
    case OPT_OUTPUT: path = v; break;
    case OPT_QUIET: ctx->log->level = VIGIE_LOG_QUIET; break;
    case OPT_VERBOSE: cmd_adjust_verbosity(ctx, +1); break;
    case CLI_POSITIONAL: vigie_fail(&err, VIGIE_EUSAGE, "unexpected argument \"%s\"", v); break;
    default: break; /* CLI_ERROR: err is set */
    }
  }
  if (err.status != VIGIE_OK) {
    vigie_log_error(ctx->log, "%s (try 'vigie keygen --help')", vigie_error_text(&err));
    return VIGIE_EXIT_USAGE;
  }
  char fpr[RPT_BUNDLE_HEX_LEN];
  vigie_status status = rpt_bundle_keygen(path, fpr, &err);
  if (status != VIGIE_OK) {
    vigie_log_error(ctx->log, "%s", vigie_error_text(&err));
    return status == VIGIE_EPERM ? VIGIE_EXIT_CANTCREAT : cli_exit_code(status);
  }
  printf("private key: %s (mode 0600: keep it private)\n"
         "public key:  %s.pub\n"
         "fingerprint: %s\n",
         path, path, fpr);
  return fflush(stdout) == 0 ? VIGIE_EXIT_OK : VIGIE_EXIT_IOERR;
}

const cmd_desc cmd_keygen = {
    .name = "keygen",
    .summary = "make an Ed25519 key to sign proof bundles",
    .run = keygen_run,
    .usage = keygen_usage,
};
