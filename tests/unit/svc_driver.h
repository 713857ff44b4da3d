/* Drives a service module the way the engine does, with no socket: start,
 * then for each step the server's answer (after a RECONNECT, the answer on
 * the new connection), fed whole or a few bytes at a
 * time or cut short, each call seeing an exact-size heap copy of the bytes
 * received so far (so that ASan catches any read past them). Shared by the
 * service module tests. */
#ifndef VIGIE_TEST_SVC_DRIVER_H
#define VIGIE_TEST_SVC_DRIVER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/scan_int.h"
#include "tests/unit/harness.h"

typedef struct svc_answer {
  const void *data;
  size_t len;
} svc_answer;

#define SVC_ANSWER(s) \
  { s, sizeof s - 1 }

/* One conversation with a server and what the module must make of it. */
typedef struct svc_spec {
  const char *name;
  const scan_svc_module *module;
  const svc_answer *answers; /* the server's bytes in each step */
  size_t n;
  scan_svc_verdict want;
  const char *facts; /* every fact in order, "name=value\n" (escaped as below) */
  bool intrusive;
  uint16_t port;
  const char *host;
} svc_spec;

/* How to feed: chunk bytes a call (0: the whole answer at once); the
 * answer of step cut_step is cut to cut_len bytes and the peer then closes. */
typedef struct svc_feed {
  size_t chunk;
  size_t cut_step, cut_len;
} svc_feed;

#define SVC_NO_CUT ((size_t)-1)

/* Facts as "name=value\n" lines; bytes outside printable ASCII as \xHH. */
static inline void svc_facts_text(const scan_facts *facts, char *buf, size_t cap) {
  const char *name, *value;
  size_t len, at = 0;
  buf[0] = '\0';
  for (size_t i = 0; scan_facts_at(facts, i, &name, &value, &len); i++) {
    at += (size_t)snprintf(buf + at, at < cap ? cap - at : 0, "%s=", name);
    for (size_t j = 0; j < len && at < cap; j++) {
      unsigned char c = (unsigned char)value[j];
      if (c >= 0x20 && c < 0x7f && c != '\\')
        buf[at++] = (char)c;
      else
        at += (size_t)snprintf(buf + at, cap - at, "\\x%02x", c);
    }
    if (at < cap) buf[at++] = '\n';
    if (at < cap) buf[at] = '\0';
  }
  if (at >= cap) buf[cap - 1] = '\0';
}

/* One call of step on the first len bytes of data. */
static inline scan_svc_verdict svc_call(const scan_svc_module *m, scan_svc_io *io,
                                        const uint8_t *data, size_t len, bool full) {
  uint8_t *copy = malloc(len ? len : 1);
  if (copy == NULL) abort();
  if (len) memcpy(copy, data, len);
  io->in = copy, io->in_len = len, io->in_full = full, io->out_len = 0;
  scan_svc_verdict v = m->step(io);
  free(copy);
  return v;
}

/* A step's answer: fed chunk by chunk while the module wants MORE, then
 * once with in_full (the peer closed). */
static inline scan_svc_verdict svc_step(const scan_svc_module *m, scan_svc_io *io,
                                        const uint8_t *data, size_t len, size_t chunk) {
  scan_svc_verdict v = SCAN_SVC_MORE;
  size_t step = chunk ? chunk : len;
  for (size_t at = 0; at < len && v == SCAN_SVC_MORE;) {
    at = len - at > step ? at + step : len;
    v = svc_call(m, io, data, at, false);
  }
  if (v == SCAN_SVC_MORE) v = svc_call(m, io, data, len, true);
  return v;
}

/* Whether v asks for the next step: a request out, or more bytes. */
static inline bool svc_goes_on(int v) {
  return v == SCAN_SVC_MORE || v == SCAN_SVC_NEXT || v == SCAN_SVC_RECONNECT;
}

/* What svc_run returns for a NEXT (or RECONNECT) that came with no request. */
#define SVC_NEXT_EMPTY 100

/* The whole conversation; facts into facts. \return the last verdict. */
static inline int svc_run(const svc_spec *spec, const svc_feed *feed, scan_facts *facts,
                          size_t *steps) {
  const scan_svc_module *m = spec->module;
  uint8_t out[SCAN_SVC_OUT_MAX];
  void *state = calloc(1, m->state_size ? m->state_size : 1);
  if (state == NULL) abort();
  scan_svc_io io = {.out = out,
                    .facts = facts,
                    .state = state,
                    .intrusive = spec->intrusive,
                    .host_name = spec->host,
                    .port = spec->port};
  int v = (int)m->start(&io);
  size_t k = 0;
  for (; k < spec->n && svc_goes_on(v); k++) {
    size_t len = spec->answers[k].len;
    bool cut = k == feed->cut_step;
    if (cut && feed->cut_len < len) len = feed->cut_len;
    v = (int)svc_step(m, &io, spec->answers[k].data, len, feed->chunk);
    if ((v == SCAN_SVC_NEXT || v == SCAN_SVC_RECONNECT) &&
        (io.out_len == 0 || io.out_len > SCAN_SVC_OUT_MAX))
      v = SVC_NEXT_EMPTY;
    if (cut) break;
  }
  if (steps != NULL) *steps = k;
  free(state);
  return v;
}

