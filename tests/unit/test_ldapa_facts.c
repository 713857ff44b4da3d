/* The directory facts: the pure parsers (binary SIDs, FILETIME,
 * GeneralizedTime) with well-formed and hostile vectors, then the facts
 * computed on small hand-built models. */
#include <openssl/evp.h>
#include <openssl/x509.h>
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
  CHECK(sid_status(b, 7) == VIGIE_ESYNTAX);                            /* short header */
  CHECK(sid_status(b, sizeof sid_domain_admins - 1) == VIGIE_ESYNTAX); /* truncated */
  CHECK(sid_status(b, sizeof sid_domain_admins + 1) == VIGIE_ESYNTAX); /* trailing byte */
  b[0] = 2;
  CHECK(sid_status(b, sizeof sid_domain_admins) == VIGIE_ESYNTAX); /* revision */
  b[0] = 1;
  b[1] = 0;
  CHECK(sid_status(b, 8) == VIGIE_ESYNTAX); /* no RID */
  memset(b + 8, 0, 64);
  b[1] = 16;
  CHECK(sid_status(b, 8 + 64) == VIGIE_ESYNTAX); /* over 15 */
  b[1] = 255;
  CHECK(sid_status(b, sizeof b) == VIGIE_ESYNTAX); /* count lies */
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
  const char *bad[] = {"-864000000000",
                       "-9223372036854775808",
                       "",
                       "abc",
                       "12x",
                       " 1",
                       "+1",
                       "99999999999999999999",
                       "1.5",
                       "0x10"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CHECKF(ldapa_filetime_parse(bad[i], &t) == VIGIE_ESYNTAX, "\"%s\"", bad[i]);
  CHECK(ldapa_filetime_parse(NULL, &t) == VIGIE_ESYNTAX);
  CHECK(t == 42);
}

