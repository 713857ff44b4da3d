/* The registry of protocol modules: one const table per scanner/svc_<proto>.c
 * file (zmap's probe-module array). scanner/meson.build lists the module
 * files present in the tree and generates scanner/svc_list.h, one
 * SCAN_SVC_MODULE(proto) per file, in the generic order the engine tries
 * them on a port no module lists: the common client-first protocols first. */
#include <string.h>

#include "vigie/scanner.h"

#define SCAN_SVC_MODULE(proto) extern const scan_svc_module scan_svc_##proto;
#include "scanner/svc_list.h"
#undef SCAN_SVC_MODULE

#define SCAN_SVC_MODULE(proto) &scan_svc_##proto,
static const scan_svc_module *const registry[] = {
#include "scanner/svc_list.h"
    NULL, /* keeps the array non-empty when no module is built in */
};
#undef SCAN_SVC_MODULE

const scan_svc_module *const *scan_svc_registry(size_t *count) {
  *count = sizeof registry / sizeof registry[0] - 1;
  return registry;
}

const scan_svc_module *scan_svc_find(const char *name) {
  size_t n;
  const scan_svc_module *const *all = scan_svc_registry(&n);
  for (size_t i = 0; name != NULL && i < n; i++)
    if (strcmp(all[i]->name, name) == 0) return all[i];
  return NULL;
}
