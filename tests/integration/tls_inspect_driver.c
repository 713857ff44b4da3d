/* Test-only driver (not part of vigie): runs scan_tls_inspect on one
 * address and port and prints every fact as "name=value", one a line, for
 * tests/integration/test_tls_inspect.sh.
 * Usage: tls_inspect_driver ADDR PORT [--starttls KIND] [--sni NAME]
 *        [--name HOST]... [--timeout MS] [--weak] [--ca FILE] [--no-trust] */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigie/scanner.h"

#define MAX_NAMES 8

static int parse_addr(const char *s, vigie_addr *a) {
  unsigned char b[16];
  memset(a, 0, sizeof *a);
  if (inet_pton(AF_INET, s, b) == 1) {
    a->family = AF_INET;
    a->v4 = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return 0;
  }
  if (inet_pton(AF_INET6, s, b) != 1) return -1;
  a->family = AF_INET6;
  for (int i = 0; i < 16; i++) a->v6 = (a->v6 << 8) | b[i];
  return 0;
}

static int parse_opts(int argc, char **argv, scan_tls_opts *o, const char **names) {
  for (int i = 3; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--weak") == 0)
      o->test_weak = true;
    else if (strcmp(a, "--no-trust") == 0)
      o->skip_trust = true;
    else if (v == NULL)
      return -1;
    else if (strcmp(a, "--starttls") == 0 && scan_starttls_from_name(v, &o->starttls))
      i++;
    else if (strcmp(a, "--sni") == 0)
      o->sni = argv[++i];
    else if (strcmp(a, "--ca") == 0)
      o->ca_file = argv[++i];
    else if (strcmp(a, "--timeout") == 0)
      o->timeout_ms = (unsigned)strtoul(argv[++i], NULL, 10);
    else if (strcmp(a, "--name") == 0 && o->host_name_count < MAX_NAMES)
      names[o->host_name_count++] = argv[++i];
    else
      return -1;
  }
  o->host_names = names;
  return 0;
}

int main(int argc, char **argv) {
  vigie_addr addr;
  scan_tls_opts opts = {0};
  const char *names[MAX_NAMES];
  if (argc < 3 || parse_addr(argv[1], &addr) != 0 || parse_opts(argc, argv, &opts, names) != 0) {
    fprintf(stderr,
            "usage: %s ADDR PORT [--starttls KIND] [--sni NAME] [--name HOST]... "
            "[--timeout MS] [--weak] [--ca FILE] [--no-trust]\n",
            argv[0]);
    return 2;
  }
  scan_facts *facts = scan_facts_new();
  if (facts == NULL) return 1;
  vigie_error err;
  vigie_error_clear(&err);
  vigie_status status =
      scan_tls_inspect(&addr, (uint16_t)strtoul(argv[2], NULL, 10), &opts, facts, &err);
  const char *name, *value;
  size_t len;
  for (size_t i = 0; scan_facts_at(facts, i, &name, &value, &len); i++)
    printf("%s=%.*s\n", name, (int)len, value);
  if (status != VIGIE_OK) printf("error=%s\n", vigie_error_text(&err));
  scan_facts_free(facts);
  return status == VIGIE_OK ? 0 : 1;
}
