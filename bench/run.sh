#!/usr/bin/env bash
# bench/run.sh — vigie's scanner side by side with masscan, zmap and nmap, on the bench lab
# (bench/lab.sh), and one table of the results.
#
# usage: bench/run.sh [OPTIONS] [SCENARIO...]        (as root)
#
# Scenarios (default: all four, in this order):
#   dense16  198.18.0.0/16 x 16 open ports = 1,048,576 probes, SYN scan:
#            vigie, masscan, zmap (one run per port: zmap 2.1.1 scans one port per run),
#            nmap -sS (~40 s: --skip-slow leaves it out)
#   dense1   198.18.0.0/16 x port 80 = 65,536 probes: vigie, masscan, and zmap at every rate of
#            --zmap-rates; the table keeps zmap's fastest rate with 100 % recall
#   sparse   198.19.16.0/20 x 16 ports, ~1 address in 8 alive, open/closed/filtered ports:
#            vigie, masscan (open and closed: masscan has no "filtered"), nmap -sS
#   connect  the same /20 with connect(): vigie --connect, nmap -sT
#
# Options:
#   --rate PPS         rate of vigie, masscan and zmap (dense16), nmap --min-rate
#                      (default 1000000: above what any of them reaches here, so each
#                      runs at its own ceiling)
#   --zmap-rates LIST  comma-separated rates zmap tries in dense1
#                      (default 100000,200000,300000,500000,750000,1000000,1500000,2000000)
#   --tools LIST       comma-separated subset of vigie,masscan,zmap,nmap (default all)
#   --skip-slow        leave out nmap in dense16
#   --repeat N         run the scenarios N times (one row per run; default 1)
#   --vigie PATH       the vigie binary (default $VIGIE, else build/vigie)
#   --out DIR          keep results and logs there (default: a new /tmp/vigie-bench.XXXXXX)
#   --keep-outputs     keep the scanners' raw outputs (up to ~100 MB per dense16 round)
#   --use-lab          use the lab already up under $BENCH_PREFIX instead of starting one
#   --keep-lab         leave the lab up at the end
#   --no-quiet-wait    do not wait for an idle machine before each run
#
# Environment: VIGIE (binary), VIGIE_SCAN_ARGS (extra arguments for every `vigie scan`, e.g. a
# flag allowing reserved ranges), BENCH_PREFIX / BENCH_SEED / BENCH_OFFLOADS (see lab.sh),
# BENCH_RUN_TIMEOUT (seconds per tool run, default 300), BENCH_QUIET_WAIT (seconds to wait for
# an idle machine, default 60).
#
# Every tool runs inside the scanner namespace (`ip netns exec`), under
# `/usr/bin/time -f '%e %U %S %M'`: wall time, user and system CPU, peak RSS of the scanner
# process itself (`ip netns exec` and `timeout --foreground` exec or wait, so the figures are
# the scanner's). Each tool gets the same 1 s wait after its last probe (masscan --wait 1,
# zmap -c 1, vigie --wait 1; nmap has no such option: --max-rtt-timeout 1000ms).
# Recall = found ∩ truth / truth; false positives = found − truth (per state).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly HERE
ROOT="$(dirname "$HERE")"
readonly ROOT
readonly PORTS16=21,22,23,25,53,80,110,139,143,443,445,3306,3389,5432,8080,8443
readonly PORT1=80
readonly SCAN_SEED=42               # scan order (masscan --seed, zmap -e, vigie --seed)
readonly RETRIES_DENSE=0            # every probe of the dense lab is answered
readonly RETRIES_SPARSE=1           # "filtered" = no answer to 2 probes
readonly WAIT=1

RATE=1000000
ZMAP_RATES=100000,200000,300000,500000,750000,1000000,1500000,2000000
TOOLS=vigie,masscan,zmap,nmap
SKIP_SLOW=0 REPEAT=1 KEEP_OUTPUTS=0 USE_LAB=0 KEEP_LAB=0 QUIET=1
OUT=
VIGIE_BIN="${VIGIE:-$ROOT/build/vigie}"
RUN_TIMEOUT="${BENCH_RUN_TIMEOUT:-300}"
QUIET_WAIT="${BENCH_QUIET_WAIT:-60}"
SCENARIOS=()

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

