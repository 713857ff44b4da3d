/* report.html: the CSP hash matches the stylesheet, no markup or script
 * from data survives, bytes are clean UTF-8, sections come in order, caps
 * apply, English works, and a 100,000-finding model stays under 20 MB. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "report/html_fixture.h"
#include "harness.h"
#include "report/html.h"

typedef struct page {
  char *buf;
  size_t len;
} page;

static page render(const rpt_report *r, const rpt_html_options *opts) {
  page p = {NULL, 0};
  FILE *f = open_memstream(&p.buf, &p.len);
  vigie_error err;
  if (!f || rpt_html_write(r, opts, f, &err) != VIGIE_OK) {
    printf("# rpt_html_write failed\n");
    exit(1);
  }
  fclose(f);
  return p;
}

static size_t count(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
  return n;
}

static bool has_ci(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  for (const char *p = hay; *p; p++)
    if (strncasecmp(p, needle, n) == 0) return true;
  return false;
}

/* An independent UTF-8 check: the escaper's own code is not reused. */
static bool valid_utf8(const unsigned char *s, size_t n, size_t *bad) {
  for (size_t i = 0; i < n;) {
    unsigned c = s[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (!len || i + len > n) goto fail;
    unsigned long cp = len == 1 ? c : c & (0xFFu >> (len + 1));
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) goto fail;
      cp = cp << 6 | (s[i + k] & 0x3F);
    }
    static const unsigned long min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) goto fail;
    i += len;
    continue;
  fail:
    *bad = i;
    return false;
  }
  return true;
}

/* Every tag of the page: only our element names, no on* attribute, href
 * only https. Text between tags is not looked at: it is escaped data. */
static bool tags_ok(test_ctx *ctx, const char *doc) {
  static const char *const names[] = {"!DOCTYPE", "html", "head", "meta", "title", "style", "body",
                                      "h1", "h2", "h3", "h4", "p", "b", "ul", "ol", "li", "table",
                                      "tr", "th", "td", "span", "div", "section", "details",
                                      "summary", "a", "br", "svg", "rect", "text", "footer"};
  int bad = 0;
  for (const char *p = strchr(doc, '<'); p; p = strchr(p, '<')) {
    p++;
    if (*p == '/') p++;
    size_t n = strspn(p, "!ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
    bool known = false;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
      if (strlen(names[i]) == n && strncmp(p, names[i], n) == 0) known = true;
    if (!known) {
      printf("# unknown tag <%.20s\n", p);
      bad++;
    }
    bool style = n == 5 && strncmp(p, "style", 5) == 0 && p[-1] != '/';
    p += n;
    while (*p && *p != '>') { /* attributes */
      p += strspn(p, " \t\n");
      size_t an = strcspn(p, "= >\t\n");
      if ((an >= 2 && strncasecmp(p, "on", 2) == 0) || (an == 5 && strncasecmp(p, "style", 5) == 0)) {
        printf("# forbidden attribute %.20s\n", p);
        bad++;
      }
      bool href = an == 4 && strncmp(p, "href", 4) == 0;
      p += an;
      if (*p != '=') continue;
      p++;
      if (href && strncmp(p, "\"https://", 9) != 0 && strncmp(p, "\"http://", 8) != 0) {
        printf("# href %.30s\n", p);
        bad++;
      }
      if (*p == '"' || *p == '\'') {
        const char *q = strchr(p + 1, *p);
        p = q ? q + 1 : p + strlen(p);
      } else {
        p += strcspn(p, " >");
      }
    }
    if (style) p = strstr(p, "</style>");
    if (!p) break;
  }
  (void)ctx;
  return bad == 0;
}

static char *esc(const char *s, size_t cap, bool *cut) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  bool c = rpt_html_esc(f, s, cap);
  fclose(f);
  if (cut) *cut = c;
  return buf;
}

