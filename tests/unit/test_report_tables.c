/* findings.csv, findings.json and the regional roll-up (HTML and CSV) from
 * models built with report/model.h: exact bytes for a small model, and for
 * a hostile one the properties that keep spreadsheets, JSON readers and
 * browsers safe (TAP). */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "report/esc.h"
#include "report/find_text.h"
#include "report/tables_fixture.h"

/* ---------------------------------------------------------------- helpers */

/* Run a writer into memory. \return the bytes (caller frees) or NULL. */
typedef vigie_status (*writer_fn)(const void *ctx, FILE *out, vigie_error *err);

static char *capture(writer_fn fn, const void *ctx, size_t *len, vigie_status *st) {
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  if (!f) return NULL;
  vigie_error err = {0};
  *st = fn(ctx, f, &err);
  if (*st != VIGIE_OK) printf("# writer: %s\n", vigie_error_text(&err));
  fclose(f);
  if (len) *len = n;
  return buf;
}

typedef struct csv_ctx {
  const rpt_report *r;
  rpt_csv_options opts;
} csv_ctx;

static vigie_status w_csv(const void *ctx, FILE *out, vigie_error *err) {
  const csv_ctx *c = ctx;
  return rpt_csv_write(c->r, &c->opts, out, err);
}
static vigie_status w_json(const void *ctx, FILE *out, vigie_error *err) {
  return rpt_json_write(ctx, out, err);
}

typedef struct rollup_ctx {
  const rpt_report *const *reports;
  size_t count;
  const char *lang;
  rpt_csv_options opts;
} rollup_ctx;

static vigie_status w_rollup_html(const void *ctx, FILE *out, vigie_error *err) {
  const rollup_ctx *c = ctx;
  return rpt_rollup_html(c->reports, c->count, c->lang, out, err);
}
static vigie_status w_rollup_csv(const void *ctx, FILE *out, vigie_error *err) {
  const rollup_ctx *c = ctx;
  return rpt_rollup_csv(c->reports, c->count, &c->opts, out, err);
}

/* An RFC 4180 reader for the checks: calls cell(ctx, row, col, text, len)
 * and returns the number of rows, or -1 when the CSV is malformed (a quote
 * inside an unquoted cell, an unterminated quote, a row not ended by CRLF). */
typedef void (*cell_fn)(void *ctx, size_t row, size_t col, const char *s, size_t len);

static long csv_read(const char *p, size_t len, char sep, cell_fn cell, void *ctx) {
  const char *end = p + len;
  size_t row = 0, col = 0;
  char *tmp = malloc(len + 1);
  while (p < end) {
    size_t n = 0;
    if (*p == '"') {
      for (p++;; p++) {
        if (p >= end) goto bad;
        if (*p == '"') {
          if (p + 1 < end && p[1] == '"')
            tmp[n++] = *p++;
          else
            break;
        } else {
          tmp[n++] = *p;
        }
      }
      p++;
    } else {
      for (; p < end && *p != sep && *p != '\r' && *p != '\n'; p++) {
        if (*p == '"') goto bad;
        tmp[n++] = *p;
      }
    }
    cell(ctx, row, col, tmp, n);
    if (p < end && *p == sep) {
      p++, col++;
    } else if (p + 1 < end && p[0] == '\r' && p[1] == '\n') {
      p += 2, row++, col = 0;
    } else {
      goto bad;
    }
  }
  free(tmp);
  return (long)row;
bad:
  free(tmp);
  return -1;
}

typedef struct csv_stats {
  size_t cols[16384];
  size_t max_row;
  size_t formula_cells; /* cells starting with = + - @ TAB CR */
  size_t long_cells;    /* over 32,000 bytes */
  size_t apostrophes;   /* cells starting with ' */
  size_t cut_cells;     /* ending with the cut marker */
} csv_stats;

static void stat_cell(void *ctx, size_t row, size_t col, const char *s, size_t len) {
  csv_stats *st = ctx;
  if (row < 16384) st->cols[row] = col + 1;
  if (row > st->max_row) st->max_row = row;
  if (len && strchr("=+-@\t\r", s[0])) st->formula_cells++;
  if (len && s[0] == '\'') st->apostrophes++;
  if (len > RPT_CSV_CELL_MAX + 1) st->long_cells++;
  const char *m = "… (tronqué)";
  size_t ml = strlen(m);
  if (len >= ml && memcmp(s + len - ml, m, ml) == 0) st->cut_cells++;
}

