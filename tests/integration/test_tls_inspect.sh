#!/usr/bin/env bash
# scan_tls_inspect against real servers this test starts on 127.0.0.1 high
# ports, through the test-only tls_inspect_driver (argument 1):
#   - a weak nginx: TLS 1.0-1.2, every suite OpenSSL has (NULL included), a
#     1024-bit RSA key, an expired self-signed SHA-1 certificate;
#   - a strong nginx: TLS 1.2-1.3, ECDHE with AEAD only, a P-256 key, a
#     certificate of a throwaway CA, valid now, SANs strong.test and 127.0.0.1;
#   - slapd with StartTLS, and slapd without TLS (StartTLS refused);
#   - PostgreSQL with ssl=on (SSLRequest), when its binaries are installed;
#   - a silent server (accepts, never answers) and a closed port.
# Then sslscan on the same two nginx servers, side by side as TAP comments;
# versions, key size, expiry and self-signed must agree. TAP output.
set -u
driver=${1:?usage: test_tls_inspect.sh path/to/tls_inspect_driver}
for tool in openssl nginx python3; do
  if ! command -v "$tool" >/dev/null; then echo "1..0 # SKIP $tool is not installed"; exit 77; fi
done

work=$(mktemp -d /tmp/vigie-tls.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  if [ -d "$work/pg" ]; then runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1; fi
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
# A free port on 127.0.0.1, as the kernel hands one out.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Every value of a fact in a facts file, joined with ','.
fact() { awk -v k="$2" 'index($0, k "=") == 1 { v = v (v == "" ? "" : ",") substr($0, length(k) + 2) } END { print v }' "$1"; }
expect() { # file fact value label
  local got; got=$(fact "$1" "$2")
  if [ "$got" = "$3" ]; then ok "$4: $2=$3"; else not_ok "$4: $2 is '$got', expected '$3'"; fi
}
wait_port() { for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# ------------------------------------------------------------ certificates
cd "$work" || exit 1
mkdir new && : > index.txt && echo 01 > serial
cat > ca.cnf <<EOF
[ca]
default_ca = d
[d]
dir = $work
database = $work/index.txt
new_certs_dir = $work/new
serial = $work/serial
default_md = sha1
policy = p
unique_subject = no
[p]
commonName = supplied
[leaf]
basicConstraints = CA:false
EOF
# Weak: an expired (2020-2021) self-signed SHA-1 certificate on RSA 1024;
# openssl ca sets past dates, which openssl req cannot.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out weak.key 2>/dev/null
openssl req -new -key weak.key -subj /CN=weak.test -out weak.csr
openssl ca -batch -config ca.cnf -selfsign -keyfile weak.key -in weak.csr -out weak.pem \
  -extensions leaf -startdate 20200101000000Z -enddate 20210101000000Z -notext 2>/dev/null
# Strong: a throwaway CA and a P-256 leaf, valid now.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
  -days 30 -subj "/CN=Vigie Throwaway CA" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout strong.key \
  -subj /CN=strong.test -out strong.csr 2>/dev/null
printf 'subjectAltName=DNS:strong.test,IP:127.0.0.1\nbasicConstraints=CA:false\n' > strong.ext
openssl x509 -req -in strong.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 20 -sha256 \
  -extfile strong.ext -out strong.pem 2>/dev/null
cat strong.pem ca.pem > strong-chain.pem
chmod 644 ./*.pem ./*.key
if [ ! -s weak.pem ] || [ ! -s strong.pem ]; then echo "1..0 # SKIP cannot make certificates"; exit 77; fi

# ------------------------------------------------------------------ nginx
weak_port=$(free_port) strong_port=$(free_port)
mkdir -p tmp
cat > nginx.conf <<EOF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $work/tmp;
  server {
    listen 127.0.0.1:$weak_port ssl;
    ssl_certificate $work/weak.pem;
    ssl_certificate_key $work/weak.key;
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2;
    ssl_ciphers ALL:eNULL:@SECLEVEL=0;
    location / { return 200 "weak\n"; }
  }
  server {
    listen 127.0.0.1:$strong_port ssl;
    ssl_certificate $work/strong-chain.pem;
    ssl_certificate_key $work/strong.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;
    location / { return 200 "strong\n"; }
  }
}
EOF
if ! nginx -p "$work" -c "$work/nginx.conf" 2>nginx-start.log || ! wait_port "$weak_port"; then
  echo "1..0 # SKIP nginx does not start: $(tr '\n' ' ' < nginx-start.log)"; exit 77
fi

# Whether this OpenSSL can offer a suite family at all: the driver must say
# "untested" for what it cannot offer, never "refused".
can_offer() { openssl ciphers "$1:@SECLEVEL=0" >/dev/null 2>&1; }
family_expect() { # family cipher-string expected-when-offerable
  if can_offer "$2"; then echo "$3"; else echo untested; fi
}

# ------------------------------------------------------------ weak server
"$driver" 127.0.0.1 "$weak_port" --weak --name weak.test --timeout 3000 > weak.facts
echo "# weak server facts:"; sed 's/^/#   /' weak.facts
expect weak.facts tls.v1_0 accepted weak
expect weak.facts tls.v1_1 accepted weak
expect weak.facts tls.v1_2 accepted weak
expect weak.facts tls.v1_3 refused weak
expect weak.facts tls.versions "TLSv1.0,TLSv1.1,TLSv1.2" weak
expect weak.facts tls.sslv3 untested weak
expect weak.facts tls.weak.null accepted weak
expect weak.facts tls.weak.anon accepted weak
expect weak.facts tls.weak.cbc_tls1_0 accepted weak
expect weak.facts tls.weak.export untested weak # no OpenSSL 3 has export suites
expect weak.facts tls.weak.3des "$(family_expect 3DES 3DES accepted)" weak
expect weak.facts tls.weak.rc4 "$(family_expect RC4 RC4 refused)" weak # nginx has no legacy provider
expect weak.facts cert.subject CN=weak.test weak
expect weak.facts cert.not_after 2021-01-01T00:00:00Z weak
expect weak.facts cert.expired true weak
expect weak.facts cert.key_type rsa weak
expect weak.facts cert.key_bits 1024 weak
expect weak.facts cert.sig_alg sha1WithRSAEncryption weak
expect weak.facts cert.self_signed true weak
expect weak.facts cert.name_mismatch false weak
expect weak.facts cert.trusted false weak
days=$(fact weak.facts cert.days_left)
if [ -n "$days" ] && [ "$days" -lt -1000 ]; then ok "weak: cert.days_left $days < 0"; else not_ok "weak: cert.days_left '$days'"; fi
want_sha=$(openssl x509 -in weak.pem -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')
expect weak.facts cert.sha256 "$want_sha" weak
case "$(fact weak.facts tls.cipher.v1_0)" in
  *SHA|*SHA1) ok "weak: TLS 1.0 cipher is a CBC suite ($(fact weak.facts tls.cipher.v1_0))" ;;
  *) not_ok "weak: TLS 1.0 cipher '$(fact weak.facts tls.cipher.v1_0)'" ;;
esac

# ---------------------------------------------------------- strong server
"$driver" 127.0.0.1 "$strong_port" --weak --sni strong.test --name strong.test --ca ca.pem \
  --timeout 3000 > strong.facts
echo "# strong server facts:"; sed 's/^/#   /' strong.facts
expect strong.facts tls.versions "TLSv1.2,TLSv1.3" strong
expect strong.facts tls.v1_0 refused strong
expect strong.facts tls.v1_1 refused strong
expect strong.facts tls.weak "" strong
for fam in null anon cbc_tls1_0; do expect strong.facts "tls.weak.$fam" refused strong; done
expect strong.facts tls.weak.3des "$(family_expect 3DES 3DES refused)" strong
case "$(fact strong.facts tls.cipher.v1_2)" in
  ECDHE-*GCM*|ECDHE-*CHACHA20*) ok "strong: TLS 1.2 cipher is ECDHE+AEAD" ;;
  *) not_ok "strong: TLS 1.2 cipher '$(fact strong.facts tls.cipher.v1_2)'" ;;
esac
expect strong.facts cert.key_type ec strong
expect strong.facts cert.key_bits 256 strong
expect strong.facts cert.san "strong.test,127.0.0.1" strong
expect strong.facts cert.self_signed false strong
expect strong.facts cert.expired false strong
expect strong.facts cert.chain_length 2 strong
expect strong.facts cert.chain "CN=strong.test,CN=Vigie Throwaway CA" strong
expect strong.facts cert.name_mismatch false strong
expect strong.facts cert.trusted true strong
# The same server, judged by the system store and under another name.
"$driver" 127.0.0.1 "$strong_port" --name other.test --name 127.0.0.2 --timeout 3000 > strong2.facts
expect strong2.facts cert.name_mismatch true "strong, other names"
expect strong2.facts cert.trusted false "strong, system store"
# nginx sends the CA too: OpenSSL reaches it and finds it in no store.
expect strong2.facts cert.verify_error "self-signed certificate in certificate chain" "strong, system store"
"$driver" 127.0.0.1 "$strong_port" --name 127.0.0.1 --no-trust --timeout 3000 > strong3.facts
expect strong3.facts cert.name_mismatch false "strong, IP SAN"
expect strong3.facts cert.trusted "" "strong, --no-trust"

# Eight inspections at once on their own threads: the same facts each time
# (no shared mutable state), and no sanitizer report in the ASan build.
"$driver" 127.0.0.1 "$strong_port" --weak --name strong.test --ca ca.pem --timeout 3000 \
  --threads 8 > threads.facts
rc=$?
if [ "$rc" -eq 0 ] && [ "$(fact threads.facts cert.trusted)" = true ]; then
  ok "8 threads at once: identical facts"
else
  not_ok "8 threads at once: rc $rc, $(grep '^error=' threads.facts)"
fi

# ------------------------------------------------------------ LDAP StartTLS
if command -v slapd >/dev/null; then
  ldap_port=$(free_port) ldap_plain=$(free_port)
  printf 'include /etc/ldap/schema/core.schema\npidfile %s/slapd1.pid\nTLSCertificateFile %s/strong.pem\nTLSCertificateKeyFile %s/strong.key\n' \
    "$work" "$work" "$work" > slapd-tls.conf
  printf 'include /etc/ldap/schema/core.schema\npidfile %s/slapd2.pid\n' "$work" > slapd-plain.conf
  slapd -f slapd-tls.conf -h "ldap://127.0.0.1:$ldap_port/" -d 0 >/dev/null 2>&1 & pids+=($!)
  slapd -f slapd-plain.conf -h "ldap://127.0.0.1:$ldap_plain/" -d 0 >/dev/null 2>&1 & pids+=($!)
  wait_port "$ldap_port"; wait_port "$ldap_plain"
  "$driver" 127.0.0.1 "$ldap_port" --starttls ldap --name strong.test --ca ca.pem --timeout 3000 > ldap.facts
  echo "# slapd StartTLS facts:"; sed 's/^/#   /' ldap.facts
  expect ldap.facts starttls offered "slapd StartTLS"
  expect ldap.facts tls true "slapd StartTLS"
  expect ldap.facts cert.subject CN=strong.test "slapd StartTLS"
  expect ldap.facts cert.trusted true "slapd StartTLS"
  "$driver" 127.0.0.1 "$ldap_plain" --starttls ldap --timeout 3000 > ldap2.facts
  expect ldap2.facts starttls refused "slapd without TLS"
  expect ldap2.facts tls.v1_2 "" "slapd without TLS"
else
  not_ok "slapd is not installed (scripts/install-deps.sh installs it)"
fi

# ------------------------------------------------------ PostgreSQL SSLRequest
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ "$(id -u)" -ne 0 ]; then
  echo "# not root: PostgreSQL (run as the postgres user) not started"
elif [ -z "$pg_bin" ] || ! id postgres >/dev/null 2>&1; then
  not_ok "PostgreSQL is not installed (scripts/install-deps.sh installs it)"
else
  pg_port=$(free_port)
  cp strong.pem pg.pem && cp strong.key pg.key && chown postgres pg.pem pg.key && chmod 600 pg.key
  mkdir "$work/pg" && chown postgres "$work/pg" && chmod 700 "$work/pg"
  runuser -u postgres -- "$pg_bin/initdb" -D "$work/pg" -A trust >/dev/null 2>&1
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg" -w -l "$work/pg/server.log" -o \
    "-c listen_addresses=127.0.0.1 -c port=$pg_port -c unix_socket_directories=$work/pg -c ssl=on -c ssl_cert_file=$work/pg.pem -c ssl_key_file=$work/pg.key" \
    start >/dev/null 2>&1
  "$driver" 127.0.0.1 "$pg_port" --starttls postgresql --no-trust --timeout 3000 > pg.facts
  echo "# PostgreSQL facts:"; sed 's/^/#   /' pg.facts
  expect pg.facts starttls offered PostgreSQL
  expect pg.facts tls.v1_3 accepted PostgreSQL
  expect pg.facts cert.subject CN=strong.test PostgreSQL
fi

# ------------------------------------------------- silent server, closed port
silent_port=$(free_port)
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64); held = []
while True: held.append(s.accept()[0])
' "$silent_port" & pids+=($!)
wait_port "$silent_port"
start=$(date +%s%N)
"$driver" 127.0.0.1 "$silent_port" --weak --timeout 300 > silent.facts
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect silent.facts tls.v1_2 timeout "silent server"
expect silent.facts tls.weak.null timeout "silent server"
# 4 versions + 5 offerable families at 300 ms each, and some slack.
if [ "$rc" -eq 0 ] && [ "$ms" -lt 6000 ]; then ok "silent server: done in $ms ms"; else not_ok "silent server: rc $rc after $ms ms"; fi
closed_port=$(free_port)
"$driver" 127.0.0.1 "$closed_port" --timeout 1000 > closed.facts
rc=$?
if [ "$rc" -eq 1 ] && grep -q '^error=.*connection failed' closed.facts; then ok "closed port: connection failed"; else not_ok "closed port: rc $rc, $(cat closed.facts)"; fi

# ------------------------------------------------------- sslscan, side by side
# sslscan's view: "TLSv1.0 enabled" lines, "RSA Key Strength", "Not valid
# after", "Subject"/"Issuer" (self-signed when equal).
compare_sslscan() { # label port facts-file
  local out=$work/sslscan-$1.txt
  sslscan --no-colour --no-heartbleed --no-groups "127.0.0.1:$2" > "$out" 2>&1
  local s v subj iss rows=()
  # versions
  s=$(awk '$1 ~ /^TLSv1\.[0-3]$/ && $2 == "enabled" { v = v (v ? "," : "") $1 } END { print v }' "$out")
  rows+=("versions|$s|$(fact "$3" tls.versions)")
  # key: "rsa:1024" or "ec:<curve>" (sslscan gives an EC key's strength, not its size)
  s=$(awk -F': *' '/^RSA Key Strength/ { print "rsa:" $2 } /^ECC Curve Name/ { print "ec:" $2 }' "$out" | head -1)
  if [ "$(fact "$3" cert.key_type)" = ec ]; then v="ec:$(fact "$3" cert.key_curve)"; else v="$(fact "$3" cert.key_type):$(fact "$3" cert.key_bits)"; fi
  rows+=("key|$s|$v")
  s=$(sed -n 's/^Signature Algorithm: *//p' "$out" | head -1)
  rows+=("signature|$s|$(fact "$3" cert.sig_alg)")
  s=$(sed -n 's/^Not valid after: *//p' "$out" | head -1)
  [ -n "$s" ] && s=$(date -u -d "$s" +%Y-%m-%dT%H:%M:%SZ)
  rows+=("not after|$s|$(fact "$3" cert.not_after)")
  subj=$(sed -n 's/^Subject: *//p' "$out" | head -1); iss=$(sed -n 's/^Issuer: *//p' "$out" | head -1)
  s=false; [ -n "$subj" ] && [ "$subj" = "$iss" ] && s=true
  rows+=("self-signed|$s|$(fact "$3" cert.self_signed)")
  # weak families sslscan lists among accepted suites: NULL and anonymous
  s=refused; grep -Eq '^(Preferred|Accepted) .* 0 bits' "$out" && s=accepted
  rows+=("null suites|$s|$(fact "$3" tls.weak.null)")
  s=refused; grep -Eq '^(Preferred|Accepted) .*(ADH|AECDH)-' "$out" && s=accepted
  rows+=("anon suites|$s|$(fact "$3" tls.weak.anon)")
  printf '# %-7s %-12s %-40s %s\n' "$1" "" sslscan vigie
  local row w a b
  for row in "${rows[@]}"; do
    IFS='|' read -r w a b <<< "$row"
    printf '# %-7s %-12s %-40s %s\n' "$1" "$w" "$a" "$b"
  done
  for row in "${rows[@]}"; do
    IFS='|' read -r w a b <<< "$row"
    if [ -n "$a" ] && [ "$a" = "$b" ]; then ok "sslscan agrees on $1 $w ($a)"; else not_ok "sslscan and vigie differ on $1 $w: '$a' vs '$b'"; fi
  done
}
if command -v sslscan >/dev/null; then
  compare_sslscan weak "$weak_port" weak.facts
  compare_sslscan strong "$strong_port" strong.facts
else
  not_ok "sslscan is not installed (scripts/install-deps.sh installs it)"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
