/* Service probes as data: the shipped file loads, malformed files are
 * refused with their line, escapes decode, answers become bounded printable
 * text, and patterns fill facts from their groups. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/harness.h"
#include "vigie/scanner.h"

static char xsd[4096], shipped[4096];

static void paths(void) {
  const char *dir = getenv("VIGIE_RULES_DIR");
  snprintf(xsd, sizeof xsd, "%s/service-probes.xsd", dir ? dir : "rules");
  snprintf(shipped, sizeof shipped, "%s/service-probes.xml", dir ? dir : "rules");
}

static scan_probes *load(const char *xml, vigie_error *err) {
  scan_probes *p = NULL;
  (void)scan_probes_load_memory(xml, strlen(xml), "t.xml", xsd, &p, err);
  return p;
}

/* The match of a probe file on one answer. */
static scan_facts *match(const scan_probes *p, const char *answer) {
  scan_facts *f = scan_facts_new();
  if (f != NULL && !scan_probes_match(p, SIZE_MAX, (const uint8_t *)answer, strlen(answer), f)) {
    scan_facts_free(f);
    return NULL;
  }
  return f;
}

TEST(shipped_file_loads) {
  scan_probes *p = NULL;
  vigie_error err = {0};
  paths();
  CHECKF(scan_probes_load(shipped, xsd, &p, &err) == VIGIE_OK, "%s", vigie_error_text(&err));
  REQUIRE(p != NULL);
  CHECK(scan_probes_count(p) >= 8);
  size_t http = SIZE_MAX, len;
  for (size_t i = 0; i < scan_probes_count(p); i++)
    if (strcmp(scan_probes_name(p, i), "http-get") == 0) http = i;
  REQUIRE(http != SIZE_MAX);
  const uint8_t *req = scan_probes_request(p, http, &len);
  CHECK(len > 18 && memcmp(req, "GET / HTTP/1.0\r\n", 16) == 0);
  CHECK(scan_probes_lists_port(p, http, 80) && scan_probes_lists_port(p, http, 8085));
  CHECK(!scan_probes_lists_port(p, http, 22));
  CHECK(scan_probes_generic(p, http));
  scan_probes_free(p);
}