while (($#)); do
  case $1 in
    --rate) RATE=${2:?}; shift 2 ;;
    --zmap-rates) ZMAP_RATES=${2:?}; shift 2 ;;
    --tools) TOOLS=${2:?}; shift 2 ;;
    --skip-slow) SKIP_SLOW=1; shift ;;
    --repeat) REPEAT=${2:?}; shift 2 ;;
    --vigie) VIGIE_BIN=${2:?}; shift 2 ;;
    --out) OUT=${2:?}; shift 2 ;;
    --keep-outputs) KEEP_OUTPUTS=1; shift ;;
    --use-lab) USE_LAB=1; shift ;;
    --keep-lab) KEEP_LAB=1; shift ;;
    --no-quiet-wait) QUIET=0; shift ;;
    -h | --help) usage ;;
    dense16 | dense1 | sparse | connect) SCENARIOS+=("$1"); shift ;;
    all) SCENARIOS+=(dense16 dense1 sparse connect); shift ;;
    *) log "unknown argument: $1"; usage ;;
  esac
done
((${#SCENARIOS[@]})) || SCENARIOS=(dense16 dense1 sparse connect)
[[ $RATE =~ ^[1-9][0-9]*$ ]] || die "--rate wants a positive integer"
[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || die "--repeat wants a positive integer"
[[ $ZMAP_RATES =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--zmap-rates wants integers separated by commas"
for t in ${TOOLS//,/ }; do
  case $t in vigie | masscan | zmap | nmap) ;; *) die "unknown tool '$t' in --tools" ;; esac
done
use_tool() { [[ ,$TOOLS, == *,$1,* ]]; }

(($(id -u) == 0)) || { log "must run as root (network namespaces, raw sockets)"; exit 77; }
for t in ip python3 timeout; do command -v "$t" >/dev/null || die "missing '$t'"; done
[[ -x /usr/bin/time ]] || die "missing GNU time (/usr/bin/time): run 'bash scripts/install-deps.sh --bench'"

# ---------------------------------------------------------------- lab, outputs, cleanup

if ((USE_LAB)); then
  export BENCH_PREFIX="${BENCH_PREFIX:-vigie-bench}"
else
  export BENCH_PREFIX="vigie-bench-$$"     # unique: never touches another lab
  unset BENCH_STATE
fi
LAB_STARTED=0 TICK_PID='' RUN_PID=''
cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  if [[ -n $RUN_PID ]]; then
    # The run in progress: /usr/bin/time's child is `timeout`, which passes SIGTERM on to
    # the scanner. (lab.sh down would also end it, but not on a lab we did not start.)
    log "interrupted: stopping the run in progress"
    for p in $(pgrep -P "$RUN_PID" 2>/dev/null); do kill -TERM "$p" 2>/dev/null || true; done
    wait "$RUN_PID" 2>/dev/null || true
  fi
  stop_ticker
  if ((LAB_STARTED && !KEEP_LAB)); then
    bash "$HERE/lab.sh" down || log "lab down failed: run 'BENCH_PREFIX=$BENCH_PREFIX bash bench/lab.sh down'"
  elif ((LAB_STARTED)); then
    log "lab left up: BENCH_PREFIX=$BENCH_PREFIX bash bench/lab.sh down"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -z $OUT ]]; then OUT=$(mktemp -d /tmp/vigie-bench.XXXXXX); else mkdir -p "$OUT"; fi
OUT=$(cd "$OUT" && pwd)
RESULTS="$OUT/results.tsv"
printf '%s\n' "scenario	tool	setting	wall	user	sys	rss_kib	machine_cpu	open_truth	open_tp	open_fp	closed_truth	closed_tp	closed_fp	filtered_truth	filtered_tp	filtered_fp	down_truth	down_listed	states	tgt_synack	tgt_rst	note" >"$RESULTS"

if ((!USE_LAB)); then
  LAB_STARTED=1
  bash "$HERE/lab.sh" up || die "bench lab did not come up"
fi
ENV_TEXT=$(bash "$HERE/lab.sh" env) || die "bench lab $BENCH_PREFIX is not up"
eval "$ENV_TEXT"
: "${NS_SCAN:?}" "${NS_DENSE:?}" "${NS_SPARSE:?}" "${DENSE_NET:?}" "${SPARSE_NET:?}"

# Safety net: the targets must lie inside 198.18.0.0/15 and the scanner namespace must have no
# interface other than lo and the two veths (so nothing it sends can leave the lab).
python3 - "$DENSE_NET" "$SPARSE_NET" <<'EOF' || die "targets outside 198.18.0.0/15"
import ipaddress, sys
bench = ipaddress.ip_network("198.18.0.0/15")
sys.exit(0 if all(ipaddress.ip_network(n).subnet_of(bench) for n in sys.argv[1:]) else 1)
EOF
links=$(ip -n "$NS_SCAN" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort | tr '\n' ' ')
[[ $links == "lo $IF_DENSE $IF_SPARSE " ]] || die "unexpected interfaces in $NS_SCAN: $links"

# ---------------------------------------------------------------- measurement helpers

CLK_TCK=$(getconf CLK_TCK)

# machine_busy_ticks: CPU ticks not idle, all CPUs (user nice system irq softirq steal).
machine_busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
machine_total_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; exit }' /proc/stat; }

# wait_quiet: other people's jobs on a 2-core machine ruin timings; wait (bounded) until the
# machine is idle (< 15 % busy over 1 s). BUSY=1 when it never got idle.
BUSY=0
wait_quiet() {
  local deadline=$((SECONDS + QUIET_WAIT)) b0 t0 b1 t1 pct said=0
  BUSY=0
  ((QUIET)) || return 0
  while :; do
    b0=$(machine_busy_ticks); t0=$(machine_total_ticks)
    sleep 1
    b1=$(machine_busy_ticks); t1=$(machine_total_ticks)
    pct=$(((b1 - b0) * 100 / (t1 - t0 > 0 ? t1 - t0 : 1)))
    ((pct < 15)) && return 0
    if ((SECONDS >= deadline)); then
      log "machine still ${pct} % busy after ${QUIET_WAIT}s: measuring anyway (row marked *)"
      BUSY=1
      return 0
    fi
    ((said)) || log "machine ${pct} % busy (someone else's job?): waiting up to ${QUIET_WAIT}s"
    said=1
  done
}

# tcp_out NS: the target's TCP OutSegs and OutRsts counters.
tcp_out() {
  # shellcheck disable=SC2016  # an awk program
  ip netns exec "$1" awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 }
    else { print $c["OutSegs"], $c["OutRsts"]; exit } }' /proc/net/snmp
}

