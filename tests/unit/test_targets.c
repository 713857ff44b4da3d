/* Unit tests of core/targets.c: parsing, CIDR boundaries, ranges, names,
 * merging, exclusions, the reserved list, target files and indexing.
 *
 * Dotted IPv4 literals stay in 127.0.0.0/8 and 198.18.0.0/15 (plus the
 * all-zero, broadcast and 224.0.0.x forms), as for every test file; other
 * addresses, when a test needs them, are written as numbers. Nothing here
 * sends a packet: these are parsing tests.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "vigie/core.h"

#define U128(hi, lo) (((vigie_u128)(hi) << 64) | (vigie_u128)(lo))
#define ALL64 0xffffffffffffffffu

/* A finalized set of the given tokens; NULL if any step failed. */
static vigie_targets *make(const char *const *tokens, size_t n, bool reserved) {
  vigie_targets *t = vigie_targets_new();
  vigie_error err;
  if (t == NULL) return NULL;
  vigie_targets_set_exclude_reserved(t, reserved);
  for (size_t i = 0; i < n; i++) {
    if (vigie_targets_add(t, tokens[i], &err) != VIGIE_OK) {
      printf("# add \"%s\": %s\n", tokens[i], err.msg);
      vigie_targets_free(t);
      return NULL;
    }
  }
  if (vigie_targets_finalize(t, &err) != VIGIE_OK) {
    printf("# finalize: %s\n", err.msg);
    vigie_targets_free(t);
    return NULL;
  }
  return t;
}

static vigie_targets *make1(const char *token, bool reserved) { return make(&token, 1, reserved); }

/* The index-th address as text, or "(none)". */
static const char *at_str(const vigie_targets *t, vigie_u128 index, char *buf) {
  vigie_addr a;
  if (!vigie_targets_at(t, index, &a)) return "(none)";
  return vigie_addr_format(&a, buf, 46);
}

static vigie_u128 total(const vigie_targets *t) {
  return (vigie_u128)vigie_targets_count4(t) + vigie_targets_count6(t);
}

static const char *last_str(const vigie_targets *t, char *buf) {
  return at_str(t, total(t) - 1, buf);
}

static bool msg_has(const vigie_error *err, const char *text) {
  return strstr(err->msg, text) != NULL;
}

/* Whether the message quotes the token. */
static bool msg_quotes(const vigie_error *err, const char *token) {
  char quoted[600];
  snprintf(quoted, sizeof quoted, "\"%s\"", token);
  return strstr(err->msg, quoted) != NULL;
}

static bool write_temp(char *path, const char *content) {
  int fd;
  size_t len = strlen(content);
  strcpy(path, "/tmp/vigie_test_targets_XXXXXX");
  fd = mkstemp(path);
  if (fd < 0) return false;
  bool ok = write(fd, content, len) == (ssize_t)len;
  close(fd);
  return ok;
}

static vigie_addr addr4(uint32_t v4) {
  vigie_addr a = {AF_INET, v4, 0};
  return a;
}

static vigie_addr addr6(vigie_u128 v6) {
  vigie_addr a = {AF_INET6, 0, v6};
  return a;
}

TEST(ipv4_single) {
  char buf[46];
  vigie_targets *t = make1("198.18.0.1", true);
  REQUIRE(t != NULL);
  CHECK(vigie_targets_count4(t) == 1);
  CHECK(vigie_targets_count6(t) == 0);
  CHECK_STR(at_str(t, 0, buf), "198.18.0.1");
  CHECK_STR(at_str(t, 1, buf), "(none)");
  vigie_targets_free(t);
  t = make1("127.0.0.1", true); /* loopback is a legitimate target */
  REQUIRE(t != NULL);
  CHECK_STR(at_str(t, 0, buf), "127.0.0.1");
  vigie_targets_free(t);
}

TEST(ipv6_forms) {
  static const char *const same[] = {"fd00:0:0:0:0:0:0:1", "FD00::0001", "fd00::1"};
  char buf[46];
  vigie_targets *t = make(same, 3, true);
  REQUIRE(t != NULL);
  CHECK(vigie_targets_count6(t) == 1);
  CHECK_STR(at_str(t, 0, buf), "fd00::1");
  vigie_targets_free(t);
  t = make1("fd00:0:0:1:0:0:0:1", true); /* the longest zero run is compressed */
  REQUIRE(t != NULL);
  CHECK_STR(at_str(t, 0, buf), "fd00:0:0:1::1");
  vigie_targets_free(t);
  t = make1("fd00:1:0:1:1:1:1:1", true); /* a single zero group is not */
  REQUIRE(t != NULL);
  CHECK_STR(at_str(t, 0, buf), "fd00:1:0:1:1:1:1:1");
  vigie_targets_free(t);
  t = make1("::1", true);
  REQUIRE(t != NULL);
  CHECK(vigie_targets_count6(t) == 1);
  CHECK_STR(at_str(t, 0, buf), "::1");
  vigie_targets_free(t);
}

