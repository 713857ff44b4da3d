/* Subcommands of the vigie binary: each is one file with one descriptor. */
#ifndef VIGIE_CMD_H
#define VIGIE_CMD_H

#include <stdio.h>

#include "vigie/core.h"

/* What main hands every command: the logger and the verbosity it chose. */
typedef struct cmd_ctx {
  vigie_log *log;
  const char *progname;
} cmd_ctx;

typedef struct cmd_desc {
  const char *name;
  const char *summary;
  /* argv[0] is the command's name; returns the process exit code. */
  int (*run)(int argc, char **argv, cmd_ctx *ctx);
  void (*usage)(FILE *out);
} cmd_desc;

extern const cmd_desc cmd_targets;

/* Shared handling of -v and -q inside a command's option loop. */
void cmd_adjust_verbosity(cmd_ctx *ctx, int delta);

#endif
