/* The predicate language (doc/rules-language.md): truth tables of and/or/
 * not, LDAP multi-valued semantics, absent attributes, numbers against
 * strings, bitwise AND as condition and as number, durations and age() on
 * the three time formats, every function, syntax errors with their column,
 * the nesting and size limits, and the evidence flags. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "ldap_audit/ldapa_int.h"
#include "vigie/ldap_audit.h"

/* 2024-01-01T00:00:00Z, the collection time of every case. */
#define NOW ((time_t)1704067200)

/* One entry with values chosen for the cases below. */
static ldapa_obj *make_entry(ldapa_dir *dir) {
  vigie_error err;
  ldapa_obj *o = ldapa_dir_entry(dir, "CN=Alice,OU=Users,DC=chu,DC=fr", &err);
  static const char *const kv[][2] = {
      {"sAMAccountName", "alice"},
      {"userAccountControl", "66048"},   /* 0x10200: normal account, password never expires */
      {"enabled", "TRUE"},
      {"privileged", "FALSE"},
      {"adminCount", "0"},
      {"memberOf", "CN=Domain Admins,CN=Users,DC=chu,DC=fr"},
      {"memberOf", "CN=GG-Soins,OU=Groups,DC=chu,DC=fr"},
      {"servicePrincipalName", "MSSQLSvc/sql1.chu.fr:1433"},
      {"servicePrincipalName", "HTTP/intranet.chu.fr"},
      {"pwdLastSet", "133088832000000000"},      /* FILETIME 2022-09-29T00:00:00Z: 459 days */
      {"lastLogonTimestamp", "0"},               /* never */
      {"accountExpires", "9223372036854775807"}, /* never */
      {"whenCreated", "20230101000000.0Z"},      /* 365 days */
      {"pwdChangedTime", "20231225120000+0100"}, /* 2023-12-25T11:00Z: 6 days */
      {"shadowLastChange", "1672531200"},        /* Unix 2023-01-01: 365 days */
      {"description", ""},
      {"badTime", "yesterday"},
      {"badNumber", "12abc"},
      {"minPwdLength", "8"},
      {"msDS-SupportedEncryptionTypes", "3"},
      {"displayName", "Alice \"Ali\" Martin"},
      {"future", "20240111000000Z"},             /* 10 days ahead */
  };
  for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
    ldapa_obj_add_str(dir, o, kv[i][0], kv[i][1], &err);
  return o;
}

typedef struct expr_case {
  const char *text;
  int want; /* 1 true, 0 false, -1 evaluation error */
} expr_case;

