/* The status enum's messages and the error detail carried up to main. */
#include <stdio.h>
#include <string.h>

#include "vigie/status.h"

const char *vigie_strerror(vigie_status status) {
  /* No default: -Wswitch makes a new status without a message a build error. */
  switch (status) {
  case VIGIE_OK: return "success";
  case VIGIE_ENOMEM: return "out of memory";
  case VIGIE_EINVAL: return "invalid argument (internal error)";
  case VIGIE_ESYNTAX: return "malformed input";
  case VIGIE_ERANGE: return "value out of range";
  case VIGIE_ENOENT: return "no such file or item";
  case VIGIE_EIO: return "input/output error";
  case VIGIE_ETOOBIG: return "input too large";
  case VIGIE_EXML: return "XML is not well-formed";
  case VIGIE_EXML_DOCTYPE: return "XML DOCTYPE refused";
  case VIGIE_ESCHEMA: return "XML does not match its schema";
  case VIGIE_EPERM: return "operation not permitted";
  case VIGIE_EEMPTY: return "nothing to do";
  case VIGIE_EUSAGE: return "usage error";
  case VIGIE_ECONNECT: return "server unreachable";
  case VIGIE_EAUTH: return "authentication refused";
  case VIGIE_ETLS: return "TLS failure";
  case VIGIE_EPROTO: return "protocol error or connection cut";
  case VIGIE_ETIMEOUT: return "timed out";
  case VIGIE_EVERIFY: return "verification failed";
  }
  return "unknown status";
}

vigie_status vigie_vfail(vigie_error *err, vigie_status status, const char *fmt, va_list ap) {
  if (err == NULL) return status;
  err->status = status;
  int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  if (n < 0) err->msg[0] = '\0';
  return status;
}

vigie_status vigie_fail(vigie_error *err, vigie_status status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vigie_vfail(err, status, fmt, ap);
  va_end(ap);
  return status;
}

void vigie_error_clear(vigie_error *err) {
  if (err == NULL) return;
  err->status = VIGIE_OK;
  err->msg[0] = '\0';
}

const char *vigie_error_text(const vigie_error *err) {
  if (err->msg[0] != '\0') return err->msg;
  return vigie_strerror(err->status);
}
