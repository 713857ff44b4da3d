/* Test helper: run the collector against a server and print the model as
 * text (sets with their read state and size, then each entry's DN and
 * values), so integration tests can check what was read without the rule
 * engine. Binary values are printed as their length.
 * Usage: ldapa_dump URL [BIND-DN] (password in VIGIE_LDAP_PASSWORD);
 * environment: DUMP_STARTTLS=1, DUMP_CA=file, DUMP_INSECURE=1,
 * DUMP_LDAPS_PORT=n, DUMP_PAGE=n, DUMP_TIMEOUT=s, DUMP_SETS_ONLY=1.
 * Range mode: ldapa_dump range URL BIND-DN DN ATTR-WITH-RANGE reads ATTR
 * of DN as ldapa_entry_values does (range retrieval included) and prints
 * "values N" and the ranges asked for. */
#include <stdlib.h>
#include <string.h>

#include "ldap_audit/ldapa_collect_int.h"
#include "vigie/ldap_audit.h"

static int env_int(const char *name, int dflt) {
  const char *v = getenv(name);
  return v != NULL && v[0] != '\0' ? atoi(v) : dflt;
}

static void dump_value(const ldapa_value *v) {
  for (size_t i = 0; i < v->len; i++)
    if ((unsigned char)v->data[i] < 0x20 || (unsigned char)v->data[i] > 0x7e) {
      printf("<%zu bytes>", v->len);
      return;
    }
  printf("%s", v->data);
}

static void dump_obj(const ldapa_obj *obj) {
  printf("  dn: %s\n", ldapa_obj_dn(obj));
  for (size_t i = 0; ldapa_obj_attr_at(obj, i) != NULL; i++) {
    const char *name = ldapa_obj_attr_at(obj, i);
    const ldapa_value *v = NULL;
    size_t n = ldapa_obj_values(obj, name, &v);
    printf("    %s:", name);
    for (size_t k = 0; k < n && k < 5; k++) {
      printf(" ");
      dump_value(&v[k]);
    }
    if (n > 5) printf(" ... (%zu values)", n);
    printf("\n");
  }
}

typedef struct range_count {
  size_t values;
  bool partial;
  char reason[256];
} range_count;

static vigie_status count_value(void *ctx, const char *attr, const struct berval *v,
                                vigie_error *err) {
  (void)attr, (void)v, (void)err;
  ((range_count *)ctx)->values++;
  return VIGIE_OK;
}

static vigie_status range_entry(void *ctx, LDAP *ld, LDAPMessage *entry, vigie_error *err) {
  range_count *c = ctx;
  static const ldapa_search s = {.url = "range", .timeout_seconds = 10};
  return ldapa_entry_values(ld, entry, &s, count_value, c, &c->partial, c->reason, sizeof c->reason,
                            err);
}

static int range_main(char **argv) {
  ldapa_conn_opts o = {.url = argv[2],
                       .bind_dn = argv[3],
                       .password = getenv("VIGIE_LDAP_PASSWORD"),
                       .starttls = env_int("DUMP_STARTTLS", 0) != 0,
                       .tls_verify = true,
                       .ca_file = getenv("DUMP_CA"),
                       .timeout_seconds = 10};
  ldapa_link link = {o.url, o.starttls, true, o.ca_file, 10};
  LDAP *ld = NULL;
  vigie_error err = {0};
  range_count c = {0};
  char *attrs[] = {argv[5], NULL};
  ldapa_search s = {o.url, argv[4], LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, 10, 0};
  ldapa_search_outcome out;
  vigie_status status = ldapa_link_open(&link, &ld, &err);
  if (status == VIGIE_OK) status = ldapa_link_bind(ld, &o, &err);
  if (status == VIGIE_OK) status = ldapa_search_run(ld, &s, range_entry, &c, &out, &err);
  printf("status: %d %s\nvalues %zu%s%s\n", (int)status,
         status == VIGIE_OK ? "ok" : vigie_error_text(&err), c.values,
         c.partial ? " partial: " : "", c.partial ? c.reason : "");
  ldapa_link_close(ld);
  return status == VIGIE_OK ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc == 6 && strcmp(argv[1], "range") == 0) return range_main(argv);
  if (argc < 2) {
    fprintf(stderr, "usage: ldapa_dump URL [BIND-DN]\n");
    return 2;
  }
  ldapa_conn_opts o = {.url = argv[1],
                       .bind_dn = argc > 2 ? argv[2] : NULL,
                       .password = getenv("VIGIE_LDAP_PASSWORD"),
                       .starttls = env_int("DUMP_STARTTLS", 0) != 0,
                       .tls_verify = env_int("DUMP_INSECURE", 0) == 0,
                       .ca_file = getenv("DUMP_CA"),
                       .ldaps_port = env_int("DUMP_LDAPS_PORT", 0),
                       .page_size = env_int("DUMP_PAGE", 0),
                       .timeout_seconds = env_int("DUMP_TIMEOUT", 10)};
  vigie_log log;
  vigie_log_init(&log, stderr, VIGIE_LOG_VERBOSE);
  ldapa_dir *dir = ldapa_dir_new();
  vigie_error err = {0};
  ldapa_profile profile = LDAPA_PROFILE_AUTO;
  vigie_status status = ldapa_collect(&o, NULL, dir, &profile, NULL, NULL, &log, &err);
  printf("status: %d %s\nprofile: %s\n", (int)status,
         status == VIGIE_OK ? "ok" : vigie_error_text(&err), ldapa_profile_name(profile));
  static const char *const states[] = {"not_asked", "complete", "partial", "denied"};
  for (int s = 0; s < LDAPA_SET_COUNT; s++) {
    const char *reason = NULL;
    ldapa_read_state st = ldapa_dir_read_state(dir, (ldapa_set)s, &reason);
    size_t n = ldapa_dir_set_size(dir, (ldapa_set)s);
    printf("set %s %s %zu%s%s\n", ldapa_set_name((ldapa_set)s), states[st], n, reason ? " " : "",
           reason ? reason : "");
    for (size_t i = 0; i < n && !env_int("DUMP_SETS_ONLY", 0); i++)
      dump_obj(ldapa_dir_set_at(dir, (ldapa_set)s, i));
  }
  ldapa_dir_free(dir);
  return status == VIGIE_OK ? 0 : 1;
}