/* Banners of common servers, written here as the servers send them. */
TEST(shipped_patterns) {
  static const struct {
    const char *answer, *service, *product, *version;
  } cases[] = {
      {"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", "ssh", "OpenSSH", "9.2p1"},
      {"SSH-2.0-dropbear_2022.83\r\n", "ssh", "Dropbear sshd", "2022.83"},
      {"220 (vsFTPd 3.0.3)\r\n", "ftp", "vsftpd", "3.0.3"},
      {"220 ProFTPD 1.3.8 Server (Debian) [::ffff:10.0.0.1]\r\n", "ftp", "ProFTPD", "1.3.8"},
      {"220 Microsoft FTP Service\r\n", "ftp", "Microsoft ftpd", NULL},
      {"220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n", "smtp", "Postfix smtpd", NULL},
      {"220 mx.example.org ESMTP Exim 4.96 Mon, 23 Nov 2026\r\n", "smtp", "Exim smtpd", "4.96"},
      {"* OK [CAPABILITY IMAP4rev1 SASL-IR] Dovecot (Debian) ready.\r\n", "imap", "Dovecot imapd",
       NULL},
      {"+OK Dovecot (Debian) ready.\r\n", "pop3", "Dovecot pop3d", NULL},
      {"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n\r\n", "http", "nginx", "1.22.1"},
      {"HTTP/1.1 200 OK\r\nServer: Apache/2.4.62 (Debian)\r\n\r\n", "http", "Apache httpd",
       "2.4.62"},
      {"HTTP/1.1 404 Not Found\r\nServer: Microsoft-IIS/10.0\r\n\r\n", "http",
       "Microsoft IIS httpd", "10.0"},
      {"HTTP/1.1 404 Not Found\r\nServer: Microsoft-HTTPAPI/2.0\r\n\r\n", "http",
       "Microsoft HTTPAPI httpd", "2.0"},
      {"HTTP/1.1 200 OK\r\nServer: Jetty(9.4.51.v20230217)\r\n\r\n", "http", "Jetty",
       "9.4.51.v20230217"},
      {"HTTP/1.0 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"Orthanc Secure "
       "Access\"\r\n\r\n",
       "http", "Orthanc", NULL},
      {"HTTP/1.1 200 OK\r\n\r\n{\"couchdb\":\"Welcome\",\"version\":\"3.3.2\"}", "http", "CouchDB",
       "3.3.2"},
      {"$1000\r\n# Server\r\nredis_version:7.0.15\r\n", "redis", "Redis key-value store", "7.0.15"},
      {"STAT pid 12\r\nSTAT uptime 5\r\nSTAT version 1.6.18\r\n", "memcached", "memcached",
       "1.6.18"},
      {"RFB 003.008\n", "vnc", NULL, NULL},
      {"E\x01\x01\x01\xffj\x04Host '2001:2::1' is not allowed to connect to this MariaDB server",
       "mysql", "MariaDB", NULL},
      {"\xff\xfd\x18\xff\xfd\x20\r\nDebian GNU/Linux 12\r\nlogin: ", "telnet", NULL, NULL},
      {"SIP/2.0 200 OK\r\nServer: Asterisk PBX 20.5.0\r\n\r\n", "sip", "Asterisk PBX", "20.5.0"},
  };
  scan_probes *p = NULL;
  vigie_error err = {0};
  paths();
  REQUIRE(scan_probes_load(shipped, xsd, &p, &err) == VIGIE_OK);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    scan_facts *f = match(p, cases[i].answer);
    CHECKF(f != NULL, "case %zu: no match", i);
    if (f == NULL) continue;
    CHECK_STR(scan_facts_get(f, "service"), cases[i].service);
    if (cases[i].product) CHECK_STR(scan_facts_get(f, "product"), cases[i].product);
    if (cases[i].version) CHECK_STR(scan_facts_get(f, "version"), cases[i].version);
    CHECK_STR(scan_facts_get(f, "confidence"), "banner");
    scan_facts_free(f);
  }
  CHECK(match(p, "nothing anyone would recognise\r\n") == NULL);
  scan_probes_free(p);
}

#define HEAD "<probes xmlns=\"urn:vigie:service-probes:1\" version=\"1\">\n"

/* Every malformed file is refused, naming the file and the line. */
TEST(malformed_files) {
  static const struct {
    const char *xml, *where;
  } cases[] = {
      {HEAD "<probe name=\"a\">\n<match service=\"x\">(unclosed</match>\n</probe>\n</probes>\n",
       "t.xml:3"},
      {HEAD "<probe name=\"a\">\n<request>bad \\q escape</request>\n<match "
            "service=\"x\">y</match>\n</probe>\n</probes>\n",
       "t.xml:3"},
      {HEAD "<probe name=\"a\">\n<request>\\x4</request>\n<match "
            "service=\"x\">y</match>\n</probe>\n</probes>\n",
       "t.xml:3"},
      {HEAD "<probe name=\"a\" ports=\"0\">\n<match service=\"x\">y</match>\n</probe>\n</probes>\n",
       "t.xml:2"},
      {HEAD "<probe name=\"a\">\n</probe>\n</probes>\n", "t.xml:"},
      {HEAD "<probe name=\"Bad Name\">\n<match service=\"x\">y</match>\n</probe>\n</probes>\n",
       "t.xml:2"},
      {HEAD "<probe name=\"a\">\n<match service=\"x\">y</match>\n</probe>\n<probe "
            "name=\"a\">\n<match service=\"x\">y</match>\n</probe>\n</probes>\n",
       "t.xml:"},
      {HEAD "<probe name=\"a\">\n<match "
            "service=\"x\">(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)</match>\n</probe>\n</probes>\n",
       "t.xml:3"},
      {"<!DOCTYPE probes [<!ENTITY x \"y\">]>\n" HEAD "</probes>\n", "t.xml"},
      {HEAD "<probe name=\"a\">\n<match service=\"x\">y</match>\n", "t.xml:"},
  };
  paths();
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    vigie_error err = {0};
    scan_probes *p = load(cases[i].xml, &err);
    CHECKF(p == NULL, "case %zu loaded", i);
    scan_probes_free(p);
    CHECKF(strstr(vigie_error_text(&err), cases[i].where) != NULL, "case %zu: %s", i,
           vigie_error_text(&err));
  }
}

