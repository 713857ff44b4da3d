/* Unit tests of scanner/scan_ratelimit.c: on a simulated clock the bucket
 * grants rate * T give or take one burst, over the whole run and over every
 * one-second window, whatever the batch size; delay_ns says exactly when
 * the next token comes; rate 0 is unlimited; and the real clock drives it.
 */
#include <stdlib.h>
#include <time.h>

#include "harness.h"
#include "vigie/scanner.h"

#define NS 1000000000u
#define T0 ((uint64_t)5 * NS) /* a clock that does not start at 0 */

/* A sender on a simulated clock: take a batch; when short, sleep exactly
 * as long as delay_ns says. \return the tokens granted over seconds. */
static uint64_t run_exact(double rate, unsigned batch, unsigned seconds, test_ctx *ctx) {
  scan_ratelimit rl;
  uint64_t now = T0, end = T0 + (uint64_t)seconds * NS, total = 0;
  scan_ratelimit_init(&rl, rate, batch, now);
  while (now < end) {
    unsigned got = scan_ratelimit_take(&rl, batch, now);
    total += got;
    if (got == 0) {
      uint64_t d = scan_ratelimit_delay_ns(&rl, now);
      if (d == 0) { /* a token was there, yet none was granted */
        CHECK(d != 0);
        return total;
      }
      now += d;
    }
  }
  return total;
}

TEST(simulated_rates_and_batches) {
  static const double rates[] = {1000, 100000, 1000000};
  static const unsigned batches[] = {1, 64, 256};
  const unsigned seconds = 10;
  for (size_t r = 0; r < 3; r++) {
    for (size_t b = 0; b < 3; b++) {
      double expect = rates[r] * seconds;
      uint64_t got = run_exact(rates[r], batches[b], seconds, ctx);
      CHECKF((double)got <= expect + batches[b] && (double)got >= expect - batches[b],
             "%.0f pps, batches of %u: %llu granted in %u s", rates[r], batches[b],
             (unsigned long long)got, seconds);
    }
  }
}

/* xorshift64*: reproducible jitter. */
static uint64_t rnd(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 0x2545f4914f6cdd1du;
}

typedef struct grant {
  uint64_t t;
  unsigned n;
} grant;

/* A sloppy sender: sleeps anywhere from 0 to 3 times what it was told, and
 * sometimes asks again at once. No window of one second may hold more than
 * rate + burst tokens. */
static bool windows_hold(double rate, unsigned batch, test_ctx *ctx) {
  const uint64_t end = T0 + 10 * (uint64_t)NS;
  size_t cap = (size_t)(rate * 12) + 1024, n = 0;
  grant *g = malloc(cap * sizeof *g);
  scan_ratelimit rl;
  uint64_t now = T0, s = 0xfeed, in_window = 0, worst = 0;
  if (g == NULL) return false;
  scan_ratelimit_init(&rl, rate, batch, now);
  while (now < end && n < cap) {
    unsigned got = scan_ratelimit_take(&rl, batch, now);
    if (got) g[n++] = (grant){now, got};
    uint64_t d = scan_ratelimit_delay_ns(&rl, now);
    now += rnd(&s) % 4 == 0 ? 0 : d * (rnd(&s) % 3000) / 1000 + rnd(&s) % 1000;
  }
  for (size_t i = 0, j = 0; i < n; i++) { /* windows [g[j].t, g[j].t + 1 s) */
    in_window += g[i].n;
    while (g[i].t - g[j].t >= NS) in_window -= g[j++].n;
    worst = in_window > worst ? in_window : worst;
  }
  free(g);
  CHECKF((double)worst <= rate + batch, "%.0f pps, batches of %u: %llu in one second", rate, batch,
         (unsigned long long)worst);
  return (double)worst <= rate + batch;
}

TEST(every_window_bounded) {
  CHECK(windows_hold(1000, 1, ctx));
  CHECK(windows_hold(1000, 256, ctx));
  CHECK(windows_hold(100000, 64, ctx));
  CHECK(windows_hold(100000, 256, ctx));
}

