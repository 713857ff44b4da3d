/* The server probes: what an anonymous client and a cleartext client can
 * do, and how TLS is offered. Each probe opens its own connection to the
 * host of the URL given (never another host), and its outcome becomes a fact
 * of the synthetic `server` entry; a probe that cannot run says FALSE or 0. */
#include <string.h>
#include <strings.h>

#include "ldapa_collect_int.h"

#define OID_STARTTLS "1.3.6.1.4.1.1466.20037"
#define OID_PPOLICY "1.3.6.1.4.1.42.2.27.8.5.1"
#define PROBE_MAX_ENTRIES 1000000 /* an anonymous count stops there */

typedef struct probe {
  const ldapa_conn_opts *opts;
  ldapa_dir *dir;
  ldapa_obj *server;
  vigie_log *log;
  char host[256]; /* bracketed when IPv6 */
  int port;
  bool ldaps;
  char cut[256]; /* why a probe's read was cut short, "" when none was */
} probe;

static vigie_status put_bool(probe *p, const char *fact, bool v, vigie_error *err) {
  ldapa_obj_clear(p->server, fact);
  return ldapa_obj_add_str(p->dir, p->server, fact, v ? "TRUE" : "FALSE", err);
}

static vigie_status put_int(probe *p, const char *fact, int64_t v, vigie_error *err) {
  ldapa_obj_clear(p->server, fact);
  return ldapa_obj_add_int(p->dir, p->server, fact, v, err);
}

static bool has_value(const ldapa_obj *obj, const char *attr, const char *want) {
  const ldapa_value *v = NULL;
  size_t n = ldapa_obj_values(obj, attr, &v);
  for (size_t i = 0; i < n; i++)
    if (strcasecmp(v[i].data, want) == 0) return true;
  return false;
}

static vigie_status probe_target(probe *p, vigie_error *err) {
  LDAPURLDesc *d = NULL;
  if (ldap_url_parse(p->opts->url, &d) != LDAP_URL_SUCCESS || d->lud_host == NULL) {
    ldap_free_urldesc(d);
    return vigie_fail(err, VIGIE_ESYNTAX, "\"%s\": not an LDAP URL", p->opts->url);
  }
  p->ldaps = strcasecmp(d->lud_scheme, "ldaps") == 0;
  p->port = d->lud_port > 0 ? d->lud_port : (p->ldaps ? 636 : 389);
  bool v6 = strchr(d->lud_host, ':') != NULL;
  snprintf(p->host, sizeof p->host, v6 ? "[%s]" : "%s", d->lud_host);
  ldap_free_urldesc(d);
  return VIGIE_OK;
}

/* Open a probe connection to scheme://host:port; false (logged) if it fails. */
static bool probe_open(probe *p, const char *scheme, int port, bool starttls, bool verify,
                       LDAP **ld) {
  char url[300];
  snprintf(url, sizeof url, "%s://%s:%d", scheme, p->host, port);
  ldapa_link link = {url, starttls, verify, p->opts->ca_file, p->opts->timeout_seconds};
  vigie_error e = {0};
  if (ldapa_link_open(&link, ld, &e) == VIGIE_OK) return true;
  vigie_log_verbose(p->log, "probe: %s", vigie_error_text(&e));
  return false;
}

/* ------------------------------------------------------------ counting */

typedef struct probe_count {
  size_t entries, password_values;
  const char *skip_dn; /* the audit account's own entry */
} probe_count;

static vigie_status count_entry(void *ctx, LDAP *ld, LDAPMessage *entry, vigie_error *err) {
  (void)err;
  probe_count *c = ctx;
  c->entries++;
  char *dn = ldap_get_dn(ld, entry);
  bool own = dn != NULL && c->skip_dn != NULL && strcasecmp(dn, c->skip_dn) == 0;
  ldap_memfree(dn);
  static const char *const secrets[] = {"userPassword", "sambaNTPassword", "sambaLMPassword"};
  for (size_t i = 0; i < 3 && !own; i++) {
    struct berval **v = ldap_get_values_len(ld, entry, secrets[i]);
    c->password_values += (size_t)ldap_count_values_len(v);
    ldap_value_free_len(v);
  }
  return VIGIE_OK;
}

/* Count what a search returns; a failure of the connection ends the probe
 * with what was counted (logged), only ENOMEM goes up. */
