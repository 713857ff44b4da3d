/* The Active Directory facts of doc/rules-language.md: SIDs, kinds of
 * account, ages, and privileged membership resolved by RID through
 * `member` (ranges already joined by the collector) and `primaryGroupID`,
 * with cycles in the group graph cut by marks. */
#include <string.h>
#include <strings.h>

#include "ldapa_facts_util.h"

#define UAC_DISABLED 0x2
#define UAC_INTERDOMAIN_TRUST 0x800
#define UAC_SERVER_TRUST 0x2000
#define UAC_PARTIAL_SECRETS 0x4000000
#define DAY 86400
#define YEAR (365 * DAY)

/* The privileged groups of ANSSI (ad-rules.md 2.1), by RID, and Protected
 * Users: one bit each. BUILTIN groups are S-1-5-32-x, the others the
 * domain's. */
typedef struct root_group {
  uint32_t rid;
  bool builtin;
} root_group;
static const root_group roots[] = {
    {544, true},  {548, true},  {549, true},  {550, true},  {551, true},  {512, false},
    {516, false}, {518, false}, {519, false}, {526, false}, {527, false}, {525, false},
};
#define ROOT_COUNT (sizeof roots / sizeof roots[0])
#define PROTECTED_BIT (1u << (ROOT_COUNT - 1))
#define PRIVILEGED_MASK (PROTECTED_BIT - 1)

/* ------------------------------------------------------------ index */

/* Open addressing from a key (an entry's address, or a RID + 1) to an
 * index; 0 is the empty key. */
typedef struct idx_map {
  uint64_t *keys;
  size_t *vals;
  size_t cap;
} idx_map;

static vigie_status map_init(idx_map *m, size_t n) {
  m->cap = 16;
  while (m->cap < 2 * n + 1) m->cap *= 2;
  m->keys = vigie_calloc(m->cap, sizeof *m->keys);
  m->vals = vigie_calloc(m->cap, sizeof *m->vals);
  return m->keys && m->vals ? VIGIE_OK : VIGIE_ENOMEM;
}

static void map_free(idx_map *m) {
  vigie_free(m->keys);
  vigie_free(m->vals);
}

static size_t map_slot(const idx_map *m, uint64_t key) {
  size_t i = (size_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> 17) & (m->cap - 1);
  while (m->keys[i] != 0 && m->keys[i] != key) i = (i + 1) & (m->cap - 1);
  return i;
}

static void map_put(idx_map *m, uint64_t key, size_t val) {
  size_t i = map_slot(m, key);
  m->keys[i] = key;
  m->vals[i] = val;
}

static bool map_get(const idx_map *m, uint64_t key, size_t *val) {
  size_t i = map_slot(m, key);
  if (m->keys[i] == 0) return false;
  *val = m->vals[i];
  return true;
}

static uint64_t obj_key(const ldapa_obj *obj) { return (uint64_t)(uintptr_t)obj; }

/* ------------------------------------------------------------ SIDs */

typedef struct sid_info {
  char text[LDAPA_SID_TEXT_MAX];
  uint32_t rid;
  bool ok;
} sid_info;

static sid_info obj_sid(const ldapa_obj *obj, const char *attr) {
  sid_info s = {.ok = false};
  const ldapa_value *v = NULL;
  if (ldapa_obj_values(obj, attr, &v) > 0)
    s.ok =
        ldapa_sid_to_string(v[0].data, v[0].len, s.text, sizeof s.text, &s.rid, NULL) == VIGIE_OK;
  return s;
}

/* Whether sid is domain_sid-RID (domain_sid empty: any S-1-5-21 SID). */
static bool sid_in_domain(const sid_info *s, const char *domain_sid) {
  if (!s->ok) return false;
  if (domain_sid[0] == '\0') return strncmp(s->text, "S-1-5-21-", 9) == 0;
  size_t n = strlen(domain_sid);
  return strncmp(s->text, domain_sid, n) == 0 && s->text[n] == '-' &&
         strchr(s->text + n + 1, '-') == NULL;
}