TEST(escaper) {
  char *s = esc("a<b>&\"'z", 0, NULL);
  CHECK_STR(s, "a&lt;b&gt;&amp;&quot;&#39;z");
  free(s);
  s = esc("\x01\x1b[31mX\x7f\t\n\r", 0, NULL);
  CHECK_STR(s, "[31mX\t\n\r");
  free(s);
  s = esc("\xff\xfe", 0, NULL);
  CHECK_STR(s, "\xEF\xBF\xBD\xEF\xBF\xBD");
  free(s);
  s = esc("\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xc2\x85|\xe2\x82", 0, NULL);
  CHECK_STR(s, "\xEF\xBF\xBD\xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD|"
               "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD||\xEF\xBF\xBD\xEF\xBF\xBD");
  free(s);
  bool cut = false;
  s = esc("a\xc3\xa9z", 2, &cut); /* the cap falls inside é */
  CHECK_STR(s, "a");
  CHECK(cut);
  free(s);
  s = esc("\xc3\xa9t\xc3\xa9", 0, &cut);
  CHECK_STR(s, "\xc3\xa9t\xc3\xa9");
  CHECK(!cut);
  free(s);
}

TEST(csp_hash_matches_style) {
  char *big;
  rpt_report *r = fixture_build("fr", &big);
  page p = render(r, NULL);
  /* The CSP is the first element of <head>. */
  const char *head = strstr(p.buf, "<head>\n");
  REQUIRE(head);
  CHECK(strncmp(head + 7, "<meta http-equiv=\"Content-Security-Policy\"", 42) == 0);
  const char *h = strstr(p.buf, "style-src 'sha256-");
  REQUIRE(h);
  h += strlen("style-src 'sha256-");
  const char *st = strstr(p.buf, "<style>"), *en = strstr(p.buf, "</style>");
  REQUIRE(st && en && en > st);
  st += 7;
  unsigned char md[32];
  unsigned char b64[45];
  EVP_Digest(st, (size_t)(en - st), md, NULL, EVP_sha256(), NULL);
  EVP_EncodeBlock(b64, md, 32);
  CHECKF(strncmp(h, (char *)b64, 44) == 0 && h[44] == '\'', "%.44s vs %s", h, b64);
  CHECK(count(p.buf, "<style") == 1);
  CHECK(strstr(p.buf, "default-src 'none'; style-src 'sha256-") != NULL);
  CHECK(strstr(p.buf, "img-src data:; base-uri 'none'; form-action 'none'\">") != NULL);
  CHECK(!has_ci(p.buf, " style=")); /* the CSP would refuse style attributes */
  free(p.buf);
  rpt_report_free(r);
  free(big);
}

TEST(no_markup_from_data) {
  char *big;
  rpt_report *r = fixture_build("fr", &big);
  page p = render(r, NULL);
  CHECK(!has_ci(p.buf, "<script"));
  CHECK(!has_ci(p.buf, "<svg onload"));
  CHECK(!has_ci(p.buf, "javascript:"));
  CHECK(tags_ok(ctx, p.buf));
  /* The checker itself catches what it looks for. */
  CHECK(!tags_ok(ctx, "<p><img src=x>"));
  CHECK(!tags_ok(ctx, "<p onclick=\"x\">"));
  CHECK(!tags_ok(ctx, "<a href=\"javascript:x\">"));
  CHECK(!has_ci(p.buf, "<b>x</b>"));
  CHECK(count(p.buf, "<svg") == count(p.buf, "<svg class="));
  /* The markers are there, escaped. */
  CHECK(count(p.buf, "&lt;script&gt;alert(1)&lt;/script&gt;") > 5);
  CHECK(count(p.buf, "&quot;&gt;&lt;svg onload=alert(1)&gt;") > 3);
  CHECK(strstr(p.buf, "&lt;b&gt;x&lt;/b&gt;") != NULL);
  /* Links: only the https references, escaped, with rel="noreferrer". */
  CHECK(count(p.buf, "<a ") == count(p.buf, "<a rel=\"noreferrer\" href=\"https://"));
  CHECK(strstr(p.buf, "href=\"https://cyber.gouv.fr/publications?a=1&amp;b=2\"") != NULL);
  CHECK(strstr(p.buf, "href=\"https://example.org/&quot;&gt;&lt;svg onload=alert(1)&gt;\"") != NULL);
  free(p.buf);
  rpt_report_free(r);
  free(big);
}

