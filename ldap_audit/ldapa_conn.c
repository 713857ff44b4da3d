/* Connections to one LDAP server: libldap options, TLS, StartTLS, binds,
 * and the one place where libldap result codes become vigie statuses. */
#include <string.h>
#include <strings.h>

#include "ldapa_collect_int.h"

struct timeval ldapa_link_timeval(int timeout_seconds) {
  struct timeval tv = {timeout_seconds > 0 ? timeout_seconds : 30, 0};
  return tv;
}

/* libldap reports TLS handshake and certificate failures as "can't
 * contact" or "connect error" with the TLS library's text in the
 * diagnostic message; that text is what tells them apart. */
static bool text_is_tls(const char *text) {
  static const char *const marks[] = {"TLS", "SSL", "certificate", "handshake"};
  for (size_t i = 0; text != NULL && i < sizeof marks / sizeof marks[0]; i++)
    if (strcasestr(text, marks[i]) != NULL) return true;
  return false;
}

static vigie_status map_code(int rc, ldapa_phase phase, bool tls) {
  /* Whatever the server answers to a bind, it did not take our identity;
   * SASL's own failures (no Kerberos ticket, unknown principal) come back
   * as local errors. */
  if (phase == LDAPA_PHASE_BIND &&
      (rc > 0 || rc == LDAP_LOCAL_ERROR || rc == LDAP_AUTH_UNKNOWN || rc == LDAP_NOT_SUPPORTED))
    return VIGIE_EAUTH;
  switch (rc) {
    case LDAP_INVALID_CREDENTIALS:
    case LDAP_INAPPROPRIATE_AUTH:
    case LDAP_STRONG_AUTH_REQUIRED:
    case LDAP_CONFIDENTIALITY_REQUIRED:
    case LDAP_AUTH_METHOD_NOT_SUPPORTED:
    case LDAP_AUTH_UNKNOWN: return VIGIE_EAUTH;
    case LDAP_TIMEOUT: return VIGIE_ETIMEOUT;
    case LDAP_NO_MEMORY: return VIGIE_ENOMEM;
    case LDAP_SERVER_DOWN:
    case LDAP_CONNECT_ERROR:
      if (tls || phase == LDAPA_PHASE_STARTTLS) return VIGIE_ETLS;
      /* Before the first answer the server is unreachable; after, the
       * connection was cut. */
      return phase == LDAPA_PHASE_CONNECT ? VIGIE_ECONNECT : VIGIE_EPROTO;
    default: return phase == LDAPA_PHASE_STARTTLS ? VIGIE_ETLS : VIGIE_EPROTO;
  }
}

vigie_status ldapa_ldap_fail(LDAP *ld, int rc, ldapa_phase phase, const char *url, const char *what,
                             const char *server_text, vigie_error *err) {
  char *diag = NULL;
  if (ld != NULL && (server_text == NULL || server_text[0] == '\0'))
    ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
  const char *detail = server_text != NULL && server_text[0] != '\0' ? server_text : diag;
  if (detail != NULL && strcmp(detail, "(unknown error code)") == 0) detail = NULL;
  bool tls = (rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR) && text_is_tls(detail);
  vigie_status status = map_code(rc, phase, tls);
  if (rc == LDAP_SUCCESS) status = VIGIE_EPROTO;
  vigie_fail(err, status, "%s: %s: %s (%d)%s%s%s", url, what, ldap_err2string(rc), rc,
             detail != NULL && detail[0] ? " (" : "", detail != NULL ? detail : "",
             detail != NULL && detail[0] ? ")" : "");
  ldap_memfree(diag);
  return status;
}

/* Only ldap:// and ldaps:// URLs naming one host: vigie talks to the host
 * it is given and nowhere else (no ldapi://, no list of URLs). */