static const expr_case expr_cases[] = {
    /* literals and connectives */
    {"true", 1}, {"false", 0}, {"not true", 0}, {"not not true", 1},
    {"true and false", 0}, {"true and true", 1}, {"false and true", 0}, {"false and false", 0},
    {"true or false", 1}, {"false or true", 1}, {"false or false", 0}, {"true or true", 1},
    {"false or false or true", 1}, {"true and true and false", 0},
    {"true or false and false", 1},       /* and binds tighter than or */
    {"(true or false) and false", 0}, {"not false and false", 0}, {"not (false and false)", 1},
    {"1", 1}, {"0", 0}, {"\"x\"", 1}, {"\"FALSE\"", 0},
    /* attributes as conditions */
    {"enabled", 1}, {"privileged", 0}, {"adminCount", 0}, {"absentAttr", 0}, {"not absentAttr", 1},
    {"sAMAccountName", 1}, {"ENABLED", 1},
    {"AND", 0}, /* keywords are lower-case: this is an (absent) attribute */
    /* comparisons, numbers and strings */
    {"sAMAccountName = \"ALICE\"", 1}, {"sAMAccountName = \"bob\"", 0},
    {"sAMAccountName != \"bob\"", 1}, {"sAMAccountName != \"alice\"", 0},
    {"minPwdLength < 12", 1}, {"minPwdLength >= 8", 1}, {"minPwdLength > 8", 0},
    {"minPwdLength <= 7", 0}, {"minPwdLength = 0x8", 1}, {"minPwdLength = \"8\"", 1},
    {"minPwdLength < 10", 1},          /* numeric: "8" < 10, though "8" > "10" as text */
    {"minPwdLength < \"10\"", 1},      /* both sides parse as integers */
    {"sAMAccountName > \"ab\"", 1},    /* text order, case-insensitive */
    {"badNumber = 12", 0}, {"badNumber = \"12ABC\"", 1},
    {"enabled = true", 1}, {"privileged = false", 1}, {"privileged = true", 0},
    {"-5 < 3", 1}, {"adminCount = -0", 1},
    /* multi-valued: any value */
    {"memberOf = \"cn=domain admins,cn=users,dc=chu,dc=fr\"", 1},
    {"memberOf = \"CN=GG-Soins,OU=Groups,DC=chu,DC=fr\"", 1},
    {"memberOf != \"CN=GG-Soins,OU=Groups,DC=chu,DC=fr\"", 0}, /* != is not (=) on present values */
    {"memberOf != \"CN=Other\"", 1},
    /* absent attributes: every comparison false */
    {"absentAttr = 1", 0}, {"absentAttr != 1", 0}, {"absentAttr < 1", 0},
    {"not (absentAttr = 1)", 1}, {"absentAttr = absentAttr", 0},
    /* bitwise AND */
    {"userAccountControl & 0x10000", 1}, {"userAccountControl & 0x2", 0},
    {"userAccountControl & 0x10000 = 0x10000", 1}, {"userAccountControl & 0x2 = 0", 1},
    {"userAccountControl & 0x10200 & 0x200 = 512", 1},
    {"msDS-SupportedEncryptionTypes & 0x3", 1}, {"msDS-SupportedEncryptionTypes & 0x18", 0},
    {"absentAttr & 1", 0}, {"absentAttr & 1 = 0", 0},
    {"enabled and (userAccountControl & 0x200000 or msDS-SupportedEncryptionTypes & 0x3)", 1},
    {"badNumber & 1", -1}, {"sAMAccountName & 1 = 0", -1},
    {"true or badNumber & 1", 1},     /* decided before the bad value is read */
    {"false or badNumber & 1", -1},
    /* durations and age() */
    {"1y = 365", 1}, {"3y = 1095d", 1}, {"30d = 30", 1},
    {"age(pwdLastSet) = 459", 1}, {"age(pwdLastSet) > 1y", 1}, {"age(pwdLastSet) > 2y", 0},
    {"age(whenCreated) = 365", 1}, {"age(pwdChangedTime) = 6", 1},
    {"age(shadowLastChange) = 365", 1}, {"age(future) = -10", 1},
    {"age(lastLogonTimestamp) > 1y", 0}, {"age(lastLogonTimestamp) < 1y", 0}, /* never: absent */
    {"age(accountExpires) >= 0", 0}, {"age(absentAttr) > 0", 0}, {"not (age(absentAttr) > 0)", 1},
    {"age(badTime) > 1", -1}, {"age(description) > 1", -1},
    /* functions */
    {"has(servicePrincipalName)", 1}, {"has(description)", 0}, {"has(absentAttr)", 0},
    {"count(servicePrincipalName) = 2", 1}, {"count(absentAttr) = 0", 1}, {"count(memberOf)", 1},
    {"contains(servicePrincipalName, \"mssql\")", 1}, {"contains(servicePrincipalName, \"ftp\")", 0},
    {"contains(absentAttr, \"\")", 0}, {"contains(sAMAccountName, \"\")", 1},
    {"starts_with(servicePrincipalName, \"http/\")", 1}, {"starts_with(sAMAccountName, \"lic\")", 0},
    {"ends_with(servicePrincipalName, \":1433\")", 1}, {"ends_with(sAMAccountName, \"ALICEX\")", 0},
    {"matches(servicePrincipalName, \"mssqlsvc/*.chu.fr:*\")", 1},
    {"matches(sAMAccountName, \"a?ice\")", 1}, {"matches(sAMAccountName, \"a?ce\")", 0},
    {"matches(sAMAccountName, \"*\")", 1}, {"matches(description, \"*\")", 1},
    {"matches(sAMAccountName, \"*l*i*c*e*\")", 1}, {"matches(sAMAccountName, \"*x*\")", 0},
    {"len(sAMAccountName) = 5", 1}, {"len(description) = 0", 1}, {"len(absentAttr) = 0", 0},
    {"any_of(sAMAccountName, \"bob\", \"ALICE\")", 1}, {"any_of(sAMAccountName, \"bob\")", 0},
    {"any_of(memberOf, \"x\", \"cn=gg-soins,ou=groups,dc=chu,dc=fr\")", 1},
    {"displayName = \"Alice \\\"Ali\\\" Martin\"", 1},
    /* the doc's examples */
    {"enabled and privileged and has(servicePrincipalName) and not is_msa", 0},
    {"is_krbtgt and age(pwdLastSet) > 3y", 0},
    {"password_scheme = \"CLEAR\" or password_scheme = \"MD5\"", 0},
};

