/* vigie scanner — the stateless SYN engine: raw-socket senders, a libpcap
 * receiver, SYN cookies (DESIGN.md, "Scanner").
 *
 * Threads and who owns what:
 *  - senders: the caller's thread and, at high rates, one more per core
 *    (DESIGN.md measured that on a veth each probe's whole chain runs in
 *    the sender's softirq time, so one sender per core is what reaches the
 *    hardware's limit). Sender t of T walks the sub-shard of positions
 *    p = shard_index + t * shard_count (mod shard_count * T): the senders
 *    partition the shard with no coordination, each with its own raw
 *    sockets and its own token bucket of rate / T.
 *  - the receiver thread owns the capture, the answer counters, the log
 *    and the callbacks while the scan runs: every vigie_log call and every
 *    cfg->on_result call happens in that one thread, so neither needs to
 *    be thread-safe. After it is joined they pass back to the caller's
 *    thread (final wait, filtered fill).
 *  - the store is written by the receiver only; the senders read it during
 *    retry passes (to skip answered probes). A mutex guards it: the
 *    receiver takes it once per answer, uncontended during the first pass
 *    (the senders never touch the store then), and a retrying sender takes
 *    it once per batch of up to SYN_BATCH lookups.
 *
 * Safety: a probe goes only to an address that scan_space_at gives for an
 * index of cfg->space (exclusions are already applied there); nothing else
 * is ever sent, and answers are kept only when their cookie proves they
 * answer a probe of ours.
 */
#include <errno.h>
#include <grp.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "scanner/scan_int.h"

#define SYN_BATCH 256u /* probes per sendmmsg, at most */
#define SYN_MAX_SENDERS 4u
#define SYN_MULTI_RATE 50000.0 /* from this rate (pps) on, one sender per core */
#define SYN_SNAPLEN 128        /* Ethernet + VLAN + IPv6 + a 60-byte TCP header */
/* The capture ring must absorb the answers that arrive while the receiver
 * is held up (the store doubling its table under the lock, above all):
 * measured on the dense test (1M open ports), 8 MiB lost none at 240 kpps,
 * 12 MiB none at 300 kpps, 16 MiB none unlimited (~400 kpps), 4 MiB lost
 * 10 % unlimited. So about 40 bytes per pps, from 4 to 16 MiB: the ring
 * stays small at the rates that need no more, within the 64 MiB budget. */
#define SYN_RING_BYTES_PER_PPS 40.0
#define SYN_RING_MIN (4 << 20)
#define SYN_RING_MAX (20 << 20)
#define SYN_RING_TIMEOUT_MS 10 /* a ring block reaches us at most this late */
#define SYN_SNDBUF (8 << 20)   /* per raw socket: see open_raw */
#define SYN_RX_BATCH 512
#define SYN_PENDING 16 /* answers prefetched together, see flush_answers */
#define SYN_SENDER_NICE 5 /* CFS weight 335 against the receiver's 1024 */
#define SYN_PROGRESS_NS 250000000u
#define SYN_LATE_WAIT_MAX_S 1.0 /* retry pause, and the wait after a stop */
#define NS_PER_S 1000000000.0

typedef union syn_sockaddr {
  struct sockaddr sa;
  struct sockaddr_in in4;
  struct sockaddr_in6 in6;
} syn_sockaddr;

/* One family's batch of probes ready for one sendmmsg. */
typedef struct syn_batch {
  int fd; /* -1 when the family is not scanned */
  bool eth; /* fd is an AF_PACKET socket: whole Ethernet frames to ll */
  unsigned n;
  struct mmsghdr msg[SYN_BATCH];
  struct iovec iov[SYN_BATCH];
  syn_sockaddr to[SYN_BATCH];
  struct sockaddr_ll ll;
  uint8_t pkt[SYN_BATCH][SCAN_SYN_MAX_FRAME];
} syn_batch;

typedef struct syn_target {
  vigie_addr addr;
  uint16_t port;
} syn_target;

typedef struct syn_engine syn_engine;

typedef struct syn_sender {
  syn_engine *e;
  unsigned index; /* 0 runs in the caller's thread */
  syn_batch b4, b6;
  scan_ratelimit rl;
  syn_target cand[SYN_BATCH];
  uint64_t committed;      /* every position of this sender's walk before it was sent */
  _Atomic uint64_t sent;   /* read by the receiver's progress line */
  _Atomic uint64_t walked; /* positions walked in the current pass */
  _Atomic unsigned pass;
  uint64_t send_errors;
  int send_errno; /* the first error a send met, 0 if none */
  pthread_t thread;
  bool started;
} syn_sender;

struct syn_engine {
  const scan_config *cfg;
  scan_store *store;
  scan_perm perm;
  scan_key key;
  vigie_addr src4, src6;                     /* family 0 when the family is not scanned */
  char dev4[IF_NAMESIZE], dev6[IF_NAMESIZE]; /* interfaces owning them, "" unknown */
  char device[IF_NAMESIZE];                  /* where the capture listens */
  /* IPv4 over AF_PACKET (see find_next_hop4): the link, our MAC and the
   * next hop's, shared by every IPv4 target. */
  bool eth4;
  int ifindex4;
  uint8_t mac_src4[6], mac_dst4[6];
  pcap_t *pcap;
  int linktype, pcap_fd;
  pthread_mutex_t store_lock;
  atomic_bool abort;   /* a thread failed: every thread stops */
  atomic_bool rx_stop; /* the receiver drains and ends */
  atomic_bool sending_done;
  unsigned nsenders;
  syn_sender *senders;
  uint64_t shard_total; /* positions of the shard from resume_from on */
  /* Receiver-owned while it runs. */
  uint64_t received, valid, found;
  scan_result pending[SYN_PENDING]; /* answers not stored yet: flush_answers */
  unsigned npending;
  uint64_t progress_ns, progress_sent;
  vigie_status rx_status;
  vigie_error rx_err;
};

/* ------------------------------------------------------------- helpers */

static bool stopped(syn_engine *e) {
  return atomic_load_explicit(&e->abort, memory_order_relaxed) ||
         (e->cfg->stop != NULL && *e->cfg->stop != 0);
}

