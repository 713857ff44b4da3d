/* The libldap boundary without a server: the one mapping of libldap codes
 * to statuses (with the text kept), and the URLs the collector refuses
 * before any connection. */
#include <string.h>

#include "harness.h"
#include "ldap_audit/ldapa_collect_int.h"

static vigie_status map(int rc, ldapa_phase phase, const char *text, vigie_error *err) {
  return ldapa_ldap_fail(NULL, rc, phase, "ldap://198.18.0.1", "doing it", text, err);
}

TEST(codes_map_by_phase) {
  vigie_error err = {0};
  CHECK(map(LDAP_INVALID_CREDENTIALS, LDAPA_PHASE_BIND, NULL, &err) == VIGIE_EAUTH);
  CHECK(strstr(err.msg, "ldap://198.18.0.1: doing it: Invalid credentials (49)") != NULL);
  CHECK(map(LDAP_UNWILLING_TO_PERFORM, LDAPA_PHASE_BIND, NULL, &err) == VIGIE_EAUTH);
  CHECK(map(LDAP_STRONG_AUTH_REQUIRED, LDAPA_PHASE_BIND, NULL, &err) == VIGIE_EAUTH);
  CHECK(map(LDAP_LOCAL_ERROR, LDAPA_PHASE_BIND, NULL, &err) == VIGIE_EAUTH); /* SASL */
  CHECK(map(LDAP_SERVER_DOWN, LDAPA_PHASE_CONNECT, NULL, &err) == VIGIE_ECONNECT);
  CHECK(map(LDAP_SERVER_DOWN, LDAPA_PHASE_SEARCH, NULL, &err) == VIGIE_EPROTO); /* cut */
  CHECK(map(LDAP_SERVER_DOWN, LDAPA_PHASE_BIND, NULL, &err) == VIGIE_EPROTO);
  CHECK(map(LDAP_TIMEOUT, LDAPA_PHASE_SEARCH, NULL, &err) == VIGIE_ETIMEOUT);
  CHECK(map(LDAP_TIMEOUT, LDAPA_PHASE_CONNECT, NULL, &err) == VIGIE_ETIMEOUT);
  CHECK(map(LDAP_CONNECT_ERROR, LDAPA_PHASE_STARTTLS, NULL, &err) == VIGIE_ETLS);
  CHECK(map(LDAP_PROTOCOL_ERROR, LDAPA_PHASE_STARTTLS, NULL, &err) == VIGIE_ETLS);
  CHECK(map(LDAP_NO_MEMORY, LDAPA_PHASE_SEARCH, NULL, &err) == VIGIE_ENOMEM);
  CHECK(map(LDAP_NO_SUCH_OBJECT, LDAPA_PHASE_SEARCH, NULL, &err) == VIGIE_EPROTO);
  CHECK(map(LDAP_SUCCESS, LDAPA_PHASE_SEARCH, NULL, &err) == VIGIE_EPROTO); /* never OK */
}

TEST(tls_text_makes_a_tls_failure_and_is_kept) {
  vigie_error err = {0};
  CHECK(map(LDAP_SERVER_DOWN, LDAPA_PHASE_CONNECT, "TLS: hostname does not match CN", &err) ==
        VIGIE_ETLS);
  CHECK(strstr(err.msg, "(TLS: hostname does not match CN)") != NULL);
  CHECK(map(LDAP_CONNECT_ERROR, LDAPA_PHASE_CONNECT,
            "error:0A000086:SSL routines::certificate verify failed", &err) == VIGIE_ETLS);
  CHECK(map(LDAP_SERVER_DOWN, LDAPA_PHASE_CONNECT, "Connection refused", &err) == VIGIE_ECONNECT);
  CHECK(strstr(err.msg, "Connection refused") != NULL);
}

TEST(urls_other_than_one_ldap_host_are_refused_before_connecting) {
  const char *bad[] = {"ldapi:///run/slapd/ldapi",
                       "http://198.18.0.1",
                       "ldap://",
                       "ldap://198.18.0.1 ldap://198.18.0.2",
                       "cldap://198.18.0.1",
                       "198.18.0.1",
                       ""};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ldapa_link link = {bad[i], false, true, NULL, 1};
    LDAP *ld = (LDAP *)&link; /* must be reset to NULL */
    vigie_error err = {0};
    CHECKF(ldapa_link_open(&link, &ld, &err) == VIGIE_ESYNTAX && ld == NULL, "\"%s\": %s", bad[i],
           err.msg);
  }
}

TEST_MAIN(TEST_CASE_ENTRY(codes_map_by_phase),
          TEST_CASE_ENTRY(tls_text_makes_a_tls_failure_and_is_kept),
          TEST_CASE_ENTRY(urls_other_than_one_ldap_host_are_refused_before_connecting))
