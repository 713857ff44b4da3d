/* report.xml: a model built with the builder (both sources, services and
 * directories, objects, waivers, gaps, previous audits, level holders, texts
 * in both languages with hostile content and a 1 MB value) is written, read
 * back through the XSD and written again: the two files must be the same
 * bytes, xmllint must accept them, and the values must survive (cleaned
 * where XML cannot hold them). Broken files are refused with messages that
 * name the file and the line. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "report/model.h"
#include "report/xml_int.h"

#define HOSTILE "<script>alert(1)</script> \"><svg onload=alert(1)> \x01\x1b ctl \xff\xfe bad & ]]>"
#define BIG_LEN (1024u * 1024u)

static char tmpdir[64];

static const char *tpath(const char *name) {
  static char buf[8][128];
  static int next;
  char *p = buf[next++ % 8];
  snprintf(p, 128, "%s/%s", tmpdir, name);
  return p;
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...) {
  char cmd[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  return system(cmd);
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  if (buf) buf[n] = '\0';
  fclose(f);
  *len = (size_t)n;
  return buf;
}

static bool spit(const char *path, const char *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) return false;
  bool ok = fwrite(data, 1, len, f) == len;
  return fclose(f) == 0 && ok;
}

static vigie_status write_file(const rpt_report *r, const char *path, vigie_error *err) {
  FILE *f = fopen(path, "wb");
  if (!f) return VIGIE_EIO;
  vigie_status st = rpt_xml_write(r, f, err);
  fclose(f);
  return st;
}

/* ---------------------------------------------------------------- model */

static void add_rule(rpt_report *r, const char *id, rpt_source src, rpt_severity sev, int level) {
  rpt_rule *rule = rpt_model_add_rule(r);
  rule->id = id;
  rule->source = src;
  rule->severity = sev;
  rule->category = src == RPT_SRC_EXPOSURE ? "remote-admin" : "privileged-accounts";
  rule->level = level;
}

static size_t add_finding(rpt_report *r, const char *rule, const char *asset, rpt_severity sev,
                          rpt_trend trend) {
  char uid[65];
  rpt_model_uid(rule, asset, uid);
  rpt_finding *f = rpt_model_add_finding(r);
  f->uid = rpt_model_str(r, uid);
  f->rule = (size_t)rpt_model_find_rule(r, rule);
  f->asset = (size_t)rpt_model_find_asset(r, asset);
  f->severity = sev;
  f->trend = trend;
  f->confidence = strncmp(rule, "EXP", 3) == 0 ? "confirmed" : "directory";
  return r->finding_count - 1;
}

static void add_service(rpt_report *r, const char *id, const char *addr, uint16_t port) {
  rpt_asset *a = rpt_model_add_asset(r);
  a->id = id;
  a->kind = RPT_ASSET_SERVICE;
  a->address = addr;
  a->port = port;
}

static void model_rules(rpt_report *r, const char *big) {
  /* added out of order: finish sorts them */
  add_rule(r, "EXP-TLS-002", RPT_SRC_EXPOSURE, RPT_SEV_MEDIUM, 0);
  add_rule(r, "AD-PRIV-003", RPT_SRC_DIRECTORY, RPT_SEV_HIGH, 2);
  add_rule(r, "EXP-RDP-001", RPT_SRC_EXPOSURE, RPT_SEV_CRITICAL, 1);
  rpt_rule *rules = rpt_model_rules(r);
  rules[0].title.fr = "TLS obsolète " HOSTILE;
  rules[0].description.en = big; /* only English: fr stays absent */
  rules[1].anssi = "vuln_privileged_members";
  rules[1].title = (rpt_text){"Comptes à privilèges", "Privileged accounts"};
  rules[1].description = (rpt_text){"  espaces gardés \n\tligne 2  ", "x\r\ny"};
  rules[1].rationale = (rpt_text){"", "empty French, present"};
  rules[1].remediation = (rpt_text){"Retirer " HOSTILE, "Remove"};
  static const rpt_reference refs[] = {{"ANSSI — Recommandations AD", "https://cyber.gouv.fr/x?a=1&b=2"},
                                       {"CVE-2019-0708 " HOSTILE, NULL}};
  rules[2].refs = refs;
  rules[2].ref_count = 2;
  rules[2].title = (rpt_text){"RDP exposé", "RDP exposed"};
}