TEST(delay_is_exact) {
  scan_ratelimit rl;
  scan_ratelimit_init(&rl, 1000, 1, T0); /* one token a millisecond */
  CHECK(scan_ratelimit_delay_ns(&rl, T0) == 0);
  CHECK(scan_ratelimit_take(&rl, 5, T0) == 1); /* starts with one token, not a burst */
  CHECK(scan_ratelimit_take(&rl, 1, T0) == 0);
  uint64_t d = scan_ratelimit_delay_ns(&rl, T0);
  CHECKF(d >= 999000 && d <= 1000000, "delay %llu ns", (unsigned long long)d);
  CHECK(scan_ratelimit_take(&rl, 1, T0 + d / 2) == 0);
  uint64_t d2 = scan_ratelimit_delay_ns(&rl, T0 + d / 2);
  CHECKF(d2 + d / 2 >= d - 1 && d2 + d / 2 <= d + 1, "delay %llu ns at half time",
         (unsigned long long)d2);
  CHECK(scan_ratelimit_take(&rl, 1, T0 + d) == 1);

  /* After any delay_ns, the token is there. */
  uint64_t now = T0 + NS, s = 3;
  scan_ratelimit_init(&rl, 3333.3, 7, now);
  for (int i = 0; i < 100000; i++) {
    scan_ratelimit_take(&rl, 7, now);
    now += rnd(&s) % 100000;
    d = scan_ratelimit_delay_ns(&rl, now);
    if (d > 0) {
      now += d;
      CHECK(scan_ratelimit_take(&rl, 1, now) == 1);
    }
    if (ctx->failures) return;
  }
}

TEST(burst_caps_idle_savings) {
  scan_ratelimit rl;
  scan_ratelimit_init(&rl, 1000, 64, T0);
  /* The bucket starts with one token, not a full burst: no opening spike. */
  CHECK(scan_ratelimit_take(&rl, 64, T0) == 1);
  /* Ten idle seconds save 64 tokens, not 10,000. */
  CHECK(scan_ratelimit_take(&rl, 100000, T0 + 10 * (uint64_t)NS) == 64);
  CHECK(scan_ratelimit_take(&rl, 100000, T0 + 10 * (uint64_t)NS) == 0);
  /* A clock that steps back grants nothing extra. */
  CHECK(scan_ratelimit_take(&rl, 100, T0) == 0);
  CHECK(scan_ratelimit_take(&rl, 100, T0 + 10 * (uint64_t)NS + 1000000) == 1);
  /* Burst 0 counts as 1. */
  scan_ratelimit_init(&rl, 1000, 0, T0);
  CHECK(scan_ratelimit_take(&rl, 10, T0 + NS) == 1);
}

TEST(rate_zero_is_unlimited) {
  scan_ratelimit rl;
  scan_ratelimit_init(&rl, 0, 64, T0);
  CHECK(scan_ratelimit_take(&rl, 1000000, T0) == 1000000);
  CHECK(scan_ratelimit_take(&rl, 4000000000u, T0) == 4000000000u);
  CHECK(scan_ratelimit_delay_ns(&rl, T0) == 0);
  CHECK(scan_ratelimit_take(&rl, 0, T0) == 0);
}

TEST(real_clock) {
  /* 0.3 s at 20,000 pps is 6,000 tokens; the bounds are loose because a
   * loaded test machine may oversleep. This only proves the wiring. */
  scan_ratelimit rl;
  uint64_t start = scan_now_ns(), now = start, total = 0;
  CHECK(start > 0);
  scan_ratelimit_init(&rl, 20000, 64, now);
  while (now - start < 300000000u) {
    unsigned got = scan_ratelimit_take(&rl, 64, now);
    total += got;
    if (got < 64) {
      uint64_t d = scan_ratelimit_delay_ns(&rl, now);
      struct timespec ts = {0, (long)(d < 1000000 ? d : 1000000)};
      nanosleep(&ts, NULL);
    }
    uint64_t later = scan_now_ns();
    CHECK(later >= now); /* monotonic */
    now = later;
  }
  CHECKF(total >= 4000 && total <= 8000, "%llu granted in 0.3 s", (unsigned long long)total);
}

TEST_MAIN(TEST_CASE_ENTRY(simulated_rates_and_batches), TEST_CASE_ENTRY(every_window_bounded),
          TEST_CASE_ENTRY(delay_is_exact), TEST_CASE_ENTRY(burst_caps_idle_savings),
          TEST_CASE_ENTRY(rate_zero_is_unlimited), TEST_CASE_ENTRY(real_clock))
