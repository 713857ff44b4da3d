/* Rule evaluation and the level: outcomes per threshold (count, ratio with
 * of, none), empty sets, sets read partially, refused or never read, values
 * that cannot be interpreted, not-evaluated rules, profiles, fault and
 * evidence caps, the rule outcome from its checks, and the ANSSI-style
 * level with its coverage and the rules holding it down. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ldap_audit/ldapa_int.h"
#include "vigie/ldap_audit.h"

#define NOW ((time_t)1704067200) /* 2024-01-01 */

/* A rule file around rule bodies: each body is "ID|anssi or -|checks". */
static char *rules_xml(const char *profile, const char *const *bodies, size_t n) {
  size_t cap = 4096 + n * 2048, len = 0;
  char *s = vigie_malloc(cap);
  if (s == NULL) abort();
  len += (size_t)snprintf(s + len, cap - len,
                          "<?xml version=\"1.0\"?>\n<rules xmlns=\"urn:vigie:directory-rules:1\" "
                          "profile=\"%s\">\n", profile);
  for (size_t i = 0; i < n; i++) {
    char id[64], anssi[128];
    const char *p1 = strchr(bodies[i], '|'), *p2 = strchr(p1 + 1, '|');
    snprintf(id, sizeof id, "%.*s", (int)(p1 - bodies[i]), bodies[i]);
    snprintf(anssi, sizeof anssi, "%.*s", (int)(p2 - p1 - 1), p1 + 1);
    len += (size_t)snprintf(s + len, cap - len, "<rule id=\"%s\" category=\"test\">\n", id);
    if (strcmp(anssi, "-") != 0) len += (size_t)snprintf(s + len, cap - len, "<anssi id=\"%s\"/>\n", anssi);
    static const char *const f[] = {"title", "description", "rationale", "remediation"};
    for (int k = 0; k < 4; k++)
      len += (size_t)snprintf(s + len, cap - len, "<%s lang=\"fr\">%s fr</%s><%s lang=\"en\">%s en</%s>\n",
                              f[k], id, f[k], f[k], id, f[k]);
    len += (size_t)snprintf(s + len, cap - len, "%s\n</rule>\n", p2 + 1);
  }
  snprintf(s + len, cap - len, "</rules>\n");
  return s;
}

static ldapa_ruleset *load(test_ctx *ctx, const char *profile, const char *const *bodies, size_t n) {
  char *xml = rules_xml(profile, bodies, n);
  ldapa_ruleset *rs = ldapa_ruleset_new();
  vigie_error err;
  vigie_status st = ldapa_rules_load_memory(rs, xml, strlen(xml), "inline.xml", &err);
  CHECKF(st == VIGIE_OK, "%s", err.msg);
  vigie_free(xml);
  return rs;
}

/* Users: alice (enabled, no preauth), bob (enabled), carol (disabled, no preauth). */
static ldapa_dir *make_dir(void) {
  vigie_error err;
  ldapa_dir *dir = ldapa_dir_new();
  ldapa_dir_set_time(dir, NOW);
  static const char *const users[][4] = {{"alice", "TRUE", "4194816", "S-1-5-21-1-1001"},
                                         {"bob", "TRUE", "512", "S-1-5-21-1-1002"},
                                         {"carol", "FALSE", "4194818", "S-1-5-21-1-1003"}};
  for (int i = 0; i < 3; i++) {
    char dn[64];
    snprintf(dn, sizeof dn, "CN=%s,OU=Users,DC=chu,DC=fr", users[i][0]);
    ldapa_obj *o = ldapa_dir_entry(dir, dn, &err);
    ldapa_obj_add_str(dir, o, "sAMAccountName", users[i][0], &err);
    ldapa_obj_add_str(dir, o, "enabled", users[i][1], &err);
    ldapa_obj_add_str(dir, o, "userAccountControl", users[i][2], &err);
    ldapa_obj_add_str(dir, o, "sid", users[i][3], &err);
    ldapa_dir_add_to_set(dir, LDAPA_SET_USERS, o, &err);
  }
  ldapa_obj *d = ldapa_dir_entry(dir, "DC=chu,DC=fr", &err);
  ldapa_obj_add_str(dir, d, "minPwdLength", "7", &err);
  ldapa_obj_add_str(dir, d, "name", "chu", &err);
  ldapa_dir_add_to_set(dir, LDAPA_SET_DOMAIN, d, &err);
  ldapa_dir_set_read_state(dir, LDAPA_SET_USERS, LDAPA_READ_COMPLETE, NULL);
  ldapa_dir_set_read_state(dir, LDAPA_SET_DOMAIN, LDAPA_READ_COMPLETE, NULL);
  ldapa_dir_set_read_state(dir, LDAPA_SET_GROUPS, LDAPA_READ_COMPLETE, NULL);
  return dir;
}