static bool sid_builtin(const sid_info *s) {
  return s->ok && strncmp(s->text, "S-1-5-32-", 9) == 0;
}

/* ------------------------------------------------------------ graph */

typedef struct graph {
  ldapa_dir *dir;
  size_t ng, na;
  idx_map gmap, amap, ridmap; /* group and account index by entry; group index by RID + 1 */
  size_t *edge_off, *edges;   /* CSR: members of group i; value < ng a group, else ng + account */
  size_t *pg_off, *pg;        /* accounts whose primaryGroupID is group i */
  uint16_t *gbits, *abits;    /* root groups reaching each group / account */
  uint32_t *gstamp, *astamp, gen;
  size_t *stack;
  ldapa_obj *root_obj[ROOT_COUNT];
  char domain_sid[LDAPA_SID_TEXT_MAX];
} graph;

static ldapa_obj *g_obj(const graph *g, size_t i) {
  return ldapa_dir_set_at(g->dir, LDAPA_SET_GROUPS, i);
}
static ldapa_obj *a_obj(const graph *g, size_t i) {
  return ldapa_dir_set_at(g->dir, LDAPA_SET_ACCOUNTS, i);
}

static void graph_free(graph *g) {
  map_free(&g->gmap), map_free(&g->amap), map_free(&g->ridmap);
  vigie_free(g->edge_off), vigie_free(g->edges), vigie_free(g->pg_off), vigie_free(g->pg);
  vigie_free(g->gbits), vigie_free(g->abits), vigie_free(g->gstamp), vigie_free(g->astamp);
  vigie_free(g->stack);
}

static vigie_status graph_alloc(graph *g) {
  size_t ng = g->ng, na = g->na;
  if (map_init(&g->gmap, ng) || map_init(&g->amap, na) || map_init(&g->ridmap, ng))
    return VIGIE_ENOMEM;
  g->edge_off = vigie_calloc(ng + 1, sizeof *g->edge_off);
  g->pg_off = vigie_calloc(ng + 2, sizeof *g->pg_off);
  g->pg = vigie_calloc(na + 1, sizeof *g->pg);
  g->gbits = vigie_calloc(ng + 1, sizeof *g->gbits);
  g->abits = vigie_calloc(na + 1, sizeof *g->abits);
  g->gstamp = vigie_calloc(ng + 1, sizeof *g->gstamp);
  g->astamp = vigie_calloc(na + 1, sizeof *g->astamp);
  g->stack = vigie_calloc(ng + 1, sizeof *g->stack);
  bool ok = g->edge_off && g->pg_off && g->pg && g->gbits && g->abits && g->gstamp && g->astamp &&
            g->stack;
  return ok ? VIGIE_OK : VIGIE_ENOMEM;
}

/* Index groups (and domain groups by RID) and accounts; find the roots. */
static void graph_index(graph *g) {
  for (size_t i = 0; i < g->ng; i++) {
    ldapa_obj *obj = g_obj(g, i);
    map_put(&g->gmap, obj_key(obj), i);
    sid_info s = obj_sid(obj, "objectSid");
    bool domain = sid_in_domain(&s, g->domain_sid), builtin = sid_builtin(&s);
    if (domain) map_put(&g->ridmap, (uint64_t)s.rid + 1, i);
    for (size_t r = 0; r < ROOT_COUNT; r++)
      if (g->root_obj[r] == NULL && s.ok && s.rid == roots[r].rid &&
          (roots[r].builtin ? builtin : domain))
        g->root_obj[r] = obj;
  }
  for (size_t i = 0; i < g->na; i++) map_put(&g->amap, obj_key(a_obj(g, i)), i);
}

/* Resolve member DNs to group or account indices (others: contacts,
 * foreign principals, entries not read, are left out). */
