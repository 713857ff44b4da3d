/* Proof bundle: list every file under the bundle's folder, sorted bytewise
 * as `LC_ALL=C sort` would, without following symbolic links. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/bundle_int.h"

/* Deep enough for any report; keeps a hostile tree from costing stack. */
#define WALK_MAX_DEPTH 64

static vigie_status walk_add(rpt_bundle_list *l, const char *path, rpt_bundle_kind kind,
                             vigie_error *err) {
  if (l->count >= RPT_BUNDLE_MAX_FILES)
    return vigie_fail(err, VIGIE_ETOOBIG, "more than %d files", RPT_BUNDLE_MAX_FILES);
  rpt_bundle_file f = {vigie_strdup(path), kind};
  if (f.path == NULL || !vigie_grow((void **)&l->v, l->count, &l->cap, sizeof *l->v)) {
    vigie_free(f.path);
    return vigie_fail(err, VIGIE_ENOMEM, "out of memory listing files");
  }
  l->v[l->count++] = f;
  return VIGIE_OK;
}

static vigie_status walk_dir(int fd, const char *prefix, int depth, rpt_bundle_list *l,
                             vigie_error *err);

static vigie_status walk_entry(int dirfd, const char *prefix, const char *name, int depth,
                               rpt_bundle_list *l, vigie_error *err) {
  char path[RPT_BUNDLE_PATH_MAX + 1];
  int n = snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "/" : "", name);
  if (n < 0 || (size_t)n >= sizeof path)
    return vigie_fail(err, VIGIE_ETOOBIG, "%s/%s: path too long", prefix, name);
  if (depth == 0 && rpt_bundle_reserved(path)) return VIGIE_OK;
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return vigie_fail(err, VIGIE_EIO, "%s: %s", path, strerror(errno));
  const char *why = rpt_bundle_path_check(path, (size_t)n);
  if (why != NULL) return walk_add(l, path, RPT_BUNDLE_BADNAME, err);
  if (S_ISLNK(st.st_mode)) return walk_add(l, path, RPT_BUNDLE_SYMLINK, err);
  if (S_ISREG(st.st_mode)) return walk_add(l, path, RPT_BUNDLE_REGULAR, err);
  if (!S_ISDIR(st.st_mode)) return walk_add(l, path, RPT_BUNDLE_SPECIAL, err);
  if (depth + 1 >= WALK_MAX_DEPTH)
    return vigie_fail(err, VIGIE_ETOOBIG, "%s: folders nested deeper than %d", path,
                      WALK_MAX_DEPTH);
  int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sub < 0) return vigie_fail(err, VIGIE_EIO, "%s: %s", path, strerror(errno));
  return walk_dir(sub, path, depth + 1, l, err); /* closes sub */
}

/* Takes fd and closes it. */
static vigie_status walk_dir(int fd, const char *prefix, int depth, rpt_bundle_list *l,
                             vigie_error *err) {
  DIR *d = fdopendir(fd);
  if (d == NULL) {
    close(fd);
    return vigie_fail(err, VIGIE_EIO, "%s: %s", prefix[0] ? prefix : ".", strerror(errno));
  }
  vigie_status status = VIGIE_OK;
  for (struct dirent *de; status == VIGIE_OK && (errno = 0, de = readdir(d)) != NULL;) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    status = walk_entry(dirfd(d), prefix, de->d_name, depth, l, err);
  }
  if (status == VIGIE_OK && errno != 0)
    status = vigie_fail(err, VIGIE_EIO, "%s: %s", prefix[0] ? prefix : ".", strerror(errno));
  closedir(d);
  return status;
}

static int file_cmp(const void *a, const void *b) {
  return strcmp(((const rpt_bundle_file *)a)->path, ((const rpt_bundle_file *)b)->path);
}

vigie_status rpt_bundle_walk(int rootfd, const char *dir, rpt_bundle_list *out, vigie_error *err) {
  rpt_bundle_list l = {0};
  int fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return vigie_fail(err, VIGIE_EIO, "%s: %s", dir, strerror(errno));
  vigie_status status = walk_dir(fd, "", 0, &l, err);
  if (status != VIGIE_OK) {
    rpt_bundle_list_clear(&l);
    return status;
  }
  /* strcmp compares as unsigned char: the bytewise order of sort(1) in C. */
  if (l.count > 1) qsort(l.v, l.count, sizeof *l.v, file_cmp);
  *out = l;
  return VIGIE_OK;
}

void rpt_bundle_list_clear(rpt_bundle_list *l) {
  for (size_t i = 0; i < l->count; i++) vigie_free(l->v[i].path);
  vigie_free(l->v);
  *l = (rpt_bundle_list){0};
}