/* ------------------------------------------------------------ the goldens */

static const char golden_csv[] =
    "Date,Title,CweId,Url,Severity,Description,Mitigation,Impact,References,Active,Verified,"
    "FalsePositive,Duplicate,RuleId,Source,Asset,Address,Port,Service,Product,Version,"
    "Confidence,Objects,Trend,FirstSeen,Waived,WaiverReason,WaiverExpires,Uid\r\n"
    "2026-11-20,Comptes admin inactifs,0,dc1.example.org:389,Critical,\"Des comptes privilégiés "
    "ne servent plus.\n\n"
    "Actif : ldap://dc1.example.org/DC=example,DC=org\n"
    "Preuve : lastLogon > 180 j\n"
    "Confiance : directory\n"
    "Évolution : persisting\n"
    "Dérogation : Migration; phase \"\"2\"\", en cours\n"
    "Fin de dérogation : 2027-01-31\n"
    "Objets : 4\n"
    "- CN=adm1,OU=Admins,DC=example,DC=org\n"
    "- CN=adm2,OU=Admins,DC=example,DC=org\n"
    "- CN=adm3,OU=Admins,DC=example,DC=org\",Corriger.,Un attaquant peut en profiter.,"
    "ANSSI: https://cyber.gouv.fr/,True,False,False,False,AD-PRIV-003,directory,"
    "\"ldap://dc1.example.org/DC=example,DC=org\",ldap://dc1.example.org,,,,,directory,"
    "\"4: CN=adm1,OU=Admins,DC=example,DC=org | CN=adm2,OU=Admins,DC=example,DC=org | "
    "CN=adm3,OU=Admins,DC=example,DC=org\",persisting,2026-09-01,True,"
    "\"Migration; phase \"\"2\"\", en cours\",2027-01-31,"
    "UIDADM\r\n"
    "2026-11-20,RDP exposé,0,198.18.0.10:3389,High,\"Le bureau à distance est joignable.\n\n"
    "Actif : 198.18.0.10:3389/tcp\n"
    "Preuve : port 3389 ouvert; NLA désactivé\n"
    "Confiance : confirmed\n"
    "Évolution : new\",Corriger.,Un attaquant peut en profiter.,\"ANSSI: https://cyber.gouv.fr/\n"
    "CVE-2019-0708\",True,False,False,False,EXP-RDP-001,exposure,198.18.0.10:3389/tcp,"
    "198.18.0.10,3389,ms-wbt-server,xrdp,0.9.21,confirmed,,new,,False,,,UIDRDP4\r\n"
    "2026-11-20,RDP exposé,0,[2001:2::5]:3389,High,\"Le bureau à distance est joignable.\n\n"
    "Actif : [2001:2::5]:3389/tcp\n"
    "Preuve : RDP ne répond plus\n"
    "Confiance : banner\n"
    "Évolution : fixed\",Corriger.,Un attaquant peut en profiter.,\"ANSSI: https://cyber.gouv.fr/\n"
    "CVE-2019-0708\",False,False,False,False,EXP-RDP-001,exposure,[2001:2::5]:3389/tcp,"
    "2001:2::5,3389,ms-wbt-server,,,banner,,fixed,,False,,,UIDRDP6\r\n";