static size_t graph_edges(graph *g, size_t i, size_t *out) {
  const ldapa_value *v = NULL;
  size_t n = ldapa_obj_values(g_obj(g, i), "member", &v), k = 0;
  for (size_t m = 0; m < n; m++) {
    ldapa_obj *obj = ldapa_dir_find(g->dir, v[m].data);
    size_t idx = 0;
    if (obj == NULL) continue;
    if (map_get(&g->gmap, obj_key(obj), &idx)) {
      if (out) out[k] = idx;
      k++;
    } else if (map_get(&g->amap, obj_key(obj), &idx)) {
      if (out) out[k] = g->ng + idx;
      k++;
    }
  }
  return k;
}

static vigie_status graph_build(graph *g) {
  for (size_t i = 0; i < g->ng; i++) g->edge_off[i + 1] = g->edge_off[i] + graph_edges(g, i, NULL);
  g->edges = vigie_calloc(g->edge_off[g->ng] + 1, sizeof *g->edges);
  if (g->edges == NULL) return VIGIE_ENOMEM;
  for (size_t i = 0; i < g->ng; i++) graph_edges(g, i, g->edges + g->edge_off[i]);
  /* primaryGroupID: counted per group, then placed (counting sort). */
  size_t *group_of = vigie_calloc(g->na + 1, sizeof *group_of);
  if (group_of == NULL) return VIGIE_ENOMEM;
  for (size_t a = 0; a < g->na; a++) {
    int64_t pgid = 0;
    size_t gi = g->ng;
    if (ldapa_fact_first_int(a_obj(g, a), "primaryGroupID", &pgid) && pgid > 0 && pgid < UINT32_MAX)
      if (!map_get(&g->ridmap, (uint64_t)pgid + 1, &gi)) gi = g->ng;
    group_of[a] = gi;
    g->pg_off[gi + 1]++;
  }
  for (size_t i = 0; i < g->ng + 1; i++) g->pg_off[i + 1] += g->pg_off[i];
  size_t *fill = vigie_calloc(g->ng + 1, sizeof *fill);
  if (fill == NULL) {
    vigie_free(group_of);
    return VIGIE_ENOMEM;
  }
  for (size_t a = 0; a < g->na; a++) g->pg[g->pg_off[group_of[a]] + fill[group_of[a]]++] = a;
  vigie_free(fill);
  vigie_free(group_of);
  return VIGIE_OK;
}

/* Mark bit on every group reachable from group r (nested members). A group
 * already marked is not entered again, which also ends cycles. */
static void graph_mark(graph *g, size_t r, uint16_t bit) {
  size_t top = 0;
  if (!(g->gbits[r] & bit)) g->gbits[r] |= bit, g->stack[top++] = r;
  while (top > 0) {
    size_t gi = g->stack[--top];
    for (size_t e = g->edge_off[gi]; e < g->edge_off[gi + 1]; e++) {
      size_t t = g->edges[e];
      if (t < g->ng && !(g->gbits[t] & bit)) g->gbits[t] |= bit, g->stack[top++] = t;
    }
  }
}

/* Give each account the bits of the groups it is a direct or primary member of. */
static void graph_spread(graph *g) {
  for (size_t gi = 0; gi < g->ng; gi++) {
    if (g->gbits[gi] == 0) continue;
    for (size_t e = g->edge_off[gi]; e < g->edge_off[gi + 1]; e++)
      if (g->edges[e] >= g->ng) g->abits[g->edges[e] - g->ng] |= g->gbits[gi];
    for (size_t p = g->pg_off[gi]; p < g->pg_off[gi + 1]; p++) g->abits[g->pg[p]] |= g->gbits[gi];
  }
}

/* Distinct accounts reached from group r, nested groups and primary members
 * included; stamps make each group and account count once per walk. */
