/* Messages and the progress line, on a stream main owns (stderr). */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "vigie/core.h"

void vigie_log_init(vigie_log *log, FILE *stream, vigie_log_level level) {
  const char *no_color = getenv("NO_COLOR");
  bool tty = isatty(fileno(stream)) == 1;
  log->stream = stream;
  log->level = level;
  /* https://no-color.org: any non-empty value turns colour off. */
  log->color = tty && (no_color == NULL || no_color[0] == '\0');
  log->progress = tty;
  log->progress_shown = false;
}

void vigie_log_progress_clear(vigie_log *log) {
  if (!log->progress_shown) return;
  fputs("\r\033[K", log->stream);
  fflush(log->stream);
  log->progress_shown = false;
}

__attribute__((format(printf, 5, 0))) static void log_emit(vigie_log *log, vigie_log_level level,
                                                           const char *label, const char *color,
                                                           const char *fmt, va_list ap) {
  if (level > log->level) return;
  vigie_log_progress_clear(log);
  if (log->color)
    fprintf(log->stream, "vigie: %s%s\033[0m: ", color, label);
  else
    fprintf(log->stream, "vigie: %s: ", label);
  vfprintf(log->stream, fmt, ap);
  fputc('\n', log->stream);
  fflush(log->stream);
}

#define VIGIE_LOG_FN(fn, lvl, label, color)                   \
  void fn(vigie_log *log, const char *fmt, ...) {             \
    va_list ap;                                               \
    va_start(ap, fmt);                                        \
    log_emit(log, lvl, label, color, fmt, ap);                \
    va_end(ap);                                               \
  }

/* Errors show even with -q: quiet silences chatter, never failures. */
VIGIE_LOG_FN(vigie_log_error, VIGIE_LOG_QUIET, "error", "\033[1;31m")
VIGIE_LOG_FN(vigie_log_warn, VIGIE_LOG_WARN, "warning", "\033[1;33m")
VIGIE_LOG_FN(vigie_log_info, VIGIE_LOG_INFO, "info", "\033[1;34m")
VIGIE_LOG_FN(vigie_log_verbose, VIGIE_LOG_VERBOSE, "verbose", "\033[36m")
VIGIE_LOG_FN(vigie_log_debug, VIGIE_LOG_DEBUG, "debug", "\033[2m")

void vigie_log_progress(vigie_log *log, const char *fmt, ...) {
  if (!log->progress || log->level < VIGIE_LOG_INFO) return;
  va_list ap;
  va_start(ap, fmt);
  fputs("\r\033[K", log->stream);
  vfprintf(log->stream, fmt, ap);
  va_end(ap);
  fflush(log->stream);
  log->progress_shown = true;
}