static const char golden_json[] =
    "{\"name\":\"vigie\",\"type\":\"vigie report\",\"version\":\"0.1.0\",\"description\":"
    "\"CH de Test (FINESS 123456789), rapport 00000000-0000-4000-8000-000000000001 du "
    "2026-11-20T10:00:00Z, règles 2026.1\",\"findings\":[\n"
    "{\"title\":\"Comptes admin inactifs\",\"severity\":\"Critical\",\"description\":\"Des "
    "comptes privilégiés ne servent plus.\\u000a\\u000aActif : ldap://dc1.example.org/DC=example,"
    "DC=org\\u000aPreuve : lastLogon > 180 j\\u000aConfiance : directory\\u000aÉvolution : "
    "persisting\\u000aDérogation : Migration; phase \\\"2\\\", en cours\\u000aFin de dérogation "
    ": 2027-01-31\\u000aObjets : 4\\u000a- CN=adm1,OU=Admins,DC=example,DC=org\\u000a- "
    "CN=adm2,OU=Admins,DC=example,DC=org\\u000a- CN=adm3,OU=Admins,DC=example,DC=org\","
    "\"date\":\"2026-11-20\",\"mitigation\":\"Corriger.\",\"impact\":\"Un attaquant peut en "
    "profiter.\",\"references\":\"ANSSI: https://cyber.gouv.fr/\",\"active\":true,"
    "\"verified\":false,\"false_p\":false,\"risk_accepted\":true,\"is_mitigated\":false,"
    "\"unique_id_from_tool\":\"UIDADM\",\"vuln_id_from_tool\":\"AD-PRIV-003\","
    "\"endpoints\":[\"dc1.example.org:389\"],\"tags\":[\"vigie\",\"directory\","
    "\"privileged-accounts\"]},\n"
    "{\"title\":\"RDP exposé\",\"severity\":\"High\",\"description\":\"Le bureau à distance est "
    "joignable.\\u000a\\u000aActif : 198.18.0.10:3389/tcp\\u000aPreuve : port 3389 ouvert; NLA "
    "désactivé\\u000aConfiance : confirmed\\u000aÉvolution : new\",\"date\":\"2026-11-20\","
    "\"mitigation\":\"Corriger.\",\"impact\":\"Un attaquant peut en profiter.\","
    "\"references\":\"ANSSI: https://cyber.gouv.fr/\\u000aCVE-2019-0708\",\"active\":true,"
    "\"verified\":false,\"false_p\":false,\"risk_accepted\":false,\"is_mitigated\":false,"
    "\"component_name\":\"xrdp\",\"component_version\":\"0.9.21\",\"service\":\"ms-wbt-server\","
    "\"unique_id_from_tool\":\"UIDRDP4\",\"vuln_id_from_tool\":\"EXP-RDP-001\","
    "\"endpoints\":[\"198.18.0.10:3389\"],\"tags\":[\"vigie\",\"exposure\",\"remote-admin\"],"
    "\"vulnerability_ids\":[\"CVE-2019-0708\"]},\n"
    "{\"title\":\"RDP exposé\",\"severity\":\"High\",\"description\":\"Le bureau à distance est "
    "joignable.\\u000a\\u000aActif : [2001:2::5]:3389/tcp\\u000aPreuve : RDP ne répond plus\\u000a"
    "Confiance : banner\\u000aÉvolution : fixed\",\"date\":\"2026-11-20\",\"mitigation\":"
    "\"Corriger.\",\"impact\":\"Un attaquant peut en profiter.\",\"references\":\"ANSSI: "
    "https://cyber.gouv.fr/\\u000aCVE-2019-0708\",\"active\":false,\"verified\":false,"
    "\"false_p\":false,\"risk_accepted\":false,\"is_mitigated\":true,\"service\":"
    "\"ms-wbt-server\",\"unique_id_from_tool\":\"UIDRDP6\",\"vuln_id_from_tool\":"
    "\"EXP-RDP-001\",\"endpoints\":[\"[2001:2::5]:3389\"],\"tags\":[\"vigie\",\"exposure\","
    "\"remote-admin\"],\"vulnerability_ids\":[\"CVE-2019-0708\"]}\n"
    "]}\n";

/* The golden texts hold UIDADM, UIDRDP4, UIDRDP6 for the computed uids. */
static char *with_uids(const char *golden) {
  char a[65], b[65], c[65];
  rpt_model_uid("AD-PRIV-003", "ldap://dc1.example.org/DC=example,DC=org", a);
  rpt_model_uid("EXP-RDP-001", "198.18.0.10:3389/tcp", b);
  rpt_model_uid("EXP-RDP-001", "[2001:2::5]:3389/tcp", c);
  const char *keys[3] = {"UIDADM", "UIDRDP4", "UIDRDP6"}, *vals[3] = {a, b, c};
  char *out = malloc(strlen(golden) + 3 * 64 + 1), *o = out;
  for (const char *p = golden; *p;) {
    int k = -1;
    for (int i = 0; i < 3; i++)
      if (strncmp(p, keys[i], strlen(keys[i])) == 0 && (k < 0 || strlen(keys[i]) > strlen(keys[k])))
        k = i;
    if (k >= 0) {
      memcpy(o, vals[k], 64), o += 64, p += strlen(keys[k]);
    } else {
      *o++ = *p++;
    }
  }
  *o = '\0';
  return out;
}

