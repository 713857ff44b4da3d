/* vigie core — target sets: parsing, exclusions, merged ranges, indexing.
 *
 * A set never expands addresses: it stores inclusive ranges, so 0.0.0.0/0 or
 * a /64 costs one range. Both families share one internal range type
 * (vigie_range6, IPv4 values in its low 32 bits) so that sorting, merging and
 * subtracting are written once. finalize() turns the added ranges minus the
 * exclusions into sorted, disjoint, non-adjacent ranges plus a table of
 * cumulative counts, over which vigie_targets_at() does a binary search.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "vigie/core.h"

enum { FAM4 = 0, FAM6 = 1, FAM_NAME = 2 };

#define U128_MAX (~(vigie_u128)0)
/* Longest token read from a file: a host name is at most 254 characters and
 * the longest IPv6 range about 91, so anything longer is a mistake. */
#define TOKEN_MAX 512
/* How much of a bad token a message quotes: enough for any valid name. */
#define QUOTE_MAX 300

/* A growable array of ranges of one family. */
typedef struct span_vec {
  vigie_range6 *v;
  size_t n, cap;
  bool merged; /* sorted, disjoint, non-adjacent: binary search allowed */
} span_vec;

struct vigie_targets {
  span_vec add[2], excl[2]; /* as given, indexed by FAM4/FAM6 */
  vigie_range4 *out4;       /* finalized IPv4 ranges */
  vigie_range6 *out6;       /* finalized IPv6 ranges */
  size_t n4, n6;
  vigie_u128 *cum; /* cum[i]: addresses in out4 then out6 up to range i */
  uint64_t count4;
  vigie_u128 count6;
  char **names; /* host names in the order given, no duplicates */
  size_t n_names, cap_names;
  size_t *slots;  /* hash set over names: index + 1, 0 when empty */
  size_t n_slots; /* a power of two, at least twice n_names */
  bool exclude_reserved;
};

/* What a token turned out to be. */
typedef struct parsed {
  int fam;        /* FAM4, FAM6 or FAM_NAME */
  vigie_range6 r; /* the addresses, when not a name */
} parsed;

/* Who is parsing what, so every message names the token. */
typedef struct tokctx {
  const char *kind; /* "target" or "exclusion" */
  const char *token;
  vigie_error *err;
} tokctx;

/* ---------------------------------------------------------------- reserved */

#define V4(a, b, c, d) (((vigie_u128)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))
#define R4(a, b, c, d, len) \
  { V4(a, b, c, d), V4(a, b, c, d) | ((((vigie_u128)1) << (32 - (len))) - 1) }
#define R6(top32, len) \
  { (vigie_u128)(top32) << 96, ((vigie_u128)(top32) << 96) | (U128_MAX >> (len)) }

/* Addresses no scan should reach. Loopback, RFC 1918, ULA and the benchmark
 * block 198.18.0.0/15 stay scannable: they are real internal and lab targets. */
static const vigie_range6 reserved4[] = {
    R4(0, 0, 0, 0, 8),       /* "this network" */
    R4(192, 0, 2, 0, 24),    /* TEST-NET-1 */
    R4(198, 51, 100, 0, 24), /* TEST-NET-2 */
    R4(203, 0, 113, 0, 24),  /* TEST-NET-3 */
    R4(224, 0, 0, 0, 4),     /* multicast */
    R4(240, 0, 0, 0, 4),     /* reserved, and 255.255.255.255 broadcast */
};

static const vigie_range6 reserved6[] = {
    {0, 0},                                                               /* ::/128 unspecified */
    {(vigie_u128)0xffff << 32, ((vigie_u128)0xffff << 32) | 0xffffffffu}, /* v4-mapped */
    R6(0x20010db8u, 32),                                                  /* documentation */
    R6(0xff000000u, 8),                                                   /* multicast */
};

/* ---------------------------------------------------------------- messages */

/* Copy a token for a message: printable ASCII only, so a binary file cannot
 * send escape sequences to the terminal, and cut when absurdly long. */
static void quote_token(char *out, size_t cap, const char *tok) {
  size_t n = 0;
  for (; tok[n] != '\0' && n + 4 < cap && n < QUOTE_MAX; n++) {
    unsigned char ch = (unsigned char)tok[n];
    out[n] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
  }
  out[n] = '\0';
  if (tok[n] != '\0') memcpy(out + n, "...", 4);
}

