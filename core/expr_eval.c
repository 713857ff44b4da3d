/* The predicate evaluator: one parsed predicate over one entry, with the
 * LDAP semantics of doc/rules-language.md (a comparison holds if any value
 * satisfies it, an absent attribute makes comparisons false, numbers compare
 * as numbers only when both sides are integers). Recursion follows the AST,
 * whose depth the parser bounds. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/expr_int.h"
#include "vigie/core.h"

typedef enum ev_kind { EV_ABSENT, EV_BOOL, EV_NUM, EV_STR, EV_ATTR } ev_kind;

/* A value during evaluation: a literal, a function result, or the values of
 * an attribute (borrowed from the entry). */
typedef struct ev_val {
  ev_kind kind;
  int64_t num;              /* EV_NUM; EV_BOOL 0/1 */
  const char *str;          /* EV_STR */
  size_t len;
  const vigie_expr_value *vals;  /* EV_ATTR */
  size_t nvals;
  size_t name;              /* EV_ATTR: the name index, for messages */
} ev_val;

/* One candidate of a comparison: its bytes and, when it is an integer, its
 * number. */
typedef struct ev_item {
  const char *s;
  size_t len;
  bool is_int;
  int64_t n;
  char buf[24];
} ev_item;

typedef struct ev_ctx {
  const vigie_expr *expr;
  vigie_expr_lookup_fn lookup;
  void *lookup_ctx;
  time_t now;
  bool *read;
  vigie_error *err;
} ev_ctx;

static vigie_status ev_value(ev_ctx *c, const vigie_expr_node *n, ev_val *out);
static vigie_status ev_cond(ev_ctx *c, const vigie_expr_node *n, bool *out);

/* ------------------------------------------------------------ helpers */

