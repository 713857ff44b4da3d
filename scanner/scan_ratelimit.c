/* vigie scanner — the token bucket behind --rate, and the clock it reads.
 *
 * Tokens flow in at rate a second and the bucket keeps at most burst of
 * them, so over any window of W seconds at most burst + rate * W packets
 * are granted, whatever the batch sizes. The bucket starts with one token,
 * not a full burst: the first window is then held to about rate * W too,
 * and a scan never opens with a spike.
 *
 * The caller passes the time in, so tests can drive a simulated clock and
 * the sender reads the clock once per batch.
 */
#include <time.h>

#include "vigie/scanner.h"

/* Tokens are counted in doubles: a grant keeps its fraction, so the rate
 * holds exactly over long runs. A hair of slack absorbs rounding, so that
 * after waiting scan_ratelimit_delay_ns a token is really there. */
#define TOKEN_SLACK 1e-6

void scan_ratelimit_init(scan_ratelimit *rl, double rate, unsigned burst, uint64_t now_ns) {
  rl->rate = rate > 0 ? rate : 0;
  rl->burst = burst ? (double)burst : 1.0;
  rl->tokens = 1.0;
  rl->last_ns = now_ns;
}

/* The tokens held at now_ns. A clock that went backwards adds nothing. */
static double tokens_at(const scan_ratelimit *rl, uint64_t now_ns) {
  double tokens = rl->tokens;
  if (now_ns > rl->last_ns) tokens += (double)(now_ns - rl->last_ns) * rl->rate * 1e-9;
  return tokens < rl->burst ? tokens : rl->burst;
}

unsigned scan_ratelimit_take(scan_ratelimit *rl, unsigned want, uint64_t now_ns) {
  double tokens, whole;
  unsigned granted;
  if (rl->rate <= 0) return want;
  tokens = tokens_at(rl, now_ns);
  if (now_ns > rl->last_ns) rl->last_ns = now_ns;
  whole = tokens + TOKEN_SLACK;
  granted = whole >= (double)want ? want : (whole >= 1.0 ? (unsigned)whole : 0u);
  rl->tokens = tokens - (double)granted; /* may dip by the slack: repaid next time */
  return granted;
}

uint64_t scan_ratelimit_delay_ns(const scan_ratelimit *rl, uint64_t now_ns) {
  double missing;
  if (rl->rate <= 0) return 0;
  /* Half the slack: the token is then there with room to spare for the
   * rounding of the sums in between. */
  missing = 1.0 - TOKEN_SLACK / 2 - tokens_at(rl, now_ns);
  if (missing <= 0) return 0;
  /* Rounded up, so that waiting this long is always enough. */
  double ns = missing * 1e9 / rl->rate;
  if (ns >= 18e18) return UINT64_MAX; /* an absurdly low rate: "never" */
  uint64_t whole = (uint64_t)ns;
  return (double)whole < ns ? whole + 1 : whole;
}

uint64_t scan_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