static vigie_status probe_count_search(probe *p, LDAP *ld, const char *base, int scope,
                                       const char *filter, char **attrs, probe_count *c,
                                       vigie_error *err) {
  ldapa_search s = {p->opts->url,     base, scope, filter, attrs, 500, p->opts->timeout_seconds,
                    PROBE_MAX_ENTRIES};
  ldapa_search_outcome out;
  vigie_error e = {0};
  vigie_status status = ldapa_search_run(ld, &s, count_entry, c, &out, &e);
  if (status == VIGIE_ENOMEM) return vigie_fail(err, status, "%s", vigie_error_text(&e));
  /* A count cut by the connection (not by a limit) is a lower bound: the
   * server set is then marked partial, so rules on it are errors. */
  if (status != VIGIE_OK && p->cut[0] == '\0')
    snprintf(p->cut, sizeof p->cut, "probe cut short: %s", vigie_error_text(&e));
  if (status != VIGIE_OK) vigie_log_verbose(p->log, "probe: %s", vigie_error_text(&e));
  return VIGIE_OK;
}

/* The password attributes asked for, as libldap's char ** wants them, in
 * storage of the caller's (no shared mutable arrays). */
typedef struct secret_attrs {
  char pw[sizeof "userPassword"], nt[sizeof "sambaNTPassword"], lm[sizeof "sambaLMPassword"];
  char *list[4];
} secret_attrs;

static char **secret_attrs_init(secret_attrs *a) {
  snprintf(a->pw, sizeof a->pw, "userPassword");
  snprintf(a->nt, sizeof a->nt, "sambaNTPassword");
  snprintf(a->lm, sizeof a->lm, "sambaLMPassword");
  a->list[0] = a->pw, a->list[1] = a->nt, a->list[2] = a->lm, a->list[3] = NULL;
  return a->list;
}
static const char secret_filter[] = "(|(userPassword=*)(sambaNTPassword=*)(sambaLMPassword=*))";

/* ------------------------------------------------------------ probes */

/* Anonymous bind, what it can read under each naming context, password
 * values it is shown, and cn=config / cn=Monitor. */
static vigie_status probe_anonymous(probe *p, const char *const *contexts, probe_count *pw,
                                    vigie_error *err) {
  LDAP *ld = NULL;
  int rc = -1;
  probe_count all = {0}, config = {0}, monitor = {0};
  vigie_status status = VIGIE_OK;
  const char *scheme = p->ldaps ? "ldaps" : "ldap";
  vigie_error e = {0};
  if (probe_open(p, scheme, p->port, p->opts->starttls, p->opts->tls_verify, &ld) &&
      ldapa_link_simple_bind_rc(ld, p->opts->url, "", "", &rc, &e) == VIGIE_OK &&
      rc == LDAP_SUCCESS) {
    char one[] = "1.1";
    secret_attrs sa;
    char *count_attrs[] = {one, NULL}, **pw_attrs = secret_attrs_init(&sa);
    for (size_t i = 0; contexts[i] != NULL && status == VIGIE_OK; i++) {
      status = probe_count_search(p, ld, contexts[i], LDAP_SCOPE_SUBTREE, "(objectClass=*)",
                                  count_attrs, &all, err);
      if (status == VIGIE_OK)
        status = probe_count_search(p, ld, contexts[i], LDAP_SCOPE_SUBTREE, secret_filter, pw_attrs,
                                    pw, err);
    }
    if (status == VIGIE_OK)
      status = probe_count_search(p, ld, "cn=config", LDAP_SCOPE_BASE, "(objectClass=*)",
                                  count_attrs, &config, err);
    if (status == VIGIE_OK)
      status = probe_count_search(p, ld, "cn=Monitor", LDAP_SCOPE_BASE, "(objectClass=*)",
                                  count_attrs, &monitor, err);
  }
  ldapa_link_close(ld);
  if (status == VIGIE_OK) status = put_bool(p, "anonymous_bind", rc == LDAP_SUCCESS, err);
  if (status == VIGIE_OK) status = put_int(p, "anonymous_entries", (int64_t)all.entries, err);
  if (status == VIGIE_OK) status = put_bool(p, "config_readable", config.entries > 0, err);
  if (status == VIGIE_OK) status = put_bool(p, "monitor_readable", monitor.entries > 0, err);
  return status;
}

/* Password values the audit account sees on entries other than its own. */
static vigie_status probe_audit_passwords(probe *p, LDAP *audit_ld, const char *const *contexts,
                                          probe_count *pw, vigie_error *err) {
  if (p->opts->bind_dn == NULL && p->opts->sasl_mech == NULL)
    return VIGIE_OK; /* done anonymously */
  secret_attrs sa;
  char **pw_attrs = secret_attrs_init(&sa);
  pw->skip_dn = p->opts->bind_dn;
  vigie_status status = VIGIE_OK;
  for (size_t i = 0; contexts[i] != NULL && status == VIGIE_OK; i++)
    status = probe_count_search(p, audit_ld, contexts[i], LDAP_SCOPE_SUBTREE, secret_filter,
                                pw_attrs, pw, err);
  pw->skip_dn = NULL;
  return status;
}

