/* Replays a fuzz corpus through a libFuzzer entry point without libFuzzer,
 * so every corpus file runs as an ordinary meson test in every build,
 * sanitizers included (STYLE.md habit 13). Arguments: files or directories. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    perror(path);
    return 1;
  }
  uint8_t *buf = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (len == cap) {
      cap = cap ? cap * 2 : 4096;
      uint8_t *grown = realloc(buf, cap);
      if (grown == NULL) {
        free(buf);
        fclose(f);
        return 1;
      }
      buf = grown;
    }
    size_t n = fread(buf + len, 1, cap - len, f);
    if (n == 0) break;
    len += n;
  }
  fclose(f);
  LLVMFuzzerTestOneInput(buf, len);
  free(buf);
  return 0;
}

static int replay_path(const char *path, int *count) {
  struct stat st;
  if (stat(path, &st) != 0) {
    perror(path);
    return 1;
  }
  if (!S_ISDIR(st.st_mode)) {
    (*count)++;
    return replay_file(path);
  }
  struct dirent **entries = NULL;
  int n = scandir(path, &entries, NULL, alphasort);
  int failed = n < 0;
  for (int i = 0; i < n; i++) {
    if (entries[i]->d_name[0] != '.') {
      char child[4096];
      snprintf(child, sizeof child, "%s/%s", path, entries[i]->d_name);
      failed |= replay_path(child, count);
    }
    free(entries[i]);
  }
  free(entries);
  return failed;
}

int main(int argc, char **argv) {
  int count = 0, failed = 0;
  for (int i = 1; i < argc; i++) failed |= replay_path(argv[i], &count);
  printf("replayed %d inputs\n", count);
  return failed || count == 0;
}
