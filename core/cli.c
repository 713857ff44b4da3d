/* Command-line parsing; see cli.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli.h"

void cli_init(cli_parser *p, int argc, char **argv, const cli_option *options, size_t count) {
  *p = (cli_parser){argc, argv, 1, options, count, false, NULL};
}

static const cli_option *cli_find(const cli_parser *p, const char *name, size_t len) {
  for (size_t i = 0; i < p->count; i++) {
    const cli_option *o = &p->options[i];
    if (strlen(o->name) == len && strncmp(o->name, name, len) == 0) return o;
    if (o->alias != NULL && strlen(o->alias) == len && strncmp(o->alias, name, len) == 0) return o;
  }
  return NULL;
}

static const cli_option *cli_find_letter(const cli_parser *p, char letter) {
  char name[3] = {'-', letter, '\0'};
  return cli_find(p, name, 2);
}

static int cli_take_value(cli_parser *p, const cli_option *o, const char *inline_value,
                          const char **value, vigie_error *err) {
  if (o->value_name == NULL) {
    if (inline_value != NULL)
      return vigie_fail(err, VIGIE_EUSAGE, "option %s takes no value", o->name), CLI_ERROR;
    return o->id;
  }
  if (inline_value != NULL) {
    *value = inline_value;
    return o->id;
  }
  if (p->index >= p->argc)
    return vigie_fail(err, VIGIE_EUSAGE, "option %s needs a value (%s)", o->name, o->value_name),
           CLI_ERROR;
  *value = p->argv[p->index++];
  return o->id;
}

/* "-vq": each letter a flag; the first one that takes a value ends the bundle. */
static int cli_next_letter(cli_parser *p, const char **value, vigie_error *err) {
  char letter = *p->pending++;
  const cli_option *o = cli_find_letter(p, letter);
  if (o == NULL)
    return vigie_fail(err, VIGIE_EUSAGE, "unknown option -%c", letter), CLI_ERROR;
  if (o->value_name != NULL) {
    const char *rest = *p->pending ? p->pending : NULL;
    p->pending = NULL;
    return cli_take_value(p, o, rest, value, err);
  }
  if (*p->pending == '\0') p->pending = NULL;
  return o->id;
}

static int cli_next_long(cli_parser *p, const char *arg, const char **value, vigie_error *err) {
  const char *eq = strchr(arg, '=');
  size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
  const cli_option *o = cli_find(p, arg, len);
  if (o == NULL)
    return vigie_fail(err, VIGIE_EUSAGE, "unknown option %.*s", (int)len, arg), CLI_ERROR;
  return cli_take_value(p, o, eq ? eq + 1 : NULL, value, err);
}

int cli_next(cli_parser *p, const char **value, vigie_error *err) {
  *value = NULL;
  if (p->pending != NULL) return cli_next_letter(p, value, err);
  if (p->index >= p->argc) return CLI_END;
  const char *arg = p->argv[p->index++];
  if (p->only_positional || arg[0] != '-' || arg[1] == '\0') {
    *value = arg;
    return CLI_POSITIONAL;
  }
  if (strcmp(arg, "--") == 0) {
    p->only_positional = true;
    return cli_next(p, value, err);
  }
  if (arg[1] == '-') return cli_next_long(p, arg, value, err);
  /* Whole single-dash names first, so nmap's "-iL" is not read as "-i L". */
  const cli_option *o = cli_find(p, arg, strlen(arg));
  if (o != NULL) return cli_take_value(p, o, NULL, value, err);
  p->pending = arg + 1;
  return cli_next_letter(p, value, err);
}

void cli_print_options(FILE *out, const cli_option *options, size_t count) {
  for (size_t i = 0; i < count; i++) {
    const cli_option *o = &options[i];
    char left[64];
    if (o->alias != NULL)
      snprintf(left, sizeof left, "%s, %s%s%s", o->alias, o->name, o->value_name ? " " : "",
               o->value_name ? o->value_name : "");
    else
      snprintf(left, sizeof left, "%s%s%s", o->name, o->value_name ? " " : "",
               o->value_name ? o->value_name : "");
    fprintf(out, "  %-28s %s\n", left, o->help);
  }
}

int cli_exit_code(vigie_status status) {
  switch (status) {
  case VIGIE_OK: return VIGIE_EXIT_OK;
  case VIGIE_ESYNTAX:
  case VIGIE_ERANGE:
  case VIGIE_ENOENT:
  case VIGIE_ETOOBIG:
  case VIGIE_EXML:
  case VIGIE_EXML_DOCTYPE:
  case VIGIE_ESCHEMA:
  case VIGIE_EEMPTY:
  case VIGIE_EUSAGE: return VIGIE_EXIT_USAGE;
  case VIGIE_EIO: return VIGIE_EXIT_IOERR;
  case VIGIE_EPERM: return VIGIE_EXIT_NOPERM;
  case VIGIE_ENOMEM: return VIGIE_EXIT_OSERR;
  case VIGIE_EINVAL: return VIGIE_EXIT_SOFTWARE;
  case VIGIE_ECONNECT:
  case VIGIE_ETIMEOUT: return VIGIE_EXIT_UNAVAILABLE;
  case VIGIE_EAUTH: return VIGIE_EXIT_NOPERM;
  case VIGIE_ETLS:
  case VIGIE_EPROTO: return VIGIE_EXIT_PROTOCOL;
  case VIGIE_EVERIFY: return VIGIE_EXIT_VERIFY;
  }
  return VIGIE_EXIT_SOFTWARE;
}

vigie_status cli_parse_uint(const char *option, const char *text, unsigned long min,
                            unsigned long max, unsigned long *out, vigie_error *err) {
  char *end = NULL;
  if (text[0] < '0' || text[0] > '9')
    return vigie_fail(err, VIGIE_EUSAGE, "%s \"%s\": expected a number", option, text);
  errno = 0;
  unsigned long v = strtoul(text, &end, 10);
  if (*end != '\0')
    return vigie_fail(err, VIGIE_EUSAGE, "%s \"%s\": expected a number", option, text);
  if (errno == ERANGE || v < min || v > max)
    return vigie_fail(err, VIGIE_EUSAGE, "%s \"%s\": must be between %lu and %lu", option, text,
                      min, max);
  *out = v;
  return VIGIE_OK;
}