/* Print the first difference, for a readable failure. */
static bool same(const char *got, const char *want) {
  if (got && strcmp(got, want) == 0) return true;
  size_t i = 0;
  while (got && got[i] && got[i] == want[i]) i++;
  printf("# differs at byte %zu:\n#  got: %.80s\n# want: %.80s\n", i, got ? got + i : "(null)",
         want + i);
  return false;
}

/* ------------------------------------------------------------------ cases */

TEST(csv_small_model_exact) {
  rpt_report *r = fixture_model(false);
  REQUIRE(r);
  csv_ctx c = {r, {0, false}};
  vigie_status st;
  char *got = capture(w_csv, &c, NULL, &st), *want = with_uids(golden_csv);
  CHECK(st == VIGIE_OK);
  CHECK(same(got, want));
  free(got);
  free(want);
  rpt_report_free(r);
}

TEST(csv_bom_and_semicolon) {
  rpt_report *r = fixture_model(false);
  REQUIRE(r);
  csv_ctx c = {r, {';', true}};
  vigie_status st;
  size_t len;
  char *got = capture(w_csv, &c, &len, &st);
  REQUIRE(got && st == VIGIE_OK);
  CHECK(memcmp(got,
               "\xEF\xBB\xBF"
               "Date;Title;CweId;Url;",
               24) == 0);
  /* a cell holding ';' is quoted now, one holding only ',' is not */
  CHECK(strstr(got, ";\"Migration; phase \"\"2\"\", en cours\";2027-01-31;") != NULL);
  CHECK(strstr(got, ";ldap://dc1.example.org/DC=example,DC=org;ldap://dc1.example.org;;") != NULL);
  csv_stats s = {0};
  CHECK(csv_read(got + 3, len - 3, ';', stat_cell, &s) == 4);
  for (size_t i = 0; i <= s.max_row; i++) CHECKF(s.cols[i] == 29, "row %zu: %zu", i, s.cols[i]);
  free(got);
  rpt_report_free(r);
}

static void check_hostile_csv(test_ctx *ctx, const rpt_report *r, char sep) {
  csv_ctx c = {r, {sep, false}};
  vigie_status st;
  size_t len;
  char *got = capture(w_csv, &c, &len, &st);
  REQUIRE(got && st == VIGIE_OK);
  csv_stats *s = calloc(1, sizeof *s);
  long rows = csv_read(got, len, sep, stat_cell, s);
  CHECKF(rows == 4, "rows %ld", rows);
  for (size_t i = 0; i <= s->max_row; i++) CHECKF(s->cols[i] == 29, "row %zu: %zu", i, s->cols[i]);
  CHECK(s->formula_cells == 0);
  CHECK(s->long_cells == 0);
  CHECK(s->apostrophes >= 4); /* title, product, version, evidence... each defused */
  CHECK(s->cut_cells >= 1);   /* the 1 MB description */
  CHECK(strstr(got, "\xff") == NULL && strstr(got, "\x1b") == NULL && strstr(got, "\x01") == NULL);
  CHECK(strstr(got, "bad\xEF\xBF\xBD\xEF\xBF\xBD utf8 \xEF\xBF\xBD end \xEF\xBF\xBD") != NULL);
  CHECK(strstr(got, "ctl[31m end") != NULL); /* C0, DEL and C1 controls dropped */
  free(s);
  free(got);
}

TEST(csv_hostile_model_is_defused) {
  rpt_report *r = fixture_model(true);
  REQUIRE(r);
  check_hostile_csv(ctx, r, ',');
  check_hostile_csv(ctx, r, ';');
  rpt_report_free(r);
}

TEST(csv_cell_rules) {
  rpt_csvw w;
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  REQUIRE(f);
  rpt_csvw_init(&w, f, NULL, "en");
  const char *cells[] = {"=1+1", "+1",   "-1",   "@SUM(A1)", "\tx", "\ry", "plain",
                         "a,b",  "q\"q", "l\nl", NULL,       "é",   "x=1"};
  for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) rpt_csvw_cell(&w, cells[i]);
  rpt_csvw_end_row(&w);
  CHECK(rpt_csvw_finish(&w, "t", NULL) == VIGIE_OK);
  fclose(f);
  /* TAB and CR are controls, so dropped before the formula test */
  CHECK(same(buf,
             "\"'=1+1\",\"'+1\",\"'-1\",\"'@SUM(A1)\",x,y,plain,\"a,b\",\"q\"\"q\","
             "\"l\nl\",,é,x=1\r\n"));
  free(buf);
}