TEST(unescape) {
  uint8_t out[16];
  size_t len = 0;
  CHECK(scan_probes_unescape("a\\r\\n\\t\\0\\\\\\x41\\xfF", out, sizeof out, &len));
  CHECK(len == 8 && memcmp(out, "a\r\n\t\0\\A\xff", 8) == 0);
  CHECK(!scan_probes_unescape("\\x4", out, sizeof out, &len));
  CHECK(!scan_probes_unescape("\\xzz", out, sizeof out, &len));
  CHECK(!scan_probes_unescape("\\", out, sizeof out, &len));
  CHECK(!scan_probes_unescape("\\u0041", out, sizeof out, &len));
  CHECK(!scan_probes_unescape("0123456789abcdefX", out, sizeof out, &len)); /* over cap */
  CHECK(scan_probes_unescape("", out, sizeof out, &len) && len == 0);
}

TEST(printable_text) {
  char text[SCAN_PROBE_TEXT_MAX + 1];
  const uint8_t in[] = "a\r\nb\rc\nd\0e\x1b\xff\x7f";
  CHECK(scan_probes_text(in, sizeof in - 1, text) == 12);
  CHECK_STR(text, "a\nb\nc\nd.e...");
  size_t big = 3 * SCAN_PROBE_TEXT_MAX;
  uint8_t *junk = malloc(big);
  REQUIRE(junk != NULL);
  memset(junk, '<', big);
  CHECK(scan_probes_text(junk, big, text) == SCAN_PROBE_TEXT_MAX);
  CHECK(text[SCAN_PROBE_TEXT_MAX] == '\0');
  free(junk);
}

/* Templates: groups replaced, an unmatched group empty, an empty value
 * left out, blanks trimmed; a probe's own patterns only when asked. */
TEST(templates_and_scope) {
  vigie_error err = {0};
  paths();
  scan_probes *p = load(HEAD
                        "<probe name=\"one\">\n"
                        "<match service=\"svc\" product=\"P \\1\" version=\"\\2\" info=\"\\3 "
                        "\">^HELLO ([a-z]+)( v([0-9]+))?</match>\n"
                        "</probe>\n"
                        "<probe name=\"two\">\n<match service=\"other\">^BYE</match>\n</probe>\n"
                        "</probes>\n",
                        &err);
  REQUIRE(p != NULL);
  scan_facts *f = match(p, "HELLO world v42\r\n");
  REQUIRE(f != NULL);
  CHECK_STR(scan_facts_get(f, "product"), "P world");
  CHECK_STR(scan_facts_get(f, "version"), " v42");
  CHECK_STR(scan_facts_get(f, "info"), "42");
  scan_facts_free(f);
  f = match(p, "hello there\n"); /* case-insensitive; groups 2 and 3 unmatched */
  REQUIRE(f != NULL);
  CHECK_STR(scan_facts_get(f, "product"), "P there");
  CHECK(scan_facts_get(f, "version") == NULL && scan_facts_get(f, "info") == NULL);
  scan_facts_free(f);
  f = scan_facts_new();
  REQUIRE(f != NULL);
  CHECK(!scan_probes_match(p, 0, (const uint8_t *)"BYE", 3, f));
  CHECK(scan_probes_match(p, 1, (const uint8_t *)"BYE", 3, f));
  CHECK(!scan_probes_match(p, 7, (const uint8_t *)"BYE", 3, f));
  CHECK(!scan_probes_match(p, SIZE_MAX, (const uint8_t *)"", 0, f));
  scan_facts_free(f);
  scan_probes_free(p);
}

TEST_MAIN(TEST_CASE_ENTRY(shipped_file_loads), TEST_CASE_ENTRY(shipped_patterns),
          TEST_CASE_ENTRY(malformed_files), TEST_CASE_ENTRY(unescape),
          TEST_CASE_ENTRY(printable_text), TEST_CASE_ENTRY(templates_and_scope))
