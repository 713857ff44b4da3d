#!/usr/bin/python3
# tests/lab/slapd_gen.py — entries for tests/lab/slapd_audit.sh (called by it; not a test).
#
# usage: slapd_gen.py weak|clean SUFFIX OUTDIR AUDIT_PASSWORD
#
# Writes OUTDIR/entries.ldif (the whole tree) and OUTDIR/passwords.tsv
# ("dn<TAB>scheme<TAB>cleartext" for every entry that has a userPassword, scheme as the
# auditor names it: CLEAR, CLEARTEXT, MD5, SMD5, SHA, SSHA, CRYPT-DES, CRYPT-SHA512, ARGON2).
# Deterministic except for salts. /usr/bin/python3 on purpose: Debian's interpreter has
# the crypt module (DES crypt needs it; OpenSSL 3 dropped `passwd -crypt`).
import base64
import hashlib
import os
import subprocess
import sys
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # noqa: E402  (deprecated in 3.11, still shipped in Debian 12)

FILLER_USERS = 320      # > 3 x the server's size limit of 100: paging is exercised
FILLER_GROUPS = 30

def b64(b):
    return base64.b64encode(b).decode()

def h_md5(pw):
    return "{MD5}" + b64(hashlib.md5(pw.encode()).digest())

def h_smd5(pw):
    salt = os.urandom(4)
    return "{SMD5}" + b64(hashlib.md5(pw.encode() + salt).digest() + salt)

def h_sha(pw):
    return "{SHA}" + b64(hashlib.sha1(pw.encode()).digest())

def h_ssha(pw):
    salt = os.urandom(4)
    return "{SSHA}" + b64(hashlib.sha1(pw.encode() + salt).digest() + salt)

def h_des(pw):
    v = crypt.crypt(pw, "vl")          # traditional DES crypt: 13 characters
    assert len(v) == 13, v
    return "{CRYPT}" + v

def h_sha512(pw):
    return "{CRYPT}" + crypt.crypt(pw, crypt.mksalt(crypt.METHOD_SHA512))

def h_argon2(pw):
    out = subprocess.run(["slappasswd", "-o", "module-load=argon2", "-h", "{ARGON2}", "-s", pw],
                         check=True, capture_output=True, text=True).stdout.strip()
    assert out.startswith("{ARGON2}"), out
    return out

def main():
    kind, suffix, outdir, audit_pw = sys.argv[1:5]
    assert kind in ("weak", "clean")
    dc = suffix.split(",")[0].split("=")[1]
    out, pwlines = [], []

    def entry(dn, *attrs, password=None, scheme=None, cleartext=None):
        out.append("dn: " + dn)
        out.extend(attrs)
        if password is not None:
            out.append("userPassword: " + password)
            pwlines.append("%s\t%s\t%s" % (dn, scheme, cleartext))
        out.append("")

    entry(suffix, "objectClass: top", "objectClass: dcObject", "objectClass: organization",
          "o: Vigie lab (%s)" % kind, "dc: " + dc)
    for ou in ("people", "groups", "system") + (("policies",) if kind == "clean" else ()):
        entry("ou=%s,%s" % (ou, suffix), "objectClass: organizationalUnit", "ou: " + ou)

    people = "ou=people," + suffix

    def person(uid, cn, num, **pw):
        return entry("uid=%s,%s" % (uid, people), "objectClass: inetOrgPerson",
                     "objectClass: posixAccount", "uid: " + uid, "cn: " + cn,
                     "sn: " + cn.split()[-1], "uidNumber: %d" % num, "gidNumber: 10000",
                     "homeDirectory: /home/" + uid, "mail: %s@%s.vigie.test" % (uid, dc), **pw)

    # The audit account: ordinary read rights (the ACLs in slapd.conf), a strong hash.
    entry("uid=vigie-audit,ou=system," + suffix, "objectClass: account",
          "objectClass: simpleSecurityObject", "uid: vigie-audit",
          "description: vigie directory audit account (read only)",
          password=h_sha512(audit_pw), scheme="CRYPT-SHA512", cleartext=audit_pw)

    # Named users, one per password scheme.
    if kind == "weak":
        named = [
            ("pw-clear", "Claire Nopfx", "Clear-NoPrefix-1", lambda p: p, "CLEAR"),
            ("pw-cleartext", "Clement Tagged", "Clear-Tagged-1", lambda p: "{CLEARTEXT}" + p, "CLEARTEXT"),
            ("pw-md5", "Marc Md", "Md5-Pass-1", h_md5, "MD5"),
            ("pw-smd5", "Sonia Smd", "Smd5-Pass-1", h_smd5, "SMD5"),
            ("pw-sha", "Sacha Sha", "Sha1-Pass-1", h_sha, "SHA"),
            ("pw-crypt-des", "Denis Des", "DesPass1", h_des, "CRYPT-DES"),
            ("pw-ssha", "Sylvie Ssha", "Ssha-Pass-1", h_ssha, "SSHA"),
            # Look-alikes that must NOT be flagged by LDAP-005 (they are by LDAP-004:
            # readable anonymously on this instance).
            ("pw-sha512", "Sarah Crypt", "Sha512-Pass-1", h_sha512, "CRYPT-SHA512"),
            ("pw-argon2", "Arthur Gon", "Argon2-Pass-1", h_argon2, "ARGON2"),
        ]
    else:
        named = [
            ("pw-sha512", "Sarah Crypt", "Sha512-Pass-1-Long", h_sha512, "CRYPT-SHA512"),
            ("pw-argon2", "Arthur Gon", "Argon2-Pass-1-Long", h_argon2, "ARGON2"),
        ]
    for i, (uid, cn, pw, fn, scheme) in enumerate(named):
        person(uid, cn, 20000 + i, password=fn(pw), scheme=scheme, cleartext=pw)

    # Filler people: on the weak side without passwords (so the at-fault lists stay the
    # named entries), on the clean side each with its own SHA-512 crypt hash.
    for i in range(1, FILLER_USERS + 1):
        uid = "user%04d" % i
        if kind == "clean":
            pw = "Filler-%04d-Passphrase" % i
            person(uid, "Agent Numero%04d" % i, 10000 + i, password=h_sha512(pw),
                   scheme="CRYPT-SHA512", cleartext=pw)
        else:
            person(uid, "Agent Numero%04d" % i, 10000 + i)

    for g in range(1, FILLER_GROUPS + 1):
        members = ["member: uid=user%04d,%s" % (i, people)
                   for i in range(g, FILLER_USERS + 1, FILLER_GROUPS)]
        entry("cn=service%02d,ou=groups,%s" % (g, suffix), "objectClass: groupOfNames",
              "cn: service%02d" % g, *members)

    if kind == "clean":
        entry("cn=default,ou=policies," + suffix, "objectClass: organizationalRole",
              "objectClass: pwdPolicy", "cn: default", "pwdAttribute: userPassword",
              "pwdMinLength: 12", "pwdMaxFailure: 5", "pwdLockout: TRUE",
              "pwdLockoutDuration: 900", "pwdFailureCountInterval: 900",
              "pwdInHistory: 5", "pwdCheckQuality: 2", "pwdMaxAge: 31536000",
              "pwdAllowUserChange: TRUE", "pwdMustChange: TRUE")

    with open(os.path.join(outdir, "entries.ldif"), "w") as f:
        f.write("\n".join(out) + "\n")
    with open(os.path.join(outdir, "passwords.tsv"), "w") as f:
        f.write("\n".join(pwlines) + "\n")

if __name__ == "__main__":
    main()
