/* The report model: an arena behind every string and sub-array, growable
 * top-level arrays, and hash lookups by id, so 100,000 findings over 10,000
 * assets build in one pass without a search per finding. */
#include "report/model.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- the arena */

#define ARENA_CHUNK (256u * 1024u)

typedef struct arena_chunk {
  struct arena_chunk *next;
  size_t used, size;
  max_align_t data[];
} arena_chunk;

/* Open addressing from id to index; slots hold index + 1 (0 is empty). */
typedef struct id_index {
  size_t *slots;
  size_t cap; /* power of two */
  size_t used;
} id_index;

typedef struct rpt_model {
  arena_chunk *chunks;
  rpt_input *inputs;
  size_t input_cap;
  rpt_rule *rules;
  size_t rule_cap;
  rpt_asset *assets;
  size_t asset_cap;
  rpt_finding *findings;
  size_t finding_cap;
  rpt_waiver *waivers;
  size_t waiver_cap;
  rpt_gap *gaps;
  size_t gap_cap;
  rpt_previous *previous;
  size_t previous_cap;
  id_index rule_ids, asset_ids, finding_uids;
  size_t rules_indexed, assets_indexed, findings_indexed;
} rpt_model;

static rpt_model *model_of(rpt_report *r) { return (rpt_model *)r->impl_; }

void *rpt_model_alloc(rpt_report *r, size_t size) {
  rpt_model *m = model_of(r);
  size_t align = sizeof(max_align_t);
  size = (size + align - 1) / align * align;
  if (size == 0) size = align;
  arena_chunk *c = m->chunks;
  if (!c || c->size - c->used < size) {
    size_t want = size > ARENA_CHUNK / 4 ? size : ARENA_CHUNK;
    c = vigie_malloc(sizeof *c + want);
    if (!c) return NULL;
    c->size = want;
    c->used = 0;
    /* A large block gets its own chunk behind the current one, so the
     * current chunk's free space is not wasted. */
    if (want != ARENA_CHUNK && m->chunks) {
      c->next = m->chunks->next;
      m->chunks->next = c;
    } else {
      c->next = m->chunks;
      m->chunks = c;
    }
  }
  void *p = (char *)c->data + c->used;
  c->used += size;
  memset(p, 0, size);
  return p;
}

const char *rpt_model_strn(rpt_report *r, const char *s, size_t len) {
  if (!s) return NULL;
  char *p = rpt_model_alloc(r, len + 1);
  if (!p) return NULL;
  memcpy(p, s, len);
  p[len] = '\0';
  return p;
}

const char *rpt_model_str(rpt_report *r, const char *s) {
  return s ? rpt_model_strn(r, s, strlen(s)) : NULL;
}