# masscan's receive thread blocks in libpcap until a packet arrives; on the bench's silent
# veth (static neighbours, no IPv6) it would never see its --wait end and never exit. A tiny
# UDP datagram to the target's veth address every 50 ms wakes it (port 9: the target answers
# ICMP port unreachable, rate-limited; nothing else happens).
start_ticker() {
  ip netns exec "$NS_SCAN" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while True:
    s.sendto(b"tick", (sys.argv[1], 9))
    time.sleep(0.05)' "$1" >/dev/null 2>&1 &
  TICK_PID=$!
}
stop_ticker() {
  if [[ -n $TICK_PID ]]; then
    kill "$TICK_PID" 2>/dev/null || true
    wait "$TICK_PID" 2>/dev/null || true
    TICK_PID=
  fi
}

# run_tool TARGET_NS STDOUT_FILE BASE CMD...: run CMD in the scanner namespace, measured.
# Sets WALL UTIME STIME RSS RC MCPU TGT_SA TGT_RST NOTE.
run_tool() {
  local target_ns=$1 stdout=$2 base=$3 b0 b1 s0 r0 s1 r1; shift 3
  wait_quiet
  NOTE=
  ((BUSY)) && NOTE=busy
  read -r s0 r0 < <(tcp_out "$target_ns")
  b0=$(machine_busy_ticks)
  # In the background + `wait`: a Ctrl-C then runs our trap at once. (In the foreground, bash
  # waits for the command, and when the tool handles SIGINT and exits normally — masscan
  # does — bash takes it as handled and goes on with the next run.)
  /usr/bin/time -o "$base.time" -f '%e %U %S %M' \
    ip netns exec "$NS_SCAN" timeout --foreground -k 5 "$RUN_TIMEOUT" "$@" >"$stdout" 2>"$base.err" </dev/null &
  RUN_PID=$!
  RC=0
  wait "$RUN_PID" || RC=$?
  RUN_PID=
  b1=$(machine_busy_ticks)
  read -r s1 r1 < <(tcp_out "$target_ns")
  # GNU time prefixes "Command exited with non-zero status N" when the command fails.
  read -r WALL UTIME STIME RSS < <(tail -n 1 "$base.time")
  MCPU=$(awk -v t="$((b1 - b0))" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
  TGT_RST=$((r1 - r0))
  TGT_SA=$((s1 - s0 - TGT_RST))
  case $RC in
    0) ;;
    124 | 137) NOTE="${NOTE:+$NOTE, }timed out after ${RUN_TIMEOUT}s" ;;
    *) NOTE="${NOTE:+$NOTE, }exit $RC" ;;
  esac
  log "  wall ${WALL}s cpu $(awk -v u="$UTIME" -v s="$STIME" 'BEGIN { print u + s }')s rss ${RSS}KiB" \
    "machine-cpu ${MCPU}s target sent ${TGT_SA} SYN-ACK ${TGT_RST} RST${NOTE:+ ($NOTE)}"
}