static inline const char *svc_verdict_name(int v) {
  static const char *const names[] = {"more", "next", "done", "not_mine", "error", "reconnect"};
  return v >= 0 && v < 6 ? names[v] : "next-with-no-request";
}

/* Both fact lists as TAP comments, line by line. */
static inline void svc_print_diff(const char *got, const char *want) {
  const char *texts[2] = {got, want}, *labels[2] = {"got", "want"};
  for (int i = 0; i < 2; i++) {
    printf("# %s:\n", labels[i]);
    for (const char *p = texts[i]; *p != '\0';) {
      const char *nl = strchr(p, '\n');
      int n = nl ? (int)(nl - p) : (int)strlen(p);
      printf("#   %.*s\n", n, p);
      p += n + (nl != NULL);
    }
  }
}

/* Run spec whole, then one byte at a time and seven at a time: the same
 * verdict and the same facts each way. */
static inline void svc_check_fragments(test_ctx *ctx, const svc_spec *spec) {
  static const size_t chunks[] = {0, 1, 7};
  static char got[65536];
  for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
    svc_feed feed = {chunks[c], SVC_NO_CUT, 0};
    scan_facts *facts = scan_facts_new();
    if (facts == NULL) abort();
    int v = svc_run(spec, &feed, facts, NULL);
    svc_facts_text(facts, got, sizeof got);
    CHECKF(v == (int)spec->want, "%s, chunk %zu: verdict %s, want %s", spec->name, chunks[c],
           svc_verdict_name(v), svc_verdict_name((int)spec->want));
    if (spec->facts != NULL && strcmp(got, spec->facts) != 0) {
      CHECKF(false, "%s, chunk %zu: facts differ", spec->name, chunks[c]);
      svc_print_diff(got, spec->facts);
    }
    scan_facts_free(facts);
  }
}

/* Every answer cut at every length, the peer closing there: no crash, no
 * MORE after in_full, no NEXT without a request. */
static inline void svc_check_cuts(test_ctx *ctx, const svc_spec *spec) {
  for (size_t k = 0; k < spec->n; k++) {
    for (size_t len = 0; len < spec->answers[k].len; len++) {
      svc_feed feed = {0, k, len};
      scan_facts *facts = scan_facts_new();
      if (facts == NULL) abort();
      int v = svc_run(spec, &feed, facts, NULL);
      CHECKF(
          v == SCAN_SVC_DONE || v == SCAN_SVC_ERROR || v == SCAN_SVC_NOT_MINE || v == SCAN_SVC_NEXT ||
              v == SCAN_SVC_RECONNECT,
          "%s: step %zu cut at %zu: verdict %s", spec->name, k, len, svc_verdict_name(v));
      scan_facts_free(facts);
    }
  }
}

/* The first answer of another protocol, given to module m. */
static inline int svc_first(const scan_svc_module *m, const svc_answer *a) {
  svc_spec spec = {"cross", m, a, 1, SCAN_SVC_NOT_MINE, NULL, false, 0, NULL};
  svc_feed feed = {0, SVC_NO_CUT, 0};
  scan_facts *facts = scan_facts_new();
  if (facts == NULL) abort();
  int v = svc_run(&spec, &feed, facts, NULL);
  scan_facts_free(facts);
  return v;
}

/* A capture from a real server, in tests/data/svc (see svc_probe --save),
 * read once and kept until exit (the cache is reachable: no leak). */
static inline svc_answer svc_load(const char *file) {
  static struct {
    char name[64];
    svc_answer a;
  } cache[256];
  static size_t cached;
  const char *dir = getenv("VIGIE_TEST_DATA");
  char path[4096];
  svc_answer a = {NULL, 0};
  for (size_t i = 0; i < cached; i++)
    if (strcmp(cache[i].name, file) == 0) return cache[i].a;
  snprintf(path, sizeof path, "%s/svc/%s", dir ? dir : "tests/data", file);
  FILE *f = fopen(path, "rb");
  if (f == NULL || cached == 256) {
    if (f != NULL) fclose(f);
    return a;
  }
  uint8_t *buf = malloc(SCAN_SVC_IN_MAX);
  if (buf == NULL) abort();
  a.len = fread(buf, 1, SCAN_SVC_IN_MAX, f);
  a.data = buf;
  fclose(f);
  snprintf(cache[cached].name, sizeof cache[cached].name, "%s", file);
  cache[cached++].a = a;
  return a;
}

/* ----------------------------------------------------------- data cases */

/* One line of tests/data/svc/cases.tsv. */
typedef struct svc_case {
  char group[16], name[64], module[16], flags[64], verdict[16];
  unsigned port;
  char files[8][64];
  size_t nfiles;
} svc_case;

#define SVC_CASES_MAX 128

