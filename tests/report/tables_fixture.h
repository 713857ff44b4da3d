/* Report models for the tables' tests (test_report_tables.c and
 * report/tables_driver.c), built with report/model.h as rpt_build would:
 * both sources, a waived, a fixed and a new finding. With hostile set, every
 * string a scan or a directory supplies is an attack on a spreadsheet, a
 * JSON reader or a browser. */
#ifndef VIGIE_TEST_REPORT_TABLES_FIXTURE_H
#define VIGIE_TEST_REPORT_TABLES_FIXTURE_H

#include <string.h>

#include "report/model.h"

/* Strings that each break something when written unescaped. */
static const char *const fixture_hostile[] = {
    "=cmd|' /C calc'!A0",
    "+1",
    "-1",
    "@SUM(A1)",
    "say \"hi\" twice \"\"",
    "a;b,c;d",
    "line1\nline2\r\nline3",
    "bad\xff\xfe utf8 \xe2\x82 end \xf0\x9f",
    "ctl\x01\x02\x1b[31m\x7f\xc2\x85 end",
    "\tTAB first",
    "\rCR first",
    "</script><script>alert(1)</script>",
    "\"><svg onload=alert(1)>",
};
#define FIXTURE_HOSTILE_COUNT (sizeof fixture_hostile / sizeof fixture_hostile[0])

/* A string the arena keeps: the n-th hostile one, or plain when !hostile. */
static const char *fixture_s(rpt_report *r, bool hostile, size_t n, const char *plain) {
  return rpt_model_str(r, hostile ? fixture_hostile[n % FIXTURE_HOSTILE_COUNT] : plain);
}

static size_t fixture_rule(rpt_report *r, const char *id, rpt_source src, rpt_severity sev,
                           const char *cat, const char *fr, const char *en, const char *desc,
                           const char *cve) {
  rpt_rule *rule = rpt_model_add_rule(r);
  rule->id = rpt_model_str(r, id);
  rule->source = src;
  rule->severity = sev;
  rule->category = rpt_model_str(r, cat);
  rule->title.fr = rpt_model_str(r, fr);
  rule->title.en = rpt_model_str(r, en);
  rule->description.fr = rpt_model_str(r, desc);
  rule->remediation.fr = rpt_model_str(r, "Corriger.");
  rule->rationale.fr = rpt_model_str(r, "Un attaquant peut en profiter.");
  rpt_reference refs[2] = {{rpt_model_str(r, "ANSSI"), rpt_model_str(r, "https://cyber.gouv.fr/")},
                           {rpt_model_str(r, cve), NULL}};
  rule->refs = rpt_model_dup(r, refs, cve ? 2 : 1, sizeof refs[0]);
  rule->ref_count = cve ? 2 : 1;
  return r->rule_count - 1;
}

static size_t fixture_service(rpt_report *r, const char *addr, uint16_t port, const char *svc,
                              const char *product, const char *version) {
  rpt_asset *a = rpt_model_add_asset(r);
  a->kind = RPT_ASSET_SERVICE;
  a->address = rpt_model_str(r, addr);
  a->port = port;
  a->id = strchr(addr, ':') ? rpt_model_strf(r, "[%s]:%u/tcp", addr, port)
                            : rpt_model_strf(r, "%s:%u/tcp", addr, port);
  a->service = rpt_model_str(r, svc);
  a->product = rpt_model_str(r, product);
  a->version = rpt_model_str(r, version);
  return r->asset_count - 1;
}

static rpt_finding *fixture_finding(rpt_report *r, size_t rule, size_t asset) {
  rpt_finding *f = rpt_model_add_finding(r);
  char uid[65];
  f->rule = rule;
  f->asset = asset;
  f->severity = r->rules[rule].severity;
  rpt_model_uid(r->rules[rule].id, r->assets[asset].id, uid);
  f->uid = rpt_model_str(r, uid);
  return f;
}