static const ldapa_result *result_of(const ldapa_results *res, const char *id) {
  for (size_t i = 0; i < ldapa_results_count(res); i++)
    if (strcmp(ldapa_rule_id(ldapa_result_rule(ldapa_results_at(res, i))), id) == 0)
      return ldapa_results_at(res, i);
  return NULL;
}

static ldapa_results *run(test_ctx *ctx, const ldapa_ruleset *rs, const ldapa_dir *dir) {
  ldapa_results *res = NULL;
  vigie_error err;
  CHECKF(ldapa_eval(rs, dir, LDAPA_PROFILE_AD, &res, &err) == VIGIE_OK, "%s", err.msg);
  return res;
}

#define CHK(objects, extra, thr) \
  "<check objects=\"" objects "\" severity=\"high\" " extra "><fail-if " thr "/></check>"

TEST(count_threshold_and_faults) {
  static const char *const bodies[] = {
      "T-PRE-1|vuln_a|" CHK("users", "level=\"2\" where=\"enabled and userAccountControl &amp; 0x400000\"", "count=\"&gt;= 1\""),
      "T-PRE-2|-|" CHK("users", "where=\"enabled and userAccountControl &amp; 0x400000\"", "count=\"&gt; 1\""),
      "T-ALL-3|-|" CHK("users", "", "count=\"= 3\""),
  };
  ldapa_ruleset *rs = load(ctx, "ad", bodies, 3);
  ldapa_dir *dir = make_dir();
  ldapa_results *res = run(ctx, rs, dir);
  REQUIRE(res != NULL && ldapa_results_count(res) == 3);
  CHECK(ldapa_results_time(res) == NOW && ldapa_results_profile(res) == LDAPA_PROFILE_AD);
  const ldapa_result *r = result_of(res, "T-PRE-1");
  REQUIRE(r != NULL);
  CHECK(ldapa_result_outcome(r) == LDAPA_FAIL && ldapa_result_reason(r) == NULL);
  ldapa_check_outcome co;
  REQUIRE(ldapa_result_check(r, 0, &co));
  CHECK(co.outcome == LDAPA_FAIL && co.at_fault == 1 && co.considered == 3 && co.faults_kept == 1);
  CHECK(co.level == 2 && co.severity == LDAPA_SEV_HIGH && co.set == LDAPA_SET_USERS);
  CHECK_STR(co.threshold, "count >= 1");
  CHECK_STR(co.where, "enabled and userAccountControl & 0x400000");
  CHECK(!ldapa_result_check(r, 1, &co));
  const ldapa_fault *f = ldapa_result_fault(r, 0, 0);
  REQUIRE(f != NULL);
  CHECK(ldapa_result_fault(r, 0, 1) == NULL);
  CHECK_STR(ldapa_fault_dn(f), "CN=alice,OU=Users,DC=chu,DC=fr");
  CHECK_STR(ldapa_fault_name(f), "alice");
  REQUIRE(ldapa_fault_evidence_count(f) == 2); /* enabled and UAC: the names read */
  const ldapa_value *v;
  size_t count, total;
  CHECK_STR(ldapa_fault_evidence(f, 0, &v, &count, &total), "enabled");
  CHECK(count == 1 && total == 1);
  CHECK_STR(v[0].data, "TRUE");
  CHECK_STR(ldapa_fault_evidence(f, 1, &v, &count, &total), "userAccountControl");
  CHECK_STR(v[0].data, "4194816");
  CHECK(ldapa_fault_evidence(f, 2, &v, &count, &total) == NULL);
  r = result_of(res, "T-PRE-2");
  CHECK(ldapa_result_outcome(r) == LDAPA_PASS);
  REQUIRE(ldapa_result_check(r, 0, &co));
  CHECK(co.at_fault == 1 && co.faults_kept == 0); /* faults only for a failure */
  r = result_of(res, "T-ALL-3");
  CHECK(ldapa_result_outcome(r) == LDAPA_FAIL);
  REQUIRE(ldapa_result_check(r, 0, &co));
  CHECK(co.where == NULL && co.at_fault == 3);
  f = ldapa_result_fault(r, 0, 2);
  CHECK(f != NULL && ldapa_fault_evidence_count(f) == 0); /* no predicate: nothing read */
  ldapa_results_free(res);
  ldapa_ruleset_free(rs);
  ldapa_dir_free(dir);
}