static vigie_status link_check_url(const char *url, vigie_error *err) {
  LDAPURLDesc *desc = NULL;
  if (url == NULL || ldap_url_parse(url, &desc) != LDAP_URL_SUCCESS)
    return vigie_fail(err, VIGIE_ESYNTAX,
                      "\"%s\": not an LDAP URL (ldap://host[:port] or "
                      "ldaps://host[:port])",
                      url ? url : "");
  bool ok =
      (strcasecmp(desc->lud_scheme, "ldap") == 0 || strcasecmp(desc->lud_scheme, "ldaps") == 0) &&
      desc->lud_host != NULL && desc->lud_host[0] != '\0' && desc->lud_next == NULL;
  ldap_free_urldesc(desc);
  if (!ok)
    return vigie_fail(err, VIGIE_ESYNTAX, "\"%s\": give one ldap:// or ldaps:// URL with a host",
                      url);
  return VIGIE_OK;
}

static vigie_status link_options(LDAP *ld, const ldapa_link *link, vigie_error *err) {
  int version = LDAP_VERSION3,
      require = link->tls_verify ? LDAP_OPT_X_TLS_HARD : LDAP_OPT_X_TLS_NEVER;
  int newctx = 0;
  struct timeval tv = ldapa_link_timeval(link->timeout_seconds);
  int rc = ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
  /* Referrals would send our credentials to hosts we were not given. */
  if (rc == LDAP_OPT_SUCCESS) rc = ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
  if (rc == LDAP_OPT_SUCCESS) rc = ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
  if (rc == LDAP_OPT_SUCCESS) rc = ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
  if (rc == LDAP_OPT_SUCCESS) rc = ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &require);
  if (rc == LDAP_OPT_SUCCESS && link->ca_file != NULL)
    rc = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, link->ca_file);
  /* The TLS settings above apply to this handle only once its own TLS
   * context is made. */
  if (rc == LDAP_OPT_SUCCESS) rc = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &newctx);
  if (rc != LDAP_OPT_SUCCESS)
    return vigie_fail(err, VIGIE_ETLS, "%s: cannot set the connection options (TLS settings%s%s)",
                      link->url, link->ca_file ? ", CA file " : "",
                      link->ca_file ? link->ca_file : "");
  return VIGIE_OK;
}

/* libldap does not say why a handshake failed ("can't contact", "connect
 * error"). When a verified handshake fails, try once more without
 * verification, to the same host: if that works, the certificate is what
 * was refused, and the user needs to know it is not a network problem. */
static vigie_status link_diagnose_tls(const ldapa_link *link, vigie_status status,
                                      vigie_error *err) {
  if (!link->tls_verify || !(link->starttls || strncasecmp(link->url, "ldaps:", 6) == 0))
    return status;
  ldapa_link loose = *link;
  loose.tls_verify = false;
  LDAP *ld = NULL;
  if (ldapa_link_open(&loose, &ld, NULL) != VIGIE_OK) return status;
  ldapa_link_close(ld);
  return vigie_fail(err, VIGIE_ETLS,
                    "%s: the server's TLS certificate did not verify (not signed by a CA of the "
                    "trust store%s%s, expired, or not issued for this host name): give the CA "
                    "with --ca-file",
                    link->url, link->ca_file ? " or of " : "", link->ca_file ? link->ca_file : "");
}

vigie_status ldapa_link_open(const ldapa_link *link, LDAP **out, vigie_error *err) {
  LDAP *ld = NULL;
  *out = NULL;
  vigie_status status = link_check_url(link->url, err);
  if (status != VIGIE_OK) return status;
  int rc = ldap_initialize(&ld, link->url);
  if (rc != LDAP_SUCCESS) {
    status =
        ldapa_ldap_fail(NULL, rc, LDAPA_PHASE_CONNECT, link->url, "cannot use the URL", NULL, err);
    goto done;
  }
  status = link_options(ld, link, err);
  if (status != VIGIE_OK) goto done;
  rc = ldap_connect(ld);
  if (rc != LDAP_SUCCESS) {
    status = ldapa_ldap_fail(ld, rc, LDAPA_PHASE_CONNECT, link->url, "cannot connect", NULL, err);
    status = link_diagnose_tls(link, status, err);
    goto done;
  }
  if (link->starttls) {
    rc = ldap_start_tls_s(ld, NULL, NULL);
    if (rc != LDAP_SUCCESS) {
      status =
          ldapa_ldap_fail(ld, rc, LDAPA_PHASE_STARTTLS, link->url, "StartTLS failed", NULL, err);
      status = link_diagnose_tls(link, status, err);
      goto done;
    }
  }
  *out = ld;
  ld = NULL;
done:
  ldapa_link_close(ld);
  return status;
}

