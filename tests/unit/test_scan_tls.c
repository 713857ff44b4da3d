/* TLS inspection, what can be tested offline: RFC 6125 name matching,
 * certificate facts from the fixtures of tests/data/tls (make.sh there
 * regenerates them with fixed dates), and the STARTTLS preamble parsers fed
 * one byte at a time. */
#include <stdlib.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "harness.h"
#include "scanner/scan_int.h"

/* 2026-01-01T00:00:00Z: the fixtures' validity is judged at this instant. */
#define NOW_2026 INT64_C(1767225600)

/* ------------------------------------------------------------ matching */

static bool match(const char *pattern, const char *host) {
  return scan_tls_name_match(pattern, strlen(pattern), host);
}

TEST(name_exact_and_case) {
  CHECK(match("www.example.org", "www.example.org"));
  CHECK(match("WWW.Example.ORG", "www.example.org"));
  CHECK(match("www.example.org.", "www.example.org"));
  CHECK(match("www.example.org", "www.example.org."));
  CHECK(!match("www.example.org", "example.org"));
  CHECK(!match("www.example.org", "www.example.org.evil"));
  CHECK(!match("", "www.example.org"));
}

TEST(name_wildcards) {
  CHECK(match("*.example.org", "www.example.org"));
  CHECK(match("*.EXAMPLE.org", "Mail.example.org"));
  CHECK(!match("*.example.org", "example.org"));     /* one label, never none */
  CHECK(!match("*.example.org", "a.b.example.org")); /* never two */
  CHECK(!match("*.example.org", ".example.org"));    /* never an empty one */
  CHECK(!match("*.org", "example.org"));             /* two labels after it */
  CHECK(!match("*", "example"));
  CHECK(!match("f*.example.org", "foo.example.org")); /* partial: refused */
  CHECK(!match("www.*.org", "www.example.org"));      /* only left-most */
  CHECK(!match("*.*.example.org", "a.b.example.org"));
  CHECK(!match("*.example.org", "192.0.2.1"));
}

TEST(name_nul_and_ip) {
  static const char nul[] = "www.example.org\0.evil.test";
  CHECK(!scan_tls_name_match(nul, sizeof nul - 1, "www.example.org"));
  CHECK(!match("192.0.2.1", "192.0.2.1")); /* an IP only matches iPAddress SANs */
  CHECK(!match("2001:db8::1", "2001:db8::1"));
}

/* --------------------------------------------------------- certificates */

