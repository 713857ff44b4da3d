/* svc_probe — a test helper, not part of vigie: runs one service module
 * against a real server over a blocking socket with timeouts, and prints
 * the facts, one "name=value" a line (bytes outside printable ASCII as
 * \xHH), then "verdict=...". With --save DIR it writes what the server
 * sent in each step to DIR/<module>-<step>.bin: the unit tests replay those
 * captures byte for byte. A module's RECONNECT closes the socket and dials
 * again, as the engine does.
 *
 * usage: svc_probe MODULE ADDRESS PORT [--intrusive] [--name HOST]
 *                  [--timeout SECONDS] [--save DIR]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "scanner/scan_int.h"

typedef struct probe_opts {
  const scan_svc_module *module;
  const char *address, *name, *save;
  uint16_t port;
  bool intrusive;
  int timeout_ms;
} probe_opts;

static const char *verdict_name(scan_svc_verdict v) {
  switch (v) {
    case SCAN_SVC_MORE: return "more";
    case SCAN_SVC_NEXT: return "next";
    case SCAN_SVC_DONE: return "done";
    case SCAN_SVC_NOT_MINE: return "not_mine";
    case SCAN_SVC_ERROR: return "error";
    case SCAN_SVC_RECONNECT: return "reconnect";
  }
  return "?";
}

/* Connect with a deadline: non-blocking connect, poll, then blocking. */
static int dial(const probe_opts *o) {
  struct sockaddr_storage ss = {0};
  socklen_t sl;
  struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, o->address, &s4->sin_addr) == 1) {
    s4->sin_family = AF_INET, s4->sin_port = htons(o->port), sl = sizeof *s4;
  } else if (inet_pton(AF_INET6, o->address, &s6->sin6_addr) == 1) {
    s6->sin6_family = AF_INET6, s6->sin6_port = htons(o->port), sl = sizeof *s6;
  } else {
    fprintf(stderr, "svc_probe: not an address: %s\n", o->address);
    return -1;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct pollfd p = {fd, POLLOUT, 0};
  int err = 0;
  socklen_t el = sizeof err;
  if ((connect(fd, (struct sockaddr *)&ss, sl) != 0 && errno != EINPROGRESS) ||
      poll(&p, 1, o->timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 ||
      err != 0) {
    fprintf(stderr, "svc_probe: cannot connect to %s port %u: %s\n", o->address, o->port,
            strerror(err ? err : ETIMEDOUT));
    close(fd);
    return -1;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

static void save(const probe_opts *o, unsigned step, const uint8_t *p, size_t len) {
  char path[4096];
  if (o->save == NULL) return;
  snprintf(path, sizeof path, "%s/%s-%u.bin", o->save, o->module->name, step);
  FILE *f = fopen(path, "wb");
  if (f == NULL || fwrite(p, 1, len, f) != len) perror(path);
  if (f != NULL) fclose(f);
}

static void print_facts(const scan_facts *facts) {
  const char *name, *value;
  size_t len;
  for (size_t i = 0; scan_facts_at(facts, i, &name, &value, &len); i++) {
    printf("%s=", name);
    for (size_t j = 0; j < len; j++) {
      unsigned char c = (unsigned char)value[j];
      if (c >= 0x20 && c < 0x7f && c != '\\')
        putchar(c);
      else
        printf("\\x%02x", c);
    }
    putchar('\n');
  }
}

/* One step: read until the module decides, the peer closes, the buffer
 * fills or the time runs out (the last three call step with in_full). */
static scan_svc_verdict run_step(const probe_opts *o, int fd, scan_svc_io *io, uint8_t *in,
                                 unsigned step) {
  size_t len = 0;
  scan_svc_verdict v = SCAN_SVC_MORE;
  while (v == SCAN_SVC_MORE) {
    struct pollfd p = {fd, POLLIN, 0};
    ssize_t n = 0;
    bool full = len == SCAN_SVC_IN_MAX || poll(&p, 1, o->timeout_ms) != 1 ||
                (n = recv(fd, in + len, SCAN_SVC_IN_MAX - len, 0)) <= 0;
    if (!full) len += (size_t)n;
    io->in = in, io->in_len = len, io->in_full = full || len == SCAN_SVC_IN_MAX, io->out_len = 0;
    v = o->module->step(io);
    if (io->in_full && v == SCAN_SVC_MORE)
      v = SCAN_SVC_ERROR; /* the contract: no MORE after in_full */
  }
  save(o, step, in, len);
  return v;
}

static int run(const probe_opts *o) {
  static uint8_t in[SCAN_SVC_IN_MAX], out[SCAN_SVC_OUT_MAX];
  void *state = calloc(1, o->module->state_size ? o->module->state_size : 1);
  scan_facts *facts = scan_facts_new();
  int fd = dial(o);
  if (fd < 0 || state == NULL || facts == NULL) return 2;
  scan_svc_io io = {.out = out,
                    .facts = facts,
                    .state = state,
                    .intrusive = o->intrusive,
                    .host_name = o->name,
                    .port = o->port};
  scan_svc_verdict v = o->module->start(&io);
  for (unsigned step = 0; v == SCAN_SVC_NEXT || v == SCAN_SVC_MORE || v == SCAN_SVC_RECONNECT;
       step++) {
    if (v == SCAN_SVC_RECONNECT) {
      close(fd);
      if ((fd = dial(o)) < 0) {
        v = SCAN_SVC_ERROR; /* the engine's rule: no new connection ends as ERROR */
        break;
      }
    }
    if (io.out_len > 0 && send(fd, out, io.out_len, MSG_NOSIGNAL) != (ssize_t)io.out_len) {
      v = SCAN_SVC_ERROR;
      break;
    }
    v = run_step(o, fd, &io, in, step);
  }
  if (fd >= 0) close(fd);
  print_facts(facts);
  printf("verdict=%s\n", verdict_name(v));
  scan_facts_free(facts);
  free(state);
  return v == SCAN_SVC_DONE ? 0 : 1;
}

int main(int argc, char **argv) {
  probe_opts o = {.timeout_ms = 5000};
  if (argc < 4 || (o.module = scan_svc_by_name(argv[1])) == NULL) {
    fprintf(stderr,
            "usage: svc_probe MODULE ADDRESS PORT [--intrusive] [--name HOST] [--timeout S] "
            "[--save DIR]\n");
    return 2;
  }
  o.address = argv[2];
  o.port = (uint16_t)strtoul(argv[3], NULL, 10);
  for (int i = 4; i < argc; i++) {
    if (strcmp(argv[i], "--intrusive") == 0)
      o.intrusive = true;
    else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
      o.name = argv[++i];
    else if (strcmp(argv[i], "--save") == 0 && i + 1 < argc)
      o.save = argv[++i];
    else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
      o.timeout_ms = (int)(strtod(argv[++i], NULL) * 1000);
    else
      return fprintf(stderr, "svc_probe: unknown option %s\n", argv[i]), 2;
  }
  return run(&o);
}