static void sleep_ns(uint64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* Sleep up to s seconds in short naps, returning early when a stop comes. */
static void pause_s(syn_engine *e, double s) {
  uint64_t end = scan_now_ns() + (uint64_t)(s * NS_PER_S);
  for (uint64_t now = scan_now_ns(); now < end && !stopped(e); now = scan_now_ns()) {
    sleep_ns(end - now < 10000000u ? end - now : 10000000u);
  }
}

static bool addr_eq(const vigie_addr *a, const vigie_addr *b) {
  if (a->family != b->family) return false;
  return a->family == AF_INET6 ? a->v6 == b->v6 : a->v4 == b->v4;
}

static void addr_to_sockaddr(const vigie_addr *a, syn_sockaddr *out, socklen_t *len) {
  memset(out, 0, sizeof *out);
  if (a->family == AF_INET6) {
    out->in6.sin6_family = AF_INET6;
    for (int i = 0; i < 16; i++) out->in6.sin6_addr.s6_addr[i] = (uint8_t)(a->v6 >> (8 * (15 - i)));
    *len = sizeof out->in6;
  } else {
    out->in4.sin_family = AF_INET;
    out->in4.sin_addr.s_addr = htonl(a->v4);
    *len = sizeof out->in4;
  }
}

/* \return false for a family other than IPv4 and IPv6. */
static bool sockaddr_to_addr(const struct sockaddr *sa, vigie_addr *out) {
  memset(out, 0, sizeof *out);
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in4 = (const struct sockaddr_in *)(const void *)sa;
    out->family = AF_INET;
    out->v4 = ntohl(in4->sin_addr.s_addr);
    return true;
  }
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
    out->family = AF_INET6;
    for (int i = 0; i < 16; i++) out->v6 = out->v6 << 8 | in6->sin6_addr.s6_addr[i];
    return true;
  }
  return false;
}

static bool link_local6(const vigie_addr *a) {
  return a->family == AF_INET6 && (a->v6 >> 118) == 0x3fa; /* fe80::/10 */
}

/* --------------------------------------------------- source and device */

/* The address the kernel would send from to reach dst: connect() on a UDP
 * socket picks the route and the source without sending anything. */
static vigie_status route_source(const vigie_addr *dst, vigie_addr *out, vigie_error *err) {
  syn_sockaddr to, me;
  socklen_t len, me_len = sizeof me;
  char text[64];
  vigie_status status = VIGIE_OK;
  int fd = socket(dst->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  vigie_addr_format(dst, text, sizeof text);
  if (fd < 0) {
    return vigie_fail(err, VIGIE_EIO, "cannot open a %s socket to find the route to %s: %s",
                      dst->family == AF_INET6 ? "IPv6" : "IPv4", text, strerror(errno));
  }
  addr_to_sockaddr(dst, &to, &len);
  if (dst->family == AF_INET6)
    to.in6.sin6_port = htons(9);
  else
    to.in4.sin_port = htons(9);
  if (connect(fd, &to.sa, len) != 0 || getsockname(fd, &me.sa, &me_len) != 0 ||
      !sockaddr_to_addr(&me.sa, out)) {
    status = vigie_fail(err, VIGIE_EIO,
                        "no route to %s (%s): give the source address (--source) or the "
                        "interface (--interface)",
                        text, strerror(errno));
  }
  close(fd);
  return status;
}

/* With want_name: the first address of family on that interface (a global
 * one before a link-local one). Without: the interface owning *addr. */
static vigie_status iface_lookup(const char *want_name, int family, vigie_addr *addr,
                                 char name[IF_NAMESIZE], vigie_error *err) {
  struct ifaddrs *list = NULL;
  vigie_addr found = {0}, a;
  if (getifaddrs(&list) != 0) {
    return vigie_fail(err, VIGIE_EIO, "cannot list the interfaces: %s", strerror(errno));
  }
  name[0] = '\0';
  for (struct ifaddrs *i = list; i != NULL; i = i->ifa_next) {
    if (i->ifa_addr == NULL || !sockaddr_to_addr(i->ifa_addr, &a) || a.family != family) continue;
    if (want_name == NULL && addr_eq(&a, addr)) {
      snprintf(name, IF_NAMESIZE, "%s", i->ifa_name);
      break;
    }
    if (want_name != NULL && strcmp(i->ifa_name, want_name) == 0 &&
        (found.family == 0 || (link_local6(&found) && !link_local6(&a)))) {
      found = a;
    }
  }
  freeifaddrs(list);
  if (want_name == NULL) return VIGIE_OK;
  if (if_nametoindex(want_name) == 0) {
    return vigie_fail(err, VIGIE_ENOENT, "no interface named %s (see `ip link`)", want_name);
  }
  if (found.family == 0) {
    return vigie_fail(err, VIGIE_ENOENT, "interface %s has no %s address: give one with --source",
                      want_name, family == AF_INET6 ? "IPv6" : "IPv4");
  }
  *addr = found;
  snprintf(name, IF_NAMESIZE, "%s", want_name);
  return VIGIE_OK;
}

/* The source of one family: --source when it has that family, else an
 * address of --interface, else the route's to the family's first target. */
static vigie_status pick_source(syn_engine *e, int family, vigie_u128 first, vigie_addr *src,
                                char dev[IF_NAMESIZE], vigie_error *err) {
  const scan_config *cfg = e->cfg;
  vigie_addr dst;
  vigie_status status;
  if (cfg->source.family == family) {
    *src = cfg->source;
  } else if (cfg->interface != NULL) {
    return iface_lookup(cfg->interface, family, src, dev, err);
  } else {
    if (!vigie_targets_at(cfg->space->targets, first, &dst)) {
      return vigie_fail(err, VIGIE_EINVAL, "scan_run_syn: target %s out of range", "index");
    }
    status = route_source(&dst, src, err);
    if (status != VIGIE_OK) return status;
  }
  if (cfg->interface != NULL) {
    snprintf(dev, IF_NAMESIZE, "%s", cfg->interface);
    return VIGIE_OK;
  }
  return iface_lookup(NULL, family, src, dev, err);
}

static vigie_status pick_sources(syn_engine *e, vigie_error *err) {
  const vigie_targets *t = e->cfg->space->targets;
  uint64_t count4 = vigie_targets_count4(t);
  vigie_status status = VIGIE_OK;
  if (e->cfg->interface != NULL && strlen(e->cfg->interface) >= IF_NAMESIZE) {
    return vigie_fail(err, VIGIE_ERANGE, "interface name too long: %s", e->cfg->interface);
  }
  if (count4 > 0) status = pick_source(e, AF_INET, 0, &e->src4, e->dev4, err);
  if (status == VIGIE_OK && vigie_targets_count6(t) > 0) {
    status = pick_source(e, AF_INET6, count4, &e->src6, e->dev6, err);
  }
  if (status != VIGIE_OK) return status;
  /* One capture must see both families' answers: Linux's "any" device when
   * they arrive on two interfaces, or on one libpcap cannot name. */
  const char *dev = e->src4.family ? e->dev4 : e->dev6;
  if (dev[0] == '\0' || (e->src4.family && e->src6.family && strcmp(e->dev4, e->dev6) != 0)) {
    dev = "any";
  }
  snprintf(e->device, sizeof e->device, "%s", dev);
  return VIGIE_OK;
}

/* ------------------------------------------------------------ next hop */

/* Decide e->eth4. \return a short reason when AF_PACKET is not used. */
static const char *find_next_hop4(syn_engine *e) {
  size_t count = 0;
  const vigie_range4 *ranges = vigie_targets_ranges4(e->cfg->space->targets, &count);
  uint32_t lo, hi;
  scan_nexthop4 hop;
  const char *why;
  e->eth4 = false;
  if (e->src4.family != AF_INET || e->dev4[0] == '\0') return "no IPv4 interface";
  if (ranges == NULL || count == 0) return "no IPv4 range";
  lo = ranges[0].first;
  hi = ranges[0].last;
  for (size_t i = 1; i < count; i++) {
    if (ranges[i].first < lo) lo = ranges[i].first;
    if (ranges[i].last > hi) hi = ranges[i].last;
  }
  why = scan_nexthop4_find(e->dev4, e->src4.v4, lo, hi, e->cfg->interface != NULL, &hop);
  if (why != NULL) return why;
  e->ifindex4 = hop.ifindex;
  memcpy(e->mac_src4, hop.mac_src, 6);
  memcpy(e->mac_dst4, hop.mac_dst, 6);
  e->eth4 = true;
  return NULL;
}

/* ------------------------------------------------------------- sockets */

/* A raw socket that sends whole IP packets we build: IPPROTO_RAW means
 * IP_HDRINCL for IPv4 and, since Linux 4.5, IPV6_HDRINCL for IPv6. Such a
 * socket receives nothing, so no receive queue fills behind our back. */
static vigie_status open_raw(int family, const char *ifname, int *out, vigie_error *err) {
  int one = 1, sndbuf = SYN_SNDBUF, fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  const char *fam = family == AF_INET6 ? "IPv6" : "IPv4";
  if (fd < 0) {
    int e = errno;
    return vigie_fail(err, e == EPERM || e == EACCES ? VIGIE_EPERM : VIGIE_EIO,
                      "cannot open a raw %s socket (%s): SYN scans need root or CAP_NET_RAW; "
                      "use a connect scan (--connect) otherwise",
                      fam, strerror(e));
  }
  if (family == AF_INET && setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof one) != 0) {
    goto fail;
  }
  /* A probe to an on-link address that does not answer ARP or neighbour
   * discovery waits about 3 s in the neighbour queue and holds its share of
   * the send buffer meanwhile; with the default 208 KiB a few hundred such
   * probes block the socket (measured: a /24 of mostly silent addresses
   * went at ~90 probes a second). A larger buffer lets them wait while the
   * others go. Kernel memory, used only while probes wait; FORCE needs
   * CAP_NET_ADMIN, else wmem_max caps the plain request. */
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) != 0) {
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  }
  if (ifname != NULL &&
      setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname) + 1) != 0) {
    goto fail;
  }
  *out = fd;
  return VIGIE_OK;