/* The DER of the PEM files named, concatenated in order. */
static uint8_t *load_der(const char *const *files, size_t n, size_t *len) {
  const char *dir = getenv("VIGIE_TEST_DATA");
  uint8_t *der = NULL;
  *len = 0;
  for (size_t i = 0; i < n; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/tls/%s", dir ? dir : "tests/data", files[i]);
    FILE *f = fopen(path, "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f) fclose(f);
    int size = x ? i2d_X509(x, NULL) : -1;
    uint8_t *grown = size > 0 ? realloc(der, *len + (size_t)size) : NULL;
    if (grown == NULL) {
      printf("# cannot read %s\n", path);
      X509_free(x);
      free(der);
      return NULL;
    }
    der = grown;
    uint8_t *p = der + *len;
    *len += (size_t)i2d_X509(x, &p);
    X509_free(x);
  }
  return der;
}

/* Facts of a fixture chain; NULL on failure. */
static scan_facts *facts_of(const char *const *files, size_t n, const scan_tls_opts *opts) {
  size_t len;
  uint8_t *der = load_der(files, n, &len);
  scan_facts *f = scan_facts_new();
  vigie_error err;
  vigie_status status =
      der && f ? scan_tls_cert_facts(der, len, opts, NOW_2026, f, &err) : VIGIE_ENOMEM;
  free(der);
  if (status != VIGIE_OK) {
    printf("# cert facts: %s\n", status == VIGIE_ENOMEM ? "no fixture" : err.msg);
    scan_facts_free(f);
    return NULL;
  }
  return f;
}

/* The i-th value of name, or NULL. */
static const char *nth(const scan_facts *f, const char *name, size_t want) {
  const char *n, *v;
  size_t len;
  for (size_t i = 0; scan_facts_at(f, i, &n, &v, &len); i++)
    if (strcmp(n, name) == 0 && want-- == 0) return v;
  return NULL;
}

TEST(cert_leaf_signed_by_ca) {
  static const char *const files[] = {"leaf.pem", "ca.pem"};
  const char *names[] = {"nope.example.test", "x.apps.example.test"};
  char ca[1024];
  snprintf(ca, sizeof ca, "%s/tls/ca.pem", getenv("VIGIE_TEST_DATA"));
  scan_tls_opts opts = {.host_names = names, .host_name_count = 2, .ca_file = ca};
  scan_facts *f = facts_of(files, 2, &opts);
  REQUIRE(f != NULL);
  CHECK_STR(scan_facts_get(f, "cert.subject"), "O=Vigie Test,CN=www.example.test");
  CHECK_STR(scan_facts_get(f, "cert.issuer"), "O=Vigie Test,CN=Vigie Test CA");
  CHECK_STR(nth(f, "cert.san", 0), "www.example.test");
  CHECK_STR(nth(f, "cert.san", 1), "*.apps.example.test");
  CHECK_STR(nth(f, "cert.san", 2), "198.18.0.10");
  CHECK_STR(nth(f, "cert.san", 3), "2001:db8::1");
  CHECK(nth(f, "cert.san", 4) == NULL);
  CHECK_STR(scan_facts_get(f, "cert.not_before"), "2025-03-01T12:00:00Z");
  CHECK_STR(scan_facts_get(f, "cert.not_after"), "2030-03-01T12:00:00Z");
  CHECK_STR(scan_facts_get(f, "cert.expired"), "false");
  CHECK_STR(scan_facts_get(f, "cert.days_left"), "1520");
  CHECK_STR(scan_facts_get(f, "cert.key_type"), "ec");
  CHECK_STR(scan_facts_get(f, "cert.key_bits"), "256");
  CHECK_STR(scan_facts_get(f, "cert.key_curve"), "prime256v1");
  CHECK_STR(scan_facts_get(f, "cert.sig_alg"), "ecdsa-with-SHA256");
  CHECK_STR(scan_facts_get(f, "cert.self_signed"), "false");
  CHECK_STR(scan_facts_get(f, "cert.chain_length"), "2");
  CHECK_STR(nth(f, "cert.chain", 0), "O=Vigie Test,CN=www.example.test");
  CHECK_STR(nth(f, "cert.chain", 1), "O=Vigie Test,CN=Vigie Test CA");
  CHECK_STR(scan_facts_get(f, "cert.name_mismatch"), "false"); /* the wildcard SAN */
  CHECK_STR(scan_facts_get(f, "cert.trusted"), "true");
  CHECK(scan_facts_get(f, "cert.verify_error") == NULL);
  const char *sha = scan_facts_get(f, "cert.sha256");
  CHECK(sha != NULL && strlen(sha) == 64 && strspn(sha, "0123456789abcdef") == 64);
  scan_facts_free(f);
}

/* Which known names match the leaf: DNS and IP SANs, never the CN once a
 * dNSName is present. */
static const char *mismatch(const char *host) {
  static const char *const files[] = {"leaf.pem"};
  static char result[8];
  const char *names[] = {host};
  scan_tls_opts opts = {.host_names = names, .host_name_count = 1, .skip_trust = true};
  scan_facts *f = facts_of(files, 1, &opts);
  const char *v = f ? scan_facts_get(f, "cert.name_mismatch") : NULL;
  snprintf(result, sizeof result, "%s", v ? v : "(none)");
  scan_facts_free(f);
  return result;
}

TEST(cert_name_mismatch) {
  CHECK_STR(mismatch("www.example.test"), "false");
  CHECK_STR(mismatch("WWW.EXAMPLE.TEST."), "false");
  CHECK_STR(mismatch("a.apps.example.test"), "false");
  CHECK_STR(mismatch("apps.example.test"), "true");
  CHECK_STR(mismatch("a.b.apps.example.test"), "true");
  CHECK_STR(mismatch("198.18.0.10"), "false");
  CHECK_STR(mismatch("2001:DB8:0::1"), "false");
  CHECK_STR(mismatch("192.0.2.11"), "true");
  CHECK_STR(mismatch("example.test"), "true");
}

TEST(cert_expired_self_signed_cn_only) {
  static const char *const files[] = {"old.pem"};
  const char *names[] = {"old.example.test"};
  char other_ca[1024];
  snprintf(other_ca, sizeof other_ca, "%s/tls/ca.pem", getenv("VIGIE_TEST_DATA"));
  scan_tls_opts opts = {.host_names = names, .host_name_count = 1, .ca_file = other_ca};
  scan_facts *f = facts_of(files, 1, &opts);
  REQUIRE(f != NULL);
  CHECK_STR(scan_facts_get(f, "cert.subject"), "CN=old.example.test");
  CHECK(scan_facts_get(f, "cert.san") == NULL);
  CHECK_STR(scan_facts_get(f, "cert.name_mismatch"), "false"); /* the CN, as no SAN */
  CHECK_STR(scan_facts_get(f, "cert.not_after"), "2021-01-01T00:00:00Z");
  CHECK_STR(scan_facts_get(f, "cert.expired"), "true");
  CHECK_STR(scan_facts_get(f, "cert.days_left"), "-1826");
  CHECK_STR(scan_facts_get(f, "cert.key_type"), "rsa");
  CHECK_STR(scan_facts_get(f, "cert.key_bits"), "1024");
  CHECK_STR(scan_facts_get(f, "cert.sig_alg"), "sha1WithRSAEncryption");
  CHECK_STR(scan_facts_get(f, "cert.self_signed"), "true");
  CHECK_STR(scan_facts_get(f, "cert.chain_length"), "1");
  CHECK_STR(scan_facts_get(f, "cert.trusted"), "false");
  CHECK(scan_facts_get(f, "cert.verify_error") != NULL);
  scan_facts_free(f);
}

TEST(cert_ed25519_no_names_known) {
  static const char *const files[] = {"ed.pem"};
  scan_tls_opts opts = {.skip_trust = true};
  scan_facts *f = facts_of(files, 1, &opts);
  REQUIRE(f != NULL);
  CHECK_STR(scan_facts_get(f, "cert.key_type"), "ed25519");
  CHECK_STR(scan_facts_get(f, "cert.sig_alg"), "ED25519");
  CHECK_STR(scan_facts_get(f, "cert.self_signed"), "true");
  CHECK(scan_facts_get(f, "cert.name_mismatch") == NULL); /* no names known */
  CHECK(scan_facts_get(f, "cert.trusted") == NULL);       /* skipped */
  scan_facts_free(f);
}

TEST(cert_garbage_and_truncated) {
  scan_tls_opts opts = {.skip_trust = true};
  scan_facts *f = scan_facts_new();
  REQUIRE(f != NULL);
  static const uint8_t junk[] = {0x30, 0x82, 0x01, 0x00, 0x01};
  vigie_error err;
  CHECK(scan_tls_cert_facts(junk, sizeof junk, &opts, NOW_2026, f, &err) == VIGIE_ETLS);
  CHECK(strstr(err.msg, "certificate") != NULL);
  CHECK(scan_facts_count(f) == 0);
  /* A whole leaf then half a CA: the leaf's facts, a chain of one. */
  static const char *const files[] = {"leaf.pem", "ca.pem"};
  size_t len;
  uint8_t *der = load_der(files, 2, &len);
  REQUIRE(der != NULL);
  CHECK(scan_tls_cert_facts(der, len - 40, &opts, NOW_2026, f, &err) == VIGIE_OK);
  CHECK_STR(scan_facts_get(f, "cert.chain_length"), "1");
  free(der);
  scan_facts_free(f);
}

/* --------------------------------------------------------------- STARTTLS */

/* Play a server transcript against a parser one byte at a time; collect
 * what the client sent (joined with '|') and the final step. */
static scan_starttls_step play(scan_starttls kind, const char *server, size_t server_len,
                               char *sent, size_t sent_cap) {
  scan_starttls_state *st = malloc(sizeof *st);
  if (st == NULL) return SCAN_STARTTLS_BROKEN;
  size_t n = 0;
  sent[0] = '\0';
  scan_starttls_step step = scan_starttls_begin(st, kind);
  for (size_t i = 0;; i++) {
    if (step == SCAN_STARTTLS_SEND) {
      /* Raw bytes (LDAP and PostgreSQL requests hold NULs), '|' between. */
      if (n > 0 && n + 1 < sent_cap) sent[n++] = '|';
      size_t k = st->out_len < sent_cap - 1 - n ? st->out_len : sent_cap - 1 - n;
      memcpy(sent + n, st->out, k);
      n += k;
      sent[n] = '\0';
      step = SCAN_STARTTLS_MORE;
    }
    if (step != SCAN_STARTTLS_MORE || i >= server_len) break;
    size_t used;
    step = scan_starttls_feed(st, (const uint8_t *)server + i, 1, &used);
    if (used != 1) step = SCAN_STARTTLS_BROKEN;
  }
  free(st);
  return step;
}

#define PLAY(kind, text, sent) play(kind, text, sizeof(text) - 1, sent, sizeof sent)

TEST(starttls_smtp) {
  char sent[512];
  CHECK(PLAY(SCAN_STARTTLS_SMTP,
             "220-mx.example.test ESMTP\r\n220 ready\r\n"
             "250-mx.example.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
             "220 2.0.0 Ready to start TLS\r\n",
             sent) == SCAN_STARTTLS_READY);
  CHECK_STR(sent, "EHLO vigie.invalid\r\n|STARTTLS\r\n");
  CHECK(PLAY(SCAN_STARTTLS_SMTP, "220 mx\r\n250 mx\r\n454 4.7.0 TLS not available\r\n", sent) ==
        SCAN_STARTTLS_REFUSED);
  CHECK(PLAY(SCAN_STARTTLS_SMTP, "554 go away\r\n", sent) == SCAN_STARTTLS_REFUSED);
  CHECK(PLAY(SCAN_STARTTLS_SMTP, "SSH-2.0-OpenSSH_9.2\r\n", sent) == SCAN_STARTTLS_BROKEN);
  CHECK(PLAY(SCAN_STARTTLS_SMTP, "220-a\r\n221 b\r\n", sent) == SCAN_STARTTLS_BROKEN);
  CHECK(PLAY(SCAN_STARTTLS_SMTP, "220 mx\r\n", sent) == SCAN_STARTTLS_MORE); /* waits */
}

TEST(starttls_smtp_bounds) {
  static char line[SCAN_STARTTLS_LINE_MAX + 16];
  char sent[128];
  memset(line, 'a', sizeof line - 1);
  memcpy(line, "220 ", 4);
  line[sizeof line - 1] = '\0';
  CHECK(play(SCAN_STARTTLS_SMTP, line, strlen(line), sent, sizeof sent) == SCAN_STARTTLS_BROKEN);
  /* A reply of endless continuation lines ends at the line cap. */
  static char many[(SCAN_STARTTLS_LINES_MAX + 2) * 6 + 1];
  for (size_t i = 0; i < SCAN_STARTTLS_LINES_MAX + 2; i++) memcpy(many + 6 * i, "220-\r\n", 6);
  CHECK(play(SCAN_STARTTLS_SMTP, many, strlen(many), sent, sizeof sent) == SCAN_STARTTLS_BROKEN);
}

TEST(starttls_ftp) {
  char sent[512];
  CHECK(PLAY(SCAN_STARTTLS_FTP, "220-Welcome\r\nfree text here\r\n220 ok\r\n234 AUTH TLS ok\r\n",
             sent) == SCAN_STARTTLS_READY);
  CHECK_STR(sent, "AUTH TLS\r\n");
  CHECK(PLAY(SCAN_STARTTLS_FTP, "220 ok\n530 Please login with USER and PASS.\n", sent) ==
        SCAN_STARTTLS_REFUSED);
  CHECK(PLAY(SCAN_STARTTLS_FTP, "hello\r\n", sent) == SCAN_STARTTLS_BROKEN);
}

TEST(starttls_imap) {
  char sent[512];
  CHECK(PLAY(SCAN_STARTTLS_IMAP,
             "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n* CAPABILITY IMAP4rev1\r\n"
             "a1 OK Begin TLS negotiation now\r\n",
             sent) == SCAN_STARTTLS_READY);
  CHECK_STR(sent, "a1 STARTTLS\r\n");
  CHECK(PLAY(SCAN_STARTTLS_IMAP, "* OK hi\r\na1 BAD no\r\n", sent) == SCAN_STARTTLS_REFUSED);
  CHECK(PLAY(SCAN_STARTTLS_IMAP, "* BYE busy\r\n", sent) == SCAN_STARTTLS_REFUSED);
  CHECK(PLAY(SCAN_STARTTLS_IMAP, "+OK pop\r\n", sent) == SCAN_STARTTLS_BROKEN);
  CHECK(PLAY(SCAN_STARTTLS_IMAP, "* OK hi\r\na2 OK other tag\r\n", sent) == SCAN_STARTTLS_BROKEN);
}

TEST(starttls_pop3) {
  char sent[512];
  CHECK(PLAY(SCAN_STARTTLS_POP3, "+OK Dovecot ready.\r\n+OK Begin TLS\r\n", sent) ==
        SCAN_STARTTLS_READY);
  CHECK_STR(sent, "STLS\r\n");
  CHECK(PLAY(SCAN_STARTTLS_POP3, "+OK hi\r\n-ERR no\r\n", sent) == SCAN_STARTTLS_REFUSED);
  CHECK(PLAY(SCAN_STARTTLS_POP3, "220 smtp\r\n", sent) == SCAN_STARTTLS_BROKEN);
}

TEST(starttls_ldap) {
  char sent[512];
  /* slapd's answer: ExtendedResponse, message 1, success, responseName. */
  static const char ok[] =
      "\x30\x24\x02\x01\x01\x78\x1f\x0a\x01\x00\x04\x00\x04\x00"
      "\x8a\x16"
      "1.3.6.1.4.1.1466.20037";
  CHECK(play(SCAN_STARTTLS_LDAP, ok, sizeof ok - 1, sent, sizeof sent) == SCAN_STARTTLS_READY);
  CHECK(memcmp(sent,
               "\x30\x1d\x02\x01\x01\x77\x18\x80\x16"
               "1.3.6.1.4.1.1466.20037",
               31) == 0);
  static const char no[] = "\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x02\x04\x00\x04\x00";
  CHECK(play(SCAN_STARTTLS_LDAP, no, sizeof no - 1, sent, sizeof sent) == SCAN_STARTTLS_REFUSED);
  static const char notice[] = "\x30\x0c\x02\x01\x00\x78\x07\x0a\x01\x34\x04\x00\x04\x00";
  CHECK(play(SCAN_STARTTLS_LDAP, notice, sizeof notice - 1, sent, sizeof sent) ==
        SCAN_STARTTLS_REFUSED);
  static const char long_len[] = "\x30\x84\x7f\xff\xff\xff";
  CHECK(play(SCAN_STARTTLS_LDAP, long_len, sizeof long_len - 1, sent, sizeof sent) ==
        SCAN_STARTTLS_BROKEN);
  static const char inner_lie[] = "\x30\x07\x02\x01\x01\x78\x7f\x0a\x01";
  CHECK(play(SCAN_STARTTLS_LDAP, inner_lie, sizeof inner_lie - 1, sent, sizeof sent) ==
        SCAN_STARTTLS_BROKEN);
  CHECK(PLAY(SCAN_STARTTLS_LDAP, "220 smtp\r\n", sent) == SCAN_STARTTLS_BROKEN);
}

TEST(starttls_postgresql) {
  char sent[64];
  CHECK(PLAY(SCAN_STARTTLS_POSTGRESQL, "S", sent) == SCAN_STARTTLS_READY);
  CHECK(memcmp(sent, "\x00\x00\x00\x08\x04\xd2\x16\x2f", 8) == 0);
  CHECK(PLAY(SCAN_STARTTLS_POSTGRESQL, "N", sent) == SCAN_STARTTLS_REFUSED);
  CHECK(PLAY(SCAN_STARTTLS_POSTGRESQL, "H", sent) == SCAN_STARTTLS_BROKEN);
}

TEST(starttls_feed_stops_and_names) {
  scan_starttls_state st;
  CHECK(scan_starttls_begin(&st, SCAN_STARTTLS_POP3) == SCAN_STARTTLS_MORE);
  static const uint8_t two[] = "+OK a\r\n+OK b\r\nextra";
  size_t used;
  CHECK(scan_starttls_feed(&st, two, sizeof two - 1, &used) == SCAN_STARTTLS_SEND);
  CHECK(used == 7); /* stops at the verdict: the rest is the next step's */
  CHECK(scan_starttls_feed(&st, two + used, sizeof two - 1 - used, &used) == SCAN_STARTTLS_READY);
  CHECK(used == 7);
  CHECK(scan_starttls_feed(&st, two, 1, &used) == SCAN_STARTTLS_BROKEN); /* done */
  scan_starttls k;
  CHECK(scan_starttls_from_name("postgresql", &k) && k == SCAN_STARTTLS_POSTGRESQL);
  CHECK(!scan_starttls_from_name("SMTP", &k));
  CHECK_STR(scan_starttls_name(SCAN_STARTTLS_LDAP), "ldap");
  CHECK(scan_starttls_begin(&st, SCAN_STARTTLS_NONE) == SCAN_STARTTLS_BROKEN);
}

TEST_MAIN(TEST_CASE_ENTRY(name_exact_and_case), TEST_CASE_ENTRY(name_wildcards),
          TEST_CASE_ENTRY(name_nul_and_ip), TEST_CASE_ENTRY(cert_leaf_signed_by_ca),
          TEST_CASE_ENTRY(cert_name_mismatch), TEST_CASE_ENTRY(cert_expired_self_signed_cn_only),
          TEST_CASE_ENTRY(cert_ed25519_no_names_known), TEST_CASE_ENTRY(cert_garbage_and_truncated),
          TEST_CASE_ENTRY(starttls_smtp), TEST_CASE_ENTRY(starttls_smtp_bounds),
          TEST_CASE_ENTRY(starttls_ftp), TEST_CASE_ENTRY(starttls_imap),
          TEST_CASE_ENTRY(starttls_pop3), TEST_CASE_ENTRY(starttls_ldap),
          TEST_CASE_ENTRY(starttls_postgresql), TEST_CASE_ENTRY(starttls_feed_stops_and_names))
