#!/usr/bin/python3
# tests/lab/samba_seed.py — the seeding plan of tests/lab/samba_ad.sh (called by it).
#
#   samba_seed.py plan BASE_DN REALM OUTDIR
#       writes OUTDIR/10-add.ldif (ldbadd: OUs, groups, users, computers),
#       OUTDIR/20-modify.ldif (ldbmodify: memberships, primaryGroupID, configuration),
#       OUTDIR/30-system.ldif (ldbmodify with the password-last-set bypass control:
#       pwdLastSet, lastLogonTimestamp, sIDHistory — values a client cannot write),
#       OUTDIR/truth.tsv, OUTDIR/clean.tsv, OUTDIR/ambiguous.tsv, OUTDIR/accounts.tsv.
#   samba_seed.py rbcd DOMAIN_SID SID        base64 security descriptor granting SID
#       resource-based constrained delegation (msDS-AllowedToActOnBehalfOfOtherIdentity)
#   samba_seed.py dnsprop-nonsecure B64      the dNSProperty ALLOW_UPDATE value B64 with
#       its data byte set to 1 (nonsecure and secure updates)
#
# The ground truth is computed here, from the plan, with the rule definitions of
# /work/shared/reference/ad-rules.md §7 (the seed script then checks the directory holds
# what the plan says). /usr/bin/python3: the samba bindings are for that interpreter.
import base64
import sys
import time

NOW = int(time.time())
DAY = 86400
PWD = '"Lab-Passw0rd-2024!"'          # unicodePwd wants the password in double quotes
PWD_B64 = base64.b64encode(PWD.encode("utf-16-le")).decode()

# UAC bits
DISABLED, PWNOTREQD, REVERSIBLE, NORMAL = 0x2, 0x20, 0x80, 0x200
WORKSTATION, SERVER_TRUST = 0x1000, 0x2000
NOEXPIRE, TRUSTED_FOR_DELEG, NOT_DELEGATED = 0x10000, 0x80000, 0x100000
DES_ONLY, NO_PREAUTH = 0x200000, 0x400000


def filetime(days_ago):
    return (NOW - days_ago * DAY + 11644473600) * 10_000_000