static void model_assets(rpt_report *r) {
  add_service(r, "[2001:2::10]:22/tcp", "2001:2::10", 22);
  add_service(r, "198.18.0.10:3389/tcp", "198.18.0.10", 3389);
  add_service(r, "198.18.0.9:443/tcp", "198.18.0.9", 443);
  rpt_asset *a = rpt_model_add_asset(r);
  a->id = "ldap://dc1.example.org/DC=example,DC=org";
  a->kind = RPT_ASSET_DIRECTORY;
  a->profile = "ad";
  a->dir_server = "ldap://dc1.example.org";
  a->dir_base = "DC=example,DC=org";
  a = rpt_model_add_asset(r);
  a->id = "ldap://127.0.0.1:3890/dc=lab";
  a->kind = RPT_ASSET_DIRECTORY;
  a->profile = "openldap";
  a = &rpt_model_assets(r)[2];
  static const char *const names[] = {"www.ch-exemple.fr", "evil" HOSTILE};
  static const rpt_fact facts[] = {{"http.title", "Portail " HOSTILE}, {"tls.version.1.0", "true"},
                                   {"http.server", ""}};
  a->hostnames = names;
  a->hostname_count = 2;
  a->facts = facts;
  a->fact_count = 3;
  a->service = "https";
  a->product = "nginx " HOSTILE;
  a->version = "1.22.1";
  a->tls = true;
}

static void model_findings(rpt_report *r, size_t *holder_dir, size_t *holder_exp) {
  add_finding(r, "EXP-TLS-002", "198.18.0.9:443/tcp", RPT_SEV_MEDIUM, RPT_TREND_PERSISTING);
  *holder_exp = add_finding(r, "EXP-RDP-001", "198.18.0.10:3389/tcp", RPT_SEV_CRITICAL,
                            RPT_TREND_NEW);
  add_finding(r, "EXP-RDP-001", "[2001:2::10]:22/tcp", RPT_SEV_CRITICAL, RPT_TREND_FIXED);
  *holder_dir = add_finding(r, "AD-PRIV-003", "ldap://dc1.example.org/DC=example,DC=org",
                            RPT_SEV_HIGH, RPT_TREND_NONE);
  add_finding(r, "AD-PRIV-003", "ldap://127.0.0.1:3890/dc=lab", RPT_SEV_HIGH, RPT_TREND_NEW);
  rpt_finding *f = rpt_model_findings(r);
  f[0].evidence = "tls.version.1.0=true " HOSTILE;
  f[0].first_seen = "2025-12-01";
  f[0].waiver = 0;
  f[0].waived = true;
  f[1].first_seen = "2026-01-15T08:00:00Z";
  f[1].waiver = 1; /* expired: not waived */
  static const rpt_object objs[] = {
      {"CN=Admin,CN=Users,DC=example,DC=org", "Admin", "adminCount=1; memberOf=Domain Admins"},
      {"CN=" HOSTILE ",DC=example,DC=org", NULL, NULL},
      {"CN=svc,DC=example,DC=org", "svc", ""}};
  f[3].objects = objs;
  f[3].object_count = 3;
  f[3].objects_total = 5;
  f[3].evidence = "3 of 120 accounts";
}

