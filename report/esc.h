/* What the text outputs of report/ share, private to report/: a growable
 * buffer, UTF-8 decoding that replaces invalid bytes, escaping for HTML and
 * JSON, a CSV cell and row writer that defuses spreadsheet formulas, and the
 * CSP hash of an inline block.
 *
 * Every escaper reads untrusted UTF-8 (banners, directory values): invalid
 * sequences become U+FFFD (one per maximal invalid subpart, as Python and
 * browsers do), so the outputs are always valid UTF-8. */
#ifndef VIGIE_REPORT_ESC_H
#define VIGIE_REPORT_ESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vigie/report.h"

/* ------------------------------------------------------------- buffer */

/* A byte string that grows; an allocation failure sets nomem and makes
 * every later add a no-op, so writers check once at the end. */
typedef struct rpt_buf {
  char *data;
  size_t len, cap;
  bool nomem;
} rpt_buf;

void rpt_buf_add(rpt_buf *b, const char *s, size_t n);
void rpt_buf_adds(rpt_buf *b, const char *s); /* NULL adds nothing */
void rpt_buf_addc(rpt_buf *b, char c);
void rpt_buf_addf(rpt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** The text, NUL-terminated ("" when empty). \return borrowed until the next add. */
const char *rpt_buf_str(rpt_buf *b);
/** Write the bytes to out and empty the buffer. \return false on a write error. */
bool rpt_buf_flush(rpt_buf *b, FILE *out);
void rpt_buf_free(rpt_buf *b);

/* --------------------------------------------------------------- UTF-8 */

/** Decode one character of s (len > 0 bytes left). On an invalid sequence
 * *cp is U+FFFD and the count is the maximal invalid subpart (at least 1).
 * \return bytes consumed. */
size_t rpt_utf8_decode(const char *s, size_t len, uint32_t *cp);
/** Append cp as UTF-8. */
void rpt_utf8_add(rpt_buf *b, uint32_t cp);

/* -------------------------------------------------------------- escapes */

/** HTML text or quoted attribute value: & < > " ' escaped, controls other
 * than TAB, LF, CR dropped, invalid UTF-8 replaced. NULL adds nothing. */
void rpt_esc_html(rpt_buf *b, const char *s);

/** A JSON string with its quotes: every control as \uXXXX, U+2028/2029
 * escaped, "</" written "<\/", invalid UTF-8 replaced. At most cap bytes of
 * s are kept (0: no cap), followed by marker when cut. NULL writes "". */
void rpt_esc_json(rpt_buf *b, const char *s, size_t cap, const char *marker);

/** Add s cut to at most cap bytes at a character boundary, cleaned for a
 * table cell: invalid UTF-8 replaced, controls other than LF dropped;
 * marker appended when cut. \return whether it was cut. */
bool rpt_clean_cell(rpt_buf *b, const char *s, size_t cap, const char *marker);

/* "… (tronqué)" or "… (truncated)" */
const char *rpt_cut_marker(const char *lang);

/* ------------------------------------------------------------------ CSV */

/* Excel's cell limit is 32,767 characters: stay under it in bytes. */
#define RPT_CSV_CELL_MAX 32000u

/* One CSV stream (RFC 4180: quoted when needed, CRLF after each row). */
typedef struct rpt_csvw {
  FILE *out;
  char sep;
  size_t col;    /* cells written in the current row */
  bool io_error; /* a block could not be written */
  const char *marker;
  rpt_buf row;  /* the current row, written at its end */
  rpt_buf cell; /* scratch for one cell */
} rpt_csvw;

/** Start a stream on out; writes the BOM when opts ask. opts may be NULL. */
void rpt_csvw_init(rpt_csvw *w, FILE *out, const rpt_csv_options *opts, const char *lang);
/** One cell: cleaned, capped at RPT_CSV_CELL_MAX, prefixed with ' when it
 * would start with = + - @ TAB or CR (a formula in a spreadsheet), quoted
 * when it holds the separator, a quote, LF or CR. NULL is an empty cell. */
void rpt_csvw_cell(rpt_csvw *w, const char *text);
void rpt_csvw_cellf(rpt_csvw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rpt_csvw_end_row(rpt_csvw *w);
/** Flush, free, and report: VIGIE_ENOMEM, VIGIE_EIO naming what. */
vigie_status rpt_csvw_finish(rpt_csvw *w, const char *what, vigie_error *err);

/* ------------------------------------------------------------------ CSP */

/* "sha256-" + base64 of 32 bytes + NUL */
#define RPT_CSP_HASH_LEN 52

/** The CSP source of an inline block: "sha256-<base64 of SHA-256(text)>".
 * \return false when OpenSSL fails. */
bool rpt_csp_hash(const char *text, size_t len, char out[RPT_CSP_HASH_LEN]);

/* --------------------------------------------------------------- dates */

/** "YYYY-MM-DD" from an xs:dateTime (its first 10 characters when they are
 * a date), or "" when s is not one. */
void rpt_date_of(const char *s, char out[11]);

#endif