fail:;
  int saved = errno;
  close(fd);
  return vigie_fail(err, saved == EPERM ? VIGIE_EPERM : VIGIE_EIO,
                    "cannot set up the raw %s socket%s%s: %s", fam, ifname ? " on " : "",
                    ifname ? ifname : "", strerror(saved));
}

/* An AF_PACKET socket bound to the interface, sending whole Ethernet frames
 * with no queueing discipline in the way (find_next_hop4 chose it). Its
 * protocol is 0: it receives nothing. */
static bool open_packet(int ifindex, int *out) {
  struct sockaddr_ll ll;
  int one = 1, sndbuf = SYN_SNDBUF, fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  memset(&ll, 0, sizeof ll);
  ll.sll_family = AF_PACKET;
  ll.sll_ifindex = ifindex;
  if (bind(fd, (struct sockaddr *)&ll, sizeof ll) != 0 ||
      setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) != 0) {
    close(fd);
    return false;
  }
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) != 0) {
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  }
  *out = fd;
  return true;
}

/* Each message points at its own packet buffer and address once for all;
 * a probe only fills them in. */
static void batch_init(syn_batch *b) {
  b->fd = -1;
  b->eth = false;
  b->n = 0;
  for (unsigned i = 0; i < SYN_BATCH; i++) {
    b->iov[i].iov_base = b->pkt[i];
    b->msg[i].msg_hdr.msg_iov = &b->iov[i];
    b->msg[i].msg_hdr.msg_iovlen = 1;
    b->msg[i].msg_hdr.msg_name = &b->to[i];
  }
}

static vigie_status open_senders(syn_engine *e, vigie_error *err) {
  vigie_status status = VIGIE_OK;
  for (unsigned t = 0; t < e->nsenders && status == VIGIE_OK; t++) {
    syn_sender *s = &e->senders[t];
    s->e = e;
    s->index = t;
    batch_init(&s->b4);
    batch_init(&s->b6);
    if (e->eth4 && open_packet(e->ifindex4, &s->b4.fd)) {
      syn_batch *b = &s->b4;
      b->eth = true;
      memset(&b->ll, 0, sizeof b->ll);
      b->ll.sll_family = AF_PACKET;
      b->ll.sll_protocol = htons(ETH_P_IP);
      b->ll.sll_ifindex = e->ifindex4;
      b->ll.sll_halen = 6;
      memcpy(b->ll.sll_addr, e->mac_dst4, 6);
      for (unsigned i = 0; i < SYN_BATCH; i++) {
        b->msg[i].msg_hdr.msg_name = &b->ll;
        b->msg[i].msg_hdr.msg_namelen = sizeof b->ll;
      }
    } else if (e->src4.family) {
      status = open_raw(AF_INET, e->cfg->interface, &s->b4.fd, err);
    }
    if (status == VIGIE_OK && e->src6.family) {
      status = open_raw(AF_INET6, e->cfg->interface, &s->b6.fd, err);
    }
  }
  return status;
}