def plan(base, realm):
    dns = realm.lower()
    lab = "OU=Vigie Lab," + base
    ou = {k: "OU=%s,%s" % (k, lab) for k in
          ("Admins", "Tier0", "Users", "Services", "Stale", "Servers", "Workstations", "Groups")}
    G = {  # privileged and other well-known groups
        "DA": "CN=Domain Admins,CN=Users," + base,
        "SA": "CN=Schema Admins,CN=Users," + base,
        "EA": "CN=Enterprise Admins,CN=Users," + base,
        "AO": "CN=Account Operators,CN=Builtin," + base,
        "SO": "CN=Server Operators,CN=Builtin," + base,
        "PO": "CN=Print Operators,CN=Builtin," + base,
        "BO": "CN=Backup Operators,CN=Builtin," + base,
        "PU": "CN=Protected Users,CN=Users," + base,
        "DNS": "CN=DnsAdmins,CN=Users," + base,
        "T0": "CN=Tier0 Bulk," + ou["Groups"],
        "STAFF": "CN=Lab Staff," + ou["Groups"],
    }
    PRIV_GROUPS = {"DA", "SA", "EA", "AO", "SO", "PO", "BO", "T0"}   # T0 is nested in DA
    PROTECTED = {"PU", "T0"}                                          # T0 is nested in PU

    accts = []

    def user(name, where, uac=0, groups=(), admincount=False, spn=None, enc=None,
             pwd_days=None, llt_days=None, sidhist=None, pgid=None, unixpwd=False, desc=""):
        accts.append(dict(kind="user", name=name, dn="CN=%s,%s" % (name, ou[where]),
                          uac=NORMAL | uac, groups=set(groups), admincount=admincount,
                          spn=spn, enc=enc, pwd_days=pwd_days, llt_days=llt_days,
                          sidhist=sidhist, pgid=pgid, unixpwd=unixpwd, desc=desc))

    def computer(name, where, os_name, pwd_days, llt_days, uac=0, a2d=None, desc=""):
        accts.append(dict(kind="computer", name=name, dn="CN=%s,%s" % (name, ou[where]),
                          uac=WORKSTATION | uac, groups=set(), admincount=False,
                          spn=["HOST/%s.%s" % (name, dns), "HOST/%s" % name.upper()], enc=None,
                          pwd_days=pwd_days, llt_days=llt_days, sidhist=None, pgid=None,
                          unixpwd=False, os=os_name, a2d=a2d, desc=desc))

    # --- privileged users
    user("adm-kerb", "Admins", groups={"DA"}, admincount=True, enc=0x18,
         spn=["MSSQLSvc/sql-prod.%s:1433" % dns], desc="Kerberoastable Domain Admin")
    user("adm-nospn", "Admins", groups={"DA"}, admincount=True, desc="Domain Admin without SPN (look-alike)")
    user("adm-nopreauth", "Admins", uac=NO_PREAUTH, groups={"DA"}, admincount=True,
         desc="Domain Admin without Kerberos pre-authentication")
    user("adm-noexpire", "Admins", uac=NOEXPIRE, groups={"DA"}, admincount=True,
         desc="Domain Admin whose password never expires")
    user("adm-oldpwd", "Admins", groups={"DA"}, admincount=True, pwd_days=1500, llt_days=3,
         desc="Domain Admin, password 1500 days old, logged on 3 days ago")
    user("adm-noadmincount", "Admins", groups={"DA"}, admincount=False,
         desc="Domain Admin without adminCount")
    user("adm-protected", "Admins", groups={"DA", "PU"}, admincount=True,
         desc="Domain Admin in Protected Users (look-alike)")
    user("adm-sensitive", "Admins", uac=NOT_DELEGATED, groups={"DA"}, admincount=True,
         desc="Domain Admin marked sensitive, not in Protected Users")
    user("adm-reversible", "Admins", uac=REVERSIBLE, groups={"DA"}, admincount=True,
         desc="Domain Admin with reversible encryption")
    user("adm-pgid", "Admins", admincount=True, pgid=512,
         desc="privileged through primaryGroupID 512 only")
    user("op-account", "Admins", groups={"AO"}, admincount=True, desc="Account Operators member")
    user("op-server", "Admins", groups={"SO"}, admincount=True, desc="Server Operators member")
    user("op-print", "Admins", groups={"PO"}, admincount=True, desc="Print Operators member")
    user("op-backup", "Admins", groups={"BO"}, admincount=True, desc="Backup Operators member")
    user("schema-adm", "Admins", groups={"SA"}, admincount=True, desc="Schema Admins member")
    for i in range(1, 49):
        user("t0-adm-%02d" % i, "Tier0", groups={"T0"}, admincount=True, uac=NOT_DELEGATED,
             desc="bulk Tier0 admin (Tier0 Bulk is in Domain Admins and Protected Users)")
    # --- ordinary users
    user("dns-helper", "Users", groups={"DNS"}, desc="DnsAdmins member (not privileged)")
    user("user-admincount", "Users", admincount=True, desc="adminCount=1, not privileged")
    user("user-nopreauth", "Users", uac=NO_PREAUTH, desc="no Kerberos pre-authentication")
    user("user-desonly", "Users", uac=DES_ONLY, desc="USE_DES_KEY_ONLY")
    user("user-reversible", "Users", uac=REVERSIBLE, desc="reversible encryption")
    user("user-pwnotreqd", "Users", uac=PWNOTREQD, desc="PASSWD_NOTREQD")
    user("user-pgid-custom", "Users", groups={"STAFF"}, pgid="STAFF",
         desc="primaryGroupID = Lab Staff (RID >= 1000)")
    user("user-sidhist", "Users", sidhist="S-1-5-21-1000000001-2000000002-3000000003-1105",
         desc="sIDHistory of an ordinary foreign account")
    user("user-sidhist-priv", "Users", sidhist="S-1-5-21-1000000001-2000000002-3000000003-512",
         desc="sIDHistory of a foreign Domain Admins group (RID 512)")
    user("user-unixpwd", "Users", unixpwd=True, desc="userPassword and unixUserPassword populated")
    user("user-oldpwd-active", "Users", pwd_days=1500, llt_days=3,
         desc="password 1500 days old but logged on 3 days ago (not dormant)")
    user("user-disabled-stale", "Users", uac=DISABLED, pwd_days=1500, llt_days=800,
         desc="dormant-looking but disabled")
    user("user-plain", "Users", desc="ordinary user, nothing wrong")
    user("svc-desenc", "Services", enc=0x3, desc="msDS-SupportedEncryptionTypes DES only")
    user("svc-rc4", "Services", enc=0x4, spn=["HTTP/intranet.%s" % dns], desc="SPN, RC4 only")
    user("svc-aes", "Services", enc=0x18, spn=["HTTP/portal.%s" % dns], desc="SPN, AES only")
    for i in range(1, 61):
        user("stale-%03d" % i, "Stale", uac=NOEXPIRE if i <= 30 else 0, pwd_days=1500,
             llt_days=800, desc="dormant: password 1500 days, last logon 800 days ago")
    # --- computers
    dc_host = "dc1.%s" % dns
    computer("srv-uncon", "Servers", "Windows Server 2019 Standard", 5, 1, uac=TRUSTED_FOR_DELEG,
             desc="unconstrained delegation on a member server")
    computer("srv-kcd-dc", "Servers", "Windows Server 2016 Standard", 5, 1,
             a2d=["ldap/%s" % dc_host, "ldap/DC1"], desc="constrained delegation to the DC's LDAP")
    computer("srv-kcd-ok", "Servers", "Windows Server 2022 Standard", 5, 1,
             a2d=["cifs/srv-files.%s" % dns], desc="constrained delegation to a file server (look-alike)")
    computer("srv-files", "Servers", "Windows Server 2022 Standard", 5, 1, desc="healthy server")
    computer("srv-old2008", "Servers", "Windows Server 2008 R2 Standard", 200, 120,
             desc="obsolete OS, password 200 days, last logon 120 days")
    computer("srv-pwd60", "Servers", "Windows Server 2019 Standard", 60, 2,
             desc="server password 60 days old")
    computer("srv-rbcd", "Servers", "Windows Server 2019 Standard", 5, 1,
             desc="allowed to act on behalf of others on the DC (RBCD)")
    computer("srv-2008-off", "Servers", "Windows Server 2008 R2 Standard", 500, 500, uac=DISABLED,
             desc="obsolete, stale, but disabled (look-alike)")
    computer("ws-xp", "Workstations", "Windows XP Professional", 10, 10, desc="active Windows XP")
    computer("ws-xp-gone", "Workstations", "Windows XP Professional", 400, 400,
             desc="Windows XP not seen for 400 days (look-alike for AD-OS-001)")
    computer("ws-win11", "Workstations", "Windows 11 Enterprise", 5, 1, desc="healthy workstation")
    return dns, lab, ou, G, PRIV_GROUPS, PROTECTED, accts