static size_t graph_reach(graph *g, size_t r) {
  size_t top = 0, count = 0;
  g->gen++;
  g->gstamp[r] = g->gen;
  g->stack[top++] = r;
  while (top > 0) {
    size_t gi = g->stack[--top];
    for (size_t e = g->edge_off[gi]; e < g->edge_off[gi + 1]; e++) {
      size_t t = g->edges[e];
      if (t < g->ng && g->gstamp[t] != g->gen)
        g->gstamp[t] = g->gen, g->stack[top++] = t;
      else if (t >= g->ng && g->astamp[t - g->ng] != g->gen)
        g->astamp[t - g->ng] = g->gen, count++;
    }
    for (size_t p = g->pg_off[gi]; p < g->pg_off[gi + 1]; p++)
      if (g->astamp[g->pg[p]] != g->gen) g->astamp[g->pg[p]] = g->gen, count++;
  }
  return count;
}

/* ------------------------------------------------------------ account facts */

/* Seconds since a FILETIME attribute; false when absent, 0 or never. */
static bool filetime_age(const ldapa_obj *obj, const char *attr, time_t now, int64_t *age) {
  const char *text = ldapa_obj_first(obj, attr);
  time_t t = 0;
  if (text == NULL || ldapa_filetime_parse(text, &t) != VIGIE_OK) return false;
  *age = (int64_t)(now - t);
  return true;
}

static bool gentime_age(const ldapa_obj *obj, const char *attr, time_t now, int64_t *age) {
  const char *text = ldapa_obj_first(obj, attr);
  time_t t = 0;
  if (text == NULL || ldapa_gentime_parse(text, &t) != VIGIE_OK) return false;
  *age = (int64_t)(now - t);
  return true;
}

/* ANSSI's dormant account: enabled, password over 3 years old, and no logon
 * for a year (or never, and created over a year ago). A password never set
 * (pwdLastSet 0 or absent) counts as old when the account is over 3 years old. */
static bool is_dormant(const ldapa_obj *obj, bool enabled, time_t now) {
  int64_t pwd = 0, logon = 0, created = 0;
  bool has_created = gentime_age(obj, "whenCreated", now, &created);
  bool pwd_old = filetime_age(obj, "pwdLastSet", now, &pwd)
                     ? pwd > 3 * (int64_t)YEAR
                     : has_created && created > 3 * (int64_t)YEAR;
  bool logon_old = filetime_age(obj, "lastLogonTimestamp", now, &logon)
                       ? logon > YEAR
                       : has_created && created > YEAR;
  return enabled && pwd_old && logon_old;
}

static bool sid_history_privileged(const ldapa_obj *obj) {
  const ldapa_value *v = NULL;
  size_t n = ldapa_obj_values(obj, "sIDHistory", &v);
  for (size_t i = 0; i < n; i++) {
    sid_info s = {.ok = false};
    s.ok =
        ldapa_sid_to_string(v[i].data, v[i].len, s.text, sizeof s.text, &s.rid, NULL) == VIGIE_OK;
    if (s.ok && (sid_builtin(&s) || s.rid < 1000)) return true;
  }
  return false;
}

typedef struct kinds {
  bool enabled, has_uac, is_dc, is_rodc, is_server, is_workstation, is_msa, is_trust;
} kinds;

static kinds account_kinds(const ldapa_obj *obj) {
  kinds k = {0};
  int64_t uac = 0;
  k.has_uac = ldapa_fact_first_int(obj, "userAccountControl", &uac);
  k.enabled = k.has_uac && !(uac & UAC_DISABLED);
  k.is_dc = (uac & UAC_SERVER_TRUST) != 0;
  k.is_rodc = (uac & UAC_PARTIAL_SECRETS) != 0;
  k.is_trust = (uac & UAC_INTERDOMAIN_TRUST) != 0;
  k.is_msa = ldapa_fact_has_value(obj, "objectClass", "msDS-ManagedServiceAccount") ||
             ldapa_fact_has_value(obj, "objectClass", "msDS-GroupManagedServiceAccount");
  const char *os = ldapa_obj_first(obj, "operatingSystem");
  bool computer = ldapa_fact_has_value(obj, "objectClass", "computer");
  k.is_server = computer && os != NULL && strcasestr(os, "Server") != NULL;
  k.is_workstation =
      computer && os != NULL && !k.is_server && !k.is_dc && !k.is_rodc && !k.is_msa && !k.is_trust;
  return k;
}

