/* report.xml of every fixture (real lab results, hostile results) validates
 * against rules/report.xsd, and reading it back then writing it again gives
 * the same bytes: the canonical record loses nothing. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/harness.h"
#include "vigie/report.h"

#define NOW ((time_t)1795000000) /* 2026-11-18 */

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
    n += got;
    if (n == cap) {
      char *bigger = realloc(buf, cap *= 2);
      if (!bigger) free(buf);
      buf = bigger;
    }
  }
  fclose(f);
  *len = n;
  return buf;
}

static char *data_path(const char *name) {
  const char *dir = getenv("VIGIE_TEST_DATA");
  char *p = malloc(4096);
  snprintf(p, 4096, "%s/report/%s", dir ? dir : "tests/data", name);
  return p;
}

/* Build from inputs, write, read back, write again: same bytes. */
static void round_trip(test_ctx *ctx, const char *const *scans, size_t nscans,
                       const char *const *dirs, size_t ndirs, const char *label) {
  rpt_build_options o = {.scans = scans, .scan_count = nscans, .directories = dirs,
                         .directory_count = ndirs, .establishment = "CH <test> & \"co\"",
                         .finess = "750000001", .now = NOW};
  rpt_report *r = NULL, *back = NULL;
  vigie_error err = {0};
  vigie_status st = rpt_build(&o, &r, &err);
  CHECKF(st == VIGIE_OK, "%s: build: %s", label, vigie_error_text(&err));
  if (st != VIGIE_OK) return;
  char first[] = "/tmp/vigie-rt1.XXXXXX", second[] = "/tmp/vigie-rt2.XXXXXX";
  int fd1 = mkstemp(first), fd2 = mkstemp(second);
  FILE *f1 = fdopen(fd1, "w"), *f2 = fdopen(fd2, "w");
  REQUIRE(f1 && f2);
  CHECKF(rpt_xml_write(r, f1, &err) == VIGIE_OK, "%s: write: %s", label, vigie_error_text(&err));
  fclose(f1);
  st = rpt_xml_read(first, &back, &err);
  CHECKF(st == VIGIE_OK, "%s: read back: %s", label, vigie_error_text(&err));
  if (st == VIGIE_OK) {
    CHECK(back->finding_count == r->finding_count && back->asset_count == r->asset_count &&
          back->rule_count == r->rule_count);
    CHECKF(rpt_xml_write(back, f2, &err) == VIGIE_OK, "%s: rewrite: %s", label,
           vigie_error_text(&err));
  }
  fclose(f2);
  size_t l1 = 0, l2 = 0;
  char *a = slurp(first, &l1), *b = slurp(second, &l2);
  CHECKF(a && b && l1 == l2 && memcmp(a, b, l1) == 0, "%s: the rewritten report.xml differs "
         "(%zu vs %zu bytes): keep %s and %s", label, l1, l2, first, second);
  bool same = a && b && l1 == l2 && memcmp(a, b, l1) == 0;
  printf("# %s: %zu findings, %zu assets, report.xml %zu bytes\n", label, r->finding_count,
         r->asset_count, l1);
  free(a);
  free(b);
  if (same) {
    unlink(first);
    unlink(second);
  }
  rpt_report_free(r);
  rpt_report_free(back);
}

TEST(lab_fixtures) {
  char *scan = data_path("lab-scan.xml"), *ad = data_path("lab-directory-ad.xml"),
       *ol = data_path("lab-directory-openldap.xml");
  const char *scans[] = {scan}, *dirs[] = {ad, ol};
  round_trip(ctx, scans, 1, dirs, 2, "lab scan + AD + OpenLDAP");
  round_trip(ctx, scans, 1, NULL, 0, "lab scan alone");
  round_trip(ctx, NULL, 0, dirs, 1, "lab AD alone");
  free(scan);
  free(ad);
  free(ol);
}

/* Every scan and directory file of the hostile fixtures, together. */
TEST(hostile_fixtures) {
  char *dir = data_path("hostile");
  DIR *d = opendir(dir);
  REQUIRE(d != NULL);
  const char *scans[64], *dirs[64];
  char *owned[128];
  size_t ns = 0, nd = 0, no = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL && no < 128;) {
    size_t len = strlen(e->d_name);
    if (len < 5 || strcmp(e->d_name + len - 4, ".xml") != 0) continue;
    char *p = malloc(4096);
    snprintf(p, 4096, "%s/%s", dir, e->d_name);
    owned[no++] = p;
    if (strstr(e->d_name, "scan") && ns < 64) scans[ns++] = p;
    else if (strstr(e->d_name, "directory") && nd < 64) dirs[nd++] = p;
  }
  closedir(d);
  CHECK(ns > 0 && nd > 0);
  round_trip(ctx, scans, ns, dirs, nd, "hostile scan and directory results");
  for (size_t i = 0; i < no; i++) free(owned[i]);
  free(dir);
}

TEST_MAIN(TEST_CASE_ENTRY(lab_fixtures), TEST_CASE_ENTRY(hostile_fixtures))