/* Every case of cases.tsv. \return how many (0 when the file is missing). */
static inline size_t svc_cases(svc_case *out, size_t cap) {
  const char *dir = getenv("VIGIE_TEST_DATA");
  char path[4096], line[1024];
  size_t n = 0;
  snprintf(path, sizeof path, "%s/svc/cases.tsv", dir ? dir : "tests/data");
  FILE *f = fopen(path, "r");
  if (f == NULL) return 0;
  while (n < cap && fgets(line, sizeof line, f) != NULL) {
    svc_case *c = &out[n];
    char files[512];
    int used = 0;
    if (line[0] == '#' || line[0] == '\n') continue;
    if (sscanf(line, "%15s %63s %15s %u %63s %15s %511[^\n]", c->group, c->name, c->module,
               &c->port, c->flags, c->verdict, files) != 7)
      continue;
    c->nfiles = 0;
    for (char *p = files; c->nfiles < 8 && sscanf(p, "%63s%n", c->files[c->nfiles], &used) == 1;
         p += used)
      c->nfiles++;
    n++;
  }
  fclose(f);
  return n;
}

static inline int svc_verdict_of(const char *name) {
  for (int v = 0; v < 6; v++)
    if (strcmp(svc_verdict_name(v), name) == 0) return v;
  return -1;
}

/* The expected facts of a case, NUL-terminated in buf; false if missing. */
static inline bool svc_expected(const char *name, char *buf, size_t cap) {
  const char *dir = getenv("VIGIE_TEST_DATA");
  char path[4096];
  snprintf(path, sizeof path, "%s/svc/%s.facts", dir ? dir : "tests/data", name);
  FILE *f = fopen(path, "r");
  if (f == NULL) return false;
  size_t n = fread(buf, 1, cap - 1, f);
  buf[n] = '\0';
  fclose(f);
  return true;
}

/* A case as a spec; answers and facts are the caller's storage. */
static inline bool svc_case_spec(test_ctx *ctx, const svc_case *c, svc_spec *spec,
                                 svc_answer *answers, char *facts, size_t cap) {
  memset(spec, 0, sizeof *spec);
  spec->name = c->name;
  spec->module = scan_svc_by_name(c->module);
  spec->port = (uint16_t)c->port;
  spec->intrusive = strcmp(c->flags, "i") == 0;
  spec->host = strncmp(c->flags, "h=", 2) == 0 ? c->flags + 2 : NULL;
  int want = svc_verdict_of(c->verdict);
  CHECKF(spec->module != NULL && want >= 0, "%s: unknown module or verdict", c->name);
  CHECKF(svc_expected(c->name, facts, cap), "%s: no %s.facts", c->name, c->name);
  if (spec->module == NULL || want < 0) return false;
  spec->want = (scan_svc_verdict)want;
  spec->facts = facts;
  for (size_t i = 0; i < c->nfiles; i++) {
    answers[i] = svc_load(c->files[i]);
    CHECKF(answers[i].data != NULL, "%s: cannot read %s", c->name, c->files[i]);
    if (answers[i].data == NULL) return false;
  }
  spec->answers = answers;
  spec->n = c->nfiles;
  return true;
}

/* Every case of group: whole and fragmented (and cut at every length when
 * cuts is set). */
static inline void svc_check_group(test_ctx *ctx, const char *group, bool cuts) {
  static svc_case cases[SVC_CASES_MAX];
  static char facts[65536];
  size_t n = svc_cases(cases, SVC_CASES_MAX), ran = 0;
  CHECKF(n > 0, "no cases read from tests/data/svc/cases.tsv");
  for (size_t i = 0; i < n; i++) {
    svc_answer answers[8];
    svc_spec spec;
    if (strcmp(cases[i].group, group) != 0) continue;
    ran++;
    if (!svc_case_spec(ctx, &cases[i], &spec, answers, facts, sizeof facts)) continue;
    if (cuts)
      svc_check_cuts(ctx, &spec);
    else
      svc_check_fragments(ctx, &spec);
  }
  CHECKF(ran > 0, "no case of group %s", group);
}

/* Each module of group's cases given the first answer of every case of
 * another module that ends DONE: it must say NOT_MINE. */
static inline void svc_check_not_mine(test_ctx *ctx, const char *group) {
  static svc_case cases[SVC_CASES_MAX];
  size_t n = svc_cases(cases, SVC_CASES_MAX);
  for (size_t i = 0; i < n; i++) {
    const scan_svc_module *m = scan_svc_by_name(cases[i].module);
    bool first_of_module = true;
    for (size_t j = 0; j < i; j++) first_of_module &= strcmp(cases[j].module, cases[i].module) != 0;
    if (m == NULL || strcmp(cases[i].group, group) != 0 || !first_of_module) continue;
    for (size_t j = 0; j < n; j++) {
      if (strcmp(cases[j].module, cases[i].module) == 0 || strcmp(cases[j].verdict, "done") != 0)
        continue;
      svc_answer a = svc_load(cases[j].files[0]);
      int v = svc_first(m, &a);
      CHECKF(v == SCAN_SVC_NOT_MINE, "module %s on %s's first answer: %s", m->name, cases[j].name,
             svc_verdict_name(v));
    }
  }
}

#endif
