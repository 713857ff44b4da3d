/* rpt_build: the report from scan and directory results. Reads every
 * input, joins the rule catalogue, applies waivers, compares with previous
 * reports, scores, then sorts the model (rpt_model_finish). */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "report/build_int.h"

bool rpt_finess_valid(const char *s) {
  if (!s || strlen(s) != 9) return false;
  /* Corsica's numbers start with 2A or 2B (département codes) */
  size_t i = (s[0] == '2' && (s[1] == 'A' || s[1] == 'B')) ? 2 : 0;
  for (; i < 9; i++)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

bool rpt_format_time(time_t t, char buf[21]) {
  struct tm tm;
  return gmtime_r(&t, &tm) && strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 20;
}

bool rpt_parse_date(const char *text, time_t *out) {
  int y, m, d;
  char tail;
  if (!text || strlen(text) < 10 || sscanf(text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) < 3 ||
      text[4] != '-' || text[7] != '-' || (text[10] != '\0' && text[10] != 'T'))
    return false;
  struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
  time_t t = timegm(&tm);
  struct tm back;
  /* timegm normalises 2027-02-30 to March: a round trip catches it */
  if (t == (time_t)-1 || !gmtime_r(&t, &back) || back.tm_year != y - 1900 ||
      back.tm_mon != m - 1 || back.tm_mday != d)
    return false;
  *out = t;
  return true;
}

/* An RFC 4122 version 4 UUID from the CSPRNG. */
static const char *make_uuid(rpt_report *r) {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) return NULL;
  b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
  return rpt_model_strf(r,
                        "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                        b[12], b[13], b[14], b[15]);
}

static vigie_status header(rpt_report *r, const rpt_build_options *o, vigie_error *err) {
  const char *lang = o->lang ? o->lang : "fr";
  if (strcmp(lang, "fr") != 0 && strcmp(lang, "en") != 0)
    return vigie_fail(err, VIGIE_ESYNTAX, "language \"%s\": expected fr or en", lang);
  if (o->finess && !rpt_finess_valid(o->finess))
    return vigie_fail(err, VIGIE_ESYNTAX, "FINESS \"%s\": expected 9 digits", o->finess);
  char when[21];
  if (!rpt_format_time(o->now, when))
    return vigie_fail(err, VIGIE_ERANGE, "report time out of range");
  r->uuid = make_uuid(r);
  r->created = rpt_model_str(r, when);
  r->lang = lang[0] == 'e' ? "en" : "fr";
  r->establishment = rpt_model_str(r, o->establishment);
  r->finess = rpt_model_str(r, o->finess);
  r->tool_version = VIGIE_VERSION_STRING;
  if (!r->uuid || !r->created || (o->establishment && !r->establishment) ||
      (o->finess && !r->finess))
    return vigie_fail(err, VIGIE_ENOMEM, "report: out of memory (or no random bytes for the uuid)");
  return VIGIE_OK;
}

static vigie_status inputs(rpt_report *r, const rpt_build_options *o, const rpt_catalogue *cat,
                           rpt_dir_level *dirs, vigie_error *err) {
  vigie_status status = VIGIE_OK;
  for (size_t i = 0; i < o->scan_count && status == VIGIE_OK; i++)
    status = rpt_in_scan(r, cat, o->scans[i], err);
  for (size_t i = 0; i < o->directory_count && status == VIGIE_OK; i++)
    status = rpt_in_directory(r, cat, o->directories[i], &dirs[i], err);
  return status;
}

/* Previous reports are read back from their report.xml (build_previous.c). */
static vigie_status previous(rpt_report *r, const rpt_build_options *o, vigie_error *err) {
  return rpt_build_previous(r, o->previous, o->previous_count, err);
}

vigie_status rpt_build(const rpt_build_options *o, rpt_report **out, vigie_error *err) {
  if (!o || !out) return vigie_fail(err, VIGIE_EINVAL, "rpt_build: bad argument");
  rpt_report *r = rpt_model_new();
  rpt_levels *lv = NULL;
  rpt_catalogue *cat = NULL;
  rpt_dir_level *dirs = vigie_calloc(o->directory_count + 1, sizeof *dirs);
  vigie_status status = r && dirs ? header(r, o, err)
                                  : vigie_fail(err, VIGIE_ENOMEM, "report: out of memory");
  if (status == VIGIE_OK) status = rpt_levels_load(NULL, &lv, err);
  if (status == VIGIE_OK) status = rpt_catalogue_load(lv, &cat, err);
  if (status == VIGIE_OK) status = rpt_catalogue_stamp(r, err);
  if (status == VIGIE_OK) status = inputs(r, o, cat, dirs, err);
  if (status == VIGIE_OK && o->waivers) status = rpt_waivers_read(r, cat, o->waivers, err);
  if (status == VIGIE_OK) status = previous(r, o, err);
  if (status == VIGIE_OK) status = rpt_waivers_apply(r, o->now, err);
  if (status == VIGIE_OK) status = rpt_score(r, lv, dirs, o->directory_count, err);
  if (status == VIGIE_OK) status = rpt_model_finish(r, err);
  rpt_catalogue_free(cat);
  rpt_levels_free(lv);
  vigie_free(dirs);
  if (status != VIGIE_OK) {
    rpt_report_free(r);
    return status;
  }
  *out = r;
  return VIGIE_OK;
}
