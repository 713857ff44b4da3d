/* Exposure rules: the sample file of tests/data/exposure/good loads with
 * every field in place; each file of tests/data/exposure/bad fails with the
 * status, line and message its "<!-- expect STATUS: message -->" comment
 * gives (the comment sits on the line the error must name), adding nothing;
 * IDs are unique across files. Then evaluation over hand-built facts:
 * multi-valued and absent facts, dotted names, version functions, the
 * synthetic names, confidence, and a port without facts. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "vigie/scanner.h"

static void data_path(char *buf, size_t len, const char *rel) {
  const char *dir = getenv("VIGIE_TEST_DATA");
  snprintf(buf, len, "%s/exposure/%s", dir ? dir : "tests/data", rel);
}

static scan_exposure_rules *load_sample(test_ctx *ctx) {
  char path[512];
  vigie_error err;
  data_path(path, sizeof path, "good/sample.xml");
  scan_exposure_rules *rules = scan_exposure_rules_new();
  if (rules == NULL) return NULL;
  CHECKF(scan_exposure_load_file(rules, path, &err) == VIGIE_OK, "%s", err.msg);
  return rules;
}

/* ------------------------------------------------------------ loader */

TEST(good_sample) {
  char path[512];
  data_path(path, sizeof path, "good/sample.xml");
  scan_exposure_rules *rules = load_sample(ctx);
  REQUIRE(rules != NULL);
  CHECK(scan_exposure_count(rules) == 4);
  const scan_exposure_rule *r = scan_exposure_find(rules, "EXP-TRDP-001");
  REQUIRE(r != NULL);
  CHECK(scan_exposure_at(rules, 0) == r);
  CHECK(scan_exposure_rule_severity(r) == SCAN_SEV_CRITICAL);
  CHECK_STR(scan_exposure_rule_category(r), "remote-admin");
  CHECK(scan_exposure_rule_confidence(r) == NULL);
  CHECK_STR(scan_exposure_rule_text(r, "title", "fr"), "Bureau à distance sans NLA");
  CHECK_STR(scan_exposure_rule_text(r, "title", "en"), "Remote Desktop without NLA");
  CHECK_STR(scan_exposure_rule_text(r, "remediation", "en"), "Require NLA.");
  CHECK(scan_exposure_rule_text(r, "title", "de") == NULL);
  CHECK(scan_exposure_rule_text(r, "rationale", "en") == NULL);
  CHECK_STR(scan_exposure_rule_where(r), "service = \"rdp\" and rdp.nla_required = \"false\"");
  int line = 0;
  CHECK_STR(scan_exposure_rule_source(r, &line), path);
  CHECK(line == 5);
  REQUIRE(scan_exposure_rule_reference_count(r) == 1);
  const char *kind = NULL, *href = NULL;
  CHECK_STR(scan_exposure_rule_reference_at(r, 0, &kind, &href), "CVE-2019-0708");
  CHECK_STR(kind, "cve");
  CHECK_STR(href, "https://nvd.nist.gov/vuln/detail/CVE-2019-0708");
  CHECK(scan_exposure_rule_reference_at(r, 1, &kind, &href) == NULL);
  const scan_exposure_rule *ssh = scan_exposure_find(rules, "EXP-TSSH-001");
  REQUIRE(ssh != NULL); /* <match> first: children come in any order */
  CHECK_STR(scan_exposure_rule_confidence(ssh), "banner");
  CHECK_STR(scan_exposure_rule_text(ssh, "description", "fr"), "OpenSSH antérieur à 8.5.");
  CHECK(scan_exposure_rule_reference_count(scan_exposure_find(rules, "EXP-TTLS-001")) == 2);
  CHECK(scan_exposure_find(rules, "EXP-NONE-001") == NULL);
  scan_exposure_rules_free(rules);
}

TEST(unique_ids_across_files) {
  char path[512], want[1200];
  vigie_error err;
  data_path(path, sizeof path, "good/sample.xml");
  scan_exposure_rules *rules = load_sample(ctx);
  REQUIRE(rules != NULL);
  CHECK(scan_exposure_load_file(rules, path, &err) == VIGIE_ESCHEMA);
  snprintf(want, sizeof want, "%s:5: rule ID EXP-TRDP-001 already defined in %s:5", path, path);
  CHECK_STR(err.msg, want);
  CHECK(scan_exposure_count(rules) == 4);
  scan_exposure_rules_free(rules);
}

