#!/usr/bin/env bash
# tests/integration/test_smb1_lab.sh — SMBv1 proven on or off (smb.v1, EXP-SMB-002) against two
# real smbd of its own: one with `server min protocol = NT1` (SMB1 and SMB 2+, which picks SMB 2
# from a client offering both) and one with Samba's default (SMB2_02: SMB1 refused). Builds its
# own namespaces (PREFIX-scan with a bridge on 198.18.7.1/24, PREFIX-old on 198.18.7.10,
# PREFIX-new on 198.18.7.20; no link to anything else), checks with a raw SMB1-only NEGOTIATE
# written here (not vigie's) that the first really accepts NT LM 0.12 and the second refuses it,
# then runs `vigie scan` with the exposure rules on ports 139 and 445 of both and checks:
#   old: smb.v1=true (smb.v1_answer=accepted), EXP-SMB-002 raised;
#   new: smb.v1=false (smb.v1_answer=no-dialect), EXP-SMB-002 not raised;
#   both: the SMB 2 facts (dialect 3.1.1, signing) still found.
# TAP; exit 77 (skip) when not root, without network namespaces or without smbd.
set -uo pipefail

bin=${VIGIE_BIN:?VIGIE_BIN must point to the vigie binary}
rules=${VIGIE_RULES_DIR:-$(cd "$(dirname "$0")/../../rules" && pwd)}
PREFIX="vigie-smb1-$$"
NS_SCAN="$PREFIX-scan" NS_OLD="$PREFIX-old" NS_NEW="$PREFIX-new"
ALL_NS=("$NS_SCAN" "$NS_OLD" "$NS_NEW")
SCAN4=198.18.7.1 OLD4=198.18.7.10 NEW4=198.18.7.20

if [[ $(id -u) -ne 0 ]]; then
  echo "1..0 # SKIP needs root (network namespaces, smbd on ports 139 and 445)"; exit 77
fi
if ! unshare --net true 2>/dev/null; then
  echo "1..0 # SKIP this machine cannot create network namespaces"; exit 77
fi
if ! command -v smbd >/dev/null; then
  echo "1..0 # SKIP smbd is not installed (apt-get install samba)"; exit 77
fi
WORK=$(mktemp -d /tmp/vigie-test-smb1.XXXXXX)

