#!/usr/bin/python3
# bench/ldap_lab_gen.py — LDIF of the LDAP benchmark directory (called by bench/ldap_lab.sh).
#
# usage: ldap_lab_gen.py BASE_DN DNS_DOMAIN USERS COMPUTERS GROUPS OUTDIR
#
# Writes OUTDIR/add-NNNN.ldif (chunks of at most 1,000 objects, or of groups holding at
# most 20,000 member values, for ldbadd, in order) and OUTDIR/nest.ldif (the group
# nesting, for ldbmodify). Chunks, because Samba's add cost grows with the number of
# adds already made in the same transaction (measured with batch_mode: 1.3 ms per object
# in a 1,000-object transaction, 7 ms in a 4,000-object one).
#
# OU=Bench,BASE with OU=People (USERS users), OU=Computers (COMPUTERS computers) and
# OU=Groups (GROUPS groups). Memberships: user i is in group i mod GROUPS (so every group
# has about USERS/GROUPS members); the first 5 groups (g0000..g0004, "big") also get
# every 20th user (USERS/20 more members each: 5,100 in all at 100,000 users, beyond the
# 1,500 values of one range, so a reader must do range retrieval); every 10th group has the next group as a member
# (nesting). No passwords: Samba would derive Kerberos keys for each one (slow, and
# pointless for a read benchmark); accounts are NORMAL|PASSWD_NOTREQD (0x220), a tenth of
# them disabled, a twentieth with DONT_EXPIRE_PASSWORD, so rules have something to count.
import sys


CHUNK_OBJECTS = 1000
CHUNK_VALUES = 20000


class Chunks:
    """LDIF records into OUTDIR/add-NNNN.ldif, a new file past the limits."""

    def __init__(self, outdir):
        self.outdir, self.n, self.f = outdir, 0, None
        self.objects = self.values = 0

    def write(self, record, values=1):
        if self.f is None or self.objects >= CHUNK_OBJECTS or self.values + values > CHUNK_VALUES:
            if self.f:
                self.f.close()
            self.n += 1
            self.f = open("%s/add-%04d.ldif" % (self.outdir, self.n), "w", buffering=1 << 20)
            self.objects = self.values = 0
        self.f.write(record)
        self.objects += 1
        self.values += values

    def close(self):
        if self.f:
            self.f.close()


def main():
    base, dns, nu, nc, ng, outdir = sys.argv[1:7]
    nu, nc, ng = int(nu), int(nc), int(ng)
    bench = "OU=Bench," + base
    people, comps, groups = ("OU=%s,%s" % (o, bench) for o in ("People", "Computers", "Groups"))
    depts = ["Cardiologie", "Urgences", "Radiologie", "Pharmacie", "Direction", "DSI",
             "Laboratoire", "Pediatrie", "Chirurgie", "Admissions"]
    oses = ["Windows 10 Enterprise", "Windows 11 Enterprise", "Windows Server 2019 Standard",
            "Windows Server 2022 Standard", "Windows 7 Professional"]
    w = Chunks(outdir)
    for dn in (bench, people, comps, groups):
        w.write("dn: %s\nobjectClass: organizationalUnit\n\n" % dn)
    for i in range(1, nu + 1):
        uac = 0x220 | (0x2 if i % 10 == 0 else 0) | (0x10000 if i % 20 == 0 else 0)
        w.write("dn: CN=u%06d,%s\nobjectClass: user\nsAMAccountName: u%06d\n"
                "userPrincipalName: u%06d@%s\ngivenName: Prenom%06d\nsn: Nom%06d\n"
                "displayName: Prenom%06d Nom%06d\nmail: u%06d@%s\ndepartment: %s\n"
                "title: Agent\ndescription: bench user %d\nuserAccountControl: %d\n\n"
                % (i, people, i, i, dns, i, i, i, i, i, dns, depts[i % len(depts)], i, uac))
    for i in range(1, nc + 1):
        w.write("dn: CN=c%05d,%s\nobjectClass: computer\nsAMAccountName: c%05d$\n"
                "dNSHostName: c%05d.%s\noperatingSystem: %s\nuserAccountControl: %d\n\n"
                % (i, comps, i, i, dns, oses[i % len(oses)], 0x1000 | 0x20))
    members = [[] for _ in range(ng)]
    for i in range(1, nu + 1):
        members[i % ng].append(i)
        if i % 20 == 0:
            for k in range(5):
                members[k].append(i)
    for g in range(ng):
        m = sorted(set(members[g]))
        w.write("dn: CN=g%04d,%s\nobjectClass: group\nsAMAccountName: g%04d\n"
                "description: bench group %d\n" % (g, groups, g, g)
                + "".join("member: CN=u%06d,%s\n" % (i, people) for i in m) + "\n", values=len(m))
    w.close()
    # Nesting, once every group exists.
    w = open(outdir + "/nest.ldif", "w")
    for g in range(0, ng - 1, 10):
        w.write("dn: CN=g%04d,%s\nchangetype: modify\nadd: member\nmember: CN=g%04d,%s\n\n"
                % (g, groups, g + 1, groups))
    w.close()


if __name__ == "__main__":
    main()