TEST(dir_and_memory) {
  char dir[512];
  vigie_error err;
  data_path(dir, sizeof dir, "good");
  scan_exposure_rules *rules = scan_exposure_rules_new();
  REQUIRE(rules != NULL);
  CHECKF(scan_exposure_load_dir(rules, dir, &err) == VIGIE_OK, "%s", err.msg);
  CHECK(scan_exposure_count(rules) == 4);
  CHECK(scan_exposure_load_dir(rules, "/nonexistent-vigie-dir", &err) == VIGIE_ENOENT);
  scan_exposure_rules_free(rules);
  static const char broken[] =
      "<?xml version=\"1.0\"?>\n"
      "<rules xmlns=\"urn:vigie:exposure-rules:1\">\n"
      "  <rule id=\"EXP-M-001\" category=\"web\" severity=\"info\">\n"
      "    <match where=\"port = 80\"/>\n"
      "  </rule>\n</rules>\n";
  rules = scan_exposure_rules_new();
  REQUIRE(rules != NULL);
  CHECK(scan_exposure_load_memory(rules, broken, sizeof broken - 1, "mem.xml", &err) ==
        VIGIE_ESCHEMA);
  CHECK_STR(err.msg, "mem.xml:3: rule EXP-M-001: no French title (<title lang=\"fr\">)");
  CHECK(scan_exposure_count(rules) == 0);
  scan_exposure_rules_free(rules);
}

static vigie_status status_named(const char *name) {
  static const struct {
    const char *name;
    vigie_status st;
  } map[] = {{"EXML_DOCTYPE", VIGIE_EXML_DOCTYPE},
             {"EXML", VIGIE_EXML},
             {"ESCHEMA", VIGIE_ESCHEMA},
             {"ESYNTAX", VIGIE_ESYNTAX}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strncmp(name, map[i].name, strlen(map[i].name)) == 0 && name[strlen(map[i].name)] == ':')
      return map[i].st;
  return VIGIE_OK;
}

typedef struct expectation {
  int line;
  vigie_status status;
  char msg[256];
} expectation;

/* The "<!-- expect STATUS: message -->" comment of a file and its line. */
static bool read_expectation(const char *path, expectation *x) {
  FILE *f = fopen(path, "r");
  char buf[1024];
  bool found = false;
  for (int line = 1; f != NULL && !found && fgets(buf, sizeof buf, f) != NULL; line++) {
    char *at = strstr(buf, "<!-- expect ");
    if (at == NULL) continue;
    at += strlen("<!-- expect ");
    char *end = strstr(at, " -->"), *colon = strchr(at, ':');
    if (end == NULL || colon == NULL) break;
    x->line = line;
    x->status = status_named(at);
    snprintf(x->msg, sizeof x->msg, "%.*s", (int)(end - colon - 2 > 0 ? end - colon - 2 : 0),
             colon + 2);
    found = true;
  }
  if (f != NULL) fclose(f);
  return found;
}

static void check_bad_file(test_ctx *ctx, const char *path) {
  expectation x;
  vigie_error err = {0};
  CHECKF(read_expectation(path, &x), "%s: no expect comment", path);
  scan_exposure_rules *rules = scan_exposure_rules_new();
  vigie_status st = scan_exposure_load_file(rules, path, &err);
  CHECKF(st == x.status, "%s: status %d, want %d (%s)", path, st, x.status, err.msg);
  char prefix[1200];
  /* The reader refuses a DOCTYPE before parsing, so that message has no line. */
  if (x.status == VIGIE_EXML_DOCTYPE)
    snprintf(prefix, sizeof prefix, "%s: ", path);
  else
    snprintf(prefix, sizeof prefix, "%s:%d: ", path, x.line);
  CHECKF(strncmp(err.msg, prefix, strlen(prefix)) == 0, "%s: \"%s\" does not start with \"%s\"",
         path, err.msg, prefix);
  CHECKF(strstr(err.msg, x.msg) != NULL, "%s: \"%s\" lacks \"%s\"", path, err.msg, x.msg);
  CHECKF(scan_exposure_count(rules) == 0, "%s: a failed file added rules", path);
  scan_exposure_rules_free(rules);
}