const char *rpt_model_strf(rpt_report *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return NULL;
  char *p = rpt_model_alloc(r, (size_t)n + 1);
  if (!p) return NULL;
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

void *rpt_model_dup(rpt_report *r, const void *items, size_t n, size_t size) {
  if (n == 0) return NULL;
  if (size && n > SIZE_MAX / size) return NULL;
  void *p = rpt_model_alloc(r, n * size);
  if (p) memcpy(p, items, n * size);
  return p;
}

/* --------------------------------------------------------------- lookups */

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a: ids are short */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static void id_index_clear(id_index *ix) {
  vigie_free(ix->slots);
  memset(ix, 0, sizeof *ix);
}

static bool id_index_put(id_index *ix, const char *id, size_t index, const char *(*key)(void *, size_t),
                         void *ctx);

static bool id_index_grow(id_index *ix, const char *(*key)(void *, size_t), void *ctx) {
  size_t cap = ix->cap ? ix->cap * 2 : 64;
  id_index old = *ix;
  ix->slots = vigie_calloc(cap, sizeof *ix->slots);
  if (!ix->slots) {
    *ix = old;
    return false;
  }
  ix->cap = cap;
  ix->used = 0;
  for (size_t i = 0; i < old.cap; i++)
    if (old.slots[i]) id_index_put(ix, key(ctx, old.slots[i] - 1), old.slots[i] - 1, key, ctx);
  vigie_free(old.slots);
  return true;
}

/* Put id -> index; an id already there keeps its first index. */
static bool id_index_put(id_index *ix, const char *id, size_t index, const char *(*key)(void *, size_t),
                         void *ctx) {
  if (!id) return true;
  if ((ix->used + 1) * 4 > ix->cap * 3 && !id_index_grow(ix, key, ctx)) return false;
  size_t mask = ix->cap - 1;
  for (size_t i = hash_str(id) & mask;; i = (i + 1) & mask) {
    if (!ix->slots[i]) {
      ix->slots[i] = index + 1;
      ix->used++;
      return true;
    }
    const char *k = key(ctx, ix->slots[i] - 1);
    if (k && strcmp(k, id) == 0) return true;
  }
}

static long id_index_get(const id_index *ix, const char *id, const char *(*key)(void *, size_t),
                         void *ctx) {
  if (!ix->cap || !id) return -1;
  size_t mask = ix->cap - 1;
  for (size_t i = hash_str(id) & mask; ix->slots[i]; i = (i + 1) & mask) {
    const char *k = key(ctx, ix->slots[i] - 1);
    if (k && strcmp(k, id) == 0) return (long)(ix->slots[i] - 1);
  }
  return -1;
}

static const char *rule_key(void *ctx, size_t i) { return ((rpt_model *)ctx)->rules[i].id; }
static const char *asset_key(void *ctx, size_t i) { return ((rpt_model *)ctx)->assets[i].id; }
static const char *finding_key(void *ctx, size_t i) { return ((rpt_model *)ctx)->findings[i].uid; }

/* Index the items added since the last lookup (their ids are set by now). */
static bool catch_up(rpt_report *r) {
  rpt_model *m = model_of(r);
  for (; m->rules_indexed < r->rule_count; m->rules_indexed++)
    if (!id_index_put(&m->rule_ids, m->rules[m->rules_indexed].id, m->rules_indexed, rule_key, m))
      return false;
  for (; m->assets_indexed < r->asset_count; m->assets_indexed++)
    if (!id_index_put(&m->asset_ids, m->assets[m->assets_indexed].id, m->assets_indexed, asset_key,
                      m))
      return false;
  for (; m->findings_indexed < r->finding_count; m->findings_indexed++)
    if (!id_index_put(&m->finding_uids, m->findings[m->findings_indexed].uid,
                      m->findings_indexed, finding_key, m))
      return false;
  return true;
}

long rpt_model_find_rule(rpt_report *r, const char *id) {
  if (!catch_up(r)) return -1;
  return id_index_get(&model_of(r)->rule_ids, id, rule_key, model_of(r));
}

long rpt_model_find_asset(rpt_report *r, const char *id) {
  if (!catch_up(r)) return -1;
  return id_index_get(&model_of(r)->asset_ids, id, asset_key, model_of(r));
}

long rpt_model_find_finding(rpt_report *r, const char *uid) {
  if (!catch_up(r)) return -1;
  return id_index_get(&model_of(r)->finding_uids, uid, finding_key, model_of(r));
}

/* ------------------------------------------------------------- the items */

static void *add_item(void **items, size_t *count, size_t *cap, size_t elem) {
  if (*count == *cap && !vigie_grow(items, *count, cap, elem)) return NULL;
  void *p = (char *)*items + *count * elem;
  memset(p, 0, elem);
  (*count)++;
  return p;
}

#define ADD(r, field, capfield, countfield)                                                      \
  do {                                                                                           \
    rpt_model *m_ = model_of(r);                                                                 \
    size_t n_ = (r)->countfield;                                                                 \
    void *p_ = add_item((void **)&m_->field, &n_, &m_->capfield, sizeof *m_->field);             \
    if (!p_) return NULL;                                                                        \
    (r)->field = m_->field;                                                                      \
    (r)->countfield = n_;                                                                        \
    return p_;                                                                                   \
  } while (0)

rpt_input *rpt_model_add_input(rpt_report *r) { ADD(r, inputs, input_cap, input_count); }
rpt_rule *rpt_model_add_rule(rpt_report *r) {
  if (!catch_up(r)) return NULL;
  ADD(r, rules, rule_cap, rule_count);
}
rpt_asset *rpt_model_add_asset(rpt_report *r) {
  if (!catch_up(r)) return NULL;
  ADD(r, assets, asset_cap, asset_count);
}
rpt_waiver *rpt_model_add_waiver(rpt_report *r) { ADD(r, waivers, waiver_cap, waiver_count); }
rpt_gap *rpt_model_add_gap(rpt_report *r) { ADD(r, gaps, gap_cap, gap_count); }
rpt_previous *rpt_model_add_previous(rpt_report *r) {
  ADD(r, previous, previous_cap, previous_count);
}

rpt_finding *rpt_model_add_finding(rpt_report *r) {
  if (!catch_up(r)) return NULL;
  rpt_model *m = model_of(r);
  size_t n = r->finding_count;
  rpt_finding *f = add_item((void **)&m->findings, &n, &m->finding_cap, sizeof *m->findings);
  if (!f) return NULL;
  f->waiver = -1;
  r->findings = m->findings;
  r->finding_count = n;
  return f;
}

rpt_rule *rpt_model_rules(rpt_report *r) { return model_of(r)->rules; }
rpt_asset *rpt_model_assets(rpt_report *r) { return model_of(r)->assets; }
rpt_finding *rpt_model_findings(rpt_report *r) { return model_of(r)->findings; }
rpt_waiver *rpt_model_waivers(rpt_report *r) { return model_of(r)->waivers; }

rpt_report *rpt_model_new(void) {
  rpt_report *r = vigie_calloc(1, sizeof *r);
  rpt_model *m = vigie_calloc(1, sizeof *m);
  if (!r || !m) {
    vigie_free(r);
    vigie_free(m);
    return NULL;
  }
  r->impl_ = m;
  return r;
}

void rpt_report_free(rpt_report *r) {
  if (!r) return;
  rpt_model *m = model_of(r);
  if (m) {
    for (arena_chunk *c = m->chunks, *next; c; c = next) {
      next = c->next;
      vigie_free(c);
    }
    vigie_free(m->inputs);
    vigie_free(m->rules);
    vigie_free(m->assets);
    vigie_free(m->findings);
    vigie_free(m->waivers);
    vigie_free(m->gaps);
    vigie_free(m->previous);
    id_index_clear(&m->rule_ids);
    id_index_clear(&m->asset_ids);
    id_index_clear(&m->finding_uids);
    vigie_free(m);
  }
  vigie_free(r);
}

bool rpt_model_uid(const char *rule_id, const char *asset_id, char out[65]) {
  unsigned char md[32];
  unsigned int mdlen = 0;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
            EVP_DigestUpdate(ctx, rule_id, strlen(rule_id)) && EVP_DigestUpdate(ctx, "|", 1) &&
            EVP_DigestUpdate(ctx, asset_id, strlen(asset_id)) &&
            EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen == 32;
  EVP_MD_CTX_free(ctx);
  if (!ok) return false;
  static const char hex[] = "0123456789abcdef"; /* no printf: one uid per finding */
  for (int i = 0; i < 32; i++) {
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 15];
  }
  out[64] = '\0';
  return true;
}

