/* rpt_build from the lab's real scan and directory results, waivers (good
 * and bad files), trend against hand-built previous models, FINESS, a
 * hostile directory result, and the size the builder must handle. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "report/build_int.h"

#define NOW_2026_11_26 ((time_t)1795651200) /* 2026-11-26T00:00:00Z */

static char *data_path(const char *rel) {
  static char buf[8][1024];
  static int k;
  const char *dir = getenv("VIGIE_TEST_DATA");
  char *b = buf[k++ % 8];
  snprintf(b, sizeof buf[0], "%s/report/%s", dir ? dir : "tests/data", rel);
  return b;
}

static const rpt_finding *find(const rpt_report *r, const char *rule, const char *asset) {
  for (size_t i = 0; i < r->finding_count; i++)
    if (strcmp(r->rules[r->findings[i].rule].id, rule) == 0 &&
        strcmp(r->assets[r->findings[i].asset].id, asset) == 0)
      return &r->findings[i];
  return NULL;
}

static size_t count_rule(const rpt_report *r, const char *rule) {
  size_t n = 0;
  for (size_t i = 0; i < r->finding_count; i++)
    n += strcmp(r->rules[r->findings[i].rule].id, rule) == 0;
  return n;
}

static const rpt_asset *asset(const rpt_report *r, const char *id) {
  for (size_t i = 0; i < r->asset_count; i++)
    if (strcmp(r->assets[i].id, id) == 0) return &r->assets[i];
  return NULL;
}

static vigie_status build_lab(const char *waivers, rpt_report **out, vigie_error *err) {
  const char *scans[] = {data_path("lab-scan.xml")};
  const char *dirs[] = {data_path("lab-directory-ad.xml"), data_path("lab-directory-openldap.xml")};
  rpt_build_options o = {.scans = scans, .scan_count = 1, .directories = dirs,
                         .directory_count = 2, .waivers = waivers, .finess = "750000001",
                         .establishment = "CH de test", .now = NOW_2026_11_26};
  return rpt_build(&o, out, err);
}

#define AD_ASSET "directory:ad:DC=lab,DC=vigie,DC=test"

TEST(lab_assets_and_findings) {
  rpt_report *r = NULL;
  vigie_error err = {0};
  vigie_status st = build_lab(NULL, &r, &err);
  REQUIRE(st == VIGIE_OK);
  /* 35 open ports with a service (v4 and v6) and 2 directories */
  CHECK(r->asset_count == 37);
  /* 80 exposure findings, 49 failed AD rules, 7 failed OpenLDAP rules */
  CHECKF(r->finding_count == 136, "%zu", r->finding_count);
  const rpt_finding *f = find(r, "EXP-RDP-002", "198.18.0.20:3389/tcp");
  REQUIRE(f != NULL);
  CHECK(f->severity == RPT_SEV_CRITICAL);
  CHECK_STR(f->confidence, "confirmed");
  CHECK(f->evidence && strstr(f->evidence, "service=rdp") && strstr(f->evidence, "rdp.nla_required="));
  CHECK(find(r, "EXP-RDP-002", "[2001:2::20]:3389/tcp") != NULL);
  CHECK(find(r, "EXP-TELNET-001", "198.18.0.10:23/tcp") != NULL);
  CHECK(count_rule(r, "EXP-SSH-001") == 4);
  const rpt_finding *tls = find(r, "EXP-TLS-007", "198.18.0.10:4443/tcp");
  CHECK(tls && strcmp(tls->confidence, "banner") == 0);
  /* the joined rule texts */
  const rpt_rule *rule = &r->rules[f->rule];
  CHECK_STR(rule->title.en, "Remote Desktop exposed without Network Level Authentication");
  CHECK(rule->remediation.fr && rule->ref_count == 2 && rule->level == 1);
  CHECK_STR(rule->category, "remote-admin");
  /* an asset with its facts: the telnet banner's cleaned text kept */
  const rpt_asset *tel = asset(r, "198.18.0.10:23/tcp");
  REQUIRE(tel != NULL);
  CHECK_STR(tel->service, "telnet");
  CHECK(!tel->tls && tel->port == 23 && tel->fact_count >= 3);
  bool banner = false;
  for (size_t i = 0; i < tel->fact_count; i++)
    banner |= strcmp(tel->facts[i].name, "banner") == 0 && strstr(tel->facts[i].value, "Vigie lab telnet");
  CHECK(banner);
  const rpt_asset *web = asset(r, "198.18.0.10:443/tcp");
  CHECK(web && web->tls && strcmp(web->product, "nginx") == 0);
  /* the order: services (v4 then v6), then directories */
  CHECK(r->assets[0].kind == RPT_ASSET_SERVICE && strcmp(r->assets[0].address, "198.18.0.10") == 0);
  CHECK(r->assets[r->asset_count - 1].kind == RPT_ASSET_DIRECTORY);
  CHECK(r->findings[0].severity == RPT_SEV_CRITICAL);
  rpt_report_free(r);
}