TEST(bad_files) {
  char dir[512];
  data_path(dir, sizeof dir, "bad");
  DIR *d = opendir(dir);
  REQUIRE(d != NULL);
  int files = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (strstr(e->d_name, ".xml") == NULL) continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    check_bad_file(ctx, path);
    files++;
  }
  closedir(d);
  printf("# %d malformed exposure rule files checked\n", files);
  CHECK(files >= 10);
}

TEST(severity_names) {
  scan_severity s = SCAN_SEV_INFO;
  CHECK(scan_severity_from_name("critical", &s) && s == SCAN_SEV_CRITICAL);
  CHECK(scan_severity_from_name("info", &s) && s == SCAN_SEV_INFO);
  CHECK(!scan_severity_from_name("Critical", &s));
  CHECK(!scan_severity_from_name(NULL, &s));
  CHECK_STR(scan_severity_name(SCAN_SEV_MEDIUM), "medium");
  CHECK_STR(scan_severity_name((scan_severity)9), "unknown");
}

/* ------------------------------------------------------------ evaluation */

static vigie_addr addr4(const char *text) {
  vigie_addr a = {.family = AF_INET};
  struct in_addr in;
  inet_pton(AF_INET, text, &in);
  a.v4 = ntohl(in.s_addr);
  return a;
}

static vigie_addr addr6(const char *text) {
  vigie_addr a = {.family = AF_INET6};
  uint8_t b[16];
  inet_pton(AF_INET6, text, b);
  for (int i = 0; i < 16; i++) a.v6 = (a.v6 << 8) | b[i];
  return a;
}

/* The IDs of the findings, space-separated, in rule order. */
static const char *found(scan_findings *f, char *buf, size_t len) {
  size_t n = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < scan_findings_count(f) && n < len; i++)
    n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? " " : "", scan_findings_at(f, i)->rule);
  return buf;
}

/* Evaluate the sample on facts given as "name=value" strings. */
static const char *eval_on(test_ctx *ctx, const scan_exposure_rules *rules, const vigie_addr *a,
                           uint16_t port, const char *const *facts, char *buf, size_t len) {
  scan_facts *sf = scan_facts_new();
  scan_findings *out = scan_findings_new();
  vigie_error err;
  for (size_t i = 0; facts != NULL && facts[i] != NULL; i++) {
    const char *eq = strchr(facts[i], '=');
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(eq - facts[i]), facts[i]);
    CHECK(scan_facts_add_str(sf, name, eq + 1) == VIGIE_OK);
  }
  CHECKF(scan_exposure_eval(rules, sf, a, port, 0, out, &err) == VIGIE_OK, "%s", err.msg);
  found(out, buf, len);
  scan_findings_free(out);
  scan_facts_free(sf);
  return buf;
}