static void model_rest(rpt_report *r, size_t holder_dir, size_t holder_exp) {
  rpt_input *in = rpt_model_add_input(r);
  in->kind = RPT_SRC_EXPOSURE;
  in->path = "scans/ch-exemple.scan.xml";
  in->sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  in->start = "2026-03-01T08:00:00.250Z";
  in->end = "2026-03-01T08:10:00Z";
  in->args = "vigie scan -p- 198.18.0.0/24 " HOSTILE;
  in->tool_version = "0.1.0";
  in->incomplete_reason = "interrupted";
  in = rpt_model_add_input(r);
  in->kind = RPT_SRC_DIRECTORY;
  in->path = "ad.directory.xml";
  in->sha256 = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
  in->start = in->end = "2026-03-01T09:00:00Z";
  in->tool_version = "0.1.0";
  in->complete = true;
  rpt_gap *g = rpt_model_add_gap(r);
  *g = (rpt_gap){RPT_SRC_DIRECTORY, "AD-PKI-001", "not evaluated: needs security descriptors"};
  g = rpt_model_add_gap(r);
  *g = (rpt_gap){RPT_SRC_EXPOSURE, "scan 198.18.0.0/24", "interrupted " HOSTILE};
  rpt_waiver *w = rpt_model_add_waiver(r);
  *w = (rpt_waiver){"EXP-TLS-002", "*", "migration prévue " HOSTILE, "rssi@ch-exemple.fr",
                    1798761599 /* 2026-12-31T23:59:59Z */, false, 1};
  w = rpt_model_add_waiver(r);
  *w = (rpt_waiver){"EXP-RDP-001", "198.18.0.10:3389/tcp", "", "dsi", 1735689599, true, 0};
  w = rpt_model_add_waiver(r);
  *w = (rpt_waiver){"AD-PRIV-003", "*", "no expiry", "dsi", 0, false, 0};
  static size_t hd[1], he[1];
  hd[0] = holder_dir;
  he[0] = holder_exp;
  rpt_scores *s = &r->scores;
  s->counts[RPT_SEV_CRITICAL] = 1;
  s->counts[RPT_SEV_HIGH] = 2;
  s->waived_counts[RPT_SEV_MEDIUM] = 1;
  s->fixed_count = 1;
  s->new_count = 2;
  s->persisting_count = 1;
  s->exposure = (rpt_level){true, 1, he, 1, "Fermer RDP " HOSTILE, "Close RDP", 0, 0};
  s->directory = (rpt_level){true, 2, hd, 1, "Réduire les privilèges", NULL, 31, 40};
  s->score = 100;
  s->score_capped = true;
  rpt_previous *p = rpt_model_add_previous(r);
  *p = (rpt_previous){"old/2025-11.report.xml", "2025-11-01T10:00:00Z", "2025-11-01T08:00:00Z", 1, 0};
  p = rpt_model_add_previous(r);
  *p = (rpt_previous){"old/2026-01.report.xml " HOSTILE, "2026-01-08T10:00:00Z", NULL, 0, 3};
  r->interval = (rpt_interval){true, 52, true};
}

/* The whole model; big holds the 1 MB value and must outlive it. */
static rpt_report *make_model(const char *big) {
  rpt_report *r = rpt_model_new();
  if (!r) return NULL;
  r->uuid = "3f2b8c1e-9a4d-4c7e-8b1a-0123456789ab";
  r->created = "2026-03-01T10:00:00Z";
  r->lang = "fr";
  r->establishment = "CH d'Exemple " HOSTILE;
  r->finess = "123456789";
  r->tool_version = "0.1.0";
  r->rules_version = "2026.03";
  r->rules_sha256 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  size_t hd = 0, he = 0;
  model_rules(r, big);
  model_assets(r);
  model_findings(r, &hd, &he);
  model_rest(r, hd, he);
  vigie_error err;
  if (rpt_model_finish(r, &err) != VIGIE_OK) {
    printf("# finish: %s\n", err.msg);
    rpt_report_free(r);
    return NULL;
  }
  return r;
}

static char *big_value(void) {
  char *big = malloc(BIG_LEN + 1);
  for (size_t i = 0; i < BIG_LEN; i++) big[i] = (char)('a' + i % 26);
  memcpy(big + 1000, HOSTILE, sizeof HOSTILE - 1);
  big[BIG_LEN] = '\0';
  return big;
}

/* ---------------------------------------------------------------- cases */

TEST(round_trip_same_bytes) {
  char *big = big_value();
  rpt_report *r = make_model(big);
  REQUIRE(r != NULL);
  vigie_error err;
  vigie_status st = write_file(r, tpath("one.xml"), &err);
  CHECKF(st == VIGIE_OK, "%s", err.msg);
  rpt_report *back = NULL;
  st = rpt_xml_read(tpath("one.xml"), &back, &err);
  CHECKF(st == VIGIE_OK, "%s", err.msg);
  if (back) {
    st = write_file(back, tpath("two.xml"), &err);
    CHECKF(st == VIGIE_OK, "%s", err.msg);
    size_t n1 = 0, n2 = 0;
    char *a = slurp(tpath("one.xml"), &n1), *b = slurp(tpath("two.xml"), &n2);
    CHECK(a && b && n1 == n2 && memcmp(a, b, n1) == 0);
    CHECK(n1 > BIG_LEN);
    /* the same order as the built model: finish kept it */
    CHECK(back->finding_count == r->finding_count);
    for (size_t i = 0; i < r->finding_count && i < back->finding_count; i++)
      CHECK_STR(back->findings[i].uid, r->findings[i].uid);
    free(a);
    free(b);
  }
  rpt_report_free(back);
  rpt_report_free(r);
  free(big);
}

