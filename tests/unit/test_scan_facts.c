/* Service facts: order kept, several values per name, set replaces, bad
 * names refused, huge and binary values stored safely. */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/harness.h"
#include "vigie/scanner.h"

TEST(add_get_order) {
  scan_facts *f = scan_facts_new();
  const char *name, *value;
  size_t len;
  REQUIRE(f != NULL);
  CHECK(scan_facts_get(f, "service") == NULL && scan_facts_count(f) == 0);
  CHECK(scan_facts_add_str(f, "service", "ssh") == VIGIE_OK);
  CHECK(scan_facts_add_str(f, "ssh.kex", "curve25519-sha256") == VIGIE_OK);
  CHECK(scan_facts_add_str(f, "ssh.kex", "diffie-hellman-group1-sha1") == VIGIE_OK);
  CHECK_STR(scan_facts_get(f, "ssh.kex"), "curve25519-sha256");
  CHECK(scan_facts_count(f) == 3);
  REQUIRE(scan_facts_at(f, 2, &name, &value, &len));
  CHECK_STR(name, "ssh.kex");
  CHECK_STR(value, "diffie-hellman-group1-sha1");
  CHECK(len == strlen("diffie-hellman-group1-sha1"));
  CHECK(!scan_facts_at(f, 3, &name, &value, &len));
  /* set drops every earlier value of the name, keeps the others in order. */
  CHECK(scan_facts_set(f, "ssh.kex", "sntrup761x25519-sha512") == VIGIE_OK);
  CHECK(scan_facts_count(f) == 2);
  REQUIRE(scan_facts_at(f, 0, &name, NULL, NULL));
  CHECK_STR(name, "service");
  CHECK_STR(scan_facts_get(f, "ssh.kex"), "sntrup761x25519-sha512");
  scan_facts_free(f);
  scan_facts_free(NULL);
}

TEST(bad_names_refused) {
  scan_facts *f = scan_facts_new();
  REQUIRE(f != NULL);
  const char *bad[] = {"", "Service", "a b", "x<y", "é", "a\n"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECKF(scan_facts_add_str(f, bad[i], "v") == VIGIE_EINVAL, "name %zu accepted", i);
  }
  CHECK(scan_facts_add_str(f, NULL, "v") == VIGIE_EINVAL);
  CHECK(scan_facts_add_str(f, "ok", NULL) == VIGIE_EINVAL);
  CHECK(scan_facts_add(NULL, "ok", "v", 1) == VIGIE_EINVAL);
  CHECK(scan_facts_count(f) == 0);
  scan_facts_free(f);
}

/* A 1 MB banner of NULs, controls and markup: kept byte for byte up to the
 * cap, marked truncated once, and always NUL-terminated. */
TEST(hostile_values) {
  size_t big = 1u << 20;
  unsigned char *junk = malloc(big);
  scan_facts *f = scan_facts_new();
  const char *value;
  size_t len;
  REQUIRE(junk != NULL && f != NULL);
  for (size_t i = 0; i < big; i++) junk[i] = (unsigned char)("\0\x1b<script>\xff\xfe]]>"[i % 16]);
  CHECK(scan_facts_add(f, "banner", junk, big) == VIGIE_OK);
  CHECK(scan_facts_add(f, "banner", junk, big) == VIGIE_OK);
  REQUIRE(scan_facts_at(f, 0, NULL, &value, &len));
  CHECK(len == SCAN_FACT_MAX && memcmp(value, junk, len) == 0 && value[len] == '\0');
  CHECK_STR(scan_facts_get(f, "banner.truncated"), "true");
  CHECK(scan_facts_count(f) == 3); /* two banners, one truncation mark */
  CHECK(scan_facts_add(f, "empty", NULL, 0) == VIGIE_OK);
  CHECK_STR(scan_facts_get(f, "empty"), "");
  scan_facts_free(f);
  free(junk);
}

TEST_MAIN(TEST_CASE_ENTRY(add_get_order), TEST_CASE_ENTRY(bad_names_refused),
          TEST_CASE_ENTRY(hostile_values))
