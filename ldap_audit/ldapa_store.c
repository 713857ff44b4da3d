/* The directory model: a compact store of LDAP entries.
 *
 * A 100,000-user domain with ~25 attributes each must fit in well under
 * 150 MiB, so the store avoids one heap block per value: DNs, value arrays
 * and value bytes live in a bump arena freed at once; attribute names are
 * interned once per directory and an entry refers to them by a 32-bit id;
 * each entry keeps one small heap array of (name id, count, values).
 * Value arrays that grow are copied to a new arena slot and the old slot is
 * left in place, so a pointer handed out by ldapa_obj_values stays readable
 * for as long as the directory lives.
 *
 * Most attributes of most entries hold one short value that many entries
 * share ("512", "TRUE", "9223372036854775807", a department): such a
 * one-value array is stored once and shared. Sharing is safe because a
 * value array is never written in place once it holds a value: adding a
 * second value copies it (see st_values_reserve). */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ldap_audit/ldapa_int.h"
#include "vigie/ldap_audit.h"

#define ST_CHUNK (256u * 1024u)  /* arena block size */
#define ST_NO_NAME UINT32_MAX    /* an attribute name never interned */
#define ST_VALUE_MAX (256u * 1024u * 1024u) /* no LDAP value comes near: a bug or an attack */
#define ST_SHARE_MAX_LEN 40      /* single values this short may be shared */
#define ST_SHARE_SLOTS (1u << 17) /* shared-value table, at most half full */

/* ------------------------------------------------------------ arena */

typedef struct st_block {
  struct st_block *next;
  size_t used, cap;
  /* data follows, aligned for pointers */
  max_align_t data[];
} st_block;

typedef struct st_arena {
  st_block *head;
  size_t bytes; /* allocated, for ldapa_dir_mem_bytes */
} st_arena;

static void *st_alloc(st_arena *a, size_t size, size_t align) {
  st_block *b = a->head;
  if (b != NULL) {
    size_t at = (b->used + align - 1) & ~(align - 1);
    if (at + size <= b->cap) {
      b->used = at + size;
      return (char *)b->data + at;
    }
  }
  /* A request larger than a quarter block gets a block of its own, so big
   * multi-valued attributes (member) do not waste the rest of a chunk. */
  size_t cap = size > ST_CHUNK / 4 ? size : ST_CHUNK;
  st_block *nb = vigie_malloc(sizeof *nb + cap);
  if (nb == NULL) return NULL;
  nb->cap = cap;
  nb->used = size;
  a->bytes += sizeof *nb + cap;
  if (b != NULL && size > ST_CHUNK / 4) { /* keep filling the current block */
    nb->next = b->next;
    b->next = nb;
  } else {
    nb->next = b;
    a->head = nb;
  }
  return nb->data;
}

static char *st_copy(st_arena *a, const void *bytes, size_t len) {
  char *p = st_alloc(a, len + 1, 1);
  if (p == NULL) return NULL;
  if (len > 0) memcpy(p, bytes, len);
  p[len] = '\0';
  return p;
}

static void st_arena_free(st_arena *a) {
  st_block *b = a->head;
  while (b != NULL) {
    st_block *next = b->next;
    vigie_free(b);
    b = next;
  }
  a->head = NULL;
}

/* ------------------------------------------------------------ model types */

typedef struct st_attr {
  uint32_t name;       /* interned id */
  uint32_t count;      /* values in use; capacity is the next power of two */
  ldapa_value *values; /* arena */
} st_attr;

struct ldapa_obj {
  ldapa_dir *dir;  /* for the name table: readers get only the entry */
  const char *dn;  /* arena */
  st_attr *attrs;  /* heap, grown by realloc */
  uint32_t nattrs, cap;
  uint32_t sets;   /* bit per ldapa_set: membership, so add is once */
};

typedef struct st_set {
  ldapa_obj **objs;
  size_t len, cap;
  ldapa_read_state state;
  char *reason;
} st_set;