TEST(ipv6_v4_mapped) {
  char buf[46];
  vigie_targets *t = make1("::ffff:198.18.0.1", true);
  REQUIRE(t != NULL);
  CHECK(vigie_targets_count6(t) == 0); /* reserved: scan the IPv4 address instead */
  vigie_targets_free(t);
  t = make1("::ffff:198.18.0.1", false);
  REQUIRE(t != NULL);
  CHECK(vigie_targets_count6(t) == 1);
  CHECK_STR(at_str(t, 0, buf), "::ffff:198.18.0.1");
  vigie_addr a;
  CHECK(vigie_targets_at(t, 0, &a) && a.family == AF_INET6 && a.v6 == U128(0, 0xffffc6120001u));
  vigie_targets_free(t);
}

TEST(cidr4_boundaries) {
  char buf[46];
  vigie_targets *t = make1("0.0.0.0/0", false);
  REQUIRE(t != NULL);
  CHECK(vigie_targets_count4(t) == 4294967296u);
  CHECK_STR(at_str(t, 0, buf), "0.0.0.0");
  CHECK_STR(at_str(t, 4294967295u, buf), "255.255.255.255");
  CHECK_STR(at_str(t, 4294967296u, buf), "(none)");
  vigie_targets_free(t);
  t = make1("0.0.0.0/1", false);
  REQUIRE(t != NULL);
  CHECK(vigie_targets_count4(t) == 2147483648u);
  CHECK_STR(last_str(t, buf), "127.255.255.255");
  vigie_targets_free(t);
  t = make1("198.18.0.5/31", true); /* host bits ignored */
  REQUIRE(t != NULL);
  CHECK(vigie_targets_count4(t) == 2);
  CHECK_STR(at_str(t, 0, buf), "198.18.0.4");
  CHECK_STR(last_str(t, buf), "198.18.0.5");
  vigie_targets_free(t);
  t = make1("198.18.0.5/32", true);
  REQUIRE(t != NULL);
  CHECK(vigie_targets_count4(t) == 1);
  CHECK_STR(at_str(t, 0, buf), "198.18.0.5");
  vigie_targets_free(t);
  t = make1("198.18.3.77/15", true);
  REQUIRE(t != NULL);
  CHECK(vigie_targets_count4(t) == 131072);
  CHECK_STR(at_str(t, 0, buf), "198.18.0.0");
  CHECK_STR(last_str(t, buf), "198.19.255.255");
  vigie_targets_free(t);
}

