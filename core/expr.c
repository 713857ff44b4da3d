/* The predicate language of rule files, shared by the directory and the
 * exposure rules: lexer and recursive-descent parser to an AST
 * (doc/rules-language.md). Rule files come from consultants, so a
 * malformed predicate gets the column and what was expected, and a hostile
 * one is bounded in length, node count and nesting depth. The evaluator is
 * in expr_eval.c. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/expr_int.h"
#include "vigie/core.h"

bool vigie_expr_ieq(const char *a, size_t alen, const char *b, size_t blen) {
  if (alen != blen) return false;
  for (size_t i = 0; i < alen; i++)
    if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i])) return false;
  return true;
}

/* ------------------------------------------------------------ lexer */

typedef enum ex_tok {
  T_END, T_NUM, T_STR, T_NAME, T_AND, T_OR, T_NOT, T_TRUE, T_FALSE,
  T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_AMP, T_LPAREN, T_RPAREN, T_COMMA,
} ex_tok;

typedef struct ex_parser {
  const char *text;
  size_t pos;      /* next byte to lex */
  ex_tok tok;      /* current token */
  size_t tok_col;  /* its 1-based column */
  size_t tok_len;  /* its length in the text */
  int64_t num;     /* T_NUM value (durations converted to days) */
  char *str;       /* T_STR unescaped, owned until taken */
  size_t str_len;
  int depth;
  vigie_expr *expr;
  size_t *column;
  vigie_error *err;
} ex_parser;

static const char *ex_tok_name(ex_tok t) {
  switch (t) {
  case T_END: return "the end of the predicate";
  case T_NUM: return "a number";
  case T_STR: return "a string";
  case T_NAME: return "a name";
  case T_AND: return "'and'";
  case T_OR: return "'or'";
  case T_NOT: return "'not'";
  case T_TRUE: return "'true'";
  case T_FALSE: return "'false'";
  case T_EQ: return "'='";
  case T_NE: return "'!='";
  case T_LT: return "'<'";
  case T_LE: return "'<='";
  case T_GT: return "'>'";
  case T_GE: return "'>='";
  case T_AMP: return "'&'";
  case T_LPAREN: return "'('";
  case T_RPAREN: return "')'";
  case T_COMMA: return "','";
  }
  return "?";
}