def write_plan(base, realm, outdir):
    dns, lab, ou, G, PRIV_GROUPS, PROTECTED, accts = plan(base, realm)
    add, mod, sysm = [], [], []
    add += ["dn: " + lab, "objectClass: organizationalUnit", "description: vigie lab objects", ""]
    for k, dn in ou.items():
        add += ["dn: " + dn, "objectClass: organizationalUnit", ""]
    add += ["dn: " + G["T0"], "objectClass: group", "sAMAccountName: Tier0 Bulk",
            "description: bulk Tier0 admins, nested in Domain Admins and Protected Users", ""]
    add += ["dn: " + G["STAFF"], "objectClass: group", "sAMAccountName: Lab Staff", ""]
    members = {k: [] for k in G}
    for a in accts:
        sam = a["name"] + ("$" if a["kind"] == "computer" else "")
        e = ["dn: " + a["dn"]]
        if a["kind"] == "user":
            e += ["objectClass: user", "sAMAccountName: " + sam,
                  "userPrincipalName: %s@%s" % (a["name"], dns), "unicodePwd:: " + PWD_B64]
        else:
            e += ["objectClass: computer", "sAMAccountName: " + sam, "unicodePwd:: " + PWD_B64,
                  "dNSHostName: %s.%s" % (a["name"], dns), "operatingSystem: " + a["os"]]
            for v in a.get("a2d") or ():
                e.append("msDS-AllowedToDelegateTo: " + v)
        e.append("userAccountControl: %d" % a["uac"])
        if a["desc"]:
            e.append("description: " + a["desc"])
        for s in a["spn"] or ():
            e.append("servicePrincipalName: " + s)
        if a["enc"] is not None:
            e.append("msDS-SupportedEncryptionTypes: %d" % a["enc"])
        if a["admincount"]:
            e.append("adminCount: 1")
        if a["unixpwd"]:
            e += ["userPassword: Unix-Pass-1", "unixUserPassword: Unix-Pass-2"]
        add += e + [""]
        for g in a["groups"]:
            members[g].append(a["dn"])
        if a["pgid"] is not None:
            # Samba wants the account in the group before it becomes its primary group.
            g = "DA" if a["pgid"] == 512 else a["pgid"]
            if g not in a["groups"]:
                members[g].append(a["dn"])
    members["DA"].append(G["T0"])
    members["PU"].append(G["T0"])
    for g, dns_ in members.items():
        if dns_:
            mod += ["dn: " + G[g], "changetype: modify", "add: member"]
            mod += ["member: " + d for d in dns_] + [""]
    for a in accts:
        if a["pgid"] is not None:
            mod += ["dn: " + a["dn"], "changetype: modify", "replace: primaryGroupID",
                    "primaryGroupID: %s" % (512 if a["pgid"] == 512 else "@RID:" + G[a["pgid"]]), ""]
    # Configuration weaknesses.
    mod += ["dn: CN=Directory Service,CN=Windows NT,CN=Services,CN=Configuration," + base,
            "changetype: modify", "replace: dSHeuristics", "dSHeuristics: 0000002", ""]
    mod += ["dn: CN=Pre-Windows 2000 Compatible Access,CN=Builtin," + base, "changetype: modify",
            "add: member", "member: <SID=S-1-5-7>", ""]
    # System-only values (password-last-set bypass control).
    for a in accts:
        e = []
        if a["pwd_days"] is not None:
            e += ["replace: pwdLastSet", "pwdLastSet: %d" % filetime(a["pwd_days"]), "-"]
        if a["llt_days"] is not None:
            e += ["replace: lastLogonTimestamp", "lastLogonTimestamp: %d" % filetime(a["llt_days"]), "-"]
        if a["sidhist"]:
            e += ["add: sIDHistory", "sIDHistory: " + a["sidhist"], "-"]
        if e:
            sysm += ["dn: " + a["dn"], "changetype: modify"] + e[:-1] + [""]
    sysm += ["dn: CN=krbtgt,CN=Users," + base, "changetype: modify", "replace: pwdLastSet",
             "pwdLastSet: %d" % filetime(1500), ""]
    sysm += ["dn: CN=Administrator,CN=Users," + base, "changetype: modify",
             "replace: lastLogonTimestamp", "lastLogonTimestamp: %d" % filetime(2), ""]

    def w(name, lines):
        with open("%s/%s" % (outdir, name), "w") as f:
            f.write("\n".join(lines) + "\n")

    w("10-add.ldif", add)
    w("20-modify.ldif", mod)
    w("30-system.ldif", sysm)
    truth, clean, amb = ground_truth(base, dns, ou, G, PRIV_GROUPS, PROTECTED, accts)
    w("truth.tsv", ["# rule_id\texpected\tdn_at_fault"] + truth)
    w("clean.tsv", ["# rule_id\tdn (look-alikes that must NOT be flagged)"] + clean)
    w("ambiguous.tsv", ["# rule_id\tdn\twhy tests must not assert it"] + amb)
    w("accounts.tsv", ["# dn\tuserAccountControl\tdescription"] +
      ["%s\t0x%x\t%s" % (a["dn"], a["uac"], a["desc"]) for a in accts])