TEST(eval_sample) {
  scan_exposure_rules *rules = load_sample(ctx);
  REQUIRE(rules != NULL);
  char buf[256];
  vigie_addr a = addr4("198.18.0.10"), b = addr6("2001:2::10");
  const char *rdp[] = {"service=rdp", "rdp.nla_required=false", "confidence=confirmed", NULL};
  CHECK_STR(eval_on(ctx, rules, &a, 3389, rdp, buf, sizeof buf), "EXP-TRDP-001");
  const char *rdp_nla[] = {"service=rdp", "rdp.nla_required=true", NULL};
  CHECK_STR(eval_on(ctx, rules, &a, 3389, rdp_nla, buf, sizeof buf), "");
  /* absent fact: the comparison is false, no finding */
  const char *rdp_unknown[] = {"service=rdp", NULL};
  CHECK_STR(eval_on(ctx, rules, &a, 3389, rdp_unknown, buf, sizeof buf), "");
  /* version functions on banner versions */
  const char *ssh_old[] = {"service=ssh", "product=OpenSSH", "version=7.4p1", NULL};
  CHECK_STR(eval_on(ctx, rules, &a, 22, ssh_old, buf, sizeof buf), "EXP-TSSH-001");
  const char *ssh_new[] = {"service=ssh", "product=OpenSSH", "version=9.2p1", NULL};
  CHECK_STR(eval_on(ctx, rules, &a, 22, ssh_new, buf, sizeof buf), "");
  const char *ssh_text[] = {"service=ssh", "product=OpenSSH", "version=unknown", NULL};
  CHECK_STR(eval_on(ctx, rules, &a, 22, ssh_text, buf, sizeof buf), "");
  /* synthetic names: port 23 over IPv4 only, with or without facts */
  CHECK_STR(eval_on(ctx, rules, &a, 23, NULL, buf, sizeof buf), "EXP-TTEL-001");
  CHECK_STR(eval_on(ctx, rules, &b, 23, NULL, buf, sizeof buf), "");
  const char *tel[] = {"service=telnet", NULL};
  CHECK_STR(eval_on(ctx, rules, &a, 23, tel, buf, sizeof buf), "EXP-TTEL-001");
  /* multi-valued: any value of tls.weak */
  const char *weak[] = {"service=http", "tls.weak=3des", "tls.weak=export", NULL};
  CHECK_STR(eval_on(ctx, rules, &a, 443, weak, buf, sizeof buf), "EXP-TTLS-001");
  const char *v10[] = {"service=http", "tls.v1_0=true", "tls.weak=3des", NULL};
  CHECK_STR(eval_on(ctx, rules, &a, 443, v10, buf, sizeof buf), "EXP-TTLS-001");
  const char *strong[] = {"service=http", "tls.v1_0=false", "tls.weak=3des", NULL};
  CHECK_STR(eval_on(ctx, rules, &a, 443, strong, buf, sizeof buf), "");
  /* several rules on one port, in rule order */
  const char *both[] = {"service=telnet", "tls.v1_0=true", NULL};
  CHECK_STR(eval_on(ctx, rules, &a, 23, both, buf, sizeof buf), "EXP-TTEL-001 EXP-TTLS-001");
  scan_exposure_rules_free(rules);
}

/* The finding's fields: the rule's confidence, else the port's, else banner. */
TEST(eval_finding_fields) {
  scan_exposure_rules *rules = load_sample(ctx);
  REQUIRE(rules != NULL);
  vigie_addr a = addr4("198.18.0.10");
  scan_facts *sf = scan_facts_new();
  scan_findings *out = scan_findings_new();
  vigie_error err;
  REQUIRE(sf != NULL && out != NULL);
  CHECK(scan_facts_add_str(sf, "service", "rdp") == VIGIE_OK);
  CHECK(scan_facts_add_str(sf, "rdp.nla_required", "false") == VIGIE_OK);
  CHECK(scan_facts_add_str(sf, "confidence", "confirmed") == VIGIE_OK);
  CHECK(scan_exposure_eval(rules, sf, &a, 3389, 0, out, &err) == VIGIE_OK);
  REQUIRE(scan_findings_count(out) == 1);
  const scan_finding *f = scan_findings_at(out, 0);
  CHECK_STR(f->rule, "EXP-TRDP-001");
  CHECK(f->severity == SCAN_SEV_CRITICAL);
  CHECK_STR(f->confidence, "confirmed");
  CHECK_STR(f->title, "Remote Desktop without NLA");
  CHECK(scan_findings_at(out, 1) == NULL);
  scan_findings_free(out);
  out = scan_findings_new();
  CHECK(scan_exposure_eval(rules, NULL, &a, 23, 0, out, &err) == VIGIE_OK);
  REQUIRE(scan_findings_count(out) == 1);
  CHECK_STR(scan_findings_at(out, 0)->confidence, "banner"); /* nothing proved a service */
  scan_findings_free(out);
  scan_facts_free(sf);
  scan_exposure_rules_free(rules);
}