TEST(xmllint_accepts) {
  char *xsd = vigie_data_path("report.xsd", NULL);
  REQUIRE(xsd != NULL);
  if (run("command -v xmllint >/dev/null") != 0) {
    printf("# xmllint not installed: skipped\n");
  } else {
    CHECK(run("xmllint --noout --schema '%s' '%s' 2>/dev/null", xsd, tpath("one.xml")) == 0);
    CHECK(run("xmllint --noout --schema '%s' '%s' 2>/dev/null", xsd, tpath("two.xml")) == 0);
  }
  vigie_free(xsd);
}

TEST(values_survive) {
  vigie_error err;
  rpt_report *r = NULL;
  REQUIRE(rpt_xml_read(tpath("one.xml"), &r, &err) == VIGIE_OK);
  /* cleaned: controls dropped, each invalid byte one U+FFFD, markup kept as text */
  CHECK_STR(r->establishment, "CH d'Exemple <script>alert(1)</script> \"><svg onload=alert(1)>  ctl "
                              "\xEF\xBF\xBD\xEF\xBF\xBD bad & ]]>");
  CHECK_STR(r->finess, "123456789");
  REQUIRE(r->rule_count == 3);
  CHECK_STR(r->rules[0].id, "AD-PRIV-003");
  CHECK_STR(r->rules[0].description.fr, "  espaces gardés \n\tligne 2  ");
  CHECK_STR(r->rules[0].description.en, "x\r\ny");
  CHECK_STR(r->rules[0].rationale.fr, "");
  CHECK_STR(r->rules[2].id, "EXP-TLS-002");
  CHECK(r->rules[2].title.en == NULL && r->rules[2].description.fr == NULL);
  const char *big = r->rules[2].description.en;
  CHECK(big && strlen(big) == BIG_LEN + 2); /* \x01 \x1b dropped, \xff \xfe became 6 bytes */
  CHECK(r->rules[1].ref_count == 2 && r->rules[1].refs[1].href == NULL);
  REQUIRE(r->asset_count == 5);
  CHECK_STR(r->assets[0].id, "198.18.0.9:443/tcp"); /* v4 numeric order, then v6, then dirs */
  CHECK_STR(r->assets[2].id, "[2001:2::10]:22/tcp");
  CHECK(r->assets[3].kind == RPT_ASSET_DIRECTORY && r->assets[4].kind == RPT_ASSET_DIRECTORY);
  CHECK(r->assets[0].fact_count == 3 && r->assets[0].hostname_count == 2 && r->assets[0].tls);
  CHECK_STR(r->assets[0].facts[2].value, "");
  REQUIRE(r->finding_count == 5);
  CHECK(r->findings[4].trend == RPT_TREND_FIXED); /* fixed last */
  const rpt_finding *dir = NULL;
  for (size_t i = 0; i < r->finding_count; i++)
    if (r->findings[i].object_count) dir = &r->findings[i];
  REQUIRE(dir != NULL);
  CHECK(dir->object_count == 3 && dir->objects_total == 5);
  CHECK(dir->objects[1].name == NULL && dir->objects[1].evidence == NULL);
  CHECK_STR(dir->objects[2].evidence, "");
  REQUIRE(r->waiver_count == 3);
  CHECK(r->waivers[0].expires == 1798761599 && !r->waivers[0].expired);
  CHECK(r->waivers[1].expired && r->waivers[2].expires == 0);
  CHECK(r->scores.directory.holder_count == 1 && r->scores.exposure.holder_count == 1);
  CHECK(r->scores.directory.holders[0] < r->finding_count &&
        r->findings[r->scores.directory.holders[0]].object_count == 3);
  CHECK_STR(r->findings[r->scores.exposure.holders[0]].first_seen, "2026-01-15T08:00:00Z");
  CHECK(r->scores.directory.next_en == NULL && r->scores.directory.points_total == 40);
  CHECK(r->scores.score == 100 && r->scores.score_capped);
  CHECK(r->previous_count == 2 && r->previous[1].exposure_date == NULL);
  CHECK(r->interval.known && r->interval.days == 52 && r->interval.holds);
  CHECK_STR(r->inputs[0].start, "2026-03-01T08:00:00.250Z");
  CHECK(r->inputs[1].args == NULL && r->inputs[1].complete);
  rpt_report_free(r);
}