/* A simple bind with a DN and password that exist nowhere, on a connection
 * without TLS: 49 means the server processes cleartext passwords; 8 or 13
 * mean it demands protection first. */
static vigie_status probe_cleartext(probe *p, const char *const *contexts, vigie_error *err) {
  LDAP *ld = NULL;
  int rc = -1;
  char dn[512];
  snprintf(dn, sizeof dn, "cn=vigie-cleartext-probe,%s", contexts[0] ? contexts[0] : "dc=invalid");
  vigie_error e = {0};
  int port = p->ldaps ? 389 : p->port;
  if (probe_open(p, "ldap", port, false, false, &ld) &&
      ldapa_link_simple_bind_rc(ld, p->opts->url, dn, "vigie-probe-not-a-password", &rc, &e) !=
          VIGIE_OK)
    vigie_log_verbose(p->log, "probe: %s", vigie_error_text(&e));
  ldapa_link_close(ld);
  vigie_log_verbose(p->log, "probe: cleartext bind on port %d answered %d", port, rc);
  vigie_status status = put_bool(p, "cleartext_bind_accepted", rc == LDAP_INVALID_CREDENTIALS, err);
  if (status == VIGIE_OK && rc >= 0) status = put_int(p, "cleartext_bind_result", rc, err);
  return status;
}

static bool probe_tls_ok(probe *p, const char *scheme, int port, bool starttls, bool verify) {
  LDAP *ld = NULL;
  bool ok = probe_open(p, scheme, port, starttls, verify, &ld);
  ldapa_link_close(ld);
  return ok;
}

/* StartTLS offered, a TLS handshake on the LDAPS port, and whether the
 * certificate verifies against the trust store (and --ca-file). */
static vigie_status probe_tls(probe *p, const ldapa_obj *rootdse, vigie_error *err) {
  bool starttls = has_value(rootdse, "supportedExtension", OID_STARTTLS);
  int ldaps_port = p->ldaps ? p->port : (p->opts->ldaps_port > 0 ? p->opts->ldaps_port : 636);
  bool ldaps = probe_tls_ok(p, "ldaps", ldaps_port, false, false);
  bool verified = false;
  if (ldaps)
    verified = probe_tls_ok(p, "ldaps", ldaps_port, false, true);
  else if (starttls && !p->ldaps)
    verified = probe_tls_ok(p, "ldap", p->port, true, true);
  vigie_status status = put_bool(p, "starttls_supported", starttls, err);
  if (status == VIGIE_OK) status = put_bool(p, "ldaps_open", ldaps, err);
  if (status == VIGIE_OK) status = put_bool(p, "tls_verified", verified, err);
  return status;
}

static vigie_status probe_rootdse(probe *p, const ldapa_obj *rootdse, vigie_error *err) {
  const char *version = ldapa_obj_first(rootdse, "vendorVersion");
  vigie_status status = VIGIE_OK;
  if (version != NULL) {
    ldapa_obj_clear(p->server, "vendor_version");
    status = ldapa_obj_add_str(p->dir, p->server, "vendor_version", version, err);
  }
  if (status == VIGIE_OK)
    status =
        put_bool(p, "ppolicy_control", has_value(rootdse, "supportedControl", OID_PPOLICY), err);
  return status;
}

vigie_status ldapa_probe_server(const ldapa_conn_opts *opts, LDAP *audit_ld, ldapa_dir *dir,
                                ldapa_obj *rootdse, const char *const *contexts, vigie_log *log,
                                vigie_error *err) {
  probe p = {.opts = opts, .dir = dir, .log = log};
  vigie_status status = probe_target(&p, err);
  if (status != VIGIE_OK) return status;
  p.server = ldapa_dir_entry(dir, opts->url, err);
  if (p.server == NULL) return err != NULL ? err->status : VIGIE_ENOMEM;
  status = ldapa_dir_add_to_set(dir, LDAPA_SET_SERVER, p.server, err);
  probe_count pw = {0};
  if (status == VIGIE_OK) status = probe_anonymous(&p, contexts, &pw, err);
  if (status == VIGIE_OK) status = probe_audit_passwords(&p, audit_ld, contexts, &pw, err);
  if (status == VIGIE_OK)
    status = put_int(&p, "anonymous_password_values", (int64_t)pw.password_values, err);
  if (status == VIGIE_OK) status = probe_cleartext(&p, contexts, err);
  if (status == VIGIE_OK) status = probe_tls(&p, rootdse, err);
  if (status == VIGIE_OK) status = probe_rootdse(&p, rootdse, err);
  if (status == VIGIE_OK)
    ldapa_dir_set_read_state(dir, LDAPA_SET_SERVER,
                             p.cut[0] ? LDAPA_READ_PARTIAL : LDAPA_READ_COMPLETE, p.cut);
  return status;
}
