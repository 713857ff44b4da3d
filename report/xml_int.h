/* Private to report/: what report.xml's writer (out_xml.c) and reader
 * (in_xml.c) share, and the reader's entry on a buffer for the fuzz
 * target. */
#ifndef VIGIE_REPORT_XML_INT_H
#define VIGIE_REPORT_XML_INT_H

#include "vigie/report.h"

/* report.xml files can hold every object of 100,000 findings: more than the
 * reader's 64 MB default, still bounded. */
#define RPT_XML_MAX_FILE (512u * 1024u * 1024u)

/** Read a report.xml held in memory; name is used in messages.
 * \param[out] out  caller frees with rpt_report_free */
vigie_status rpt_xml_read_memory(const char *data, size_t len, const char *name, rpt_report **out,
                                 vigie_error *err);

/** What both sides require of a model beyond the schema's types: every
 * required string present, every index in range. Errors name the item. */
vigie_status rpt_xml_check_model(const rpt_report *r, vigie_error *err);

/** "2026-11-25T23:59:59Z" for t (buf of 21 bytes or more). \return false
 * when t is out of the years 0..9999. */
bool rpt_xml_format_time(time_t t, char *buf, size_t len);
/** Parse an xs:dateTime in UTC ("Z", optional fraction, dropped).
 * \return false when malformed. */
bool rpt_xml_parse_time(const char *s, time_t *out);

#endif
