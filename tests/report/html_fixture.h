/* A report model for the HTML tests, built with report/model.h: both
 * sources, waivers, gaps, trend, and hostile strings where the network or a
 * directory could put them. Shared by tests/unit/test_report_html.c and the
 * Chromium driver. */
#ifndef VIGIE_TEST_HTML_FIXTURE_H
#define VIGIE_TEST_HTML_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "report/model.h"

#define HOSTILE_SCRIPT "<script>alert(1)</script>"
#define HOSTILE_SVG "\"><svg onload=alert(1)>"
#define HOSTILE_JS "javascript:alert(1)"
#define FIXTURE_OBJECTS 120   /* directory objects kept for AD-PRIV-001 */
#define FIXTURE_OBJ_TOTAL 500 /* and counted */
#define FIXTURE_BIG (1024 * 1024)

static rpt_rule *fixture_rule(rpt_report *r, const char *id, rpt_source src, rpt_severity sev,
                              const char *cat) {
  rpt_rule *rule = rpt_model_add_rule(r);
  rule->id = rpt_model_str(r, id);
  rule->source = src;
  rule->severity = sev;
  rule->category = rpt_model_str(r, cat);
  rule->title = (rpt_text){rpt_model_strf(r, "Titre de %s", id), rpt_model_strf(r, "Title of %s", id)};
  rule->description = (rpt_text){"Description " HOSTILE_SCRIPT, "Description in English"};
  rule->rationale = (rpt_text){"Parce que.", "Because."};
  rule->remediation = (rpt_text){"Corriger ceci.", "Fix this."};
  return rule;
}

static void fixture_refs(rpt_report *r, rpt_rule *rule) {
  rpt_reference refs[3] = {
      {"ANSSI — Recommandations", "https://cyber.gouv.fr/publications?a=1&b=2"},
      {"Doc", HOSTILE_JS},
      {HOSTILE_SVG, "https://example.org/\"><svg onload=alert(1)>"},
  };
  rule->refs = rpt_model_dup(r, refs, 3, sizeof refs[0]);
  rule->ref_count = 3;
}

static size_t fixture_service(rpt_report *r, const char *addr, uint16_t port, const char *big) {
  rpt_asset *a = rpt_model_add_asset(r);
  a->id = rpt_model_strf(r, "%s:%u/tcp", addr, (unsigned)port);
  a->kind = RPT_ASSET_SERVICE;
  a->address = rpt_model_str(r, addr);
  a->port = port;
  const char *names[2] = {"ptr." HOSTILE_SCRIPT ".example", "cert-" HOSTILE_SVG};
  a->hostnames = rpt_model_dup(r, names, 2, sizeof names[0]);
  a->hostname_count = 2;
  a->service = "https";
  a->product = "nginx\xff\xfe" HOSTILE_SCRIPT;
  a->version = "1.22\x01\x1b[31m";
  a->tls = true;
  rpt_fact facts[4] = {
      {"tls.version.1.0", "yes"},
      {"cert.subject", "CN=" HOSTILE_SVG "\x01\x7f"},
      {"http.title", big},
      {"banner", "ignored banner"},
  };
  a->facts = rpt_model_dup(r, facts, 4, sizeof facts[0]);
  a->fact_count = 4;
  return r->asset_count - 1;
}

static void fixture_finding(rpt_report *r, const char *rule, const char *asset, rpt_trend trend,
                            const char *evidence) {
  long ri = rpt_model_find_rule(r, rule), ai = rpt_model_find_asset(r, asset);
  rpt_finding *f = rpt_model_add_finding(r);
  char uid[65];
  rpt_model_uid(rule, asset, uid);
  f->uid = rpt_model_str(r, uid);
  f->rule = (size_t)ri;
  f->asset = (size_t)ai;
  f->severity = r->rules[ri].severity;
  f->confidence = "confirmed";
  f->evidence = evidence;
  f->trend = trend;
}

static void fixture_objects(rpt_report *r, rpt_finding *f) {
  rpt_object *o = rpt_model_alloc(r, FIXTURE_OBJECTS * sizeof *o);
  for (size_t i = 0; i < FIXTURE_OBJECTS; i++) {
    o[i].dn = rpt_model_strf(r, "CN=obj%zu,OU=" HOSTILE_SCRIPT ",DC=example,DC=org", i);
    o[i].name = rpt_model_strf(r, "svc%zu " HOSTILE_SVG, i);
    o[i].evidence = "servicePrincipalName=MSSQL/<b>x</b>; description=\x1b[1m";
  }
  f->objects = o;
  f->object_count = FIXTURE_OBJECTS;
  f->objects_total = FIXTURE_OBJ_TOTAL;
}