TEST(ratio_and_none) {
  static const char *const bodies[] = {
      "T-RAT-1|-|" CHK("users", "where=\"userAccountControl &amp; 0x400000\" of=\"enabled\"", "ratio=\"&gt;= 0.5\""),
      "T-RAT-2|-|" CHK("users", "where=\"userAccountControl &amp; 0x400000\" of=\"enabled\"", "ratio=\"&gt; 0.5\""),
      "T-RAT-3|-|" CHK("users", "where=\"true\" of=\"sAMAccountName = &quot;nobody&quot;\"", "ratio=\"&gt; 0\""),
      "T-NON-1|-|" CHK("domain", "where=\"minPwdLength &gt;= 12\"", "none=\"true\""),
      "T-NON-2|-|" CHK("groups", "", "none=\"true\""),
      "T-NON-3|-|" CHK("domain", "where=\"has(minPwdLength)\"", "none=\"true\""),
      "T-EMP-1|-|" CHK("groups", "", "count=\"&gt;= 1\""),
  };
  ldapa_ruleset *rs = load(ctx, "ad", bodies, 7);
  ldapa_dir *dir = make_dir();
  ldapa_results *res = run(ctx, rs, dir);
  REQUIRE(res != NULL);
  ldapa_check_outcome co;
  const ldapa_result *r = result_of(res, "T-RAT-1");
  CHECK(ldapa_result_outcome(r) == LDAPA_FAIL); /* 1 of 2 enabled: 0.5 >= 0.5 */
  REQUIRE(ldapa_result_check(r, 0, &co));
  CHECK(co.at_fault == 1 && co.considered == 2); /* carol is outside of="enabled" */
  CHECK(ldapa_result_outcome(result_of(res, "T-RAT-2")) == LDAPA_PASS);
  r = result_of(res, "T-RAT-3");
  CHECK(ldapa_result_outcome(r) == LDAPA_NOT_APPLICABLE);
  CHECKF(strstr(ldapa_result_reason(r), "no entry of users matches") != NULL, "%s", ldapa_result_reason(r));
  CHECK(ldapa_result_outcome(result_of(res, "T-NON-1")) == LDAPA_FAIL);
  CHECK(ldapa_result_outcome(result_of(res, "T-NON-2")) == LDAPA_FAIL); /* none fails on an empty set */
  CHECK(ldapa_result_outcome(result_of(res, "T-NON-3")) == LDAPA_PASS);
  r = result_of(res, "T-EMP-1");
  CHECK(ldapa_result_outcome(r) == LDAPA_NOT_APPLICABLE);
  CHECK_STR(ldapa_result_reason(r), "the set groups is empty");
  ldapa_results_free(res);
  ldapa_ruleset_free(rs);
  ldapa_dir_free(dir);
}

TEST(read_states_are_errors) {
  static const char *const bodies[] = {
      "T-USR-1|-|" CHK("users", "where=\"enabled\"", "count=\"&gt; 100\""),
      "T-CMP-1|-|" CHK("computers", "where=\"enabled\"", "count=\"&gt; 100\""),
      "T-GRP-1|-|" CHK("groups", "", "count=\"&gt; 100\""),
  };
  ldapa_ruleset *rs = load(ctx, "ad", bodies, 3);
  ldapa_dir *dir = make_dir();
  ldapa_dir_set_read_state(dir, LDAPA_SET_USERS, LDAPA_READ_PARTIAL, "size limit exceeded");
  ldapa_dir_set_read_state(dir, LDAPA_SET_GROUPS, LDAPA_READ_DENIED, "insufficientAccessRights");
  ldapa_results *res = run(ctx, rs, dir);
  REQUIRE(res != NULL);
  const ldapa_result *r = result_of(res, "T-USR-1");
  CHECK(ldapa_result_outcome(r) == LDAPA_ERROR); /* would pass on what was read: never a pass */
  CHECK_STR(ldapa_result_reason(r), "the set users was read partially: size limit exceeded");
  r = result_of(res, "T-CMP-1");
  CHECK(ldapa_result_outcome(r) == LDAPA_ERROR);
  CHECK_STR(ldapa_result_reason(r), "the set computers was not read");
  r = result_of(res, "T-GRP-1");
  CHECK(ldapa_result_outcome(r) == LDAPA_ERROR);
  CHECK_STR(ldapa_result_reason(r), "the set groups could not be read: insufficientAccessRights");
  ldapa_results_free(res);
  ldapa_ruleset_free(rs);
  ldapa_dir_free(dir);
}