struct ldapa_dir {
  st_arena arena;
  time_t now;
  /* interned names: ids index names[]; hash slots hold id + 1, 0 is empty */
  const char **names;
  uint32_t nnames, names_cap;
  uint32_t *name_slots;
  size_t name_slots_cap;
  /* DN table: open addressing, NULL is empty */
  ldapa_obj **dn_slots;
  size_t dn_slots_cap, nobjs;
  st_set sets[LDAPA_SET_COUNT];
  /* shared one-value arrays, open addressing on the bytes, NULL is empty;
   * fixed size: once half full, new values are simply not shared */
  ldapa_value **shared;
  size_t nshared;
  size_t heap_bytes; /* tables and vectors, for ldapa_dir_mem_bytes */
};

_Static_assert(LDAPA_SET_COUNT <= 32, "set membership is a 32-bit mask");

/* ------------------------------------------------------------ set names */

static const char *const st_set_names[LDAPA_SET_COUNT] = {
    [LDAPA_SET_SERVER] = "server",
    [LDAPA_SET_ROOTDSE] = "rootdse",
    [LDAPA_SET_DOMAIN] = "domain",
    [LDAPA_SET_USERS] = "users",
    [LDAPA_SET_COMPUTERS] = "computers",
    [LDAPA_SET_ACCOUNTS] = "accounts",
    [LDAPA_SET_DCS] = "dcs",
    [LDAPA_SET_GROUPS] = "groups",
    [LDAPA_SET_MSAS] = "msas",
    [LDAPA_SET_TRUSTS] = "trusts",
    [LDAPA_SET_GPOS] = "gpos",
    [LDAPA_SET_NTDS_DSA] = "ntds_dsa",
    [LDAPA_SET_CONFIG] = "config",
    [LDAPA_SET_PKI_TEMPLATES] = "pki_templates",
    [LDAPA_SET_PKI_CAS] = "pki_cas",
    [LDAPA_SET_PKI_ENROLLMENT] = "pki_enrollment",
    [LDAPA_SET_DNS_ZONES] = "dns_zones",
    [LDAPA_SET_ENTRIES] = "entries",
    [LDAPA_SET_PPOLICIES] = "ppolicies",
};

const char *ldapa_set_name(ldapa_set set) {
  if ((unsigned)set >= LDAPA_SET_COUNT) return "unknown";
  return st_set_names[set];
}

vigie_status ldapa_set_from_name(const char *name, ldapa_set *out) {
  for (int i = 0; name != NULL && i < LDAPA_SET_COUNT; i++) {
    if (strcmp(st_set_names[i], name) == 0) {
      *out = (ldapa_set)i;
      return VIGIE_OK;
    }
  }
  return VIGIE_ENOENT;
}

/* ------------------------------------------------------------ hashing */

bool ldapa_ieq(const char *a, size_t alen, const char *b, size_t blen) {
  if (alen != blen) return false;
  for (size_t i = 0; i < alen; i++)
    if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i])) return false;
  return true;
}

/* FNV-1a over ASCII-folded bytes: names and DNs compare case-insensitively. */
static uint64_t st_ihash(const char *s, size_t len) {
  uint64_t h = 0xcbf29ce484222325u;
  for (size_t i = 0; i < len; i++) {
    h ^= (uint64_t)tolower((unsigned char)s[i]);
    h *= 0x100000001b3u;
  }
  return h;
}

/* FNV-1a over the exact bytes: values are shared only when identical. */
static uint64_t st_hash(const char *s, size_t len) {
  uint64_t h = 0xcbf29ce484222325u;
  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char)s[i];
    h *= 0x100000001b3u;
  }
  return h;
}

/* ------------------------------------------------------------ names */

/* The id of name, or ST_NO_NAME. */
static uint32_t st_name_find(const ldapa_dir *dir, const char *name) {
  if (dir->name_slots_cap == 0 || name == NULL) return ST_NO_NAME;
  size_t len = strlen(name), mask = dir->name_slots_cap - 1;
  for (size_t i = st_ihash(name, len) & mask;; i = (i + 1) & mask) {
    uint32_t slot = dir->name_slots[i];
    if (slot == 0) return ST_NO_NAME;
    const char *have = dir->names[slot - 1];
    if (ldapa_ieq(have, strlen(have), name, len)) return slot - 1;
  }
}

