/* The proof bundle's MANIFEST parser against hostile lines: only the exact
 * form vigie writes is accepted, and each refusal names its line. */
#include <stdlib.h>
#include <string.h>

#include "report/bundle_int.h"
#include "harness.h"

#define SUM_A "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
#define SUM_B "3bb2abb69ebb27fbfe63c7639624c6ec5e331b841a5bc8c3ebc10b9285e90877"

/* Parse text; on failure *msg gets the error text. */
static vigie_status parse(const char *text, rpt_bundle_manifest *m, char *msg) {
  vigie_error err = {0};
  vigie_status st = rpt_bundle_manifest_parse(text, strlen(text), m, &err);
  strcpy(msg, err.msg);
  return st;
}

/* The line is refused and the message says why (and which line). */
static bool refused(test_ctx *ctx, const char *text, const char *why) {
  rpt_bundle_manifest m = {0};
  char msg[VIGIE_ERROR_MAX];
  vigie_status st = parse(text, &m, msg);
  bool ok = st != VIGIE_OK && strstr(msg, why) != NULL && m.count == 0 && m.v == NULL;
  if (!ok) printf("# %s: status %d, message \"%s\", wanted \"%s\"\n", ctx->name, st, msg, why);
  rpt_bundle_manifest_clear(&m);
  return ok;
}

TEST(accepts_what_vigie_writes) {
  rpt_bundle_manifest m = {0};
  char msg[VIGIE_ERROR_MAX];
  REQUIRE(parse(SUM_A "  a.txt\n" SUM_B "  sub/with space.txt\n", &m, msg) == VIGIE_OK);
  REQUIRE(m.count == 2);
  CHECK_STR(m.v[0].path, "a.txt");
  CHECK_STR(m.v[1].path, "sub/with space.txt");
  CHECK(m.v[0].sum[0] == 0x58 && m.v[0].sum[31] == 0x03);
  char hex[65];
  rpt_bundle_hex(m.v[1].sum, 32, hex);
  CHECK_STR(hex, SUM_B);
  rpt_bundle_manifest_clear(&m);
}

TEST(accepts_an_empty_manifest) {
  rpt_bundle_manifest m = {0};
  char msg[VIGIE_ERROR_MAX];
  CHECK(parse("", &m, msg) == VIGIE_OK && m.count == 0);
  rpt_bundle_manifest_clear(&m);
}

TEST(refuses_paths_leaving_the_bundle) {
  CHECK(refused(ctx, SUM_A "  ../etc/passwd\n", "MANIFEST:1: '..' path component"));
  CHECK(refused(ctx, SUM_A "  a/../../b\n", "'..' path component"));
  CHECK(refused(ctx, SUM_A "  ..\n", "'..' path component"));
  CHECK(refused(ctx, SUM_A "  /etc/passwd\n", "absolute path"));
  CHECK(refused(ctx, SUM_A "  ./a\n", "'.' path component"));
  CHECK(refused(ctx, SUM_A "  a//b\n", "empty path component"));
  CHECK(refused(ctx, SUM_A "  a/\n", "empty path component"));
  CHECK(refused(ctx, SUM_A "  \n", "not \"<64 hex digits>  <path>\""));
  CHECK(refused(ctx, SUM_A "  a\\b\n", "backslash"));
  CHECK(refused(ctx, SUM_A "  a\tb\n", "control character"));
  CHECK(refused(ctx, SUM_A "  a\033[31m\n", "control character"));
}

TEST(refuses_the_bundle_own_files) {
  CHECK(refused(ctx, SUM_A "  MANIFEST\n", "a bundle's own file"));
  CHECK(refused(ctx, SUM_A "  MANIFEST.sig\n", "a bundle's own file"));
  CHECK(refused(ctx, SUM_A "  pubkey.pem\n", "a bundle's own file"));
  rpt_bundle_manifest m = {0};
  char msg[VIGIE_ERROR_MAX];
  CHECK(parse(SUM_A "  sub/MANIFEST\n", &m, msg) == VIGIE_OK); /* only at the top */
  rpt_bundle_manifest_clear(&m);
}