def ground_truth(base, dns, ou, G, PRIV_GROUPS, PROTECTED, accts):
    users_cn = "CN=Users," + base
    # The provisioned objects the rules also see.
    admin = dict(kind="user", name="Administrator", dn="CN=Administrator," + users_cn, uac=NORMAL,
                 groups={"DA", "SA", "EA"}, admincount=True, spn=None, enc=None, pwd_days=None,
                 llt_days=2, sidhist=None, pgid=None, unixpwd=False)
    # Guest after `samba-tool user enable Guest`: that clears ACCOUNTDISABLE and
    # PASSWD_NOTREQD (samdb.enable_account), so 0x10200.
    guest = dict(kind="user", name="Guest", dn="CN=Guest," + users_cn,
                 uac=NORMAL | NOEXPIRE, groups=set(), admincount=False, spn=None,
                 enc=None, pwd_days=None, llt_days=None, sidhist=None, pgid=None, unixpwd=False)
    audit = dict(kind="user", name="vigie-audit", dn="CN=vigie-audit," + users_cn, uac=NORMAL,
                 groups=set(), admincount=False, spn=None, enc=None, pwd_days=None, llt_days=None,
                 sidhist=None, pgid=None, unixpwd=False)
    allu = [admin, guest, audit] + accts
    T, C, A = [], [], []

    def fail(rule, dn):
        T.append("%s\tfail\t%s" % (rule, dn))

    def priv(a):
        return bool(a["groups"] & PRIV_GROUPS) or a["pgid"] == 512

    def prot(a):
        return bool(a["groups"] & PROTECTED)

    def en(a):
        return not a["uac"] & DISABLED

    users = [a for a in allu if a["kind"] == "user"]
    comps = [a for a in allu if a["kind"] == "computer"]
    P = [a for a in users if priv(a)]
    rules = [
        ("AD-PRIV-002", lambda a: a in P and a["spn"]),
        ("AD-PRIV-003", lambda a: a in P and a["uac"] & NO_PREAUTH),
        ("AD-PRIV-004", lambda a: a in P and en(a) and a["uac"] & NOEXPIRE),
        ("AD-PRIV-005", lambda a: a in P and (a["pwd_days"] or 0) > 1095),
        ("AD-PRIV-006", lambda a: a in P and not a["admincount"]),
        ("AD-PRIV-008", lambda a: a in P and not prot(a)),
        ("AD-PRIV-009", lambda a: a in P and a["uac"] & REVERSIBLE),
        ("AD-PRIV-010", lambda a: a in P and not a["uac"] & NOT_DELEGATED and not prot(a)),
        ("AD-PRIV-013", lambda a: a is admin),
        ("AD-PRIV-014", lambda a: a["admincount"] and a not in P),
        ("AD-KRB-005", lambda a: en(a) and a["uac"] & NO_PREAUTH),
        ("AD-KRB-006", lambda a: a["uac"] & DES_ONLY or (a["enc"] or 0) & 0x3),
        ("AD-KRB-007", lambda a: a["spn"] and a["enc"] is not None and not a["enc"] & 0x18),
        ("AD-KRB-009", lambda a: en(a) and a not in P and a["spn"]),
        ("AD-ACC-003", lambda a: a is guest),
        ("AD-ACC-004", lambda a: en(a) and a["uac"] & PWNOTREQD),
        ("AD-ACC-005", lambda a: a["pgid"] is not None),
        ("AD-ACC-006", lambda a: a["sidhist"]),
        ("AD-ACC-007", lambda a: (en(a) and a["uac"] & REVERSIBLE) or a["unixpwd"]),
    ]
    for rule, pred in rules:
        for a in users:
            if pred(a):
                fail(rule, a["dn"])

    # Ratios over enabled users and computers (the DC and the audit account included).
    dc = dict(kind="computer", uac=SERVER_TRUST | TRUSTED_FOR_DELEG, pwd_days=None, llt_days=None)
    enabled = [a for a in allu if en(a)] + [dc]
    dormant = [a for a in allu if en(a) and (a["pwd_days"] or 0) > 1095 and (a["llt_days"] or 0) > 365]
    noexp = [a for a in allu if en(a) and a["uac"] & NOEXPIRE]
    assert len(dormant) / len(enabled) > 0.25, (len(dormant), len(enabled))
    assert len(noexp) / len(enabled) > 0.10, (len(noexp), len(enabled))
    for a in dormant:
        fail("AD-ACC-001", a["dn"])
    for a in noexp:
        fail("AD-ACC-002", a["dn"])
    T.append("# AD-ACC-001 ratio %d/%d dormant; AD-ACC-002 ratio %d/%d never-expiring (enabled "
             "users and computers, DC included)" % (len(dormant), len(enabled), len(noexp), len(enabled)))
    T.append("# AD-PRIV-001 privileged accounts (RID 500 and DCs excluded): %d"
             % (len(P) - 1))
    assert len(P) - 1 > 50

    # Computers.
    dc_dn = "CN=DC1,OU=Domain Controllers," + base
    for a in comps:
        if not en(a):
            continue
        server = "Server" in a["os"]
        if a["uac"] & TRUSTED_FOR_DELEG:
            fail("AD-KRB-002", a["dn"])
        if any(v.lower().startswith("ldap/dc1") for v in a.get("a2d") or ()):
            fail("AD-KRB-003", a["dn"])
        if server and a["pwd_days"] > 45:
            fail("AD-SRV-001", a["dn"])
        if server and a["llt_days"] > 90:
            fail("AD-SRV-002", a["dn"])
        if a["llt_days"] < 183 and any(o in a["os"] for o in ("XP", "2008", "2003", "Vista", "Windows 7")):
            fail("AD-OS-001", a["dn"])
    fail("AD-KRB-004", dc_dn)
    fail("AD-KRB-001", "CN=krbtgt," + users_cn)

    # Domain, configuration, groups.
    for r in ("AD-PRIV-001", "AD-PRIV-007", "AD-ACC-008", "AD-CFG-001", "AD-CFG-007"):
        fail(r, base)
    for g in ("AO", "SO", "PO", "BO", "SA", "EA"):
        fail("AD-PRIV-011", G[g])
    fail("AD-PRIV-012", G["DNS"])
    fail("AD-CFG-002", "CN=Directory Service,CN=Windows NT,CN=Services,CN=Configuration," + base)
    fail("AD-CFG-003", "CN=Pre-Windows 2000 Compatible Access,CN=Builtin," + base)
    fail("AD-CFG-008", "CN=Recycle Bin Feature,CN=Optional Features,CN=Directory Service,"
         "CN=Windows NT,CN=Services,CN=Configuration," + base)
    fail("AD-DNS-001", "DC=%s,CN=MicrosoftDNS,DC=DomainDnsZones,%s" % (dns, base))
    fail("AD-LAPS-001", "-")
    fail("AD-DC-004", "-")
    # Rules that must pass.
    for r in ("AD-DC-002", "AD-DC-003", "AD-CFG-006"):
        T.append("%s\tpass\t-" % r)

    # Look-alikes.
    def c(rule, name_or_dn):
        dn = name_or_dn if "=" in name_or_dn else next(a["dn"] for a in accts if a["name"] == name_or_dn)
        assert not any(l.startswith(rule + "\tfail\t" + dn) for l in T), (rule, dn)
        C.append("%s\t%s" % (rule, dn))

    for rule, names in {
        "AD-PRIV-002": ["adm-nospn", "adm-protected"], "AD-PRIV-003": ["adm-nospn"],
        "AD-PRIV-004": ["adm-nospn"], "AD-PRIV-005": ["adm-nospn"], "AD-PRIV-006": ["adm-nospn"],
        "AD-PRIV-008": ["adm-protected", "t0-adm-01"], "AD-PRIV-009": ["adm-nospn"],
        "AD-PRIV-010": ["adm-sensitive", "adm-protected", "t0-adm-01"],
        "AD-PRIV-014": ["user-plain", "dns-helper"], "AD-KRB-005": ["user-plain"],
        "AD-KRB-006": ["user-plain", "svc-aes"], "AD-KRB-007": ["svc-aes", "adm-kerb"],
        "AD-KRB-009": ["user-plain"], "AD-ACC-001": ["user-oldpwd-active", "user-disabled-stale", "adm-oldpwd"],
        "AD-ACC-004": ["user-plain"], "AD-ACC-005": ["user-plain", "srv-files"],
        "AD-ACC-006": ["user-plain"], "AD-ACC-007": ["user-plain"],
        "AD-KRB-002": ["srv-files", dc_dn], "AD-KRB-003": ["srv-kcd-ok"],
        "AD-SRV-001": ["srv-files", "srv-2008-off"], "AD-SRV-002": ["srv-files", "srv-2008-off"],
        "AD-OS-001": ["ws-win11", "ws-xp-gone", "srv-2008-off"],
    }.items():
        for n in names:
            c(rule, n)
    c("AD-DNS-001", "DC=_msdcs.%s,CN=MicrosoftDNS,DC=ForestDnsZones,%s" % (dns, base))
    c("AD-PRIV-011", "CN=Administrators,CN=Builtin," + base)   # default members, not in 548-551/518/519

    # Not asserted.
    for rule, dn, why in [
        ("AD-PRIV-014", "CN=krbtgt," + users_cn, "adminCount=1 by provisioning, not privileged; tools differ"),
        ("AD-KRB-007", "CN=krbtgt," + users_cn, "disabled, SPN kadmin/changepw, no msDS-SupportedEncryptionTypes"),
        ("AD-ACC-009", base, "msDS-ExpirePasswordsOnSmartCardOnlyAccounts is not in Samba's 2012 R2 schema"),
        ("AD-DC-001", dc_dn, "operatingSystem is 'Samba'"),
        ("AD-KRB-008", dc_dn, "DC msDS-SupportedEncryptionTypes 28 (RC4+AES): low by the table, tools differ"),
        ("AD-NET-001", "-", "Samba requires strong auth for simple binds on 389; no channel binding on 636"),
        ("AD-CFG-004", "-", "Samba's ActiveDirectoryUpdate revision as provisioned"),
        ("AD-CFG-005", "-", "no NTFRS objects expected; not verified"),
        ("AD-TRUST-001", "-", "not applicable: no trust"), ("AD-TRUST-002", "-", "not applicable: no trust"),
        ("AD-TRUST-003", "-", "not applicable: no trust"), ("AD-SRV-003", "-", "not applicable: no MSA/gMSA"),
        ("AD-RODC-001", "-", "not applicable: no RODC"), ("AD-PKI-001", "-", "not applicable: no AD CS"),
        ("AD-PKI-002", "-", "not applicable: no AD CS"),
    ]:
        A.append("%s\t%s\t%s" % (rule, dn, why))
    return T, C, A


def rbcd(domain_sid, sid):
    from samba.dcerpc import security
    from samba.ndr import ndr_pack
    sd = security.descriptor.from_sddl("O:BAD:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;%s)" % sid,
                                       security.dom_sid(domain_sid))
    print(base64.b64encode(ndr_pack(sd)).decode())


def dnsprop_nonsecure(b64):
    b = bytearray(base64.b64decode(b64))
    # DNS_PROPERTY: DataLength, NameLength, Flag, Version, Id (5 x uint32 LE), then Data.
    assert int.from_bytes(b[16:20], "little") == 2, "not DSPROPERTY_ZONE_ALLOW_UPDATE"
    b[20] = 1
    print(base64.b64encode(bytes(b)).decode())


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "plan":
        write_plan(*sys.argv[2:5])
    elif cmd == "rbcd":
        rbcd(*sys.argv[2:4])
    elif cmd == "dnsprop-nonsecure":
        dnsprop_nonsecure(sys.argv[2])
    else:
        sys.exit("usage: samba_seed.py plan|rbcd|dnsprop-nonsecure ...")
