/* The pure parsers behind the directory facts: binary SIDs, FILETIME and
 * GeneralizedTime, with well-formed vectors and hostile ones. */
#include <string.h>

#include "harness.h"
#include "vigie/ldap_audit.h"

static const unsigned char sid_domain_admins[] = {
    0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x15, 0x00, 0x00, 0x00, 0xdc, 0xf4,
    0xdc, 0x3b, 0x83, 0x3d, 0x2b, 0x46, 0x82, 0x8b, 0xa6, 0x28, 0x00, 0x02, 0x00, 0x00};
static const unsigned char sid_builtin_admins[] = {0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
                                                   0x20, 0x00, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00};
static const unsigned char sid_everyone[] = {0x01, 0x01, 0x00, 0x00, 0x00, 0x00,
                                             0x00, 0x01, 0x00, 0x00, 0x00, 0x00};

/* Parse bin and compare with the expected text and RID. */
static bool sid_is(const void *bin, size_t len, const char *text, uint32_t rid) {
  char out[LDAPA_SID_TEXT_MAX];
  uint32_t got = 0;
  vigie_error err = {0};
  if (ldapa_sid_to_string(bin, len, out, sizeof out, &got, &err) != VIGIE_OK) {
    printf("# %s\n", vigie_error_text(&err));
    return false;
  }
  if (strcmp(out, text) != 0 || got != rid) printf("# got %s rid %u\n", out, got);
  return strcmp(out, text) == 0 && got == rid;
}

static vigie_status sid_status(const void *bin, size_t len) {
  char out[LDAPA_SID_TEXT_MAX];
  vigie_error err = {0};
  return ldapa_sid_to_string(bin, len, out, sizeof out, NULL, &err);
}

TEST(sid_well_formed_vectors) {
  CHECK(sid_is(sid_domain_admins, sizeof sid_domain_admins,
               "S-1-5-21-1004336348-1177238915-682003330-512", 512));
  CHECK(sid_is(sid_builtin_admins, sizeof sid_builtin_admins, "S-1-5-32-544", 544));
  CHECK(sid_is(sid_everyone, sizeof sid_everyone, "S-1-1-0", 0));
}

TEST(sid_authority_of_2_32_or_more_is_hex) {
  const unsigned char big[] = {0x01, 0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0, 0, 0};
  CHECK(sid_is(big, sizeof big, "S-1-0x010203040506-7", 7));
}

TEST(sid_longest_fits_the_documented_buffer) {
  unsigned char b[8 + 60];
  memset(b, 0xff, sizeof b);
  b[0] = 1;
  b[1] = 15;
  char out[LDAPA_SID_TEXT_MAX];
  uint32_t rid = 0;
  CHECK(ldapa_sid_to_string(b, sizeof b, out, sizeof out, &rid, NULL) == VIGIE_OK);
  CHECK(rid == 0xffffffffu);
  CHECK(strncmp(out, "S-1-0xFFFFFFFFFFFF-4294967295-", 30) == 0);
}

TEST(sid_malformed_is_refused) {
  unsigned char b[8 + 64 + 1];
  memcpy(b, sid_domain_admins, sizeof sid_domain_admins);
  CHECK(sid_status(NULL, 0) == VIGIE_ESYNTAX);
  CHECK(sid_status(b, 7) == VIGIE_ESYNTAX);                                 /* short header */
  CHECK(sid_status(b, sizeof sid_domain_admins - 1) == VIGIE_ESYNTAX);      /* truncated */
  CHECK(sid_status(b, sizeof sid_domain_admins + 1) == VIGIE_ESYNTAX);      /* trailing byte */
  b[0] = 2;
  CHECK(sid_status(b, sizeof sid_domain_admins) == VIGIE_ESYNTAX);          /* revision */
  b[0] = 1;
  b[1] = 0;
  CHECK(sid_status(b, 8) == VIGIE_ESYNTAX);                                 /* no RID */
  memset(b + 8, 0, 64);
  b[1] = 16;
  CHECK(sid_status(b, 8 + 64) == VIGIE_ESYNTAX);                            /* over 15 */
  b[1] = 255;
  CHECK(sid_status(b, sizeof b) == VIGIE_ESYNTAX);                          /* count lies */
}

