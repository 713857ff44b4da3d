/* vigie scanner internals: what the scanner's own files and their tests
 * share, and nothing else includes. The public interface is
 * include/vigie/scanner.h.
 */
#ifndef VIGIE_SCAN_INT_H
#define VIGIE_SCAN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "vigie/scanner.h"

/* ------------------------------------------------------------ SYN probes */

/* The source ports of SYN probes: [40000, 56384), 16384 ports. The range
 * is a power of two so the cookie spreads evenly over it, sits above the
 * ports services listen on, and gives 14 bits of cookie on top of the 32 of
 * the sequence number. It overlaps Linux's ephemeral range (32768-60999):
 * a SYN-ACK to one of the kernel's own connections reaches our filter but
 * fails the cookie check, and the kernel's connections are unharmed (our
 * answers never reach a socket: the kernel resets them, see DESIGN.md). */
#define SCAN_SYN_PORT_BASE 40000u
#define SCAN_SYN_PORT_SPAN 16384u

/* What a probe looks like on the wire: an ordinary SYN, so that stacks and
 * middle boxes answer it as they answer any client. */
#define SCAN_SYN_TTL 64u
#define SCAN_SYN_WINDOW 1024u
#define SCAN_SYN_MSS 1460u
/* Largest probe: IPv6 header 40 + TCP header 20 + MSS option 4. */
#define SCAN_SYN_MAX_LEN 64u
/* An Ethernet II header ahead of the probe (AF_PACKET sending): 14 bytes. */
#define SCAN_ETH_HLEN 14u
#define SCAN_SYN_MAX_FRAME (SCAN_ETH_HLEN + SCAN_SYN_MAX_LEN)

/* TCP flag bits (the 14th byte of the TCP header). */
#define SCAN_TCP_FIN 0x01u
#define SCAN_TCP_SYN 0x02u
#define SCAN_TCP_RST 0x04u
#define SCAN_TCP_PSH 0x08u
#define SCAN_TCP_ACK 0x10u

/* One probe: source and destination share one family. */
typedef struct scan_syn_probe {
  vigie_addr src, dst;
  uint16_t sport, dport;
  uint32_t seq;
  uint16_t ip_id; /* IPv4 identification; unused for IPv6 */
} scan_syn_probe;

/** Craft the whole IP packet of a SYN (IPv4 or IPv6 header, TCP header with
 * an MSS option, both checksums) into buf.
 * \return its length (44 for IPv4, 64 for IPv6), or 0 when cap is too small
 * or the families are unknown or differ. */
size_t scan_packet_syn(uint8_t *buf, size_t cap, const scan_syn_probe *probe);

/** The same probe as a whole Ethernet II frame: destination and source MAC,
 * the EtherType of the probe's family, then scan_packet_syn's packet (no
 * padding: the device pads short frames).
 * \return its length (58 for IPv4, 78 for IPv6), or 0 as scan_packet_syn. */
size_t scan_packet_syn_eth(uint8_t *buf, size_t cap, const uint8_t dst_mac[6],
                           const uint8_t src_mac[6], const scan_syn_probe *probe);

/* -------------------------------------------------------------- next hop */

typedef struct scan_nexthop4 {
  int ifindex;
  uint8_t mac_src[6], mac_dst[6]; /* ours on the interface, the gateway's */
} scan_nexthop4;

/** Whether every IPv4 address in [lo, hi] (host order) leaves from src
 * through dev (pinned to it when pin_interface) to one gateway whose MAC the
 * kernel knows, with no route or policy rule that could split them.
 * \return NULL with out filled, or a short reason why not (static text). */
const char *scan_nexthop4_find(const char *dev, uint32_t src, uint32_t lo, uint32_t hi,
                               bool pin_interface, scan_nexthop4 *out);

/* --------------------------------------------------------------- answers */

typedef enum scan_parse_status {
  SCAN_PARSE_OK = 0,
  SCAN_PARSE_TRUNCATED = 1, /* a header runs past the captured bytes */
  SCAN_PARSE_MALFORMED = 2, /* a length or version field is impossible */
  SCAN_PARSE_IGNORED = 3    /* well formed but not a TCP segment we read:
                               another protocol, a fragment, a link type
                               we do not know */
} scan_parse_status;

/* A TCP segment as received, every field in host order. */
typedef struct scan_answer {
  vigie_addr src, dst;
  uint16_t sport, dport;
  uint32_t seq, ack;
  uint8_t flags; /* SCAN_TCP_* */
  uint8_t ttl;   /* IPv4 TTL or IPv6 hop limit */
  uint16_t window;
  uint16_t mss; /* the MSS option's value, 0 when absent */
} scan_answer;

/** Parse one captured frame. A pure function of its arguments: every byte
 * is read through bounds checks against len (the captured length), and the
 * TCP header with its options must lie wholly within it.
 * \param[in] frame     the captured bytes
 * \param[in] len       their number
 * \param[in] linktype  pcap_datalink()'s value: DLT_EN10MB (with up to two
 *                      802.1Q/802.1ad tags), DLT_LINUX_SLL, DLT_LINUX_SLL2,
 *                      DLT_RAW, DLT_IPV4, DLT_IPV6, DLT_NULL, DLT_LOOP
 * \param[out] out      filled only on SCAN_PARSE_OK */