TEST(bad_values_and_rule_outcome) {
  static const char *const bodies[] = {
      "T-BAD-1|-|" CHK("users", "where=\"sAMAccountName &amp; 1\"", "count=\"&gt;= 1\""),
      /* a failed check wins over an error in another check of the rule */
      "T-MIX-1|-|" CHK("users", "where=\"sAMAccountName &amp; 1\"", "count=\"&gt;= 1\"")
                   CHK("users", "where=\"enabled\"", "count=\"&gt;= 1\""),
      /* pass and not applicable make a pass */
      "T-MIX-2|-|" CHK("groups", "", "count=\"&gt;= 1\"") CHK("users", "where=\"false\"", "count=\"&gt;= 1\""),
      "T-NEV-1|vuln_x|<not-evaluated reason=\"needs ACL parsing\"/>",
  };
  ldapa_ruleset *rs = load(ctx, "ad", bodies, 4);
  ldapa_dir *dir = make_dir();
  ldapa_results *res = run(ctx, rs, dir);
  REQUIRE(res != NULL);
  const ldapa_result *r = result_of(res, "T-BAD-1");
  CHECK(ldapa_result_outcome(r) == LDAPA_ERROR);
  CHECKF(strstr(ldapa_result_reason(r), "CN=alice,OU=Users,DC=chu,DC=fr: sAMAccountName value \"alice\" is not an integer") != NULL,
         "%s", ldapa_result_reason(r));
  r = result_of(res, "T-MIX-1");
  CHECK(ldapa_result_outcome(r) == LDAPA_FAIL && ldapa_result_check_count(r) == 2);
  ldapa_check_outcome co;
  CHECK(ldapa_result_check(r, 0, &co) && co.outcome == LDAPA_ERROR && co.reason != NULL);
  CHECK(ldapa_result_check(r, 1, &co) && co.outcome == LDAPA_FAIL && co.faults_kept == 2);
  CHECK(ldapa_result_outcome(result_of(res, "T-MIX-2")) == LDAPA_PASS);
  r = result_of(res, "T-NEV-1");
  CHECK(ldapa_result_outcome(r) == LDAPA_NOT_EVALUATED && ldapa_result_check_count(r) == 0);
  CHECK_STR(ldapa_result_reason(r), "needs ACL parsing");
  ldapa_results_free(res);
  ldapa_ruleset_free(rs);
  ldapa_dir_free(dir);
}

TEST(profile_filter) {
  static const char *const ol[] = {"T-OL-1|-|" CHK("entries", "", "count=\"&gt;= 1\"")};
  ldapa_ruleset *rs = load(ctx, "openldap", ol, 1);
  ldapa_dir *dir = make_dir();
  ldapa_results *res = run(ctx, rs, dir);
  CHECK(res != NULL && ldapa_results_count(res) == 0);
  ldapa_results_free(res);
  vigie_error err;
  res = (ldapa_results *)1;
  CHECK(ldapa_eval(rs, dir, LDAPA_PROFILE_AUTO, &res, &err) == VIGIE_EINVAL && res == NULL);
  ldapa_ruleset_free(rs);
  ldapa_dir_free(dir);
}