static vigie_status tok_fail(const tokctx *c, vigie_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static vigie_status tok_fail(const tokctx *c, vigie_status status, const char *fmt, ...) {
  char detail[VIGIE_ERROR_MAX];
  char quoted[QUOTE_MAX + 8];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  quote_token(quoted, sizeof quoted, c->token);
  return vigie_fail(c->err, status, "%s \"%s\": %s", c->kind, quoted, detail);
}

/* Describe a character for a message: 'x', or its code when unprintable. */
static const char *char_desc(char ch, char buf[8]) {
  unsigned char u = (unsigned char)ch;
  if (u >= 0x20 && u < 0x7f)
    snprintf(buf, 8, "'%c'", ch);
  else
    snprintf(buf, 8, "0x%02x", u);
  return buf;
}

/* ---------------------------------------------------------- range vectors */

static vigie_status vec_reserve(span_vec *vec, size_t extra) {
  if (vec->cap - vec->n >= extra) return VIGIE_OK;
  size_t cap = vec->cap ? vec->cap : 16;
  while (cap - vec->n < extra) {
    if (cap > SIZE_MAX / 2 / sizeof *vec->v) return VIGIE_ENOMEM;
    cap *= 2;
  }
  vigie_range6 *v = vigie_realloc(vec->v, cap * sizeof *v);
  if (v == NULL) return VIGIE_ENOMEM;
  vec->v = v;
  vec->cap = cap;
  return VIGIE_OK;
}

static vigie_status vec_push(span_vec *vec, vigie_u128 first, vigie_u128 last) {
  vigie_status status = vec_reserve(vec, 1);
  if (status != VIGIE_OK) return status;
  vec->v[vec->n].first = first;
  vec->v[vec->n].last = last;
  vec->n++;
  vec->merged = false;
  return VIGIE_OK;
}

static void vec_free(span_vec *vec) {
  vigie_free(vec->v);
  memset(vec, 0, sizeof *vec);
}

static int cmp_first(const void *a, const void *b) {
  const vigie_range6 *x = a, *y = b;
  if (x->first != y->first) return x->first < y->first ? -1 : 1;
  return 0;
}

/* Sort, then fold every range that overlaps or touches the previous one. */
static void vec_merge(span_vec *vec) {
  size_t w = 0;
  if (vec->merged) return;
  if (vec->n > 1) qsort(vec->v, vec->n, sizeof *vec->v, cmp_first);
  for (size_t i = 0; i < vec->n; i++) {
    vigie_range6 *prev = w ? &vec->v[w - 1] : NULL;
    if (prev && (prev->last == U128_MAX || vec->v[i].first <= prev->last + 1)) {
      if (vec->v[i].last > prev->last) prev->last = vec->v[i].last;
    } else {
      vec->v[w++] = vec->v[i];
    }
  }
  vec->n = w;
  vec->merged = true;
}

/* Whether x lies in one of n ranges; binary search when they are merged. */
static bool ranges_contain(const vigie_range6 *v, size_t n, bool merged, vigie_u128 x) {
  if (!merged) {
    for (size_t i = 0; i < n; i++)
      if (v[i].first <= x && x <= v[i].last) return true;
    return false;
  }
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (v[mid].last < x)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && v[lo].first <= x;
}

/* out = a minus b; both merged, so one forward walk suffices. */
static vigie_status vec_subtract(const span_vec *a, const span_vec *b, span_vec *out) {
  vigie_status status = vec_reserve(out, a->n + b->n);
  size_t j = 0;
  for (size_t i = 0; status == VIGIE_OK && i < a->n; i++) {
    vigie_u128 cur = a->v[i].first, last = a->v[i].last;
    bool covered = false;
    while (j < b->n && b->v[j].last < cur) j++;
    for (size_t k = j; k < b->n && b->v[k].first <= last; k++) {
      if (b->v[k].first > cur) status = vec_push(out, cur, b->v[k].first - 1);
      if (b->v[k].last >= last) {
        covered = true;
        break;
      }
      cur = b->v[k].last + 1;
    }
    if (!covered && status == VIGIE_OK) status = vec_push(out, cur, last);
  }
  out->merged = true;
  return status;
}

/* ------------------------------------------------------------ addresses */

enum dec_result { DEC_OK, DEC_EMPTY, DEC_CHAR, DEC_ZERO, DEC_RANGE };

/* A plain decimal number: digits only, no sign, and no leading zero, because
 * inet_aton and nmap read "010" as octal 8 and we will not guess. */
static enum dec_result parse_dec(const char *s, size_t len, unsigned max, unsigned *out) {
  unsigned value = 0;
  if (len == 0) return DEC_EMPTY;
  for (size_t i = 0; i < len; i++)
    if (s[i] < '0' || s[i] > '9') return DEC_CHAR;
  if (len > 1 && s[0] == '0') return DEC_ZERO;
  if (len > 3) return DEC_RANGE;
  for (size_t i = 0; i < len; i++) value = value * 10 + (unsigned)(s[i] - '0');
  if (value > max) return DEC_RANGE;
  *out = value;
  return DEC_OK;
}

static vigie_status parse_octet(const tokctx *c, const char *s, size_t len, unsigned *out) {
  char buf[8];
  switch (parse_dec(s, len, 255, out)) {
    case DEC_OK: return VIGIE_OK;
    case DEC_EMPTY: return tok_fail(c, VIGIE_ESYNTAX, "an IPv4 address has an empty octet");
    case DEC_CHAR:
      return tok_fail(c, VIGIE_ESYNTAX, "unexpected character %s in an IPv4 address",
                      char_desc(s[strspn(s, "0123456789")], buf));
    case DEC_ZERO:
      return tok_fail(c, VIGIE_ESYNTAX,
                      "octet \"%.*s\" has a leading zero (octal or decimal is ambiguous)", (int)len,
                      s);
    case DEC_RANGE:
      return tok_fail(c, VIGIE_ERANGE, "octet \"%.*s\" is out of range (0-255)",
                      (len > 10 ? 10 : (int)len), s);
  }
  return VIGIE_EINVAL;
}

/* Exactly four dotted decimal octets, nothing else. */
static vigie_status parse_v4(const tokctx *c, const char *s, size_t len, uint32_t *out) {
  uint32_t addr = 0;
  size_t start = 0, parts = 0;
  if (len == 0) return tok_fail(c, VIGIE_ESYNTAX, "an IPv4 address is missing");
  for (size_t i = 0; i <= len; i++) {
    if (i < len && s[i] != '.') continue;
    unsigned octet = 0;
    if (++parts > 4) break;
    vigie_status status = parse_octet(c, s + start, i - start, &octet);
    if (status != VIGIE_OK) return status;
    addr = (addr << 8) | octet;
    start = i + 1;
  }
  if (parts > 4)
    return tok_fail(c, VIGIE_ESYNTAX, "an IPv4 address has 4 octets, \"%.*s\" has more", (int)len,
                    s);
  if (parts < 4)
    return tok_fail(c, VIGIE_ESYNTAX, "an IPv4 address has 4 octets, \"%.*s\" has %zu", (int)len, s,
                    parts);
  *out = addr;
  return VIGIE_OK;
}

/* Whether s[0..len) is a well-formed IPv4 address, without reporting. */
static bool looks_v4(const char *s, size_t len) {
  tokctx quiet = {"", "", NULL};
  uint32_t ignored;
  return parse_v4(&quiet, s, len, &ignored) == VIGIE_OK;
}

/* Our own check first, for a clear message; then inet_pton does the rest. */
static vigie_status parse_v6(const tokctx *c, const char *s, size_t len, vigie_u128 *out) {
  char text[INET6_ADDRSTRLEN], buf[8];
  unsigned char bytes[16];
  if (len == 0) return tok_fail(c, VIGIE_ESYNTAX, "an IPv6 address is missing");
  for (size_t i = 0; i < len; i++) {
    char ch = s[i];
    if (ch != '\0' && strchr("0123456789abcdefABCDEF:.", ch) != NULL) continue;
    if (ch == '%') return tok_fail(c, VIGIE_ESYNTAX, "zone indexes (%%...) are not supported");
    if (ch == '[' || ch == ']')
      return tok_fail(c, VIGIE_ESYNTAX, "write IPv6 addresses without brackets");
    return tok_fail(c, VIGIE_ESYNTAX, "unexpected character %s in an IPv6 address",
                    char_desc(ch, buf));
  }
  if (len >= sizeof text) return tok_fail(c, VIGIE_ESYNTAX, "too long for an IPv6 address");
  memcpy(text, s, len);
  text[len] = '\0';
  if (inet_pton(AF_INET6, text, bytes) != 1)
    return tok_fail(c, VIGIE_ESYNTAX, "\"%s\" is not a valid IPv6 address", text);
  *out = 0;
  for (int i = 0; i < 16; i++) *out = (*out << 8) | bytes[i];
  return VIGIE_OK;
}

static vigie_status parse_prefix(const tokctx *c, const char *s, unsigned max, unsigned *out) {
  size_t len = strlen(s);
  switch (parse_dec(s, len, max, out)) {
    case DEC_OK: return VIGIE_OK;
    case DEC_EMPTY: return tok_fail(c, VIGIE_ESYNTAX, "the prefix length after '/' is missing");
    case DEC_CHAR:
      return tok_fail(c, VIGIE_ESYNTAX, "prefix length \"%.*s\" must be a plain decimal number",
                      (len > 10 ? 10 : (int)len), s);
    case DEC_ZERO:
      return tok_fail(c, VIGIE_ESYNTAX, "prefix length \"%.10s\" has a leading zero", s);
    case DEC_RANGE:
      return tok_fail(c, VIGIE_ERANGE, "prefix length %.10s is out of range (0-%u)", s, max);
  }
  return VIGIE_EINVAL;
}

/* The block of `bits`-bit addresses holding addr, host bits ignored. */
static vigie_range6 cidr_block(vigie_u128 addr, unsigned prefix, unsigned bits) {
  vigie_u128 all = bits == 128 ? U128_MAX : (((vigie_u128)1 << bits) - 1);
  vigie_u128 host = prefix >= bits ? 0 : all >> prefix; /* never shift by 128 */
  vigie_range6 r = {addr & ~host & all, (addr & all) | host};
  return r;
}

static vigie_status check_order(const tokctx *c, vigie_range6 r) {
  if (r.first <= r.last) return VIGIE_OK;
  return tok_fail(c, VIGIE_ERANGE, "the range starts after its end");
}

/* ------------------------------------------------------------- tokens */

static vigie_status parse_v4_token(const tokctx *c, parsed *out) {
  const char *tok = c->token, *slash = strchr(tok, '/'), *dash = strchr(tok, '-');
  uint32_t a = 0, b = 0;
  unsigned n = 0;
  vigie_status status;
  out->fam = FAM4;
  if (slash != NULL) {
    status = parse_v4(c, tok, (size_t)(slash - tok), &a);
    if (status == VIGIE_OK) status = parse_prefix(c, slash + 1, 32, &n);
    if (status == VIGIE_OK) out->r = cidr_block(a, n, 32);
    return status;
  }
  if (dash == NULL) {
    status = parse_v4(c, tok, strlen(tok), &a);
    out->r.first = out->r.last = a;
    return status;
  }
  status = parse_v4(c, tok, (size_t)(dash - tok), &a);
  if (status != VIGIE_OK) return status;
  if (dash[1] == '\0') return tok_fail(c, VIGIE_ESYNTAX, "the range has no end after '-'");
  if (strchr(dash + 1, '.') != NULL) {
    status = parse_v4(c, dash + 1, strlen(dash + 1), &b);
  } else {
    status = parse_octet(c, dash + 1, strlen(dash + 1), &n);
    b = (a & 0xffffff00u) | n;
  }
  out->r.first = a;
  out->r.last = b;
  return status == VIGIE_OK ? check_order(c, out->r) : status;
}

/* An IPv6 range needs two whole addresses, and a range never mixes families. */
static vigie_status parse_v6_range(const tokctx *c, const char *dash, parsed *out) {
  const char *tok = c->token, *end = dash + 1;
  size_t left = (size_t)(dash - tok);
  vigie_status status;
  if (looks_v4(tok, left) || looks_v4(end, strlen(end)))
    return tok_fail(c, VIGIE_ESYNTAX, "a range cannot mix IPv4 and IPv6 addresses");
  if (strchr(end, ':') == NULL && *end != '\0') {
    return tok_fail(c, VIGIE_ESYNTAX,
                    "range end \"%s\" is not an IPv6 address (IPv6 ranges need two full addresses)",
                    end);
  }
  if (*end == '\0') return tok_fail(c, VIGIE_ESYNTAX, "the range has no end after '-'");
  status = parse_v6(c, tok, left, &out->r.first);
  if (status == VIGIE_OK) status = parse_v6(c, end, strlen(end), &out->r.last);
  return status == VIGIE_OK ? check_order(c, out->r) : status;
}

static vigie_status parse_v6_token(const tokctx *c, parsed *out) {
  const char *tok = c->token, *slash = strchr(tok, '/'), *dash = strchr(tok, '-');
  vigie_u128 a = 0;
  unsigned n = 0;
  vigie_status status;
  out->fam = FAM6;
  if (dash != NULL && slash == NULL) return parse_v6_range(c, dash, out);
  if (slash == NULL) {
    status = parse_v6(c, tok, strlen(tok), &a);
    out->r.first = out->r.last = a;
    return status;
  }
  status = parse_v6(c, tok, (size_t)(slash - tok), &a);
  if (status == VIGIE_OK) status = parse_prefix(c, slash + 1, 128, &n);
  if (status == VIGIE_OK) out->r = cidr_block(a, n, 128);
  return status;
}

static bool is_alpha(char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); }