TEST(clean_bytes) {
  char *big;
  rpt_report *r = fixture_build("fr", &big);
  page p = render(r, NULL);
  size_t bad_ctl = 0;
  for (size_t i = 0; i < p.len; i++) {
    unsigned char c = (unsigned char)p.buf[i];
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) bad_ctl++;
  }
  CHECK(bad_ctl == 0);
  size_t bad = 0;
  CHECKF(valid_utf8((const unsigned char *)p.buf, p.len, &bad), "invalid UTF-8 at %zu", bad);
  CHECK(strstr(p.buf, "nginx\xEF\xBF\xBD\xEF\xBF\xBD&lt;script") != NULL);
  CHECK(strstr(p.buf, "1.22[31m") != NULL);
  free(p.buf);
  rpt_report_free(r);
  free(big);
}

static const char *const headings_fr[10] = {
    "<h2>1. Synthèse managériale</h2>", "<h2>2. Synthèse technique</h2>",
    "<h2>3. Périmètre et méthode</h2>", "<h2>4. Couverture</h2>",
    "<h2>5. Plan d'action priorisé</h2>", "<h2>6. Exposition par hôte et service</h2>",
    "<h2>7. Annuaire par catégorie</h2>", "<h2>8. Dérogations</h2>",
    "<h2>9. Vue CaRE domaine 1</h2>", "<h2>10. Annexe</h2>"};

TEST(headings_in_order) {
  char *big;
  rpt_report *r = fixture_build("fr", &big);
  page p = render(r, NULL);
  CHECK(strstr(p.buf, "<html lang=\"fr\">") != NULL);
  const char *last = p.buf;
  for (int i = 0; i < 10; i++) {
    const char *at = strstr(p.buf, headings_fr[i]);
    CHECKF(at && at > last, "%s", headings_fr[i]);
    if (at) last = at;
  }
  CHECK(count(p.buf, "<h2>") == 10);
  /* Content the brief asks for, each in its place. */
  CHECK(strstr(p.buf, "pas les résultats officiels SILENE ou ADS") != NULL);
  CHECK(strstr(p.buf, "31 points de contrôle évalués sur 40") != NULL);
  CHECK(strstr(p.buf, "46 jours entre les deux derniers, <b>respectée</b>") != NULL);
  CHECK(strstr(p.buf, "non signé") != NULL);
  CHECK(strstr(p.buf, "Score : 100/100</b> (plafonné)") != NULL);
  CHECK(strstr(p.buf, "expirée") != NULL);
  CHECK(strstr(p.buf, "Corrigés depuis le dernier audit") != NULL);
  /* First actions: critical EXP-RDP-001 on 2 assets comes first. */
  const char *fa = strstr(p.buf, "Cinq premières actions");
  CHECK(fa && strstr(fa, "<li><b>[critique] EXP-RDP-001") != NULL);
  /* The fixed finding is only in the plan's fixed list, the waived one
   * not in the open plan. */
  free(p.buf);
  rpt_html_options o = {.key_fingerprint = "ab12cd"};
  p = render(r, &o);
  CHECK(strstr(p.buf, "ab12cd") != NULL && strstr(p.buf, "non signé") == NULL);
  free(p.buf);
  rpt_report_free(r);
  free(big);
}

TEST(caps_applied) {
  char *big;
  rpt_report *r = fixture_build("fr", &big);
  rpt_html_options o = {.object_cap = 10, .evidence_cap = 300};
  page p = render(r, &o);
  /* 1 MB value appears three times (fact, evidence in two sections) at most
   * 300 bytes each. */
  CHECKF(p.len < 200 * 1024, "%zu bytes", p.len);
  CHECK(count(p.buf, "tronqué, valeur complète dans report.xml") >= 2);
  CHECK(count(p.buf, "CN=obj") == 10);
  CHECK(strstr(p.buf, "et encore 490 autres") != NULL);
  free(p.buf);
  p = render(r, NULL); /* defaults: 50 objects, 2048 bytes */
  CHECK(count(p.buf, "CN=obj") == 50);
  CHECK(strstr(p.buf, "et encore 450 autres") != NULL);
  CHECKF(p.len < 400 * 1024, "%zu bytes", p.len);
  CHECK(strstr(p.buf, "AAAA&lt;script&gt;") != NULL);
  free(p.buf);
  rpt_report_free(r);
  free(big);
}

