/* The IPv4 next hop of a SYN scan, read from the kernel through rtnetlink.
 *
 * IPv4 probes may go out as prebuilt Ethernet frames on an AF_PACKET
 * socket, which skips the kernel's route, netfilter and neighbour work per
 * probe (on the dense benchmark: 3.6 s instead of 3.9 s for a million
 * probes). That is right only when every IPv4 target leaves through one
 * Ethernet interface to one next hop whose MAC the kernel already knows:
 * scan_nexthop4_find checks that and, when anything is in doubt, says why,
 * and the raw IP sockets stay in charge. Nothing here sends a packet. */
#include <arpa/inet.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "scanner/scan_int.h"
#include "vigie/core.h"

/* IPv4 probes may go out as prebuilt Ethernet frames on an AF_PACKET
 * socket, which skips the kernel's route, netfilter and neighbour work per
 * probe. That is right only when every IPv4 target leaves through one
 * Ethernet interface to one next hop whose MAC the kernel already knows:
 * find_next_hop4 checks that through rtnetlink and, when anything is in
 * doubt, leaves the raw IP sockets in charge. */

#define NL_BUF 32768

typedef struct nl_route {
  uint32_t dst, gw; /* host order */
  unsigned dst_len, table, type;
  int oif;
  bool has_gw;
} nl_route;

/* Send one rtnetlink request and hand every answer message to fn until
 * NLMSG_DONE (a dump) or the first non-multipart answer. \return false on
 * any error (fn's own included). */
static bool nl_talk(struct nlmsghdr *req, bool (*fn)(const struct nlmsghdr *, void *), void *arg) {
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  uint8_t *buf;
  bool ok = false, done = false;
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return false;
  buf = vigie_malloc(NL_BUF);
  req->nlmsg_seq = 1;
  if (buf == NULL || sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *)&kernel,
                            sizeof kernel) != (ssize_t)req->nlmsg_len) {
    goto out;
  }
  while (!done) {
    struct timeval tv = {1, 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t n = recv(fd, buf, NL_BUF, 0);
    if (n <= 0) goto out;
    for (struct nlmsghdr *h = (struct nlmsghdr *)(void *)buf; NLMSG_OK(h, (size_t)n);
         h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != 1) continue;
      if (h->nlmsg_type == NLMSG_DONE) {
        done = true;
        break;
      }
      if (h->nlmsg_type == NLMSG_ERROR || !fn(h, arg)) goto out;
      if (!(h->nlmsg_flags & NLM_F_MULTI)) done = true;
    }
  }
  ok = true;
out:
  vigie_free(buf);
  close(fd);
  return ok;
}

static uint32_t nl_u32be(const struct rtattr *a) {
  uint32_t v;
  memcpy(&v, RTA_DATA(a), 4);
  return ntohl(v);
}

static bool nl_parse_route(const struct nlmsghdr *h, nl_route *r) {
  const struct rtmsg *rt = NLMSG_DATA(h);
  int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof *rt);
  if (h->nlmsg_type != RTM_NEWROUTE || len < 0) return false;
  memset(r, 0, sizeof *r);
  r->dst_len = rt->rtm_dst_len;
  r->table = rt->rtm_table;
  r->type = rt->rtm_type;
  if (rt->rtm_family != AF_INET) return true; /* r->type stays; dst_len too */
  for (const struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    switch (a->rta_type) {
      case RTA_DST:
        if (RTA_PAYLOAD(a) == 4) r->dst = nl_u32be(a);
        break;
      case RTA_GATEWAY:
        if (RTA_PAYLOAD(a) == 4) {
          r->gw = nl_u32be(a);
          r->has_gw = true;
        }
        break;
      case RTA_OIF:
        if (RTA_PAYLOAD(a) == 4) memcpy(&r->oif, RTA_DATA(a), 4);
        break;
      case RTA_TABLE:
        if (RTA_PAYLOAD(a) == 4) memcpy(&r->table, RTA_DATA(a), 4);
        break;
      case RTA_MULTIPATH: /* several next hops: not one MAC */
      case RTA_NH_ID: r->oif = -1; break;
      default: break;
    }
  }
  return true;
}

static bool nl_got_route(const struct nlmsghdr *h, void *arg) {
  return nl_parse_route(h, arg);
}