static bool is_alnum(char ch) { return is_alpha(ch) || (ch >= '0' && ch <= '9'); }

/* RFC 1123 host name: dot-separated labels of 1-63 letters, digits and
 * hyphens, no hyphen at either end of a label, 253 characters at most, an
 * optional final dot. */
static vigie_status check_name(const tokctx *c) {
  const char *name = c->token;
  size_t len = strlen(name), label = 0;
  char buf[8];
  if (len > 0 && name[len - 1] == '.') len--;
  if (len > 253) return tok_fail(c, VIGIE_ESYNTAX, "a host name is at most 253 characters");
  for (size_t i = 0; i <= len; i++) {
    char ch = i < len ? name[i] : '.';
    if (ch == '.') {
      if (label == 0) return tok_fail(c, VIGIE_ESYNTAX, "a host name cannot have an empty label");
      if (label > 63) return tok_fail(c, VIGIE_ESYNTAX, "a label is longer than 63 characters");
      if (name[i - 1] == '-' || name[i - label] == '-')
        return tok_fail(c, VIGIE_ESYNTAX, "a label cannot start or end with a hyphen");
      /* RFC 3696 2: a top-level domain is never all-numeric. */
      if (i == len && strspn(name + i - label, "0123456789") == label)
        return tok_fail(c, VIGIE_ESYNTAX, "the last label of a host name cannot be all digits");
      label = 0;
    } else if (is_alnum(ch) || ch == '-') {
      label++;
    } else {
      return tok_fail(c, VIGIE_ESYNTAX,
                      "%s is not allowed in a host name (letters, digits, hyphens, dots)",
                      char_desc(ch, buf));
    }
  }
  return VIGIE_OK;
}