TEST(cidr6_boundaries) {
  char buf[46];
  vigie_targets *t = make1("::/1", false);
  REQUIRE(t != NULL);
  CHECK(vigie_targets_count6(t) == (vigie_u128)1 << 127);
  CHECK_STR(at_str(t, 0, buf), "::");
  CHECK_STR(last_str(t, buf), "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  vigie_targets_free(t);
  t = make1("fd00:1:2:3:4:5:6:7/64", true);
  REQUIRE(t != NULL);
  CHECK(vigie_targets_count6(t) == (vigie_u128)1 << 64);
  CHECK_STR(at_str(t, 0, buf), "fd00:1:2:3::");
  CHECK_STR(last_str(t, buf), "fd00:1:2:3:ffff:ffff:ffff:ffff");
  vigie_targets_free(t);
  t = make1("fd00::7/127", true);
  REQUIRE(t != NULL);
  CHECK(vigie_targets_count6(t) == 2);
  CHECK_STR(at_str(t, 0, buf), "fd00::6");
  CHECK_STR(last_str(t, buf), "fd00::7");
  vigie_targets_free(t);
  t = make1("fd00::7/128", true);
  REQUIRE(t != NULL);
  CHECK(vigie_targets_count6(t) == 1);
  CHECK_STR(at_str(t, 0, buf), "fd00::7");
  vigie_targets_free(t);
}

/* ::/0 holds 2^128 addresses: countable only once the reserved part is gone. */
TEST(cidr6_everything) {
  char buf[46];
  vigie_error err;
  vigie_u128 reserved = 1 + ((vigie_u128)1 << 32) + ((vigie_u128)1 << 96) + ((vigie_u128)1 << 120);
  vigie_targets *t = make1("::/0", true);
  REQUIRE(t != NULL);
  CHECK(vigie_targets_count6(t) == (vigie_u128)0 - reserved);
  CHECK_STR(at_str(t, 0, buf), "::1");
  CHECK_STR(last_str(t, buf), "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  vigie_targets_free(t);
  t = vigie_targets_new();
  REQUIRE(t != NULL);
  vigie_targets_set_exclude_reserved(t, false);
  CHECK(vigie_targets_add(t, "::/0", &err) == VIGIE_OK);
  CHECK(vigie_targets_finalize(t, &err) == VIGIE_ETOOBIG);
  CHECK(msg_has(&err, "2^128"));
  vigie_targets_free(t);
}

TEST(ranges4) {
  char buf[46];
  vigie_targets *t = make1("198.18.0.10-198.18.0.20", true);
  REQUIRE(t != NULL);
  CHECK(vigie_targets_count4(t) == 11);
  CHECK_STR(at_str(t, 0, buf), "198.18.0.10");
  CHECK_STR(last_str(t, buf), "198.18.0.20");
  vigie_targets_free(t);
  t = make1("198.18.0.250-198.18.1.5", true);
  REQUIRE(t != NULL);
  CHECK(vigie_targets_count4(t) == 12);
  CHECK_STR(at_str(t, 6, buf), "198.18.1.0");
  vigie_targets_free(t);
  t = make1("198.18.0.5-9", true);
  REQUIRE(t != NULL);
  CHECK(vigie_targets_count4(t) == 5);
  CHECK_STR(last_str(t, buf), "198.18.0.9");
  vigie_targets_free(t);
  t = make1("198.18.0.5-5", true);
  REQUIRE(t != NULL);
  CHECK(vigie_targets_count4(t) == 1);
  vigie_targets_free(t);
}

TEST(ranges6) {
  char buf[46];
  vigie_targets *t = make1("fd00::1-fd00::10", true);
  REQUIRE(t != NULL);
  CHECK(vigie_targets_count6(t) == 16);
  CHECK_STR(last_str(t, buf), "fd00::10");
  vigie_targets_free(t);
  t = make1("fd00::ffff-fd00::1:1", true);
  REQUIRE(t != NULL);
  CHECK(vigie_targets_count6(t) == 3);
  CHECK_STR(at_str(t, 1, buf), "fd00::1:0");
  vigie_targets_free(t);
}

TEST(host_names_kept) {
  static const char *const tokens[] = {"Host.Example", "pacs-01.chu.example",   "host.example",
                                       "intranet.",    "xn--bcher-kva.example", "198.18.0.1"};
  size_t n = 0;
  vigie_targets *t = make(tokens, 6, true);
  REQUIRE(t != NULL);
  const char *const *names = vigie_targets_names(t, &n);
  REQUIRE(n == 4);
  CHECK_STR(names[0], "Host.Example"); /* first spelling kept, case-insensitive */
  CHECK_STR(names[1], "pacs-01.chu.example");
  CHECK_STR(names[2], "intranet.");
  CHECK_STR(names[3], "xn--bcher-kva.example");
  CHECK(vigie_targets_count4(t) == 1);
  vigie_targets_free(t);
}

TEST(many_names) {
  char name[64];
  size_t n = 0;
  vigie_error err;
  vigie_targets *t = vigie_targets_new();
  REQUIRE(t != NULL);
  for (int pass = 0; pass < 2; pass++) {
    for (int i = 0; i < 3000; i++) {
      snprintf(name, sizeof name, "host%d.example", i);
      CHECK(vigie_targets_add(t, name, &err) == VIGIE_OK);
    }
  }
  const char *const *names = vigie_targets_names(t, &n);
  CHECK(n == 3000);
  CHECK_STR(names[2999], "host2999.example");
  vigie_targets_free(t);
}

TEST(merge_overlaps) {
  static const char *const tokens[] = {
      "198.18.0.0/24", "198.18.0.10-198.18.1.5", "198.18.0.7",      "198.18.1.6", "198.18.0.7",
      "198.18.3.0/24", "fd00::1-fd00::5",        "fd00::3-fd00::9", "fd00::a"};
  size_t n4 = 0, n6 = 0;
  vigie_targets *t = make(tokens, 9, true);
  REQUIRE(t != NULL);
  const vigie_range4 *r4 = vigie_targets_ranges4(t, &n4);
  const vigie_range6 *r6 = vigie_targets_ranges6(t, &n6);
  REQUIRE(n4 == 2 && n6 == 1);
  CHECK(r4[0].first == 0xc6120000u && r4[0].last == 0xc6120106u); /* .0.0 - .1.6 */
  CHECK(r4[1].first == 0xc6120300u && r4[1].last == 0xc61203ffu);
  CHECK(vigie_targets_count4(t) == 263 + 256);
  CHECK(r6[0].first == U128(0xfd00000000000000u, 1) && r6[0].last == U128(0xfd00000000000000u, 10));
  CHECK(vigie_targets_count6(t) == 10);
  vigie_targets_free(t);
}

/* Exclude tokens from a /24 and return the count left, or -1. */
static long long count_after(const char *const *excl, size_t n, vigie_targets **keep) {
  vigie_error err;
  vigie_targets *t = vigie_targets_new();
  long long count = -1;
  if (t == NULL || vigie_targets_add(t, "198.18.0.0/24", &err) != VIGIE_OK) goto done;
  for (size_t i = 0; i < n; i++)
    if (vigie_targets_exclude(t, excl[i], &err) != VIGIE_OK) goto done;
  if (vigie_targets_finalize(t, &err) != VIGIE_OK) goto done;
  count = (long long)vigie_targets_count4(t);
done:
  if (keep != NULL && count >= 0) {
    *keep = t;
    return count;
  }
  vigie_targets_free(t);
  return count;
}

TEST(exclusions) {
  static const char *const one[] = {"198.18.0.7"};
  static const char *const cidr[] = {"198.18.0.128/25"};
  static const char *const range[] = {"198.18.0.10-198.18.0.19"};
  static const char *const last[] = {"198.18.0.250-255"};
  static const char *const all[] = {"198.18.0.0/16"};
  static const char *const mix[] = {"198.18.0.0/26", "198.18.0.64-198.18.0.127", "198.18.0.200"};
  CHECK(count_after(one, 1, NULL) == 255);
  CHECK(count_after(cidr, 1, NULL) == 128);
  CHECK(count_after(range, 1, NULL) == 246);
  CHECK(count_after(last, 1, NULL) == 250);
  CHECK(count_after(all, 1, NULL) == 0);
  CHECK(count_after(mix, 3, NULL) == 127);
}

TEST(exclusion_splits_range) {
  static const char *const middle[] = {"198.18.0.100-198.18.0.199"};
  vigie_targets *t = NULL;
  size_t n = 0;
  char buf[46];
  CHECK(count_after(middle, 1, &t) == 156);
  REQUIRE(t != NULL);
  const vigie_range4 *r = vigie_targets_ranges4(t, &n);
  REQUIRE(n == 2);
  CHECK(r[0].first == 0xc6120000u && r[0].last == 0xc6120063u);
  CHECK(r[1].first == 0xc61200c8u && r[1].last == 0xc61200ffu);
  CHECK_STR(at_str(t, 99, buf), "198.18.0.99");
  CHECK_STR(at_str(t, 100, buf), "198.18.0.200");
  CHECK_STR(at_str(t, 155, buf), "198.18.0.255");
  CHECK_STR(at_str(t, 156, buf), "(none)");
  vigie_addr a = addr4(0xc6120064u);
  CHECK(vigie_targets_is_excluded(t, &a));
  a = addr4(0xc61200c8u);
  CHECK(!vigie_targets_is_excluded(t, &a));
  /* contains: both sides of the hole, its edges, and outside the set. */
  static const struct { uint32_t a; bool in; } probes[] = {
      {0xc6120000u, true}, {0xc6120063u, true}, {0xc6120064u, false}, {0xc61200c7u, false},
      {0xc61200c8u, true}, {0xc61200ffu, true}, {0xc6120100u, false}, {0xc611ffffu, false}};
  for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
    a = addr4(probes[i].a);
    CHECKF(vigie_targets_contains(t, &a) == probes[i].in, "0x%08x", probes[i].a);
  }
  a = addr6(1);
  CHECK(!vigie_targets_contains(t, &a));
  vigie_targets_free(t);
}

TEST(exclude_everything) {
  vigie_error err;
  vigie_addr a;
  vigie_targets *t = vigie_targets_new();
  REQUIRE(t != NULL);
  CHECK(vigie_targets_add(t, "198.18.0.0/15", &err) == VIGIE_OK);
  CHECK(vigie_targets_add(t, "fd00::/64", &err) == VIGIE_OK);
  CHECK(vigie_targets_exclude(t, "0.0.0.0/0", &err) == VIGIE_OK);
  CHECK(vigie_targets_exclude(t, "::/0", &err) == VIGIE_OK);
  CHECK(vigie_targets_finalize(t, &err) == VIGIE_OK);
  CHECK(vigie_targets_count4(t) == 0);
  CHECK(vigie_targets_count6(t) == 0);
  CHECK(!vigie_targets_at(t, 0, &a));
  vigie_targets_free(t);
}

TEST(exclusions_v6) {
  vigie_error err;
  char buf[46];
  vigie_targets *t = vigie_targets_new();
  REQUIRE(t != NULL);
  CHECK(vigie_targets_add(t, "fd00::/120", &err) == VIGIE_OK);
  CHECK(vigie_targets_exclude(t, "fd00::/121", &err) == VIGIE_OK);
  CHECK(vigie_targets_exclude(t, "fd00::ff", &err) == VIGIE_OK);
  CHECK(vigie_targets_exclude(t, "fd00::90-fd00::9f", &err) == VIGIE_OK);
  CHECK(vigie_targets_finalize(t, &err) == VIGIE_OK);
  CHECK(vigie_targets_count6(t) == 128 - 1 - 16);
  CHECK_STR(at_str(t, 0, buf), "fd00::80");
  CHECK_STR(at_str(t, 16, buf), "fd00::a0");
  vigie_addr a = addr6(U128(0xfd00000000000000u, 0x95));
  CHECK(vigie_targets_is_excluded(t, &a));
  vigie_targets_free(t);
}

TEST(exclude_name_refused) {
  vigie_error err;
  vigie_targets *t = vigie_targets_new();
  REQUIRE(t != NULL);
  CHECK(vigie_targets_exclude(t, "pacs.chu.example", &err) == VIGIE_ESYNTAX);
  CHECK(msg_quotes(&err, "pacs.chu.example"));
  CHECK(msg_has(&err, "exclusion"));
  CHECK(msg_has(&err, "host names cannot be excluded"));
  CHECK(vigie_targets_exclude(t, "198.18.0.1/33", &err) == VIGIE_ERANGE);
  CHECKF(msg_has(&err, "exclusion \"198.18.0.1/33\""), "%s", err.msg);
  vigie_targets_free(t);
}

TEST(reserved_default_and_lifted) {
  static const char *const tokens[] = {
      "224.0.0.1", "255.255.255.255", "0.0.0.0", "198.18.0.1", "ff02::1",
      "::",        "2001:db8::1",     "fd00::1"};
  vigie_targets *t = make(tokens, 8, true);
  REQUIRE(t != NULL);
  CHECK(vigie_targets_count4(t) == 1);
  CHECK(vigie_targets_count6(t) == 1);
  vigie_targets_free(t);
  t = make(tokens, 8, false);
  REQUIRE(t != NULL);
  CHECK(vigie_targets_count4(t) == 4);
  CHECK(vigie_targets_count6(t) == 4);
  vigie_targets_free(t);
  /* 0/8, three TEST-NETs, 224/4 and 240/4 gone from the whole IPv4 space. */
  t = make1("0.0.0.0/0", true);
  REQUIRE(t != NULL);
  CHECK(vigie_targets_count4(t) == 4294967296u - 16777216u - 3 * 256 - 2 * 268435456u);
  vigie_addr a;
  CHECK(vigie_targets_at(t, 0, &a) && a.v4 == 0x01000000u);
  vigie_targets_free(t);
}

TEST(reserved_is_excluded) {
  static const uint32_t excluded4[] = {0x00000000u, 0x00ffffffu, 0xc0000201u,
                                       0xc6336401u, 0xcb007101u, 0xe0000001u,
                                       0xefffffffu, 0xf0000001u, 0xffffffffu};
  /* loopback, 10/8, 172.16/12, 192.168/16, 198.18/15 and 100.64/10 stay scannable */
  static const uint32_t kept4[] = {0x7f000001u, 0x0a000001u, 0xac100001u, 0xc0a80101u, 0xc6120001u,
                                   0xc613ffffu, 0x64400001u, 0xdfffffffu, 0x01000000u};
  vigie_targets *t = vigie_targets_new();
  REQUIRE(t != NULL);
  for (size_t i = 0; i < sizeof excluded4 / sizeof excluded4[0]; i++) {
    vigie_addr a = addr4(excluded4[i]);
    CHECKF(vigie_targets_is_excluded(t, &a), "0x%08x", excluded4[i]);
  }
  for (size_t i = 0; i < sizeof kept4 / sizeof kept4[0]; i++) {
    vigie_addr a = addr4(kept4[i]);
    CHECKF(!vigie_targets_is_excluded(t, &a), "0x%08x", kept4[i]);
  }
  vigie_addr v6[] = {addr6(0), addr6(U128(0, 0xffff0a000001u)), addr6(U128(0x20010db800000000u, 1)),
                     addr6(U128(0xff02000000000000u, 1))};
  for (size_t i = 0; i < sizeof v6 / sizeof v6[0]; i++) CHECK(vigie_targets_is_excluded(t, &v6[i]));
  vigie_addr ok6[] = {addr6(1), addr6(U128(0xfd00000000000000u, 1)),
                      addr6(U128(0xfe80000000000000u, 1)), addr6(U128(0x20010db900000000u, 0))};
  for (size_t i = 0; i < sizeof ok6 / sizeof ok6[0]; i++)
    CHECK(!vigie_targets_is_excluded(t, &ok6[i]));
  vigie_targets_set_exclude_reserved(t, false);
  CHECK(!vigie_targets_is_excluded(t, &v6[3]));
  vigie_addr a = addr4(0xffffffffu);
  CHECK(!vigie_targets_is_excluded(t, &a));
  vigie_targets_free(t);
}

TEST(target_file) {
  static const char content[] =
      "# lab targets\n"
      "198.18.0.1, 198.18.0.2   # two hosts\n"
      "\n"
      "198.18.1.0/30,fd00::1\r\n"
      "pacs.chu.example\t198.18.0.2#same again\n"
      "# the end, no newline after";
  char path[64], buf[46];
  size_t n = 0;
  vigie_error err;
  vigie_targets *t = vigie_targets_new();
  REQUIRE(t != NULL);
  REQUIRE(write_temp(path, content));
  CHECKF(vigie_targets_add_file(t, path, &err) == VIGIE_OK, "%s", err.msg);
  CHECK(vigie_targets_finalize(t, &err) == VIGIE_OK);
  CHECK(vigie_targets_count4(t) == 6);
  CHECK(vigie_targets_count6(t) == 1);
  const char *const *names = vigie_targets_names(t, &n);
  CHECK(n == 1 && strcmp(names[0], "pacs.chu.example") == 0);
  CHECK_STR(at_str(t, 6, buf), "fd00::1");
  unlink(path);
  vigie_targets_free(t);
}

TEST(target_file_errors) {
  static const char bad[] = "198.18.0.1\n# a comment\n\n198.18.0.2, 198.18.0.999 198.18.0.3\n";
  char path[64], where[80];
  vigie_error err;
  vigie_targets *t = vigie_targets_new();
  REQUIRE(t != NULL);
  REQUIRE(write_temp(path, bad));
  CHECK(vigie_targets_add_file(t, path, &err) == VIGIE_ERANGE);
  snprintf(where, sizeof where, "%s:4: ", path);
  CHECKF(msg_has(&err, where), "%s", err.msg);
  CHECKF(msg_quotes(&err, "198.18.0.999"), "%s", err.msg);
  CHECK(vigie_targets_exclude_file(t, path, &err) == VIGIE_ERANGE);
  CHECKF(msg_has(&err, where) && msg_has(&err, "exclusion \"198.18.0.999\""), "%s", err.msg);
  unlink(path);
  CHECK(vigie_targets_add_file(t, path, &err) == VIGIE_ENOENT);
  CHECK(msg_has(&err, path));
  vigie_targets_free(t);
}

TEST(exclude_file) {
  static const char content[] =
      "# do not touch\n198.18.0.0/25,198.18.0.200-198.18.0.209\n"
      "fd00::/126 # v6 too\n";
  char path[64];
  vigie_error err;
  vigie_targets *t = vigie_targets_new();
  REQUIRE(t != NULL);
  REQUIRE(write_temp(path, content));
  CHECK(vigie_targets_add(t, "198.18.0.0/24", &err) == VIGIE_OK);
  CHECK(vigie_targets_add(t, "fd00::/120", &err) == VIGIE_OK);
  CHECKF(vigie_targets_exclude_file(t, path, &err) == VIGIE_OK, "%s", err.msg);
  CHECK(vigie_targets_finalize(t, &err) == VIGIE_OK);
  CHECK(vigie_targets_count4(t) == 256 - 128 - 10);
  CHECK(vigie_targets_count6(t) == 256 - 4);
  unlink(path);
  vigie_targets_free(t);
}

TEST(at_order_and_bounds) {
  static const char *const tokens[] = {"fd00::1", "198.18.0.9", "198.18.0.1"};
  char buf[46];
  vigie_addr a;
  vigie_targets *t = make(tokens, 3, true);
  REQUIRE(t != NULL);
  CHECK_STR(at_str(t, 0, buf), "198.18.0.1"); /* IPv4 first, ascending */
  CHECK_STR(at_str(t, 1, buf), "198.18.0.9");
  CHECK_STR(at_str(t, 2, buf), "fd00::1");
  CHECK(!vigie_targets_at(t, 3, &a));
  CHECK(!vigie_targets_at(t, ~(vigie_u128)0, &a));
  CHECK(!vigie_targets_at(t, (vigie_u128)1 << 64, &a));
  vigie_targets_free(t);
  t = make(NULL, 0, true);
  REQUIRE(t != NULL);
  CHECK(!vigie_targets_at(t, 0, &a));
  CHECK(vigie_targets_count4(t) == 0 && vigie_targets_count6(t) == 0);
  vigie_targets_free(t);
}

TEST(finalize_again) {
  vigie_error err;
  vigie_targets *t = make1("198.18.0.0/30", true);
  REQUIRE(t != NULL);
  CHECK(vigie_targets_count4(t) == 4);
  CHECK(vigie_targets_add(t, "198.18.0.4-198.18.0.7", &err) == VIGIE_OK);
  CHECK(vigie_targets_exclude(t, "198.18.0.0", &err) == VIGIE_OK);
  CHECK(vigie_targets_finalize(t, &err) == VIGIE_OK);
  CHECK(vigie_targets_count4(t) == 7);
  size_t n = 0;
  vigie_targets_ranges4(t, &n);
  CHECK(n == 1);
  vigie_targets_free(t);
}

TEST(addr_format) {
  char buf[46];
  vigie_addr a = addr4(0x7f000001u);
  CHECK_STR(vigie_addr_format(&a, buf, sizeof buf), "127.0.0.1");
  a = addr6(U128(0xfd00000000000000u, 0x0000000000000001u));
  CHECK_STR(vigie_addr_format(&a, buf, sizeof buf), "fd00::1");
  a = addr6(~(vigie_u128)0);
  CHECK_STR(vigie_addr_format(&a, buf, sizeof buf), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  a = addr6(U128(0xfd00000000010000u, 0x0000000100000000u)); /* the first longest run */
  CHECK_STR(vigie_addr_format(&a, buf, sizeof buf), "fd00:0:1::1:0:0");
  a.family = 0;
  CHECK_STR(vigie_addr_format(&a, buf, sizeof buf), "");
  a = addr6(U128(0xfd00000000000000u, 1));
  CHECK_STR(vigie_addr_format(&a, buf, 4), ""); /* too small: empty, never cut */
}

typedef struct bad_case {
  const char *token;
  vigie_status status;
} bad_case;

static const bad_case bad_targets[] = {
    {"", VIGIE_ESYNTAX},
    {"198.18.0", VIGIE_ESYNTAX},
    {"198.18.0.1.5", VIGIE_ESYNTAX},
    {"198.18..1", VIGIE_ESYNTAX},
    {"198.18.0.256", VIGIE_ERANGE},
    {"198.18.300.1", VIGIE_ERANGE},
    {"198.18.0.1000", VIGIE_ERANGE},
    {"198.18.0.010", VIGIE_ESYNTAX},
    {"198.18.0.1/33", VIGIE_ERANGE},
    {"198.18.0.1/", VIGIE_ESYNTAX},
    {"198.18.0.1/+8", VIGIE_ESYNTAX},
    {"198.18.0.1/-8", VIGIE_ESYNTAX},
    {"198.18.0.0/08", VIGIE_ESYNTAX},
    {"198.18.0.1/24x", VIGIE_ESYNTAX},
    {"198.18.0.1/24/8", VIGIE_ESYNTAX},
    {"198.18.0.5-198.18.0.4", VIGIE_ERANGE},
    {"198.18.0.5-4", VIGIE_ERANGE},
    {"198.18.0.5-256", VIGIE_ERANGE},
    {"198.18.0.5-", VIGIE_ESYNTAX},
    {"-198.18.0.5", VIGIE_ESYNTAX},
    {"198.18.0.1-198.18.0.5-198.18.0.9", VIGIE_ESYNTAX},
    {"198.18.0.1 ", VIGIE_ESYNTAX},
    {"198.18.0.1-::1", VIGIE_ESYNTAX},
    {"fd00::1-198.18.0.1", VIGIE_ESYNTAX},
    {"fd00::5-fd00::4", VIGIE_ERANGE},
    {"fd00::1-5", VIGIE_ESYNTAX},
    {"fd00::1-", VIGIE_ESYNTAX},
    {"::/129", VIGIE_ERANGE},
    {"fd00::/64/2", VIGIE_ESYNTAX},
    {"fd00::1::2", VIGIE_ESYNTAX},
    {"fd00::g", VIGIE_ESYNTAX},
    {"fd00:1:2:3:4:5:6:7:8", VIGIE_ESYNTAX},
    {"fe80::1%eth0", VIGIE_ESYNTAX},
    {"[::1]", VIGIE_ESYNTAX},
    {"host_name.example", VIGIE_ESYNTAX},
    {"bad name", VIGIE_ESYNTAX},
    {"-host.example", VIGIE_ESYNTAX},
    {"host-.example", VIGIE_ESYNTAX},
    {"a..example", VIGIE_ESYNTAX},
    {".example", VIGIE_ESYNTAX},
    {"pacs.example/24", VIGIE_ESYNTAX},
    {"h\xc3\xb4pital.example", VIGIE_ESYNTAX},
    {"..", VIGIE_ESYNTAX},
    {"-", VIGIE_ESYNTAX},
    {"198.18.0.1-198.18.0.x", VIGIE_ESYNTAX},
    {"pacs.example.123", VIGIE_ESYNTAX},
};

TEST(malformed_targets) {
  vigie_error err;
  vigie_targets *t = vigie_targets_new();
  size_t n = sizeof bad_targets / sizeof bad_targets[0];
  REQUIRE(t != NULL);
  CHECK(n >= 25);
  for (size_t i = 0; i < n; i++) {
    const bad_case *c = &bad_targets[i];
    vigie_error_clear(&err);
    vigie_status status = vigie_targets_add(t, c->token, &err);
    CHECKF(status == c->status, "\"%s\": status %d, want %d (%s)", c->token, (int)status,
           (int)c->status, err.msg);
    /* Non-ASCII bytes are shown as '?' in messages. */
    const char *shown = strchr(c->token, '\xc3') != NULL ? "h??pital.example" : c->token;
    CHECKF(msg_quotes(&err, shown) && strncmp(err.msg, "target \"", 8) == 0, "\"%s\": %s", c->token,
           err.msg);
  }
  CHECK(vigie_targets_finalize(t, &err) == VIGIE_OK);
  CHECK(total(t) == 0); /* nothing half-added */
  vigie_targets_free(t);
}

TEST(malformed_long_names) {
  char label[80], name[300];
  vigie_error err;
  vigie_targets *t = vigie_targets_new();
  REQUIRE(t != NULL);
  memset(label, 'a', 64);
  strcpy(label + 64, ".example");
  CHECK(vigie_targets_add(t, label, &err) == VIGIE_ESYNTAX);
  CHECKF(msg_quotes(&err, label) && msg_has(&err, "63"), "%s", err.msg);
  label[63] = '.'; /* 63 is fine */
  memmove(label + 64, label + 65, strlen(label + 65) + 1);
  CHECKF(vigie_targets_add(t, label, &err) == VIGIE_OK, "%s", err.msg);
  for (int i = 0; i < 254; i++) name[i] = (i % 10 == 9) ? '.' : 'b';
  name[254] = '\0';
  CHECK(vigie_targets_add(t, name, &err) == VIGIE_ESYNTAX);
  CHECKF(msg_quotes(&err, name) && msg_has(&err, "253"), "%s", err.msg);
  name[253] = '\0'; /* 253 characters, then with the final dot */
  CHECKF(vigie_targets_add(t, name, &err) == VIGIE_OK, "%s", err.msg);
  name[253] = '.';
  CHECKF(vigie_targets_add(t, name, &err) == VIGIE_OK, "%s", err.msg);
  vigie_targets_free(t);
}

TEST(null_arguments) {
  vigie_error err;
  vigie_targets *t = vigie_targets_new();
  REQUIRE(t != NULL);
  CHECK(vigie_targets_add(NULL, "198.18.0.1", &err) == VIGIE_EINVAL);
  CHECK(vigie_targets_add(t, NULL, &err) == VIGIE_EINVAL);
  CHECK(vigie_targets_add(t, "198.18.0.1/40", NULL) == VIGIE_ERANGE);
  CHECK(!vigie_targets_is_excluded(t, NULL));
  vigie_targets_free(t);
  vigie_targets_free(NULL);
}

TEST_MAIN(TEST_CASE_ENTRY(ipv4_single), TEST_CASE_ENTRY(ipv6_forms),
          TEST_CASE_ENTRY(ipv6_v4_mapped), TEST_CASE_ENTRY(cidr4_boundaries),
          TEST_CASE_ENTRY(cidr6_boundaries), TEST_CASE_ENTRY(cidr6_everything),
          TEST_CASE_ENTRY(ranges4), TEST_CASE_ENTRY(ranges6), TEST_CASE_ENTRY(host_names_kept),
          TEST_CASE_ENTRY(many_names), TEST_CASE_ENTRY(merge_overlaps), TEST_CASE_ENTRY(exclusions),
          TEST_CASE_ENTRY(exclusion_splits_range), TEST_CASE_ENTRY(exclude_everything),
          TEST_CASE_ENTRY(exclusions_v6), TEST_CASE_ENTRY(exclude_name_refused),
          TEST_CASE_ENTRY(reserved_default_and_lifted), TEST_CASE_ENTRY(reserved_is_excluded),
          TEST_CASE_ENTRY(target_file), TEST_CASE_ENTRY(target_file_errors),
          TEST_CASE_ENTRY(exclude_file), TEST_CASE_ENTRY(at_order_and_bounds),
          TEST_CASE_ENTRY(finalize_again), TEST_CASE_ENTRY(addr_format),
          TEST_CASE_ENTRY(malformed_targets), TEST_CASE_ENTRY(malformed_long_names),
          TEST_CASE_ENTRY(null_arguments))
