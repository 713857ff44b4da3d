/* Private to scanner/exposure*.c: the exposure rule object the loader
 * builds and the evaluator reads. */
#ifndef VIGIE_SCANNER_EXPOSURE_INT_H
#define VIGIE_SCANNER_EXPOSURE_INT_H

#include "vigie/scanner.h"

enum { EXP_TEXT_TITLE, EXP_TEXT_DESCRIPTION, EXP_TEXT_REMEDIATION, EXP_TEXT_COUNT };

struct scan_exposure_rule {
  char *id, *category, *confidence; /* confidence may be NULL */
  char *file;                       /* where it was loaded from */
  int line;
  scan_severity severity;
  char *text[EXP_TEXT_COUNT][2]; /* [field][0 fr, 1 en] */
  char **ref_kind, **ref_href, **ref_text;
  size_t nrefs;
  char *where;      /* the predicate as written */
  vigie_expr *expr; /* owned */
  bool port_only;   /* names only synthetic names */
};

/** Whether name is one the evaluator provides (port, address, ip_version,
 * transport) rather than a service fact. */
bool scan_exposure_is_synthetic(const char *name);

#endif
