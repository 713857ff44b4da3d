/* Command-line parsing shared by main and every subcommand: one sorted table
 * of options per command, each with its help line, so --help, the parser and
 * the man-page meta-test read the same data. Internal to the vigie binary. */
#ifndef VIGIE_CLI_H
#define VIGIE_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "vigie/core.h"

/* Exit codes from DESIGN.md. */
enum {
  VIGIE_EXIT_OK = 0,
  VIGIE_EXIT_FINDINGS = 1,
  VIGIE_EXIT_USAGE = 2,
  VIGIE_EXIT_INCOMPLETE = 3,
  VIGIE_EXIT_VERIFY = 4,
  VIGIE_EXIT_UNAVAILABLE = 69, /* sysexits EX_UNAVAILABLE: a server unreachable or refusing */
  VIGIE_EXIT_SOFTWARE = 70, /* sysexits EX_SOFTWARE: internal error */
  VIGIE_EXIT_OSERR = 71,    /* sysexits EX_OSERR: out of memory and the like */
  VIGIE_EXIT_CANTCREAT = 73,
  VIGIE_EXIT_IOERR = 74,
  VIGIE_EXIT_PROTOCOL = 76, /* sysexits EX_PROTOCOL: a server broke the protocol */
  VIGIE_EXIT_NOPERM = 77
};

typedef struct cli_option {
  const char *name;       /* "--exclude", "-p" or "-iL" */
  const char *alias;      /* another spelling, or NULL */
  int id;                 /* > 0, returned by cli_next */
  const char *value_name; /* NULL for a flag */
  const char *help;
} cli_option;

typedef struct cli_parser {
  int argc;
  char **argv;
  int index;
  const cli_option *options;
  size_t count;
  bool only_positional; /* after "--" */
  const char *pending;  /* rest of a bundle of one-letter flags ("-vv") */
} cli_parser;

enum { CLI_END = -1, CLI_ERROR = -2, CLI_POSITIONAL = 0 };

void cli_init(cli_parser *p, int argc, char **argv, const cli_option *options, size_t count);

/** Next option: its id with *value set for options taking one, CLI_POSITIONAL
 * with *value the argument, CLI_END, or CLI_ERROR with err naming the
 * option. Long options take "--name value" or "--name=value"; one-letter
 * options also "-p22"; one-letter flags bundle ("-vq"). */
int cli_next(cli_parser *p, const char **value, vigie_error *err);

/** Print the option table as aligned help lines. */
void cli_print_options(FILE *out, const cli_option *options, size_t count);

/** Map a status to the exit code DESIGN.md gives it. */
int cli_exit_code(vigie_status status);

/** Parse a decimal unsigned integer option value in [min, max]. */
vigie_status cli_parse_uint(const char *option, const char *text, unsigned long min,
                            unsigned long max, unsigned long *out, vigie_error *err);

#endif