TEST(sid_small_buffer_is_an_error_not_an_overflow) {
  char out[12];
  memset(out, 'x', sizeof out);
  vigie_error err = {0};
  CHECK(ldapa_sid_to_string(sid_domain_admins, sizeof sid_domain_admins, out, sizeof out, NULL,
                            &err) == VIGIE_EINVAL);
  CHECK(out[0] == '\0');
}

TEST(filetime_dates) {
  time_t t = 1;
  CHECK(ldapa_filetime_parse("116444736000000000", &t) == VIGIE_OK && t == 0);
  CHECK(ldapa_filetime_parse("132223104000000000", &t) == VIGIE_OK && t == 1577836800);
  CHECK(ldapa_filetime_parse("132223104009999999", &t) == VIGIE_OK && t == 1577836800);
  CHECK(ldapa_filetime_parse("1", &t) == VIGIE_OK && t == -11644473600LL); /* 1601 */
}

TEST(filetime_zero_and_never_are_not_dates) {
  time_t t = 42;
  CHECK(ldapa_filetime_parse("0", &t) == VIGIE_ENOENT);
  CHECK(ldapa_filetime_parse("9223372036854775807", &t) == VIGIE_ENOENT);
  CHECK(t == 42);
}

TEST(filetime_negative_and_garbage_are_refused) {
  time_t t = 42;
  const char *bad[] = {"-864000000000", "-9223372036854775808", "", "abc", "12x", " 1", "+1",
                       "99999999999999999999", "1.5", "0x10"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CHECKF(ldapa_filetime_parse(bad[i], &t) == VIGIE_ESYNTAX, "\"%s\"", bad[i]);
  CHECK(ldapa_filetime_parse(NULL, &t) == VIGIE_ESYNTAX);
  CHECK(t == 42);
}

TEST(gentime_forms) {
  struct { const char *text; time_t want; } ok[] = {
      {"20200101000000.0Z", 1577836800},   {"20200101000000Z", 1577836800},
      {"202001010000Z", 1577836800},       {"2020010100Z", 1577836800},
      {"20200101000000,5Z", 1577836800},   {"20200101000000.123456Z", 1577836800},
      {"20200101023000+0230", 1577836800}, {"20191231220000-0200", 1577836800},
      {"2020010105+05", 1577836800},       {"19691231235959Z", -1},
      {"20200229120000Z", 1582977600},     {"20161231235960Z", 1483228800},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    time_t t = 0;
    vigie_status s = ldapa_gentime_parse(ok[i].text, &t);
    CHECKF(s == VIGIE_OK && t == ok[i].want, "\"%s\": status %d time %lld", ok[i].text, (int)s,
           (long long)t);
  }
}

TEST(gentime_garbage_is_refused) {
  const char *bad[] = {"", "2020", "20200101000000", "20200101000000.Z", "20200101000000Zjunk",
                       "20201301000000Z", "20200001000000Z", "20190229120000Z", "20200431000000Z",
                       "20200101240000Z", "20200101006000Z", "20200101000061Z", "20200101000000+2400",
                       "2020010100000Z", "20200101000000+1",
                       "2020-01-01T00:00:00Z", "20200101000000.0z", "20200101000000+0160"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    time_t t = 42;
    CHECKF(ldapa_gentime_parse(bad[i], &t) == VIGIE_ESYNTAX && t == 42, "\"%s\"", bad[i]);
  }
  time_t t = 0;
  CHECK(ldapa_gentime_parse(NULL, &t) == VIGIE_ESYNTAX);
}

TEST_MAIN(TEST_CASE_ENTRY(sid_well_formed_vectors),
          TEST_CASE_ENTRY(sid_authority_of_2_32_or_more_is_hex),
          TEST_CASE_ENTRY(sid_longest_fits_the_documented_buffer),
          TEST_CASE_ENTRY(sid_malformed_is_refused),
          TEST_CASE_ENTRY(sid_small_buffer_is_an_error_not_an_overflow),
          TEST_CASE_ENTRY(filetime_dates),
          TEST_CASE_ENTRY(filetime_zero_and_never_are_not_dates),
          TEST_CASE_ENTRY(filetime_negative_and_garbage_are_refused),
          TEST_CASE_ENTRY(gentime_forms),
          TEST_CASE_ENTRY(gentime_garbage_is_refused))