/* ------------------------------------------------------------- capture */

static int fmt_addr(const vigie_addr *a, char *buf, size_t len) {
  vigie_addr_format(a, buf, len);
  return 0;
}

/* TCP to our address, to our source-port range, with SYN or RST set.
 * libpcap 1.10 has no tcp[] for IPv6: its branch reads the fixed header's
 * offsets (an answer of ours carries no extension header). */
static void build_filter(const syn_engine *e, char *buf, size_t len) {
  char a4[64], a6[64];
  unsigned lo = SCAN_SYN_PORT_BASE, hi = SCAN_SYN_PORT_BASE + SCAN_SYN_PORT_SPAN - 1;
  int n = 0;
  buf[0] = '\0';
  if (e->src4.family && fmt_addr(&e->src4, a4, sizeof a4) == 0) {
    n = snprintf(buf, len,
                 "(ip and tcp and dst host %s and dst portrange %u-%u and "
                 "tcp[tcpflags] & (tcp-syn|tcp-rst) != 0)",
                 a4, lo, hi);
  }
  if (e->src6.family && fmt_addr(&e->src6, a6, sizeof a6) == 0 && n >= 0 && (size_t)n < len) {
    snprintf(buf + n, len - (size_t)n,
             "%s(ip6 and ip6[6] == 6 and dst host %s and ip6[42:2] >= %u and ip6[42:2] <= %u "
             "and ip6[53] & 6 != 0)",
             n > 0 ? " or " : "", a6, lo, hi);
  }
}

