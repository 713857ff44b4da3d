/* vigie: the command dispatcher. Global options, then one subcommand.
 * Only subcommands that work are listed here. */
#include <stdlib.h>
#include <string.h>

#include "core/cli.h"
#include "core/cmd.h"
#include "vigie/scanner.h"
#include "vigie_config.h"

static const cmd_desc *const commands[] = {
    &cmd_ldap,
    &cmd_scan,
    &cmd_services,
    &cmd_targets,
    &cmd_report,
    &cmd_rules,
    &cmd_keygen,
    &cmd_bundle,
    &cmd_timestamp,
    &cmd_verify,
};
#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

enum { OPT_HELP = 1, OPT_VERSION, OPT_VERBOSE, OPT_QUIET };

static const cli_option global_options[] = {
    {"--help", "-h", OPT_HELP, NULL, "show this help and exit"},
    {"--quiet", "-q", OPT_QUIET, NULL, "print errors only"},
    {"--verbose", "-v", OPT_VERBOSE, NULL, "say more (repeat for debug output)"},
    {"--version", "-V", OPT_VERSION, NULL, "print the version and exit"},
};

static void usage(FILE *out) {
  fprintf(out,
          "Usage: vigie [OPTIONS] COMMAND [ARGS...]\n"
          "\n"
          "vigie audits internet exposure and directory health for the CaRE programme\n"
          "(domain 1). Scan only networks you are authorised to audit.\n"
          "\n"
          "Commands:\n");
  for (size_t i = 0; i < COMMAND_COUNT; i++)
    fprintf(out, "  %-28s %s\n", commands[i]->name, commands[i]->summary);
  fprintf(out, "  %-28s %s\n", "help [COMMAND]", "show help for a command");
  fprintf(out, "\nOptions:\n");
  cli_print_options(out, global_options, sizeof global_options / sizeof global_options[0]);
  fprintf(out,
          "\nEnvironment: NO_COLOR turns colour off; VIGIE_RULES_DIR overrides the rules directory.\n"
          "Exit status: 0 done, 1 findings at or above --fail-on, 2 usage or configuration\n"
          "error, 3 incomplete, 4 verification failed, 7x fatal environment errors.\n"
          "See vigie(1) and 'vigie help COMMAND'.\n");
}

static const cmd_desc *find_command(const char *name) {
  for (size_t i = 0; i < COMMAND_COUNT; i++)
    if (strcmp(commands[i]->name, name) == 0) return commands[i];
  return NULL;
}

static int unknown_command(vigie_log *log, const char *name) {
  vigie_log_error(log, "unknown command \"%s\" (try 'vigie --help')", name);
  return VIGIE_EXIT_USAGE;
}

static int help_command(vigie_log *log, int argc, char **argv) {
  if (argc < 2) {
    usage(stdout);
    return VIGIE_EXIT_OK;
  }
  const cmd_desc *cmd = find_command(argv[1]);
  if (cmd == NULL) return unknown_command(log, argv[1]);
  cmd->usage(stdout);
  return VIGIE_EXIT_OK;
}

void cmd_adjust_verbosity(cmd_ctx *ctx, int delta) {
  int level = (int)ctx->log->level + delta;
  if (level < VIGIE_LOG_QUIET) level = VIGIE_LOG_QUIET;
  if (level > VIGIE_LOG_DEBUG) level = VIGIE_LOG_DEBUG;
  ctx->log->level = (vigie_log_level)level;
}

static int dispatch(int argc, char **argv, vigie_log *log) {
  cmd_ctx ctx = {log, "vigie"};
  cli_parser parser;
  cli_init(&parser, argc, argv, global_options, sizeof global_options / sizeof global_options[0]);
  vigie_error err = {0};
  const char *value = NULL;
  for (;;) {
    int id = cli_next(&parser, &value, &err);
    switch (id) {
    case OPT_HELP: usage(stdout); return VIGIE_EXIT_OK;
    case OPT_VERSION: printf("vigie %s\n", VIGIE_VERSION); return VIGIE_EXIT_OK;
    case OPT_VERBOSE: cmd_adjust_verbosity(&ctx, +1); continue;
    case OPT_QUIET: log->level = VIGIE_LOG_QUIET; continue;
    case CLI_ERROR:
      vigie_log_error(log, "%s (try 'vigie --help')", vigie_error_text(&err));
      return VIGIE_EXIT_USAGE;
    case CLI_END:
      vigie_log_error(log, "no command given (try 'vigie --help')");
      return VIGIE_EXIT_USAGE;
    default: break;
    }
    break; /* the first positional argument is the command */
  }
  int first = parser.index - 1;
  if (strcmp(value, "help") == 0) return help_command(log, argc - first, argv + first);
  const cmd_desc *cmd = find_command(value);
  if (cmd == NULL) return unknown_command(log, value);
  return cmd->run(argc - first, argv + first, &ctx);
}

/* c-ares keeps process-wide state that must be set up once, before any
 * thread, and torn down at the end: here, and nowhere else. */
int main(int argc, char **argv) {
  vigie_log log;
  vigie_log_init(&log, stderr, VIGIE_LOG_INFO);
  if (scan_dns_library_init() != VIGIE_OK) {
    vigie_log_error(&log, "cannot set up the c-ares library (out of memory?)");
    return VIGIE_EXIT_OSERR;
  }
  int rc = dispatch(argc, argv, &log);
  scan_dns_library_cleanup();
  return rc;
}