TEST(gentime_forms) {
  struct {
    const char *text;
    time_t want;
  } ok[] = {
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
  const char *bad[] = {"",
                       "2020",
                       "20200101000000",
                       "20200101000000.Z",
                       "20200101000000Zjunk",
                       "20201301000000Z",
                       "20200001000000Z",
                       "20190229120000Z",
                       "20200431000000Z",
                       "20200101240000Z",
                       "20200101006000Z",
                       "20200101000061Z",
                       "20200101000000+2400",
                       "2020010100000Z",
                       "20200101000000+1",
                       "2020-01-01T00:00:00Z",
                       "20200101000000.0z",
                       "20200101000000+0160"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    time_t t = 42;
    CHECKF(ldapa_gentime_parse(bad[i], &t) == VIGIE_ESYNTAX && t == 42, "\"%s\"", bad[i]);
  }
  time_t t = 0;
  CHECK(ldapa_gentime_parse(NULL, &t) == VIGIE_ESYNTAX);
}

/* ------------------------------------------------------------ AD facts on a small model */

/* Binary SID S-1-5-21-1-2-3-rid (or S-1-5-32-rid when builtin) into b (28 bytes). */
static size_t make_sid(unsigned char *b, uint32_t rid, bool builtin) {
  static const unsigned char dom[] = {1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0,
                                      1, 0, 0, 0, 2, 0, 0, 0, 3,  0, 0, 0};
  static const unsigned char bi[] = {1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0};
  size_t n = builtin ? sizeof bi : sizeof dom;
  memcpy(b, builtin ? bi : dom, n);
  for (int i = 0; i < 4; i++) b[n + (size_t)i] = (unsigned char)(rid >> (8 * i));
  return n + 4;
}

static ldapa_obj *add_obj(ldapa_dir *dir, ldapa_set set, const char *dn, uint32_t rid,
                          bool builtin) {
  ldapa_obj *o = ldapa_dir_entry(dir, dn, NULL);
  unsigned char sid[28];
  size_t n = make_sid(sid, rid, builtin);
  ldapa_obj_add(dir, o, "objectSid", sid, n, NULL);
  ldapa_dir_add_to_set(dir, set, o, NULL);
  if (set == LDAPA_SET_USERS || set == LDAPA_SET_COMPUTERS)
    ldapa_dir_add_to_set(dir, LDAPA_SET_ACCOUNTS, o, NULL);
  return o;
}

static ldapa_obj *add_account(ldapa_dir *dir, const char *dn, uint32_t rid, const char *uac) {
  ldapa_obj *o = add_obj(dir, LDAPA_SET_USERS, dn, rid, false);
  ldapa_obj_add_str(dir, o, "objectClass", "user", NULL);
  ldapa_obj_add_str(dir, o, "userAccountControl", uac, NULL);
  ldapa_obj_add_str(dir, o, "primaryGroupID", "513", NULL);
  return o;
}

static ldapa_obj *add_group(ldapa_dir *dir, const char *dn, const char *name, uint32_t rid,
                            bool builtin) {
  ldapa_obj *o = add_obj(dir, LDAPA_SET_GROUPS, dn, rid, builtin);
  ldapa_obj_add_str(dir, o, "sAMAccountName", name, NULL);
  return o;
}

static bool fact_is(const ldapa_obj *o, const char *fact, const char *want) {
  const char *v = ldapa_obj_first(o, fact);
  if (v == NULL || strcmp(v, want) != 0)
    printf("# %s: %s = %s, wanted %s\n", ldapa_obj_dn(o), fact, v ? v : "(absent)", want);
  return v != NULL && strcmp(v, want) == 0;
}

static bool has_fact_value(const ldapa_obj *o, const char *fact, const char *want) {
  const ldapa_value *v = NULL;
  size_t n = ldapa_obj_values(o, fact, &v);
  for (size_t i = 0; i < n; i++)
    if (strcmp(v[i].data, want) == 0) return true;
  return false;
}

/* A domain with nested groups, a cycle, primary-group membership, a DC and
 * RID 500 in Domain Admins. */
typedef struct ad_model {
  ldapa_dir *dir;
  ldapa_obj *alice, *bob, *carol, *dc, *admin, *da, *nested, *loop, *builtin;
} ad_model;

static ad_model build_model(void) {
  ad_model m = {.dir = ldapa_dir_new()};
  ldapa_dir *d = m.dir;
  add_obj(d, LDAPA_SET_DOMAIN, "DC=lab,DC=test", 0, false);
  ldapa_obj *dom = ldapa_dir_find(d, "DC=lab,DC=test");
  unsigned char sid[28];
  make_sid(sid, 0, false);
  sid[1] = 4; /* the domain's own SID has no RID */
  ldapa_obj_clear(dom, "objectSid");
  ldapa_obj_add(d, dom, "objectSid", sid, 24, NULL); /* S-1-5-21-1-2-3 */
  m.da = add_group(d, "CN=Domain Admins,DC=lab,DC=test", "Domain Admins", 512, false);
  m.builtin =
      add_group(d, "CN=Administrators,CN=Builtin,DC=lab,DC=test", "Administrators", 544, true);
  m.nested = add_group(d, "CN=Nested,DC=lab,DC=test", "Nested", 1100, false);
  m.loop = add_group(d, "CN=Loop,DC=lab,DC=test", "Loop", 1101, false);
  ldapa_obj *pu = add_group(d, "CN=Protected Users,DC=lab,DC=test", "Protected Users", 525, false);
  add_group(d, "CN=Domain Users,DC=lab,DC=test", "Domain Users", 513, false);
  m.alice = add_account(d, "CN=alice,DC=lab,DC=test", 1200, "512");
  m.bob = add_account(d, "CN=bob,DC=lab,DC=test", 1201, "512");
  ldapa_obj_clear(m.bob, "primaryGroupID");
  ldapa_obj_add_str(d, m.bob, "primaryGroupID", "512", NULL);
  m.carol = add_account(d, "CN=carol,DC=lab,DC=test", 1202, "514");
  m.admin = add_account(d, "CN=Administrator,DC=lab,DC=test", 500, "66048");
  m.dc = add_obj(d, LDAPA_SET_COMPUTERS, "CN=DC1,DC=lab,DC=test", 1000, false);
  ldapa_obj_add_str(d, m.dc, "objectClass", "computer", NULL);
  ldapa_obj_add_str(d, m.dc, "userAccountControl", "532480", NULL);
  ldapa_obj_add_str(d, m.dc, "operatingSystem", "Windows Server 2019 Standard", NULL);
  ldapa_obj_add_str(d, m.builtin, "member", "CN=Domain Admins,DC=lab,DC=test", NULL);
  ldapa_obj_add_str(d, m.da, "member", "cn=nested,dc=lab,dc=test", NULL); /* DNs ignore case */
  ldapa_obj_add_str(d, m.da, "member", "CN=Administrator,DC=lab,DC=test", NULL);
  ldapa_obj_add_str(d, m.da, "member", "CN=DC1,DC=lab,DC=test", NULL);
  ldapa_obj_add_str(d, m.da, "member", "CN=S-1-5-11,CN=ForeignSecurityPrincipals,DC=lab,DC=test",
                    NULL);
  ldapa_obj_add_str(d, m.nested, "member", "CN=Loop,DC=lab,DC=test", NULL);
  ldapa_obj_add_str(d, m.loop, "member", "CN=Nested,DC=lab,DC=test", NULL);
  ldapa_obj_add_str(d, m.loop, "member", "CN=alice,DC=lab,DC=test", NULL);
  ldapa_obj_add_str(d, pu, "member", "CN=alice,DC=lab,DC=test", NULL);
  ldapa_dir_set_time(d, 1767225600); /* 2026-01-01 */
  return m;
}

TEST(ad_privileged_membership_by_rid_through_nesting_cycles_and_primary_group) {
  ad_model m = build_model();
  vigie_error err = {0};
  REQUIRE(ldapa_facts_ad(m.dir, &err) == VIGIE_OK);
  CHECK(fact_is(m.alice, "privileged", "TRUE")); /* DA > Nested <> Loop > alice */
  CHECK(has_fact_value(m.alice, "privileged_groups", "Domain Admins"));
  CHECK(has_fact_value(m.alice, "privileged_groups", "Administrators")); /* BUILTIN 544 > DA */
  CHECK(fact_is(m.alice, "protected_user", "TRUE"));
  CHECK(fact_is(m.bob, "privileged", "TRUE")); /* primaryGroupID 512 */
  CHECK(fact_is(m.bob, "protected_user", "FALSE"));
  CHECK(fact_is(m.carol, "privileged", "FALSE"));
  CHECK(fact_is(m.dc, "privileged", "FALSE")); /* DCs excluded */
  CHECK(fact_is(m.dc, "is_dc", "TRUE"));
  CHECK(fact_is(m.dc, "is_server", "TRUE"));
  CHECK(fact_is(m.dc, "is_workstation", "FALSE"));
  CHECK(fact_is(m.admin, "privileged", "TRUE"));
  CHECK(fact_is(m.admin, "is_admin500", "TRUE"));
  CHECK(fact_is(m.carol, "enabled", "FALSE"));
  CHECK(fact_is(m.alice, "enabled", "TRUE"));
  CHECK(fact_is(m.alice, "sid", "S-1-5-21-1-2-3-1200"));
  CHECK(fact_is(m.alice, "rid", "1200"));
  ldapa_obj *dom = ldapa_dir_find(m.dir, "DC=lab,DC=test");
  CHECK(fact_is(dom, "privileged_count", "2")); /* alice, bob: not RID 500, not the DC */
  CHECK(fact_is(dom, "sid", "S-1-5-21-1-2-3"));
  CHECK(fact_is(m.da, "members_total", "4"));
  CHECK(fact_is(m.da, "members_recursive", "4")); /* admin, DC1, alice, bob */
  CHECK(fact_is(m.loop, "members_recursive", "1"));
  CHECK(fact_is(m.builtin, "members_recursive", "4"));
  /* Idempotent: a second run gives the same single values. */
  REQUIRE(ldapa_facts_ad(m.dir, &err) == VIGIE_OK);
  const ldapa_value *v = NULL;
  CHECK(ldapa_obj_values(m.alice, "privileged", &v) == 1);
  CHECK(ldapa_obj_values(m.alice, "privileged_groups", &v) == 2);
  ldapa_dir_free(m.dir);
}

/* FILETIME of a Unix time, as AD writes it. */
static void put_filetime(ldapa_dir *d, ldapa_obj *o, const char *attr, int64_t unix_time) {
  ldapa_obj_clear(o, attr);
  ldapa_obj_add_int(d, o, attr, (unix_time + 11644473600LL) * 10000000LL, NULL);
}

TEST(ad_dormant_and_logon_facts) {
  ad_model m = build_model();
  ldapa_dir *d = m.dir;
  const int64_t now = 1767225600, day = 86400;
  put_filetime(d, m.alice, "pwdLastSet", now - 4 * 365 * day);
  put_filetime(d, m.alice, "lastLogonTimestamp", now - 400 * day); /* dormant */
  put_filetime(d, m.bob, "pwdLastSet", now - 4 * 365 * day);
  put_filetime(d, m.bob, "lastLogonTimestamp", now - 30 * day); /* logged on lately */
  put_filetime(d, m.admin, "pwdLastSet", now - 4 * 365 * day);
  ldapa_obj_add_str(d, m.admin, "whenCreated", "20150101000000.0Z",
                    NULL);                                     /* never logged on, old */
  put_filetime(d, m.carol, "pwdLastSet", now - 4 * 365 * day); /* disabled: never dormant */
  ldapa_obj_add_str(d, m.dc, "lastLogonTimestamp", "0", NULL);
  vigie_error err = {0};
  REQUIRE(ldapa_facts_ad(d, &err) == VIGIE_OK);
  CHECK(fact_is(m.alice, "dormant", "TRUE"));
  CHECK(fact_is(m.alice, "never_logged_on", "FALSE"));
  CHECK(fact_is(m.bob, "dormant", "FALSE"));
  CHECK(fact_is(m.admin, "dormant", "TRUE"));
  CHECK(fact_is(m.admin, "never_logged_on", "TRUE"));
  CHECK(fact_is(m.carol, "dormant", "FALSE"));
  CHECK(fact_is(m.dc, "never_logged_on", "TRUE")); /* 0 is "never" */
  ldapa_dir_free(d);
}

TEST(ad_sid_history_privileged) {
  ad_model m = build_model();
  unsigned char sid[28];
  size_t n = make_sid(sid, 512, false);
  ldapa_obj_add(m.dir, m.alice, "sIDHistory", sid, n, NULL);
  n = make_sid(sid, 1500, false);
  ldapa_obj_add(m.dir, m.bob, "sIDHistory", sid, n, NULL);
  ldapa_obj_add(m.dir, m.carol, "sIDHistory", "\x01\x09garbage", 9, NULL); /* malformed: ignored */
  vigie_error err = {0};
  REQUIRE(ldapa_facts_ad(m.dir, &err) == VIGIE_OK);
  CHECK(fact_is(m.alice, "sid_history_privileged", "TRUE"));
  CHECK(fact_is(m.bob, "sid_history_privileged", "FALSE"));
  CHECK(fact_is(m.carol, "sid_history_privileged", "FALSE"));
  ldapa_dir_free(m.dir);
}

/* Delegated SPNs that name a DC by DNS name, short name or account name, or
 * krbtgt, make delegates_to_dc; others, and accounts without any delegation,
 * do not (the latter get no fact at all). */
TEST(ad_delegation_to_a_dc) {
  ad_model m = build_model();
  ldapa_obj_add_str(m.dir, m.dc, "dNSHostName", "DC1.lab.example.test", NULL);
  ldapa_dir_add_to_set(m.dir, LDAPA_SET_DCS, m.dc, NULL);
  ldapa_obj *by_fqdn = add_account(m.dir, "CN=fqdn,DC=t", 2001, "512");
  ldapa_obj *by_short = add_account(m.dir, "CN=short,DC=t", 2002, "512");
  ldapa_obj *by_krbtgt = add_account(m.dir, "CN=kdc,DC=t", 2003, "512");
  ldapa_obj *elsewhere = add_account(m.dir, "CN=web,DC=t", 2004, "512");
  ldapa_obj *prefix = add_account(m.dir, "CN=prefix,DC=t", 2005, "512");
  ldapa_obj_add_str(m.dir, by_fqdn, "msDS-AllowedToDelegateTo", "ldap/dc1.LAB.example.test/lab", NULL);
  ldapa_obj_add_str(m.dir, by_short, "msDS-AllowedToDelegateTo", "http/web01", NULL);
  ldapa_obj_add_str(m.dir, by_short, "msDS-AllowedToDelegateTo", "cifs/DC1:445", NULL);
  ldapa_obj_add_str(m.dir, by_krbtgt, "msDS-AllowedToDelegateTo", "krbtgt/LAB.EXAMPLE.TEST", NULL);
  ldapa_obj_add_str(m.dir, elsewhere, "msDS-AllowedToDelegateTo", "http/web01.lab.example.test", NULL);
  ldapa_obj_add_str(m.dir, prefix, "msDS-AllowedToDelegateTo", "cifs/dc10.lab.example.test", NULL);
  vigie_error err = {0};
  REQUIRE(ldapa_facts_ad(m.dir, &err) == VIGIE_OK);
  CHECK(fact_is(by_fqdn, "delegates_to_dc", "TRUE"));
  CHECK(fact_is(by_short, "delegates_to_dc", "TRUE"));
  CHECK(fact_is(by_krbtgt, "delegates_to_dc", "TRUE"));
  CHECK(fact_is(elsewhere, "delegates_to_dc", "FALSE"));
  CHECK(fact_is(prefix, "delegates_to_dc", "FALSE"));
  CHECK(ldapa_obj_first(m.alice, "delegates_to_dc") == NULL);
  REQUIRE(ldapa_facts_ad(m.dir, &err) == VIGIE_OK); /* idempotent */
  const ldapa_value *vals = NULL;
  CHECK(ldapa_obj_values(by_fqdn, "delegates_to_dc", &vals) == 1);
  ldapa_dir_free(m.dir);
}

TEST(ad_dns_zone_allow_update) {
  ldapa_dir *d = ldapa_dir_new();
  ldapa_obj *dom = ldapa_dir_entry(d, "DC=lab,DC=test", NULL);
  ldapa_dir_add_to_set(d, LDAPA_SET_DOMAIN, dom, NULL);
  const char *names[] = {"lab.test", "_msdcs.lab.test", "other.test"};
  ldapa_obj *z[3];
  for (int i = 0; i < 3; i++) {
    char dn[128];
    snprintf(dn, sizeof dn, "DC=%s,CN=MicrosoftDNS,DC=DomainDnsZones,DC=lab,DC=test", names[i]);
    z[i] = ldapa_dir_entry(d, dn, NULL);
    ldapa_obj_add_str(d, z[i], "dc", names[i], NULL);
    ldapa_dir_add_to_set(d, LDAPA_SET_DNS_ZONES, z[i], NULL);
  }
  /* DataLength 1, NameLength 1, Flag 0, Version 1, Id 2 (ALLOW_UPDATE), Data, Name. */
  unsigned char p[22] = {1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0};
  ldapa_obj_add(d, z[0], "dNSProperty", p, sizeof p, NULL);
  p[20] = 2;
  ldapa_obj_add(d, z[1], "dNSProperty", p, sizeof p, NULL);
  p[0] = 200; /* DataLength beyond the value: ignored */
  ldapa_obj_add(d, z[2], "dNSProperty", p, sizeof p, NULL);
  vigie_error err = {0};
  REQUIRE(ldapa_facts_ad(d, &err) == VIGIE_OK);
  CHECK(fact_is(z[0], "allow_update", "1"));
  CHECK(fact_is(z[0], "is_domain_zone", "TRUE"));
  CHECK(fact_is(z[1], "allow_update", "2"));
  CHECK(fact_is(z[1], "is_msdcs", "TRUE"));
  CHECK(ldapa_obj_first(z[2], "allow_update") == NULL);
  CHECK(fact_is(z[2], "is_domain_zone", "FALSE"));
  ldapa_dir_free(d);
}

TEST(openldap_password_schemes_and_redaction) {
  ldapa_dir *d = ldapa_dir_new();
  ldapa_obj *o = ldapa_dir_entry(d, "uid=a,dc=t", NULL);
  ldapa_dir_add_to_set(d, LDAPA_SET_ENTRIES, o, NULL);
  const char *pw[] = {
      "secret",  "{SSHA}abc", "{crypt}abDES12345678",    "{CRYPT}$6$s$h", "{CRYPT}$1$s$h",
      "{broken", "{}x",       "{PBKDF2-SHA512}10000$a$b"};
  const char *want[] = {"CLEAR",     "SSHA",  "CRYPT-DES", "CRYPT-SHA512",
                        "CRYPT-MD5", "CLEAR", "CLEAR",     "PBKDF2-SHA512"};
  for (size_t i = 0; i < 8; i++) ldapa_obj_add_str(d, o, "userPassword", pw[i], NULL);
  vigie_error err = {0};
  for (int round = 0; round < 2; round++) { /* idempotent */
    REQUIRE(ldapa_facts_openldap(d, &err) == VIGIE_OK);
    const ldapa_value *v = NULL;
    REQUIRE(ldapa_obj_values(o, "password_scheme", &v) == 8);
    for (size_t i = 0; i < 8; i++) CHECK_STR(v[i].data, want[i]);
    REQUIRE(ldapa_obj_values(o, "userPassword", &v) == 8);
    for (size_t i = 0; i < 8; i++)
      CHECK(strstr(v[i].data, "secret") == NULL && v[i].data[0] != '{');
  }
  ldapa_dir_free(d);
}

/* A self-signed RSA certificate of bits, signed with md, in DER (caller frees
 * with OPENSSL_free), or NULL. */
static unsigned char *make_cert(int bits, const EVP_MD *md, int *len) {
  EVP_PKEY *key = EVP_RSA_gen((unsigned)bits);
  X509 *x = X509_new();
  unsigned char *der = NULL;
  if (key != NULL && x != NULL) {
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"vigie test CA", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_set_pubkey(x, key);
    if (X509_sign(x, key, md) > 0) *len = i2d_X509(x, &der);
  }
  X509_free(x);
  EVP_PKEY_free(key);
  return der;
}

TEST(pki_certificate_facts) {
  ldapa_dir *d = ldapa_dir_new();
  ldapa_obj *ca = ldapa_dir_entry(d, "CN=NTAuthCertificates,CN=Public Key Services", NULL);
  ldapa_dir_add_to_set(d, LDAPA_SET_PKI_CAS, ca, NULL);
  int len1 = 0, len2 = 0;
  unsigned char *weak = make_cert(1024, EVP_sha1(), &len1),
                *good = make_cert(2048, EVP_sha256(), &len2);
  REQUIRE(weak != NULL && good != NULL);
  ldapa_obj_add(d, ca, "cACertificate", weak, (size_t)len1, NULL);
  ldapa_obj_add(d, ca, "cACertificate", good, (size_t)len2, NULL);
  ldapa_obj_add(d, ca, "cACertificate", "\x30\x82garbage", 9, NULL);
  unsigned char trailing[4096];
  memcpy(trailing, good, (size_t)len2);
  trailing[len2] = 0;
  ldapa_obj_add(d, ca, "cACertificate", trailing, (size_t)len2 + 1, NULL); /* a byte too many */
  vigie_error err = {0};
  for (int round = 0; round < 2; round++) { /* idempotent */
    REQUIRE(ldapa_facts_ad(d, &err) == VIGIE_OK);
    const ldapa_value *v = NULL;
    REQUIRE(ldapa_obj_values(ca, "decodable", &v) == 4);
    CHECK_STR(v[0].data, "TRUE");
    CHECK_STR(v[1].data, "TRUE");
    CHECK_STR(v[2].data, "FALSE");
    CHECK_STR(v[3].data, "FALSE");
    REQUIRE(ldapa_obj_values(ca, "key_bits", &v) == 2);
    CHECK_STR(v[0].data, "1024");
    CHECK_STR(v[1].data, "2048");
    REQUIRE(ldapa_obj_values(ca, "signature_hash", &v) == 2);
    CHECK_STR(v[0].data, "SHA1");
    CHECK_STR(v[1].data, "SHA256");
    REQUIRE(ldapa_obj_values(ca, "key_type", &v) == 2);
    CHECK_STR(v[0].data, "RSA");
  }
  OPENSSL_free(weak);
  OPENSSL_free(good);
  ldapa_dir_free(d);
}

TEST_MAIN(TEST_CASE_ENTRY(sid_well_formed_vectors),
          TEST_CASE_ENTRY(sid_authority_of_2_32_or_more_is_hex),
          TEST_CASE_ENTRY(sid_longest_fits_the_documented_buffer),
          TEST_CASE_ENTRY(sid_malformed_is_refused),
          TEST_CASE_ENTRY(sid_small_buffer_is_an_error_not_an_overflow),
          TEST_CASE_ENTRY(filetime_dates), TEST_CASE_ENTRY(filetime_zero_and_never_are_not_dates),
          TEST_CASE_ENTRY(filetime_negative_and_garbage_are_refused),
          TEST_CASE_ENTRY(gentime_forms), TEST_CASE_ENTRY(gentime_garbage_is_refused),
          TEST_CASE_ENTRY(ad_privileged_membership_by_rid_through_nesting_cycles_and_primary_group),
          TEST_CASE_ENTRY(ad_dormant_and_logon_facts), TEST_CASE_ENTRY(ad_sid_history_privileged),
          TEST_CASE_ENTRY(ad_delegation_to_a_dc), TEST_CASE_ENTRY(ad_dns_zone_allow_update),
          TEST_CASE_ENTRY(openldap_password_schemes_and_redaction),
          TEST_CASE_ENTRY(pki_certificate_facts))