static void st_name_place(ldapa_dir *dir, uint32_t id) {
  size_t mask = dir->name_slots_cap - 1;
  const char *name = dir->names[id];
  size_t i = st_ihash(name, strlen(name)) & mask;
  while (dir->name_slots[i] != 0) i = (i + 1) & mask;
  dir->name_slots[i] = id + 1;
}

/* Keep the name table under half full, and names[] big enough for one more. */
static vigie_status st_names_grow(ldapa_dir *dir, vigie_error *err) {
  if (dir->nnames == dir->names_cap) {
    uint32_t cap = dir->names_cap ? dir->names_cap * 2 : 64;
    const char **grown = vigie_realloc(dir->names, cap * sizeof *grown);
    if (grown == NULL) return vigie_fail(err, VIGIE_ENOMEM, "directory model: out of memory");
    dir->heap_bytes += (cap - dir->names_cap) * sizeof *grown;
    dir->names = grown, dir->names_cap = cap;
  }
  if ((dir->nnames + 1) * 2 <= dir->name_slots_cap) return VIGIE_OK;
  size_t cap = dir->name_slots_cap ? dir->name_slots_cap * 2 : 128;
  uint32_t *slots = vigie_calloc(cap, sizeof *slots);
  if (slots == NULL) return vigie_fail(err, VIGIE_ENOMEM, "directory model: out of memory");
  dir->heap_bytes += (cap - dir->name_slots_cap) * sizeof *slots;
  vigie_free(dir->name_slots);
  dir->name_slots = slots, dir->name_slots_cap = cap;
  for (uint32_t id = 0; id < dir->nnames; id++) st_name_place(dir, id);
  return VIGIE_OK;
}

static vigie_status st_name_intern(ldapa_dir *dir, const char *name, uint32_t *id,
                                   vigie_error *err) {
  *id = st_name_find(dir, name);
  if (*id != ST_NO_NAME) return VIGIE_OK;
  if (name[0] == '\0') return vigie_fail(err, VIGIE_EINVAL, "directory model: empty attribute name");
  vigie_status status = st_names_grow(dir, err);
  if (status != VIGIE_OK) return status;
  char *copy = st_copy(&dir->arena, name, strlen(name));
  if (copy == NULL) return vigie_fail(err, VIGIE_ENOMEM, "directory model: out of memory");
  *id = dir->nnames++;
  dir->names[*id] = copy;
  st_name_place(dir, *id);
  return VIGIE_OK;
}

/* ------------------------------------------------------------ directory */

ldapa_dir *ldapa_dir_new(void) {
  ldapa_dir *dir = vigie_calloc(1, sizeof *dir);
  if (dir == NULL) return NULL;
  dir->now = time(NULL);
  return dir;
}

void ldapa_dir_free(ldapa_dir *dir) {
  if (dir == NULL) return;
  for (size_t i = 0; i < dir->dn_slots_cap; i++)
    if (dir->dn_slots[i] != NULL) vigie_free(dir->dn_slots[i]->attrs);
  for (int s = 0; s < LDAPA_SET_COUNT; s++) {
    vigie_free(dir->sets[s].objs);
    vigie_free(dir->sets[s].reason);
  }
  vigie_free(dir->dn_slots);
  vigie_free(dir->shared);
  vigie_free(dir->name_slots);
  vigie_free(dir->names);
  st_arena_free(&dir->arena);
  vigie_free(dir);
}

void ldapa_dir_set_time(ldapa_dir *dir, time_t now) { dir->now = now; }

time_t ldapa_dir_time(const ldapa_dir *dir) { return dir->now; }

size_t ldapa_dir_mem_bytes(const ldapa_dir *dir) {
  size_t n = sizeof *dir + dir->arena.bytes + dir->heap_bytes;
  for (size_t i = 0; i < dir->dn_slots_cap; i++)
    if (dir->dn_slots[i] != NULL) n += dir->dn_slots[i]->cap * sizeof(st_attr);
  return n;
}

/* ------------------------------------------------------------ DN table */

static size_t st_dn_index(const ldapa_dir *dir, const char *dn, size_t len) {
  size_t mask = dir->dn_slots_cap - 1;
  size_t i = st_ihash(dn, len) & mask;
  while (dir->dn_slots[i] != NULL) {
    const char *have = dir->dn_slots[i]->dn;
    if (ldapa_ieq(have, strlen(have), dn, len)) break;
    i = (i + 1) & mask;
  }
  return i;
}