TEST(truth_table) {
  ldapa_dir *dir = ldapa_dir_new();
  ldapa_obj *o = make_entry(dir);
  for (size_t i = 0; i < sizeof expr_cases / sizeof expr_cases[0]; i++) {
    ldapa_expr *e = NULL;
    vigie_error err;
    vigie_status st = ldapa_expr_parse(expr_cases[i].text, &e, NULL, &err);
    CHECKF(st == VIGIE_OK, "%s: %s", expr_cases[i].text, err.msg);
    if (st != VIGIE_OK) continue;
    bool r = false;
    st = ldapa_expr_eval(e, o, NOW, NULL, &r, &err);
    int got = st != VIGIE_OK ? -1 : r;
    CHECKF(got == expr_cases[i].want, "%s: got %d want %d (%s)", expr_cases[i].text, got, expr_cases[i].want,
           st != VIGIE_OK ? err.msg : "");
    ldapa_expr_free(e);
  }
  ldapa_dir_free(dir);
}

typedef struct syntax_case {
  const char *text;
  size_t column;
  const char *msg; /* a part of the message */
} syntax_case;

static const syntax_case syntax_cases[] = {
    {"", 1, "empty predicate"},
    {"   ", 4, "empty predicate"},
    {"enabled and", 12, "expected a value"},
    {"enabled and and x", 13, "expected a value"},
    {"(enabled", 9, "expected ')'"},
    {"enabled)", 8, "a '(' is missing"},
    {"enabled privileged", 9, "found 'privileged'"},
    {"x = = 1", 5, "expected a value"},
    {"a = 1 = 2", 7, "comparisons do not chain"},
    {"x ! 1", 3, "'!' must be followed by '='"},
    {"x = 'a'", 5, "unexpected character '''"},
    {"x = \"abc", 5, "string not closed"},
    {"x = \"a\\nb\"", 7, "unknown escape"},
    {"x = 3days", 5, "malformed number"},
    {"x = 12abc", 5, "malformed number"},
    {"x = 0x", 5, "no digit after 0x"},
    {"x = 0xZZ", 5, "no digit after 0x"},
    {"x = 9223372036854775808", 5, "64-bit range"},
    {"x = 0x8000000000000000", 5, "64-bit range"},
    {"x = 99999999999999999y", 5, "duration out of range"},
    {"foo(x)", 1, "unknown function 'foo'"},
    {"has()", 5, "expected an attribute name as the first argument of has()"},
    {"has(\"x\")", 5, "expected an attribute name"},
    {"has(x, \"y\")", 6, "has() takes 1 argument"},
    {"contains(x)", 11, "contains() needs 2 arguments"},
    {"contains(x, y)", 13, "expected a string argument"},
    {"any_of(x)", 9, "any_of() needs at least 2 arguments"},
    {"age(x", 6, "expected ')'"},
    {"x = \xc3\xa9", 5, "unexpected byte 0xc3"},
    {"x & ", 5, "expected a value"},
};

TEST(syntax_errors) {
  for (size_t i = 0; i < sizeof syntax_cases / sizeof syntax_cases[0]; i++) {
    const syntax_case *sc = &syntax_cases[i];
    ldapa_expr *e = NULL;
    vigie_error err = {0};
    size_t col = 0;
    vigie_status st = ldapa_expr_parse(sc->text, &e, &col, &err);
    CHECKF(st == VIGIE_ESYNTAX && e == NULL, "\"%s\" parsed (status %d)", sc->text, st);
    CHECKF(col == sc->column, "\"%s\": column %zu, want %zu (%s)", sc->text, col, sc->column, err.msg);
    CHECKF(strstr(err.msg, sc->msg) != NULL, "\"%s\": message \"%s\" lacks \"%s\"", sc->text, err.msg,
           sc->msg);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "column %zu: ", sc->column);
    CHECKF(strncmp(err.msg, prefix, strlen(prefix)) == 0, "\"%s\": %s", sc->text, err.msg);
  }
}

/* head, n times unit, then tail, in a new string (vigie_free). */
static char *repeat(const char *head, const char *unit, size_t n, const char *tail) {
  size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
  char *s = vigie_malloc(hl + ul * n + tl + 1), *p = s;
  if (s == NULL) abort();
  memcpy(p, head, hl), p += hl;
  for (size_t i = 0; i < n; i++) memcpy(p, unit, ul), p += ul;
  memcpy(p, tail, tl + 1);
  return s;
}

/* Deep nesting is refused before it costs stack; long flat chains are fine
 * (they become one n-ary node, evaluated in a loop). */
