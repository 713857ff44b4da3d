/* What the commands that take targets share: the target and port options,
 * and a few printers. */
#include <string.h>

#include "core/cli.h"
#include "core/cmd.h"

vigie_status cmd_target_args_init(cmd_target_args *a, vigie_error *err) {
  memset(a, 0, sizeof *a);
  a->targets = vigie_targets_new();
  if (a->targets == NULL) return vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  return VIGIE_OK;
}

void cmd_target_args_free(cmd_target_args *a) {
  vigie_targets_free(a->targets);
  a->targets = NULL;
  scan_names_free(a->names);
  a->names = NULL;
}

static vigie_status exclude_list(vigie_targets *t, const char *list, vigie_error *err) {
  char *copy = vigie_strdup(list);
  if (copy == NULL) return vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  vigie_status status = VIGIE_OK;
  char *save = NULL;
  for (char *tok = strtok_r(copy, ",", &save); tok != NULL && status == VIGIE_OK;
       tok = strtok_r(NULL, ",", &save))
    status = vigie_targets_exclude(t, tok, err);
  vigie_free(copy);
  return status;
}

bool cmd_target_option(cmd_target_args *a, int id, const char *value, vigie_status *status,
                       vigie_error *err) {
  switch (id) {
  case CLI_POSITIONAL: *status = vigie_targets_add(a->targets, value, err); return true;
  case CMD_OPT_INPUT_LIST: *status = vigie_targets_add_file(a->targets, value, err); return true;
  case CMD_OPT_EXCLUDE: *status = exclude_list(a->targets, value, err); return true;
  case CMD_OPT_EXCLUDE_FILE: *status = vigie_targets_exclude_file(a->targets, value, err); return true;
  case CMD_OPT_INCLUDE_RESERVED:
    vigie_targets_set_exclude_reserved(a->targets, false);
    *status = VIGIE_OK;
    return true;
  case CMD_OPT_PORTS:
    a->ports_spec = value;
    a->ports_given = true;
    *status = VIGIE_OK;
    return true;
  case CMD_OPT_TOP_PORTS:
    *status = cli_parse_uint("--top-ports", value, 1, 65535, &a->top_ports, err);
    a->ports_given = true;
    return true;
  case CMD_OPT_NO_DNS: a->no_dns = true, *status = VIGIE_OK; return true;
  case CMD_OPT_SKIP_UNRESOLVED: a->skip_unresolved = true, *status = VIGIE_OK; return true;
  case CMD_OPT_DNS_SERVERS: a->dns_servers = value, *status = VIGIE_OK; return true;
  default: return false;
  }
}

scan_dns_options cmd_dns_options(const cmd_target_args *a, vigie_log *log) {
  return (scan_dns_options){.servers = a->dns_servers, .log = log};
}

/* Every resolved address into the targets, unless an exclusion (the user's
 * or the reserved ranges) removes it: an excluded address is never probed,
 * whatever name points to it. The map keeps it, for the listing. */
static vigie_status cmd_add_resolved(cmd_target_args *a, vigie_log *log, vigie_error *err) {
  scan_name n;
  char text[64];
  for (size_t i = 0; scan_names_at(a->names, i, &n); i++) {
    vigie_addr_format(&n.addr, text, sizeof text);
    if (vigie_targets_is_excluded(a->targets, &n.addr)) {
      vigie_log_verbose(log, "%s: %s is excluded: not scanned", n.name, text);
      continue;
    }
    vigie_log_verbose(log, "%s: %s", n.name, text);
    vigie_status status = vigie_targets_add(a->targets, text, err);
    if (status != VIGIE_OK) return status;
  }
  a->names_resolved = true;
  return vigie_targets_finalize(a->targets, err);
}

/* Host names among the targets, all resolved at once before anything is
 * sent (like nmap); -n leaves them to the caller, which refuses or lists. */
static vigie_status cmd_resolve(cmd_target_args *a, vigie_log *log, vigie_error *err) {
  size_t count = 0, resolved = 0;
  const char *const *names = vigie_targets_names(a->targets, &count);
  if (count == 0 || a->no_dns) return VIGIE_OK;
  scan_dns *dns = NULL;
  scan_dns_options opt = cmd_dns_options(a, log);
  a->names = scan_names_new();
  if (a->names == NULL) return vigie_fail(err, VIGIE_ENOMEM, "out of memory");
  vigie_status status = scan_dns_new(&opt, &dns, err);
  if (status != VIGIE_OK) return status;
  vigie_log_verbose(log, "resolving %zu host names with DNS server %s", count,
                    scan_dns_servers(dns));
  status = scan_dns_resolve_names(dns, names, count, a->skip_unresolved, a->names, &resolved, err);
  scan_dns_free(dns);
  if (status != VIGIE_OK) return status;
  scan_names_sort(a->names);
  return cmd_add_resolved(a, log, err);
}

vigie_status cmd_target_args_finish(cmd_target_args *a, unsigned default_top, vigie_log *log,
                                    vigie_error *err) {
  vigie_status status = vigie_targets_finalize(a->targets, err);
  if (status == VIGIE_OK) status = cmd_resolve(a, log, err);
  if (status != VIGIE_OK || (!a->ports_given && default_top == 0)) return status;
  if (!a->ports_given) a->top_ports = default_top;
  vigie_portdb *db = NULL;
  char *path = vigie_data_path("ports.tsv", err);
  if (path == NULL) return err->status;
  status = vigie_portdb_load(path, &db, err);
  vigie_free(path);
  if (status != VIGIE_OK) return status;
  vigie_ports_clear(&a->ports);
  if (a->ports_spec != NULL) status = vigie_ports_parse(&a->ports, a->ports_spec, db, err);
  if (status == VIGIE_OK && a->top_ports != 0)
    status = vigie_ports_top(&a->ports, db, (unsigned)a->top_ports, err);
  vigie_portdb_free(db);
  return status;
}

const char *cmd_u128_text(vigie_u128 v, char *buf, size_t len) {
  char tmp[40];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + (int)(v % 10));
    v /= 10;
  } while (v != 0 && n < sizeof tmp);
  size_t i = 0;
  for (; i < n && i + 1 < len; i++) buf[i] = tmp[n - 1 - i];
  buf[i] = '\0';
  return buf;
}

void cmd_print_ports(FILE *out, const vigie_ports *ports) {
  const char *sep = "";
  for (int port = vigie_ports_next(ports, 0); port >= 0;) {
    int last = port;
    while (last < 65535 && vigie_ports_has(ports, (uint16_t)(last + 1))) last++;
    if (last == port) fprintf(out, "%s%d", sep, port);
    else fprintf(out, "%s%d-%d", sep, port, last);
    sep = ",";
    port = last < 65535 ? vigie_ports_next(ports, last + 1) : -1;
  }
}

/* ----------------------------------------------------------- signals */

/* The only state a signal handler may touch: the flag of the command that
 * runs, set between install and uninstall. */
static volatile sig_atomic_t *cmd_stop_flag;

static void cmd_on_signal(int sig) {
  (void)sig;
  if (cmd_stop_flag != NULL) *cmd_stop_flag = 1;
}

/* No SA_RESTART: epoll_wait and poll return at once on Ctrl-C. */
void cmd_stop_on_signals(volatile sig_atomic_t *flag, bool install) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = install ? cmd_on_signal : SIG_DFL;
  sigemptyset(&sa.sa_mask);
  cmd_stop_flag = install ? flag : NULL;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}