static vigie_status capture_filter(syn_engine *e, vigie_error *err) {
  struct bpf_program prog;
  char filter[512];
  build_filter(e, filter, sizeof filter);
  if (pcap_compile(e->pcap, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
    return vigie_fail(err, VIGIE_EIO, "cannot compile the capture filter \"%s\": %s", filter,
                      pcap_geterr(e->pcap));
  }
  int rc = pcap_setfilter(e->pcap, &prog);
  pcap_freecode(&prog);
  if (rc != 0) {
    return vigie_fail(err, VIGIE_EIO, "cannot set the capture filter on %s: %s", e->device,
                      pcap_geterr(e->pcap));
  }
  return VIGIE_OK;
}

static bool linktype_known(int dlt) {
  return dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2 || dlt == DLT_RAW ||
         dlt == DLT_IPV4 || dlt == DLT_IPV6 || dlt == DLT_NULL || dlt == DLT_LOOP;
}

static int ring_bytes(double rate) {
  double bytes = rate > 0 ? rate * SYN_RING_BYTES_PER_PPS : SYN_RING_MAX;
  if (bytes < SYN_RING_MIN) return SYN_RING_MIN;
  return bytes > SYN_RING_MAX ? SYN_RING_MAX : (int)bytes;
}

static vigie_status open_capture(syn_engine *e, vigie_error *err) {
  char ebuf[PCAP_ERRBUF_SIZE] = "";
  int rc;
  e->pcap = pcap_create(e->device, ebuf);
  if (e->pcap == NULL) {
    return vigie_fail(err, VIGIE_EIO, "cannot capture on %s: %s", e->device, ebuf);
  }
  /* Not immediate mode: libpcap then uses TPACKET_V3, whose ring packs
   * variable-sized frames in blocks handed over whole (full, or after the
   * timeout), so one wake-up reads hundreds of answers. Measured on the
   * dense test against immediate mode (TPACKET_V2, a wake-up per answer):
   * 3.7 s instead of 4.8 s, and no drops. No promiscuous mode: the answers
   * are addressed to us. */
  pcap_set_snaplen(e->pcap, SYN_SNAPLEN);
  pcap_set_promisc(e->pcap, 0);
  pcap_set_immediate_mode(e->pcap, 0);
  pcap_set_timeout(e->pcap, SYN_RING_TIMEOUT_MS);
  pcap_set_buffer_size(e->pcap, ring_bytes(e->cfg->rate));
  rc = pcap_activate(e->pcap);
  if (rc < 0) {
    return vigie_fail(err, rc == PCAP_ERROR_PERM_DENIED ? VIGIE_EPERM : VIGIE_EIO,
                      "cannot capture on %s: %s (%s)", e->device, pcap_statustostr(rc),
                      pcap_geterr(e->pcap));
  }
  e->linktype = pcap_datalink(e->pcap);
  if (!linktype_known(e->linktype)) {
    return vigie_fail(err, VIGIE_EIO, "cannot read captures of link type %s on %s",
                      pcap_datalink_val_to_name(e->linktype), e->device);
  }
  /* Only what comes in: our own probes are no answers (and best effort:
   * the filter already leaves them out). */
  (void)pcap_setdirection(e->pcap, PCAP_D_IN);
  if (pcap_setnonblock(e->pcap, 1, ebuf) != 0) {
    return vigie_fail(err, VIGIE_EIO, "cannot make the capture on %s non-blocking: %s", e->device,
                      ebuf);
  }
  e->pcap_fd = pcap_get_selectable_fd(e->pcap);
  return capture_filter(e, err);
}

/* ------------------------------------------------------------- sending */

/* The socket's buffer is full (probes waiting for ARP hold it, see
 * open_raw): wait for room in short naps, so that a stop is seen at once.
 * \return false when stopped. */
static bool wait_room(syn_sender *s, int fd) {
  struct pollfd pfd = {fd, POLLOUT, 0};
  while (!stopped(s->e)) {
    if (poll(&pfd, 1, 10) > 0) return true;
  }
  return false;
}

/* Send the batch. The sockets never block, so a stop cuts a batch short:
 * its unsent probes are dropped, and the caller does not advance its
 * resume point past them. */
static void batch_flush(syn_sender *s, syn_batch *b) {
  unsigned off = 0, busy = 0;
  uint64_t failed = 0;
  while (off < b->n) {
    int r = sendmmsg(b->fd, b->msg + off, b->n - off, MSG_DONTWAIT);
    if (r > 0) {
      off += (unsigned)r;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == EAGAIN) {
      if (wait_room(s, b->fd)) continue;
      break;
    }
    /* A full device queue: wait a little (bounded) rather than lose it. */
    if (r < 0 && errno == ENOBUFS && busy++ < 1000) {
      sleep_ns(20000);
      continue;
    }
    /* Anything else (EACCES for a broadcast address, EPERM from a firewall,
     * no route...) concerns this one probe: count it and go on. */
    if (s->send_errno == 0) s->send_errno = r < 0 ? errno : EIO;
    failed++;
    off++;
  }
  s->send_errors += failed;
  atomic_fetch_add_explicit(&s->sent, off - failed, memory_order_relaxed);
  b->n = 0;
}

static void add_probe(syn_sender *s, const syn_target *t) {
  syn_engine *e = s->e;
  bool v6 = t->addr.family == AF_INET6;
  syn_batch *b = v6 ? &s->b6 : &s->b4;
  scan_syn_probe p;
  scan_cookie c;
  socklen_t len;
  p.src = v6 ? e->src6 : e->src4;
  p.dst = t->addr;
  p.dport = t->port;
  c = scan_cookie_make(&e->key, &p.src, &p.dst, p.dport, SCAN_SYN_PORT_BASE, SCAN_SYN_PORT_SPAN);
  p.sport = c.source_port;
  p.seq = c.sequence;
  p.ip_id = (uint16_t)(c.sequence >> 16);
  if (b->eth) {
    b->iov[b->n].iov_len =
        scan_packet_syn_eth(b->pkt[b->n], SCAN_SYN_MAX_FRAME, e->mac_dst4, e->mac_src4, &p);
  } else {
    b->iov[b->n].iov_len = scan_packet_syn(b->pkt[b->n], SCAN_SYN_MAX_LEN, &p);
    addr_to_sockaddr(&p.dst, &b->to[b->n], &len);
    b->msg[b->n].msg_hdr.msg_namelen = len;
  }
  if (++b->n == SYN_BATCH) batch_flush(s, b);
}

/* Tokens for up to want probes; 0 after a nap when none are there. The nap
 * lasts until about half of what the bucket can give at once is due, so
 * that sendmmsg calls stay large at high rates, and at most 10 ms, so that
 * a stop is seen soon. */
static unsigned take_tokens(syn_sender *s, unsigned want) {
  uint64_t now = scan_now_ns(), wait;
  unsigned got = scan_ratelimit_take(&s->rl, want, now);
  if (got > 0) return got;
  wait = scan_ratelimit_delay_ns(&s->rl, now);
  if (s->rl.rate > 0) {
    double most = (double)want < s->rl.burst ? (double)want : s->rl.burst;
    double half = most / 2.0 / s->rl.rate * NS_PER_S;
    if (half > (double)wait) wait = (uint64_t)half;
  }
  sleep_ns(wait < 10000000u ? wait : 10000000u);
  return 0;
}

/* Send n probes at the rate. \return false when a stop cut them short. */
static bool send_paced(syn_sender *s, unsigned n) {
  unsigned done = 0;
  while (done < n) {
    if (stopped(s->e)) return false;
    unsigned got = take_tokens(s, n - done);
    for (unsigned i = 0; i < got; i++) add_probe(s, &s->cand[done + i]);
    if (s->b4.n) batch_flush(s, &s->b4);
    if (s->b6.n) batch_flush(s, &s->b6);
    done += got;
  }
  return !stopped(s->e);
}

/* Keep only the candidates with no result yet (retry passes). */
static unsigned drop_answered(syn_engine *e, syn_target *cand, unsigned n) {
  unsigned kept = 0;
  pthread_mutex_lock(&e->store_lock);
  for (unsigned i = 0; i < n; i++) {
    if (!scan_store_has(e->store, &cand[i].addr, cand[i].port)) cand[kept++] = cand[i];
  }
  pthread_mutex_unlock(&e->store_lock);
  return kept;
}

static void sender_walk_init(const syn_sender *s, scan_walk *walk) {
  const scan_config *cfg = s->e->cfg;
  uint32_t step = cfg->shard_count * s->e->nsenders; /* checked in engine_new */
  scan_walk_init(walk, cfg->space->range, cfg->shard_index + s->index * cfg->shard_count, step,
                 cfg->resume_from);
}

/* One pass over the sender's walk; passes after the first skip answered
 * probes. \return false when stopped. */
static bool sender_pass(syn_sender *s, unsigned pass) {
  syn_engine *e = s->e;
  scan_walk walk;
  uint64_t pos;
  sender_walk_init(s, &walk);
  atomic_store(&s->walked, 0);
  atomic_store(&s->pass, pass);
  for (;;) {
    unsigned n = 0, walked;
    while (n < SYN_BATCH && scan_walk_next(&walk, &pos)) {
      scan_space_at(e->cfg->space, scan_perm_at(&e->perm, pos), &s->cand[n].addr, &s->cand[n].port);
      n++;
    }
    if (n == 0) return true;
    walked = n;
    if (pass > 0) n = drop_answered(e, s->cand, n);
    if (!send_paced(s, n)) return false;
    atomic_fetch_add_explicit(&s->walked, walked, memory_order_relaxed);
    if (pass == 0) s->committed = walk.position;
  }
}

static void *sender_main(void *arg) {
  syn_sender *s = arg;
  const scan_config *cfg = s->e->cfg;
  /* Senders yield to the receiver: when the cores are busy (on a veth the
   * targets' answers are computed on them too), a starved receiver lets the
   * capture ring overflow and answers are lost, while a slowed sender only
   * delays probes. A thread may lower its own priority without privileges;
   * failing to is harmless. */
  (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), SYN_SENDER_NICE);
  double pause = cfg->wait_s < SYN_LATE_WAIT_MAX_S ? cfg->wait_s : SYN_LATE_WAIT_MAX_S;
  for (unsigned pass = 0; pass <= cfg->retries && !stopped(s->e); pass++) {
    /* Before a retry, a short pause for the answers of the last probes. */
    if (pass > 0) pause_s(s->e, pause);
    if (!sender_pass(s, pass)) break;
  }
  return NULL;
}

/* ------------------------------------------------------------ receiving */

/* Answers wait in a small batch before they are stored: each lands on a
 * random slot of the result table, and prefetching the whole batch's slots
 * first overlaps their cache misses instead of paying them one by one. The
 * store's lock is taken once a batch. */