ldapa_obj *ldapa_dir_find(const ldapa_dir *dir, const char *dn) {
  if (dir == NULL || dn == NULL || dir->dn_slots_cap == 0) return NULL;
  return dir->dn_slots[st_dn_index(dir, dn, strlen(dn))];
}

/* Keep the DN table at most 3/4 full (entries are never removed). */
static vigie_status st_dn_grow(ldapa_dir *dir, vigie_error *err) {
  if ((dir->nobjs + 1) * 4 <= dir->dn_slots_cap * 3) return VIGIE_OK;
  size_t old_cap = dir->dn_slots_cap, cap = old_cap ? old_cap * 2 : 1024;
  ldapa_obj **old = dir->dn_slots;
  ldapa_obj **slots = vigie_calloc(cap, sizeof *slots);
  if (slots == NULL) return vigie_fail(err, VIGIE_ENOMEM, "directory model: out of memory");
  dir->dn_slots = slots, dir->dn_slots_cap = cap;
  dir->heap_bytes += (cap - old_cap) * sizeof *slots;
  for (size_t i = 0; i < old_cap; i++) {
    if (old[i] == NULL) continue;
    slots[st_dn_index(dir, old[i]->dn, strlen(old[i]->dn))] = old[i];
  }
  vigie_free(old);
  return VIGIE_OK;
}

ldapa_obj *ldapa_dir_entry(ldapa_dir *dir, const char *dn, vigie_error *err) {
  if (dir == NULL || dn == NULL) {
    vigie_fail(err, VIGIE_EINVAL, "ldapa_dir_entry: no directory or no DN");
    return NULL;
  }
  ldapa_obj *found = ldapa_dir_find(dir, dn);
  if (found != NULL) return found;
  if (st_dn_grow(dir, err) != VIGIE_OK) return NULL;
  size_t len = strlen(dn);
  ldapa_obj *obj = st_alloc(&dir->arena, sizeof *obj, _Alignof(ldapa_obj));
  char *copy = obj ? st_copy(&dir->arena, dn, len) : NULL;
  if (copy == NULL) {
    vigie_fail(err, VIGIE_ENOMEM, "directory model: out of memory for %s", dn);
    return NULL;
  }
  *obj = (ldapa_obj){.dir = dir, .dn = copy};
  dir->dn_slots[st_dn_index(dir, dn, len)] = obj;
  dir->nobjs++;
  return obj;
}

/* ------------------------------------------------------------ sets */

vigie_status ldapa_dir_add_to_set(ldapa_dir *dir, ldapa_set set, ldapa_obj *obj,
                                  vigie_error *err) {
  if (dir == NULL || obj == NULL || (unsigned)set >= LDAPA_SET_COUNT)
    return vigie_fail(err, VIGIE_EINVAL, "ldapa_dir_add_to_set: bad argument");
  uint32_t bit = UINT32_C(1) << set;
  if (obj->sets & bit) return VIGIE_OK;
  st_set *s = &dir->sets[set];
  if (s->len == s->cap) {
    size_t cap = s->cap ? s->cap + s->cap / 2 : 16;
    ldapa_obj **grown = vigie_realloc(s->objs, cap * sizeof *grown);
    if (grown == NULL)
      return vigie_fail(err, VIGIE_ENOMEM, "directory model: out of memory for set %s",
                        ldapa_set_name(set));
    dir->heap_bytes += (cap - s->cap) * sizeof *grown;
    s->objs = grown, s->cap = cap;
  }
  s->objs[s->len++] = obj;
  obj->sets |= bit;
  return VIGIE_OK;
}

size_t ldapa_dir_set_size(const ldapa_dir *dir, ldapa_set set) {
  if (dir == NULL || (unsigned)set >= LDAPA_SET_COUNT) return 0;
  return dir->sets[set].len;
}

ldapa_obj *ldapa_dir_set_at(const ldapa_dir *dir, ldapa_set set, size_t i) {
  if (dir == NULL || (unsigned)set >= LDAPA_SET_COUNT || i >= dir->sets[set].len) return NULL;
  return dir->sets[set].objs[i];
}