TEST(cell_cap_cuts_at_a_character) {
  rpt_buf b = {0};
  char *big = malloc(40000);
  /* 2-byte characters: the cut must not split one */
  for (size_t i = 0; i + 1 < 40000; i += 2) big[i] = '\xC3', big[i + 1] = '\xA9';
  big[39999] = '\0';
  CHECK(rpt_clean_cell(&b, big, RPT_CSV_CELL_MAX, "… (tronqué)"));
  const char *s = rpt_buf_str(&b);
  CHECK(b.len <= RPT_CSV_CELL_MAX);
  CHECK(strcmp(s + b.len - strlen("… (tronqué)"), "… (tronqué)") == 0);
  CHECK(((unsigned char)s[b.len - strlen("… (tronqué)") - 1]) == 0xA9);
  b.len = 0;
  /* exactly at the cap: no cut */
  memset(big, 'x', RPT_CSV_CELL_MAX);
  big[RPT_CSV_CELL_MAX] = '\0';
  CHECK(!rpt_clean_cell(&b, big, RPT_CSV_CELL_MAX, "… (tronqué)"));
  CHECK(b.len == RPT_CSV_CELL_MAX);
  rpt_buf_free(&b);
  free(big);
}

TEST(json_small_model_exact) {
  rpt_report *r = fixture_model(false);
  REQUIRE(r);
  vigie_status st;
  char *got = capture(w_json, r, NULL, &st), *want = with_uids(golden_json);
  CHECK(st == VIGIE_OK);
  CHECK(same(got, want));
  free(got);
  free(want);
  rpt_report_free(r);
}

TEST(json_escapes) {
  rpt_buf b = {0};
  rpt_esc_json(&b, "a\"\\</script>\x01\n\x7f\xe2\x80\xa8\xff", 0, NULL);
  CHECK_STR(rpt_buf_str(&b), "\"a\\\"\\\\<\\/script>\\u0001\\u000a\\u007f\\u2028\xEF\xBF\xBD\"");
  b.len = 0;
  rpt_esc_json(&b, "éé", 3, "…"); /* the cap falls inside the second é */
  CHECK_STR(rpt_buf_str(&b), "\"é…\"");
  rpt_buf_free(&b);
}

TEST(json_hostile_model) {
  rpt_report *r = fixture_model(true);
  REQUIRE(r);
  vigie_status st;
  size_t len;
  char *got = capture(w_json, r, &len, &st);
  REQUIRE(got && st == VIGIE_OK);
  /* no raw control byte, no invalid UTF-8, no closing tag */
  bool raw_ctl = false;
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)got[i] < 0x20 && got[i] != '\n') raw_ctl = true;
  CHECK(!raw_ctl);
  CHECK(strstr(got, "</") == NULL);
  CHECK(strstr(got, "\xff") == NULL);
  CHECK(len < 200 * 1024); /* the 1 MB evidence is capped */
  /* the hostile dir_server gives no endpoint */
  CHECK(strstr(got, "svg onload") == NULL || strstr(got, "\"endpoints\":[\"\\\">") == NULL);
  free(got);
  rpt_report_free(r);
}

TEST(json_tag_is_one_word) {
  rpt_report *r = fixture_model(false);
  REQUIRE(r);
  for (size_t i = 0; i < r->rule_count; i++) rpt_model_rules(r)[i].category = "remote admin,<x>";
  vigie_status st;
  char *got = capture(w_json, r, NULL, &st);
  CHECK(got && strstr(got, ",\"remote-admin--x-\"]") != NULL);
  free(got);
  rpt_report_free(r);
}

/* A full disk is an error the caller hears about, never a silent short file. */
TEST(write_errors_are_reported) {
  FILE *f = fopen("/dev/full", "w");
  if (!f) {
    printf("# no /dev/full: skipped\n");
    return;
  }
  rpt_report *r = fixture_model(false);
  REQUIRE(r);
  const rpt_report *rs[1] = {r};
  vigie_error err = {0};
  CHECK(rpt_csv_write(r, NULL, f, &err) == VIGIE_EIO);
  CHECK(strstr(err.msg, "findings.csv") != NULL);
  clearerr(f);
  CHECK(rpt_json_write(r, f, &err) == VIGIE_EIO);
  clearerr(f);
  CHECK(rpt_rollup_html(rs, 1, "fr", f, &err) == VIGIE_EIO);
  clearerr(f);
  CHECK(rpt_rollup_csv(rs, 1, NULL, f, &err) == VIGIE_EIO);
  fclose(f);
  rpt_report_free(r);
}

