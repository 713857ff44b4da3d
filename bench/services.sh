#!/usr/bin/env bash
# bench/services.sh — the service stage against nmap -sV on the lab's real daemons
# (tests/lab/lab.sh): the same open ports, wall time of each tool, and per port the
# service and product each named, beside the lab's truth. A benchmark, not a test: it
# prints, it asserts nothing about time.
#
# usage: bench/services.sh [RUNS]        (root; RUNS of each tool, default 3)
#
# Environment: VIGIE_BIN (default build/vigie), VIGIE_RULES_DIR (default rules/).
# The lab runs under its own prefix and is torn down at the end; every packet stays
# inside its namespaces (198.18.0.0/24, 2001:2::/64).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
bin=${VIGIE_BIN:-$root/build/vigie}
export VIGIE_RULES_DIR=${VIGIE_RULES_DIR:-$root/rules}
export VIGIE_LAB_PREFIX="vigie-svcbench-$$"
unset VIGIE_LAB_STATE
runs=${1:-3}
ns="$VIGIE_LAB_PREFIX-scan"
work=$(mktemp -d /tmp/vigie-bench-services.XXXXXX)
hosts="198.18.0.10 198.18.0.20 2001:2::10 2001:2::20"

[[ $(id -u) -eq 0 ]] || { echo "bench/services.sh: needs root (network namespaces)" >&2; exit 77; }
command -v nmap >/dev/null || { echo "bench/services.sh: nmap is not installed" >&2; exit 1; }
cleanup() { bash "$root/tests/lab/lab.sh" down >/dev/null 2>&1; rm -rf "$work"; }
trap cleanup EXIT
bash "$root/tests/lab/lab.sh" up >"$work/truth.tsv" 2>"$work/lab.err" || { cat "$work/lab.err"; exit 1; }
ports=$(awk '$3 == "open" { print $2 }' "$work/truth.tsv" | sort -n -u | paste -sd, -)

# What each daemon is (service, product), as the lab configures it; "-"
# when its product shows nowhere before a login (only the service counts).
cat >"$work/want" <<'EOF2'
21 ftp vsftpd
22 ssh OpenSSH
23 telnet -
25 smtp Postfix
80 http nginx
443 http+tls nginx
4443 http+tls nginx
5443 http+tls nginx
104 dicom DCMTK
139 smb Samba
389 ldap OpenLDAP
445 smb Samba
3306 mysql MariaDB
3389 rdp xrdp
5432 postgresql PostgreSQL
5900 vnc -
6379 redis Redis
EOF2

now() { date +%s.%N; }

# One run of each tool over both families; their own XML kept for the table.
for i in $(seq 1 "$runs"); do
  t0=$(now)
  ip netns exec "$ns" "$bin" scan -q --connect --retries 0 --timeout 1 --wait 0.5 -p "$ports" \
    -oX "$work/vigie.xml" $hosts >/dev/null 2>"$work/vigie.err"
  t1=$(now)
  ip netns exec "$ns" nmap -6 -sV -Pn -n -p "$ports" -oX "$work/nmap6.xml" 2001:2::10 2001:2::20 >/dev/null 2>&1
  ip netns exec "$ns" nmap -sV -Pn -n -p "$ports" -oX "$work/nmap4.xml" 198.18.0.10 198.18.0.20 >/dev/null 2>&1
  t2=$(now)
  echo "run $i: vigie scan (discovery + services) $(echo "$t1 - $t0" | bc) s; nmap -sV (IPv4 + IPv6) $(echo "$t2 - $t1" | bc) s"
done

python3 - "$work/want" "$work/vigie.xml" "$work/nmap4.xml" "$work/nmap6.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
want = {l.split()[0]: l.split()[1:] for l in open(sys.argv[1]) if l.strip()}
def read(*paths):
    out = {}
    for p in paths:
        for host in ET.parse(p).getroot().iter("host"):
            addr = host.find("address").get("addr")
            for port in host.iter("port"):
                if port.find("state").get("state") != "open":
                    continue
                s = port.find("service")
                name = s.get("name", "?") if s is not None else "-"
                if s is not None and s.get("tunnel") == "ssl":
                    name += "+tls"
                prod = (s.get("product") or "-") if s is not None else "-"
                out[(addr, port.get("portid"))] = (name, prod)
    return out
vigie, nmap = read(sys.argv[2]), read(sys.argv[3], sys.argv[4])
# nmap's names for the same protocols.
alias = {"netbios-ssn": "smb", "microsoft-ds": "smb", "acr-nema": "dicom", "https": "http+tls",
         "ms-wbt-server": "rdp"}
def right(got, w):
    return alias.get(got[0], got[0]) == w[0] and (w[1] == "-" or w[1].lower() in got[1].lower())
print(f"{'address':<12} {'port':>5}  {'truth':<26} {'vigie':<34} {'nmap -sV':<34}")
score = [0, 0]
for key in sorted(set(vigie) | set(nmap), key=lambda k: (":" in k[0], k[0], int(k[1]))):
    w = want.get(key[1], ["?", "?"])
    v, n = vigie.get(key, ("-", "-")), nmap.get(key, ("-", "-"))
    rv, rn = right(v, w), right(n, w)
    score[0] += rv; score[1] += rn
    print(f"{key[0]:<12} {key[1]:>5}  {w[0] + ' ' + w[1]:<26} {('ok ' if rv else 'NO ') + v[0] + ' ' + v[1]:<34.34} "
          f"{('ok ' if rn else 'NO ') + n[0] + ' ' + n[1]:<34.34}")
total = len(set(vigie) | set(nmap))
print(f"service and product right: vigie {score[0]}/{total}, nmap -sV {score[1]}/{total}")
PY