/* States are ordered from best known to worst: NOT_ASKED < COMPLETE <
 * PARTIAL < DENIED, so a later "complete" never hides an earlier refusal. */
void ldapa_dir_set_read_state(ldapa_dir *dir, ldapa_set set, ldapa_read_state state,
                              const char *reason) {
  if (dir == NULL || (unsigned)set >= LDAPA_SET_COUNT) return;
  st_set *s = &dir->sets[set];
  if (state < s->state) return;
  if (state > s->state) {
    vigie_free(s->reason);
    s->reason = NULL;
    s->state = state;
  }
  /* The first reason of the winning state explains it; keep that one. On
   * allocation failure the state still holds, only the reason is lost. */
  if (s->reason == NULL && reason != NULL && state != LDAPA_READ_COMPLETE)
    s->reason = vigie_strdup(reason);
}

ldapa_read_state ldapa_dir_read_state(const ldapa_dir *dir, ldapa_set set, const char **reason) {
  if (reason != NULL) *reason = NULL;
  if (dir == NULL || (unsigned)set >= LDAPA_SET_COUNT) return LDAPA_READ_NOT_ASKED;
  if (reason != NULL) *reason = dir->sets[set].reason;
  return dir->sets[set].state;
}

/* ------------------------------------------------------------ values */

static st_attr *st_attr_find(const ldapa_obj *obj, uint32_t name) {
  for (uint32_t i = 0; i < obj->nattrs; i++)
    if (obj->attrs[i].name == name) return &obj->attrs[i];
  return NULL;
}

static st_attr *st_attr_new(ldapa_obj *obj, uint32_t name) {
  if (obj->nattrs == obj->cap) {
    /* Entries are filled attribute after attribute: grow by small steps,
     * so the slack stays under four slots (realloc mostly grows in place). */
    uint32_t cap = obj->cap ? obj->cap + 4 : 8;
    st_attr *grown = vigie_realloc(obj->attrs, cap * sizeof *grown);
    if (grown == NULL) return NULL;
    obj->attrs = grown, obj->cap = cap;
  }
  st_attr *a = &obj->attrs[obj->nattrs++];
  *a = (st_attr){.name = name};
  return a;
}

/* The shared one-value array holding bytes, made if the table has room;
 * NULL when the value is not shared (the caller stores its own copy). */
static ldapa_value *st_shared_value(ldapa_dir *dir, const void *bytes, size_t len) {
  if (len > ST_SHARE_MAX_LEN) return NULL;
  if (dir->shared == NULL) {
    dir->shared = vigie_calloc(ST_SHARE_SLOTS, sizeof *dir->shared);
    if (dir->shared == NULL) return NULL; /* sharing is an optimisation only */
    dir->heap_bytes += ST_SHARE_SLOTS * sizeof *dir->shared;
  }
  size_t mask = ST_SHARE_SLOTS - 1, i = st_hash(bytes, len) & mask;
  for (; dir->shared[i] != NULL; i = (i + 1) & mask) {
    const ldapa_value *v = dir->shared[i];
    if (v->len == len && memcmp(v->data, bytes, len) == 0) return dir->shared[i];
  }
  if (dir->nshared >= ST_SHARE_SLOTS / 2) return NULL;
  ldapa_value *v = st_alloc(&dir->arena, sizeof *v, _Alignof(ldapa_value));
  char *copy = v ? st_copy(&dir->arena, bytes, len) : NULL;
  if (copy == NULL) return NULL;
  *v = (ldapa_value){.data = copy, .len = len};
  dir->shared[i] = v;
  dir->nshared++;
  return v;
}

static bool st_pow2(uint32_t n) { return n != 0 && (n & (n - 1)) == 0; }

/* Room for one more value: capacity is implied (next power of two), so a
 * full array is one whose count is 0 or a power of two. */
static vigie_status st_values_reserve(st_arena *arena, st_attr *a) {
  if (a->count != 0 && !st_pow2(a->count)) return VIGIE_OK;
  if (a->count == UINT32_MAX / 2) return VIGIE_ETOOBIG;
  size_t cap = a->count ? (size_t)a->count * 2 : 1;
  ldapa_value *grown = st_alloc(arena, cap * sizeof *grown, _Alignof(ldapa_value));
  if (grown == NULL) return VIGIE_ENOMEM;
  if (a->count) memcpy(grown, a->values, a->count * sizeof *grown);
  a->values = grown;
  return VIGIE_OK;
}