static void nl_add_attr(struct nlmsghdr *h, unsigned type, const void *data, size_t len) {
  struct rtattr *a = (struct rtattr *)(void *)((uint8_t *)h + NLMSG_ALIGN(h->nlmsg_len));
  a->rta_type = (unsigned short)type;
  a->rta_len = (unsigned short)RTA_LENGTH(len);
  memcpy(RTA_DATA(a), data, len);
  h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* The route the kernel picks for dst from src (and out of oif when > 0). */
static bool route_get4(uint32_t dst, uint32_t src, int oif, nl_route *out) {
  struct {
    struct nlmsghdr h;
    struct rtmsg rt;
    uint8_t attrs[64];
  } req;
  uint32_t d = htonl(dst), sa = htonl(src);
  memset(&req, 0, sizeof req);
  req.h.nlmsg_len = NLMSG_LENGTH(sizeof req.rt);
  req.h.nlmsg_type = RTM_GETROUTE;
  req.h.nlmsg_flags = NLM_F_REQUEST;
  req.rt.rtm_family = AF_INET;
  req.rt.rtm_dst_len = 32;
  nl_add_attr(&req.h, RTA_DST, &d, 4);
  if (src != 0) nl_add_attr(&req.h, RTA_SRC, &sa, 4);
  if (oif > 0) nl_add_attr(&req.h, RTA_OIF, &oif, 4);
  out->type = RTN_UNSPEC;
  return nl_talk(&req.h, nl_got_route, out) && out->type != RTN_UNSPEC;
}

/* Every IPv4 target lies in [lo, hi]. A route of any table that holds only
 * part of it may send some targets elsewhere than the route found for lo;
 * routes that hold all of it or none of it decide alike for every target. */
typedef struct overlap_check {
  uint32_t lo, hi;
  bool overlap;
} overlap_check;

static uint32_t prefix_mask(unsigned len) { return len == 0 ? 0 : ~0u << (32 - len); }

static bool nl_check_overlap(const struct nlmsghdr *h, void *arg) {
  overlap_check *c = arg;
  nl_route r;
  uint32_t m;
  if (h->nlmsg_type != RTM_NEWROUTE) return true;
  if (!nl_parse_route(h, &r)) return false;
  if (((const struct rtmsg *)NLMSG_DATA(h))->rtm_family != AF_INET) return true;
  m = prefix_mask(r.dst_len);
  /* [r.dst, r.dst | ~m] meets [lo, hi] without holding all of it, or
   * holds it with several next hops (route_get4 shows only one of them)? */
  if ((r.dst & m) <= c->hi && ((r.dst & m) | ~m) >= c->lo &&
      ((c->lo & m) != (r.dst & m) || (c->hi & m) != (r.dst & m) || r.oif < 0)) {
    c->overlap = true;
  }
  return true;
}

static bool nl_count_rule(const struct nlmsghdr *h, void *arg) {
  if (h->nlmsg_type == RTM_NEWRULE) (*(unsigned *)arg)++;
  return true;
}

static bool nl_dump(unsigned type, bool (*fn)(const struct nlmsghdr *, void *), void *arg) {
  struct {
    struct nlmsghdr h;
    struct rtmsg rt;
  } req;
  memset(&req, 0, sizeof req);
  req.h.nlmsg_len = NLMSG_LENGTH(sizeof req.rt);
  req.h.nlmsg_type = (unsigned short)type;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.rt.rtm_family = AF_INET;
  return nl_talk(&req.h, fn, arg);
}

typedef struct neigh_find {
  uint32_t addr;
  int ifindex;
  bool found;
  uint8_t mac[6];
} neigh_find;

static bool nl_find_neigh(const struct nlmsghdr *h, void *arg) {
  neigh_find *f = arg;
  const struct ndmsg *nd = NLMSG_DATA(h);
  int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof *nd);
  bool match = false;
  const uint8_t *mac = NULL;
  if (h->nlmsg_type != RTM_NEWNEIGH || len < 0) return true;
  if (nd->ndm_family != AF_INET || nd->ndm_ifindex != f->ifindex) return true;
  if (!(nd->ndm_state & (NUD_REACHABLE | NUD_PERMANENT | NUD_STALE))) return true;
  for (const struct rtattr *a = (const struct rtattr *)(const void *)((const uint8_t *)nd +
                                                                       NLMSG_ALIGN(sizeof *nd));
       RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == NDA_DST && RTA_PAYLOAD(a) == 4) match = nl_u32be(a) == f->addr;
    if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6) mac = RTA_DATA(a);
  }
  if (match && mac != NULL && !f->found) {
    memcpy(f->mac, mac, 6);
    f->found = true;
  }
  return true;
}

static bool neigh_get4(uint32_t addr, int ifindex, uint8_t mac[6]) {
  neigh_find f = {addr, ifindex, false, {0}};
  struct {
    struct nlmsghdr h;
    struct ndmsg nd;
  } req;
  memset(&req, 0, sizeof req);
  req.h.nlmsg_len = NLMSG_LENGTH(sizeof req.nd);
  req.h.nlmsg_type = RTM_GETNEIGH;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.nd.ndm_family = AF_INET;
  if (!nl_talk(&req.h, nl_find_neigh, &f) || !f.found) return false;
  memcpy(mac, f.mac, 6);
  return true;
}

/* Our MAC on an Ethernet interface; false on any other link type. */
static bool iface_mac(const char *name, uint8_t mac[6]) {
  struct ifreq ifr;
  bool ok = false;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0 && ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER) {
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    ok = true;
  }
  close(fd);
  return ok;
}

const char *scan_nexthop4_find(const char *dev, uint32_t src, uint32_t lo, uint32_t hi,
                               bool pin_interface, scan_nexthop4 *out) {
  nl_route r;
  overlap_check c = {lo, hi, false};
  unsigned rules = 0;
  int ifindex = (int)if_nametoindex(dev);
  memset(out, 0, sizeof *out);
  if (ifindex <= 0) return "no interface index";
  if (!iface_mac(dev, out->mac_src)) return "not an Ethernet interface";
  if (!route_get4(lo, src, pin_interface ? ifindex : 0, &r)) return "no route";
  if (r.type != RTN_UNICAST || !r.has_gw || r.oif != ifindex) return "no single gateway";
  /* No route may split the targets; policy rules beyond the three default
   * ones (local, main, default) may send them anywhere. */
  if (!nl_dump(RTM_GETROUTE, nl_check_overlap, &c) || c.overlap) return "overlapping routes";
  if (!nl_dump(RTM_GETRULE, nl_count_rule, &rules) || rules > 3) return "policy routing rules";
  if (!neigh_get4(r.gw, ifindex, out->mac_dst)) return "gateway's MAC not known";
  out->ifindex = ifindex;
  return NULL;
}