/* Which grammar applies: ':' only in IPv6, '/' only in CIDR, a letter only
 * in a name (so "1.2.3" is a bad address, not a name), else IPv4. */
static vigie_status parse_token(const tokctx *c, parsed *out) {
  const char *tok = c->token, *slash = strchr(tok, '/');
  bool alpha = false;
  memset(out, 0, sizeof *out);
  if (*tok == '\0') return tok_fail(c, VIGIE_ESYNTAX, "empty target");
  if (strchr(tok, ':') != NULL) return parse_v6_token(c, out);
  for (const char *p = tok; *p != '\0' && (slash == NULL || p < slash); p++)
    alpha = alpha || is_alpha(*p);
  if (slash != NULL && alpha)
    return tok_fail(c, VIGIE_ESYNTAX, "a CIDR block needs an address, not a host name");
  /* "198.18.0.1-198.18.0.x" is a broken range, not a host name. */
  const char *dash = strchr(tok, '-');
  if (slash == NULL && alpha && !(dash != NULL && looks_v4(tok, (size_t)(dash - tok)))) {
    out->fam = FAM_NAME;
    return check_name(c);
  }
  return parse_v4_token(c, out);
}

/* ---------------------------------------------------------------- names */

static size_t name_hash(const char *s) {
  uint64_t h = 0xcbf29ce484222325u; /* FNV-1a, case-folded */
  for (; *s != '\0'; s++) {
    char ch = (*s >= 'A' && *s <= 'Z') ? (char)(*s - 'A' + 'a') : *s;
    h = (h ^ (unsigned char)ch) * 0x100000001b3u;
  }
  return (size_t)h;
}

