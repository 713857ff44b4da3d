/* Logging: colour only on a terminal and without NO_COLOR; progress lines only
 * on a terminal; -q keeps errors. A pseudo-terminal stands in for the user's. */
#include <pty.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "vigie/core.h"

/* Log through fn into a stream (a pty or a pipe) and return what came out. */
typedef struct capture {
  int read_fd;
  FILE *stream;
} capture;

static bool capture_open(capture *c, bool tty) {
  int fds[2];
  if (tty) {
    if (openpty(&fds[0], &fds[1], NULL, NULL, NULL) != 0) return false;
  } else if (pipe(fds) != 0) {
    return false;
  }
  c->read_fd = fds[0];
  c->stream = fdopen(fds[1], "w");
  return c->stream != NULL;
}

/* Read until end of data: one read() may return only part of what was
 * written (a pty hands it over in chunks); a closed pty reads EIO at the end. */
static const char *capture_read(capture *c) {
  static char buf[4096];
  size_t len = 0;
  fclose(c->stream);
  for (ssize_t n; len < sizeof buf - 1 && (n = read(c->read_fd, buf + len, sizeof buf - 1 - len)) > 0;)
    len += (size_t)n;
  close(c->read_fd);
  buf[len] = '\0';
  return buf;
}

TEST(colour_on_a_terminal) {
  capture c;
  unsetenv("NO_COLOR");
  REQUIRE(capture_open(&c, true));
  vigie_log log;
  vigie_log_init(&log, c.stream, VIGIE_LOG_INFO);
  CHECK(log.color && log.progress);
  vigie_log_error(&log, "target \"%s\" is bad", "x");
  const char *out = capture_read(&c);
  CHECK(strstr(out, "\033[") != NULL);
  CHECK(strstr(out, "target \"x\" is bad") != NULL);
}

TEST(no_color_turns_colour_off) {
  capture c;
  setenv("NO_COLOR", "1", 1);
  REQUIRE(capture_open(&c, true));
  vigie_log log;
  vigie_log_init(&log, c.stream, VIGIE_LOG_INFO);
  CHECK(!log.color);
  CHECK(log.progress); /* NO_COLOR is about colour, not about progress */
  vigie_log_warn(&log, "careful");
  const char *out = capture_read(&c);
  CHECK(strstr(out, "\033[1") == NULL);
  CHECK(strstr(out, "vigie: warning: careful") != NULL);
  unsetenv("NO_COLOR");
}

TEST(empty_no_color_keeps_colour) {
  capture c;
  setenv("NO_COLOR", "", 1);
  REQUIRE(capture_open(&c, true));
  vigie_log log;
  vigie_log_init(&log, c.stream, VIGIE_LOG_INFO);
  CHECK(log.color);
  capture_read(&c);
  unsetenv("NO_COLOR");
}

TEST(no_progress_or_colour_on_a_pipe) {
  capture c;
  unsetenv("NO_COLOR");
  REQUIRE(capture_open(&c, false));
  vigie_log log;
  vigie_log_init(&log, c.stream, VIGIE_LOG_INFO);
  CHECK(!log.color && !log.progress);
  vigie_log_progress(&log, "42%% done");
  vigie_log_info(&log, "finished");
  CHECK_STR(capture_read(&c), "vigie: info: finished\n");
}

TEST(progress_line_is_erased_before_a_message) {
  capture c;
  setenv("NO_COLOR", "1", 1);
  REQUIRE(capture_open(&c, true));
  vigie_log log;
  vigie_log_init(&log, c.stream, VIGIE_LOG_INFO);
  vigie_log_progress(&log, "rate 10 kpps");
  CHECK(log.progress_shown);
  vigie_log_info(&log, "found");
  CHECK(!log.progress_shown);
  const char *out = capture_read(&c);
  const char *progress = strstr(out, "rate 10 kpps");
  const char *erase = progress ? strstr(progress, "\r\033[K") : NULL;
  CHECK(progress != NULL && erase != NULL && strstr(erase, "vigie: info: found") != NULL);
  unsetenv("NO_COLOR");
}

TEST(levels_filter_messages) {
  capture c;
  REQUIRE(capture_open(&c, false));
  vigie_log log;
  vigie_log_init(&log, c.stream, VIGIE_LOG_QUIET);
  vigie_log_warn(&log, "hidden");
  vigie_log_info(&log, "hidden");
  vigie_log_debug(&log, "hidden");
  vigie_log_error(&log, "shown");
  CHECK_STR(capture_read(&c), "vigie: error: shown\n");
}

TEST_MAIN(TEST_CASE_ENTRY(colour_on_a_terminal), TEST_CASE_ENTRY(no_color_turns_colour_off),
          TEST_CASE_ENTRY(empty_no_color_keeps_colour), TEST_CASE_ENTRY(no_progress_or_colour_on_a_pipe),
          TEST_CASE_ENTRY(progress_line_is_erased_before_a_message), TEST_CASE_ENTRY(levels_filter_messages))