static vigie_status put_kinds(ldapa_dir *dir, ldapa_obj *obj, const kinds *k, vigie_error *err) {
  const struct {
    const char *name;
    bool v;
  } facts[] = {{"is_dc", k->is_dc},         {"is_rodc", k->is_rodc},
               {"is_server", k->is_server}, {"is_workstation", k->is_workstation},
               {"is_msa", k->is_msa},       {"is_trust_account", k->is_trust}};
  vigie_status status = VIGIE_OK;
  if (k->has_uac) status = ldapa_fact_bool(dir, obj, "enabled", k->enabled, err);
  for (size_t i = 0; i < sizeof facts / sizeof facts[0] && status == VIGIE_OK; i++)
    status = ldapa_fact_bool(dir, obj, facts[i].name, facts[i].v, err);
  return status;
}

static vigie_status put_sid(ldapa_dir *dir, ldapa_obj *obj, const sid_info *s, vigie_error *err) {
  if (!s->ok) return VIGIE_OK;
  vigie_status status = ldapa_fact_str(dir, obj, "sid", s->text, err);
  if (status == VIGIE_OK) status = ldapa_fact_int(dir, obj, "rid", s->rid, err);
  return status;
}

static const char *group_name(const ldapa_obj *obj) {
  const char *n = ldapa_obj_first(obj, "sAMAccountName");
  return n != NULL ? n
                   : (ldapa_obj_first(obj, "cn") != NULL ? ldapa_obj_first(obj, "cn")
                                                         : ldapa_obj_dn(obj));
}

static vigie_status put_membership(graph *g, size_t a, bool dc, vigie_error *err) {
  ldapa_obj *obj = a_obj(g, a);
  uint16_t bits = g->abits[a];
  vigie_status status =
      ldapa_fact_bool(g->dir, obj, "privileged", !dc && (bits & PRIVILEGED_MASK), err);
  if (status == VIGIE_OK)
    status = ldapa_fact_bool(g->dir, obj, "protected_user", bits & PROTECTED_BIT, err);
  ldapa_obj_clear(obj, "privileged_groups");
  for (size_t r = 0; r + 1 < ROOT_COUNT && status == VIGIE_OK; r++)
    if ((bits & (1u << r)) && g->root_obj[r] != NULL)
      status = ldapa_obj_add_str(g->dir, obj, "privileged_groups", group_name(g->root_obj[r]), err);
  return status;
}

static vigie_status account_facts(graph *g, size_t a, size_t *privileged_count, vigie_error *err) {
  ldapa_obj *obj = a_obj(g, a);
  time_t now = ldapa_dir_time(g->dir);
  sid_info s = obj_sid(obj, "objectSid");
  kinds k = account_kinds(obj);
  bool domain = sid_in_domain(&s, g->domain_sid);
  vigie_status status = put_sid(g->dir, obj, &s, err);
  if (status == VIGIE_OK) status = put_kinds(g->dir, obj, &k, err);
  const struct {
    const char *name;
    bool v;
  } facts[] = {{"is_admin500", domain && s.rid == 500},
               {"is_guest", domain && s.rid == 501},
               {"is_krbtgt", domain && s.rid == 502},
               {"never_logged_on", !filetime_age(obj, "lastLogonTimestamp", now, &(int64_t){0})},
               {"dormant", is_dormant(obj, k.enabled, now)},
               {"sid_history_privileged", sid_history_privileged(obj)}};
  for (size_t i = 0; i < sizeof facts / sizeof facts[0] && status == VIGIE_OK; i++)
    status = ldapa_fact_bool(g->dir, obj, facts[i].name, facts[i].v, err);
  bool dc = k.is_dc || k.is_rodc;
  if (status == VIGIE_OK) status = put_membership(g, a, dc, err);
  if (!dc && (g->abits[a] & PRIVILEGED_MASK) && !(domain && s.rid == 500)) (*privileged_count)++;
  return status;
}

