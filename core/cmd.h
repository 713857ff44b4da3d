/* Subcommands of the vigie binary: each is one file with one descriptor. */
#ifndef VIGIE_CMD_H
#define VIGIE_CMD_H

#include <stdio.h>

#include "vigie/core.h"
#include "vigie/scanner.h"

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
extern const cmd_desc cmd_scan;
extern const cmd_desc cmd_ldap;
extern const cmd_desc cmd_rules;

/* Options every command that takes targets shares, with their help lines. */
enum {
  CMD_OPT_INPUT_LIST = 100,
  CMD_OPT_EXCLUDE,
  CMD_OPT_EXCLUDE_FILE,
  CMD_OPT_INCLUDE_RESERVED,
  CMD_OPT_PORTS,
  CMD_OPT_TOP_PORTS,
  CMD_OPT_NO_DNS,
  CMD_OPT_DNS_SERVERS,
  CMD_OPT_SKIP_UNRESOLVED,
};

#define CMD_TARGET_OPTIONS                                                                       \
  {"--dns-servers", NULL, CMD_OPT_DNS_SERVERS, "ADDR[,ADDR]",                                    \
   "resolve names with these DNS servers (ADDR or ADDR:PORT) instead of /etc/resolv.conf"},      \
      {"--exclude", NULL, CMD_OPT_EXCLUDE, "LIST",                                              \
       "leave out these addresses, CIDR blocks or ranges (comma-separated)"},                    \
      {"--excludefile", NULL, CMD_OPT_EXCLUDE_FILE, "FILE", "leave out every address of FILE"},  \
      {"--include-reserved", NULL, CMD_OPT_INCLUDE_RESERVED, NULL,                               \
       "lift the built-in exclusion of reserved, documentation and multicast ranges"},           \
      {"--skip-unresolved", NULL, CMD_OPT_SKIP_UNRESOLVED, NULL,                                 \
       "warn about target names that do not exist in DNS instead of stopping"},                  \
      {"--top-ports", NULL, CMD_OPT_TOP_PORTS, "N", "the N most common TCP ports (rules/ports.tsv)"}, \
      {"-iL", NULL, CMD_OPT_INPUT_LIST, "FILE", "read targets from FILE ('-' for standard input)"}, \
      {"-n", NULL, CMD_OPT_NO_DNS, NULL, "no DNS at all: names are not resolved, addresses not reversed"}, \
      {"-p", NULL, CMD_OPT_PORTS, "PORTS", "ports: 22,80,1000-2000, '-' for all, names like http"}

/* Targets and ports as the shared options build them. */
typedef struct cmd_target_args {
  vigie_targets *targets; /* owned: cmd_target_args_free */
  vigie_ports ports;
  const char *ports_spec;
  unsigned long top_ports;
  bool ports_given;
  bool no_dns;             /* -n */
  bool skip_unresolved;    /* --skip-unresolved */
  bool names_resolved;     /* the names' addresses are in targets */
  const char *dns_servers; /* --dns-servers, borrowed from argv */
  scan_names *names;       /* owned, sorted: name of each resolved address; NULL if none */
} cmd_target_args;

/** \return VIGIE_ENOMEM or VIGIE_OK with a->targets allocated. */
vigie_status cmd_target_args_init(cmd_target_args *a, vigie_error *err);
void cmd_target_args_free(cmd_target_args *a);

/** Handle one of the shared options (or a positional target).
 * \return true when id was one of them; *status tells how it went. */
bool cmd_target_option(cmd_target_args *a, int id, const char *value, vigie_status *status,
                       vigie_error *err);

/** After parsing: finalize the targets, resolve the host names among them
 * (unless -n) and add every address they have that no exclusion removes,
 * then build the port set (-p and --top-ports add up; default_top ports when
 * neither was given, 0 for none). log shows progress of a long resolution. */
vigie_status cmd_target_args_finish(cmd_target_args *a, unsigned default_top, vigie_log *log,
                                    vigie_error *err);

/** The scan_dns options the shared DNS flags give. */
scan_dns_options cmd_dns_options(const cmd_target_args *a, vigie_log *log);

/** Decimal text of a 128-bit count; buf needs 40 bytes. \return buf. */
const char *cmd_u128_text(vigie_u128 v, char *buf, size_t len);

/** Write the port set compactly ("21-23,25,80") to out. */
void cmd_print_ports(FILE *out, const vigie_ports *ports);

/* Shared handling of -v and -q inside a command's option loop. */
void cmd_adjust_verbosity(cmd_ctx *ctx, int delta);

#endif
