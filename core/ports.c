/* vigie core — TCP port sets (nmap syntax) and the port database.
 *
 * A port list is parsed into a scratch set and merged only when the whole
 * list is valid, so a bad list leaves the caller's set untouched.
 * The database keeps its entries in file order (most common first) with two
 * indexes: by port (a 64 KiB table of ranks) and by name (sorted pointers).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vigie/core.h"

#define PORT_MAX 65535u
#define NAME_MAX_LEN 31  /* longest service name in the database */
#define LINE_MAX_LEN 255 /* longest line of the database file */
#define ITEM_MAX_LEN 64  /* longest item of a port list worth parsing */

typedef struct portdb_entry {
  uint16_t port;
  unsigned long line; /* for duplicate messages */
  char name[NAME_MAX_LEN + 1];
} portdb_entry;

struct vigie_portdb {
  portdb_entry *e; /* file order: rank 0 is the most common */
  size_t n, cap;
  uint16_t *rank;               /* [65536]: entry index + 1, 0 when absent */
  const portdb_entry **by_name; /* sorted by name, for lookups */
};

/* ------------------------------------------------------------ port sets */

void vigie_ports_clear(vigie_ports *p) {
  if (p != NULL) memset(p, 0, sizeof *p);
}

void vigie_ports_set(vigie_ports *p, uint16_t port) {
  uint64_t bit = (uint64_t)1 << (port & 63);
  if (p == NULL || (p->bits[port >> 6] & bit) != 0) return;
  p->bits[port >> 6] |= bit;
  p->count++;
}

bool vigie_ports_has(const vigie_ports *p, uint16_t port) {
  return p != NULL && (p->bits[port >> 6] >> (port & 63) & 1) != 0;
}

int vigie_ports_next(const vigie_ports *p, int from) {
  if (p == NULL || from < 0 || from > (int)PORT_MAX) return -1;
  size_t word = (size_t)from >> 6;
  uint64_t bits = p->bits[word] & (~(uint64_t)0 << (from & 63));
  for (;;) {
    if (bits != 0) return (int)(word * 64 + (size_t)__builtin_ctzll(bits));
    if (++word == sizeof p->bits / sizeof p->bits[0]) return -1;
    bits = p->bits[word];
  }
}

static void ports_merge(vigie_ports *dst, const vigie_ports *src) {
  unsigned count = 0;
  for (size_t i = 0; i < sizeof dst->bits / sizeof dst->bits[0]; i++) {
    dst->bits[i] |= src->bits[i];
    count += (unsigned)__builtin_popcountll(dst->bits[i]);
  }
  dst->count = count;
}

static void ports_set_range(vigie_ports *p, unsigned lo, unsigned hi) {
  for (unsigned port = lo; port <= hi; port++) vigie_ports_set(p, (uint16_t)port);
}

/* ------------------------------------------------------------ port lists */

static bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }

static bool is_lower(char ch) { return ch >= 'a' && ch <= 'z'; }

static char to_lower(char ch) { return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch; }

/* A port number of one item: digits only, 1-65535. Leading zeros are
 * harmless here (no tool reads ports in octal), so "022" is 22. */
static vigie_status parse_port(const char *item, const char *s, size_t len, unsigned *out,
                               vigie_error *err) {
  unsigned long value = 0;
  if (len == 0)
    return vigie_fail(err, VIGIE_ESYNTAX, "port \"%s\": a port number is missing", item);
  for (size_t i = 0; i < len; i++) {
    if (!is_digit(s[i])) {
      return vigie_fail(err, VIGIE_ESYNTAX,
                        "port \"%s\": not a port number, a range or a service name", item);
    }
    if (value <= PORT_MAX) value = value * 10 + (unsigned long)(s[i] - '0');
  }
  if (value == 0 || value > PORT_MAX) {
    return vigie_fail(err, VIGIE_ERANGE, "port \"%s\": %.*s is out of range (1-65535)", item,
                      (int)(len > 12 ? 12 : len), s);
  }
  *out = (unsigned)value;
  return VIGIE_OK;
}