static void flush_answers(syn_engine *e) {
  bool added[SYN_PENDING];
  vigie_status status = VIGIE_OK;
  unsigned n = e->npending, done = 0;
  if (n == 0) return;
  e->npending = 0;
  pthread_mutex_lock(&e->store_lock);
  for (; done < n && status == VIGIE_OK; done++) {
    added[done] = false;
    status = scan_store_add(e->store, &e->pending[done], &added[done]);
  }
  pthread_mutex_unlock(&e->store_lock);
  if (status != VIGIE_OK) {
    e->rx_status =
        vigie_fail(&e->rx_err, status, "cannot record a result: %s", vigie_strerror(status));
    atomic_store(&e->abort, true);
    done--; /* the one that failed was not added */
  }
  for (unsigned i = 0; i < done; i++) {
    if (!added[i]) continue;
    if (e->pending[i].state == SCAN_STATE_OPEN) e->found++;
    if (e->cfg->on_result != NULL) e->cfg->on_result(&e->pending[i], e->cfg->user);
  }
}

static void handle_answer(syn_engine *e, const scan_answer *a, const struct timeval *ts) {
  const vigie_addr *us = a->dst.family == AF_INET6 ? &e->src6 : &e->src4;
  scan_result *r;
  if (!addr_eq(&a->dst, us)) return;
  if (!(a->flags & SCAN_TCP_RST) &&
      (a->flags & (SCAN_TCP_SYN | SCAN_TCP_ACK)) != (SCAN_TCP_SYN | SCAN_TCP_ACK)) {
    return;
  }
  if (!scan_cookie_check(&e->key, us, &a->src, a->sport, a->dport, a->ack, SCAN_SYN_PORT_BASE,
                         SCAN_SYN_PORT_SPAN)) {
    return;
  }
  e->valid++;
  r = &e->pending[e->npending++];
  memset(r, 0, sizeof *r);
  r->addr = a->src;
  r->port = a->sport;
  /* A RST wins over the other flags: nothing listens. */
  r->state = (a->flags & SCAN_TCP_RST) ? SCAN_STATE_CLOSED : SCAN_STATE_OPEN;
  r->reason = (a->flags & SCAN_TCP_RST) ? SCAN_REASON_RESET : SCAN_REASON_SYN_ACK;
  r->ttl = a->ttl;
  r->time_us = (int64_t)ts->tv_sec * 1000000 + ts->tv_usec; /* pcap's stamp: wall clock */
  /* Unlocked: a hint only, the slot is read again under the lock. */
  scan_store_prefetch(e->store, &r->addr, r->port);
  if (e->npending == SYN_PENDING) flush_answers(e);
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
  syn_engine *e = (syn_engine *)(void *)user;
  scan_answer a;
  e->received++;
  if (e->rx_status != VIGIE_OK) return;
  if (scan_packet_parse(bytes, h->caplen, e->linktype, &a) == SCAN_PARSE_OK) {
    handle_answer(e, &a, &h->ts);
  }
}

static uint64_t total_sent(syn_engine *e, uint64_t *walked, unsigned *pass) {
  uint64_t sent = 0;
  *walked = 0;
  *pass = atomic_load(&e->senders[0].pass);
  for (unsigned t = 0; t < e->nsenders; t++) {
    sent += atomic_load_explicit(&e->senders[t].sent, memory_order_relaxed);
    *walked += atomic_load_explicit(&e->senders[t].walked, memory_order_relaxed);
  }
  return sent;
}

/* "rate 240.1 kpps, 42.0 % done, 0:00:03 left, found 12345, pcap drops 0" */
static void progress(syn_engine *e, uint64_t now) {
  struct pcap_stat ps = {0};
  uint64_t walked, sent, left_s = 0;
  unsigned pass;
  double dt = (double)(now - e->progress_ns) / NS_PER_S, rate, done = 100.0;
  if (e->cfg->log == NULL) return;
  sent = total_sent(e, &walked, &pass);
  rate = dt > 0 ? (double)(sent - e->progress_sent) / dt : 0;
  if (e->shard_total > 0) done = 100.0 * (double)walked / (double)e->shard_total;
  if (rate > 0 && walked < e->shard_total)
    left_s = (uint64_t)((double)(e->shard_total - walked) / rate);
  (void)pcap_stats(e->pcap, &ps);
  e->progress_ns = now;
  e->progress_sent = sent;
  if (atomic_load(&e->sending_done)) {
    vigie_log_progress(e->cfg->log, "waiting for late answers, found %" PRIu64 ", pcap drops %u",
                       e->found, ps.ps_drop);
    return;
  }
  char retry[32] = "";
  if (pass > 0) snprintf(retry, sizeof retry, "retry %u of %u, ", pass, e->cfg->retries);
  vigie_log_progress(e->cfg->log,
                     "%srate %.1f kpps, %.1f %% done, %" PRIu64 ":%02u:%02u left, found %" PRIu64
                     ", pcap drops %u",
                     retry, rate / 1000.0, done, left_s / 3600, (unsigned)(left_s / 60 % 60),
                     (unsigned)(left_s % 60), e->found, ps.ps_drop);
}

static void *receiver_main(void *arg) {
  syn_engine *e = arg;
  struct pollfd pfd = {e->pcap_fd, POLLIN, 0};
  while (!atomic_load(&e->rx_stop)) {
    int n = pcap_dispatch(e->pcap, SYN_RX_BATCH, on_packet, (u_char *)(void *)e);
    uint64_t now = scan_now_ns();
    flush_answers(e);
    if (n < 0) {
      e->rx_status = vigie_fail(&e->rx_err, VIGIE_EIO, "capture on %s failed: %s", e->device,
                                pcap_geterr(e->pcap));
      atomic_store(&e->abort, true);
      return NULL;
    }
    if (now - e->progress_ns >= SYN_PROGRESS_NS) progress(e, now);
    if (n == 0) (void)poll(&pfd, 1, 20);
  }
  /* What arrived before the stop still counts. */
  for (int i = 0;
       i < 1000 && pcap_dispatch(e->pcap, SYN_RX_BATCH, on_packet, (u_char *)(void *)e) > 0; i++) {
    flush_answers(e);
  }
  flush_answers(e);
  return NULL;
}

/* --------------------------------------------------------------- engine */

/* The shard's positions from resume_from on: its size for progress. */
static uint64_t shard_size(const scan_config *cfg) {
  scan_walk w;
  scan_walk_init(&w, cfg->space->range, cfg->shard_index, cfg->shard_count, cfg->resume_from);
  if (w.position >= w.range) return 0;
  return (w.range - 1 - w.position) / w.step + 1;
}

