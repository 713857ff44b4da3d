/* A tiny test harness that speaks TAP, so meson reports every case by name.
 * A test file defines cases with TEST(name) { ... } and lists them in
 * TEST_MAIN(case1, case2, ...). CHECK() records a failure and goes on;
 * REQUIRE() records it and leaves the case. */
#ifndef VIGIE_TEST_HARNESS_H
#define VIGIE_TEST_HARNESS_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct test_ctx {
  const char *name;
  int failures;
} test_ctx;

typedef void (*test_fn)(test_ctx *ctx);

typedef struct test_case {
  const char *name;
  test_fn fn;
} test_case;

#define TEST(name) static void name(test_ctx *ctx)

#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      ctx->failures++;                                                                \
      printf("# %s:%d: %s: check failed: %s\n", __FILE__, __LINE__, ctx->name, #cond); \
    }                                                                                 \
  } while (0)

#define CHECKF(cond, ...)                                                             \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      ctx->failures++;                                                                \
      printf("# %s:%d: %s: check failed: %s: ", __FILE__, __LINE__, ctx->name, #cond); \
      printf(__VA_ARGS__);                                                            \
      printf("\n");                                                                   \
    }                                                                                 \
  } while (0)

#define REQUIRE(cond)  \
  do {                 \
    if (!(cond)) {     \
      CHECK(cond);     \
      return;          \
    }                  \
  } while (0)

#define CHECK_STR(a, b)                                                                \
  do {                                                                                 \
    const char *check_a_ = (a), *check_b_ = (b);                                       \
    if (check_a_ == NULL || check_b_ == NULL || strcmp(check_a_, check_b_) != 0) {     \
      ctx->failures++;                                                                 \
      printf("# %s:%d: %s: \"%s\" != \"%s\"\n", __FILE__, __LINE__, ctx->name,        \
             check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)");          \
    }                                                                                  \
  } while (0)

static inline int test_run(const test_case *cases, size_t n) {
  int failed = 0;
  printf("1..%zu\n", n);
  for (size_t i = 0; i < n; i++) {
    test_ctx ctx = {cases[i].name, 0};
    cases[i].fn(&ctx);
    printf("%s %zu - %s\n", ctx.failures ? "not ok" : "ok", i + 1, cases[i].name);
    fflush(stdout);
    if (ctx.failures) failed++;
  }
  return failed ? 1 : 0;
}

#define TEST_CASE_ENTRY(fn) {#fn, fn}

#define TEST_MAIN(...)                                                  \
  int main(void) {                                                      \
    static const test_case cases[] = {__VA_ARGS__};                     \
    return test_run(cases, sizeof cases / sizeof cases[0]);             \
  }

#endif