/* ------------------------------------------------------------- ordering */

/* Address order: IPv4 before IPv6, then numeric; unparsable ones last, by
 * text. \return the family rank (0 v4, 1 v6, 2 other) and fills buf. */
static int addr_key(const char *addr, unsigned char buf[16]) {
  if (!addr) return 3;
  if (inet_pton(AF_INET, addr, buf) == 1) return 0;
  if (inet_pton(AF_INET6, addr, buf) == 1) return 1;
  return 2;
}

int rpt_model_asset_cmp(const rpt_asset *a, const rpt_asset *b) {
  if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
  if (a->kind == RPT_ASSET_SERVICE) {
    unsigned char ka[16] = {0}, kb[16] = {0};
    int fa = addr_key(a->address, ka), fb = addr_key(b->address, kb);
    if (fa != fb) return fa < fb ? -1 : 1;
    int c = fa <= 1 ? memcmp(ka, kb, fa == 0 ? 4 : 16)
                    : strcmp(a->address ? a->address : "", b->address ? b->address : "");
    if (c) return c;
    if (a->port != b->port) return a->port < b->port ? -1 : 1;
  }
  return strcmp(a->id ? a->id : "", b->id ? b->id : "");
}

typedef struct sort_ctx {
  const rpt_rule *rules;
  const rpt_asset *assets;
} sort_ctx;

/* qsort has no context argument; sort permutations with qsort_r (glibc). */
static int cmp_rule_perm(const void *x, const void *y, void *ctx) {
  const rpt_rule *rules = ctx;
  return strcmp(rules[*(const size_t *)x].id, rules[*(const size_t *)y].id);
}

static int cmp_asset_perm(const void *x, const void *y, void *ctx) {
  const rpt_asset *assets = ctx;
  return rpt_model_asset_cmp(&assets[*(const size_t *)x], &assets[*(const size_t *)y]);
}