static unsigned sender_count(const scan_config *cfg) {
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  unsigned n = cpus < 1 ? 1u : cpus > (long)SYN_MAX_SENDERS ? SYN_MAX_SENDERS : (unsigned)cpus;
  if (cfg->rate > 0 && cfg->rate < SYN_MULTI_RATE) n = 1;
  /* The sub-shard step must fit the walk's 32 bits. */
  if (cfg->shard_count > UINT32_MAX / n) n = 1;
  return n;
}

static vigie_status engine_new(const scan_config *cfg, scan_store *store, syn_engine **out,
                               vigie_error *err) {
  syn_engine *e = vigie_calloc(1, sizeof *e);
  *out = e;
  if (e == NULL) return vigie_fail(err, VIGIE_ENOMEM, "out of memory for the SYN engine");
  e->cfg = cfg;
  e->store = store;
  e->pcap_fd = -1;
  pthread_mutex_init(&e->store_lock, NULL);
  scan_perm_init(&e->perm, cfg->space->range, cfg->seed);
  scan_key_from_seed(&e->key, cfg->seed);
  e->shard_total = shard_size(cfg);
  e->nsenders = sender_count(cfg);
  e->senders = vigie_calloc(e->nsenders, sizeof *e->senders);
  if (e->senders == NULL) return vigie_fail(err, VIGIE_ENOMEM, "out of memory for the senders");
  for (unsigned t = 0; t < e->nsenders; t++) {
    double rate = cfg->rate > 0 ? cfg->rate / e->nsenders : 0;
    /* A bucket of about 1 ms of tokens: smooth at low rates, full batches
     * at high ones. */
    unsigned burst = rate <= 0                 ? SYN_BATCH
                     : rate / 1000 < 1         ? 1u
                     : rate / 1000 > SYN_BATCH ? SYN_BATCH
                                               : (unsigned)(rate / 1000);
    scan_walk w;
    e->senders[t].b4.fd = e->senders[t].b6.fd = -1;
    scan_ratelimit_init(&e->senders[t].rl, rate, burst, scan_now_ns());
    e->senders[t].index = t;
    e->senders[t].e = e;
    sender_walk_init(&e->senders[t], &w);
    e->senders[t].committed = w.position;
  }
  return pick_sources(e, err);
}

static void engine_free(syn_engine *e) {
  if (e == NULL) return;
  for (unsigned t = 0; e->senders != NULL && t < e->nsenders; t++) {
    if (e->senders[t].b4.fd >= 0) close(e->senders[t].b4.fd);
    if (e->senders[t].b6.fd >= 0) close(e->senders[t].b6.fd);
  }
  vigie_free(e->senders);
  if (e->pcap != NULL) pcap_close(e->pcap);
  pthread_mutex_destroy(&e->store_lock);
  vigie_free(e);
}

/* The last wait: wait_s for late answers, cut to at most 1 s after a stop.
 * \return whether a stop came at any time. */
static bool final_wait(syn_engine *e) {
  double wait = e->cfg->wait_s > 0 ? e->cfg->wait_s : 0;
  bool was_stopped = stopped(e);
  uint64_t now = scan_now_ns(), end;
  if (was_stopped && wait > SYN_LATE_WAIT_MAX_S) wait = SYN_LATE_WAIT_MAX_S;
  end = now + (uint64_t)(wait * NS_PER_S);
  for (; now < end; now = scan_now_ns()) {
    if (!was_stopped && stopped(e)) {
      was_stopped = true;
      uint64_t cut = now + (uint64_t)(SYN_LATE_WAIT_MAX_S * NS_PER_S);
      if (cut < end) end = cut;
    }
    sleep_ns(end - now < 10000000u ? end - now : 10000000u);
  }
  return was_stopped || stopped(e);
}

static vigie_status start_threads(syn_engine *e, pthread_t *rx, vigie_error *err) {
  int rc = pthread_create(rx, NULL, receiver_main, e);
  if (rc != 0) {
    return vigie_fail(err, VIGIE_ENOMEM, "cannot start the receiver thread: %s", strerror(rc));
  }
  for (unsigned t = 1; t < e->nsenders; t++) {
    rc = pthread_create(&e->senders[t].thread, NULL, sender_main, &e->senders[t]);
    if (rc != 0) {
      /* A missing sender would leave its sub-shard unsent: stop them all. */
      atomic_store(&e->abort, true);
      return vigie_fail(err, VIGIE_ENOMEM, "cannot start sending thread %u: %s", t, strerror(rc));
    }
    e->senders[t].started = true;
  }
  return VIGIE_OK;
}

static void collect_stats(syn_engine *e, scan_stats *stats) {
  struct pcap_stat ps = {0};
  uint64_t next = e->cfg->space->range;
  for (unsigned t = 0; t < e->nsenders; t++) {
    const syn_sender *s = &e->senders[t];
    stats->sent += atomic_load(&s->sent);
    if (s->committed < next) next = s->committed;
    if (s->send_errors > 0 && e->cfg->log != NULL) {
      /* A raw socket refuses a broadcast address with EACCES: the last
       * address of a CIDR target on the local network, expected whenever
       * one is scanned, so not worth a warning. */
      void (*say)(vigie_log *, const char *, ...) =
          s->send_errno == EACCES ? vigie_log_verbose : vigie_log_warn;
      say(e->cfg->log, "%" PRIu64 " probes could not be sent (first error: %s%s)", s->send_errors,
          strerror(s->send_errno), s->send_errno == EACCES ? "; to a broadcast address?" : "");
    }
  }
  stats->next_position = next;
  stats->received = e->received;
  stats->valid = e->valid;
  if (pcap_stats(e->pcap, &ps) == 0) stats->pcap_dropped = ps.ps_drop;
}