TEST(lab_directory) {
  rpt_report *r = NULL;
  vigie_error err = {0};
  REQUIRE(build_lab(NULL, &r, &err) == VIGIE_OK);
  const rpt_asset *ad = asset(r, AD_ASSET);
  REQUIRE(ad != NULL);
  CHECK_STR(ad->profile, "ad");
  CHECK(ad->dir_server == NULL);
  CHECK(asset(r, "directory:openldap:dc=weak,dc=vigie,dc=test") != NULL);
  const rpt_finding *f = find(r, "AD-ACC-001", AD_ASSET);
  REQUIRE(f != NULL);
  CHECK(f->objects_total == 60 && f->object_count == 60);
  CHECK_STR(f->evidence, "60 of 152 accounts; ratio > 0.25");
  CHECK_STR(f->confidence, "directory");
  CHECK(f->severity == RPT_SEV_CRITICAL);
  f = find(r, "AD-PRIV-003", AD_ASSET);
  REQUIRE(f && f->object_count == 1);
  CHECK_STR(f->objects[0].name, "adm-nopreauth");
  CHECK_STR(f->objects[0].evidence, "privileged=TRUE; userAccountControl=4194816");
  CHECK_STR(r->rules[f->rule].anssi, "vuln_kerberos_properties_preauth_priv");
  CHECK(r->rules[f->rule].level == 1);
  f = find(r, "LDAP-005", "directory:openldap:dc=weak,dc=vigie,dc=test");
  CHECK(f && f->objects_total == 7 && f->object_count == 7);
  /* gaps: the 25 rules not evaluated, each with its reason */
  size_t gaps = 0;
  bool pki = false;
  for (size_t i = 0; i < r->gap_count; i++) {
    gaps += r->gaps[i].source == RPT_SRC_DIRECTORY;
    pki |= strcmp(r->gaps[i].what, "AD-PKI-001") == 0 && strncmp(r->gaps[i].why, "not evaluated: needs", 20) == 0;
  }
  CHECK(gaps == 25);
  CHECK(pki);
  /* inputs */
  REQUIRE(r->input_count == 3);
  CHECK(r->inputs[0].kind == RPT_SRC_EXPOSURE && r->inputs[0].complete);
  CHECK_STR(r->inputs[0].start, "2026-11-25T16:30:27.606462Z");
  CHECK(r->inputs[0].args && strncmp(r->inputs[0].args, "vigie scan --syn", 16) == 0);
  CHECK(strlen(r->inputs[0].sha256) == 64);
  CHECK_STR(r->inputs[1].start, "2026-11-25T16:30:55Z");
  CHECK(r->inputs[1].args == NULL && r->inputs[1].complete);
  rpt_report_free(r);
}

