/* Test-only driver (not part of vigie): runs scan_tls_inspect on one
 * address and port and prints every fact as "name=value", one a line, for
 * tests/integration/test_tls_inspect.sh.
 * Usage: tls_inspect_driver ADDR PORT [--starttls KIND] [--sni NAME]
 *        [--name HOST]... [--timeout MS] [--weak] [--ca FILE] [--no-trust]
 *        [--threads N]
 * With --threads, N inspections run at once on their own threads and must
 * give the same facts (exit 3 otherwise): the function claims to be
 * thread-safe. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigie/scanner.h"

#define MAX_NAMES 8
#define MAX_THREADS 16

typedef struct job {
  vigie_addr addr;
  uint16_t port;
  const scan_tls_opts *opts;
  scan_facts *facts;
  vigie_status status;
  vigie_error err;
} job;

static void *run_job(void *arg) {
  job *j = arg;
  vigie_error_clear(&j->err);
  j->status = scan_tls_inspect(&j->addr, j->port, j->opts, j->facts, &j->err);
  return NULL;
}

static bool same_facts(const scan_facts *a, const scan_facts *b) {
  if (scan_facts_count(a) != scan_facts_count(b)) return false;
  const char *na, *va, *nb, *vb;
  size_t la, lb;
  for (size_t i = 0; scan_facts_at(a, i, &na, &va, &la); i++) {
    if (!scan_facts_at(b, i, &nb, &vb, &lb) || strcmp(na, nb) != 0 || la != lb ||
        memcmp(va, vb, la) != 0)
      return false;
  }
  return true;
}

static int parse_addr(const char *s, vigie_addr *a) {
  unsigned char b[16];
  memset(a, 0, sizeof *a);
  if (inet_pton(AF_INET, s, b) == 1) {
    a->family = AF_INET;
    a->v4 = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return 0;
  }
  if (inet_pton(AF_INET6, s, b) != 1) return -1;
  a->family = AF_INET6;
  for (int i = 0; i < 16; i++) a->v6 = (a->v6 << 8) | b[i];
  return 0;
}

static int parse_opts(int argc, char **argv, scan_tls_opts *o, const char **names,
                      unsigned *threads) {
  for (int i = 3; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--weak") == 0)
      o->test_weak = true;
    else if (strcmp(a, "--no-trust") == 0)
      o->skip_trust = true;
    else if (v == NULL)
      return -1;
    else if (strcmp(a, "--starttls") == 0 && scan_starttls_from_name(v, &o->starttls))
      i++;
    else if (strcmp(a, "--sni") == 0)
      o->sni = argv[++i];
    else if (strcmp(a, "--ca") == 0)
      o->ca_file = argv[++i];
    else if (strcmp(a, "--timeout") == 0)
      o->timeout_ms = (unsigned)strtoul(argv[++i], NULL, 10);
    else if (strcmp(a, "--threads") == 0)
      *threads = (unsigned)strtoul(argv[++i], NULL, 10);
    else if (strcmp(a, "--name") == 0 && o->host_name_count < MAX_NAMES)
      names[o->host_name_count++] = argv[++i];
    else
      return -1;
  }
  o->host_names = names;
  return 0;
}

/* Run n inspections at once; \return 0, 1 when one failed, 3 when their
 * facts differ. jobs[0]'s facts are printed. */
static int run_all(job *jobs, unsigned n) {
  pthread_t tid[MAX_THREADS];
  unsigned started = 0;
  for (; started < n; started++)
    if (pthread_create(&tid[started], NULL, run_job, &jobs[started]) != 0) break;
  for (unsigned t = 0; t < started; t++) pthread_join(tid[t], NULL);
  const char *name, *value;
  size_t len;
  for (size_t i = 0; scan_facts_at(jobs[0].facts, i, &name, &value, &len); i++)
    printf("%s=%.*s\n", name, (int)len, value);
  int rc = started == n ? 0 : 1;
  for (unsigned t = 0; t < started; t++) {
    if (jobs[t].status != VIGIE_OK) {
      printf("error=%s\n", vigie_error_text(&jobs[t].err));
      rc = 1;
    } else if (rc == 0 && !same_facts(jobs[0].facts, jobs[t].facts)) {
      printf("error=thread %u found other facts\n", t);
      rc = 3;
    }
  }
  return rc;
}

int main(int argc, char **argv) {
  vigie_addr addr;
  scan_tls_opts opts = {0};
  const char *names[MAX_NAMES];
  unsigned threads = 1;
  if (argc < 3 || parse_addr(argv[1], &addr) != 0 ||
      parse_opts(argc, argv, &opts, names, &threads) != 0 || threads < 1 || threads > MAX_THREADS) {
    fprintf(stderr,
            "usage: %s ADDR PORT [--starttls KIND] [--sni NAME] [--name HOST]... "
            "[--timeout MS] [--weak] [--ca FILE] [--no-trust] [--threads N]\n",
            argv[0]);
    return 2;
  }
  job jobs[MAX_THREADS];
  int rc = 0;
  for (unsigned t = 0; t < threads; t++) {
    jobs[t] =
        (job){addr, (uint16_t)strtoul(argv[2], NULL, 10), &opts, scan_facts_new(), VIGIE_OK, {0}};
    if (jobs[t].facts == NULL) rc = 1;
  }
  if (rc == 0) rc = run_all(jobs, threads);
  for (unsigned t = 0; t < threads; t++) scan_facts_free(jobs[t].facts);
  return rc;
}