static scan_exposure_rules *one_rule(test_ctx *ctx, const char *where) {
  char xml[4096];
  vigie_error err;
  int n = snprintf(xml, sizeof xml,
                   "<rules xmlns=\"urn:vigie:exposure-rules:1\"><rule id=\"EXP-T-001\" "
                   "category=\"other\" severity=\"info\"><title lang=\"fr\">t</title><title "
                   "lang=\"en\">t</title><description lang=\"fr\">d</description><description "
                   "lang=\"en\">d</description><remediation lang=\"fr\">r</remediation>"
                   "<remediation lang=\"en\">r</remediation><match where=\"%s\"/></rule></rules>",
                   where);
  scan_exposure_rules *rules = scan_exposure_rules_new();
  if (rules == NULL) return NULL;
  CHECKF(scan_exposure_load_memory(rules, xml, (size_t)n, "one.xml", &err) == VIGIE_OK, "%s: %s",
         where, err.msg);
  return rules;
}

/* Predicates over the synthetic names and dotted facts, one at a time. */
TEST(eval_predicates) {
  static const struct {
    const char *where;
    const char *facts[4];
    bool v6;
    bool want;
  } cases[] = {
      {"address = &quot;198.18.0.10&quot;", {NULL}, false, true},
      {"address = &quot;2001:2::10&quot; and ip_version = 6", {NULL}, true, true},
      {"ip_version = 4", {NULL}, true, false},
      {"transport = &quot;tcp&quot; and port &gt;= 8000 and port &lt; 9000", {NULL}, false, true},
      {"PORT = 8080", {NULL}, false, true}, /* names ignore case */
      {"cert.key_bits &lt; 2048", {"service=http", "cert.key_bits=1024"}, false, true},
      {"cert.key_bits &lt; 2048", {"service=http", "cert.key_bits=4096"}, false, false},
      {"not has(http.title)", {"service=http"}, false, true},
      {"not has(http.title)", {NULL}, false, false}, /* no facts: a fact rule never matches */
      {"count(ssh.kex) = 2", {"ssh.kex=a", "ssh.kex=b", "service=ssh"}, false, true},
      {"version_ge(version, &quot;2.4.50&quot;)", {"version=2.4.57"}, false, true},
      {"version_ge(version, &quot;2.4.50&quot;)", {"version=2.4.9"}, false, false},
      {"version_lt(version, &quot;2.4&quot;)", {"version=2.4.0"}, false, false},
      {"version_ge(version, &quot;2.4&quot;)", {"version=2.4.0"}, false, true},
      {"version_lt(version, &quot;10&quot;)", {"version=9.99"}, false, true},
      {"version_lt(version, &quot;1.0&quot;) or version_ge(version, &quot;1.0&quot;)",
       {"version=v1.2"},
       false,
       false},
      {"version_lt(version, &quot;1.0&quot;)", {"version=1.2", "version=0.9"}, false, true},
      {"rdp.nla_required", {"rdp.nla_required=true"}, false, true},
      {"rdp.nla_required", {"rdp.nla_required=false"}, false, false},
  };
  vigie_addr a = addr4("198.18.0.10"), b = addr6("2001:2::10");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    scan_exposure_rules *rules = one_rule(ctx, cases[i].where);
    REQUIRE(rules != NULL);
    char buf[64];
    const char *got =
        eval_on(ctx, rules, cases[i].v6 ? &b : &a, 8080, cases[i].facts, buf, sizeof buf);
    CHECKF((got[0] != '\0') == cases[i].want, "%s on %s: got \"%s\"", cases[i].where,
           cases[i].facts[0] ? cases[i].facts[0] : "no facts", got);
    scan_exposure_rules_free(rules);
  }
}

/* A value the predicate cannot read names the rule; other rules still run. */
TEST(eval_error) {
  scan_exposure_rules *rules = one_rule(ctx, "http.status &amp; 1");
  REQUIRE(rules != NULL);
  vigie_addr a = addr4("198.18.0.10");
  scan_facts *sf = scan_facts_new();
  scan_findings *out = scan_findings_new();
  vigie_error err;
  REQUIRE(sf != NULL && out != NULL);
  CHECK(scan_facts_add_str(sf, "http.status", "abc") == VIGIE_OK);
  CHECK(scan_exposure_eval(rules, sf, &a, 80, 0, out, &err) == VIGIE_ESYNTAX);
  CHECKF(strstr(err.msg,
                "exposure rule EXP-T-001 on 198.18.0.10 port 80: http.status value "
                "\"abc\" is not an integer") != NULL,
         "%s", err.msg);
  CHECK(scan_findings_count(out) == 0);
  scan_findings_free(out);
  scan_facts_free(sf);
  scan_exposure_rules_free(rules);
}