static vigie_status engine_run(syn_engine *e, scan_stats *stats, vigie_error *err) {
  pthread_t rx;
  vigie_status status;
  e->progress_ns = scan_now_ns();
  status = start_threads(e, &rx, err);
  if (status == VIGIE_OK) sender_main(&e->senders[0]);
  for (unsigned t = 1; t < e->nsenders; t++) {
    if (e->senders[t].started) pthread_join(e->senders[t].thread, NULL);
  }
  atomic_store(&e->sending_done, true);
  stats->interrupted = final_wait(e);
  atomic_store(&e->rx_stop, true);
  pthread_join(rx, NULL);
  /* The receiver is gone: the log, the store and the callbacks are ours. */
  if (e->cfg->log != NULL) vigie_log_progress_clear(e->cfg->log);
  collect_stats(e, stats);
  if (status != VIGIE_OK) return status;
  if (e->rx_status != VIGIE_OK) {
    if (err != NULL) *err = e->rx_err;
    return e->rx_status;
  }
  if (stats->interrupted) return VIGIE_OK; /* incomplete: no port is proven filtered */
  /* A shard or a resumed run sent only part of the space: its silent pairs
   * are filtered only once every part's results are merged. */
  if (e->cfg->shard_count > 1) return VIGIE_OK;
  return scan_store_fill_filtered(e->store, e->cfg->space, e->cfg->on_result, e->cfg->user, err);
}

static void log_start(const syn_engine *e) {
  char a4[64] = "-", a6[64] = "-";
  if (e->cfg->log == NULL) return;
  if (e->src4.family) vigie_addr_format(&e->src4, a4, sizeof a4);
  if (e->src6.family) vigie_addr_format(&e->src6, a6, sizeof a6);
  vigie_log_verbose(e->cfg->log,
                    "SYN scan: %" PRIu64
                    " probes, source %s and %s, source ports %u-%u, "
                    "capture on %s, %u sending thread%s%s",
                    e->shard_total, a4, a6, SCAN_SYN_PORT_BASE,
                    SCAN_SYN_PORT_BASE + SCAN_SYN_PORT_SPAN - 1, e->device, e->nsenders,
                    e->nsenders > 1 ? "s" : "",
                    e->senders[0].b4.eth ? ", IPv4 as Ethernet frames (AF_PACKET)" : "");
}

vigie_status scan_run_syn(const scan_config *cfg, scan_store *store, scan_stats *stats,
                          vigie_error *err) {
  syn_engine *e = NULL;
  vigie_status status;
  uint64_t t0 = scan_now_ns();
  if (cfg == NULL || cfg->space == NULL || store == NULL || stats == NULL ||
      cfg->shard_count == 0 || cfg->shard_index >= cfg->shard_count) {
    return vigie_fail(err, VIGIE_EINVAL, "scan_run_syn: bad arguments");
  }
  memset(stats, 0, sizeof *stats);
  stats->next_position = cfg->resume_from;
  status = engine_new(cfg, store, &e, err);
  if (status != VIGIE_OK) goto done;
  if (e->src4.family) {
    const char *why = find_next_hop4(e);
    if (why != NULL && cfg->log != NULL) {
      vigie_log_verbose(cfg->log, "IPv4 probes go through a raw IP socket: %s", why);
    }
  }
  status = open_senders(e, err);
  if (status != VIGIE_OK) goto done;
  status = open_capture(e, err);
  if (status != VIGIE_OK) goto done;
  /* Everything privileged is open: the parser runs without root. */
  status = scan_drop_privileges(err);
  if (status != VIGIE_OK) goto done;
  log_start(e);
  status = engine_run(e, stats, err);
done:
  engine_free(e);
  stats->elapsed_s = (double)(scan_now_ns() - t0) / NS_PER_S;
  return status;
}

bool scan_raw_allowed(void) {
  int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  if (fd < 0) return false;
  close(fd);
  return true;
}

/* ----------------------------------------------------------- privileges */

/* The invoking user of sudo: SUDO_UID and SUDO_GID, both plain decimal.
 * Only read when the real uid is already 0, so trusting them gives nothing
 * away. \return false when they are absent or malformed. */
static bool sudo_ids(uid_t *uid, gid_t *gid) {
  const char *names[2] = {"SUDO_UID", "SUDO_GID"};
  unsigned long v[2];
  for (int i = 0; i < 2; i++) {
    const char *text = getenv(names[i]);
    char *end = NULL;
    if (text == NULL || text[0] < '0' || text[0] > '9') return false;
    errno = 0;
    v[i] = strtoul(text, &end, 10);
    if (errno != 0 || *end != '\0' || v[i] >= (unsigned long)(uid_t)-1) return false;
  }
  *uid = (uid_t)v[0];
  *gid = (gid_t)v[1];
  return true;
}

/* Become uid:gid for good (real, effective and saved IDs), with the user's
 * supplementary groups, then make sure root cannot be taken back. */
static vigie_status become_user(uid_t uid, gid_t gid, vigie_error *err) {
  struct passwd pw, *found = NULL;
  char buf[4096];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) != 0) found = NULL;
  if ((found == NULL || initgroups(found->pw_name, gid) != 0) && setgroups(1, &gid) != 0) {
    return vigie_fail(err, VIGIE_EPERM, "cannot drop root's groups: %s", strerror(errno));
  }
  if (setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) {
    return vigie_fail(err, VIGIE_EPERM, "cannot drop root privileges to uid %lu gid %lu: %s",
                      (unsigned long)uid, (unsigned long)gid, strerror(errno));
  }
  if (setuid(0) == 0 || seteuid(0) == 0) {
    return vigie_fail(err, VIGIE_EPERM, "root privileges came back after dropping them");
  }
  return VIGIE_OK;
}

/* Not root, maybe with file capabilities (cap_net_raw+ep): clear them all.
 * Capabilities belong to a thread: call this before starting any. */
static vigie_status clear_capabilities(vigie_error *err) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capget, &hdr, data) != 0) return VIGIE_OK; /* no capabilities to speak of */
  bool any = false;
  for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
    any = any || data[i].effective || data[i].permitted || data[i].inheritable;
  }
  if (!any) return VIGIE_OK;
  memset(data, 0, sizeof data);
  if (syscall(SYS_capset, &hdr, data) != 0) {
    return vigie_fail(err, VIGIE_EPERM, "cannot drop capabilities: %s", strerror(errno));
  }
  return VIGIE_OK;
}

vigie_status scan_drop_privileges(vigie_error *err) {
  uid_t ruid = getuid(), uid;
  gid_t gid;
  if (geteuid() != 0) return clear_capabilities(err);
  if (ruid != 0) return become_user(ruid, getgid(), err); /* set-user-ID root */
  if (sudo_ids(&uid, &gid) && uid != 0) return become_user(uid, gid, err);
  return VIGIE_OK; /* plain root: see scan_int.h */
}
