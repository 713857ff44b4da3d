/* Test helper, not part of vigie: writes findings.csv (',' and ';' with a
 * BOM), findings.json, rollup.html and rollup.csv from the hostile fixture
 * into a directory, with hostile.hex (one hostile string per line, in hex)
 * for test_report_tables.sh to compare against.
 * With --bench N it builds a model of N findings instead and prints the
 * time and size of each output. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/tables_fixture.h"

typedef vigie_status (*write_fn)(const rpt_report *const *r, size_t n, FILE *out, vigie_error *err);

static vigie_status w_csv(const rpt_report *const *r, size_t n, FILE *out, vigie_error *err) {
  (void)n;
  rpt_csv_options o = {',', false};
  return rpt_csv_write(r[0], &o, out, err);
}
static vigie_status w_csv_fr(const rpt_report *const *r, size_t n, FILE *out, vigie_error *err) {
  (void)n;
  rpt_csv_options o = {';', true};
  return rpt_csv_write(r[0], &o, out, err);
}
static vigie_status w_json(const rpt_report *const *r, size_t n, FILE *out, vigie_error *err) {
  (void)n;
  return rpt_json_write(r[0], out, err);
}
static vigie_status w_rhtml(const rpt_report *const *r, size_t n, FILE *out, vigie_error *err) {
  return rpt_rollup_html(r, n, "fr", out, err);
}
static vigie_status w_rcsv(const rpt_report *const *r, size_t n, FILE *out, vigie_error *err) {
  rpt_csv_options o = {';', true};
  return rpt_rollup_csv(r, n, &o, out, err);
}

static const struct {
  const char *file;
  write_fn fn;
} outputs[] = {{"findings.csv", w_csv},
               {"findings-fr.csv", w_csv_fr},
               {"findings.json", w_json},
               {"rollup.html", w_rhtml},
               {"rollup.csv", w_rcsv}};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_all(const char *dir, const rpt_report *const *r, size_t n, bool timed) {
  for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, outputs[i].file);
    FILE *f = fopen(path, "wb");
    if (!f) return perror(path), 1;
    vigie_error err = {0};
    double t0 = now_s();
    vigie_status st = outputs[i].fn(r, n, f, &err);
    double t1 = now_s();
    long size = ftell(f);
    if (fclose(f) != 0 || st != VIGIE_OK)
      return fprintf(stderr, "%s: %s\n", path, vigie_error_text(&err)), 1;
    if (timed) printf("%-16s %8.3f s %12ld bytes\n", outputs[i].file, t1 - t0, size);
  }
  return 0;
}

/* N findings over N/10 service assets and 40 rules, 1 in 10 with objects. */
static rpt_report *bench_model(size_t n) {
  rpt_report *r = rpt_model_new();
  r->uuid = "00000000-0000-4000-8000-000000000002";
  r->created = "2026-11-20T10:00:00Z";
  r->lang = "fr";
  r->establishment = "CH Bench";
  r->tool_version = "0.1.0";
  r->rules_version = "2026.1";
  for (int i = 0; i < 40; i++) {
    char id[32];
    snprintf(id, sizeof id, "EXP-B-%03d", i);
    fixture_rule(r, id, RPT_SRC_EXPOSURE, (rpt_severity)(i % RPT_SEV_COUNT), "bench",
                 "Service exposé sur internet", "Exposed service",
                 "Ce service est joignable depuis internet et ne devrait pas l'être.",
                 i % 4 ? NULL : "CVE-2024-12345");
  }
  size_t assets = n / 10 + 1;
  for (size_t i = 0; i < assets; i++) {
    char addr[32];
    snprintf(addr, sizeof addr, "198.18.%zu.%zu", (i / 250) % 256, i % 250 + 1);
    fixture_service(r, addr, (uint16_t)(1 + i / 64000), "https", "nginx", "1.22.1");
  }
  rpt_object objs[3] = {{"CN=a,OU=x,DC=example,DC=org", "a", NULL},
                        {"CN=b,OU=x,DC=example,DC=org", "b", NULL},
                        {"CN=c,OU=x,DC=example,DC=org", "c", NULL}};
  const rpt_object *o = rpt_model_dup(r, objs, 3, sizeof objs[0]);
  for (size_t i = 0; i < n; i++) {
    rpt_finding *f = fixture_finding(r, i % 40, (i / 40 + i) % assets);
    f->confidence = "banner";
    f->evidence = "http.server=nginx/1.22.1; tls.version.1.0=yes";
    f->trend = (rpt_trend)(i % 4);
    if (i % 10 == 0) f->objects = o, f->object_count = 3, f->objects_total = 12;
  }
  if (rpt_model_finish(r, NULL) != VIGIE_OK) exit(1);
  return r;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "--bench") == 0) {
    size_t n = strtoul(argv[2], NULL, 10);
    double t0 = now_s();
    rpt_report *r = bench_model(n);
    printf("model of %zu findings built in %.3f s\n", n, now_s() - t0);
    const rpt_report *rs[1] = {r};
    int rc = write_all(argv[3], rs, 1, true);
    rpt_report_free(r);
    return rc;
  }
  if (argc != 2) return fprintf(stderr, "usage: %s DIR | --bench N DIR\n", argv[0]), 2;
  rpt_report *h = fixture_model(true), *s = fixture_model(false);
  if (!h || !s) return 1;
  const rpt_report *rs[2] = {h, s};
  int rc = write_all(argv[1], rs, 2, false);
  char path[4096];
  snprintf(path, sizeof path, "%s/hostile.hex", argv[1]);
  FILE *f = fopen(path, "w");
  for (size_t i = 0; f && i < FIXTURE_HOSTILE_COUNT; i++) {
    for (const unsigned char *p = (const unsigned char *)fixture_hostile[i]; *p; p++)
      fprintf(f, "%02x", *p);
    fputc('\n', f);
  }
  if (!f || fclose(f) != 0) rc = 1;
  rpt_report_free(h);
  rpt_report_free(s);
  return rc;
}