/* A copy of one.xml with one string replaced, written to name. */
static const char *mutate(const char *name, const char *from, const char *to, size_t cut) {
  size_t n = 0;
  char *a = slurp(tpath("one.xml"), &n);
  if (!a) return NULL;
  const char *path = tpath(name);
  char *at = from ? strstr(a, from) : NULL;
  bool ok;
  if (from && !at) {
    ok = false;
  } else if (at) {
    size_t head = (size_t)(at - a), fl = strlen(from), tl = strlen(to);
    char *b = malloc(n - fl + tl);
    memcpy(b, a, head);
    memcpy(b + head, to, tl);
    memcpy(b + head + tl, at + fl, n - head - fl);
    ok = spit(path, b, n - fl + tl);
    free(b);
  } else {
    ok = spit(path, a, cut ? cut : n);
  }
  free(a);
  return ok ? path : NULL;
}

/* Reading path fails with want and a message "path:LINE: ..." naming at. */
static void expect_refused(test_ctx *ctx, const char *path, vigie_status want, const char *at) {
  vigie_error err = {0};
  rpt_report *r = NULL;
  REQUIRE(path != NULL);
  vigie_status st = rpt_xml_read(path, &r, &err);
  CHECKF(st == want, "%s: %s", vigie_strerror(st), err.msg);
  CHECK(r == NULL);
  size_t pl = strlen(path);
  CHECKF(strncmp(err.msg, path, pl) == 0 && err.msg[pl] == ':' && err.msg[pl + 1] >= '1' &&
             err.msg[pl + 1] <= '9',
         "no file:line in \"%s\"", err.msg);
  printf("# %s\n", err.msg);
  if (at) CHECKF(strstr(err.msg, at) != NULL, "\"%s\" not in \"%s\"", at, err.msg);
  rpt_report_free(r);
}

TEST(refuses_doctype) {
  const char *p = mutate("doctype.xml", "<report ", "<!DOCTYPE report [<!ENTITY x \"y\">]>\n<report ", 0);
  vigie_error err = {0};
  rpt_report *r = NULL;
  REQUIRE(p != NULL);
  CHECK(rpt_xml_read(p, &r, &err) == VIGIE_EXML_DOCTYPE);
  CHECK(strncmp(err.msg, p, strlen(p)) == 0 && strstr(err.msg, "DOCTYPE"));
  CHECK(r == NULL);
}

TEST(refuses_wrong_namespace) {
  expect_refused(ctx, mutate("ns.xml", "urn:vigie:report:1", "urn:vigie:report:2", 0), VIGIE_ESCHEMA,
                 NULL);
}

/* A well-formed uid that no finding has: only the keyref can see it. */
TEST(refuses_dangling_holder) {
  size_t n = 0;
  char *a = slurp(tpath("one.xml"), &n);
  REQUIRE(a != NULL);
  char *at = strstr(a, "<holder finding=\"");
  REQUIRE(at != NULL);
  memcpy(at + 17, at[17] == 'f' ? "0000" : "ffff", 4);
  REQUIRE(spit(tpath("holder.xml"), a, n));
  free(a);
  expect_refused(ctx, tpath("holder.xml"), VIGIE_ESCHEMA, NULL);
}

TEST(refuses_unknown_rule) {
  expect_refused(ctx, mutate("rule.xml", "rule=\"EXP-RDP-001\"", "rule=\"EXP-NOPE-999\"", 0),
                 VIGIE_ESCHEMA, NULL);
}

TEST(refuses_truncated) {
  size_t n = 0;
  char *a = slurp(tpath("one.xml"), &n);
  REQUIRE(a != NULL);
  free(a);
  expect_refused(ctx, mutate("cut.xml", NULL, NULL, n / 2), VIGIE_EXML, NULL);
  expect_refused(ctx, mutate("cut2.xml", NULL, NULL, n - 12), VIGIE_EXML, NULL);
}

