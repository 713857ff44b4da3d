/* Output files that appear whole or not at all: temp file beside the final
 * one (same file system, so rename is atomic), fsync, rename, fsync dir. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vigie/core.h"

struct vigie_afile {
  FILE *stream;
  char *final_path;
  char *tmp_path;
};

static char *afile_tmp_template(const char *path) {
  char *copy = vigie_strdup(path);
  if (copy == NULL) return NULL;
  char *dir = dirname(copy);
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t len = strlen(dir) + strlen(base) + 32;
  char *tmpl = vigie_malloc(len);
  if (tmpl != NULL) snprintf(tmpl, len, "%s/.%s.vigie-tmp-0000000000000000", dir, base);
  vigie_free(copy);
  return tmpl;
}

/* mkstemp would make the file 0600; open(2) with 0666 lets the umask decide,
 * as for any output file, without touching the process-wide umask. */
static int afile_create_tmp(char *tmpl) {
  size_t len = strlen(tmpl);
  for (int attempt = 0; attempt < 64; attempt++) {
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) r ^= (uint64_t)getpid() * 2654435761u + (uint64_t)attempt;
    snprintf(tmpl + len - 16, 17, "%016llx", (unsigned long long)r);
    int fd = open(tmpl, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  errno = EEXIST;
  return -1;
}

static void afile_destroy(vigie_afile *f) {
  if (f->stream != NULL) fclose(f->stream);
  vigie_free(f->final_path);
  vigie_free(f->tmp_path);
  vigie_free(f);
}

vigie_status vigie_afile_open(const char *path, vigie_afile **out, vigie_error *err) {
  vigie_status status = VIGIE_OK;
  int fd = -1;
  *out = NULL;
  if (path[0] == '\0') return vigie_fail(err, VIGIE_EINVAL, "empty output file name");
  vigie_afile *f = vigie_calloc(1, sizeof *f);
  if (f == NULL) return vigie_fail(err, VIGIE_ENOMEM, "%s: out of memory", path);
  f->final_path = vigie_strdup(path);
  f->tmp_path = afile_tmp_template(path);
  if (f->final_path == NULL || f->tmp_path == NULL) {
    status = vigie_fail(err, VIGIE_ENOMEM, "%s: out of memory", path);
    goto done;
  }
  fd = afile_create_tmp(f->tmp_path);
  if (fd < 0) {
    status = vigie_fail(err, errno == EACCES ? VIGIE_EPERM : VIGIE_EIO,
                        "%s: cannot create a temporary file beside it: %s", path, strerror(errno));
    f->tmp_path[0] = '\0';
    goto done;
  }
  f->stream = fdopen(fd, "w");
  if (f->stream == NULL) {
    status = vigie_fail(err, VIGIE_EIO, "%s: %s", path, strerror(errno));
    close(fd);
    unlink(f->tmp_path);
    f->tmp_path[0] = '\0';
    goto done;
  }
  *out = f;
  return VIGIE_OK;
done:
  afile_destroy(f);
  return status;
}

FILE *vigie_afile_stream(vigie_afile *f) { return f->stream; }

static void afile_sync_dir(const char *path) {
  char *copy = vigie_strdup(path);
  if (copy == NULL) return;
  int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)fsync(dfd);
    close(dfd);
  }
  vigie_free(copy);
}

vigie_status vigie_afile_commit(vigie_afile *f, vigie_error *err) {
  vigie_status status = VIGIE_OK;
  FILE *stream = f->stream;
  f->stream = NULL;
  bool ok = fflush(stream) == 0 && !ferror(stream) && fsync(fileno(stream)) == 0;
  int saved = errno;
  if (fclose(stream) != 0 && ok) {
    ok = false;
    saved = errno;
  }
  if (!ok) {
    status = vigie_fail(err, VIGIE_EIO, "%s: write failed: %s", f->final_path, strerror(saved));
    unlink(f->tmp_path);
    goto done;
  }
  if (rename(f->tmp_path, f->final_path) != 0) {
    status = vigie_fail(err, VIGIE_EIO, "%s: cannot rename the temporary file over it: %s",
                        f->final_path, strerror(errno));
    unlink(f->tmp_path);
    goto done;
  }
  afile_sync_dir(f->final_path);
done:
  afile_destroy(f);
  return status;
}

void vigie_afile_abort(vigie_afile *f) {
  if (f == NULL) return;
  if (f->stream != NULL) {
    fclose(f->stream);
    f->stream = NULL;
  }
  if (f->tmp_path[0] != '\0') unlink(f->tmp_path);
  afile_destroy(f);
}