/* The small model, or the hostile one (big: one value of 1 MB). */
static rpt_report *fixture_model(bool hostile) {
  rpt_report *r = rpt_model_new();
  if (!r) return NULL;
  r->uuid = "00000000-0000-4000-8000-000000000001";
  r->created = "2026-11-20T10:00:00Z";
  r->lang = "fr";
  r->establishment = fixture_s(r, hostile, 11, "CH de Test");
  r->finess = "123456789";
  r->tool_version = "0.1.0";
  r->rules_version = "2026.1";
  size_t rdp = fixture_rule(r, "EXP-RDP-001", RPT_SRC_EXPOSURE, RPT_SEV_HIGH, "remote-admin",
                            hostile ? fixture_hostile[0] : "RDP exposé", "RDP exposed",
                            hostile ? fixture_hostile[6] : "Le bureau à distance est joignable.",
                            "CVE-2019-0708");
  size_t adm = fixture_rule(r, "AD-PRIV-003", RPT_SRC_DIRECTORY, RPT_SEV_CRITICAL,
                            "privileged-accounts", "Comptes admin inactifs", "Dormant admins",
                            "Des comptes privilégiés ne servent plus.", NULL);
  size_t v4 = fixture_service(r, "198.18.0.10", 3389, fixture_s(r, hostile, 5, "ms-wbt-server"),
                              fixture_s(r, hostile, 1, "xrdp"), fixture_s(r, hostile, 2, "0.9.21"));
  size_t v6 = fixture_service(r, "2001:2::5", 3389, "ms-wbt-server", NULL, NULL);
  rpt_asset *d = rpt_model_add_asset(r);
  d->kind = RPT_ASSET_DIRECTORY;
  d->id = "ldap://dc1.example.org/DC=example,DC=org";
  d->profile = "ad";
  d->dir_server = hostile ? fixture_hostile[12] : "ldap://dc1.example.org";
  size_t dir = r->asset_count - 1;

  rpt_waiver *w = rpt_model_add_waiver(r);
  w->rule = "AD-PRIV-003";
  w->asset = "*";
  w->reason = fixture_s(r, hostile, 4, "Migration; phase \"2\", en cours");
  w->author = "rssi";
  w->expires = 1801439999; /* 2027-01-31 23:59:59 UTC */
  w->uses = 1;

  rpt_finding *f = fixture_finding(r, rdp, v4);
  f->confidence = "confirmed";
  f->trend = RPT_TREND_NEW;
  if (hostile) {
    /* 1 MB of text behind a formula: capped, and still defused */
    char *big = rpt_model_alloc(r, 1024 * 1024 + 1);
    memset(big, 'A', 1024 * 1024);
    big[0] = '=';
    f->evidence = big;
  } else {
    f->evidence = "port 3389 ouvert; NLA désactivé";
  }
  f = fixture_finding(r, adm, dir);
  f->confidence = "directory";
  f->evidence = fixture_s(r, hostile, 3, "lastLogon > 180 j");
  rpt_object objs[3] = {
      {fixture_s(r, hostile, 7, "CN=adm1,OU=Admins,DC=example,DC=org"), "adm1", NULL},
      {fixture_s(r, hostile, 8, "CN=adm2,OU=Admins,DC=example,DC=org"), "adm2", NULL},
      {fixture_s(r, hostile, 9, "CN=adm3,OU=Admins,DC=example,DC=org"), "adm3", NULL}};
  f->objects = rpt_model_dup(r, objs, 3, sizeof objs[0]);
  f->object_count = 3;
  f->objects_total = 4;
  f->trend = RPT_TREND_PERSISTING;
  f->first_seen = "2026-09-01";
  f->waiver = 0;
  f->waived = true;
  f = fixture_finding(r, rdp, v6);
  f->confidence = "banner";
  f->trend = RPT_TREND_FIXED;
  f->evidence = fixture_s(r, hostile, 10, "RDP ne répond plus");
  if (rpt_model_finish(r, NULL) != VIGIE_OK) {
    rpt_report_free(r);
    return NULL;
  }
  return r;
}

#endif
