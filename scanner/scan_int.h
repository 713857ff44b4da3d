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

/* ------------------------------------------------------------ descriptors */

/** Raise the soft RLIMIT_NOFILE to the hard one and return want, lowered so
 * that reserve descriptors stay free for everything else (64 at least). */
unsigned scan_fd_capacity(unsigned want, unsigned reserve);

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

/* ------------------------------------------------------ service modules */

/* Every byte a service module reads off the wire goes through a scan_rd:
 * a bounded view whose fetches say whether the bytes were there. A module
 * sees a step's bytes as they accumulate, so "not yet" (SHORT: wait for
 * more) must differ from "never" (BAD: a length or value no server of the
 * protocol sends). On anything but OK the reader does not move. */
typedef enum scan_rd_status {
  SCAN_RD_OK = 0,
  SCAN_RD_SHORT = 1, /* the bytes end before the item does */
  SCAN_RD_BAD = 2    /* impossible: over a caller's limit, a wrong magic */
} scan_rd_status;

typedef struct scan_rd {
  const uint8_t *data; /* borrowed */
  size_t len, off;
} scan_rd;

void scan_rd_init(scan_rd *r, const void *data, size_t len);
size_t scan_rd_left(const scan_rd *r);
scan_rd_status scan_rd_u8(scan_rd *r, uint8_t *v);
scan_rd_status scan_rd_u16be(scan_rd *r, uint16_t *v);
scan_rd_status scan_rd_u16le(scan_rd *r, uint16_t *v);
scan_rd_status scan_rd_u24le(scan_rd *r, uint32_t *v);
scan_rd_status scan_rd_u32be(scan_rd *r, uint32_t *v);
scan_rd_status scan_rd_u32le(scan_rd *r, uint32_t *v);
/** Borrow the next n bytes (*p points into the reader's data). */
scan_rd_status scan_rd_bytes(scan_rd *r, size_t n, const uint8_t **p);
scan_rd_status scan_rd_skip(scan_rd *r, size_t n);
/** A reader over the next n bytes, which this one skips. */
scan_rd_status scan_rd_sub(scan_rd *r, size_t n, scan_rd *sub);
/** A line ending in LF; *len excludes the LF and a CR before it. BAD when
 * max bytes pass with no LF. */
scan_rd_status scan_rd_line(scan_rd *r, size_t max, const uint8_t **p, size_t *len);
/** A NUL-terminated string; *len excludes the NUL. BAD past max bytes. */
scan_rd_status scan_rd_cstr(scan_rd *r, size_t max, const uint8_t **p, size_t *len);
/** Whether the bytes left start with magic (n bytes): SHORT when fewer
 * than n are there but those agree, BAD at the first disagreement. Does not
 * move: it answers "could this be the protocol?" on a partial answer. */
scan_rd_status scan_rd_expect(const scan_rd *r, const void *magic, size_t n);

/* Requests are built through a scan_wr over io->out: a write past the end
 * sets over instead of writing, and scan_svc_send refuses an over-full one. */
typedef struct scan_wr {
  uint8_t *data; /* borrowed */
  size_t cap, len;
  bool over;
} scan_wr;

void scan_wr_init(scan_wr *w, uint8_t *data, size_t cap);
void scan_wr_u8(scan_wr *w, uint8_t v);
void scan_wr_u16be(scan_wr *w, uint16_t v);
void scan_wr_u16le(scan_wr *w, uint16_t v);
void scan_wr_u32be(scan_wr *w, uint32_t v);
void scan_wr_u32le(scan_wr *w, uint32_t v);
void scan_wr_bytes(scan_wr *w, const void *p, size_t n);
void scan_wr_str(scan_wr *w, const char *s);
/** Back-patch a length written earlier at offset at (ignored when out of
 * what was written). */
void scan_wr_u16be_at(scan_wr *w, size_t at, uint16_t v);
void scan_wr_u16le_at(scan_wr *w, size_t at, uint16_t v);
void scan_wr_u32be_at(scan_wr *w, size_t at, uint32_t v);
void scan_wr_u32le_at(scan_wr *w, size_t at, uint32_t v);