log() { printf 'smb1-lab: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
ns_exists() { [[ -e /run/netns/$1 ]]; }
# shellcheck source=tests/lab/procs.sh
source "$(dirname "$0")/../lab/procs.sh"

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  ((${#PIDS[@]})) && wait_gone 50 "${PIDS[@]}"
  ns_teardown 50 "${PIDS[@]}" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ network and daemons

net_up() {
  local ns
  for ns in "${ALL_NS[@]}"; do
    ip netns add "$ns" || return 1
    ip -n "$ns" link set lo up
  done
  ip -n "$NS_SCAN" link add br0 type bridge stp_state 0 forward_delay 0 &&
    ip -n "$NS_SCAN" addr add "$SCAN4/24" dev br0 && ip -n "$NS_SCAN" link set br0 up &&
    net_host "$NS_OLD" veth-old "$OLD4" && net_host "$NS_NEW" veth-new "$NEW4"
}

# net_host NS VETH ADDR: the veth's far end is created inside NS (nothing in the root namespace).
net_host() {
  ip -n "$NS_SCAN" link add "$2" type veth peer name eth0 netns "$1" &&
    ip -n "$NS_SCAN" link set "$2" master br0 && ip -n "$NS_SCAN" link set "$2" up &&
    ip -n "$1" addr add "$3/24" dev eth0 && ip -n "$1" link set eth0 up
}

# start_smbd NAME NS MIN_PROTOCOL: a standalone smbd, every path under $WORK/NAME.
start_smbd() {
  local d="$WORK/$1"
  mkdir -p "$d"/{private,lock,state,cache,run,ncalrpc,bind-dns,log}
  cat >"$d/smb.conf" <<EOF
[global]
  server role = standalone server
  workgroup = VIGIELAB
  netbios name = SMB1-$1
  disable netbios = yes
  smb ports = 445 139
  server min protocol = $3
  private dir = $d/private
  lock directory = $d/lock
  state directory = $d/state
  cache directory = $d/cache
  pid directory = $d/run
  ncalrpc dir = $d/ncalrpc
  binddns dir = $d/bind-dns
  passdb backend = tdbsam:$d/private/passdb.tdb
  logging = file
  log file = $d/log/smbd.log
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  usershare path =
EOF
  # setsid: smbd signals its whole process group when it stops, not this script's.
  ip netns exec "$2" setsid smbd --foreground --no-process-group -l "$d/log" -s "$d/smb.conf" \
    </dev/null >"$d/log/out" 2>&1 &
  PIDS+=("$!")
}

# listening NS: smbd listens on 139 and 445 inside NS (30 s at most).
listening() {
  local i
  for ((i = 0; i < 300; i++)); do
    [[ $(ip netns exec "$1" ss -Hltn '( sport = :445 or sport = :139 )' | wc -l) -ge 2 ]] && return 0
    sleep 0.1
  done
  return 1
}

# smb1_index ADDR PORT: the dialect index smbd answers to an SMB1 NEGOTIATE offering only
# "NT LM 0.12" (0 accepted, 65535 refused), from the scan namespace; on 139 a NetBIOS session
# request first. Written from [MS-CIFS] 2.2.4.52 for this test, independent of vigie's code.
smb1_index() {
  ip netns exec "$NS_SCAN" python3 - "$1" "$2" <<'PY'
import socket, struct, sys
addr, port = sys.argv[1], int(sys.argv[2])
def nb_name(name, suffix):
    raw = name.ljust(15).encode()[:15] + bytes([suffix])
    return bytes([32]) + bytes(b for c in raw for b in (0x41 + (c >> 4), 0x41 + (c & 15))) + b"\0"
def read_msg(s):
    head = b""
    while len(head) < 4:
        chunk = s.recv(4 - len(head))
        if not chunk:
            sys.exit("closed")
        head += chunk
    want, body = struct.unpack(">I", head)[0] & 0xffffff, b""
    while len(body) < want:
        chunk = s.recv(want - len(body))
        if not chunk:
            sys.exit("closed")
        body += chunk
    return head, body
s = socket.create_connection((addr, port), timeout=5)
if port == 139:
    req = nb_name("*SMBSERVER", 0x20) + nb_name("TEST", 0)
    s.sendall(struct.pack(">BBH", 0x81, 0, len(req)) + req)
    if read_msg(s)[0][0] != 0x82:
        sys.exit("NetBIOS session refused")
dialects = b"\x02NT LM 0.12\0"
smb = (b"\xffSMB\x72" + b"\0" * 4 + b"\x18" + struct.pack("<H", 0xc843) + b"\0" * 14
       + struct.pack("<HHH", 0xfeff, 0, 0) + b"\0" + struct.pack("<H", len(dialects)) + dialects)
s.sendall(struct.pack(">I", len(smb)) + smb)
_, body = read_msg(s)
if body[:5] != b"\xffSMB\x72" or body[32] == 0:
    sys.exit("not an SMB1 NEGOTIATE response")
print(struct.unpack("<H", body[33:35])[0])
PY
}

raw_says() { [[ $(smb1_index "$1" "$2" 2>&1) == "$3" ]]; }

echo "1..13"
if net_up && start_smbd old "$NS_OLD" NT1 && start_smbd new "$NS_NEW" SMB2_02 &&
  listening "$NS_OLD" && listening "$NS_NEW"; then
  ok "namespaces up, smbd (min protocol NT1) on $OLD4 and smbd (default) on $NEW4 listen"
else
  not_ok "namespaces up, two smbd listening"
  tail -n 5 "$WORK"/*/log/smbd.log 2>/dev/null | sed 's/^/# /'
  exit 1
fi
log "smbd $(smbd --version)"

for port in 445 139; do
  check "raw SMB1-only NEGOTIATE: $OLD4 port $port accepts NT LM 0.12 (index 0)" raw_says "$OLD4" "$port" 0
  check "raw SMB1-only NEGOTIATE: $NEW4 port $port refuses it (index 0xFFFF)" raw_says "$NEW4" "$port" 65535
done

ip netns exec "$NS_SCAN" "$bin" scan -q --jsonl --connect --rate 1000 --wait 1 --retries 1 \
  --timeout 1 --exposure-rules "$rules/exposure" -p 139,445 -o "$WORK/scan.xml" "$OLD4" "$NEW4" \
  >"$WORK/scan.jsonl" 2>"$WORK/scan.err"
rc=$?
if ((rc == 0)); then ok "vigie scan of both smbd exits 0"
else not_ok "vigie scan of both smbd exits 0 (exit $rc)"; sed 's/^/# /' "$WORK/scan.err"; fi

# "address port fact=value" per fact and "address port RULE" per finding.
python3 - "$WORK/scan.jsonl" >"$WORK/found" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("state") != "open":
        continue
    s = r.get("service") or {}
    for k, vs in (s.get("facts") or {}).items():
        for v in vs:
            print(r["ip"], r["port"], f"{k}={v}")
    for f in (r.get("findings") or []) + (s.get("findings") or []):
        print(r["ip"], r["port"], f.get("rule"))
PY

# expect ADDR PORT ITEM...: each "+item" found for ADDR:PORT, each "-item" not.
expect() {
  local addr=$1 port=$2 item bad=; shift 2
  for item in "$@"; do
    if grep -qxF "$addr $port ${item:1}" "$WORK/found"; then
      [[ $item == -* ]] && bad+=" unexpected ${item:1}"
    else
      [[ $item == +* ]] && bad+=" missing ${item:1}"
    fi
  done
  [[ -z $bad ]] && return 0
  echo "#$bad"; grep "^$addr $port " "$WORK/found" | sed 's/^/#   /'
  return 1
}

for port in 445 139; do
  check "$OLD4 port $port (min protocol NT1): smb.v1=true, EXP-SMB-002 raised" \
    expect "$OLD4" "$port" +service=smb +smb.v1=true +smb.v1_answer=accepted -smb.v1=false \
    +EXP-SMB-002 +EXP-SMB-001
  check "$NEW4 port $port (default): smb.v1=false, EXP-SMB-002 not raised" \
    expect "$NEW4" "$port" +service=smb +smb.v1=false +smb.v1_answer=no-dialect -smb.v1=true \
    -EXP-SMB-002 +EXP-SMB-001
done
check "SMB 2 facts still found on the NT1 smbd (dialect 3.1.1, signing)" \
  expect "$OLD4" 445 +smb.dialect=3.1.1 +smb.signing=enabled
check "SMB 2 facts still found on the default smbd (dialect 3.1.1, signing)" \
  expect "$NEW4" 445 +smb.dialect=3.1.1 +smb.signing=enabled
check "scan XML validates against rules/scan.xsd" \
  xmllint --noout --nonet --schema "$rules/scan.xsd" "$WORK/scan.xml"

((failed == 0))