TEST(version_cmp) {
  static const struct {
    const char *a, *b;
    bool ok;
    int cmp;
  } cases[] = {
      {"7.4", "7.4.0", true, 0},
      {"9.2p1", "9.2", true, 0},
      {"2.4.50", "2.4.9", true, 1},
      {"1.10", "1.9", true, 1},
      {"007.1", "7.1", true, 0},
      {"1.2.3", "1.2.4", true, -1},
      {"10", "9.9.9", true, 1},
      {"1..2", "1", true, 0},
      {"1.", "1", true, 0},
      {"v1", "1", false, 0},
      {"", "1", false, 0},
      {"1", "-1", false, 0},
      {"99999999999999999999999.1", "99999999999999999999999.2", true, -1},
      {"2.4.57-ubuntu", "2.4.57", true, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int cmp = 42;
    bool ok =
        vigie_version_cmp(cases[i].a, strlen(cases[i].a), cases[i].b, strlen(cases[i].b), &cmp);
    CHECKF(ok == cases[i].ok, "%s vs %s", cases[i].a, cases[i].b);
    if (ok && cases[i].ok)
      CHECKF((cmp > 0) - (cmp < 0) == cases[i].cmp, "%s vs %s: %d", cases[i].a, cases[i].b, cmp);
  }
}

/* ------------------------------------------------------------ outputs */

/* Two open ports: 3389 with facts and two findings, 23 with no fact and a
 * port-only finding (its <service> holds the finding alone). */
static scan_services *rt_services(test_ctx *ctx, const vigie_addr *a) {
  scan_services *sv = scan_services_new();
  if (sv == NULL) return NULL;
  CHECK(scan_services_add(sv, a, 23, NULL) == VIGIE_OK);
  CHECK(scan_services_add(sv, a, 3389, NULL) == VIGIE_OK);
  scan_services_sort(sv);
  scan_facts *f = scan_services_facts(sv, 1);
  CHECK(scan_facts_add_str(f, "service", "rdp") == VIGIE_OK);
  CHECK(scan_facts_add_str(f, "confidence", "confirmed") == VIGIE_OK);
  CHECK(scan_findings_add(scan_services_findings(sv, 1), "EXP-TRDP-001", SCAN_SEV_CRITICAL,
                          "confirmed", "Remote Desktop without NLA") == VIGIE_OK);
  CHECK(scan_findings_add(scan_services_findings(sv, 1), "EXP-TTLS-002", SCAN_SEV_LOW, "banner",
                          "Quote \" and <tag> & more") == VIGIE_OK);
  CHECK(scan_findings_add(scan_services_findings(sv, 0), "EXP-TTEL-001", SCAN_SEV_HIGH, "banner",
                          "Telnet") == VIGIE_OK);
  return sv;
}

/* Run a shell command. \return its exit status, or -1. */
static int rt_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int rt_run(const char *fmt, ...) {
  char cmd[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  int rc = system(cmd);
  return rc != -1 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Our scan XML: valid against scan.xsd, and every finding read back. */
TEST(xml_round_trip) {
  vigie_addr a = addr4("198.18.0.10");
  scan_services *sv = rt_services(ctx, &a), *back = scan_services_new();
  scan_store *store = scan_store_new();
  REQUIRE(sv != NULL && back != NULL && store != NULL);
  scan_result r[2] = {
      {.addr = a, .port = 23, .state = SCAN_STATE_OPEN, .reason = SCAN_REASON_CONNECTED},
      {.addr = a, .port = 3389, .state = SCAN_STATE_OPEN, .reason = SCAN_REASON_CONNECTED}};
  scan_result_source src = scan_source_array(r, 2);
  scan_stats stats = {0};
  scan_meta meta = {.args = "t",
                    .mode = SCAN_MODE_CONNECT,
                    .start_us = 1700000000000000,
                    .end_us = 1700000000000000,
                    .stats = &stats,
                    .shard_count = 1,
                    .services = sv};
  char path[] = "/tmp/vigie-exp-XXXXXX", xsd[1024];
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  FILE *out = fdopen(fd, "w");
  vigie_error err = {0};
  CHECKF(scan_output_xml(out, &meta, &src, &err) == VIGIE_OK, "%s", err.msg);
  fclose(out);
  const char *dir = getenv("VIGIE_RULES_DIR");
  snprintf(xsd, sizeof xsd, "%s/scan.xsd", dir ? dir : "rules");
  CHECK(rt_run("xmllint --noout --schema '%s' '%s' 2>/dev/null", xsd, path) == 0);
  scan_saved saved = {0};
  CHECKF(scan_input_xml_services(path, xsd, store, &saved, back, &err) == VIGIE_OK, "%s", err.msg);
  scan_services_sort(back);
  const scan_findings *f = scan_services_find_findings(back, &a, 3389);
  REQUIRE(f != NULL && scan_findings_count(f) == 2);
  CHECK_STR(scan_findings_at(f, 0)->rule, "EXP-TRDP-001");
  CHECK(scan_findings_at(f, 0)->severity == SCAN_SEV_CRITICAL);
  CHECK_STR(scan_findings_at(f, 0)->confidence, "confirmed");
  CHECK(scan_findings_at(f, 0)->title == NULL); /* texts stay in the rule files */
  CHECK_STR(scan_findings_at(f, 1)->rule, "EXP-TTLS-002");
  CHECK(scan_findings_at(f, 1)->severity == SCAN_SEV_LOW);
  CHECK_STR(scan_facts_get(scan_services_find(back, &a, 3389), "service"), "rdp");
  f = scan_services_find_findings(back, &a, 23);
  REQUIRE(f != NULL && scan_findings_count(f) == 1);
  CHECK_STR(scan_findings_at(f, 0)->rule, "EXP-TTEL-001");
  CHECK(scan_services_find(back, &a, 23) == NULL); /* no fact came back from nothing */
  scan_saved_free(&saved);
  scan_store_free(store);
  scan_services_free(back);
  /* A file from before findings (no <finding>) still validates: the element is optional. */
  scan_services *plain = scan_services_new();
  REQUIRE(plain != NULL && scan_services_add(plain, &a, 3389, NULL) == VIGIE_OK);
  CHECK(scan_facts_add_str(scan_services_facts(plain, 0), "service", "rdp") == VIGIE_OK);
  meta.services = plain;
  out = fopen(path, "w");
  REQUIRE(out != NULL);
  CHECK(scan_output_xml(out, &meta, &src, &err) == VIGIE_OK);
  fclose(out);
  CHECK(rt_run("xmllint --noout --schema '%s' '%s' 2>/dev/null", xsd, path) == 0);
  CHECK(rt_run("! grep -q '<finding' '%s'", path) == 0);
  scan_services_free(plain);
  scan_services_free(sv);
  unlink(path);
}

/* JSON lines: "findings" in the port's object, parsed by a JSON reader. */
TEST(jsonl_findings) {
  vigie_addr a = addr4("198.18.0.10");
  scan_services *sv = rt_services(ctx, &a);
  REQUIRE(sv != NULL);
  scan_result r = {
      .addr = a, .port = 3389, .state = SCAN_STATE_OPEN, .reason = SCAN_REASON_CONNECTED};
  char *buf = NULL;
  size_t size = 0;
  FILE *mem = open_memstream(&buf, &size);
  REQUIRE(mem != NULL);
  CHECK(scan_output_jsonl_findings(mem, &r, NULL, scan_services_find(sv, &a, 3389),
                                   scan_services_find_findings(sv, &a, 3389)) == VIGIE_OK);
  r.port = 80; /* no finding: no member */
  CHECK(scan_output_jsonl_findings(mem, &r, NULL, NULL, NULL) == VIGIE_OK);
  fclose(mem);
  REQUIRE(buf != NULL);
  CHECKF(strstr(buf,
                ",\"findings\":[{\"rule\":\"EXP-TRDP-001\",\"severity\":\"critical\","
                "\"confidence\":\"confirmed\",\"title\":\"Remote Desktop without NLA\"},"
                "{\"rule\":\"EXP-TTLS-002\",\"severity\":\"low\",\"confidence\":\"banner\","
                "\"title\":\"Quote \\\" and <tag> & more\"}]}\n") != NULL,
         "%s", buf);
  char path[] = "/tmp/vigie-exp-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0 && write(fd, buf, size) == (ssize_t)size);
  close(fd);
  CHECK(rt_run("python3 -c 'import json,sys\nl=[json.loads(x) for x in open(sys.argv[1])]\n"
               "assert l[0][\"findings\"][1][\"title\"]==\"Quote \\\" and <tag> & more\"\n"
               "assert \"findings\" not in l[1]' '%s'",
               path) == 0);
  unlink(path);
  free(buf);
  scan_services_free(sv);
}

/* nmap XML: one <script id="vigie-exposure"> per port, valid against nmap.dtd. */
TEST(nmap_script) {
  vigie_addr a = addr4("198.18.0.10");
  scan_services *sv = rt_services(ctx, &a);
  REQUIRE(sv != NULL);
  scan_result r[2] = {
      {.addr = a, .port = 23, .state = SCAN_STATE_OPEN, .reason = SCAN_REASON_CONNECTED},
      {.addr = a, .port = 3389, .state = SCAN_STATE_OPEN, .reason = SCAN_REASON_CONNECTED}};
  scan_result_source src = scan_source_array(r, 2);
  scan_stats stats = {0};
  scan_meta meta = {.args = "t",
                    .mode = SCAN_MODE_CONNECT,
                    .start_us = 1700000000000000,
                    .end_us = 1700000000000000,
                    .stats = &stats,
                    .shard_count = 1,
                    .services = sv};
  char path[] = "/tmp/vigie-exp-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  FILE *out = fdopen(fd, "w");
  vigie_error err = {0};
  CHECKF(scan_output_nmap(out, &meta, &src, &err) == VIGIE_OK, "%s", err.msg);
  fclose(out);
  FILE *in = fopen(path, "r");
  char text[8192] = "";
  size_t n = in != NULL ? fread(text, 1, sizeof text - 1, in) : 0;
  text[n] = '\0';
  if (in != NULL) fclose(in);
  CHECKF(strstr(text,
                "<script id=\"vigie-exposure\" output=\"EXP-TRDP-001 (critical): Remote "
                "Desktop without NLA; EXP-TTLS-002 (low): Quote &quot; and &lt;tag&gt; "
                "&amp; more\"/></port>") != NULL,
         "%s", text);
  CHECK(strstr(text, "<script id=\"vigie-exposure\" output=\"EXP-TTEL-001 (high): Telnet\"/>") !=
        NULL);
  if (access("/usr/share/nmap/nmap.dtd", R_OK) == 0)
    CHECK(rt_run("xmllint --noout --dtdvalid %s '%s'", "/usr/share/nmap/nmap.dtd", path) == 0);
  else
    printf("# nmap_script: nmap.dtd absent, DTD check skipped\n");
  unlink(path);
  scan_services_free(sv);
}

TEST_MAIN(TEST_CASE_ENTRY(good_sample), TEST_CASE_ENTRY(unique_ids_across_files),
          TEST_CASE_ENTRY(dir_and_memory), TEST_CASE_ENTRY(bad_files),
          TEST_CASE_ENTRY(severity_names), TEST_CASE_ENTRY(eval_sample),
          TEST_CASE_ENTRY(eval_finding_fields), TEST_CASE_ENTRY(eval_predicates),
          TEST_CASE_ENTRY(eval_error), TEST_CASE_ENTRY(version_cmp),
          TEST_CASE_ENTRY(xml_round_trip), TEST_CASE_ENTRY(jsonl_findings),
          TEST_CASE_ENTRY(nmap_script))
