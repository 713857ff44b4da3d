/* Private to core/expr*.c: the AST of the predicate language shared by the
 * directory rules and the exposure rules (doc/rules-language.md). Nothing here
 * is a public contract: other rooms use the vigie_expr_* API of core.h. */
#ifndef VIGIE_CORE_EXPR_INT_H
#define VIGIE_CORE_EXPR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigie/core.h"

/* ------------------------------------------------ predicate AST */

/* The limits VIGIE_EXPR_MAX_* are in vigie/core.h. */

typedef enum vigie_expr_kind {
  VIGIE_EXPR_N_OR,     /* kids: 2 or more */
  VIGIE_EXPR_N_AND,    /* kids: 2 or more */
  VIGIE_EXPR_N_NOT,    /* kids[0] */
  VIGIE_EXPR_N_CMP,    /* kids[0] op kids[1] */
  VIGIE_EXPR_N_BITAND, /* kids: 2 or more, left to right */
  VIGIE_EXPR_N_NUM,    /* num (durations are numbers of days) */
  VIGIE_EXPR_N_STR,    /* str, len */
  VIGIE_EXPR_N_BOOL,   /* num 0 or 1 */
  VIGIE_EXPR_N_NAME,   /* name: index into the expression's names */
  VIGIE_EXPR_N_CALL,   /* fn; kids[0] is a NAME, kids[1..] STR */
} vigie_expr_kind;

typedef enum vigie_expr_op {
  VIGIE_EXPR_EQ,
  VIGIE_EXPR_NE,
  VIGIE_EXPR_LT,
  VIGIE_EXPR_LE,
  VIGIE_EXPR_GT,
  VIGIE_EXPR_GE
} vigie_expr_op;

typedef enum vigie_expr_fn {
  VIGIE_EXPR_FN_HAS,
  VIGIE_EXPR_FN_COUNT,
  VIGIE_EXPR_FN_AGE,
  VIGIE_EXPR_FN_CONTAINS,
  VIGIE_EXPR_FN_STARTS_WITH,
  VIGIE_EXPR_FN_ENDS_WITH,
  VIGIE_EXPR_FN_MATCHES,
  VIGIE_EXPR_FN_LEN,
  VIGIE_EXPR_FN_ANY_OF,
  VIGIE_EXPR_FN_VERSION_LT,
  VIGIE_EXPR_FN_VERSION_GE,
} vigie_expr_fn;

typedef struct vigie_expr_node {
  vigie_expr_kind kind;
  vigie_expr_op op;
  vigie_expr_fn fn;
  int64_t num;
  char *str; /* owned, unescaped; NUL-terminated */
  size_t len;
  size_t name;                   /* VIGIE_EXPR_N_NAME */
  struct vigie_expr_node **kids; /* owned array; nodes are owned by the expression */
  size_t nkids;
} vigie_expr_node;

struct vigie_expr {
  vigie_expr_node *root;
  vigie_expr_node **nodes; /* every node, for freeing */
  size_t nnodes, nodes_cap;
  char **names; /* distinct names read, case-insensitive, first spelling */
  size_t nnames, names_cap;
};

/** ASCII case-insensitive comparison of two byte strings (names and the
 * language's string comparisons are ASCII-folded). */
bool vigie_expr_ieq(const char *a, size_t alen, const char *b, size_t blen);

#endif