/* "N", "A-B", "-B" (from 1), "A-" (to 65535) or "-" (all). */
static vigie_status parse_range(vigie_ports *p, const char *item, const char *s, vigie_error *err) {
  const char *dash = strchr(s, '-');
  unsigned lo = 1, hi = PORT_MAX;
  vigie_status status = VIGIE_OK;
  if (dash == NULL) {
    status = parse_port(item, s, strlen(s), &lo, err);
    hi = lo;
  } else {
    if (strchr(dash + 1, '-') != NULL)
      return vigie_fail(err, VIGIE_ESYNTAX, "port \"%s\": a range has one '-'", item);
    if (dash > s) status = parse_port(item, s, (size_t)(dash - s), &lo, err);
    if (status == VIGIE_OK && dash[1] != '\0')
      status = parse_port(item, dash + 1, strlen(dash + 1), &hi, err);
  }
  if (status != VIGIE_OK) return status;
  if (lo > hi)
    return vigie_fail(err, VIGIE_ERANGE, "port \"%s\": the range starts after its end", item);
  ports_set_range(p, lo, hi);
  return VIGIE_OK;
}

static int cmp_name_key(const void *key, const void *elem) {
  const portdb_entry *const *e = elem;
  return strcmp(key, (*e)->name);
}

static const portdb_entry *portdb_find(const vigie_portdb *db, const char *name) {
  const portdb_entry *const *hit =
      bsearch(name, db->by_name, db->n, sizeof *db->by_name, cmp_name_key);
  return hit != NULL ? *hit : NULL;
}

/* A service name from the database, case-insensitive. */
static vigie_status parse_name(vigie_ports *p, const char *item, const char *s,
                               const vigie_portdb *db, vigie_error *err) {
  char key[NAME_MAX_LEN + 1];
  size_t len = strlen(s);
  const portdb_entry *e;
  if (db == NULL) {
    return vigie_fail(err, VIGIE_ESYNTAX, "port \"%s\": service names need the port database",
                      item);
  }
  for (size_t i = 0; i < len && i < NAME_MAX_LEN; i++) key[i] = to_lower(s[i]);
  key[len < NAME_MAX_LEN ? len : NAME_MAX_LEN] = '\0';
  e = len <= NAME_MAX_LEN ? portdb_find(db, key) : NULL;
  if (e == NULL) return vigie_fail(err, VIGIE_ESYNTAX, "port \"%s\": unknown service name", item);
  vigie_ports_set(p, e->port);
  return VIGIE_OK;
}

/* The protocol prefix of nmap's syntax: T: is TCP, the only one we scan. */
static vigie_status strip_prefix(const char *item, const char **rest, vigie_error *err) {
  if (item[0] == '\0' || item[1] != ':') {
    if (strchr(item, ':') == NULL) return VIGIE_OK;
    return vigie_fail(err, VIGIE_ESYNTAX, "port \"%s\": unexpected ':'", item);
  }
  switch (item[0]) {
    case 'T':
    case 't':
      *rest = item + 2;
      if (**rest == '\0')
        return vigie_fail(err, VIGIE_ESYNTAX, "port \"%s\": no port after the prefix", item);
      return strchr(*rest, ':') == NULL
                 ? VIGIE_OK
                 : vigie_fail(err, VIGIE_ESYNTAX, "port \"%s\": unexpected ':'", item);
    case 'U':
    case 'u':
    case 'S':
    case 's':
      return vigie_fail(err, VIGIE_ESYNTAX,
                        "port \"%s\": only TCP is supported (U: is UDP, S: is SCTP)", item);
    default: return vigie_fail(err, VIGIE_ESYNTAX, "port \"%s\": unknown protocol prefix", item);
  }
}

static vigie_status parse_item(vigie_ports *p, const char *item, const vigie_portdb *db,
                               vigie_error *err) {
  const char *rest = item;
  vigie_status status = strip_prefix(item, &rest, err);
  if (status != VIGIE_OK) return status;
  if (strpbrk(rest, "*?") != NULL)
    return vigie_fail(err, VIGIE_ESYNTAX, "port \"%s\": name wildcards are not supported", item);
  if (strpbrk(rest, "[]") != NULL)
    return vigie_fail(err, VIGIE_ESYNTAX, "port \"%s\": the [...] syntax is not supported", item);
  if (to_lower(rest[0]) >= 'a' && to_lower(rest[0]) <= 'z')
    return parse_name(p, item, rest, db, err);
  return parse_range(p, item, rest, err);
}

/* Cut the next comma-separated item, blanks around it removed. */
static vigie_status next_item(const char *spec, const char **cursor, char *item, vigie_error *err) {
  const char *s = *cursor, *comma = strchr(s, ',');
  size_t len = comma != NULL ? (size_t)(comma - s) : strlen(s);
  *cursor = comma != NULL ? comma + 1 : NULL;
  while (len > 0 && (*s == ' ' || *s == '\t')) s++, len--;
  while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
  if (len == 0) {
    return vigie_fail(err, VIGIE_ESYNTAX,
                      "port list \"%s\": empty item (two commas in a row, or a comma at an end)",
                      spec);
  }
  if (len > ITEM_MAX_LEN)
    return vigie_fail(err, VIGIE_ESYNTAX, "port \"%.*s\": too long", (int)len, s);
  memcpy(item, s, len);
  item[len] = '\0';
  return VIGIE_OK;
}