/* XSD cannot check a waiver position against the waiver list: the reader does. */
TEST(refuses_waiver_out_of_range) {
  expect_refused(ctx, mutate("waiver.xml", "waiver=\"1\"", "waiver=\"3\"", 0), VIGIE_ESCHEMA,
                 "waiver 3 is out of range");
}

TEST(refuses_duplicate_text) {
  expect_refused(ctx, mutate("lang.xml", "<title lang=\"en\">", "<title lang=\"fr\">", 0),
                 VIGIE_ESCHEMA, NULL);
}

/* The schema is a data file VIGIE_RULES_DIR can swap: with its keys taken
 * out, the reader's own checks still refuse dangling references. */
TEST(reader_checks_without_schema_keys) {
  char *xsd = vigie_data_path("report.xsd", NULL);
  REQUIRE(xsd != NULL);
  REQUIRE(run("mkdir -p '%s/rules' && sed '/<xs:keyref/,/<\\/xs:keyref>/d; /<xs:key /,/<\\/xs:key>/d' "
              "'%s' > '%s/rules/report.xsd'", tmpdir, xsd, tmpdir) == 0);
  vigie_free(xsd);
  const char *old = getenv("VIGIE_RULES_DIR");
  char *saved = old ? strdup(old) : NULL;
  setenv("VIGIE_RULES_DIR", tpath("rules"), 1);
  expect_refused(ctx, tpath("rule.xml"), VIGIE_ESCHEMA, "rule EXP-NOPE-999 is not in <rules>");
  expect_refused(ctx, tpath("holder.xml"), VIGIE_ESCHEMA, "is not in <findings>");
  expect_refused(ctx, mutate("dup.xml", "id=\"EXP-RDP-001\"", "id=\"AD-PRIV-003\"", 0), VIGIE_ESCHEMA,
                 "rule AD-PRIV-003 twice");
  if (saved) setenv("VIGIE_RULES_DIR", saved, 1);
  else unsetenv("VIGIE_RULES_DIR");
  free(saved);
}

TEST(writer_refuses_incomplete_model) {
  rpt_report *r = make_model("x");
  REQUIRE(r != NULL);
  rpt_model_assets(r)[0].address = NULL;
  vigie_error err = {0};
  FILE *f = tmpfile();
  REQUIRE(f != NULL);
  CHECK(rpt_xml_write(r, f, &err) == VIGIE_EINVAL);
  CHECK(strstr(err.msg, "198.18.0.9:443/tcp") != NULL);
  CHECK(ftell(f) == 0); /* nothing written */
  fclose(f);
  rpt_report_free(r);
}

TEST(memory_reader_names_buffer) {
  vigie_error err = {0};
  rpt_report *r = NULL;
  CHECK(rpt_xml_read_memory("<report", 7, "buf.xml", &r, &err) == VIGIE_EXML);
  CHECK(strncmp(err.msg, "buf.xml:1:", 10) == 0);
  CHECK(r == NULL);
}

static void cleanup(void) {
  if (getenv("RXML_KEEP")) return;
  if (tmpdir[0]) run("rm -rf '%s'", tmpdir);
}

int report_xml_main(void);

int main(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/vigie-rxml-XXXXXX");
  if (!mkdtemp(tmpdir)) return 99;
  int rc = report_xml_main();
  cleanup();
  return rc;
}

#define main report_xml_main
TEST_MAIN(TEST_CASE_ENTRY(round_trip_same_bytes), TEST_CASE_ENTRY(xmllint_accepts),
          TEST_CASE_ENTRY(values_survive), TEST_CASE_ENTRY(refuses_doctype),
          TEST_CASE_ENTRY(refuses_wrong_namespace), TEST_CASE_ENTRY(refuses_dangling_holder),
          TEST_CASE_ENTRY(refuses_unknown_rule), TEST_CASE_ENTRY(refuses_truncated),
          TEST_CASE_ENTRY(refuses_waiver_out_of_range), TEST_CASE_ENTRY(refuses_duplicate_text),
          TEST_CASE_ENTRY(reader_checks_without_schema_keys),
          TEST_CASE_ENTRY(writer_refuses_incomplete_model),
          TEST_CASE_ENTRY(memory_reader_names_buffer))
