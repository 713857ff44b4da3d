/* The shared predicate engine through its own API (core only: this test
 * links no ldap_audit and no scanner, which is the point of the move): a
 * lookup callback, dotted names, the version functions and their parse
 * errors, multi-valued and absent names, the read flags. The directory
 * semantics themselves are tests/unit/test_ldapa_expr.c, run unchanged. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness.h"
#include "vigie/core.h"

typedef struct fx_name {
  const char *name;
  vigie_expr_value values[3];
  size_t n;
} fx_name;

static const fx_name fx[] = {
    {"service", {{"ssh", 3}}, 1},
    {"version", {{"9.2p1", 5}}, 1},
    {"tls.weak", {{"3des", 4}, {"rc4", 3}}, 2},
    {"rdp.nla_required", {{"false", 5}}, 1},
    {"ssh.kex", {{"curve25519-sha256", 17}, {"diffie-hellman-group1-sha1", 26}}, 2},
};

/* Counts the calls, to show names are read through the callback. */
typedef struct fx_ctx {
  int calls;
  char last[64];
} fx_ctx;

static size_t fx_lookup(void *ctx, const char *name, const vigie_expr_value **values) {
  fx_ctx *c = ctx;
  c->calls++;
  snprintf(c->last, sizeof c->last, "%s", name);
  for (size_t i = 0; i < sizeof fx / sizeof fx[0]; i++) {
    if (strcasecmp(fx[i].name, name) == 0) {
      *values = fx[i].values;
      return fx[i].n;
    }
  }
  *values = NULL;
  return 0;
}

/* \return 1 true, 0 false, -1 parse error, -2 evaluation error. */
static int eval(const char *text, fx_ctx *c) {
  vigie_expr *e = NULL;
  bool r = false;
  if (vigie_expr_parse(text, &e, NULL, NULL) != VIGIE_OK) return -1;
  vigie_status st = vigie_expr_eval(e, fx_lookup, c, 0, NULL, &r, NULL);
  vigie_expr_free(e);
  return st != VIGIE_OK ? -2 : r;
}