vigie_status vigie_ports_parse(vigie_ports *p, const char *spec, const vigie_portdb *db,
                               vigie_error *err) {
  vigie_ports *tmp = NULL;
  char item[ITEM_MAX_LEN + 1];
  const char *cursor = spec;
  vigie_status status = VIGIE_OK;
  if (p == NULL || spec == NULL)
    return vigie_fail(err, VIGIE_EINVAL, "vigie_ports_parse: NULL argument");
  if (*spec == '\0') return vigie_fail(err, VIGIE_ESYNTAX, "port list \"\": no port given");
  tmp = vigie_calloc(1, sizeof *tmp);
  if (tmp == NULL) return vigie_fail(err, VIGIE_ENOMEM, "port list \"%s\": out of memory", spec);
  while (status == VIGIE_OK && cursor != NULL) {
    status = next_item(spec, &cursor, item, err);
    if (status == VIGIE_OK) status = parse_item(tmp, item, db, err);
  }
  if (status == VIGIE_OK) ports_merge(p, tmp);
  vigie_free(tmp);
  return status;
}

vigie_status vigie_ports_top(vigie_ports *p, const vigie_portdb *db, unsigned n, vigie_error *err) {
  if (p == NULL || db == NULL)
    return vigie_fail(err, VIGIE_EINVAL, "vigie_ports_top: NULL argument");
  if (n == 0 || n > db->n) {
    return vigie_fail(err, VIGIE_ERANGE, "top ports: %u is out of range (1-%zu)", n, db->n);
  }
  for (size_t i = 0; i < n; i++) vigie_ports_set(p, db->e[i].port);
  return VIGIE_OK;
}

/* ------------------------------------------------------- the port database */

void vigie_portdb_free(vigie_portdb *db) {
  if (db == NULL) return;
  vigie_free(db->e);
  vigie_free(db->rank);
  vigie_free(db->by_name);
  vigie_free(db);
}

size_t vigie_portdb_size(const vigie_portdb *db) { return db != NULL ? db->n : 0; }

const char *vigie_portdb_name(const vigie_portdb *db, uint16_t port) {
  if (db == NULL || db->rank[port] == 0) return NULL;
  return db->e[db->rank[port] - 1].name;
}

/* A name must start with a letter so a port list can tell it from a number. */
static bool valid_name(const char *name) {
  size_t len = strlen(name);
  if (len == 0 || len > NAME_MAX_LEN || !is_lower(name[0])) return false;
  for (size_t i = 0; i < len; i++)
    if (!is_lower(name[i]) && !is_digit(name[i]) && name[i] != '-') return false;
  return true;
}

static vigie_status portdb_push(vigie_portdb *db, unsigned port, const char *name, const char *path,
                                unsigned long line, vigie_error *err) {
  if (db->rank[port] != 0) {
    return vigie_fail(err, VIGIE_ESYNTAX, "%s:%lu: port %u is listed twice (first at line %lu)",
                      path, line, port, db->e[db->rank[port] - 1].line);
  }
  if (db->n == db->cap) {
    size_t cap = db->cap ? db->cap * 2 : 512;
    portdb_entry *e = vigie_realloc(db->e, cap * sizeof *e);
    if (e == NULL) return vigie_fail(err, VIGIE_ENOMEM, "%s: out of memory", path);
    db->e = e;
    db->cap = cap;
  }
  db->e[db->n].port = (uint16_t)port;
  db->e[db->n].line = line;
  memcpy(db->e[db->n].name, name, strlen(name) + 1);
  db->rank[port] = (uint16_t)++db->n;
  return VIGIE_OK;
}