# record SCENARIO TOOL SETTING TRUTH PORTS FORMAT NOTE_EXTRA FILE...: score and append a row.
record() {
  local scen=$1 tool=$2 setting=$3 truth=$4 ports=$5 fmt=$6 extra=$7 score note; shift 7
  local pargs=()
  [[ $ports == all ]] || pargs=(--ports "$ports")
  score=$(python3 "$HERE/score.py" score --truth "$truth" "${pargs[@]}" --format "$fmt" "$@")
  note=$NOTE
  [[ -n $extra ]] && note="${note:+$note, }$extra"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scen" "$tool" "$setting" \
    "$WALL" "$UTIME" "$STIME" "$RSS" "$MCPU" "$score" "$TGT_SA" "$TGT_RST" "$note" >>"$RESULTS"
  LAST_SCORE=$score
  log "  open $(cut -f2 <<<"$score")/$(cut -f1 <<<"$score") found, $(cut -f3 <<<"$score") false positives"
}

record_na() {   # SCENARIO TOOL SETTING WHY
  printf '%s\t%s\t%s\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t-\t0\t0\t%s\n' "$1" "$2" "$3" "$4" >>"$RESULTS"
}

drop_outputs() { ((KEEP_OUTPUTS)) || rm -f -- "$@"; }

# tool_missing TOOL: why TOOL cannot run (empty when it can).
VIGIE_STATE=
tool_missing() {
  case $1 in
    vigie)
      if [[ -z $VIGIE_STATE ]]; then
        local out rc=0
        if [[ ! -x $VIGIE_BIN ]]; then
          VIGIE_STATE="n/a (no binary at $VIGIE_BIN)"
        else
          out=$("$VIGIE_BIN" scan --help 2>&1) || rc=$?
          if ((rc == 2)) && grep -qi 'unknown command' <<<"$out"; then
            VIGIE_STATE="n/a (not built yet)"
          else
            VIGIE_STATE=ok
          fi
        fi
      fi
      [[ $VIGIE_STATE == ok ]] || echo "$VIGIE_STATE" ;;
    masscan | zmap | nmap)
      command -v "$1" >/dev/null || echo "n/a (not installed: bash scripts/install-deps.sh --bench)" ;;
  esac
}