TEST(refuses_duplicates_and_disorder) {
  CHECK(refused(ctx, SUM_A "  a\n" SUM_B "  a\n", "MANIFEST:2: duplicate path"));
  CHECK(refused(ctx, SUM_A "  b\n" SUM_B "  a\n", "MANIFEST:2: paths not sorted"));
  CHECK(refused(ctx, SUM_A "  ab\n" SUM_B "  a\n", "not sorted"));
  /* Bytewise: 'B' (0x42) sorts before 'a', UTF-8 after ASCII. */
  rpt_bundle_manifest m = {0};
  char msg[VIGIE_ERROR_MAX];
  CHECK(parse(SUM_A "  B\n" SUM_A "  a\n" SUM_A "  \xc3\xa9t\xc3\xa9\n", &m, msg) == VIGIE_OK);
  rpt_bundle_manifest_clear(&m);
}

TEST(refuses_line_shapes) {
  CHECK(refused(ctx, SUM_A "  a\r\n", "carriage return"));
  CHECK(refused(ctx, SUM_A "  a", "last line has no LF"));
  CHECK(refused(ctx, SUM_A " a\n", "not \"<64 hex digits>  <path>\""));
  CHECK(refused(ctx, SUM_A " *a\n", "not \"<64 hex digits>  <path>\""));
  CHECK(refused(ctx, "5891b5  a\n", "not \"<64 hex digits>  <path>\""));
  CHECK(refused(ctx, "\n", "MANIFEST:1:"));
  CHECK(refused(ctx, SUM_A "  a\n\n", "MANIFEST:2:"));
  CHECK(refused(ctx, "# comment\n", "MANIFEST:1:"));
}

TEST(refuses_bad_hex) {
  CHECK(refused(ctx, "5891B5B522D5DF086D0FF0B110FBD9D21BB4FC7163AF34D08286A2E846F6BE03  a\n",
                "bad hex"));
  CHECK(refused(ctx, "g891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  a\n",
                "bad hex"));
  CHECK(refused(ctx, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be0   a\n",
                "bad hex"));
}

TEST(refuses_nul_bytes) {
  static const char text[] = SUM_A "  a\0b\n";
  rpt_bundle_manifest m = {0};
  vigie_error err = {0};
  CHECK(rpt_bundle_manifest_parse(text, sizeof text - 1, &m, &err) == VIGIE_ESYNTAX);
  CHECK(strstr(err.msg, "NUL") != NULL);
}

TEST(refuses_overlong_lines) {
  size_t n = 64 + 2 + RPT_BUNDLE_PATH_MAX + 10;
  char *text = malloc(n + 2);
  REQUIRE(text != NULL);
  memcpy(text, SUM_A "  ", 66);
  memset(text + 66, 'a', n - 66);
  text[n] = '\n';
  text[n + 1] = '\0';
  CHECK(refused(ctx, text, "line longer than"));
  text[n] = 'a'; /* with no LF at all, in a huge buffer */
  CHECK(refused(ctx, text, "line longer than"));
  /* A path at the limit is accepted. */
  text[66 + RPT_BUNDLE_PATH_MAX] = '\n';
  text[66 + RPT_BUNDLE_PATH_MAX + 1] = '\0';
  rpt_bundle_manifest m = {0};
  char msg[VIGIE_ERROR_MAX];
  CHECK(parse(text, &m, msg) == VIGIE_OK && m.count == 1);
  rpt_bundle_manifest_clear(&m);
  free(text);
}

TEST(path_check_on_its_own) {
  CHECK(rpt_bundle_path_check("report.html", 11) == NULL);
  CHECK(rpt_bundle_path_check("a/b/c d.xml", 11) == NULL);
  CHECK(rpt_bundle_path_check("...", 3) == NULL); /* a name, not a parent */
  CHECK(rpt_bundle_path_check("a/..", 4) != NULL);
  CHECK(rpt_bundle_path_check("", 0) != NULL);
  CHECK(rpt_bundle_path_check("a\nb", 3) != NULL);
}

TEST_MAIN(TEST_CASE_ENTRY(accepts_what_vigie_writes), TEST_CASE_ENTRY(accepts_an_empty_manifest),
          TEST_CASE_ENTRY(refuses_paths_leaving_the_bundle),
          TEST_CASE_ENTRY(refuses_the_bundle_own_files),
          TEST_CASE_ENTRY(refuses_duplicates_and_disorder), TEST_CASE_ENTRY(refuses_line_shapes),
          TEST_CASE_ENTRY(refuses_bad_hex), TEST_CASE_ENTRY(refuses_nul_bytes),
          TEST_CASE_ENTRY(refuses_overlong_lines), TEST_CASE_ENTRY(path_check_on_its_own))