TEST(endpoints) {
  rpt_asset a = {.kind = RPT_ASSET_DIRECTORY};
  const char *in[] = {"ldaps://dc.example.org",
                      "ldap://[2001:2::1]:1389/DC=x",
                      "ldapi:///",
                      "ldap://bad host/",
                      "ldap://h:99999",
                      "ldap://h:636?x",
                      "https://h"};
  const char *want[] = {"dc.example.org:636", "[2001:2::1]:1389", NULL, NULL, NULL, "h:636", NULL};
  for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
    rpt_buf b = {0};
    a.dir_server = in[i];
    bool ok = rpt_ftext_endpoint(&b, &a);
    CHECKF(ok == (want[i] != NULL), "%s", in[i]);
    if (want[i]) CHECK_STR(rpt_buf_str(&b), want[i]);
    rpt_buf_free(&b);
  }
}

/* ---------------------------------------------------------------- roll-up */

static rpt_report *rollup_model(const char *name, int exposure, int directory, long days) {
  rpt_report *r = rpt_model_new();
  r->created = "2026-11-20T10:00:00Z";
  r->lang = "fr";
  r->establishment = rpt_model_str(r, name);
  r->finess = "010000001";
  r->scores.exposure.known = exposure > 0;
  r->scores.exposure.value = exposure;
  r->scores.directory.known = directory > 0;
  r->scores.directory.value = directory;
  r->scores.score = (unsigned)(10 * (6 - (exposure ? exposure : 5)));
  r->scores.counts[RPT_SEV_CRITICAL] = exposure == 1 ? 2 : 0;
  r->scores.counts[RPT_SEV_HIGH] = 3;
  r->scores.new_count = 1;
  r->scores.fixed_count = 2;
  r->scores.persisting_count = 4;
  if (days) {
    r->interval.known = true;
    r->interval.days = days;
    r->interval.holds = days >= 45 && days <= 60;
    rpt_input *in = rpt_model_add_input(r);
    in->kind = RPT_SRC_EXPOSURE;
    in->start = "2026-11-19T08:00:00Z";
    rpt_previous *p = rpt_model_add_previous(r);
    p->exposure_level = exposure > 1 ? exposure - 1 : exposure;
    p->directory_level = directory;
    p->exposure_date = "2026-09-28T08:00:00Z";
  }
  return r;
}

/* Text between two markers, or NULL. */
static char *between(const char *s, const char *a, const char *b) {
  const char *p = strstr(s, a), *q;
  if (!p) return NULL;
  p += strlen(a);
  if (!(q = strstr(p, b))) return NULL;
  return strndup(p, (size_t)(q - p));
}

