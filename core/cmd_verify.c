/* vigie verify: check a proof bundle offline and name every problem. */
#include "core/cli.h"
#include "core/cmd.h"
#include "vigie/report.h"

enum { OPT_HELP = 1, OPT_PUBKEY, OPT_QUIET, OPT_TSA_CA, OPT_VERBOSE };

static const cli_option verify_options[] = {
    {"--help", "-h", OPT_HELP, NULL, "show this help and exit"},
    {"--pubkey", NULL, OPT_PUBKEY, "PEM",
     "the signer's public key as you received it: the bundle's pubkey.pem must be it"},
    {"--quiet", "-q", OPT_QUIET, NULL, "print errors only"},
    {"--tsa-ca", NULL, OPT_TSA_CA, "FILE", "PEM certificates the timestamp's TSA chain must reach"},
    {"--verbose", "-v", OPT_VERBOSE, NULL, "say more"},
};
#define VERIFY_OPTION_COUNT (sizeof verify_options / sizeof verify_options[0])

static void verify_usage(FILE *out) {
  fprintf(out,
          "Usage: vigie verify [--pubkey PEM] [--tsa-ca FILE] DIR\n"
          "\n"
          "Check a proof bundle offline: MANIFEST.sig over MANIFEST with pubkey.pem (which\n"
          "must be --pubkey when given), every listed file's SHA-256, no file missing or\n"
          "added, and MANIFEST.tsr when present (its signer only with --tsa-ca). Prints one\n"
          "line per problem, \"FILE: what\" (changed, missing, added, bad signature, key\n"
          "swapped, timestamp mismatch, malformed), then the key's fingerprint and OK.\n"
          "Without --pubkey the signature only proves the bundle is whole: compare the\n"
          "fingerprint with the one the signer gave you.\n"
          "Exit status 0 valid, 4 verification failed, 2 usage error.\n"
          "\n"
          "Options:\n");
  cli_print_options(out, verify_options, VERIFY_OPTION_COUNT);
}

/* Paths come from the bundle: no control byte reaches the terminal. */
static void print_clean(const char *s) {
  for (; *s; s++) putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static void verify_problem(void *ctx, const rpt_verify_problem *p) {
  (void)ctx;
  print_clean(p->path);
  printf(": %s", p->what);
  if (p->detail != NULL) {
    printf(" (");
    print_clean(p->detail);
    printf(")");
  }
  printf("\n");
}

static void verify_summary(const rpt_bundle_verified *v, bool pinned) {
  if (v->info.fingerprint[0])
    printf("key fingerprint: %s%s\n", v->info.fingerprint, pinned ? " (as given with --pubkey)" : "");
  if (v->info.manifest_sha256[0]) printf("MANIFEST sha256: %s\n", v->info.manifest_sha256);
  if (v->stamped)
    printf("timestamp: %s (%s)\n", v->stamp.time,
           v->stamp.signer_checked ? "TSA signature and chain checked"
                                   : "token intact; its signer was not checked: give --tsa-ca");
  if (v->problems == 0) printf("OK: %zu files\n", v->info.files);
  else printf("FAILED: %zu problem%s\n", v->problems, v->problems == 1 ? "" : "s");
}

static int verify_run(int argc, char **argv, cmd_ctx *ctx) {
  vigie_error err = {0};
  const char *v = NULL, *pubkey = NULL, *tsa_ca = NULL, *dir = NULL;
  cli_parser p;
  cli_init(&p, argc, argv, verify_options, VERIFY_OPTION_COUNT);
  for (int id; (id = cli_next(&p, &v, &err)) != CLI_END && err.status == VIGIE_OK;) {
    switch (id) {
    case OPT_HELP: verify_usage(stdout); return VIGIE_EXIT_OK;
    case OPT_PUBKEY: pubkey = v; break;
    case OPT_TSA_CA: tsa_ca = v; break;
    case OPT_QUIET: ctx->log->level = VIGIE_LOG_QUIET; break;
    case OPT_VERBOSE: cmd_adjust_verbosity(ctx, +1); break;
    case CLI_POSITIONAL:
      if (dir != NULL) vigie_fail(&err, VIGIE_EUSAGE, "one DIR only (\"%s\")", v);
      dir = v;
      break;
    default: break; /* CLI_ERROR: err is set */
    }
  }
  if (err.status == VIGIE_OK && dir == NULL) vigie_fail(&err, VIGIE_EUSAGE, "no DIR given");
  if (err.status != VIGIE_OK) {
    vigie_log_error(ctx->log, "%s (try 'vigie verify --help')", vigie_error_text(&err));
    return VIGIE_EXIT_USAGE;
  }
  rpt_bundle_verified result;
  vigie_status status = rpt_bundle_verify(dir, pubkey, tsa_ca, verify_problem, NULL, &result, &err);
  if (status != VIGIE_OK && status != VIGIE_EVERIFY) {
    fflush(stdout);
    vigie_log_error(ctx->log, "%s", vigie_error_text(&err));
    /* A bundle that cannot be read at all is not a valid one. */
    return status == VIGIE_ENOENT && pubkey == NULL ? VIGIE_EXIT_USAGE : cli_exit_code(status);
  }
  verify_summary(&result, pubkey != NULL);
  if (fflush(stdout) != 0) return VIGIE_EXIT_IOERR;
  return status == VIGIE_OK ? VIGIE_EXIT_OK : VIGIE_EXIT_VERIFY;
}

const cmd_desc cmd_verify = {
    .name = "verify",
    .summary = "check a proof bundle offline: signature, sums, timestamp",
    .run = verify_run,
    .usage = verify_usage,
};