vigie_status ldapa_obj_add(ldapa_dir *dir, ldapa_obj *obj, const char *attr, const void *value,
                           size_t len, vigie_error *err) {
  if (dir == NULL || obj == NULL || attr == NULL || (value == NULL && len > 0))
    return vigie_fail(err, VIGIE_EINVAL, "ldapa_obj_add: bad argument");
  if (len > ST_VALUE_MAX)
    return vigie_fail(err, VIGIE_ETOOBIG, "directory model: a value of %s on %s is over %u bytes",
                      attr, obj->dn, ST_VALUE_MAX);
  uint32_t id;
  vigie_status status = st_name_intern(dir, attr, &id, err);
  if (status != VIGIE_OK) return status;
  st_attr *a = st_attr_find(obj, id);
  if (a == NULL && (a = st_attr_new(obj, id)) == NULL)
    return vigie_fail(err, VIGIE_ENOMEM, "directory model: out of memory for %s", obj->dn);
  ldapa_value *shared = a->count == 0 ? st_shared_value(dir, value, len) : NULL;
  if (shared != NULL) {
    a->values = shared, a->count = 1;
    return VIGIE_OK;
  }
  status = st_values_reserve(&dir->arena, a);
  char *copy = status == VIGIE_OK ? st_copy(&dir->arena, value, len) : NULL;
  if (copy == NULL) {
    if (status == VIGIE_OK) status = VIGIE_ENOMEM;
    return vigie_fail(err, status, "directory model: cannot store a value of %s on %s", attr,
                      obj->dn);
  }
  a->values[a->count++] = (ldapa_value){.data = copy, .len = len};
  return VIGIE_OK;
}

vigie_status ldapa_obj_add_str(ldapa_dir *dir, ldapa_obj *obj, const char *attr,
                               const char *value, vigie_error *err) {
  if (value == NULL) return vigie_fail(err, VIGIE_EINVAL, "ldapa_obj_add_str: no value");
  return ldapa_obj_add(dir, obj, attr, value, strlen(value), err);
}

vigie_status ldapa_obj_add_int(ldapa_dir *dir, ldapa_obj *obj, const char *attr, int64_t value,
                               vigie_error *err) {
  char buf[24];
  int n = snprintf(buf, sizeof buf, "%" PRId64, value);
  return ldapa_obj_add(dir, obj, attr, buf, (size_t)n, err);
}

void ldapa_obj_clear(ldapa_obj *obj, const char *attr) {
  if (obj == NULL) return;
  uint32_t id = st_name_find(obj->dir, attr);
  st_attr *a = id == ST_NO_NAME ? NULL : st_attr_find(obj, id);
  if (a == NULL) return;
  /* Remove the slot, so attribute iteration never shows an empty one. The
   * old values stay in the arena: pointers handed out remain readable. */
  size_t i = (size_t)(a - obj->attrs);
  memmove(a, a + 1, (obj->nattrs - i - 1) * sizeof *a);
  obj->nattrs--;
}

const char *ldapa_obj_dn(const ldapa_obj *obj) { return obj ? obj->dn : NULL; }

size_t ldapa_obj_values(const ldapa_obj *obj, const char *attr, const ldapa_value **values) {
  *values = NULL;
  if (obj == NULL || attr == NULL) return 0;
  uint32_t id = st_name_find(obj->dir, attr);
  const st_attr *a = id == ST_NO_NAME ? NULL : st_attr_find(obj, id);
  if (a == NULL || a->count == 0) return 0;
  *values = a->values;
  return a->count;
}

const char *ldapa_obj_first(const ldapa_obj *obj, const char *attr) {
  const ldapa_value *v;
  return ldapa_obj_values(obj, attr, &v) > 0 ? v[0].data : NULL;
}

const char *ldapa_obj_attr_at(const ldapa_obj *obj, size_t i) {
  if (obj == NULL || i >= obj->nattrs) return NULL;
  return obj->dir->names[obj->attrs[i].name];
}
