/* Directory times to Unix time: FILETIME integers (AD's Integer8 dates)
 * and GeneralizedTime (RFC 4517 3.3.13). Both come from the server, so
 * every field is range-checked and nothing past the text is read. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vigie/ldap_audit.h"

/* Seconds between 1601-01-01 and 1970-01-01, and FILETIME ticks a second. */
#define FILETIME_UNIX_OFFSET INT64_C(11644473600)
#define FILETIME_TICKS INT64_C(10000000)

vigie_status ldapa_filetime_parse(const char *text, time_t *out) {
  if (text == NULL || !(isdigit((unsigned char)text[0]) || text[0] == '-')) return VIGIE_ESYNTAX;
  char *end = NULL;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (end == text || *end != '\0' || errno == ERANGE) return VIGIE_ESYNTAX;
  /* 0 is "never set", INT64_MAX "never expires": neither is a date. */
  if (v == 0 || v == INT64_MAX) return VIGIE_ENOENT;
  /* Negative values are durations (maxPwdAge...), not dates. */
  if (v < 0) return VIGIE_ESYNTAX;
  *out = (time_t)(v / FILETIME_TICKS - FILETIME_UNIX_OFFSET);
  return VIGIE_OK;
}

/* Read exactly n digits at *p. */
static bool gt_digits(const char **p, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char)(*p)[i])) return false;
    v = v * 10 + ((*p)[i] - '0');
  }
  *p += n;
  *out = v;
  return true;
}

static bool gt_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int gt_month_days(int y, int m) {
  static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && gt_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (no time zone
 * database involved, so the result does not depend on TZ). */
static int64_t gt_days(int y, int m, int d) {
  int64_t yy = y - (m <= 2);
  int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
  int64_t yoe = yy - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* The optional fraction: '.' or ',' and at least one digit (ignored: the
 * ages rules use are in days). */
static bool gt_fraction(const char **p) {
  if (**p != '.' && **p != ',') return true;
  (*p)++;
  if (!isdigit((unsigned char)**p)) return false;
  while (isdigit((unsigned char)**p)) (*p)++;
  return true;
}

/* "Z" or "+hh[mm]" / "-hh[mm]", then the end of the text. */
static bool gt_zone(const char *p, int *offset_s) {
  *offset_s = 0;
  if (p[0] == 'Z') return p[1] == '\0';
  if (p[0] != '+' && p[0] != '-') return false;
  int sign = p[0] == '-' ? -1 : 1, hh = 0, mm = 0;
  p++;
  if (!gt_digits(&p, 2, &hh) || hh > 23) return false;
  if (*p != '\0' && (!gt_digits(&p, 2, &mm) || mm > 59)) return false;
  *offset_s = sign * (hh * 3600 + mm * 60);
  return *p == '\0';
}

vigie_status ldapa_gentime_parse(const char *text, time_t *out) {
  if (text == NULL) return VIGIE_ESYNTAX;
  const char *p = text;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, offset = 0;
  if (!gt_digits(&p, 4, &y) || !gt_digits(&p, 2, &mo) || !gt_digits(&p, 2, &d) ||
      !gt_digits(&p, 2, &h))
    return VIGIE_ESYNTAX;
  /* Minutes, then seconds, are optional (RFC 4517); seconds need minutes. */
  if (isdigit((unsigned char)*p) &&
      (!gt_digits(&p, 2, &mi) || (isdigit((unsigned char)*p) && !gt_digits(&p, 2, &s))))
    return VIGIE_ESYNTAX;
  if (!gt_fraction(&p) || !gt_zone(p, &offset)) return VIGIE_ESYNTAX;
  if (mo < 1 || mo > 12 || d < 1 || d > gt_month_days(y, mo) || h > 23 || mi > 59 || s > 60)
    return VIGIE_ESYNTAX;
  int64_t t = gt_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset;
  *out = (time_t)t;
  return VIGIE_OK;
}