/* One line: "port<TAB>name", blanks around, '#' to the end is a comment. */
static vigie_status portdb_line(vigie_portdb *db, char *line, const char *path, unsigned long ln,
                                vigie_error *err) {
  char *hash = strchr(line, '#'), *p = line, *name;
  unsigned long port = 0;
  size_t len;
  if (hash != NULL) *hash = '\0';
  len = strlen(line);
  while (len > 0 && strchr(" \t\r\n", line[len - 1]) != NULL) line[--len] = '\0';
  p += strspn(p, " \t");
  if (*p == '\0') return VIGIE_OK;
  name = p + strspn(p, "0123456789");
  if (name == p || (*name != '\t' && *name != ' ') || name - p > 5) {
    return vigie_fail(err, VIGIE_ESYNTAX, "%s:%lu: \"%s\": expected \"port<TAB>name\"", path, ln,
                      p);
  }
  for (const char *d = p; d < name; d++) port = port * 10 + (unsigned long)(*d - '0');
  *name++ = '\0';
  name += strspn(name, " \t");
  if (port == 0 || port > PORT_MAX)
    return vigie_fail(err, VIGIE_ERANGE, "%s:%lu: port \"%s\" is out of range (1-65535)", path, ln,
                      p);
  if (!valid_name(name)) {
    return vigie_fail(err, VIGIE_ESYNTAX,
                      "%s:%lu: service name \"%s\": use 1-%d lowercase letters, digits and "
                      "hyphens, starting with a letter",
                      path, ln, name, NAME_MAX_LEN);
  }
  return portdb_push(db, (unsigned)port, name, path, ln, err);
}

static vigie_status portdb_read(vigie_portdb *db, FILE *f, const char *path, vigie_error *err) {
  char line[LINE_MAX_LEN + 2];
  unsigned long ln = 0;
  vigie_status status = VIGIE_OK;
  while (status == VIGIE_OK && fgets(line, sizeof line, f) != NULL) {
    size_t len = strlen(line);
    ln++;
    if (len == sizeof line - 1 && line[len - 1] != '\n')
      return vigie_fail(err, VIGIE_ESYNTAX, "%s:%lu: line longer than %d characters", path, ln,
                        LINE_MAX_LEN);
    status = portdb_line(db, line, path, ln, err);
  }
  if (status == VIGIE_OK && ferror(f))
    status = vigie_fail(err, VIGIE_EIO, "%s: read error: %s", path, strerror(errno));
  return status;
}

static int cmp_entry_name(const void *a, const void *b) {
  const portdb_entry *const *x = a, *const *y = b;
  int c = strcmp((*x)->name, (*y)->name);
  if (c != 0) return c;
  return (*x)->line < (*y)->line ? -1 : (*x)->line > (*y)->line;
}

/* Sort by name for lookups; a name listed twice would make lookups ambiguous. */
static vigie_status portdb_index(vigie_portdb *db, const char *path, vigie_error *err) {
  if (db->n == 0) return vigie_fail(err, VIGIE_ESYNTAX, "%s: no port listed", path);
  db->by_name = vigie_malloc(db->n * sizeof *db->by_name);
  if (db->by_name == NULL) return vigie_fail(err, VIGIE_ENOMEM, "%s: out of memory", path);
  for (size_t i = 0; i < db->n; i++) db->by_name[i] = &db->e[i];
  qsort(db->by_name, db->n, sizeof *db->by_name, cmp_entry_name);
  for (size_t i = 1; i < db->n; i++) {
    if (strcmp(db->by_name[i - 1]->name, db->by_name[i]->name) == 0) {
      return vigie_fail(err, VIGIE_ESYNTAX,
                        "%s:%lu: service name \"%s\" is listed twice (first at line %lu)", path,
                        db->by_name[i]->line, db->by_name[i]->name, db->by_name[i - 1]->line);
    }
  }
  return VIGIE_OK;
}

vigie_status vigie_portdb_load(const char *path, vigie_portdb **out, vigie_error *err) {
  vigie_portdb *db = NULL;
  FILE *f = NULL;
  vigie_status status;
  if (path == NULL || out == NULL)
    return vigie_fail(err, VIGIE_EINVAL, "vigie_portdb_load: NULL argument");
  *out = NULL;
  db = vigie_calloc(1, sizeof *db);
  if (db != NULL) db->rank = vigie_calloc(PORT_MAX + 1, sizeof *db->rank);
  if (db == NULL || db->rank == NULL) {
    status = vigie_fail(err, VIGIE_ENOMEM, "%s: out of memory", path);
    goto done;
  }
  f = fopen(path, "r");
  if (f == NULL) {
    status = vigie_fail(err, errno == ENOENT ? VIGIE_ENOENT : VIGIE_EIO, "%s: cannot open: %s",
                        path, strerror(errno));
    goto done;
  }
  status = portdb_read(db, f, path, err);
  if (status == VIGIE_OK) status = portdb_index(db, path, err);
done:
  if (f != NULL) fclose(f);
  if (status == VIGIE_OK)
    *out = db;
  else
    vigie_portdb_free(db);
  return status;
}