/* Slot holding name, or the empty slot where it would go. */
static size_t name_slot(const vigie_targets *t, const char *name) {
  size_t mask = t->n_slots - 1, i = name_hash(name) & mask;
  while (t->slots[i] != 0 && strcasecmp(t->names[t->slots[i] - 1], name) != 0) i = (i + 1) & mask;
  return i;
}

/* Keep the table at most half full so probes stay short. */
static vigie_status names_grow(vigie_targets *t) {
  size_t n = t->n_slots ? t->n_slots * 2 : 64;
  if ((t->n_names + 1) * 2 <= t->n_slots) return VIGIE_OK;
  if (n > SIZE_MAX / sizeof *t->slots) return VIGIE_ENOMEM;
  size_t *slots = vigie_calloc(n, sizeof *slots);
  if (slots == NULL) return VIGIE_ENOMEM;
  vigie_free(t->slots);
  t->slots = slots;
  t->n_slots = n;
  for (size_t i = 0; i < t->n_names; i++) t->slots[name_slot(t, t->names[i])] = i + 1;
  return VIGIE_OK;
}

static vigie_status names_add(vigie_targets *t, const char *name) {
  vigie_status status = names_grow(t);
  size_t slot;
  if (status != VIGIE_OK) return status;
  slot = name_slot(t, name);
  if (t->slots[slot] != 0) return VIGIE_OK; /* already there, first spelling kept */
  if (t->n_names == t->cap_names) {
    size_t cap = t->cap_names ? t->cap_names * 2 : 16;
    char **names = vigie_realloc(t->names, cap * sizeof *names);
    if (names == NULL) return VIGIE_ENOMEM;
    t->names = names;
    t->cap_names = cap;
  }
  t->names[t->n_names] = vigie_strdup(name);
  if (t->names[t->n_names] == NULL) return VIGIE_ENOMEM;
  t->slots[slot] = ++t->n_names;
  return VIGIE_OK;
}

/* ------------------------------------------------------------- the set */

vigie_targets *vigie_targets_new(void) {
  vigie_targets *t = vigie_calloc(1, sizeof *t);
  if (t != NULL) t->exclude_reserved = true;
  return t;
}

void vigie_targets_free(vigie_targets *t) {
  if (t == NULL) return;
  for (int fam = FAM4; fam <= FAM6; fam++) {
    vec_free(&t->add[fam]);
    vec_free(&t->excl[fam]);
  }
  for (size_t i = 0; i < t->n_names; i++) vigie_free(t->names[i]);
  vigie_free(t->names);
  vigie_free(t->slots);
  vigie_free(t->out4);
  vigie_free(t->out6);
  vigie_free(t->cum);
  vigie_free(t);
}

