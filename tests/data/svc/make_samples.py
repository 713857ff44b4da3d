#!/usr/bin/env python3
"""Writes the constructed server answers of tests/data/svc/ (the *-0.bin
files without a capture from a real daemon): servers the lab does not run
(IMAP, POP3, SQL Server, MongoDB, HL7...) and hostile or unusual answers.
Each is built field by field from the protocol's specification, so a reader
can check it against the spec. Run from anywhere; it rewrites its files."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def put(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


# ------------------------------------------------------------------ text protocols
put("http-apache-0.bin",
    b"HTTP/1.1 301 Moved Permanently\r\nDate: Wed, 25 Nov 2026 10:00:00 GMT\r\n"
    b"Server: Apache/2.4.57 (Debian)\r\nLocation: https://intranet.chu.example/\r\n"
    b"Content-Length: 95\r\nContent-Type: text/html\r\n\r\n"
    b"<html><head><title>\n  Moved &amp; gone &#233;t&#xE9; &lt;x&gt;  </title></head></html>\n")
body = (b'{\n  "name" : "es01",\n  "cluster_name" : "pacs-logs",\n  "version" : {\n'
        b'    "number" : "8.11.1",\n    "build_flavor" : "default"\n  },\n'
        b'  "tagline" : "You Know, for Search"\n}\n')
put("http-elastic-0.bin",
    b"HTTP/1.1 200 OK\r\nX-elastic-product: Elasticsearch\r\ncontent-type: application/json\r\n"
    b"content-length: %d\r\n\r\n" % len(body) + body)
put("http-winrm-0.bin",
    b"HTTP/1.1 405 \r\nAllow: POST\r\nServer: Microsoft-HTTPAPI/2.0\r\nDate: Wed, 25 Nov 2026 10:00:00 GMT\r\n"
    b"Connection: close\r\nContent-Length: 0\r\n\r\n")
put("http-noend-0.bin", b"HTTP/1.1 200 OK\r\nServer: x\r\nX-Filler: " + b"a" * 300)

put("ftp-proftpd-0.bin", b"220-Welcome to the PACS archive FTP\r\n220 ProFTPD 1.3.8 Server (Debian) [::ffff:198.18.0.5]\r\n")
put("ftp-proftpd-1.bin", b"211-Features:\r\n AUTH TLS\r\n MDTM\r\n PBSZ\r\n PROT\r\n UTF8\r\n211 End\r\n")
put("ftp-proftpd-2.bin", b"331 Anonymous login ok, send your complete email address as your password\r\n")
put("ftp-proftpd-3.bin", b"530 Login incorrect.\r\n")
put("ftp-filezilla-0.bin", b"220-FileZilla Server 1.7.0\r\n220 Please visit https://filezilla-project.org/\r\n")
put("ftp-filezilla-1.bin", b"500 Syntax error, command unrecognized.\r\n")

put("smtp-exim-0.bin", b"220-mx.chu.example ESMTP Exim 4.96 Wed, 25 Nov 2026 10:00:00 +0100\r\n220 No UCE\r\n")
put("smtp-exim-1.bin", b"250-mx.chu.example Hello vigie.invalid [198.18.0.1]\r\n250-SIZE 52428800\r\n"
    b"250-8BITMIME\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250-STARTTLS\r\n250 HELP\r\n")
put("smtp-refused-0.bin", b"554 mx.chu.example ESMTP not accepting connections from you\r\n")

put("imap-dovecot-0.bin", b"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS"
    b" AUTH=PLAIN] Dovecot (Debian) ready.\r\n")
put("imap-dovecot-1.bin", b"* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS"
    b" LOGINDISABLED AUTH=PLAIN AUTH=GSSAPI\r\nv1 OK Pre-login capabilities listed, post-login capabilities have more.\r\n")

put("pop3-dovecot-0.bin", b"+OK Dovecot (Debian) ready.\r\n")
put("pop3-dovecot-1.bin", b"+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nSTLS\r\n"
    b"SASL PLAIN LOGIN\r\n.\r\n")

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
put("telnet-router-0.bin", bytes([IAC, WILL, 1, IAC, WILL, 3, IAC, DO, 24, IAC, DO, 31]))
put("telnet-router-1.bin", bytes([IAC, SB, 24, 1, IAC, IAC, 0, IAC, SE]) + b"\r\nUser Access Verification\r\n\r\nUsername: ")
put("telnet-nose-0.bin", bytes([IAC, DO, 24]))
put("telnet-nose-1.bin", bytes([IAC, SB, 24, 1]) + b"x" * 100)  # a sub-negotiation with no end

put("redis-noauth-0.bin", b"-NOAUTH Authentication required.\r\n")
put("redis-denied-0.bin", b"-DENIED Redis is running in protected mode because protected mode is enabled\r\n")
put("redis-hugebulk-0.bin", b"+PONG\r\n")
put("redis-hugebulk-1.bin", b"$99999999999999\r\nredis_version:7.0.15\r\n")

put("ssh-dropbear-0.bin", b"SSH-2.0-dropbear_2022.83\r\n")
put("ssh-hugelen-1.bin", b"\xff\xff\xff\xff\x04\x14" + b"\0" * 32)


def kexinit(lists, pad=4):
    payload = bytes([20]) + b"\x11" * 16
    for l in lists:
        payload += struct.pack(">I", len(l)) + l
    payload += b"\0" + b"\0\0\0\0"
    return struct.pack(">IB", 1 + len(payload) + pad, pad) + payload + b"\0" * pad


put("ssh-dropbear-1.bin", kexinit([b"curve25519-sha256,diffie-hellman-group1-sha1", b"ssh-rsa",
                                   b"aes128-ctr,3des-cbc", b"aes128-ctr,3des-cbc", b"hmac-sha1,hmac-md5",
                                   b"hmac-sha1", b"none", b"none", b"", b""]))
# A name-list that claims more bytes than its packet holds.
bad = bytearray(kexinit([b"curve25519-sha256", b"ssh-rsa", b"aes128-ctr", b"aes128-ctr", b"hmac-sha1",
                         b"hmac-sha1", b"none", b"none", b"", b""]))
bad[22:26] = struct.pack(">I", 0x7fffffff)
put("ssh-badlist-1.bin", bytes(bad))
put("ssh-disconnect-1.bin", struct.pack(">IBB", 12, 4, 1) + struct.pack(">I", 2) + b"\0\0" + b"\0" * 4)

put("vnc-old-0.bin", b"RFB 003.003\n")
put("vnc-old-1.bin", struct.pack(">I", 2))
put("vnc-refuse-0.bin", b"RFB 003.008\n")
put("vnc-refuse-1.bin", b"\x00" + struct.pack(">I", 29) + b"Too many authentication tries")
put("vnc-hugereason-0.bin", b"RFB 003.008\n")
put("vnc-hugereason-1.bin", b"\x00" + struct.pack(">I", 0x7fffffff) + b"x" * 10)

put("hl7-ack-0.bin", b"\x0bMSH|^~\\&|RIS_SRV|CHU_RADIO|VIGIE|VIGIE|20261125100000||ACK^A19|84|P|2.5\r"
    b"MSA|AR|VIGIE0001|unsupported message type\r\x1c\r")
put("hl7-notmsh-0.bin", b"\x0bHELLO\x1c\r")

# ------------------------------------------------------------------ binary protocols


def mysql_packet(seq, payload):
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


greet = (b"\x0a" + b"8.0.35\0" + struct.pack("<I", 12) + b"abcdefgh" + b"\0" + struct.pack("<H", 0xffff)
         + b"\xff" + struct.pack("<H", 2) + struct.pack("<H", 0xdfff) + b"\x15" + b"\0" * 10
         + b"ijklmnopqrst\0" + b"caching_sha2_password\0")
put("mysql-oracle-0.bin", mysql_packet(0, greet))
put("mysql-hugelen-0.bin", b"\xff\xff\xff\x00\x0a5.7.0\0")

put("postgresql-ssl-0.bin", b"S")
put("postgresql-nossl-0.bin", b"N")
put("postgresql-nossl-1.bin", b"E" + struct.pack(">I", 0x7ffffff0) + b"SFATAL\0")
put("postgresql-reject-0.bin", b"N")
err = b"SFATAL\0VFATAL\0C28000\0Mno pg_hba.conf entry for host \"198.18.0.1\", user \"vigie\", database \"vigie\", no encryption\0\0"
put("postgresql-reject-1.bin", b"E" + struct.pack(">I", 4 + len(err)) + err)


def prelogin(options):
    """options: list of (token, bytes); the TDS reply of type 4."""
    table_len = 5 * len(options) + 1
    table, data = b"", b""
    for tok, val in options:
        table += struct.pack(">BHH", tok, table_len + len(data), len(val))
        data += val
    payload = table + b"\xff" + data
    return struct.pack(">BBHHBB", 4, 1, 8 + len(payload), 0, 1, 0) + payload


put("mssql-2019-0.bin", prelogin([(0, bytes([15, 0]) + struct.pack(">HH", 2000, 0)), (1, b"\x00"),
                                  (2, b"\x00"), (3, b""), (4, b"\x00")]))
put("mssql-required-0.bin", prelogin([(0, bytes([16, 0]) + struct.pack(">HH", 1000, 0)), (1, b"\x03")]))
bad = bytearray(prelogin([(0, bytes([15, 0]) + struct.pack(">HH", 2000, 0)), (1, b"\x00")]))
bad[8 + 1:8 + 3] = struct.pack(">H", 0x7000)  # VERSION offset far outside the payload
put("mssql-badoffset-0.bin", bytes(bad))


def bson(items):
    out = b""
    for t, k, v in items:
        out += bytes([t]) + k + b"\0" + v
    return struct.pack("<i", len(out) + 5) + out + b"\0"


def bstr(s):
    return struct.pack("<i", len(s) + 1) + s + b"\0"


def op_msg(to, doc):
    body = struct.pack("<I", 0) + b"\0" + doc
    return struct.pack("<iiii", 16 + len(body), 77, to, 2013) + body


hello = bson([(0x08, b"ismaster", b"\x01"), (0x03, b"topologyVersion", bson([(0x12, b"counter", b"\0" * 8)])),
              (0x10, b"maxBsonObjectSize", struct.pack("<i", 16777216)),
              (0x10, b"maxWireVersion", struct.pack("<i", 21)), (0x10, b"minWireVersion", struct.pack("<i", 0)),
              (0x09, b"localTime", b"\0" * 8), (0x01, b"ok", struct.pack("<d", 1.0))])
put("mongodb-7-0.bin", op_msg(1, hello))
build = bson([(0x02, b"version", bstr(b"7.0.14")), (0x02, b"gitVersion", bstr(b"ce59cfc6a3c5e5c067dca0d30697edd68d4f5188")),
              (0x04, b"versionArray", bson([(0x10, b"0", struct.pack("<i", 7))])), (0x01, b"ok", struct.pack("<d", 1.0))])
put("mongodb-7-1.bin", op_msg(2, build))
put("mongodb-badbson-0.bin", op_msg(1, struct.pack("<i", 40) + b"\x02version\0" + struct.pack("<i", 0x7fffffff) + b"7\0" + b"\0" * 20))


def tpkt_cc(neg):
    x224 = bytes([6 + len(neg), 0xd0, 0, 0, 0x12, 0x34, 0]) + neg
    return struct.pack(">BBH", 3, 0, 4 + len(x224)) + x224


put("rdp-nla-0.bin", tpkt_cc(struct.pack("<BBHI", 3, 0, 8, 5)))
put("rdp-old-0.bin", tpkt_cc(b""))
put("rdp-tlsoff-0.bin", tpkt_cc(struct.pack("<BBHI", 3, 0, 8, 2)))
put("rdp-hugelen-0.bin", b"\x03\x00\xff\xff\x0e\xd0")

smb1 = (b"\xffSMB\x72" + b"\0" * 4 + b"\x98" + struct.pack("<H", 0xc853) + b"\0" * 12 + b"\0\0\xff\xfe\0\0\0\0"
        + b"\x11" + struct.pack("<HBHHIIII", 0, 0x03 | 0x08 | 0x04, 50, 1, 16644, 65536, 0, 0xe3fd)
        + b"\0" * 8 + b"\0\0" + b"\x00" + b"\0\0")
put("smb-v1-0.bin", struct.pack(">I", len(smb1)) + smb1)
put("smb-hugelen-0.bin", b"\x00\xff\xff\xff\xfeSMB")

# A Windows Server 2019 as [MS-SMB2] and [MS-NLMP] describe it: the SMB2
# wildcard answer to the SMB1 offer, the 3.1.1 NEGOTIATE response (a random
# ServerGuid), then SESSION_SETUP's MORE_PROCESSING_REQUIRED with the
# CHALLENGE_MESSAGE inside a SPNEGO negTokenResp.
def nb(msg):
    return struct.pack(">I", len(msg)) + msg


def smb2_hdr(cmd, mid, status=0, session=0):
    return (b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ", 64, 0, status, cmd, 1, 1, 0, mid, 0xfeff, 0, session)
            + b"\0" * 16)


def smb2_negotiate_rsp(mid, dialect, guid):
    blob = b"\x60\x28\x06\x06\x2b\x06\x01\x05\x05\x02\xa0\x1e\x30\x1c\xa0\x1a\x30\x18\x06\x0a"\
           b"\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x1e\x06\x0a\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a"
    body = (struct.pack("<HHHH", 65, 0x01, dialect, 0) + guid + struct.pack("<IIII", 0x2f, 8388608, 8388608, 8388608)
            + struct.pack("<QQ", 0x01dd7ce3a2228a25, 0) + struct.pack("<HHI", 128, len(blob), 0) + blob)
    return nb(smb2_hdr(0, mid) + body)


def utf16(text):
    return text.encode("utf-16-le")


def av(avid, value):
    return struct.pack("<HH", avid, len(value)) + value


def challenge(version, pairs, ti_off=None):
    target = utf16("CHU")
    info = b"".join(pairs) + av(0, b"")
    off = 56 + len(target)
    return (b"NTLMSSP\0" + struct.pack("<I", 2) + struct.pack("<HHI", len(target), len(target), 56)
            + struct.pack("<I", 0xe28a8215) + b"\x11\x22\x33\x44\x55\x66\x77\x88" + b"\0" * 8
            + struct.pack("<HHI", len(info), len(info), off if ti_off is None else ti_off)
            + version + target + info)


def der(tag, content):
    n = len(content)
    return bytes([tag]) + (bytes([n]) if n < 0x80 else bytes([0x81, n]) if n < 0x100
                           else b"\x82" + struct.pack(">H", n)) + content


def spnego_resp(token):
    ntlm_oid = der(0x06, b"\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a")
    return der(0xa1, der(0x30, der(0xa0, b"\x0a\x01\x01") + der(0xa1, ntlm_oid) + der(0xa2, der(0x04, token))))


def setup_rsp(mid, blob, status=0xc0000016):
    body = struct.pack("<HHHH", 9, 0, 72, len(blob)) + blob
    return nb(smb2_hdr(1, mid, status, 0x0000100000000021) + body)


win_guid = b"\x8e\x4c\x1d\x07\x5b\x93\x42\x4f\xa0\x1c\x3d\x52\x9e\x77\x6a\x10"
win_pairs = [av(2, utf16("CHU")), av(1, utf16("SRV-PACS01")), av(4, utf16("chu.example")),
             av(3, utf16("srv-pacs01.chu.example")), av(5, utf16("chu.example")),
             av(7, struct.pack("<Q", 0x01dd7ce3a2228a25))]
win2019 = struct.pack("<BBH3sB", 10, 0, 17763, b"\0\0\0", 15)
put("smb-windows-0.bin", smb2_negotiate_rsp(0, 0x02ff, win_guid))
put("smb-windows-1.bin", smb2_negotiate_rsp(1, 0x0311, win_guid))
put("smb-windows-2.bin", setup_rsp(2, spnego_resp(challenge(win2019, win_pairs))))
# Hostile or unusual: TargetInfo past the message's end; a security buffer
# past the SMB2 message; a server refusing NTLM (ACCESS_DENIED); names with
# non-ASCII letters, an unpaired surrogate and an AV pair longer than
# TargetInfo; a NetBIOS negative session response on 139.
put("smb-badoffset-2.bin", setup_rsp(2, challenge(win2019, win_pairs, ti_off=0xfffffff0)))
bad = setup_rsp(2, challenge(win2019, win_pairs))
put("smb-badbuffer-2.bin", bad[:4 + 64 + 4] + struct.pack("<HH", 72, 0xfff0) + bad[4 + 64 + 8:])
put("smb-denied-2.bin", setup_rsp(2, b"", status=0xc0000022))
odd = [av(1, utf16("PACS-\u00c9T\u00c9")), av(3, b"a\0\x00\xd8b\0"), av(6, b"\x02\0\0\0"),
       struct.pack("<HH", 2, 400) + utf16("CHU")]
put("smb-oddnames-2.bin", setup_rsp(2, challenge(struct.pack("<BBH3sB", 6, 3, 9600, b"\0\0\0", 15), odd)))
put("smb-refused-0.bin", b"\x83\x00\x00\x01\x82")

# A Windows Server 2003 SP2 that speaks SMB1 only ([MS-SMB] 2.2.4.5.2.1,
# 2.2.4.6.2): NT LM 0.12 with extended security, then SESSION_SETUP_ANDX's
# MORE_PROCESSING_REQUIRED with the raw CHALLENGE_MESSAGE, NativeOS and
# NativeLanMan in Unicode after a pad byte.
def smb1_hdr(cmd, status, mid):
    return (b"\xffSMB" + bytes([cmd]) + struct.pack("<IBH", status, 0x98, 0xc807) + b"\0" * 12
            + struct.pack("<HHHH", 0, 0xfeff, 0x0800 if cmd == 0x73 else 0, mid))


w2003_neg = (smb1_hdr(0x72, 0, 0) + b"\x11" + struct.pack("<HBHHIIII", 0, 0x03, 50, 1, 16644, 65536, 0, 0x8000f3fd)
             + struct.pack("<QhB", 0x01dd7ce3a2228a25, 0, 0) + struct.pack("<H", 16) + win_guid)
put("smb-w2003-0.bin", nb(w2003_neg))
w2003 = struct.pack("<BBH3sB", 5, 2, 3790, b"\0\0\0", 15)
token = challenge(w2003, [av(2, utf16("CHU")), av(1, utf16("OLD-RIS")), av(4, utf16("chu.example")),
                          av(3, utf16("old-ris.chu.example")), av(5, utf16("chu.example"))])
strings = utf16("Windows Server 2003 3790 Service Pack 2") + b"\0\0" + utf16("Windows Server 2003 5.2") + b"\0\0"
body = b"\x04" + struct.pack("<BBHHH", 0xff, 0, 0, 0, len(token)) + struct.pack("<H", len(token) + 1 + len(strings))
msg = smb1_hdr(0x73, 0xc0000016, 1) + body + token
put("smb-w2003-1.bin", nb(msg + b"\0" * (len(msg) % 2) + strings))

# Windows Server 2019's answer to TLS alone: every flag of 2.2.1.2.1 up to
# Remote Credential Guard, TLS selected.
put("rdp-windows-0.bin", tpkt_cc(struct.pack("<BBHI", 2, 0x1f, 8, 1)))
# GFX with none of the Windows-only bits (as servers built on FreeRDP may
# send): no product.
put("rdp-gfx-0.bin", tpkt_cc(struct.pack("<BBHI", 2, 0x03, 8, 1)))

# An Active Directory root DSE: no vendorName, functional levels, StartTLS.
def ber(tag, content):
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    if n < 0x100:
        return bytes([tag, 0x81, n]) + content
    return bytes([tag, 0x82]) + struct.pack(">H", n) + content


def attr(name, *values):
    return ber(0x30, ber(0x04, name) + ber(0x31, b"".join(ber(0x04, v) for v in values)))


entry = ber(0x64, ber(0x04, b"") + ber(0x30, b"".join([
    attr(b"namingContexts", b"DC=chu,DC=example", b"CN=Configuration,DC=chu,DC=example"),
    attr(b"defaultNamingContext", b"DC=chu,DC=example"),
    attr(b"supportedLDAPVersion", b"3", b"2"),
    attr(b"supportedSASLMechanisms", b"GSSAPI", b"GSS-SPNEGO", b"EXTERNAL", b"DIGEST-MD5"),
    attr(b"supportedExtension", b"1.3.6.1.4.1.1466.20037", b"1.3.6.1.4.1.1466.101.119.1"),
    attr(b"dnsHostName", b"dc01.chu.example"),
    attr(b"forestFunctionality", b"7"),
    attr(b"domainFunctionality", b"7"),
])))
done = ber(0x65, b"\x0a\x01\x00\x04\x00\x04\x00")
put("ldap-ad-0.bin", ber(0x30, b"\x02\x01\x01" + entry) + ber(0x30, b"\x02\x01\x01" + done))
put("ldap-denied-0.bin", ber(0x30, b"\x02\x01\x01" + ber(0x65, b"\x0a\x01\x32\x04\x00\x04\x00")))
put("ldap-hugelen-0.bin", b"\x30\x84\x7f\xff\xff\xff\x02\x01\x01")

put("dicom-reject-0.bin", b"\x03\x00" + struct.pack(">I", 4) + b"\x00\x01\x01\x07")
put("dicom-abort-0.bin", b"\x07\x00" + struct.pack(">I", 4) + b"\x00\x00\x02\x00")
put("dicom-hugelen-0.bin", b"\x02\x00\xff\xff\xff\xff\x00\x01")

# ------------------------------------------------------------------ endless text
# Lines and replies that never end, past the modules' limits: each must give
# up (ERROR once the protocol is known, NOT_MINE before), never wait forever.
put("ftp-endless-1.bin", b"211-Features:\r\n" + b" X\r\n" * 2300)
put("smtp-endless-1.bin", b"250-mx.chu.example\r\n" + b"250-" + b"A" * 9000)
put("imap-endless-1.bin", b"* CAPABILITY " + b"X" * 9000)
put("pop3-endless-1.bin", b"+OK\r\n" + b"TOP\r\n" * 1000)
put("hl7-endless-0.bin", b"\x0bMSH|^~\\&|" + b"A" * 9000)