scan_parse_status scan_packet_parse(const uint8_t *frame, size_t len, int linktype,
                                    scan_answer *out);

/* ------------------------------------------------------------- sorting */

#define SCAN_SORT_MAX_SIZE 32u

/** Sort n elements of size bytes (1 to SCAN_SORT_MAX_SIZE) at base in
 * ascending cmp order, in place: no allocation, O(log n) stack, O(n log n)
 * comparisons at worst (introsort), not stable. glibc's qsort would copy the
 * whole array into a malloc'ed buffer first; scan_store_seal sorts tables of
 * tens of megabytes with this instead. A size out of range sorts nothing. */
void scan_sort_in_place(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* ------------------------------------------------------------ privileges */

/** Give up root for good, once the raw sockets and the capture are open.
 *  - Started through sudo (real uid 0 and SUDO_UID/SUDO_GID set) or as a
 *    set-user-ID root program (real uid not 0, effective uid 0): become the
 *    invoking user, real, effective and saved IDs alike, with that user's
 *    supplementary groups; then check that root cannot be taken back.
 *  - Not root but holding capabilities (setcap cap_net_raw+ep): clear every
 *    capability.
 *  - Plain root (real uid 0, no SUDO_UID): nothing. The user chose to run as
 *    root and may have asked for output files only root can write; dropping
 *    to "nobody" would break them. Run through sudo to get the drop.
 * Idempotent: a second call finds nothing left to drop.
 * scan_run_syn calls it right after opening its sockets and capture, before
 * any packet is parsed, so the parser never runs as root; a caller may call
 * it earlier when it needs no raw socket at all (connect scans).
 * \return VIGIE_EPERM with err set when a step fails (the process must then
 * stop: it may still hold root). */
vigie_status scan_drop_privileges(vigie_error *err);


/* -------------------------------------------------------------- STARTTLS */

/* The preamble parsers of svc_starttls.c: push state machines fed whatever
 * bytes arrive, one fragment at a time, so the caller owns the socket and
 * its deadline and the unit tests and fuzz target feed them byte by byte.
 * Every buffer is bounded: a line or an answer over its bound is BROKEN. */
typedef enum scan_starttls_step {
  SCAN_STARTTLS_MORE = 0, /* need more bytes */
  SCAN_STARTTLS_SEND,     /* st->out holds a request: send it, then feed on */
  SCAN_STARTTLS_READY,    /* the server agreed: the TLS handshake starts now */
  SCAN_STARTTLS_REFUSED,  /* the server answered no */
  SCAN_STARTTLS_BROKEN,   /* not this protocol, or over a bound */
} scan_starttls_step;

#define SCAN_STARTTLS_LINE_MAX 1024u  /* SMTP allows 512, FTP and IMAP less in practice */
#define SCAN_STARTTLS_LINES_MAX 256u  /* lines of one reply (a long EHLO list has ~20) */
#define SCAN_STARTTLS_LDAP_MAX 4096u  /* an ExtendedResponse is ~40 bytes */

typedef struct scan_starttls_state {
  scan_starttls kind;
  unsigned phase;                 /* which answer is awaited: 0 greeting, 1, 2... */
  bool done;                      /* a final step was returned: feed no more */
  char line[SCAN_STARTTLS_LINE_MAX]; /* text protocols: the line so far */
  size_t line_len;
  unsigned lines;                 /* lines of the current reply */
  char code[3];                   /* SMTP, FTP: code of a multi-line reply */
  bool multi;                     /*   a multi-line reply is open */
  uint8_t msg[SCAN_STARTTLS_LDAP_MAX]; /* LDAP: the answer so far */
  size_t msg_len;
  uint8_t out[64];                /* the request to send after SEND */
  size_t out_len;
} scan_starttls_state;

/** Start a preamble of kind (not NONE). 
eturn SEND when the client speaks
 * first (LDAP, PostgreSQL: st->out filled), MORE when the server does. */
scan_starttls_step scan_starttls_begin(scan_starttls_state *st, scan_starttls kind);
/** Feed received bytes. Stops at the first step other than MORE.
 * \param[out] used  bytes consumed (the rest belongs to what follows)
 * 
eturn MORE when every byte was consumed with no verdict. After READY,
 * REFUSED or BROKEN, further calls return BROKEN. */
scan_starttls_step scan_starttls_feed(scan_starttls_state *st, const uint8_t *in, size_t len,
                                      size_t *used);


/* ------------------------------------------------------------------- TLS */

/** The one place OpenSSL's errors become ours (STYLE.md habit 6): the text
 * of the thread's oldest queued OpenSSL error ("no error text" when none),
 * then the queue cleared. \param[out] buf  len bytes, NUL-terminated */
void scan_tls_error_text(char *buf, size_t len);
/** vigie_fail(err, status, "<what>: <OpenSSL's text>"). \return status */
vigie_status scan_tls_fail(vigie_error *err, vigie_status status, const char *what);

#endif