vigie_status vigie_targets_add(vigie_targets *t, const char *token, vigie_error *err) {
  tokctx c = {"target", token, err};
  parsed p;
  vigie_status status;
  if (t == NULL || token == NULL)
    return vigie_fail(err, VIGIE_EINVAL, "vigie_targets_add: NULL argument");
  status = parse_token(&c, &p);
  if (status != VIGIE_OK) return status;
  status = p.fam == FAM_NAME ? names_add(t, token) : vec_push(&t->add[p.fam], p.r.first, p.r.last);
  if (status != VIGIE_OK) return vigie_fail(err, status, "target \"%s\": out of memory", token);
  return VIGIE_OK;
}

vigie_status vigie_targets_exclude(vigie_targets *t, const char *token, vigie_error *err) {
  tokctx c = {"exclusion", token, err};
  parsed p;
  vigie_status status;
  if (t == NULL || token == NULL)
    return vigie_fail(err, VIGIE_EINVAL, "vigie_targets_exclude: NULL argument");
  status = parse_token(&c, &p);
  if (status != VIGIE_OK) return status;
  if (p.fam == FAM_NAME) {
    return tok_fail(&c, VIGIE_ESYNTAX,
                    "host names cannot be excluded (a name may resolve differently later); "
                    "exclude its addresses instead");
  }
  status = vec_push(&t->excl[p.fam], p.r.first, p.r.last);
  if (status != VIGIE_OK) return vigie_fail(err, status, "exclusion \"%s\": out of memory", token);
  return VIGIE_OK;
}

void vigie_targets_set_exclude_reserved(vigie_targets *t, bool exclude) {
  if (t != NULL) t->exclude_reserved = exclude;
}

/* ---------------------------------------------------------------- files */

typedef vigie_status (*token_fn)(vigie_targets *t, const char *token, vigie_error *err);

/* Reads tokens separated by whitespace or commas; '#' comments to the end of
 * the line. Streams, so a file of any size needs no more than one token. */
typedef struct token_reader {
  FILE *f;
  unsigned long line; /* line of the token just read */
  bool too_long, nul; /* the token was cut, or held a NUL byte */
  char buf[TOKEN_MAX + 1];
} token_reader;

static bool is_separator(int ch) {
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f' ||
         ch == ',';
}

/* \return 1 with a token in r->buf, 0 at the end of the file. */
static int next_token(token_reader *r) {
  int ch;
  size_t n = 0;
  for (;;) {
    ch = getc(r->f);
    if (ch == EOF) return 0;
    if (ch == '\n') r->line++;
    if (ch == '#') {
      while ((ch = getc(r->f)) != EOF && ch != '\n') continue;
      if (ch == EOF) return 0;
      r->line++;
    } else if (!is_separator(ch)) {
      break;
    }
  }
  r->too_long = r->nul = false;
  for (; ch != EOF && !is_separator(ch) && ch != '#'; ch = getc(r->f)) {
    if (ch == '\0') r->nul = true;
    if (n < TOKEN_MAX)
      r->buf[n++] = (char)ch;
    else
      r->too_long = true;
  }
  r->buf[n] = '\0';
  if (ch == '\n' || ch == '#') ungetc(ch, r->f); /* counted or skipped on the next call */
  return 1;
}

static vigie_status read_tokens(vigie_targets *t, token_reader *r, const char *name, token_fn fn,
                                vigie_error *err) {
  vigie_error inner;
  vigie_status status = VIGIE_OK;
  vigie_error_clear(&inner);
  while (status == VIGIE_OK && next_token(r) == 1) {
    if (r->nul)
      status = vigie_fail(err, VIGIE_ESYNTAX, "%s:%lu: a NUL byte in a token", name, r->line);
    else if (r->too_long)
      status = vigie_fail(err, VIGIE_ESYNTAX, "%s:%lu: token \"%.40s...\" is too long", name,
                          r->line, r->buf);
    else if ((status = fn(t, r->buf, &inner)) != VIGIE_OK)
      vigie_fail(err, status, "%s:%lu: %s", name, r->line, inner.msg);
  }
  if (status == VIGIE_OK && ferror(r->f))
    status = vigie_fail(err, VIGIE_EIO, "%s:%lu: read error: %s", name, r->line, strerror(errno));
  return status;
}

static vigie_status read_token_file(vigie_targets *t, const char *path, token_fn fn,
                                    vigie_error *err) {
  bool is_stdin = path != NULL && strcmp(path, "-") == 0;
  const char *name = is_stdin ? "stdin" : path;
  token_reader *r = NULL;
  vigie_status status;
  if (t == NULL || path == NULL) return vigie_fail(err, VIGIE_EINVAL, "target file: NULL argument");
  r = vigie_calloc(1, sizeof *r);
  if (r == NULL) return vigie_fail(err, VIGIE_ENOMEM, "%s: out of memory", name);
  r->line = 1;
  r->f = is_stdin ? stdin : fopen(path, "r");
  if (r->f == NULL) {
    status = vigie_fail(err, errno == ENOENT ? VIGIE_ENOENT : VIGIE_EIO, "%s: cannot open: %s",
                        path, strerror(errno));
    goto done;
  }
  status = read_tokens(t, r, name, fn, err);
done:
  if (r->f != NULL && !is_stdin) fclose(r->f);
  vigie_free(r);
  return status;
}

