/* Subcommands of the vigie binary: each is one file with one descriptor. */
#ifndef VIGIE_CMD_H
#define VIGIE_CMD_H

#include <stdio.h>

#include <signal.h>

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
extern const cmd_desc cmd_services;
extern const cmd_desc cmd_ldap;
extern const cmd_desc cmd_rules;
extern const cmd_desc cmd_report;
extern const cmd_desc cmd_keygen;
extern const cmd_desc cmd_bundle;
extern const cmd_desc cmd_timestamp;
extern const cmd_desc cmd_verify;

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

/* Options of the service stage, shared by vigie scan and vigie services. */
enum {
  CMD_OPT_INTRUSIVE = 200,
  CMD_OPT_SERVICE_TIMEOUT,
  CMD_OPT_SERVICE_PARALLEL,
  CMD_OPT_SERVICE_PER_HOST,
  CMD_OPT_SERVICE_THREADS,
  CMD_OPT_PROBES,
  CMD_OPT_NO_TLS_INSPECT,
  CMD_OPT_EXPOSURE_RULES,
};

#define CMD_SERVICE_OPTIONS                                                                      \
  {"--exposure-rules", NULL, CMD_OPT_EXPOSURE_RULES, "DIR",                                     \
   "exposure rule files evaluated on every open port (rules/exposure)"},                        \
      {"--intrusive", NULL, CMD_OPT_INTRUSIVE, NULL,                                             \
       "let service modules try more (an anonymous FTP login...)"},                             \
      {"--no-tls-inspect", NULL, CMD_OPT_NO_TLS_INSPECT, NULL,                                   \
       "service stage: no deep TLS inspection (versions, weak suites, certificate)"},          \
      {"--probes", NULL, CMD_OPT_PROBES, "FILE",                                                 \
       "service probes file (rules/service-probes.xml)"},                                       \
      {"--service-parallel", NULL, CMD_OPT_SERVICE_PARALLEL, "N",                                \
       "service stage: connections at once (512)"},                                             \
      {"--service-per-host", NULL, CMD_OPT_SERVICE_PER_HOST, "N",                                \
       "service stage: connections at once per address (8)"},                                  \
      {"--service-threads", NULL, CMD_OPT_SERVICE_THREADS, "N",                                  \
       "service stage: threads for deep TLS inspection (8)"},                                   \
      {"--service-timeout", NULL, CMD_OPT_SERVICE_TIMEOUT, "SECONDS",                            \
       "service stage: everything on one port (30; connect 3, answer 5, banner 2)"}

/* The service stage as a command runs it. */
typedef struct cmd_svc_args {
  scan_svc_config cfg;
  const char *probes_path; /* NULL: rules/service-probes.xml */
  bool no_tls_inspect;     /* --no-tls-inspect */
  scan_probes *probes;     /* owned: cmd_svc_args_free */
  const char *exposure_dir;     /* --exposure-rules; NULL: rules/exposure if it exists */
  scan_exposure_rules *exposure; /* owned: cmd_svc_args_free */
} cmd_svc_args;

void cmd_svc_args_init(cmd_svc_args *a);
void cmd_svc_args_free(cmd_svc_args *a);
/** Handle one of CMD_SERVICE_OPTIONS. \return true when id was one. */
bool cmd_svc_option(cmd_svc_args *a, int id, const char *value, vigie_status *status,
                    vigie_error *err);

/* JSON lines of open ports wait for their service: the results they print,
 * borrowed from a sealed store, and which were printed. */
typedef struct cmd_svc_jsonl {
  FILE *out;
  const scan_names *names; /* sorted, may be NULL: "hostnames" of each line */
  const scan_store *store; /* sealed */
  size_t *open;            /* store indices of the open results, sorted */
  bool *printed;
  size_t count;
  const scan_exposure_rules *exposure; /* set by cmd_svc_run: findings of each line */
} cmd_svc_jsonl;

/** Every open result of the sealed store into services, each with the
 * first name names (sorted, may be NULL) gives its address (SNI, Host:). */
vigie_status cmd_svc_from_store(const scan_store *sealed, const scan_names *names,
                                scan_services *services, vigie_error *err);
/** Set j up to print the sealed store's open results as they finish (j->out
 * set by the caller). Free with cmd_svc_jsonl_free. */
vigie_status cmd_svc_jsonl_init(cmd_svc_jsonl *j, const scan_store *sealed, vigie_error *err);
void cmd_svc_jsonl_free(cmd_svc_jsonl *j);
/** Print the open results not printed yet, with no service (interrupted). */
void cmd_svc_jsonl_rest(cmd_svc_jsonl *j);

/** Load the probes and the exposure rules (once; later calls do nothing),
 * so a bad file stops a command before it sends anything. A missing
 * default rules/exposure folder means no exposure rule; a folder given with
 * --exposure-rules must exist. \return the files' errors (FILE:LINE). */
vigie_status cmd_svc_prepare(cmd_svc_args *a, vigie_log *log, vigie_error *err);

/** Load what cmd_svc_prepare loads if not done, run the stage on services,
 * then evaluate the exposure rules on every pair (findings kept in
 * services); progress and the findings' summary to log.
 * \return as scan_run_services, or the files' errors. */
vigie_status cmd_svc_run(cmd_svc_args *a, scan_services *services, cmd_svc_jsonl *jsonl,
                         volatile sig_atomic_t *stop, vigie_log *log, scan_svc_stats *stats,
                         vigie_error *err);

/* Shared handling of -v and -q inside a command's option loop. */
void cmd_adjust_verbosity(cmd_ctx *ctx, int delta);

/** Ctrl-C and SIGTERM set *flag (install) or get their default back
 * (!install). One command at a time: the flag is borrowed until uninstall. */
void cmd_stop_on_signals(volatile sig_atomic_t *flag, bool install);

#endif