TEST(rollup_html) {
  rpt_report *m[4] = {rollup_model("Zeta", 3, 2, 52),
                      rollup_model("<script>alert(1)</script> CH", 1, 0, 30),
                      rollup_model("Alpha", 2, 0, 0), rollup_model("Omega & \"fils\"", 0, 0, 0)};
  rollup_ctx c = {(const rpt_report *const *)m, 4, "fr", {0, false}};
  vigie_status st;
  char *got = capture(w_rollup_html, &c, NULL, &st);
  REQUIRE(got && st == VIGIE_OK);
  /* worst level first, then by name; unknown levels last */
  const char *p1 = strstr(got, "&lt;script&gt;alert(1)&lt;/script&gt; CH"),
             *p2 = strstr(got, ">Alpha<"), *p3 = strstr(got, ">Zeta<"),
             *p4 = strstr(got, ">Omega &amp; &quot;fils&quot;<"), *pt = strstr(got, "<tfoot>");
  CHECK(p1 && p2 && p3 && p4 && pt);
  CHECK(p1 < p2 && p2 < p3 && p3 < p4 && p4 < pt);
  CHECK(strstr(got, "<script") == NULL);
  /* the CSP names the SHA-256 of the one style block, computed here apart */
  char *style = between(got, "<style>", "</style>");
  REQUIRE(style);
  unsigned char md[32];
  unsigned int mdlen;
  char b64[64], want[128];
  EVP_Digest(style, strlen(style), md, &mdlen, EVP_sha256(), NULL);
  EVP_EncodeBlock((unsigned char *)b64, md, 32);
  snprintf(want, sizeof want, "style-src 'sha256-%s';", b64);
  CHECK(strstr(got, want) != NULL);
  CHECK(strstr(style, "@media print") != NULL);
  CHECK(strstr(got, "default-src 'none'") != NULL);
  /* trend and interval cells */
  CHECK(strstr(got, "<td>2 → 3</td><td>stable</td><td>2026-11-19</td><td>oui (52 j)</td>"));
  CHECK(strstr(got, "<td class=\"ko\">non (30 j)</td>"));
  CHECK(strstr(got, "Total (4 établissements)"));
  CHECK(strstr(got, "1 sur 2 respectés"));
  CHECK(strstr(got, "pas des résultats officiels"));
  free(style);
  free(got);
  c.lang = "en";
  got = capture(w_rollup_html, &c, NULL, &st);
  CHECK(got && strstr(got, "<html lang=\"en\">") && strstr(got, "not official results"));
  free(got);
  for (int i = 0; i < 4; i++) rpt_report_free(m[i]);
}

TEST(rollup_csv) {
  rpt_report *m[3] = {rollup_model("=HYPERLINK(\"x\")", 3, 2, 52),
                      rollup_model("Beta;CH", 1, 0, 30), rollup_model("Alpha", 0, 0, 0)};
  rollup_ctx c = {(const rpt_report *const *)m, 3, "fr", {';', false}};
  vigie_status st;
  size_t len;
  char *got = capture(w_rollup_csv, &c, &len, &st);
  REQUIRE(got && st == VIGIE_OK);
  const char *want =
      "Établissement;FINESS;Date du rapport;Niveau exposition;Niveau annuaire;Score;Critiques;"
      "Élevées;Moyennes;Faibles;Info;Nouvelles;Corrigées;Persistantes;Évolution exposition;"
      "Évolution annuaire;Dernier audit d'exposition;Intervalle 45–60 j\r\n"
      "\"Beta;CH\";010000001;2026-11-20;1;;50;2;3;0;0;0;1;2;4;stable;;2026-11-19;non (30 j)\r\n"
      "\"'=HYPERLINK(\"\"x\"\")\";010000001;2026-11-20;3;2;30;0;3;0;0;0;1;2;4;2 → 3;stable;"
      "2026-11-19;oui (52 j)\r\n"
      "Alpha;010000001;2026-11-20;;;10;0;3;0;0;0;1;2;4;;;;\r\n"
      "Total (3 établissements);;;1;2;;2;9;0;0;0;3;6;12;;;;1 sur 2 respectés\r\n";
  CHECK(same(got, want));
  free(got);
  for (int i = 0; i < 3; i++) rpt_report_free(m[i]);
}

TEST(rollup_empty) {
  rollup_ctx c = {NULL, 0, "fr", {0, false}};
  vigie_status st;
  char *got = capture(w_rollup_csv, &c, NULL, &st);
  CHECK(st == VIGIE_OK && got && strstr(got, "Total (0 établissements)"));
  free(got);
  got = capture(w_rollup_html, &c, NULL, &st);
  CHECK(st == VIGIE_OK && got && strstr(got, "</html>"));
  free(got);
}

TEST_MAIN(TEST_CASE_ENTRY(csv_small_model_exact), TEST_CASE_ENTRY(csv_bom_and_semicolon),
          TEST_CASE_ENTRY(csv_hostile_model_is_defused), TEST_CASE_ENTRY(csv_cell_rules),
          TEST_CASE_ENTRY(cell_cap_cuts_at_a_character), TEST_CASE_ENTRY(json_small_model_exact),
          TEST_CASE_ENTRY(json_escapes), TEST_CASE_ENTRY(json_hostile_model),
          TEST_CASE_ENTRY(json_tag_is_one_word), TEST_CASE_ENTRY(write_errors_are_reported),
          TEST_CASE_ENTRY(endpoints), TEST_CASE_ENTRY(rollup_html), TEST_CASE_ENTRY(rollup_csv),
          TEST_CASE_ENTRY(rollup_empty))