static vigie_status group_facts(graph *g, size_t i, vigie_error *err) {
  ldapa_obj *obj = g_obj(g, i);
  sid_info s = obj_sid(obj, "objectSid");
  const ldapa_value *v = NULL;
  vigie_status status = put_sid(g->dir, obj, &s, err);
  if (status == VIGIE_OK)
    status = ldapa_fact_int(g->dir, obj, "members_total",
                            (int64_t)ldapa_obj_values(obj, "member", &v), err);
  if (status == VIGIE_OK)
    status = ldapa_fact_int(g->dir, obj, "members_recursive", (int64_t)graph_reach(g, i), err);
  return status;
}

/* ------------------------------------------------------------ other sets */

/* dnsProperty (MS-DNSP 2.3.2.1): DataLength, NameLength, Flag, Version, Id
 * (4 bytes little-endian each), then Data. Id 2 is ALLOW_UPDATE. */
static bool dns_allow_update(const ldapa_obj *obj, int64_t *out) {
  const ldapa_value *v = NULL;
  size_t n = ldapa_obj_values(obj, "dNSProperty", &v);
  for (size_t i = 0; i < n; i++) {
    const unsigned char *b = (const unsigned char *)v[i].data;
    if (v[i].len < 21) continue;
    uint32_t len =
        (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    uint32_t id =
        (uint32_t)b[16] | (uint32_t)b[17] << 8 | (uint32_t)b[18] << 16 | (uint32_t)b[19] << 24;
    if (id == 2 && len >= 1 && v[i].len >= 20 + (size_t)len) {
      *out = b[20];
      return true;
    }
  }
  return false;
}

/* The domain's DNS name from its DN: DC=a,DC=b -> a.b. */
static void domain_dns_name(const char *dn, char *out, size_t size) {
  size_t k = 0;
  out[0] = '\0';
  for (const char *p = dn; p != NULL && *p != '\0';) {
    if (strncasecmp(p, "DC=", 3) == 0) {
      size_t n = strcspn(p + 3, ",");
      if (k + n + 2 >= size) return;
      if (k > 0) out[k++] = '.';
      memcpy(out + k, p + 3, n);
      k += n;
      out[k] = '\0';
    }
    p = strchr(p, ',');
    if (p != NULL) p++;
  }
}

static vigie_status dns_facts(ldapa_dir *dir, const char *domain_dn, vigie_error *err) {
  char domain[256];
  domain_dns_name(domain_dn != NULL ? domain_dn : "", domain, sizeof domain);
  vigie_status status = VIGIE_OK;
  for (size_t i = 0; i < ldapa_dir_set_size(dir, LDAPA_SET_DNS_ZONES) && status == VIGIE_OK; i++) {
    ldapa_obj *z = ldapa_dir_set_at(dir, LDAPA_SET_DNS_ZONES, i);
    const char *name =
        ldapa_obj_first(z, "dc") != NULL ? ldapa_obj_first(z, "dc") : ldapa_obj_first(z, "name");
    int64_t upd = 0;
    if (dns_allow_update(z, &upd)) status = ldapa_fact_int(dir, z, "allow_update", upd, err);
    if (status == VIGIE_OK)
      status = ldapa_fact_bool(dir, z, "is_msdcs",
                               name != NULL && strncasecmp(name, "_msdcs.", 7) == 0, err);
    if (status == VIGIE_OK)
      status = ldapa_fact_bool(dir, z, "is_domain_zone",
                               name != NULL && domain[0] && strcasecmp(name, domain) == 0, err);
  }
  return status;
}

/* trustAttributes: QUARANTINED_DOMAIN 0x4 filters SIDs of an external
 * trust; a forest trust (FOREST_TRANSITIVE 0x8) filters unless
 * TREAT_AS_EXTERNAL 0x40 lets SID history through. */
static vigie_status trust_facts(ldapa_dir *dir, vigie_error *err) {
  vigie_status status = VIGIE_OK;
  for (size_t i = 0; i < ldapa_dir_set_size(dir, LDAPA_SET_TRUSTS) && status == VIGIE_OK; i++) {
    ldapa_obj *t = ldapa_dir_set_at(dir, LDAPA_SET_TRUSTS, i);
    int64_t attrs = 0, dir_v = 0;
    bool has_attrs = ldapa_fact_first_int(t, "trustAttributes", &attrs);
    bool forest = (attrs & 0x8) != 0;
    if (has_attrs) status = ldapa_fact_bool(dir, t, "is_forest", forest, err);
    if (status == VIGIE_OK && has_attrs)
      status = ldapa_fact_bool(dir, t, "sid_filtering",
                               forest ? !(attrs & 0x40) : (attrs & 0x4) != 0, err);
    if (status == VIGIE_OK && ldapa_fact_first_int(t, "trustDirection", &dir_v))
      status = ldapa_fact_int(dir, t, "direction", dir_v, err);
  }
  return status;
}

/* forest_level: msDS-Behavior-Version of CN=Partitions in the config set. */
static vigie_status domain_facts(graph *g, size_t privileged_count, vigie_error *err) {
  ldapa_obj *domain = ldapa_dir_set_at(g->dir, LDAPA_SET_DOMAIN, 0);
  if (domain == NULL) return VIGIE_OK;
  sid_info s = obj_sid(domain, "objectSid");
  /* The domain's SID has no RID: only the text. */
  vigie_status status = s.ok ? ldapa_fact_str(g->dir, domain, "sid", s.text, err) : VIGIE_OK;
  if (status == VIGIE_OK)
    status = ldapa_fact_int(g->dir, domain, "privileged_count", (int64_t)privileged_count, err);
  if (status == VIGIE_OK)
    status = ldapa_fact_int(g->dir, domain, "dc_count",
                            (int64_t)ldapa_dir_set_size(g->dir, LDAPA_SET_DCS), err);
  for (size_t i = 0; i < ldapa_dir_set_size(g->dir, LDAPA_SET_CONFIG) && status == VIGIE_OK; i++) {
    ldapa_obj *c = ldapa_dir_set_at(g->dir, LDAPA_SET_CONFIG, i);
    int64_t level = 0;
    if (strncasecmp(ldapa_obj_dn(c), "CN=Partitions,", 14) == 0 &&
        ldapa_fact_first_int(c, "msDS-Behavior-Version", &level))
      status = ldapa_fact_int(g->dir, domain, "forest_level", level, err);
  }
  return status;
}

/* ---------------------------------------------------- delegation to DCs */

/* Whether the host of a delegated SPN "service/host[:port][/name]" is a DC:
 * its DNS name, or its account name without "$", compared without case; a
 * short host also matches a DC's first DNS label. krbtgt is the KDC itself. */
static bool spn_names_dc(const char *spn, const ldapa_dir *dir) {
  const char *slash = strchr(spn, '/'), *end;
  size_t host_len;
  if (slash == NULL) return false;
  if ((size_t)(slash - spn) == 6 && strncasecmp(spn, "krbtgt", 6) == 0) return true;
  end = slash + 1 + strcspn(slash + 1, ":/");
  host_len = (size_t)(end - slash - 1);
  if (host_len == 0) return false;
  for (size_t i = 0; i < ldapa_dir_set_size(dir, LDAPA_SET_DCS); i++) {
    const ldapa_obj *dc = ldapa_dir_set_at(dir, LDAPA_SET_DCS, i);
    const char *dns = ldapa_obj_first(dc, "dNSHostName");
    const char *sam = ldapa_obj_first(dc, "sAMAccountName");
    if (dns != NULL) {
      size_t label = strcspn(dns, ".");
      if ((strlen(dns) == host_len || label == host_len) && strncasecmp(dns, slash + 1, host_len) == 0)
        return true;
    }
    if (sam != NULL) {
      size_t n = strlen(sam);
      if (n > 0 && sam[n - 1] == '$') n--;
      if (n == host_len && strncasecmp(sam, slash + 1, host_len) == 0) return true;
    }
  }
  return false;
}

/* delegates_to_dc on every account with msDS-AllowedToDelegateTo: the join
 * between accounts and DCs that a per-entry predicate cannot make. */
static vigie_status delegation_facts(ldapa_dir *dir, vigie_error *err) {
  vigie_status status = VIGIE_OK;
  for (size_t i = 0; i < ldapa_dir_set_size(dir, LDAPA_SET_ACCOUNTS) && status == VIGIE_OK; i++) {
    ldapa_obj *a = ldapa_dir_set_at(dir, LDAPA_SET_ACCOUNTS, i);
    const ldapa_value *v = NULL;
    size_t n = ldapa_obj_values(a, "msDS-AllowedToDelegateTo", &v);
    bool to_dc = false;
    for (size_t k = 0; k < n && !to_dc; k++) to_dc = spn_names_dc(v[k].data, dir);
    if (n > 0) {
      ldapa_obj_clear(a, "delegates_to_dc");
      status = ldapa_fact_bool(dir, a, "delegates_to_dc", to_dc, err);
    }
  }
  return status;
}

/* ------------------------------------------------------------ entry point */

static vigie_status facts_run(graph *g, vigie_error *err) {
  if (graph_alloc(g) != VIGIE_OK)
    return vigie_fail(err, VIGIE_ENOMEM, "out of memory computing the directory facts");
  graph_index(g);
  if (graph_build(g) != VIGIE_OK)
    return vigie_fail(err, VIGIE_ENOMEM, "out of memory computing the directory facts");
  for (size_t r = 0; r < ROOT_COUNT; r++) {
    size_t gi = 0;
    if (g->root_obj[r] != NULL && map_get(&g->gmap, obj_key(g->root_obj[r]), &gi))
      graph_mark(g, gi, (uint16_t)(1u << r));
  }
  graph_spread(g);
  vigie_status status = VIGIE_OK;
  size_t privileged = 0;
  for (size_t a = 0; a < g->na && status == VIGIE_OK; a++)
    status = account_facts(g, a, &privileged, err);
  for (size_t i = 0; i < g->ng && status == VIGIE_OK; i++) status = group_facts(g, i, err);
  if (status == VIGIE_OK) status = domain_facts(g, privileged, err);
  return status;
}

vigie_status ldapa_facts_ad(ldapa_dir *dir, vigie_error *err) {
  graph g = {.dir = dir,
             .ng = ldapa_dir_set_size(dir, LDAPA_SET_GROUPS),
             .na = ldapa_dir_set_size(dir, LDAPA_SET_ACCOUNTS)};
  ldapa_obj *domain = ldapa_dir_set_at(dir, LDAPA_SET_DOMAIN, 0);
  sid_info ds = domain != NULL ? obj_sid(domain, "objectSid") : (sid_info){.ok = false};
  if (ds.ok) snprintf(g.domain_sid, sizeof g.domain_sid, "%s", ds.text);
  vigie_status status = facts_run(&g, err);
  graph_free(&g);
  if (status == VIGIE_OK)
    status = dns_facts(dir, domain != NULL ? ldapa_obj_dn(domain) : NULL, err);
  if (status == VIGIE_OK) status = trust_facts(dir, err);
  if (status == VIGIE_OK) status = delegation_facts(dir, err);
  if (status == VIGIE_OK) status = ldapa_facts_pki(dir, err);
  return status;
}
