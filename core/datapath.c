/* vigie core — where the data files of rules/ are found.
 *
 * Order: $VIGIE_RULES_DIR (tests, a consultant's own rules), the source tree's
 * rules/ (running from a build directory), then the installed data directory.
 * The first directory that holds the file wins.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vigie/core.h"
#include "vigie_config.h"

/* Only a plain relative path below rules/: no way out through "/" or "..". */
static bool relative_is_safe(const char *rel) {
  const char *p = rel;
  if (*rel == '\0' || *rel == '/') return false;
  while (p != NULL) {
    if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0')) return false;
    p = strchr(p, '/');
    if (p != NULL) p++;
  }
  return true;
}

static char *join_path(const char *dir, const char *rel) {
  size_t len = strlen(dir) + 1 + strlen(rel) + 1;
  char *path = vigie_malloc(len);
  if (path != NULL) snprintf(path, len, "%s/%s", dir, rel);
  return path;
}

char *vigie_data_path(const char *relative, vigie_error *err) {
  /* secure_getenv: a binary given raw-socket capabilities must not let the
   * user who runs it swap the rules it reads. */
  const char *env = secure_getenv("VIGIE_RULES_DIR");
  const char *dirs[3] = {env != NULL && *env != '\0' ? env : NULL, VIGIE_SOURCE_RULES_DIR,
                         VIGIE_INSTALLED_RULES_DIR};
  struct stat st;
  if (relative == NULL || !relative_is_safe(relative)) {
    vigie_fail(err, VIGIE_EINVAL, "data file \"%s\": not a relative path inside rules/",
               relative != NULL ? relative : "(null)");
    return NULL;
  }
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
    if (dirs[i] == NULL) continue;
    char *path = join_path(dirs[i], relative);
    if (path == NULL) {
      vigie_fail(err, VIGIE_ENOMEM, "data file \"%s\": out of memory", relative);
      return NULL;
    }
    if (stat(path, &st) == 0) return path;
    vigie_free(path);
  }
  vigie_fail(err, VIGIE_ENOENT, "data file \"%s\" not found in %s%s%s, %s", relative,
             dirs[0] != NULL ? dirs[0] : "", dirs[0] != NULL ? ", " : "", VIGIE_SOURCE_RULES_DIR,
             VIGIE_INSTALLED_RULES_DIR);
  return NULL;
}