/** Start a request in io->out. */
void scan_svc_out(scan_svc_io *io, scan_wr *w);
/** Hand the request in w to the engine: NEXT, or ERROR when it overflowed. */
scan_svc_verdict scan_svc_send(scan_svc_io *io, const scan_wr *w);
/** The same for a text request. */
scan_svc_verdict scan_svc_send_str(scan_svc_io *io, const char *text);

/* Facts from modules. Each returns false on ENOMEM or a bad name; modules
 * fold them with && and end with scan_svc_end, so a failed add ends the
 * exchange with ERROR instead of silently losing a fact. */
bool scan_svc_fact(scan_svc_io *io, const char *name, const void *value, size_t len);
bool scan_svc_fact_str(scan_svc_io *io, const char *name, const char *value);
/** "service" and "confidence" ("confirmed" or "banner"), replacing any earlier. */
bool scan_svc_identify(scan_svc_io *io, const char *service, bool confirmed);
/** Each non-empty item of a list separated by sep, spaces around trimmed. */
bool scan_svc_fact_list(scan_svc_io *io, const char *name, const uint8_t *p, size_t len, char sep);
/** The "banner" fact, the bytes as received. */
bool scan_svc_banner(scan_svc_io *io, const uint8_t *p, size_t len);
static inline scan_svc_verdict scan_svc_end(bool ok, scan_svc_verdict v) {
  return ok ? v : SCAN_SVC_ERROR;
}

/* A product named in banner text: needle found (ASCII case folded), the
 * product is name and the version the token after it (an optional "version"
 * word, '/' or '_' or spaces between), when it starts with a digit. */
typedef struct scan_svc_product {
  const char *needle;
  const char *name;
} scan_svc_product;

/** Set product (and version when found) from the first entry of table (n
 * entries) whose needle occurs in text. \return false on ENOMEM only. */
bool scan_svc_product_from(scan_svc_io *io, const uint8_t *text, size_t len,
                           const scan_svc_product *table, size_t n);
/** Where needle (n bytes, ASCII case folded) starts in hay, or NULL. */
const uint8_t *scan_svc_find(const uint8_t *hay, size_t len, const char *needle);
/** "name/1.2.3 (info)" or "name_1.2" or "name 1.2": product, version, and
 * the parenthesised info when present. */
bool scan_svc_product_token(scan_svc_io *io, const uint8_t *p, size_t len);

/* Text replies of FTP and SMTP: "ddd text" or "ddd-text" lines up to
 * "ddd text". */
typedef struct scan_svc_reply {
  unsigned code;        /* 100..599 */
  const uint8_t *start; /* the whole reply, lines and line ends */
  size_t len;
} scan_svc_reply;

/** Read one whole reply off r. SHORT while it is incomplete, BAD when the
 * bytes are no such reply (no code, over max bytes). */
scan_rd_status scan_svc_reply_read(scan_rd *r, size_t max, scan_svc_reply *reply);
/** The n-th line of a reply's text (code and separator cut).
 * \return false past the last line. */
bool scan_svc_reply_line(const scan_svc_reply *reply, size_t n, const uint8_t **p, size_t *len);

/* The readers' verdict on a step's bytes once parsing stopped: OK goes on,
 * SHORT waits unless the peer has closed (then the protocol is broken),
 * BAD is either another protocol (nothing confirmed yet) or broken. */
scan_svc_verdict scan_svc_short_or(const scan_svc_io *io, scan_rd_status st, bool mine);

/* Every module, in the order the service stage tries them on a port none
 * of them names; NULL-terminated. */
extern const scan_svc_module *const scan_svc_all[];
const scan_svc_module *scan_svc_by_name(const char *name);

extern const scan_svc_module scan_svc_http, scan_svc_ssh, scan_svc_ftp, scan_svc_smtp,
    scan_svc_imap, scan_svc_pop3, scan_svc_telnet, scan_svc_vnc, scan_svc_redis, scan_svc_mysql,
    scan_svc_postgresql, scan_svc_mssql, scan_svc_mongodb, scan_svc_rdp, scan_svc_smb,
    scan_svc_ldap, scan_svc_dicom, scan_svc_hl7;

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
