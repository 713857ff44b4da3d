/* Rule files: the sample files of tests/data/rules/good load with every
 * field in place, and each file of tests/data/rules/bad fails with the
 * status, line and message its "<!-- expect STATUS: message -->" comment
 * gives (the comment sits on the line the error must name), adding
 * nothing. IDs must be unique across files; attributes are collected per
 * set without facts. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "ldap_audit/ldapa_int.h"
#include "vigie/ldap_audit.h"

static void data_path(char *buf, size_t len, const char *rel) {
  const char *dir = getenv("VIGIE_TEST_DATA");
  snprintf(buf, len, "%s/rules/%s", dir ? dir : "tests/data", rel);
}

static const ldapa_rule *find_rule(const ldapa_ruleset *rs, const char *id) {
  for (size_t i = 0; i < ldapa_rules_count(rs); i++)
    if (strcmp(ldapa_rule_id(ldapa_rules_at(rs, i)), id) == 0) return ldapa_rules_at(rs, i);
  return NULL;
}

TEST(good_ad_sample) {
  char path[512];
  vigie_error err;
  data_path(path, sizeof path, "good/ad-sample.xml");
  ldapa_ruleset *rs = ldapa_ruleset_new();
  REQUIRE(rs != NULL);
  CHECKF(ldapa_rules_load_file(rs, path, &err) == VIGIE_OK, "%s", err.msg);
  CHECK(ldapa_rules_count(rs) == 4);
  const ldapa_rule *r = find_rule(rs, "T-KRB-005");
  REQUIRE(r != NULL);
  CHECK(ldapa_rule_profile(r) == LDAPA_PROFILE_AD);
  CHECK(ldapa_rule_severity(r) == LDAPA_SEV_CRITICAL); /* the highest of its checks */
  CHECK_STR(ldapa_rule_category(r), "kerberos");
  CHECK_STR(ldapa_rule_anssi(r), "vuln_kerberos_properties_preauth");
  CHECK_STR(ldapa_rule_text(r, "title", "fr"), "Comptes sans pré-authentification Kerberos");
  CHECK_STR(ldapa_rule_text(r, "remediation", "en"), "Clear DONT_REQ_PREAUTH.");
  CHECK(ldapa_rule_text(r, "title", "de") == NULL);
  CHECK(ldapa_rule_text(r, "summary", "en") == NULL);
  CHECK(ldapa_rule_reference_count(r) == 1);
  const char *href = NULL;
  CHECK_STR(ldapa_rule_reference_at(r, 0, &href), "ANSSI, points de contrôle AD");
  CHECK_STR(href, "https://cyber.gouv.fr/");
  CHECK(ldapa_rule_not_evaluated(r) == NULL);
  int line = 0;
  CHECK_STR(ldapa_rule_source(r, &line), path);
  CHECK(line == 4);
  REQUIRE(ldapa_rule_check_count(r) == 2);
  const ldapa_check *c = ldapa_rule_check_at(r, 1);
  CHECK(c->set == LDAPA_SET_USERS && c->level == 1 && c->severity == LDAPA_SEV_CRITICAL);
  CHECK(c->threshold == LDAPA_THR_COUNT && c->op == LDAPA_GE && c->count == 1);
  CHECK_STR(c->threshold_text, "count >= 1");
  const ldapa_rule *dormant = find_rule(rs, "T-ACC-010");
  REQUIRE(dormant != NULL);
  c = ldapa_rule_check_at(dormant, 0);
  CHECK(c->threshold == LDAPA_THR_RATIO && c->op == LDAPA_GT && c->ratio > 0.2499 && c->ratio < 0.2501);
  CHECK(c->level == 0 && c->of != NULL);
  CHECK(ldapa_rule_anssi(dormant) == NULL);
  const ldapa_rule *acl = find_rule(rs, "T-ACL-001");
  REQUIRE(acl != NULL);
  CHECK_STR(ldapa_rule_not_evaluated(acl), "needs security descriptor parsing");
  CHECK(ldapa_rule_severity(acl) == LDAPA_SEV_HIGH && ldapa_rule_check_count(acl) == 0);
  const ldapa_rule *dom = find_rule(rs, "T-DOM-001");
  REQUIRE(dom != NULL && ldapa_rule_check_count(dom) == 2);
  CHECK(ldapa_rule_check_at(dom, 1)->threshold == LDAPA_THR_NONE);
  ldapa_ruleset_free(rs);
}

/* The attributes a collector must read: per set, distinct, facts left out. */
TEST(attrs_per_set) {
  char path[512];
  vigie_error err;
  data_path(path, sizeof path, "good/ad-sample.xml");
  ldapa_ruleset *rs = ldapa_ruleset_new();
  REQUIRE(ldapa_rules_load_file(rs, path, &err) == VIGIE_OK);
  const char *const *users = ldapa_rules_attrs(rs, LDAPA_SET_USERS);
  REQUIRE(users != NULL);
  CHECK_STR(users[0], "userAccountControl");
  CHECK(users[1] == NULL); /* enabled, privileged, dormant are facts; UAC once */
  const char *const *domain = ldapa_rules_attrs(rs, LDAPA_SET_DOMAIN);
  CHECK_STR(domain[0], "minPwdLength");
  CHECK_STR(domain[1], "ms-DS-MachineAccountQuota");
  CHECK(domain[2] == NULL);
  CHECK(ldapa_rules_attrs(rs, LDAPA_SET_GROUPS)[0] == NULL);
  ldapa_ruleset_free(rs);
}