vigie_rc_note() {   # vigie: 1 = findings, 3 = incomplete (e.g. unanswered probes) are results
  if [[ $RC == 1 || $RC == 3 ]]; then NOTE=${NOTE//exit $RC/}; NOTE=${NOTE%, }; NOTE=${NOTE#, }; fi
}

# ---------------------------------------------------------------- tools

# run_vigie SCEN TARGET PORTS RETRIES SRC IF TRUTH TARGET_NS [--connect]
run_vigie() {
  local scen=$1 target=$2 ports=$3 retries=$4 src=$5 ifname=$6 truth=$7 tns=$8 mode=${9:-}
  local why setting base="$OUT/$scen-vigie" extra=()
  setting="${mode:+--connect }--rate $RATE --retries $retries"
  why=$(tool_missing vigie)
  if [[ -n $why ]]; then record_na "$scen" vigie "$setting" "$why"; log "$scen vigie: $why"; return; fi
  [[ -n $mode ]] && extra=(--connect)
  # Discovery only, like masscan and zmap: the service stage (on by default
  # since it exists) has its own benchmark, bench/services.sh.
  extra+=(--no-services)
  log "$scen: vigie scan ${mode:+--connect }-p ${ports} --rate $RATE"
  # shellcheck disable=SC2086  # VIGIE_SCAN_ARGS is a list of words
  run_tool "$tns" "$base.jsonl" "$base" "$VIGIE_BIN" scan "${extra[@]}" -p "$ports" --rate "$RATE" \
    --wait "$WAIT" --retries "$retries" --seed "$SCAN_SEED" --source-ip "$src" --interface "$ifname" \
    --jsonl ${VIGIE_SCAN_ARGS:-} "$target"
  vigie_rc_note
  record "$scen" vigie "$setting" "$truth" "$([[ $ports == "$PORTS16" ]] && echo all || echo "$ports")" \
    vigie-jsonl "" "$base.jsonl"
  drop_outputs "$base.jsonl" "$base.xml"
}

# run_masscan SCEN TARGET PORTS RETRIES SRC IF GW GW_MAC TRUTH TARGET_NS
run_masscan() {
  local scen=$1 target=$2 ports=$3 retries=$4 src=$5 ifname=$6 gw=$7 mac=$8 truth=$9 tns=${10}
  # masscan's --retries does not resend unanswered probes: it runs the permutation on for
  # retries x rate more packets (main.c: `end += retries * rate`), i.e. ~1 M extra probes at
  # --rate 1000000 whatever the scan's size, and it has no "filtered" state to gain from
  # them. So masscan always gets --retries 0 (the bench's veths lose nothing on the way).
  retries=0
  local why setting="--rate $RATE --retries $retries" base="$OUT/$scen-masscan"
  why=$(tool_missing masscan)
  if [[ -n $why ]]; then record_na "$scen" masscan "$setting" "$why"; return; fi
  log "$scen: masscan -p ${ports} --rate $RATE"
  start_ticker "$gw"
  run_tool "$tns" "$base.stdout" "$base" masscan "$target" -p "$ports" --rate "$RATE" \
    --wait "$WAIT" --retries "$retries" --seed "$SCAN_SEED" --show closed \
    --adapter "$ifname" --adapter-ip "$src" --router-mac "$mac" -oL "$base.list"
  stop_ticker
  record "$scen" masscan "$setting" "$truth" "$([[ $ports == "$PORTS16" ]] && echo all || echo "$ports")" \
    masscan-list "" "$base.list"
  drop_outputs "$base.list" "$base.stdout"
}

# zmap_cmd RATE PORT OUTFILE: zmap's command line for the dense target (its metadata, with
# its own receive counters, goes to OUTFILE.meta.json). The configuration file
# (-C) and blacklist are empty files: /etc/zmap/blacklist.conf excludes 198.18.0.0/15; the
# allowlist (-w) holds only the dense /16, so zmap cannot probe anything else.
zmap_cmd() {
  printf '%q ' zmap -C "$OUT/zmap-empty.conf" -b "$OUT/zmap-empty.conf" -w "$OUT/zmap-allow.txt" \
    -p "$2" -r "$1" -P "$((RETRIES_DENSE + 1))" -c "$WAIT" -e "$SCAN_SEED" \
    -i "$IF_DENSE" -S "$SRC_DENSE" -G "$MAC_GW_DENSE" --disable-syslog -q \
    -O csv -f saddr,sport -o "$3" -m "$3.meta.json" "$DENSE_NET"
}

# zmap_meta FILE...: zmap's own counters, summed: what it captured, what libpcap dropped,
# how many answers it counted as successes.
zmap_meta() {
  python3 - "$@" <<'EOF'
import json, sys
t = {"pcap_recv": 0, "pcap_drop": 0, "pcap_ifdrop": 0, "success_unique": 0}
for path in sys.argv[1:]:
    try:
        m = json.load(open(path))
    except (OSError, ValueError):
        continue
    for k in t:
        t[k] += int(m.get(k) or 0)
print(" ".join(f"{k} {v}" for k, v in t.items()))
EOF
}
zmap_files() { : >"$OUT/zmap-empty.conf"; printf '%s\n' "$DENSE_NET" >"$OUT/zmap-allow.txt"; }

# ---------------------------------------------------------------- scenarios

scenario_dense16() {
  local s=dense16 base files p script=
  run_vigie $s "$DENSE_NET" "$PORTS16" "$RETRIES_DENSE" "$SRC_DENSE" "$IF_DENSE" "$TRUTH_DENSE" "$NS_DENSE"
  use_tool masscan && run_masscan $s "$DENSE_NET" "$PORTS16" "$RETRIES_DENSE" "$SRC_DENSE" "$IF_DENSE" \
    "$GW_DENSE" "$MAC_GW_DENSE" "$TRUTH_DENSE" "$NS_DENSE"
  if use_tool zmap; then
    local setting="16 runs x 1 port, -r $RATE"
    if [[ -n $(tool_missing zmap) ]]; then
      record_na $s zmap "$setting" "$(tool_missing zmap)"
    else
      base="$OUT/$s-zmap"
      zmap_files
      for p in ${PORTS16//,/ }; do script+="$(zmap_cmd "$RATE" "$p" "$base.$p.csv") || exit; "; done
      log "$s: zmap, 16 runs (one per port) -r $RATE"
      run_tool "$NS_DENSE" "$base.stdout" "$base" bash -c "$script"
      files=("$base".*.csv)
      record $s zmap "$setting" "$TRUTH_DENSE" all zmap-csv "" "${files[@]}"
      log "  zmap's own counters: $(zmap_meta "$base".*.meta.json | tee "$base.meta.txt")"
      drop_outputs "${files[@]}" "$base.stdout"
    fi
  fi
  if use_tool nmap; then
    local setting="-sS --min-rate $RATE --max-retries $RETRIES_DENSE"
    if ((SKIP_SLOW)); then
      record_na $s nmap "$setting" "n/a (skipped: --skip-slow)"
    elif [[ -n $(tool_missing nmap) ]]; then
      record_na $s nmap "$setting" "$(tool_missing nmap)"
    else
      base="$OUT/$s-nmap"
      log "$s: nmap -sS -p 16 ports --min-rate $RATE (~40 s)"
      run_tool "$NS_DENSE" "$base.stdout" "$base" nmap -sS -Pn -n -p "$PORTS16" --min-rate "$RATE" \
        --max-retries "$RETRIES_DENSE" --max-rtt-timeout 1000ms -oG "$base.gnmap" "$DENSE_NET"
      record $s nmap "$setting" "$TRUTH_DENSE" all nmap-grep "" "$base.gnmap"
      drop_outputs "$base.gnmap" "$base.stdout"
    fi
  fi
}

scenario_dense1() {
  local s=dense1 base r open_truth tp
  run_vigie $s "$DENSE_NET" "$PORT1" "$RETRIES_DENSE" "$SRC_DENSE" "$IF_DENSE" "$TRUTH_DENSE" "$NS_DENSE"
  use_tool masscan && run_masscan $s "$DENSE_NET" "$PORT1" "$RETRIES_DENSE" "$SRC_DENSE" "$IF_DENSE" \
    "$GW_DENSE" "$MAC_GW_DENSE" "$TRUTH_DENSE" "$NS_DENSE"
  use_tool zmap || return 0
  if [[ -n $(tool_missing zmap) ]]; then record_na $s zmap "rate search" "$(tool_missing zmap)"; return; fi
  zmap_files
  local full_rate='' full_row='' part_tp=-1 part_rate='' part_row=''
  for r in ${ZMAP_RATES//,/ }; do
    base="$OUT/$s-zmap-$r"
    log "$s: zmap -p $PORT1 -r $r"
    run_tool "$NS_DENSE" "$base.stdout" "$base" bash -c "$(zmap_cmd "$r" "$PORT1" "$base.csv")"
    record $s zmap "-r $r" "$TRUTH_DENSE" "$PORT1" zmap-csv "search" "$base.csv"
    log "  zmap's own counters: $(zmap_meta "$base.csv.meta.json" | tee "$base.meta.txt")"
    drop_outputs "$base.csv" "$base.stdout"
    open_truth=$(cut -f1 <<<"$LAST_SCORE"); tp=$(cut -f2 <<<"$LAST_SCORE")
    if ((tp == open_truth)) && { [[ -z $full_rate ]] || ((r > full_rate)); }; then
      full_rate=$r full_row=$(tail -n 1 "$RESULTS")
    fi
    if ((tp > part_tp)); then part_tp=$tp part_rate=$r part_row=$(tail -n 1 "$RESULTS"); fi
  done
  # The table keeps the fastest rate with 100 % recall (or, failing that, the best recall);
  # every rate tried stays in results.tsv (note "search") and in the table's footnote.
  local row=$full_row label="fastest rate at 100 % recall: -r $full_rate"
  if [[ -z $full_rate ]]; then row=$part_row label="no rate reached 100 %; best recall at -r $part_rate"; fi
  [[ -n $row ]] || return 0
  awk -F'\t' -v OFS='\t' -v l="$label" '{
      $3 = l; n = split($NF, a, ", "); note = ""
      for (i = 1; i <= n; i++) if (a[i] != "search") note = note (note == "" ? "" : ", ") a[i]
      $NF = note; print }' <<<"$row" >>"$RESULTS"
}

scenario_sparse() {
  local s=sparse base
  run_vigie $s "$SPARSE_NET" "$PORTS16" "$RETRIES_SPARSE" "$SRC_SPARSE" "$IF_SPARSE" "$TRUTH_SPARSE" "$NS_SPARSE"
  use_tool masscan && run_masscan $s "$SPARSE_NET" "$PORTS16" "$RETRIES_SPARSE" "$SRC_SPARSE" "$IF_SPARSE" \
    "$GW_SPARSE" "$MAC_GW_SPARSE" "$TRUTH_SPARSE" "$NS_SPARSE"
  if use_tool nmap; then
    local setting="-sS --min-rate $RATE --max-retries $RETRIES_SPARSE"
    if [[ -n $(tool_missing nmap) ]]; then record_na $s nmap "$setting" "$(tool_missing nmap)"; return; fi
    base="$OUT/$s-nmap"
    log "$s: nmap -sS -p 16 ports --min-rate $RATE"
    run_tool "$NS_SPARSE" "$base.stdout" "$base" nmap -sS -Pn -n -p "$PORTS16" --min-rate "$RATE" \
      --max-retries "$RETRIES_SPARSE" --max-rtt-timeout 1000ms -oG "$base.gnmap" "$SPARSE_NET"
    record $s nmap "$setting" "$TRUTH_SPARSE" all nmap-grep "" "$base.gnmap"
    drop_outputs "$base.gnmap" "$base.stdout"
  fi
}

scenario_connect() {
  local s=connect base
  run_vigie $s "$SPARSE_NET" "$PORTS16" "$RETRIES_SPARSE" "$SRC_SPARSE" "$IF_SPARSE" "$TRUTH_SPARSE" \
    "$NS_SPARSE" --connect
  if use_tool nmap; then
    local setting="-sT --min-rate $RATE --max-retries $RETRIES_SPARSE"
    if [[ -n $(tool_missing nmap) ]]; then record_na $s nmap "$setting" "$(tool_missing nmap)"; return; fi
    base="$OUT/$s-nmap"
    log "$s: nmap -sT -p 16 ports --min-rate $RATE"
    run_tool "$NS_SPARSE" "$base.stdout" "$base" nmap -sT -Pn -n -p "$PORTS16" --min-rate "$RATE" \
      --max-retries "$RETRIES_SPARSE" --max-rtt-timeout 1000ms -oG "$base.gnmap" "$SPARSE_NET"
    record $s nmap "$setting" "$TRUTH_SPARSE" all nmap-grep "" "$base.gnmap"
    drop_outputs "$base.gnmap" "$base.stdout"
  fi
}

# ---------------------------------------------------------------- main

if ! use_tool vigie; then run_vigie() { :; }; fi

T0=$SECONDS
log "results in $OUT (lab $BENCH_PREFIX, offloads $BENCH_OFFLOADS, rate $RATE)"
for ((round = 1; round <= REPEAT; round++)); do
  ((REPEAT == 1)) || log "round $round of $REPEAT"
  for scen in "${SCENARIOS[@]}"; do "scenario_$scen"; done
done

{
  echo "vigie bench — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), kernel $(uname -r)"
  echo "tools: $(masscan --version 2>/dev/null | awk '/version/ { print "masscan", $3; exit }'), $(zmap --version 2>/dev/null | head -n 1), $(nmap --version 2>/dev/null | awk 'NR == 1 { print "nmap", $3 }'), $("$VIGIE_BIN" --version 2>/dev/null | head -n 1 | grep . || echo "vigie ?")"
  echo "rate $RATE pps, wait ${WAIT}s, retries dense $RETRIES_DENSE / sparse $RETRIES_SPARSE, offloads $BENCH_OFFLOADS, $((SECONDS - T0)) s in all"
  echo
  python3 "$HERE/score.py" table "$RESULTS"
} | tee "$OUT/table.txt"
log "results: $OUT/table.txt, $OUT/results.tsv; logs: $OUT/*.err"