TEST(limits) {
  ldapa_expr *e = NULL;
  vigie_error err;
  char *s = repeat("", "(", 63, "true");
  char *t = repeat(s, ")", 63, "");
  CHECKF(ldapa_expr_parse(t, &e, NULL, &err) == VIGIE_OK, "%s", err.msg);
  ldapa_expr_free(e);
  vigie_free(s), vigie_free(t);
  s = repeat("", "(", 200, "true");
  CHECK(ldapa_expr_parse(s, &e, NULL, &err) == VIGIE_ETOOBIG && strstr(err.msg, "nested") != NULL);
  vigie_free(s);
  s = repeat("", "not ", 100, "true");
  CHECK(ldapa_expr_parse(s, &e, NULL, &err) == VIGIE_ETOOBIG);
  vigie_free(s);
  s = repeat("true", " and true", 800, "");
  CHECKF(ldapa_expr_parse(s, &e, NULL, &err) == VIGIE_OK, "%s", err.msg);
  ldapa_dir *dir = ldapa_dir_new();
  bool r = false;
  CHECK(ldapa_expr_eval(e, make_entry(dir), NOW, NULL, &r, &err) == VIGIE_OK && r);
  ldapa_dir_free(dir);
  ldapa_expr_free(e);
  vigie_free(s);
  s = repeat("1", "&1", 4095, ""); /* 4097 nodes in 8191 characters */
  CHECK(ldapa_expr_parse(s, &e, NULL, &err) == VIGIE_ETOOBIG && strstr(err.msg, "terms") != NULL);
  vigie_free(s);
  s = repeat("x = \"", "a", LDAPA_EXPR_MAX_LEN, "\"");
  CHECK(ldapa_expr_parse(s, &e, NULL, &err) == VIGIE_ETOOBIG);
  vigie_free(s);
}

/* Names are collected once each, and evaluation flags only those it read. */
TEST(names_and_evidence) {
  ldapa_expr *e = NULL;
  vigie_error err;
  REQUIRE(ldapa_expr_parse("enabled and (UserAccountControl & 2 or userAccountControl & 0x10000) "
                           "and has(servicePrincipalName) or absentAttr = 1",
                           &e, NULL, &err) == VIGIE_OK);
  REQUIRE(ldapa_expr_name_count(e) == 4);
  CHECK_STR(ldapa_expr_name_at(e, 0), "enabled");
  CHECK_STR(ldapa_expr_name_at(e, 1), "UserAccountControl");
  CHECK_STR(ldapa_expr_name_at(e, 2), "servicePrincipalName");
  CHECK_STR(ldapa_expr_name_at(e, 3), "absentAttr");
  CHECK(ldapa_expr_name_at(e, 4) == NULL);
  ldapa_dir *dir = ldapa_dir_new();
  ldapa_obj *o = make_entry(dir);
  bool read[4] = {false}, r = false;
  CHECK(ldapa_expr_eval(e, o, NOW, read, &r, &err) == VIGIE_OK && r);
  CHECK(read[0] && read[1] && read[2] && !read[3]); /* the "or" was decided before absentAttr */
  ldapa_obj *other = ldapa_dir_entry(dir, "CN=x", &err);
  ldapa_obj_add_str(dir, other, "enabled", "FALSE", &err);
  bool read2[4] = {false};
  CHECK(ldapa_expr_eval(e, other, NOW, read2, &r, &err) == VIGIE_OK && !r);
  CHECK(read2[0] && !read2[1] && !read2[2] && read2[3]);
  ldapa_expr_free(e);
  ldapa_dir_free(dir);
}

TEST(eval_error_names_value) {
  ldapa_expr *e = NULL;
  vigie_error err;
  REQUIRE(ldapa_expr_parse("age(badTime) > 30", &e, NULL, &err) == VIGIE_OK);
  ldapa_dir *dir = ldapa_dir_new();
  bool r = true;
  CHECK(ldapa_expr_eval(e, make_entry(dir), NOW, NULL, &r, &err) == VIGIE_ESYNTAX && !r);
  CHECKF(strstr(err.msg, "badTime value \"yesterday\" is not a time") != NULL, "%s", err.msg);
  ldapa_expr_free(e);
  ldapa_dir_free(dir);
}

TEST(facts_known) {
  CHECK(ldapa_expr_is_fact("enabled"));
  CHECK(ldapa_expr_is_fact("Privileged"));
  CHECK(ldapa_expr_is_fact("password_scheme"));
  CHECK(ldapa_expr_is_fact("anonymous_bind"));
  CHECK(!ldapa_expr_is_fact("userAccountControl"));
  CHECK(!ldapa_expr_is_fact(NULL));
}

TEST_MAIN(TEST_CASE_ENTRY(truth_table), TEST_CASE_ENTRY(syntax_errors), TEST_CASE_ENTRY(limits),
          TEST_CASE_ENTRY(names_and_evidence), TEST_CASE_ENTRY(eval_error_names_value),
          TEST_CASE_ENTRY(facts_known))