/* 1500 entries at fault: 1000 kept, 1500 counted; 40 values: 16 kept. */
TEST(fault_and_evidence_caps) {
  static const char *const bodies[] = {"T-CAP-1|-|" CHK("groups", "where=\"has(member)\"", "count=\"&gt;= 1\"")};
  ldapa_ruleset *rs = load(ctx, "ad", bodies, 1);
  ldapa_dir *dir = make_dir();
  vigie_error err;
  char big[2000];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  for (int i = 0; i < 1500; i++) {
    char dn[64];
    snprintf(dn, sizeof dn, "CN=G%d,DC=chu,DC=fr", i);
    ldapa_obj *g = ldapa_dir_entry(dir, dn, &err);
    for (int m = 0; m < (i == 0 ? 40 : 1); m++) ldapa_obj_add_str(dir, g, "member", m == 0 ? big : "CN=u", &err);
    ldapa_dir_add_to_set(dir, LDAPA_SET_GROUPS, g, &err);
  }
  ldapa_results *res = run(ctx, rs, dir);
  REQUIRE(res != NULL);
  const ldapa_result *r = result_of(res, "T-CAP-1");
  ldapa_check_outcome co;
  REQUIRE(ldapa_result_check(r, 0, &co));
  CHECK(co.outcome == LDAPA_FAIL && co.at_fault == 1500 && co.faults_kept == LDAPA_FAULTS_MAX);
  CHECK(ldapa_result_fault(r, 0, LDAPA_FAULTS_MAX) == NULL);
  const ldapa_fault *f = ldapa_result_fault(r, 0, 0);
  const ldapa_value *v;
  size_t count, total;
  CHECK(ldapa_fault_name(f) == NULL); /* no name, sAMAccountName or cn */
  CHECK_STR(ldapa_fault_evidence(f, 0, &v, &count, &total), "member");
  CHECK(count == LDAPA_EVIDENCE_VALUES && total == 40);
  CHECK(v[0].len == LDAPA_EVIDENCE_BYTES && v[0].data[LDAPA_EVIDENCE_BYTES] == '\0');
  ldapa_results_free(res);
  ldapa_ruleset_free(rs);
  ldapa_dir_free(dir);
}

TEST(level_and_coverage) {
  static const char *const bodies[] = {
      /* vuln_a: fails at level 2 (alice), its level-1 check passes */
      "T-LV-1|vuln_a|" CHK("users", "level=\"2\" where=\"userAccountControl &amp; 0x400000 and enabled\"", "count=\"&gt;= 1\"")
                       CHK("users", "level=\"1\" where=\"false\"", "count=\"&gt;= 1\""),
      /* vuln_a again in another rule (counted once), failing at 3 */
      "T-LV-2|vuln_a|" CHK("domain", "level=\"3\" where=\"minPwdLength &lt; 12\"", "count=\"&gt;= 1\""),
      /* vuln_b: passes */
      "T-LV-3|vuln_b|" CHK("users", "level=\"1\" where=\"false\"", "count=\"&gt;= 1\""),
      /* vuln_c: error (set not read): not evaluated for coverage */
      "T-LV-4|vuln_c|" CHK("computers", "level=\"1\"", "count=\"&gt;= 1\""),
      /* vuln_d: not evaluated */
      "T-LV-5|vuln_d|<not-evaluated reason=\"later\"/>",
      /* no control point: fails with no level */
      "T-LV-6|-|" CHK("users", "", "count=\"&gt;= 1\""),
  };
  ldapa_ruleset *rs = load(ctx, "ad", bodies, 6);
  ldapa_dir *dir = make_dir();
  ldapa_results *res = run(ctx, rs, dir);
  REQUIRE(res != NULL);
  ldapa_level lv = ldapa_level_compute(res);
  CHECK(lv.level == 2);
  CHECK(lv.points_total == 4);     /* a, b, c, d */
  CHECK(lv.points_evaluated == 2); /* a, b */
  CHECK(ldapa_result_holds_level(result_of(res, "T-LV-1"), 2));
  CHECK(!ldapa_result_holds_level(result_of(res, "T-LV-1"), 1));
  CHECK(!ldapa_result_holds_level(result_of(res, "T-LV-2"), 2));
  CHECK(ldapa_result_holds_level(result_of(res, "T-LV-2"), 3));
  ldapa_results_free(res);
  /* Nothing failing with a level: 5. */
  ldapa_dir_set_read_state(dir, LDAPA_SET_USERS, LDAPA_READ_PARTIAL, "cut");
  ldapa_dir_set_read_state(dir, LDAPA_SET_DOMAIN, LDAPA_READ_DENIED, "refused");
  res = run(ctx, rs, dir);
  REQUIRE(res != NULL);
  lv = ldapa_level_compute(res);
  CHECK(lv.level == 5 && lv.points_evaluated == 0 && lv.points_total == 4);
  ldapa_results_free(res);
  lv = ldapa_level_compute(NULL);
  CHECK(lv.level == 5 && lv.points_total == 0);
  ldapa_ruleset_free(rs);
  ldapa_dir_free(dir);
}

TEST_MAIN(TEST_CASE_ENTRY(count_threshold_and_faults), TEST_CASE_ENTRY(ratio_and_none),
          TEST_CASE_ENTRY(read_states_are_errors), TEST_CASE_ENTRY(bad_values_and_rule_outcome),
          TEST_CASE_ENTRY(profile_filter), TEST_CASE_ENTRY(fault_and_evidence_caps),
          TEST_CASE_ENTRY(level_and_coverage))