TEST(truth) {
  static const struct {
    const char *text;
    int want;
  } cases[] = {
      {"service = \"ssh\"", 1},
      {"SERVICE = \"SSH\"", 1}, /* names and strings fold ASCII case */
      {"rdp.nla_required = \"false\"", 1},
      {"rdp.nla_required", 0},    /* "false" as a condition */
      {"tls.weak = \"rc4\"", 1},  /* any value */
      {"tls.weak != \"rc4\"", 0}, /* no value equal: none */
      {"count(tls.weak) = 2", 1},
      {"any_of(ssh.kex, \"diffie-hellman-group1-sha1\")", 1},
      {"ends_with(ssh.kex, \"sha1\")", 1},
      {"cert.key_bits < 2048", 0}, /* absent: every comparison false */
      {"not (cert.key_bits < 2048)", 1},
      {"not has(cert.key_bits)", 1},
      {"version_lt(version, \"9.3\")", 1},
      {"version_lt(version, \"9.2\")", 0},
      {"version_ge(version, \"9.2.0\")", 1},
      {"version_ge(service, \"1\")", 0}, /* not a version: false both ways */
      {"version_lt(service, \"1\")", 0},
      {"version_lt(cert.key_bits, \"1\")", 0},
      {"service.x.y = \"a\"", 0}, /* any dotted name is a name */
      {"a-b.c_d-9 = 1 or true", 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    fx_ctx c = {0};
    int got = eval(cases[i].text, &c);
    CHECKF(got == cases[i].want, "%s: got %d, want %d", cases[i].text, got, cases[i].want);
  }
}

TEST(parse_errors) {
  static const struct {
    const char *text;
    size_t col;
    const char *msg;
  } cases[] = {
      {".a = 1", 1, "unexpected character '.'"},
      {"a = .5", 5, "unexpected character '.'"},
      {"version_lt(version)", 19, "version_lt() needs 2 arguments"},
      {"version_ge(version, \"1\", \"2\")", 24, "version_ge() takes 2 arguments"},
      {"version_lt(version, \"x1\")", 21,
       "version_lt() compares with a version such as \"7.4\", found \"x1\""},
      {"version_lt(version, \"\")", 21, "found \"\""},
      {"version_lt(\"9\", \"1\")", 12, "an attribute name as the first argument of version_lt()"},
      {"version_gt(version, \"1\")", 1,
       "unknown function 'version_gt' (has, count, age, contains, "
       "starts_with, ends_with, matches, len, any_of, version_lt, "
       "version_ge)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    vigie_expr *e = NULL;
    size_t col = 0;
    vigie_error err = {0};
    CHECKF(vigie_expr_parse(cases[i].text, &e, &col, &err) == VIGIE_ESYNTAX, "%s", cases[i].text);
    CHECKF(col == cases[i].col, "%s: column %zu, want %zu", cases[i].text, col, cases[i].col);
    CHECKF(strstr(err.msg, cases[i].msg) != NULL, "%s: \"%s\" lacks \"%s\"", cases[i].text, err.msg,
           cases[i].msg);
    CHECK(e == NULL);
  }
}

/* Names are handed to the lookup as first spelled, once per distinct name
 * (ignoring case), and the read flags say which the evaluation looked at. */
TEST(names_and_lookup) {
  vigie_expr *e = NULL;
  REQUIRE(vigie_expr_parse("Service = \"x\" and SERVICE = \"y\" or tls.weak = \"rc4\"", &e, NULL,
                           NULL) == VIGIE_OK);
  CHECK(vigie_expr_name_count(e) == 2);
  CHECK_STR(vigie_expr_name_at(e, 0), "Service");
  CHECK_STR(vigie_expr_name_at(e, 1), "tls.weak");
  CHECK(vigie_expr_name_at(e, 2) == NULL);
  fx_ctx c = {0};
  bool read[2] = {false, false}, r = false;
  CHECK(vigie_expr_eval(e, fx_lookup, &c, 0, read, &r, NULL) == VIGIE_OK && r);
  CHECK(c.calls == 2); /* "Service", then the "and" is decided; then tls.weak */
  CHECK_STR(c.last, "tls.weak");
  CHECK(read[0] && read[1]);
  CHECK(vigie_expr_eval(e, NULL, &c, 0, NULL, &r, NULL) == VIGIE_EINVAL);
  vigie_expr_free(e);
}

TEST(eval_error_names_value) {
  vigie_expr *e = NULL;
  vigie_error err = {0};
  bool r = true;
  fx_ctx c = {0};
  REQUIRE(vigie_expr_parse("tls.weak & 1", &e, NULL, NULL) == VIGIE_OK);
  CHECK(vigie_expr_eval(e, fx_lookup, &c, 0, NULL, &r, &err) == VIGIE_ESYNTAX);
  CHECK(!r);
  CHECK_STR(err.msg, "tls.weak value \"3des\" is not an integer for '&'");
  vigie_expr_free(e);
  /* A condition used as a value whose operand fails (found by fuzz_expr
   * under UBSan: the flag was read unset, in the code moved from ldap_audit). */
  REQUIRE(vigie_expr_parse("(\"x\" & 1 = 1) < 2", &e, NULL, NULL) == VIGIE_OK);
  CHECK(vigie_expr_eval(e, fx_lookup, &c, 0, NULL, &r, &err) == VIGIE_ESYNTAX);
  CHECK(!r);
  vigie_expr_free(e);
}

TEST_MAIN(TEST_CASE_ENTRY(truth), TEST_CASE_ENTRY(parse_errors), TEST_CASE_ENTRY(names_and_lookup),
          TEST_CASE_ENTRY(eval_error_names_value))