/* A strict decimal integer: optional sign, digits, nothing else. */
static bool ev_parse_int(const char *s, size_t len, int64_t *out) {
  size_t i = 0;
  bool neg = false;
  if (len > 0 && (s[0] == '-' || s[0] == '+')) neg = s[0] == '-', i = 1;
  if (i == len) return false;
  uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (; i < len; i++) {
    if (!isdigit((unsigned char)s[i])) return false;
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (limit - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return true;
}

/* A value quoted for a message: printable ASCII kept, the rest '?', cut. */
static const char *ev_quote(const char *s, size_t len, char *buf, size_t size) {
  size_t n = 0;
  for (size_t i = 0; i < len && n + 4 < size; i++)
    buf[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
  if (n < len && n + 4 <= size) buf[n++] = '.', buf[n++] = '.', buf[n++] = '.';
  buf[n] = '\0';
  return buf;
}

static vigie_status ev_bad_value(ev_ctx *c, size_t name, const char *s, size_t len,
                                 const char *what) {
  char q[64];
  return vigie_fail(c->err, VIGIE_ESYNTAX, "%s value \"%s\" is not %s", c->expr->names[name],
                    ev_quote(s, len, q, sizeof q), what);
}

static bool ev_str_truthy(const char *s, size_t len) {
  return !vigie_expr_ieq(s, len, "FALSE", 5) && !(len == 1 && s[0] == '0');
}

static bool ev_truthy(const ev_val *v) {
  switch (v->kind) {
  case EV_ABSENT: return false;
  case EV_BOOL:
  case EV_NUM: return v->num != 0;
  case EV_STR: return ev_str_truthy(v->str, v->len);
  case EV_ATTR:
    for (size_t i = 0; i < v->nvals; i++)
      if (ev_str_truthy(v->vals[i].data, v->vals[i].len)) return true;
    return false;
  }
  return false;
}

static size_t ev_count(const ev_val *v) {
  if (v->kind == EV_ABSENT) return 0;
  return v->kind == EV_ATTR ? v->nvals : 1;
}

static void ev_item_at(const ev_val *v, size_t i, ev_item *it) {
  it->is_int = false;
  switch (v->kind) {
  case EV_ABSENT: it->s = "", it->len = 0; return;
  case EV_BOOL: it->s = v->num ? "TRUE" : "FALSE", it->len = strlen(it->s); return;
  case EV_NUM:
    it->len = (size_t)snprintf(it->buf, sizeof it->buf, "%" PRId64, v->num);
    it->s = it->buf, it->is_int = true, it->n = v->num;
    return;
  case EV_STR: it->s = v->str, it->len = v->len; break;
  case EV_ATTR: it->s = v->vals[i].data, it->len = v->vals[i].len; break;
  }
  it->is_int = ev_parse_int(it->s, it->len, &it->n);
}

/* ASCII case-insensitive byte order. */
static int ev_icmp(const char *a, size_t alen, const char *b, size_t blen) {
  size_t n = alen < blen ? alen : blen;
  for (size_t i = 0; i < n; i++) {
    int x = tolower((unsigned char)a[i]), y = tolower((unsigned char)b[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  return alen == blen ? 0 : (alen < blen ? -1 : 1);
}

static int ev_item_cmp(const ev_item *a, const ev_item *b) {
  if (a->is_int && b->is_int) return a->n == b->n ? 0 : (a->n < b->n ? -1 : 1);
  return ev_icmp(a->s, a->len, b->s, b->len);
}

/* ------------------------------------------------------------ comparison */

static bool ev_op_holds(vigie_expr_op op, int r) {
  switch (op) {
  case VIGIE_EXPR_EQ: return r == 0;
  case VIGIE_EXPR_NE: return r != 0;
  case VIGIE_EXPR_LT: return r < 0;
  case VIGIE_EXPR_LE: return r <= 0;
  case VIGIE_EXPR_GT: return r > 0;
  case VIGIE_EXPR_GE: return r >= 0;
  }
  return false;
}

/* Any pair of candidates satisfies op; "!=" holds when both sides are
 * present and no pair is equal (so it is the negation of "=" on present
 * values, and false on an absent one like every comparison). */
static vigie_status ev_compare(ev_ctx *c, const vigie_expr_node *n, bool *out) {
  ev_val l, r;
  vigie_status status = ev_value(c, n->kids[0], &l);
  if (status == VIGIE_OK) status = ev_value(c, n->kids[1], &r);
  if (status != VIGIE_OK) return status;
  size_t nl = ev_count(&l), nr = ev_count(&r);
  bool any_equal = false;
  *out = false;
  for (size_t i = 0; i < nl && !*out; i++) {
    ev_item a, b;
    ev_item_at(&l, i, &a);
    for (size_t j = 0; j < nr && !*out; j++) {
      ev_item_at(&r, j, &b);
      int cmp = ev_item_cmp(&a, &b);
      if (n->op == VIGIE_EXPR_NE) any_equal |= cmp == 0;
      else *out = ev_op_holds(n->op, cmp);
    }
  }
  if (n->op == VIGIE_EXPR_NE) *out = nl > 0 && nr > 0 && !any_equal;
  return VIGIE_OK;
}

/* ------------------------------------------------------------ bitwise AND */

/* The integer of the first value of v; *present false when v is absent. */
static vigie_status ev_first_int(ev_ctx *c, const ev_val *v, bool *present, int64_t *out) {
  *present = ev_count(v) > 0;
  if (!*present) return VIGIE_OK;
  ev_item it;
  ev_item_at(v, 0, &it);
  if (it.is_int) {
    *out = it.n;
    return VIGIE_OK;
  }
  if (v->kind == EV_ATTR) return ev_bad_value(c, v->name, it.s, it.len, "an integer for '&'");
  return vigie_fail(c->err, VIGIE_ESYNTAX, "\"%.*s\" is not an integer for '&'", (int)it.len, it.s);
}

/* The AND of the first values of kids[from..]; *present false if one is absent. */
static vigie_status ev_mask(ev_ctx *c, const vigie_expr_node *n, size_t from, bool *present,
                            int64_t *mask) {
  *mask = -1;
  *present = true;
  for (size_t k = from; k < n->nkids && *present; k++) {
    ev_val v;
    int64_t x = 0;
    vigie_status status = ev_value(c, n->kids[k], &v);
    if (status == VIGIE_OK) status = ev_first_int(c, &v, present, &x);
    if (status != VIGIE_OK) return status;
    *mask &= x;
  }
  return VIGIE_OK;
}

/* As a condition: any value of the first operand has a bit of the mask. */
static vigie_status ev_bitand_cond(ev_ctx *c, const vigie_expr_node *n, bool *out) {
  ev_val left;
  bool present;
  int64_t mask;
  *out = false;
  vigie_status status = ev_value(c, n->kids[0], &left);
  if (status == VIGIE_OK) status = ev_mask(c, n, 1, &present, &mask);
  if (status != VIGIE_OK || !present) return status;
  for (size_t i = 0; i < ev_count(&left) && !*out; i++) {
    ev_item it;
    ev_item_at(&left, i, &it);
    if (!it.is_int) {
      if (left.kind == EV_ATTR)
        return ev_bad_value(c, left.name, it.s, it.len, "an integer for '&'");
      return vigie_fail(c->err, VIGIE_ESYNTAX, "\"%.*s\" is not an integer for '&'", (int)it.len,
                        it.s);
    }
    *out = (it.n & mask) != 0;
  }
  return VIGIE_OK;
}

/* ------------------------------------------------------------ time */

/* "YYYYMMDDHHMMSS[.fff]Z" or with a "+HHMM"/"-HHMM" offset. */
static bool ev_gentime(const char *s, size_t len, time_t *out) {
  int f[6] = {0};
  static const int widths[6] = {4, 2, 2, 2, 2, 2};
  size_t i = 0;
  if (len < 15) return false;
  for (int k = 0; k < 6; k++)
    for (int w = 0; w < widths[k]; w++, i++) {
      if (!isdigit((unsigned char)s[i])) return false;
      f[k] = f[k] * 10 + (s[i] - '0');
    }
  if (i < len && (s[i] == '.' || s[i] == ',')) {
    i++;
    size_t start = i;
    while (i < len && isdigit((unsigned char)s[i])) i++;
    if (i == start) return false;
  }
  long offset = 0;
  if (i + 1 == len && s[i] == 'Z') {
    offset = 0;
  } else if (i + 5 == len && (s[i] == '+' || s[i] == '-')) {
    int64_t hhmm;
    if (!ev_parse_int(s + i + 1, 4, &hhmm) || hhmm % 100 > 59 || hhmm / 100 > 23) return false;
    offset = (long)((hhmm / 100) * 3600 + (hhmm % 100) * 60) * (s[i] == '-' ? -1 : 1);
  } else {
    return false;
  }
  if (f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 || f[4] > 59 || f[5] > 60)
    return false;
  struct tm tm = {.tm_year = f[0] - 1900, .tm_mon = f[1] - 1, .tm_mday = f[2],
                  .tm_hour = f[3], .tm_min = f[4], .tm_sec = f[5]};
  *out = timegm(&tm) - offset;
  return true;
}

/* A FILETIME (100 ns since 1601, 18 digits today), a Unix time (seconds,
 * at most 11 digits today) or a GeneralizedTime. *never for 0, the FILETIME
 * "never" 0x7FFFFFFFFFFFFFFF and the text "never". */
static bool ev_time(const char *s, size_t len, bool *never, time_t *out) {
  int64_t v;
  *never = false;
  if (vigie_expr_ieq(s, len, "never", 5)) return *never = true;
  if (len > 0 && isdigit((unsigned char)s[0]) && ev_parse_int(s, len, &v)) {
    if (v == 0 || v == INT64_MAX) return *never = true;
    if (v >= INT64_C(1000000000000)) *out = (time_t)(v / 10000000 - INT64_C(11644473600));
    else *out = (time_t)v;
    return true;
  }
  return ev_gentime(s, len, out);
}

/* Whole days from t to now, rounded down (negative for a future time). */
static int64_t ev_days(time_t now, time_t t) {
  int64_t d = (int64_t)now - (int64_t)t;
  return d >= 0 ? d / 86400 : -((-d + 86399) / 86400);
}

/* ------------------------------------------------------------ functions */

/* Case-insensitive glob with * and ?: the usual single-backtrack walk,
 * linear per star, so a hostile pattern cannot blow up. */
static bool ev_glob(const char *p, size_t plen, const char *s, size_t slen) {
  size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;
  while (si < slen) {
    if (pi < plen && (p[pi] == '?' || (p[pi] != '*' && tolower((unsigned char)p[pi]) ==
                                                           tolower((unsigned char)s[si])))) {
      pi++, si++;
    } else if (pi < plen && p[pi] == '*') {
      star = pi++, mark = si;
    } else if (star != SIZE_MAX) {
      pi = star + 1, si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < plen && p[pi] == '*') pi++;
  return pi == plen;
}

static bool ev_text_match(vigie_expr_fn fn, const vigie_expr_value *v, const vigie_expr_node *arg) {
  const char *s = v->data, *t = arg->str;
  size_t n = v->len, m = arg->len;
  switch (fn) {
  case VIGIE_EXPR_FN_CONTAINS:
    for (size_t i = 0; i + m <= n; i++)
      if (vigie_expr_ieq(s + i, m, t, m)) return true;
    return false;
  case VIGIE_EXPR_FN_STARTS_WITH: return n >= m && vigie_expr_ieq(s, m, t, m);
  case VIGIE_EXPR_FN_ENDS_WITH: return n >= m && vigie_expr_ieq(s + n - m, m, t, m);
  case VIGIE_EXPR_FN_MATCHES: return ev_glob(t, m, s, n);
  case VIGIE_EXPR_FN_ANY_OF: return vigie_expr_ieq(s, n, t, m);
  case VIGIE_EXPR_FN_VERSION_LT:
  case VIGIE_EXPR_FN_VERSION_GE: {
    int cmp;
    if (!vigie_version_cmp(s, n, t, m, &cmp)) return false;
    return fn == VIGIE_EXPR_FN_VERSION_LT ? cmp < 0 : cmp >= 0;
  }
  case VIGIE_EXPR_FN_HAS:
  case VIGIE_EXPR_FN_COUNT:
  case VIGIE_EXPR_FN_AGE:
  case VIGIE_EXPR_FN_LEN: return false;
  }
  return false;
}

/* contains, starts_with, ends_with, matches, any_of, version_lt, version_ge:
 * any value, any string. */
static void ev_text_fn(const vigie_expr_node *n, const ev_val *a, ev_val *out) {
  out->kind = EV_BOOL, out->num = 0;
  for (size_t i = 0; i < a->nvals && !out->num; i++)
    for (size_t k = 1; k < n->nkids && !out->num; k++)
      out->num = ev_text_match(n->fn, &a->vals[i], n->kids[k]);
}

static vigie_status ev_age(ev_ctx *c, const ev_val *a, ev_val *out) {
  bool never;
  time_t t;
  out->kind = EV_ABSENT;
  if (a->nvals == 0) return VIGIE_OK;
  const vigie_expr_value *v = &a->vals[0];
  if (!ev_time(v->data, v->len, &never, &t))
    return ev_bad_value(c, a->name, v->data, v->len,
                        "a time (FILETIME, GeneralizedTime or Unix time) for age()");
  if (!never) out->kind = EV_NUM, out->num = ev_days(c->now, t);
  return VIGIE_OK;
}

static vigie_status ev_call(ev_ctx *c, const vigie_expr_node *n, ev_val *out) {
  ev_val a;
  vigie_status status = ev_value(c, n->kids[0], &a); /* always a name: EV_ATTR or absent */
  if (status != VIGIE_OK) return status;
  if (a.kind != EV_ATTR) a.kind = EV_ATTR, a.nvals = 0, a.vals = NULL;
  *out = (ev_val){.kind = EV_BOOL};
  switch (n->fn) {
  case VIGIE_EXPR_FN_HAS:
    for (size_t i = 0; i < a.nvals && !out->num; i++) out->num = a.vals[i].len > 0;
    return VIGIE_OK;
  case VIGIE_EXPR_FN_COUNT: out->kind = EV_NUM, out->num = (int64_t)a.nvals; return VIGIE_OK;
  case VIGIE_EXPR_FN_LEN:
    if (a.nvals == 0) out->kind = EV_ABSENT;
    else out->kind = EV_NUM, out->num = (int64_t)a.vals[0].len;
    return VIGIE_OK;
  case VIGIE_EXPR_FN_AGE: return ev_age(c, &a, out);
  case VIGIE_EXPR_FN_CONTAINS:
  case VIGIE_EXPR_FN_STARTS_WITH:
  case VIGIE_EXPR_FN_ENDS_WITH:
  case VIGIE_EXPR_FN_MATCHES:
  case VIGIE_EXPR_FN_ANY_OF:
  case VIGIE_EXPR_FN_VERSION_LT:
  case VIGIE_EXPR_FN_VERSION_GE: ev_text_fn(n, &a, out); return VIGIE_OK;
  }
  return vigie_fail(c->err, VIGIE_EINVAL, "predicate: unknown function");
}

/* ------------------------------------------------------------ nodes */

static vigie_status ev_value(ev_ctx *c, const vigie_expr_node *n, ev_val *out) {
  *out = (ev_val){.kind = EV_ABSENT};
  switch (n->kind) {
  case VIGIE_EXPR_N_NUM: out->kind = EV_NUM, out->num = n->num; return VIGIE_OK;
  case VIGIE_EXPR_N_BOOL: out->kind = EV_BOOL, out->num = n->num; return VIGIE_OK;
  case VIGIE_EXPR_N_STR: out->kind = EV_STR, out->str = n->str, out->len = n->len; return VIGIE_OK;
  case VIGIE_EXPR_N_NAME:
    if (c->read != NULL) c->read[n->name] = true;
    out->nvals = c->lookup(c->lookup_ctx, c->expr->names[n->name], &out->vals);
    out->name = n->name;
    if (out->nvals > 0) out->kind = EV_ATTR;
    return VIGIE_OK;
  case VIGIE_EXPR_N_CALL: return ev_call(c, n, out);
  case VIGIE_EXPR_N_BITAND: {
    bool present;
    int64_t mask;
    vigie_status status = ev_mask(c, n, 0, &present, &mask);
    if (status == VIGIE_OK && present) out->kind = EV_NUM, out->num = mask;
    return status;
  }
  case VIGIE_EXPR_N_OR:
  case VIGIE_EXPR_N_AND:
  case VIGIE_EXPR_N_NOT:
  case VIGIE_EXPR_N_CMP: {
    bool b;
    vigie_status status = ev_cond(c, n, &b);
    out->kind = EV_BOOL, out->num = b;
    return status;
  }
  }
  return vigie_fail(c->err, VIGIE_EINVAL, "predicate: unknown node");
}

/* Left to right with short cut: an error stops the evaluation unless an
 * earlier operand already decided it. */
static vigie_status ev_cond(ev_ctx *c, const vigie_expr_node *n, bool *out) {
  switch (n->kind) {
  case VIGIE_EXPR_N_OR:
  case VIGIE_EXPR_N_AND: {
    bool want = n->kind == VIGIE_EXPR_N_OR;
    for (size_t k = 0; k < n->nkids; k++) {
      vigie_status status = ev_cond(c, n->kids[k], out);
      if (status != VIGIE_OK || *out == want) return status;
    }
    return VIGIE_OK;
  }
  case VIGIE_EXPR_N_NOT: {
    vigie_status status = ev_cond(c, n->kids[0], out);
    *out = !*out;
    return status;
  }
  case VIGIE_EXPR_N_CMP: return ev_compare(c, n, out);
  case VIGIE_EXPR_N_BITAND: return ev_bitand_cond(c, n, out);
  case VIGIE_EXPR_N_NUM:
  case VIGIE_EXPR_N_STR:
  case VIGIE_EXPR_N_BOOL:
  case VIGIE_EXPR_N_NAME:
  case VIGIE_EXPR_N_CALL: break;
  }
  ev_val v;
  vigie_status status = ev_value(c, n, &v);
  *out = status == VIGIE_OK && ev_truthy(&v);
  return status;
}

vigie_status vigie_expr_eval(const vigie_expr *expr, vigie_expr_lookup_fn lookup, void *ctx,
                             time_t now, bool *read, bool *result, vigie_error *err) {
  vigie_error local;
  if (err == NULL) err = &local;
  if (expr == NULL || expr->root == NULL || lookup == NULL || result == NULL)
    return vigie_fail(err, VIGIE_EINVAL, "vigie_expr_eval: bad argument");
  ev_ctx c = {.expr = expr, .lookup = lookup, .lookup_ctx = ctx, .now = now, .read = read,
              .err = err};
  *result = false;
  vigie_status status = ev_cond(&c, expr->root, result);
  if (status != VIGIE_OK) *result = false;
  return status;
}

/* ------------------------------------------------------------ versions */

/* One numeric field at s[*i]: its digits without leading zeros, so fields of
 * any length compare without overflow (longer is larger, then bytes). */
static void ev_version_field(const char *s, size_t len, size_t *i, const char **d, size_t *dlen) {
  while (*i < len && s[*i] == '0' && *i + 1 < len && isdigit((unsigned char)s[*i + 1])) (*i)++;
  *d = s + *i;
  while (*i < len && isdigit((unsigned char)s[*i])) (*i)++;
  *dlen = (size_t)(s + *i - *d);
}

/* Fields are digits separated by single dots; the first other byte ends the
 * version ("9.2p1" is 9.2, "2.4.50-ubuntu" is 2.4.50), and a missing field
 * counts as 0 ("7.4" = "7.4.0"). */
bool vigie_version_cmp(const char *a, size_t alen, const char *b, size_t blen, int *cmp) {
  if (alen == 0 || blen == 0 || !isdigit((unsigned char)a[0]) || !isdigit((unsigned char)b[0]))
    return false;
  size_t i = 0, j = 0;
  bool more_a = true, more_b = true;
  *cmp = 0;
  while ((more_a || more_b) && *cmp == 0) {
    const char *da = "0", *db = "0";
    size_t la = 1, lb = 1;
    if (more_a) ev_version_field(a, alen, &i, &da, &la);
    if (more_b) ev_version_field(b, blen, &j, &db, &lb);
    if (la != lb) *cmp = la < lb ? -1 : 1;
    else if (memcmp(da, db, la) != 0) *cmp = memcmp(da, db, la) < 0 ? -1 : 1;
    more_a = more_a && i + 1 < alen && a[i] == '.' && isdigit((unsigned char)a[i + 1]);
    more_b = more_b && j + 1 < blen && b[j] == '.' && isdigit((unsigned char)b[j + 1]);
    if (more_a) i++;
    if (more_b) j++;
  }
  return true;
}