static void fixture_meta(rpt_report *r, const char *lang) {
  r->uuid = "6f1c2b9e-1d2a-4c3b-9a8f-0123456789ab";
  r->created = "2026-11-26T09:00:00Z";
  r->lang = lang;
  r->establishment = "CH " HOSTILE_SCRIPT;
  r->finess = "750000001";
  r->tool_version = "0.1.0";
  r->rules_version = "2026.11";
  r->rules_sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
  rpt_input *in = rpt_model_add_input(r);
  *in = (rpt_input){RPT_SRC_EXPOSURE, "scan.xml", "ab", "2026-11-25T16:30:27Z",
                    "2026-11-25T16:30:35Z", "vigie scan " HOSTILE_SVG, "0.1.0", false,
                    "interrupted " HOSTILE_SCRIPT};
  in = rpt_model_add_input(r);
  *in = (rpt_input){RPT_SRC_DIRECTORY, "directory.xml", "cd", "2026-11-25T17:00:00Z",
                    "2026-11-25T17:00:00Z", NULL, "0.1.0", true, NULL};
  rpt_gap *g = rpt_model_add_gap(r);
  *g = (rpt_gap){RPT_SRC_DIRECTORY, "AD-PKI-001", "not evaluated: " HOSTILE_SCRIPT};
  g = rpt_model_add_gap(r);
  *g = (rpt_gap){RPT_SRC_EXPOSURE, "scan 198.18.0.0/24", "interrupted"};
  rpt_previous *p = rpt_model_add_previous(r);
  *p = (rpt_previous){"old/report.xml", "2026-10-10T09:00:00Z", "2026-10-10T08:00:00Z", 2, 1};
  rpt_waiver *w = rpt_model_add_waiver(r);
  *w = (rpt_waiver){"EXP-TLS-001", "*", "legacy " HOSTILE_SCRIPT, "RSSI", 1700000000, true, 1};
  w = rpt_model_add_waiver(r);
  *w = (rpt_waiver){"AD-PRIV-002", "ldap://dc1", "accepted", "DSI", 1900000000, false, 0};
}

/* The whole fixture; lang "fr" or "en". big: the 1 MB value. */
static rpt_report *fixture_build(const char *lang, char **big_out) {
  rpt_report *r = rpt_model_new();
  char *big = malloc(FIXTURE_BIG + 1);
  if (!r || !big) exit(99);
  memset(big, 'A', FIXTURE_BIG);
  memcpy(big + 100, HOSTILE_SCRIPT, strlen(HOSTILE_SCRIPT));
  big[FIXTURE_BIG] = 0;
  *big_out = big;
  fixture_meta(r, lang);
  fixture_refs(r, fixture_rule(r, "EXP-RDP-001", RPT_SRC_EXPOSURE, RPT_SEV_CRITICAL, "remote-admin"));
  fixture_rule(r, "EXP-TLS-001", RPT_SRC_EXPOSURE, RPT_SEV_MEDIUM, "tls");
  rpt_rule *ad = fixture_rule(r, "AD-PRIV-001", RPT_SRC_DIRECTORY, RPT_SEV_HIGH,
                              "privileged-accounts");
  ad->anssi = "vuln_privileged_members";
  ad->level = 2;
  fixture_refs(r, ad);
  fixture_rule(r, "AD-PRIV-002", RPT_SRC_DIRECTORY, RPT_SEV_LOW, "privileged-accounts");
  fixture_service(r, "198.18.0.10", 443, big);
  fixture_service(r, "198.18.0.10", 3389, "Remote Desktop");
  fixture_service(r, "198.18.0.20", 443, "x");
  rpt_asset *d = rpt_model_add_asset(r);
  d->id = "ldap://dc1";
  d->kind = RPT_ASSET_DIRECTORY;
  d->profile = "ad";
  fixture_finding(r, "EXP-RDP-001", "198.18.0.10:3389/tcp", RPT_TREND_NEW, "rdp " HOSTILE_SVG);
  fixture_finding(r, "EXP-RDP-001", "198.18.0.20:443/tcp", RPT_TREND_PERSISTING, big);
  fixture_finding(r, "EXP-TLS-001", "198.18.0.10:443/tcp", RPT_TREND_PERSISTING, "tls.version.1.0");
  rpt_model_findings(r)[r->finding_count - 1].waived = true;
  rpt_model_findings(r)[r->finding_count - 1].waiver = 0;
  fixture_finding(r, "EXP-TLS-001", "198.18.0.20:443/tcp", RPT_TREND_FIXED, "old");
  fixture_finding(r, "AD-PRIV-001", "ldap://dc1", RPT_TREND_NEW, "members=12 " HOSTILE_SCRIPT);
  fixture_objects(r, &rpt_model_findings(r)[r->finding_count - 1]);
  fixture_finding(r, "AD-PRIV-002", "ldap://dc1", RPT_TREND_PERSISTING, "count=3");
  if (rpt_model_finish(r, NULL) != VIGIE_OK) exit(99);
  rpt_scores *s = &r->scores;
  s->counts[RPT_SEV_CRITICAL] = 2;
  s->counts[RPT_SEV_HIGH] = 1;
  s->counts[RPT_SEV_LOW] = 1;
  s->waived_counts[RPT_SEV_MEDIUM] = 1;
  s->fixed_count = 1, s->new_count = 2, s->persisting_count = 3;
  s->score = 100, s->score_capped = true;
  static size_t holders[2] = {0, 1}; /* critical ones sort first */
  s->exposure = (rpt_level){true, 1, holders, 2, "Fermer RDP " HOSTILE_SCRIPT, "Close RDP", 0, 0};
  s->directory = (rpt_level){true, 2, holders + 1, 1, "Réduire les membres", NULL, 31, 40};
  r->interval = (rpt_interval){true, 46, true};
  return r;
}

#endif