TEST(good_openldap_sample_and_dir) {
  char dir[512];
  vigie_error err;
  data_path(dir, sizeof dir, "good");
  ldapa_ruleset *rs = ldapa_ruleset_new();
  CHECKF(ldapa_rules_load_dir(rs, dir, &err) == VIGIE_OK, "%s", err.msg);
  CHECK(ldapa_rules_count(rs) == 5);
  /* name order: ad-sample.xml before openldap-sample.xml */
  CHECK_STR(ldapa_rule_id(ldapa_rules_at(rs, 0)), "T-KRB-005");
  const ldapa_rule *r = ldapa_rules_at(rs, 4);
  REQUIRE(r != NULL);
  CHECK_STR(ldapa_rule_id(r), "T-OL-PWD-001");
  CHECK(ldapa_rule_profile(r) == LDAPA_PROFILE_OPENLDAP);
  CHECK(ldapa_rule_check_at(r, 1)->op == LDAPA_NE && ldapa_rule_check_at(r, 1)->count == 0);
  CHECK(ldapa_rule_check_at(r, 2)->where == NULL); /* no where: every entry */
  CHECK(ldapa_rules_attrs(rs, LDAPA_SET_ENTRIES)[0] == NULL); /* password_scheme is a fact */
  CHECK(ldapa_rules_load_dir(rs, "/nonexistent-vigie-dir", &err) == VIGIE_ENOENT);
  ldapa_ruleset_free(rs);
}

TEST(unique_ids_across_files) {
  char path[512];
  vigie_error err;
  data_path(path, sizeof path, "good/ad-sample.xml");
  ldapa_ruleset *rs = ldapa_ruleset_new();
  REQUIRE(ldapa_rules_load_file(rs, path, &err) == VIGIE_OK);
  CHECK(ldapa_rules_load_file(rs, path, &err) == VIGIE_ESCHEMA);
  char want[1200];
  snprintf(want, sizeof want, "%s:4: rule ID T-KRB-005 already defined in %s:4", path, path);
  CHECK_STR(err.msg, want);
  CHECK(ldapa_rules_count(rs) == 4);
  ldapa_ruleset_free(rs);
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
    snprintf(x->msg, sizeof x->msg, "%.*s", (int)(end - colon - 2), colon + 2);
    found = true;
  }
  if (f != NULL) fclose(f);
  return found;
}

static void check_bad_file(test_ctx *ctx, const char *path) {
  expectation x;
  vigie_error err = {0};
  CHECKF(read_expectation(path, &x), "%s: no expect comment", path);
  ldapa_ruleset *rs = ldapa_ruleset_new();
  vigie_status st = ldapa_rules_load_file(rs, path, &err);
  CHECKF(st == x.status, "%s: status %d, want %d (%s)", path, st, x.status, err.msg);
  char prefix[1200];
  /* The reader refuses a DOCTYPE before parsing, so that message has no line. */
  if (x.status == VIGIE_EXML_DOCTYPE) snprintf(prefix, sizeof prefix, "%s: ", path);
  else snprintf(prefix, sizeof prefix, "%s:%d: ", path, x.line);
  CHECKF(strncmp(err.msg, prefix, strlen(prefix)) == 0, "%s: \"%s\" does not start with \"%s\"",
         path, err.msg, prefix);
  CHECKF(strstr(err.msg, x.msg) != NULL, "%s: \"%s\" lacks \"%s\"", path, err.msg, x.msg);
  CHECKF(ldapa_rules_count(rs) == 0, "%s: a failed file added rules", path);
  ldapa_ruleset_free(rs);
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
  printf("# %d malformed rule files checked\n", files);
  CHECK(files >= 20);
}

/* A directory with a broken file still loads its good files, and says so. */
TEST(dir_with_a_bad_file) {
  char dir[] = "/tmp/vigie-rules-XXXXXX", good[512], path[600];
  vigie_error err;
  REQUIRE(mkdtemp(dir) != NULL);
  data_path(good, sizeof good, "good/openldap-sample.xml");
  snprintf(path, sizeof path, "%s/a.xml", dir);
  FILE *f = fopen(path, "w");
  REQUIRE(f != NULL);
  fputs("<rules", f);
  fclose(f);
  snprintf(path, sizeof path, "%s/b.xml", dir);
  REQUIRE(symlink(good, path) == 0);
  ldapa_ruleset *rs = ldapa_ruleset_new();
  CHECK(ldapa_rules_load_dir(rs, dir, &err) == VIGIE_EXML);
  CHECKF(strstr(err.msg, "/a.xml:1: ") != NULL, "%s", err.msg);
  CHECK(ldapa_rules_count(rs) == 1);
  ldapa_ruleset_free(rs);
  unlink(path);
  snprintf(path, sizeof path, "%s/a.xml", dir);
  unlink(path);
  rmdir(dir);
}

TEST(names) {
  CHECK_STR(ldapa_severity_name(LDAPA_SEV_CRITICAL), "critical");
  CHECK_STR(ldapa_severity_name(LDAPA_SEV_INFO), "info");
  CHECK_STR(ldapa_outcome_name(LDAPA_NOT_APPLICABLE), "not-applicable");
  CHECK_STR(ldapa_outcome_name(LDAPA_NOT_EVALUATED), "not-evaluated");
  CHECK_STR(ldapa_profile_name(LDAPA_PROFILE_OPENLDAP), "openldap");
  CHECK_STR(ldapa_cmp_op_text(LDAPA_GE), ">=");
}

TEST_MAIN(TEST_CASE_ENTRY(good_ad_sample), TEST_CASE_ENTRY(attrs_per_set),
          TEST_CASE_ENTRY(good_openldap_sample_and_dir), TEST_CASE_ENTRY(unique_ids_across_files),
          TEST_CASE_ENTRY(bad_files), TEST_CASE_ENTRY(dir_with_a_bad_file), TEST_CASE_ENTRY(names))
