/* Exposure rules: the sample file of tests/data/exposure/good loads with
 * every field in place; each file of tests/data/exposure/bad fails with the
 * status, line and message its "<!-- expect STATUS: message -->" comment
 * gives (the comment sits on the line the error must name), adding nothing;
 * IDs are unique across files. Then evaluation over hand-built facts:
 * multi-valued and absent facts, dotted names, version functions, the
 * synthetic names, confidence, and a port without facts. */
#include <arpa/inet.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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
  CHECK_STR(scan_exposure_rule_where(r),
            "service = \"rdp\" and rdp.nla_required = \"false\"");
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
  static const char broken[] = "<?xml version=\"1.0\"?>\n"
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
  static const struct { const char *name; vigie_status st; } map[] = {
      {"EXML_DOCTYPE", VIGIE_EXML_DOCTYPE}, {"EXML", VIGIE_EXML}, {"ESCHEMA", VIGIE_ESCHEMA},
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
  if (x.status == VIGIE_EXML_DOCTYPE) snprintf(prefix, sizeof prefix, "%s: ", path);
  else snprintf(prefix, sizeof prefix, "%s:%d: ", path, x.line);
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

TEST_MAIN(TEST_CASE_ENTRY(good_sample), TEST_CASE_ENTRY(unique_ids_across_files),
          TEST_CASE_ENTRY(dir_and_memory), TEST_CASE_ENTRY(bad_files),
          TEST_CASE_ENTRY(severity_names))