TEST(english) {
  char *big;
  rpt_report *r = fixture_build("en", &big);
  page p = render(r, NULL);
  CHECK(strstr(p.buf, "<html lang=\"en\">") != NULL);
  CHECK(strstr(p.buf, "<h2>1. Executive summary</h2>") != NULL);
  CHECK(strstr(p.buf, "<h2>10. Appendix</h2>") != NULL);
  CHECK(strstr(p.buf, "truncated, full value in report.xml") != NULL);
  CHECK(strstr(p.buf, "Title of EXP-RDP-001") != NULL);
  CHECK(strstr(p.buf, "[critical]") != NULL);
  CHECK(strstr(p.buf, "Synthèse managériale") == NULL);
  CHECK(strstr(p.buf, "Close RDP") != NULL);
  free(p.buf);
  rpt_html_options o = {.lang = "fr"}; /* the option wins over the report */
  p = render(r, &o);
  CHECK(strstr(p.buf, "<h2>1. Synthèse managériale</h2>") != NULL);
  free(p.buf);
  rpt_report_free(r);
  free(big);
}

/* 100,000 findings over 10,000 assets (2,500 hosts of 4 services). */
static rpt_report *make_big_model(void) {
  rpt_report *r = rpt_model_new();
  for (int k = 0; k < 10; k++) {
    char id[32];
    snprintf(id, sizeof id, "EXP-BIG-%03d", k);
    fixture_rule(r, id, RPT_SRC_EXPOSURE, (rpt_severity)(k % RPT_SEV_COUNT), k < 5 ? "tls" : "web");
  }
  static const uint16_t ports[4] = {22, 80, 443, 3389};
  for (int h = 0; h < 2500; h++) {
    char addr[32];
    snprintf(addr, sizeof addr, "10.%d.%d.%d", h >> 16, (h >> 8) & 255, h & 255);
    for (int q = 0; q < 4; q++) {
      rpt_asset *a = rpt_model_add_asset(r);
      a->id = rpt_model_strf(r, "%s:%u/tcp", addr, ports[q]);
      a->kind = RPT_ASSET_SERVICE;
      a->address = rpt_model_str(r, addr);
      a->port = ports[q];
      a->service = "https";
      a->product = "nginx";
      a->version = "1.22.1";
      a->tls = true;
      static const rpt_fact facts[2] = {{"tls.version.1.0", "yes"}, {"http.title", "Portail"}};
      a->facts = facts;
      a->fact_count = 2;
    }
  }
  for (size_t a = 0; a < r->asset_count; a++)
    for (size_t k = 0; k < 10; k++) {
      rpt_finding *f = rpt_model_add_finding(r);
      char uid[65];
      rpt_model_uid(r->rules[k].id, r->assets[a].id, uid);
      f->uid = rpt_model_str(r, uid);
      f->rule = k;
      f->asset = a;
      f->severity = r->rules[k].severity;
      f->confidence = "confirmed";
      f->evidence = "tls.version.1.0=yes; cert.days_left=12";
      f->trend = k == 9 ? RPT_TREND_FIXED : RPT_TREND_PERSISTING;
    }
  r->uuid = "u";
  r->created = "2026-11-26T09:00:00Z";
  r->lang = "fr";
  if (rpt_model_finish(r, NULL) != VIGIE_OK) exit(99);
  return r;
}

TEST(big_model) {
  rpt_report *r = make_big_model();
  REQUIRE(r->finding_count == 100000 && r->asset_count == 10000);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  page p = render(r, NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("# big model: 100000 findings, 10000 assets: %zu bytes (%.1f MB) in %.3f s\n", p.len,
         (double)p.len / 1e6, s);
  CHECKF(p.len <= 20u * 1000 * 1000, "%zu bytes", p.len);
  /* The time is printed, never asserted: speed targets live in bench/report.sh. */
  CHECK(strstr(p.buf, "<h2>10. Annexe</h2>") != NULL);
  free(p.buf);
  rpt_report_free(r);
}

TEST_MAIN(TEST_CASE_ENTRY(escaper), TEST_CASE_ENTRY(csp_hash_matches_style),
          TEST_CASE_ENTRY(no_markup_from_data), TEST_CASE_ENTRY(clean_bytes),
          TEST_CASE_ENTRY(headings_in_order), TEST_CASE_ENTRY(caps_applied),
          TEST_CASE_ENTRY(english), TEST_CASE_ENTRY(big_model))