void ldapa_link_close(LDAP *ld) {
  if (ld != NULL) ldap_unbind_ext_s(ld, NULL, NULL);
}

vigie_status ldapa_link_simple_bind_rc(LDAP *ld, const char *url, const char *dn,
                                       const char *password, int *ldap_rc, vigie_error *err) {
  struct berval cred = {password ? strlen(password) : 0, (char *)(password ? password : "")};
  int rc = ldap_sasl_bind_s(ld, dn ? dn : "", LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
  *ldap_rc = rc;
  /* Negative codes are libldap's own: no answer came. */
  if (rc < 0) return ldapa_ldap_fail(ld, rc, LDAPA_PHASE_BIND, url, "simple bind", NULL, err);
  return VIGIE_OK;
}

/* Cyrus SASL's sasl_interact_t, whose layout is its stable ABI; the header
 * (libsasl2-dev) is not a build dependency. */
typedef struct ldapa_sasl_interact {
  unsigned long id;
  const char *challenge, *prompt, *defresult;
  const void *result;
  unsigned len;
} ldapa_sasl_interact;

/* GSSAPI takes its identity from the Kerberos ticket cache: answer every
 * question with libsasl's default (the authorization identity, empty). */
static int sasl_defaults(LDAP *ld, unsigned flags, void *defaults, void *in) {
  (void)ld, (void)flags, (void)defaults;
  for (ldapa_sasl_interact *it = in; it != NULL && it->id != 0; it++) {
    it->result = it->defresult ? it->defresult : "";
    it->len = (unsigned)strlen(it->result);
  }
  return LDAP_SUCCESS;
}

vigie_status ldapa_link_bind(LDAP *ld, const ldapa_conn_opts *opts, vigie_error *err) {
  int rc = LDAP_SUCCESS;
  if (opts->sasl_mech != NULL) {
    /* The Kerberos service name comes from the URL's host as written, not
     * from a reverse lookup of its address, which whoever answers DNS
     * could choose. */
    ldap_set_option(ld, LDAP_OPT_X_SASL_NOCANON, LDAP_OPT_ON);
    rc = ldap_sasl_interactive_bind_s(ld, NULL, opts->sasl_mech, NULL, NULL, LDAP_SASL_QUIET,
                                      sasl_defaults, NULL);
    if (rc != LDAP_SUCCESS)
      return ldapa_ldap_fail(ld, rc, LDAPA_PHASE_BIND, opts->url, "SASL bind refused", NULL, err);
    return VIGIE_OK;
  }
  if (opts->bind_dn == NULL) return VIGIE_OK; /* anonymous: LDAPv3 needs no bind */
  /* RFC 4513 5.1.2: a DN with an empty password is an unauthenticated
   * bind, which some servers accept as anonymous without saying so. */
  if (opts->password == NULL || opts->password[0] == '\0')
    return vigie_fail(err, VIGIE_EAUTH, "%s: bind as \"%s\": the password is empty", opts->url,
                      opts->bind_dn);
  vigie_status status =
      ldapa_link_simple_bind_rc(ld, opts->url, opts->bind_dn, opts->password, &rc, err);
  if (status != VIGIE_OK) return status;
  if (rc != LDAP_SUCCESS) {
    char what[300];
    snprintf(what, sizeof what, "bind as \"%s\" refused", opts->bind_dn);
    return ldapa_ldap_fail(ld, rc, LDAPA_PHASE_BIND, opts->url, what, NULL, err);
  }
  return VIGIE_OK;
}
