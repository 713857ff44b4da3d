/* Worker threads for deep looks that block (TLS inspection opens its own
 * connections, one handshake per protocol version): the epoll loop only
 * queues them, so a slow handshake never holds up the other ports. Each job
 * writes into its own facts; the engine's thread merges them at the end,
 * so no fact set is ever shared between threads. */
#include <pthread.h>
#include <string.h>

#include "scanner/svc_int.h"

typedef struct deep_job {
  size_t target;
  vigie_addr addr;
  uint16_t port;
  char *host_name;   /* owned, may be NULL */
  char *starttls;    /* owned, may be NULL */
  scan_facts *facts; /* owned until merged */
  bool done;
} deep_job;

struct scan_svc_deep {
  scan_svc_deep_fn fn;
  void *user;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  deep_job *jobs;
  size_t count, cap, next, done;
  bool closing, stopping;
  pthread_t *threads;
  unsigned started;
};

/* Copy out the next job: false once closing with nothing left, or stopping.
 * A copy, since the array may move when the engine queues more. */
static bool deep_take(scan_svc_deep *p, size_t *index, deep_job *out) {
  bool got = false;
  pthread_mutex_lock(&p->lock);
  while (!p->stopping && p->next == p->count && !p->closing) pthread_cond_wait(&p->wake, &p->lock);
  if (!p->stopping && p->next < p->count) {
    *index = p->next++;
    *out = p->jobs[*index];
    got = true;
  }
  pthread_mutex_unlock(&p->lock);
  return got;
}

static void *deep_worker(void *arg) {
  scan_svc_deep *p = arg;
  size_t index;
  deep_job mine;
  while (deep_take(p, &index, &mine)) {
    vigie_error err = {0};
    if (mine.facts != NULL &&
        p->fn(&mine.addr, mine.port, mine.host_name, mine.starttls, mine.facts, p->user, &err) != VIGIE_OK)
      (void)scan_facts_add_str(mine.facts, "tls.error", vigie_error_text(&err));
    pthread_mutex_lock(&p->lock);
    p->jobs[index].done = true;
    p->done++;
    pthread_mutex_unlock(&p->lock);
  }
  return NULL;
}

scan_svc_deep *scan_svc_deep_new(scan_svc_deep_fn fn, void *user, unsigned threads) {
  scan_svc_deep *p = vigie_calloc(1, sizeof *p);
  if (p == NULL || fn == NULL) return vigie_free(p), NULL;
  p->fn = fn, p->user = user;
  p->threads = vigie_calloc(threads ? threads : 1, sizeof *p->threads);
  if (p->threads == NULL || pthread_mutex_init(&p->lock, NULL) != 0) {
    vigie_free(p->threads);
    vigie_free(p);
    return NULL;
  }
  pthread_cond_init(&p->wake, NULL);
  for (unsigned i = 0; i < (threads ? threads : 1); i++)
    if (pthread_create(&p->threads[p->started], NULL, deep_worker, p) == 0) p->started++;
  if (p->started == 0) {
    scan_svc_deep_join(p, true, NULL, NULL);
    return NULL;
  }
  return p;
}

static vigie_status deep_grow(scan_svc_deep *p) {
  if (p->count < p->cap) return VIGIE_OK;
  size_t cap = p->cap ? p->cap * 2 : 64;
  deep_job *jobs = vigie_realloc(p->jobs, cap * sizeof *jobs);
  if (jobs == NULL) return VIGIE_ENOMEM;
  p->jobs = jobs, p->cap = cap;
  return VIGIE_OK;
}

vigie_status scan_svc_deep_queue(scan_svc_deep *pool, size_t target, const vigie_addr *addr,
                                 uint16_t port, const char *host_name, const char *starttls) {
  deep_job job = {.target = target, .addr = *addr, .port = port, .facts = scan_facts_new()};
  if (host_name != NULL) job.host_name = vigie_strdup(host_name);
  if (starttls != NULL) job.starttls = vigie_strdup(starttls);
  if (job.facts == NULL || (host_name != NULL && job.host_name == NULL) ||
      (starttls != NULL && job.starttls == NULL))
    goto nomem;
  pthread_mutex_lock(&pool->lock);
  vigie_status status = deep_grow(pool);
  if (status == VIGIE_OK) pool->jobs[pool->count++] = job;
  pthread_cond_signal(&pool->wake);
  pthread_mutex_unlock(&pool->lock);
  if (status == VIGIE_OK) return VIGIE_OK;
nomem:
  scan_facts_free(job.facts);
  vigie_free(job.host_name);
  vigie_free(job.starttls);
  return VIGIE_ENOMEM;
}

void scan_svc_deep_progress(scan_svc_deep *pool, size_t *queued, size_t *done) {
  pthread_mutex_lock(&pool->lock);
  *queued = pool->count;
  *done = pool->done;
  pthread_mutex_unlock(&pool->lock);
}

void scan_svc_deep_join(scan_svc_deep *pool, bool stop,
                        void (*merge)(size_t target, const scan_facts *facts, void *user),
                        void *user) {
  if (pool == NULL) return;
  pthread_mutex_lock(&pool->lock);
  pool->closing = true;
  pool->stopping = stop;
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->lock);
  for (unsigned i = 0; i < pool->started; i++) pthread_join(pool->threads[i], NULL);
  for (size_t i = 0; i < pool->count; i++) {
    deep_job *job = &pool->jobs[i];
    /* Every job is handed back, an unfinished one (stopped) with no facts,
     * so the caller can close its port either way. */
    if (merge != NULL) merge(job->target, job->done ? job->facts : NULL, user);
    scan_facts_free(job->facts);
    vigie_free(job->host_name);
    vigie_free(job->starttls);
  }
  pthread_cond_destroy(&pool->wake);
  pthread_mutex_destroy(&pool->lock);
  vigie_free(pool->jobs);
  vigie_free(pool->threads);
  vigie_free(pool);
}
