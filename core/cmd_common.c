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
  default: return false;
  }
}

vigie_status cmd_target_args_finish(cmd_target_args *a, unsigned default_top, vigie_error *err) {
  vigie_status status = vigie_targets_finalize(a->targets, err);
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
