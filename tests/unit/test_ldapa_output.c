/* The directory result XML: it validates against rules/directory.xsd for a
 * run with every outcome, faults whose DNs and values hold markup, binary
 * bytes and invalid UTF-8 (kept in base64), and for an empty run; and it
 * says what the results say (level, holders, read states, counts). */
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "harness.h"
#include "vigie/ldap_audit.h"

#define NOW ((time_t)1704067200)

static const char rules_text[] =
    "<?xml version=\"1.0\"?>\n<rules xmlns=\"urn:vigie:directory-rules:1\" profile=\"ad\">\n"
    "<rule id=\"T-OUT-1\" category=\"kerberos\"><anssi id=\"vuln_x\"/>\n"
    "<title lang=\"fr\">Titre &amp; «accents»</title><title lang=\"en\">Title</title>\n"
    "<description lang=\"fr\">d</description><description lang=\"en\">d</description>\n"
    "<rationale lang=\"fr\">r</rationale><rationale lang=\"en\">r</rationale>\n"
    "<remediation lang=\"fr\">m</remediation><remediation lang=\"en\">m</remediation>\n"
    "<check objects=\"users\" severity=\"high\" level=\"2\" where=\"enabled and has(objectSid)\">"
    "<fail-if count=\"&gt;= 1\"/></check>\n"
    "<check objects=\"groups\" severity=\"low\"><fail-if count=\"&gt;= 1\"/></check>\n"
    "</rule>\n"
    "<rule id=\"T-OUT-2\" category=\"accounts\">\n"
    "<title lang=\"fr\">t</title><title lang=\"en\">t</title>\n"
    "<description lang=\"fr\">d</description><description lang=\"en\">d</description>\n"
    "<rationale lang=\"fr\">r</rationale><rationale lang=\"en\">r</rationale>\n"
    "<remediation lang=\"fr\">m</remediation><remediation lang=\"en\">m</remediation>\n"
    "<check objects=\"computers\" severity=\"medium\"><fail-if count=\"&gt;= 1\"/></check>\n"
    "</rule>\n"
    "<rule id=\"T-OUT-3\" category=\"access\">\n"
    "<title lang=\"fr\">t</title><title lang=\"en\">t</title>\n"
    "<description lang=\"fr\">d</description><description lang=\"en\">d</description>\n"
    "<rationale lang=\"fr\">r</rationale><rationale lang=\"en\">r</rationale>\n"
    "<remediation lang=\"fr\">m</remediation><remediation lang=\"en\">m</remediation>\n"
    "<not-evaluated reason=\"needs &lt;ACL&gt; parsing\"/>\n"
    "</rule>\n</rules>\n";

static ldapa_dir *make_dir(void) {
  vigie_error err;
  ldapa_dir *dir = ldapa_dir_new();
  ldapa_dir_set_time(dir, NOW);
  ldapa_obj *o = ldapa_dir_entry(dir, "CN=<Eve & \"co\">,OU=Users,DC=chu,DC=fr", &err);
  static const unsigned char sid[] = {1, 1, 0, 0, 0, 0, 0, 5, 0x20, 0, 0, 0};
  ldapa_obj_add(dir, o, "objectSid", sid, sizeof sid, &err);
  ldapa_obj_add_str(dir, o, "enabled", "TRUE", &err);
  ldapa_obj_add_str(dir, o, "cn", "\xff\xfe bad utf-8", &err);
  ldapa_dir_add_to_set(dir, LDAPA_SET_USERS, o, &err);
  ldapa_dir_set_read_state(dir, LDAPA_SET_USERS, LDAPA_READ_COMPLETE, NULL);
  ldapa_dir_set_read_state(dir, LDAPA_SET_GROUPS, LDAPA_READ_COMPLETE, NULL);
  ldapa_dir_set_read_state(dir, LDAPA_SET_COMPUTERS, LDAPA_READ_PARTIAL, "size limit <exceeded>");
  return dir;
}

/* Write results to memory, read back through the safe reader and the XSD. */
static char *write_and_validate(test_ctx *ctx, const ldapa_results *res, const ldapa_dir *dir) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  vigie_error err;
  if (f == NULL) return NULL;
  vigie_status st = ldapa_output_xml(res, dir, f, &err);
  fclose(f);
  CHECKF(st == VIGIE_OK, "%s", err.msg);
  char *xsd = vigie_data_path("directory.xsd", &err);
  CHECKF(xsd != NULL, "%s", err.msg);
  struct _xmlDoc *doc = NULL;
  st = vigie_xml_read_memory(buf, len, "out.xml", xsd, &doc, &err);
  CHECKF(st == VIGIE_OK, "%s\n%s", err.msg, buf);
  vigie_xml_doc_free(doc);
  vigie_free(xsd);
  return buf;
}