vigie_status vigie_targets_add_file(vigie_targets *t, const char *path, vigie_error *err) {
  return read_token_file(t, path, vigie_targets_add, err);
}

vigie_status vigie_targets_exclude_file(vigie_targets *t, const char *path, vigie_error *err) {
  return read_token_file(t, path, vigie_targets_exclude, err);
}

/* ------------------------------------------------------------- finalize */

/* One family's result: what was added, minus the user's exclusions and,
 * unless lifted, the reserved ranges. */
static vigie_status build_family(vigie_targets *t, int fam, span_vec *out) {
  const vigie_range6 *res = fam == FAM4 ? reserved4 : reserved6;
  size_t n_res = fam == FAM4 ? sizeof reserved4 / sizeof *res : sizeof reserved6 / sizeof *res;
  span_vec ex = {0};
  vigie_status status;
  vec_merge(&t->add[fam]);
  vec_merge(&t->excl[fam]);
  status = vec_reserve(&ex, t->excl[fam].n + n_res);
  if (status != VIGIE_OK) goto done;
  if (t->excl[fam].n > 0) memcpy(ex.v, t->excl[fam].v, t->excl[fam].n * sizeof *ex.v);
  ex.n = t->excl[fam].n;
  if (t->exclude_reserved) {
    memcpy(ex.v + ex.n, res, n_res * sizeof *res);
    ex.n += n_res;
  }
  vec_merge(&ex);
  status = vec_subtract(&t->add[fam], &ex, out);
done:
  vec_free(&ex);
  return status;
}

/* Cumulative counts over IPv4 then IPv6 ranges. Fails when the total reaches
 * 2^128, which neither a count nor an index can hold. */
static vigie_status build_index(const span_vec *v4, const span_vec *v6, vigie_u128 *cum,
                                vigie_u128 *total4, vigie_error *err) {
  vigie_u128 total = 0;
  for (size_t i = 0; i < v4->n; i++) {
    total += v4->v[i].last - v4->v[i].first + 1;
    cum[i] = total;
  }
  *total4 = total;
  for (size_t i = 0; i < v6->n; i++) {
    vigie_u128 size = v6->v[i].last - v6->v[i].first;
    if (size == U128_MAX || total > U128_MAX - (size + 1)) {
      return vigie_fail(err, VIGIE_ETOOBIG,
                        "the targets hold 2^128 addresses or more, more than can be counted; "
                        "exclude part of the IPv6 space");
    }
    total += size + 1;
    cum[v4->n + i] = total;
  }
  return VIGIE_OK;
}

/* Replace the finalized state with v4/v6 and their index, taking cum. */
static vigie_status install(vigie_targets *t, const span_vec *v4, const span_vec *v6,
                            vigie_u128 *cum, vigie_u128 total4) {
  vigie_range4 *out4 = vigie_malloc((v4->n ? v4->n : 1) * sizeof *out4);
  vigie_range6 *out6 = vigie_malloc((v6->n ? v6->n : 1) * sizeof *out6);
  if (out4 == NULL || out6 == NULL) {
    vigie_free(out4);
    vigie_free(out6);
    return VIGIE_ENOMEM;
  }
  for (size_t i = 0; i < v4->n; i++) {
    out4[i].first = (uint32_t)v4->v[i].first;
    out4[i].last = (uint32_t)v4->v[i].last;
  }
  if (v6->n > 0) memcpy(out6, v6->v, v6->n * sizeof *out6);
  vigie_free(t->out4);
  vigie_free(t->out6);
  vigie_free(t->cum);
  t->out4 = out4;
  t->out6 = out6;
  t->cum = cum;
  t->n4 = v4->n;
  t->n6 = v6->n;
  t->count4 = (uint64_t)total4;
  t->count6 = (v4->n + v6->n) ? cum[v4->n + v6->n - 1] - total4 : 0;
  return VIGIE_OK;
}

