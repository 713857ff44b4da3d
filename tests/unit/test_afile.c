/* Atomic output files: the final path holds the old content or the new one,
 * never a half-written file, and no temporary file is left behind. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "vigie/core.h"

static char dir[] = "/tmp/vigie-afile-XXXXXX";

static int count_entries(void) {
  DIR *d = opendir(dir);
  int n = 0;
  if (d == NULL) return -1;
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
  closedir(d);
  return n;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "r");
  if (f == NULL) return NULL;
  static char buf[4096];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static void path_in_dir(char *out, size_t len, const char *name) { snprintf(out, len, "%s/%s", dir, name); }

TEST(commit_creates_the_file_whole) {
  char path[256];
  path_in_dir(path, sizeof path, "report.xml");
  vigie_afile *f = NULL;
  vigie_error err = {0};
  REQUIRE(vigie_afile_open(path, &f, &err) == VIGIE_OK);
  fputs("<a/>\n", vigie_afile_stream(f));
  CHECK(access(path, F_OK) != 0); /* not visible before commit */
  CHECK(vigie_afile_commit(f, &err) == VIGIE_OK);
  CHECK_STR(slurp(path), "<a/>\n");
  CHECK(count_entries() == 1);
}

TEST(abort_keeps_the_previous_content) {
  char path[256];
  path_in_dir(path, sizeof path, "report.xml");
  vigie_afile *f = NULL;
  REQUIRE(vigie_afile_open(path, &f, NULL) == VIGIE_OK);
  fputs("half a rep", vigie_afile_stream(f));
  vigie_afile_abort(f);
  CHECK_STR(slurp(path), "<a/>\n");
  CHECK(count_entries() == 1);
}

TEST(mode_follows_umask) {
  char path[256];
  path_in_dir(path, sizeof path, "mode.txt");
  mode_t old = umask(022);
  vigie_afile *f = NULL;
  REQUIRE(vigie_afile_open(path, &f, NULL) == VIGIE_OK);
  CHECK(vigie_afile_commit(f, NULL) == VIGIE_OK);
  umask(old);
  struct stat st;
  REQUIRE(stat(path, &st) == 0);
  CHECKF((st.st_mode & 0777) == 0644, "mode %o", (unsigned)(st.st_mode & 0777));
  unlink(path);
}

/* A writer killed in the middle leaves the old file intact and only a
 * hidden temporary file, never a truncated final one. */
TEST(killed_writer_leaves_old_file) {
  char path[256];
  path_in_dir(path, sizeof path, "report.xml");
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    vigie_afile *f = NULL;
    if (vigie_afile_open(path, &f, NULL) != VIGIE_OK) _exit(1);
    fputs("<partial", vigie_afile_stream(f));
    fflush(vigie_afile_stream(f));
    abort();
  }
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  CHECK(WIFSIGNALED(wstatus));
  CHECK_STR(slurp(path), "<a/>\n");
}

TEST(missing_directory_is_named) {
  vigie_afile *f = NULL;
  vigie_error err = {0};
  CHECK(vigie_afile_open("/nonexistent-vigie-dir/out.xml", &f, &err) == VIGIE_EIO);
  CHECK(f == NULL);
  CHECK(strstr(err.msg, "/nonexistent-vigie-dir/out.xml") != NULL);
}

static void cleanup(void) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "cleanup of %s failed\n", dir);
}

static const test_case cases[] = {
    TEST_CASE_ENTRY(commit_creates_the_file_whole), TEST_CASE_ENTRY(abort_keeps_the_previous_content),
    TEST_CASE_ENTRY(mode_follows_umask), TEST_CASE_ENTRY(killed_writer_leaves_old_file),
    TEST_CASE_ENTRY(missing_directory_is_named),
};

int main(void) {
  if (mkdtemp(dir) == NULL) return 99;
  int rc = test_run(cases, sizeof cases / sizeof cases[0]);
  cleanup();
  return rc;
}