TEST(full_result_validates) {
  vigie_error err;
  ldapa_ruleset *rs = ldapa_ruleset_new();
  REQUIRE(ldapa_rules_load_memory(rs, rules_text, strlen(rules_text), "t.xml", &err) == VIGIE_OK);
  ldapa_dir *dir = make_dir();
  ldapa_results *res = NULL;
  REQUIRE(ldapa_eval(rs, dir, LDAPA_PROFILE_AD, &res, &err) == VIGIE_OK);
  char *xml = write_and_validate(ctx, res, dir);
  REQUIRE(xml != NULL);
  CHECK(strstr(xml, "collected=\"2024-01-01T00:00:00Z\"") != NULL);
  CHECK(strstr(xml, "<level value=\"2\" points-evaluated=\"1\" points-total=\"1\">") != NULL);
  CHECK(strstr(xml, "<holder rule=\"T-OUT-1\"/>") != NULL);
  CHECK(strstr(xml, "<set name=\"computers\" state=\"partial\" entries=\"0\" reason=\"size limit &lt;exceeded&gt;\"/>") != NULL);
  CHECK(strstr(xml, "<set name=\"entries\"") == NULL); /* not an AD set */
  CHECK(strstr(xml, "dn=\"CN=&lt;Eve &amp; &quot;co&quot;&gt;,OU=Users,DC=chu,DC=fr\"") != NULL);
  CHECK(strstr(xml, "<attr name=\"objectSid\" total=\"1\"><value base64=\"AQEAAAAAAAUgAAAA\">") != NULL);
  CHECK(strstr(xml, "name=\"\xef\xbf\xbd\xef\xbf\xbd bad utf-8\"") != NULL); /* cleaned name */
  CHECK(strstr(xml, "outcome=\"not-applicable\"") != NULL);    /* the groups check */
  CHECK(strstr(xml, "<result id=\"T-OUT-2\" outcome=\"error\"") != NULL);
  CHECK(strstr(xml, "<reason>needs &lt;ACL&gt; parsing</reason>") != NULL);
  CHECK(strstr(xml, "<title lang=\"fr\">Titre &amp; «accents»</title>") != NULL);
  CHECK(strstr(xml, "threshold=\"count &gt;= 1\"") != NULL);
  free(xml);
  ldapa_results_free(res);
  ldapa_ruleset_free(rs);
  ldapa_dir_free(dir);
}

/* <target> names the server and base for the report; it validates. */
TEST(target_validates) {
  vigie_error err;
  ldapa_ruleset *rs = ldapa_ruleset_new();
  ldapa_dir *dir = ldapa_dir_new();
  ldapa_dir_set_time(dir, NOW);
  ldapa_results *res = NULL;
  REQUIRE(ldapa_eval(rs, dir, LDAPA_PROFILE_AD, &res, &err) == VIGIE_OK);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  REQUIRE(f != NULL);
  CHECK(ldapa_output_xml_target(res, dir, "ldaps://dc1.chu.fr", "DC=chu,DC=fr", f, &err) == VIGIE_OK);
  fclose(f);
  CHECK(strstr(buf, "<tool name=\"vigie\" version=\"" VIGIE_VERSION_STRING "\"/>\n"
                    "<target url=\"ldaps://dc1.chu.fr\" base=\"DC=chu,DC=fr\"/>") != NULL);
  char *xsd = vigie_data_path("directory.xsd", &err);
  struct _xmlDoc *doc = NULL;
  CHECKF(vigie_xml_read_memory(buf, len, "out.xml", xsd, &doc, &err) == VIGIE_OK, "%s", err.msg);
  vigie_xml_doc_free(doc);
  vigie_free(xsd);
  free(buf);
  ldapa_results_free(res);
  ldapa_ruleset_free(rs);
  ldapa_dir_free(dir);
}

TEST(empty_result_validates) {
  vigie_error err;
  ldapa_ruleset *rs = ldapa_ruleset_new();
  ldapa_dir *dir = ldapa_dir_new();
  ldapa_dir_set_time(dir, NOW);
  ldapa_results *res = NULL;
  REQUIRE(ldapa_eval(rs, dir, LDAPA_PROFILE_OPENLDAP, &res, &err) == VIGIE_OK);
  char *xml = write_and_validate(ctx, res, dir);
  REQUIRE(xml != NULL);
  CHECK(strstr(xml, "<level value=\"5\" points-evaluated=\"0\" points-total=\"0\"/>") != NULL);
  CHECK(strstr(xml, "<set name=\"ppolicies\" state=\"not-asked\" entries=\"0\"/>") != NULL);
  free(xml);
  ldapa_results_free(res);
  ldapa_ruleset_free(rs);
  ldapa_dir_free(dir);
}

TEST_MAIN(TEST_CASE_ENTRY(full_result_validates), TEST_CASE_ENTRY(empty_result_validates), TEST_CASE_ENTRY(target_validates))