static int cmp_finding(const void *x, const void *y, void *ctx) {
  const rpt_finding *a = x, *b = y;
  (void)ctx;
  bool fa = a->trend == RPT_TREND_FIXED, fb = b->trend == RPT_TREND_FIXED;
  if (fa != fb) return fa ? 1 : -1;
  if (a->severity != b->severity) return a->severity < b->severity ? -1 : 1;
  /* rules and assets are sorted already, so their indices are their order */
  if (a->rule != b->rule) return a->rule < b->rule ? -1 : 1;
  if (a->asset != b->asset) return a->asset < b->asset ? -1 : 1;
  return strcmp(a->uid ? a->uid : "", b->uid ? b->uid : "");
}

/* Reorder items by perm and return the old-to-new index map. */
static size_t *apply_perm(void *items, size_t n, size_t elem, const size_t *perm) {
  size_t *new_of_old = vigie_malloc((n ? n : 1) * sizeof *new_of_old);
  void *copy = vigie_malloc(n ? n * elem : 1);
  if (!new_of_old || !copy) {
    vigie_free(new_of_old);
    vigie_free(copy);
    return NULL;
  }
  if (n) memcpy(copy, items, n * elem); /* items is NULL when there are none */
  for (size_t i = 0; i < n; i++) {
    memcpy((char *)items + i * elem, (char *)copy + perm[i] * elem, elem);
    new_of_old[perm[i]] = i;
  }
  vigie_free(copy);
  return new_of_old;
}

static size_t *sorted_perm(size_t n, int (*cmp)(const void *, const void *, void *), void *ctx) {
  size_t *perm = vigie_malloc((n ? n : 1) * sizeof *perm);
  if (!perm) return NULL;
  for (size_t i = 0; i < n; i++) perm[i] = i;
  qsort_r(perm, n, sizeof *perm, cmp, ctx);
  return perm;
}

vigie_status rpt_model_finish(rpt_report *r, vigie_error *err) {
  rpt_model *m = model_of(r);
  size_t *rperm = sorted_perm(r->rule_count, cmp_rule_perm, m->rules);
  size_t *aperm = sorted_perm(r->asset_count, cmp_asset_perm, m->assets);
  size_t *rmap = NULL, *amap = NULL, *fmap = NULL;
  vigie_status st = VIGIE_ENOMEM;
  if (!rperm || !aperm) goto out;
  rmap = apply_perm(m->rules, r->rule_count, sizeof *m->rules, rperm);
  amap = apply_perm(m->assets, r->asset_count, sizeof *m->assets, aperm);
  if (!rmap || !amap) goto out;
  for (size_t i = 0; i < r->finding_count; i++) {
    rpt_finding *f = &m->findings[i];
    if (f->rule >= r->rule_count || f->asset >= r->asset_count) {
      st = vigie_fail(err, VIGIE_EINVAL, "finding %zu refers to no rule or asset", i);
      goto out;
    }
    f->rule = rmap[f->rule];
    f->asset = amap[f->asset];
  }
  sort_ctx sc = {m->rules, m->assets};
  size_t nf = r->finding_count;
  /* Sort the findings (each decorated with its old index), then remap the
   * level holders that point into them. */
  typedef struct {
    rpt_finding f; /* first, so cmp_finding reads it through the element */
    size_t old;
  } dec;
  fmap = vigie_malloc((nf ? nf : 1) * sizeof *fmap);
  dec *d = vigie_malloc((nf ? nf : 1) * sizeof *d);
  if (!fmap || !d) {
    vigie_free(d);
    goto out;
  }
  for (size_t i = 0; i < nf; i++) {
    d[i].f = m->findings[i];
    d[i].old = i;
  }
  qsort_r(d, nf, sizeof *d, cmp_finding, &sc);
  for (size_t i = 0; i < nf; i++) {
    m->findings[i] = d[i].f;
    fmap[d[i].old] = i;
  }
  vigie_free(d);
  rpt_level *levels[2] = {&r->scores.exposure, &r->scores.directory};
  for (int l = 0; l < 2; l++) {
    rpt_level *lv = levels[l];
    for (size_t h = 0; h < lv->holder_count; h++) {
      size_t *holders = (size_t *)lv->holders;
      if (holders[h] < nf) holders[h] = fmap[holders[h]];
    }
  }
  id_index_clear(&m->rule_ids);
  id_index_clear(&m->asset_ids);
  id_index_clear(&m->finding_uids);
  m->rules_indexed = m->assets_indexed = m->findings_indexed = 0;
  st = catch_up(r) ? VIGIE_OK : VIGIE_ENOMEM;
out:
  if (st == VIGIE_ENOMEM) vigie_fail(err, st, "out of memory while sorting the report");
  vigie_free(rperm);
  vigie_free(aperm);
  vigie_free(rmap);
  vigie_free(amap);
  vigie_free(fmap);
  return st;
}