static vigie_status ex_fail_at(ex_parser *p, size_t col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static vigie_status ex_fail_at(ex_parser *p, size_t col, const char *fmt, ...) {
  char msg[VIGIE_ERROR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (p->column != NULL) *p->column = col;
  return vigie_fail(p->err, VIGIE_ESYNTAX, "column %zu: %s", col, msg);
}

/* "expected X, found Y" at the current token, quoting a name's text. */
static vigie_status ex_expected(ex_parser *p, const char *what) {
  if (p->tok == T_NAME || p->tok == T_NUM)
    return ex_fail_at(p, p->tok_col, "expected %s, found '%.*s'", what, (int)p->tok_len,
                      p->text + p->tok_col - 1);
  return ex_fail_at(p, p->tok_col, "expected %s, found %s", what, ex_tok_name(p->tok));
}

static bool ex_name_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '-'; }

/* Decimal or 0x-hex, then an optional duration unit d or y. */
static vigie_status ex_lex_number(ex_parser *p, size_t start, bool negative) {
  const char *s = p->text;
  size_t i = p->pos;
  bool hex = s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X');
  unsigned base = hex ? 16 : 10;
  uint64_t v = 0, limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  if (hex) i += 2;
  size_t digits = 0;
  for (; isxdigit((unsigned char)s[i]) && (hex || isdigit((unsigned char)s[i])); i++, digits++) {
    unsigned d = isdigit((unsigned char)s[i]) ? (unsigned)(s[i] - '0')
                                              : (unsigned)(tolower((unsigned char)s[i]) - 'a' + 10);
    if (v > (limit - d) / base) return ex_fail_at(p, start + 1, "number out of the 64-bit range");
    v = v * base + d;
  }
  if (digits == 0) return ex_fail_at(p, start + 1, "malformed number: no digit after 0x");
  int64_t n = negative ? (int64_t)(0 - v) : (int64_t)v;
  if (!hex && (s[i] == 'd' || s[i] == 'y') && !ex_name_char(s[i + 1])) {
    if (s[i] == 'y' && (n > INT64_MAX / 365 || n < INT64_MIN / 365))
      return ex_fail_at(p, start + 1, "duration out of range");
    n = s[i] == 'y' ? n * 365 : n;
    i++;
  } else if (ex_name_char(s[i])) {
    return ex_fail_at(p, start + 1,
                      "malformed number '%.*s' (durations are a number then d or y)",
                      (int)(i + 1 - start), s + start);
  }
  p->tok = T_NUM, p->num = n, p->pos = i;
  return VIGIE_OK;
}

static vigie_status ex_lex_string(ex_parser *p, size_t start) {
  const char *s = p->text;
  size_t i = start + 1, n = 0;
  char *out = vigie_malloc(strlen(s + start) + 1);
  if (out == NULL) return vigie_fail(p->err, VIGIE_ENOMEM, "predicate: out of memory");
  for (;; i++) {
    if (s[i] == '\0') {
      vigie_free(out);
      return ex_fail_at(p, start + 1, "string not closed: a '\"' is missing");
    }
    if (s[i] == '"') break;
    if (s[i] == '\\') {
      if (s[i + 1] != '"' && s[i + 1] != '\\') {
        vigie_free(out);
        return ex_fail_at(p, i + 1, "unknown escape in a string: only \\\" and \\\\ exist");
      }
      i++;
    }
    out[n++] = s[i];
  }
  out[n] = '\0';
  vigie_free(p->str);
  p->str = out, p->str_len = n;
  p->tok = T_STR, p->pos = i + 1;
  return VIGIE_OK;
}

static ex_tok ex_keyword(const char *s, size_t len) {
  static const struct { const char *word; ex_tok tok; } kw[] = {
      {"and", T_AND}, {"or", T_OR}, {"not", T_NOT}, {"true", T_TRUE}, {"false", T_FALSE}};
  for (size_t k = 0; k < sizeof kw / sizeof kw[0]; k++)
    if (strlen(kw[k].word) == len && memcmp(kw[k].word, s, len) == 0) return kw[k].tok;
  return T_NAME;
}

/* One- and two-character operators. \return false if c starts none. */
static bool ex_lex_op(ex_parser *p, size_t i) {
  const char *s = p->text;
  bool eq_next = s[i + 1] == '=';
  switch (s[i]) {
  case '=': p->tok = T_EQ; break;
  case '<': p->tok = eq_next ? T_LE : T_LT; break;
  case '>': p->tok = eq_next ? T_GE : T_GT; break;
  case '!':
    if (!eq_next) return false;
    p->tok = T_NE;
    break;
  case '&': p->tok = T_AMP; break;
  case '(': p->tok = T_LPAREN; break;
  case ')': p->tok = T_RPAREN; break;
  case ',': p->tok = T_COMMA; break;
  default: return false;
  }
  bool two = (s[i] == '<' || s[i] == '>' || s[i] == '!') && eq_next;
  p->pos = i + (two ? 2 : 1);
  return true;
}

static vigie_status ex_next(ex_parser *p) {
  const char *s = p->text;
  size_t i = p->pos;
  while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') i++;
  p->tok_col = i + 1;
  p->pos = i;
  vigie_status status = VIGIE_OK;
  if (s[i] == '\0') {
    p->tok = T_END;
  } else if (isdigit((unsigned char)s[i])) {
    status = ex_lex_number(p, i, false);
  } else if (s[i] == '-' && isdigit((unsigned char)s[i + 1])) {
    p->pos = i + 1;
    status = ex_lex_number(p, i, true);
  } else if (s[i] == '"') {
    status = ex_lex_string(p, i);
  } else if (isalpha((unsigned char)s[i])) {
    /* A dot inside a name separates the parts of a service fact's name
     * (rdp.nla_required); a name never starts with one. */
    size_t j = i;
    while (ex_name_char(s[j]) || s[j] == '.') j++;
    p->tok = ex_keyword(s + i, j - i), p->pos = j;
  } else if (!ex_lex_op(p, i)) {
    if (s[i] == '!') return ex_fail_at(p, i + 1, "'!' must be followed by '=' (use 'not')");
    if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
      return ex_fail_at(p, i + 1, "unexpected byte 0x%02x", (unsigned char)s[i]);
    return ex_fail_at(p, i + 1, "unexpected character '%c'", s[i]);
  }
  p->tok_len = p->pos - i;
  return status;
}

/* ------------------------------------------------------------ nodes */

static vigie_expr_node *ex_node(ex_parser *p, vigie_expr_kind kind) {
  vigie_expr *e = p->expr;
  if (e->nnodes == VIGIE_EXPR_MAX_NODES) {
    vigie_fail(p->err, VIGIE_ETOOBIG, "column %zu: predicate over %d terms", p->tok_col,
               VIGIE_EXPR_MAX_NODES);
    return NULL;
  }
  if (e->nnodes == e->nodes_cap) {
    size_t cap = e->nodes_cap ? e->nodes_cap * 2 : 16;
    vigie_expr_node **grown = vigie_realloc(e->nodes, cap * sizeof *grown);
    if (grown == NULL) goto nomem;
    e->nodes = grown, e->nodes_cap = cap;
  }
  vigie_expr_node *n = vigie_calloc(1, sizeof *n);
  if (n == NULL) goto nomem;
  n->kind = kind;
  e->nodes[e->nnodes++] = n;
  return n;
nomem:
  vigie_fail(p->err, VIGIE_ENOMEM, "predicate: out of memory");
  return NULL;
}

static vigie_status ex_add_kid(ex_parser *p, vigie_expr_node *n, vigie_expr_node *kid) {
  /* Grow by doubling: kids counts are powers of two when full. */
  if (n->nkids == 0 || (n->nkids & (n->nkids - 1)) == 0) {
    size_t cap = n->nkids ? n->nkids * 2 : 2;
    vigie_expr_node **grown = vigie_realloc(n->kids, cap * sizeof *grown);
    if (grown == NULL) return vigie_fail(p->err, VIGIE_ENOMEM, "predicate: out of memory");
    n->kids = grown;
  }
  n->kids[n->nkids++] = kid;
  return VIGIE_OK;
}

/* The index of name in the expression's distinct names, added if new. */
static vigie_status ex_intern_name(ex_parser *p, const char *name, size_t len, size_t *index) {
  vigie_expr *e = p->expr;
  for (size_t i = 0; i < e->nnames; i++) {
    if (vigie_expr_ieq(e->names[i], strlen(e->names[i]), name, len)) {
      *index = i;
      return VIGIE_OK;
    }
  }
  if (e->nnames == e->names_cap) {
    size_t cap = e->names_cap ? e->names_cap * 2 : 8;
    char **grown = vigie_realloc(e->names, cap * sizeof *grown);
    if (grown == NULL) return vigie_fail(p->err, VIGIE_ENOMEM, "predicate: out of memory");
    e->names = grown, e->names_cap = cap;
  }
  char *copy = vigie_strndup(name, len);
  if (copy == NULL) return vigie_fail(p->err, VIGIE_ENOMEM, "predicate: out of memory");
  *index = e->nnames;
  e->names[e->nnames++] = copy;
  return VIGIE_OK;
}

/* ------------------------------------------------------------ grammar */

static vigie_status ex_or(ex_parser *p, vigie_expr_node **out);

/* Take the current token when it is t. */
static vigie_status ex_expect(ex_parser *p, ex_tok t, const char *what) {
  if (p->tok != t) return ex_expected(p, what);
  return ex_next(p);
}

static const struct {
  const char *name;
  vigie_expr_fn fn;
  size_t min_args, max_args; /* counting the attribute */
} ex_functions[] = {
    {"has", VIGIE_EXPR_FN_HAS, 1, 1},           {"count", VIGIE_EXPR_FN_COUNT, 1, 1},
    {"age", VIGIE_EXPR_FN_AGE, 1, 1},           {"contains", VIGIE_EXPR_FN_CONTAINS, 2, 2},
    {"starts_with", VIGIE_EXPR_FN_STARTS_WITH, 2, 2}, {"ends_with", VIGIE_EXPR_FN_ENDS_WITH, 2, 2},
    {"matches", VIGIE_EXPR_FN_MATCHES, 2, 2},   {"len", VIGIE_EXPR_FN_LEN, 1, 1},
    {"any_of", VIGIE_EXPR_FN_ANY_OF, 2, SIZE_MAX},
    {"version_lt", VIGIE_EXPR_FN_VERSION_LT, 2, 2}, {"version_ge", VIGIE_EXPR_FN_VERSION_GE, 2, 2},
};

static vigie_status ex_name_node(ex_parser *p, vigie_expr_node **out) {
  vigie_expr_node *n = ex_node(p, VIGIE_EXPR_N_NAME);
  if (n == NULL) return p->err->status;
  vigie_status status = ex_intern_name(p, p->text + p->tok_col - 1, p->tok_len, &n->name);
  if (status != VIGIE_OK) return status;
  *out = n;
  return ex_next(p);
}

static vigie_status ex_str_node(ex_parser *p, vigie_expr_node **out) {
  vigie_expr_node *n = ex_node(p, VIGIE_EXPR_N_STR);
  if (n == NULL) return p->err->status;
  n->str = p->str, n->len = p->str_len, p->str = NULL;
  *out = n;
  return ex_next(p);
}

/* The arguments of fn after its '(': an attribute name, then strings. */
static vigie_status ex_call_args(ex_parser *p, size_t f, vigie_expr_node *call) {
  const char *fname = ex_functions[f].name;
  vigie_expr_node *kid = NULL;
  if (p->tok != T_NAME) {
    char what[96];
    snprintf(what, sizeof what, "an attribute name as the first argument of %s()", fname);
    return ex_expected(p, what);
  }
  vigie_status status = ex_name_node(p, &kid);
  if (status == VIGIE_OK) status = ex_add_kid(p, call, kid);
  while (status == VIGIE_OK && p->tok == T_COMMA) {
    if (call->nkids == ex_functions[f].max_args)
      return ex_fail_at(p, p->tok_col, "%s() takes %zu argument%s", fname,
                        ex_functions[f].max_args, ex_functions[f].max_args > 1 ? "s" : "");
    status = ex_next(p);
    if (status == VIGIE_OK && p->tok != T_STR) return ex_expected(p, "a string argument");
    if (status == VIGIE_OK && ex_functions[f].fn >= VIGIE_EXPR_FN_VERSION_LT &&
        (p->str_len == 0 || !isdigit((unsigned char)p->str[0])))
      return ex_fail_at(p, p->tok_col, "%s() compares with a version such as \"7.4\", found \"%s\"",
                        fname, p->str);
    if (status == VIGIE_OK) status = ex_str_node(p, &kid);
    if (status == VIGIE_OK) status = ex_add_kid(p, call, kid);
  }
  if (status != VIGIE_OK) return status;
  if (p->tok == T_RPAREN && call->nkids < ex_functions[f].min_args)
    return ex_fail_at(p, p->tok_col, "%s() needs %s%zu arguments", fname,
                      ex_functions[f].max_args == SIZE_MAX ? "at least " : "",
                      ex_functions[f].min_args);
  return ex_expect(p, T_RPAREN, call->nkids < ex_functions[f].max_args ? "',' or ')'" : "')'");
}

static vigie_status ex_call(ex_parser *p, vigie_expr_node **out) {
  size_t col = p->tok_col, len = p->tok_len;
  const char *name = p->text + col - 1;
  size_t f = 0, nf = sizeof ex_functions / sizeof ex_functions[0];
  while (f < nf &&
         !(strlen(ex_functions[f].name) == len && memcmp(ex_functions[f].name, name, len) == 0))
    f++;
  if (f == nf)
    return ex_fail_at(p, col,
                      "unknown function '%.*s' (has, count, age, contains, starts_with, "
                      "ends_with, matches, len, any_of, version_lt, version_ge)",
                      (int)len, name);
  vigie_expr_node *call = ex_node(p, VIGIE_EXPR_N_CALL);
  if (call == NULL) return p->err->status;
  call->fn = ex_functions[f].fn;
  vigie_status status = ex_next(p); /* the name */
  if (status == VIGIE_OK) status = ex_next(p); /* the '(' */
  if (status == VIGIE_OK) status = ex_call_args(p, f, call);
  if (status == VIGIE_OK) *out = call;
  return status;
}

/* Whether the text after the current NAME token is '(' (a call). */
static bool ex_call_follows(const ex_parser *p) {
  size_t i = p->pos;
  while (p->text[i] == ' ' || p->text[i] == '\t' || p->text[i] == '\n' || p->text[i] == '\r') i++;
  return p->text[i] == '(';
}

static vigie_status ex_unary(ex_parser *p, vigie_expr_node **out) {
  if (p->tok == T_STR) return ex_str_node(p, out);
  if (p->tok == T_NAME) return ex_call_follows(p) ? ex_call(p, out) : ex_name_node(p, out);
  if (p->tok == T_LPAREN) {
    vigie_status status = ex_next(p);
    if (status == VIGIE_OK) status = ex_or(p, out);
    return status == VIGIE_OK ? ex_expect(p, T_RPAREN, "')'") : status;
  }
  if (p->tok != T_NUM && p->tok != T_TRUE && p->tok != T_FALSE)
    return ex_expected(p, "a value (number, string, name, function call or '(')");
  vigie_expr_node *n = ex_node(p, p->tok == T_NUM ? VIGIE_EXPR_N_NUM : VIGIE_EXPR_N_BOOL);
  if (n == NULL) return p->err->status;
  n->num = p->tok == T_NUM ? p->num : p->tok == T_TRUE;
  *out = n;
  return ex_next(p);
}

/* A chain of one binary operator, as one n-ary node (so evaluation loops
 * instead of recursing down a long chain). */
static vigie_status ex_chain(ex_parser *p, ex_tok op, vigie_expr_kind kind,
                             vigie_status (*sub)(ex_parser *, vigie_expr_node **),
                             vigie_expr_node **out) {
  vigie_expr_node *first = NULL, *kid = NULL, *n = NULL;
  vigie_status status = sub(p, &first);
  if (status != VIGIE_OK || p->tok != op) {
    *out = first;
    return status;
  }
  if ((n = ex_node(p, kind)) == NULL) return p->err->status;
  status = ex_add_kid(p, n, first);
  while (status == VIGIE_OK && p->tok == op) {
    status = ex_next(p);
    if (status == VIGIE_OK) status = sub(p, &kid);
    if (status == VIGIE_OK) status = ex_add_kid(p, n, kid);
  }
  *out = n;
  return status;
}

static vigie_status ex_sum(ex_parser *p, vigie_expr_node **out) {
  return ex_chain(p, T_AMP, VIGIE_EXPR_N_BITAND, ex_unary, out);
}

static vigie_status ex_cmp(ex_parser *p, vigie_expr_node **out) {
  vigie_expr_node *left = NULL, *right = NULL;
  vigie_status status = ex_sum(p, &left);
  if (status != VIGIE_OK) return status;
  static const vigie_expr_op ops[] = {
      [T_EQ] = VIGIE_EXPR_EQ, [T_NE] = VIGIE_EXPR_NE, [T_LT] = VIGIE_EXPR_LT,
      [T_LE] = VIGIE_EXPR_LE, [T_GT] = VIGIE_EXPR_GT, [T_GE] = VIGIE_EXPR_GE};
  if (p->tok < T_EQ || p->tok > T_GE) {
    *out = left;
    return VIGIE_OK;
  }
  vigie_expr_node *n = ex_node(p, VIGIE_EXPR_N_CMP);
  if (n == NULL) return p->err->status;
  n->op = ops[p->tok];
  status = ex_next(p);
  if (status == VIGIE_OK) status = ex_sum(p, &right);
  if (status == VIGIE_OK) status = ex_add_kid(p, n, left);
  if (status == VIGIE_OK) status = ex_add_kid(p, n, right);
  if (status == VIGIE_OK && p->tok >= T_EQ && p->tok <= T_GE)
    return ex_fail_at(p, p->tok_col, "comparisons do not chain: use 'and'");
  *out = n;
  return status;
}

static vigie_status ex_not(ex_parser *p, vigie_expr_node **out) {
  if (p->tok != T_NOT) return ex_cmp(p, out);
  if (++p->depth > VIGIE_EXPR_MAX_DEPTH)
    return vigie_fail(p->err, VIGIE_ETOOBIG, "column %zu: predicate nested over %d levels",
                      p->tok_col, VIGIE_EXPR_MAX_DEPTH);
  vigie_expr_node *n = ex_node(p, VIGIE_EXPR_N_NOT), *kid = NULL;
  if (n == NULL) return p->err->status;
  vigie_status status = ex_next(p);
  if (status == VIGIE_OK) status = ex_not(p, &kid);
  if (status == VIGIE_OK) status = ex_add_kid(p, n, kid);
  p->depth--;
  *out = n;
  return status;
}

static vigie_status ex_and(ex_parser *p, vigie_expr_node **out) {
  return ex_chain(p, T_AND, VIGIE_EXPR_N_AND, ex_not, out);
}

/* Every "(" comes back here, so the depth counted here bounds the stack. */
static vigie_status ex_or(ex_parser *p, vigie_expr_node **out) {
  if (++p->depth > VIGIE_EXPR_MAX_DEPTH)
    return vigie_fail(p->err, VIGIE_ETOOBIG, "column %zu: predicate nested over %d levels",
                      p->tok_col, VIGIE_EXPR_MAX_DEPTH);
  vigie_status status = ex_chain(p, T_OR, VIGIE_EXPR_N_OR, ex_and, out);
  p->depth--;
  return status;
}

/* ------------------------------------------------------------ public */

void vigie_expr_free(vigie_expr *expr) {
  if (expr == NULL) return;
  for (size_t i = 0; i < expr->nnodes; i++) {
    vigie_free(expr->nodes[i]->kids);
    vigie_free(expr->nodes[i]->str);
    vigie_free(expr->nodes[i]);
  }
  for (size_t i = 0; i < expr->nnames; i++) vigie_free(expr->names[i]);
  vigie_free(expr->nodes);
  vigie_free(expr->names);
  vigie_free(expr);
}

vigie_status vigie_expr_parse(const char *text, vigie_expr **out, size_t *column,
                              vigie_error *err) {
  vigie_error local;
  if (err == NULL) err = &local;
  if (text == NULL || out == NULL)
    return vigie_fail(err, VIGIE_EINVAL, "vigie_expr_parse: no text or no result pointer");
  *out = NULL;
  if (column != NULL) *column = 0;
  size_t len = strlen(text);
  if (len > VIGIE_EXPR_MAX_LEN)
    return vigie_fail(err, VIGIE_ETOOBIG, "predicate of %zu characters, over the cap of %d", len,
                      VIGIE_EXPR_MAX_LEN);
  ex_parser p = {.text = text, .column = column, .err = err};
  p.expr = vigie_calloc(1, sizeof *p.expr);
  if (p.expr == NULL) return vigie_fail(err, VIGIE_ENOMEM, "predicate: out of memory");
  vigie_status status = ex_next(&p);
  if (status == VIGIE_OK && p.tok == T_END)
    status = ex_fail_at(&p, p.tok_col, "empty predicate (write 'true' to match every entry)");
  if (status == VIGIE_OK) status = ex_or(&p, &p.expr->root);
  if (status == VIGIE_OK && p.tok != T_END) {
    const char *what = p.tok == T_RPAREN ? "the end of the predicate (a '(' is missing)"
                                         : "'and', 'or', an operator or the end of the predicate";
    status = ex_expected(&p, what);
  }
  vigie_free(p.str);
  if (status == VIGIE_OK) *out = p.expr, p.expr = NULL;
  vigie_expr_free(p.expr);
  return status;
}

size_t vigie_expr_name_count(const vigie_expr *expr) { return expr ? expr->nnames : 0; }

const char *vigie_expr_name_at(const vigie_expr *expr, size_t i) {
  if (expr == NULL || i >= expr->nnames) return NULL;
  return expr->names[i];
}