vigie_status vigie_targets_finalize(vigie_targets *t, vigie_error *err) {
  span_vec v4 = {0}, v6 = {0};
  vigie_u128 *cum = NULL, total4 = 0;
  vigie_status status;
  if (t == NULL) return vigie_fail(err, VIGIE_EINVAL, "vigie_targets_finalize: NULL argument");
  status = build_family(t, FAM4, &v4);
  if (status == VIGIE_OK) status = build_family(t, FAM6, &v6);
  if (status == VIGIE_OK) {
    cum = vigie_malloc((v4.n + v6.n + 1) * sizeof *cum);
    if (cum == NULL) status = VIGIE_ENOMEM;
  }
  if (status != VIGIE_OK) {
    vigie_fail(err, status, "targets: out of memory while merging ranges");
    goto done;
  }
  status = build_index(&v4, &v6, cum, &total4, err);
  if (status != VIGIE_OK) goto done;
  status = install(t, &v4, &v6, cum, total4);
  if (status != VIGIE_OK) {
    vigie_fail(err, status, "targets: out of memory while merging ranges");
    goto done;
  }
  cum = NULL; /* owned by t now */
done:
  vigie_free(cum);
  vec_free(&v4);
  vec_free(&v6);
  return status;
}

/* ------------------------------------------------------------- queries */

uint64_t vigie_targets_count4(const vigie_targets *t) { return t != NULL ? t->count4 : 0; }

vigie_u128 vigie_targets_count6(const vigie_targets *t) { return t != NULL ? t->count6 : 0; }

bool vigie_targets_at(const vigie_targets *t, vigie_u128 index, vigie_addr *out) {
  size_t n = t != NULL ? t->n4 + t->n6 : 0, lo = 0, hi = n;
  if (n == 0 || out == NULL || index >= t->cum[n - 1]) return false;
  while (lo < hi) { /* first range whose cumulative count exceeds index */
    size_t mid = lo + (hi - lo) / 2;
    if (t->cum[mid] <= index)
      lo = mid + 1;
    else
      hi = mid;
  }
  vigie_u128 offset = index - (lo > 0 ? t->cum[lo - 1] : 0);
  memset(out, 0, sizeof *out);
  if (lo < t->n4) {
    out->family = AF_INET;
    out->v4 = t->out4[lo].first + (uint32_t)offset;
  } else {
    out->family = AF_INET6;
    out->v6 = t->out6[lo - t->n4].first + offset;
  }
  return true;
}

const vigie_range4 *vigie_targets_ranges4(const vigie_targets *t, size_t *count) {
  if (count != NULL) *count = t != NULL ? t->n4 : 0;
  return t != NULL ? t->out4 : NULL;
}

const vigie_range6 *vigie_targets_ranges6(const vigie_targets *t, size_t *count) {
  if (count != NULL) *count = t != NULL ? t->n6 : 0;
  return t != NULL ? t->out6 : NULL;
}

const char *const *vigie_targets_names(const vigie_targets *t, size_t *count) {
  if (count != NULL) *count = t != NULL ? t->n_names : 0;
  return t != NULL ? (const char *const *)t->names : NULL;
}

/* Whether x lies in one of n sorted, disjoint IPv4 ranges (binary search;
 * the IPv6 ones go through ranges_contain). */
static bool ranges4_contain(const vigie_range4 *v, size_t n, uint32_t x) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (v[mid].last < x)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && v[lo].first <= x;
}

bool vigie_targets_contains(const vigie_targets *t, const vigie_addr *addr) {
  if (addr->family == AF_INET) return ranges4_contain(t->out4, t->n4, addr->v4);
  if (addr->family == AF_INET6) return ranges_contain(t->out6, t->n6, true, addr->v6);
  return false;
}

bool vigie_targets_is_excluded(const vigie_targets *t, const vigie_addr *addr) {
  int fam;
  vigie_u128 x;
  if (t == NULL || addr == NULL) return false;
  if (addr->family == AF_INET) {
    fam = FAM4;
    x = addr->v4;
  } else if (addr->family == AF_INET6) {
    fam = FAM6;
    x = addr->v6;
  } else {
    return false;
  }
  if (t->exclude_reserved) {
    const vigie_range6 *res = fam == FAM4 ? reserved4 : reserved6;
    size_t n = fam == FAM4 ? sizeof reserved4 / sizeof *res : sizeof reserved6 / sizeof *res;
    if (ranges_contain(res, n, false, x)) return true;
  }
  return ranges_contain(t->excl[fam].v, t->excl[fam].n, t->excl[fam].merged, x);
}

char *vigie_addr_format(const vigie_addr *addr, char *buf, size_t len) {
  unsigned char bytes[16];
  const char *ok = NULL;
  if (buf == NULL || len == 0) return buf;
  if (addr != NULL && addr->family == AF_INET) {
    struct in_addr a = {htonl(addr->v4)};
    ok = inet_ntop(AF_INET, &a, buf, (socklen_t)(len > 64 ? 64 : len));
  } else if (addr != NULL && addr->family == AF_INET6) {
    for (int i = 0; i < 16; i++) bytes[i] = (unsigned char)(addr->v6 >> (8 * (15 - i)));
    ok = inet_ntop(AF_INET6, bytes, buf, (socklen_t)(len > 64 ? 64 : len));
  }
  if (ok == NULL) buf[0] = '\0';
  return buf;
}
