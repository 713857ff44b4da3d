/* The protocol modules in the order the engine tries them on a port no
 * module lists: svc_common.c's scan_svc_all, counted once here so the
 * engine (and its tests, which pass their own list) see an array and a
 * length. */
#include "scanner/scan_int.h"

const scan_svc_module *const *scan_svc_registry(size_t *count) {
  size_t n = 0;
  while (scan_svc_all[n] != NULL) n++;
  *count = n;
  return scan_svc_all;
}