TEST(lab_scores) {
  rpt_report *r = NULL;
  vigie_error err = {0};
  REQUIRE(build_lab(NULL, &r, &err) == VIGIE_OK);
  const rpt_scores *s = &r->scores;
  /* 7 critical exposure findings (VNC, Redis, DICOM, RDP) hold level 1 */
  CHECK(s->exposure.known && s->exposure.value == 1);
  CHECK(s->exposure.holder_count == 7);
  for (size_t i = 0; i < s->exposure.holder_count; i++) {
    const rpt_finding *h = &r->findings[s->exposure.holders[i]];
    CHECK(h->severity == RPT_SEV_CRITICAL && r->rules[h->rule].source == RPT_SRC_EXPOSURE);
  }
  CHECK(s->exposure.next && strstr(s->exposure.next, "Corriger les 7 constats de sévérité critique"));
  CHECK(s->exposure.next_en && strstr(s->exposure.next_en, "EXP-RDP-002"));
  /* the AD audit is at level 1 (the OpenLDAP one at 5): its 12 holders */
  CHECK(s->directory.known && s->directory.value == 1);
  CHECK(s->directory.points_evaluated == 48 && s->directory.points_total == 76);
  CHECKF(s->directory.holder_count == 12, "%zu", s->directory.holder_count);
  for (size_t i = 0; i < s->directory.holder_count; i++)
    CHECK(strcmp(r->assets[r->findings[s->directory.holders[i]].asset].id, AD_ASSET) == 0);
  CHECK(s->counts[RPT_SEV_CRITICAL] == 7 + 14 + 1);
  CHECK(s->counts[RPT_SEV_MEDIUM] == 36 + 16 + 2);
  CHECK(s->score == 100 && s->score_capped);
  CHECK(s->new_count == 0 && s->fixed_count == 0);
  CHECK(!r->interval.known);
  /* header */
  CHECK(strlen(r->uuid) == 36 && r->uuid[14] == '4');
  CHECK_STR(r->created, "2026-11-26T00:00:00Z");
  CHECK_STR(r->lang, "fr");
  CHECK_STR(r->finess, "750000001");
  CHECK_STR(r->rules_version, "2026.11.25");
  CHECK(r->rules_sha256 && strlen(r->rules_sha256) == 64);
  rpt_report_free(r);
}

TEST(waivers_valid_and_expired) {
  rpt_report *r = NULL;
  vigie_error err = {0};
  vigie_status st = build_lab(data_path("waivers/valid.xml"), &r, &err);
  REQUIRE(st == VIGIE_OK);
  REQUIRE(r->waiver_count == 3);
  const rpt_finding *rdp = find(r, "EXP-RDP-002", "198.18.0.20:3389/tcp");
  const rpt_finding *rdp6 = find(r, "EXP-RDP-002", "[2001:2::20]:3389/tcp");
  REQUIRE(rdp && rdp6);
  CHECK(rdp->waived && rdp->waiver >= 0);
  CHECK(!rdp6->waived && rdp6->waiver == -1);
  const rpt_waiver *w = &r->waivers[rdp->waiver];
  CHECK(!w->expired && w->uses == 1);
  CHECK_STR(w->author, "RSSI");
  /* the SSH waiver expired on 2026-01-01: listed, its findings count */
  const rpt_finding *ssh = find(r, "EXP-SSH-001", "198.18.0.10:22/tcp");
  REQUIRE(ssh && ssh->waiver >= 0);
  CHECK(!ssh->waived && r->waivers[ssh->waiver].expired && r->waivers[ssh->waiver].uses == 4);
  CHECK(find(r, "AD-PRIV-003", AD_ASSET)->waived);
  CHECK(r->scores.counts[RPT_SEV_CRITICAL] == 22 - 2);
  CHECK(r->scores.waived_counts[RPT_SEV_CRITICAL] == 2);
  /* one waived critical exposure finding no longer holds the level */
  CHECK(r->scores.exposure.value == 1 && r->scores.exposure.holder_count == 6);
  rpt_report_free(r);
}

TEST(waivers_bad_files) {
  struct {
    const char *file;
    vigie_status status;
    const char *needle;
  } cases[] = {
      {"waivers/unknown-rule.xml", VIGIE_ESYNTAX, "unknown-rule.xml:4: waiver for unknown rule \"EXP-NOPE-999\""},
      {"waivers/bad-date.xml", VIGIE_ESYNTAX, "bad-date.xml:4: expires=\"2027-02-30\""},
      {"waivers/bad-schema.xml", VIGIE_ESCHEMA, "bad-schema.xml:3"},
      {"waivers/doctype.xml", VIGIE_EXML_DOCTYPE, "doctype.xml"},
      {"waivers/missing.xml", VIGIE_ENOENT, "missing.xml"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    rpt_report *r = NULL;
    vigie_error err = {0};
    vigie_status st = build_lab(data_path(cases[i].file), &r, &err);
    CHECKF(st == cases[i].status, "%s: %d %s", cases[i].file, (int)st, err.msg);
    CHECKF(strstr(err.msg, cases[i].needle) != NULL, "%s: %s", cases[i].file, err.msg);
    CHECK(r == NULL);
  }
}

/* A hand-built report: created at `created`, a scan input started at
 * `scan`, and findings of (rule, asset) pairs. */
static rpt_report *model(const char *created, const char *scan, const char *const *pairs, size_t n,
                         int exposure_level) {
  rpt_report *r = rpt_model_new();
  r->created = rpt_model_str(r, created);
  if (scan) {
    rpt_input *in = rpt_model_add_input(r);
    in->kind = RPT_SRC_EXPOSURE;
    in->start = rpt_model_str(r, scan);
  }
  r->scores.exposure.known = exposure_level > 0;
  r->scores.exposure.value = exposure_level;
  for (size_t i = 0; i < n; i++) {
    long ri = rpt_model_find_rule(r, pairs[2 * i]);
    if (ri < 0) {
      rpt_rule *rule = rpt_model_add_rule(r);
      rule->id = rpt_model_str(r, pairs[2 * i]);
      rule->title.fr = "titre";
      ri = (long)r->rule_count - 1;
    }
    long ai = rpt_model_find_asset(r, pairs[2 * i + 1]);
    if (ai < 0) {
      rpt_asset *a = rpt_model_add_asset(r);
      a->id = rpt_model_str(r, pairs[2 * i + 1]);
      /* "ADDR:PORT/tcp" (IPv4 here): the address the trend compares */
      const char *id = pairs[2 * i + 1], *colon = strchr(id, ':');
      a->address = rpt_model_strn(r, id, colon ? (size_t)(colon - id) : strlen(id));
      a->port = colon ? (uint16_t)atoi(colon + 1) : 0;
      ai = (long)r->asset_count - 1;
    }
    char uid[65];
    rpt_model_uid(pairs[2 * i], pairs[2 * i + 1], uid);
    rpt_finding *f = rpt_model_add_finding(r);
    f->uid = rpt_model_str(r, uid);
    f->rule = (size_t)ri;
    f->asset = (size_t)ai;
    f->severity = RPT_SEV_HIGH;
    f->confidence = "confirmed";
  }
  return r;
}

TEST(trend_new_persisting_fixed) {
  const char *old[] = {"EXP-A-001", "198.18.0.1:443/tcp"};
  /* C's host (198.18.0.9) is absent now: not re-tested, so neither fixed nor
   * persisting; B and E are on a host that answered: fixed. */
  const char *prev[] = {"EXP-A-001", "198.18.0.1:443/tcp", "EXP-B-001", "198.18.0.1:443/tcp",
                        "EXP-C-001", "198.18.0.9:22/tcp",  "EXP-E-001", "198.18.0.1:80/tcp"};
  const char *cur[] = {"EXP-A-001", "198.18.0.1:443/tcp", "EXP-D-001", "198.18.0.1:443/tcp"};
  rpt_report *p1 = model("2026-08-01T10:00:00Z", "2026-08-01T09:00:00Z", old, 1, 2);
  rpt_report *p2 = model("2026-10-01T10:00:00Z", "2026-10-01T09:00:00Z", prev, 4, 3);
  rpt_model_findings(p2)[0].first_seen = "2026-08-01";
  rpt_report *now = model("2026-11-20T10:00:00Z", "2026-11-20T08:00:00Z", cur, 2, 0);
  /* given newest first: the function orders them */
  const rpt_report *const ps[] = {p2, p1};
  const char *const paths[] = {"oct/report.xml", "aug/report.xml"};
  vigie_error err = {0};
  REQUIRE(rpt_trend_apply(now, ps, paths, 2, &err) == VIGIE_OK);
  REQUIRE(now->finding_count == 4);
  const rpt_finding *a = find(now, "EXP-A-001", "198.18.0.1:443/tcp");
  const rpt_finding *d = find(now, "EXP-D-001", "198.18.0.1:443/tcp");
  const rpt_finding *b = find(now, "EXP-B-001", "198.18.0.1:443/tcp");
  const rpt_finding *c = find(now, "EXP-C-001", "198.18.0.9:22/tcp");
  const rpt_finding *e = find(now, "EXP-E-001", "198.18.0.1:80/tcp");
  REQUIRE(a && b && e && d);
  CHECK(c == NULL);
  CHECK(a->trend == RPT_TREND_PERSISTING);
  CHECK_STR(a->first_seen, "2026-08-01");
  CHECK(d->trend == RPT_TREND_NEW);
  CHECK_STR(d->first_seen, "2026-11-20");
  CHECK(b->trend == RPT_TREND_FIXED && e->trend == RPT_TREND_FIXED);
  CHECK_STR(e->first_seen, "2026-10-01");
  CHECK(asset(now, "198.18.0.1:80/tcp") != NULL); /* copied from the previous report */
  CHECK(asset(now, "198.18.0.9:22/tcp") == NULL);
  bool gap = false; /* C's host is named as not re-tested */
  for (size_t i = 0; i < now->gap_count; i++)
    gap |= strcmp(now->gaps[i].what, "198.18.0.9:22/tcp") == 0 && strstr(now->gaps[i].why, "not re-tested");
  CHECK(gap);
  REQUIRE(now->previous_count == 2);
  CHECK_STR(now->previous[0].date, "2026-08-01T10:00:00Z");
  CHECK_STR(now->previous[0].path, "aug/report.xml");
  CHECK_STR(now->previous[1].exposure_date, "2026-10-01T09:00:00Z");
  CHECK(now->previous[0].exposure_level == 2 && now->previous[1].exposure_level == 3);
  /* 2026-10-01 to 2026-11-20: 50 days */
  CHECK(now->interval.known && now->interval.days == 50 && now->interval.holds);
  /* a fixed finding is not open: scores leave it out of the counts */
  vigie_error e2 = {0};
  CHECK(rpt_score(now, NULL, NULL, 0, &e2) == VIGIE_OK);
  CHECK(now->scores.fixed_count == 2 && now->scores.new_count == 1 && now->scores.persisting_count == 1);
  CHECK(now->scores.counts[RPT_SEV_HIGH] == 2);
  CHECK(rpt_model_finish(now, &e2) == VIGIE_OK);
  CHECK(now->findings[now->finding_count - 1].trend == RPT_TREND_FIXED);
  rpt_report_free(p1);
  rpt_report_free(p2);
  rpt_report_free(now);
}

TEST(trend_interval_bounds) {
  const char *one[] = {"EXP-A-001", "198.18.0.1:443/tcp"};
  struct {
    const char *prev_scan, *now_scan;
    long days;
    bool holds;
  } cases[] = {
      {"2026-10-01T23:59:00Z", "2026-11-15T00:01:00Z", 45, true},
      {"2026-10-01T00:00:00Z", "2026-11-30T00:00:00Z", 60, true},
      {"2026-10-01T00:00:00Z", "2026-11-14T00:00:00Z", 44, false},
      {"2026-10-01T00:00:00Z", "2026-12-01T00:00:00Z", 61, false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    rpt_report *p = model("2026-10-02T00:00:00Z", cases[i].prev_scan, one, 1, 0);
    rpt_report *now = model("2026-12-02T00:00:00Z", cases[i].now_scan, one, 1, 0);
    const rpt_report *const ps[] = {p};
    vigie_error err = {0};
    CHECK(rpt_trend_apply(now, ps, NULL, 1, &err) == VIGIE_OK);
    CHECKF(now->interval.known && now->interval.days == cases[i].days &&
               now->interval.holds == cases[i].holds,
           "case %zu: %ld", i, now->interval.days);
    rpt_report_free(p);
    rpt_report_free(now);
  }
  /* a previous report without a scan: one dated exposure audit only */
  rpt_report *p = model("2026-10-02T00:00:00Z", NULL, one, 1, 0);
  rpt_report *now = model("2026-12-02T00:00:00Z", "2026-11-20T00:00:00Z", one, 1, 0);
  const rpt_report *const ps[] = {p};
  vigie_error err = {0};
  CHECK(rpt_trend_apply(now, ps, NULL, 1, &err) == VIGIE_OK);
  CHECK(!now->interval.known && now->previous[0].exposure_date == NULL);
  rpt_report_free(p);
  rpt_report_free(now);
}

TEST(finess_and_lang) {
  const char *good[] = {"750000001", "2A0000012", "2B0000013"};
  const char *bad[] = {"75000000", "7500000011", "75000000X", "2C0000012", ""};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) CHECK(rpt_finess_valid(good[i]));
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK(!rpt_finess_valid(bad[i]));
  rpt_build_options o = {.finess = "12345678", .now = NOW_2026_11_26};
  rpt_report *r = NULL;
  vigie_error err = {0};
  CHECK(rpt_build(&o, &r, &err) == VIGIE_ESYNTAX);
  CHECK(strstr(err.msg, "FINESS \"12345678\"") != NULL);
  CHECK(r == NULL);
  o.finess = "750000001";
  o.lang = "de";
  CHECK(rpt_build(&o, &r, &err) == VIGIE_ESYNTAX && strstr(err.msg, "de"));
  o.lang = "en";
  REQUIRE(rpt_build(&o, &r, &err) == VIGIE_OK);
  CHECK_STR(r->lang, "en");
  CHECK(r->finding_count == 0 && !r->scores.exposure.known && !r->scores.directory.known);
  CHECK(r->scores.score == 0);
  rpt_report_free(r);
  /* a previous report that does not exist is refused, naming it */
  const char *prev[] = {"old/report.xml"};
  o.previous = prev;
  o.previous_count = 1;
  vigie_status st = rpt_build(&o, &r, &err);
  CHECK(st != VIGIE_OK && strstr(err.msg, "old/report.xml"));
}

/* Write text to a temporary file; \return its path (static buffer). */
static const char *temp_file(const char *tag, const char *text, size_t len) {
  static char path[3][256];
  static int k;
  char *p = path[k++ % 3];
  snprintf(p, sizeof path[0], "/tmp/vigie-test-%s-%ld.xml", tag, (long)getpid());
  FILE *f = fopen(p, "wb");
  if (!f) return NULL;
  fwrite(text, 1, len, f);
  fclose(f);
  return p;
}

TEST(directory_target_and_hostile) {
  /* <target> names the asset; a DN with markup and a 1 MB value build fine */
  size_t big = 1u << 20;
  size_t cap = big + 4096;
  char *xml = malloc(cap);
  REQUIRE(xml != NULL);
  int n = snprintf(xml, cap,
                   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<directory xmlns=\"urn:vigie:directory:1\" profile=\"openldap\" collected=\"2026-11-25T10:00:00Z\">"
                   "<tool name=\"vigie\" version=\"0.1.0\"/>"
                   "<target url=\"ldap://ldap.example.test\" base=\"dc=example,dc=test\"/>"
                   "<sets><set name=\"entries\" state=\"partial\" entries=\"5\" reason=\"size limit\"/></sets>"
                   "<level value=\"5\" points-evaluated=\"0\" points-total=\"0\"/><results>"
                   "<result id=\"LDAP-005\" outcome=\"fail\" severity=\"high\" category=\"passwords\">"
                   "<title lang=\"fr\">t</title><title lang=\"en\">t</title>"
                   "<check index=\"0\" objects=\"entries\" outcome=\"fail\" severity=\"high\" threshold=\"count &gt;= 1\" at-fault=\"3\" considered=\"5\" faults-kept=\"1\">"
                   "<fault dn=\"uid=&lt;script&gt;alert(1)&lt;/script&gt;,dc=example,dc=test\" name=\"&quot;&gt;&lt;svg onload=x&gt;\">"
                   "<attr name=\"description\" total=\"1\"><value>");
  REQUIRE(n > 0);
  size_t len = (size_t)n;
  memset(xml + len, 'A', big);
  len += big;
  len += (size_t)snprintf(xml + len, cap - len, "</value></attr></fault></check></result></results></directory>\n");
  const char *path = temp_file("hostile", xml, len);
  free(xml);
  REQUIRE(path != NULL);
  const char *dirs[] = {path};
  rpt_build_options o = {.directories = dirs, .directory_count = 1, .now = NOW_2026_11_26};
  rpt_report *r = NULL;
  vigie_error err = {0};
  vigie_status st = rpt_build(&o, &r, &err);
  CHECKF(st == VIGIE_OK, "%s", err.msg);
  if (st == VIGIE_OK) {
    const rpt_finding *f = find(r, "LDAP-005", "ldap://ldap.example.test/dc=example,dc=test");
    REQUIRE(f != NULL);
    const rpt_asset *a = &r->assets[f->asset];
    CHECK_STR(a->dir_server, "ldap://ldap.example.test");
    CHECK_STR(a->dir_base, "dc=example,dc=test");
    CHECK(f->object_count == 1 && f->objects_total == 3);
    CHECK_STR(f->objects[0].dn, "uid=<script>alert(1)</script>,dc=example,dc=test");
    CHECK(strlen(f->objects[0].evidence) < 1100);
    CHECK(!r->inputs[0].complete);
    bool gap = false;
    for (size_t i = 0; i < r->gap_count; i++)
      gap |= strcmp(r->gaps[i].what, "objects: entries") == 0 && strstr(r->gaps[i].why, "size limit");
    CHECK(gap);
    rpt_report_free(r);
  }
  unlink(path);
}

/* 100,000 findings over 11,000 services (10 findings on 10 of each host's
 * 11 ports; the 11th, with no finding, is an asset too): the builder must
 * stay linear. */
TEST(scale_100k_findings) {
  static const char *rules[] = {"EXP-SSH-001", "EXP-RDP-001", "EXP-RDP-002", "EXP-TELNET-001",
                                "EXP-CLEAR-001", "EXP-FTP-001", "EXP-SMB-001", "EXP-VNC-001",
                                "EXP-HTTP-001", "EXP-WEB-001"};
  size_t cap = 64u << 20, len = 0;
  char *xml = malloc(cap);
  REQUIRE(xml != NULL);
  len += (size_t)snprintf(xml, cap,
                          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<scan xmlns=\"urn:vigie:scan:1\" schemaVersion=\"1\">"
                          "<tool name=\"vigie\" version=\"0.1.0\"/><args>vigie scan</args>"
                          "<run mode=\"connect\" start=\"2026-11-25T10:00:00Z\" end=\"2026-11-25T11:00:00Z\" seed=\"1\"/>"
                          "<shard index=\"0\" count=\"1\"/><stats sent=\"1\" received=\"1\" valid=\"1\" pcap-dropped=\"0\" interrupted=\"true\"/>"
                          "<resume next-position=\"5\" range=\"10\"/><space addresses=\"1000\" port-count=\"11\" ports=\"1-11\"/>\n");
  for (int h = 0; h < 1000; h++) {
    len += (size_t)snprintf(xml + len, cap - len, "<host addr=\"10.0.%d.%d\" family=\"ipv4\">", h / 250, h % 250 + 1);
    for (int p = 1; p <= 11; p++) {
      len += (size_t)snprintf(xml + len, cap - len,
                              "<port number=\"%d\" state=\"open\" reason=\"syn-ack\" ttl=\"64\"><service name=\"ssh\" tls=\"false\">"
                              "<fact name=\"service\">ssh</fact><fact name=\"banner\">SSH-2.0-x</fact>",
                              p);
      for (int k = 0; k < 10 && p <= 10; k++) /* port 11: a service, no finding */
        len += (size_t)snprintf(xml + len, cap - len, "<finding rule=\"%s\" severity=\"high\" confidence=\"confirmed\"/>", rules[k]);
      len += (size_t)snprintf(xml + len, cap - len, "</service></port>\n");
    }
    len += (size_t)snprintf(xml + len, cap - len, "</host>\n");
  }
  len += (size_t)snprintf(xml + len, cap - len, "</scan>\n");
  const char *path = temp_file("scale", xml, len);
  free(xml);
  REQUIRE(path != NULL);
  const char *scans[] = {path};
  rpt_build_options o = {.scans = scans, .scan_count = 1, .now = NOW_2026_11_26};
  rpt_report *r = NULL;
  vigie_error err = {0};
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  vigie_status st = rpt_build(&o, &r, &err);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("# 100,000 findings over 11,000 assets (%zu-byte scan.xml): %.3f s, peak RSS %ld MiB\n",
         len, secs, ru.ru_maxrss / 1024);
  CHECKF(st == VIGIE_OK, "%s", err.msg);
  if (st == VIGIE_OK) {
    CHECK(r->asset_count == 11000 && r->finding_count == 100000);
    CHECK(!r->inputs[0].complete && strstr(r->inputs[0].incomplete_reason, "interrupted"));
    CHECK(r->scores.exposure.value == 2 && r->scores.exposure.holder_count == 100000);
    CHECK(r->scores.counts[RPT_SEV_HIGH] == 100000);
    rpt_report_free(r);
  }
  /* Time and memory are printed above, never asserted: those targets live in
   * bench/report.sh (a sanitizer build alone doubles both). */
  if (!getenv("VIGIE_KEEP_SCALE")) unlink(path);
}

/* Through report.xml: the lab written, then built again against it. */
TEST(previous_report_xml) {
  rpt_report *r = NULL;
  vigie_error err = {0};
  REQUIRE(build_lab(NULL, &r, &err) == VIGIE_OK);
  char path[256];
  snprintf(path, sizeof path, "/tmp/vigie-test-prev-%ld.xml", (long)getpid());
  FILE *f = fopen(path, "wb");
  REQUIRE(f != NULL);
  vigie_status st = rpt_xml_write(r, f, &err);
  fclose(f);
  rpt_report_free(r);
  CHECKF(st == VIGIE_OK, "%s", err.msg);
  const char *scans[] = {data_path("lab-scan.xml")};
  const char *prev[] = {path};
  rpt_build_options o = {.scans = scans, .scan_count = 1, .previous = prev, .previous_count = 1,
                         .now = NOW_2026_11_26 + 50 * 86400};
  st = rpt_build(&o, &r, &err);
  CHECKF(st == VIGIE_OK, "%s", err.msg);
  if (st == VIGIE_OK) {
    CHECK(r->scores.persisting_count == 80 && r->scores.new_count == 0);
    /* the directories were not audited again: their 56 findings are not
     * "fixed", and each directory is named as not re-tested */
    CHECK(r->scores.fixed_count == 0);
    size_t untested = 0;
    for (size_t i = 0; i < r->gap_count; i++) untested += strstr(r->gaps[i].why, "not re-tested") != NULL;
    CHECK(untested == 2);
    CHECK(r->previous_count == 1 && r->interval.known && r->interval.days == 0);
    rpt_report_free(r);
  }
  unlink(path);
}

TEST_MAIN(TEST_CASE_ENTRY(previous_report_xml),
          TEST_CASE_ENTRY(lab_assets_and_findings), TEST_CASE_ENTRY(lab_directory),
          TEST_CASE_ENTRY(lab_scores), TEST_CASE_ENTRY(waivers_valid_and_expired),
          TEST_CASE_ENTRY(waivers_bad_files), TEST_CASE_ENTRY(trend_new_persisting_fixed),
          TEST_CASE_ENTRY(trend_interval_bounds), TEST_CASE_ENTRY(finess_and_lang),
          TEST_CASE_ENTRY(directory_target_and_hostile), TEST_CASE_ENTRY(scale_100k_findings))
