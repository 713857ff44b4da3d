#!/usr/bin/env bash
# The proof bundle end to end (TAP): vigie keygen, bundle, verify, timestamp,
# checked against openssl and sha256sum alone, with every kind of tampering
# on a fresh copy, and RFC 3161 with a real TSA on 127.0.0.1 (openssl ts
# -reply behind tests/report/tsa_server.py).
set -u
bin=${VIGIE_BIN:?VIGIE_BIN must point to the vigie binary}
tsa_server=${1:?usage: test_bundle.sh tests/report/tsa_server.py}
command -v openssl >/dev/null || { echo "1..0 # SKIP openssl not installed"; exit 77; }
command -v python3 >/dev/null || { echo "1..0 # SKIP python3 not installed"; exit 77; }
# The test TSA is on loopback: no proxy may stand in between.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy=127.0.0.1

work=$(mktemp -d)
tsa_pid=""
cleanup() { [ -n "$tsa_pid" ] && kill "$tsa_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; failed=$((failed + 1)); }
check() { local name=$1; shift; if "$@" >/dev/null 2>&1; then ok "$name"; else nok "$name"; fi; }
# expect RC NAME CMD...: the command exits with RC; its output is in $out.
expect() {
  local want=$1 name=$2; shift 2
  out=$("$@" 2>&1); local rc=$?
  if [ "$rc" -eq "$want" ]; then ok "$name"; else nok "$name (exit $rc, wanted $want)"; echo "$out" | sed 's/^/#   /'; fi
}
has() { grep -qF -- "$1" <<<"$out"; }

# ---------------------------------------------------------------- keygen
umask 022
expect 0 "keygen writes a key" "$bin" keygen -o signer.key
fpr=$(sed -n 's/^fingerprint: //p' <<<"$out")
check "key is mode 0600 despite umask 022" test "$(stat -c %a signer.key)" = 600
check "public key written beside it" test -s signer.key.pub
check "fingerprint is sha256 of the DER SPKI" \
  test "$fpr" = "$(openssl pkey -in signer.key -pubout -outform DER | sha256sum | cut -d' ' -f1)"
check "key is PEM PKCS#8 Ed25519" grep -q 'BEGIN PRIVATE KEY' signer.key
before=$(sha256sum signer.key)
expect 73 "keygen refuses to overwrite a key" "$bin" keygen -o signer.key
check "refusal names the file" has "signer.key already exists"
check "refused key left untouched" test "$before" = "$(sha256sum signer.key)"
(cd "$work" && "$bin" keygen >/dev/null 2>&1)
check "default key name ./vigie-signing.key" test -s vigie-signing.key -a -s vigie-signing.key.pub
"$bin" keygen -o other.key >/dev/null 2>&1

# ---------------------------------------------------------------- bundle
mkdir -p bundle/sub/deeper
printf '<report/>\n' > bundle/report.xml
printf 'a,b\n1,2\n' > bundle/findings.csv
printf 'nested\n' > bundle/sub/deeper/scan.xml
printf 'spaced\n' > "bundle/sub/file with spaces.txt"
expect 0 "bundle signs a folder" "$bin" bundle --key signer.key bundle
check "bundle prints the key fingerprint" has "key fingerprint: $fpr"
check "bundle prints MANIFEST's sha256" has "MANIFEST sha256: $(sha256sum bundle/MANIFEST | cut -d' ' -f1)"
check "MANIFEST, MANIFEST.sig, pubkey.pem written" test -s bundle/MANIFEST -a -s bundle/MANIFEST.sig -a -s bundle/pubkey.pem
check "MANIFEST.sig is 64 raw bytes" test "$(stat -c %s bundle/MANIFEST.sig)" = 64
check "MANIFEST lists the 4 files, sorted bytewise" \
  test "$(cut -c67- bundle/MANIFEST)" = "$(printf 'findings.csv\nreport.xml\nsub/deeper/scan.xml\nsub/file with spaces.txt')"
check "MANIFEST lines are '<sha256>  <path>'" test "$(grep -cvE '^[0-9a-f]{64}  [^/]' bundle/MANIFEST)" = 0
check "sha256sum -c MANIFEST passes" bash -c 'cd bundle && sha256sum --quiet -c MANIFEST'
check "openssl pkeyutl verifies MANIFEST.sig" \
  openssl pkeyutl -verify -pubin -inkey bundle/pubkey.pem -rawin -in bundle/MANIFEST -sigfile bundle/MANIFEST.sig
check "pubkey.pem is signer.key's public key" cmp -s bundle/pubkey.pem signer.key.pub
expect 0 "vigie verify: valid bundle" "$bin" verify bundle
check "verify prints the fingerprint and OK" bash -c "grep -qF 'key fingerprint: $fpr' <<<\"\$0\" && grep -q '^OK' <<<\"\$0\"" "$out"
expect 0 "vigie verify --pubkey with the right key" "$bin" verify --pubkey signer.key.pub bundle
expect 0 "re-signing an already signed folder" "$bin" bundle --key signer.key bundle
expect 0 "verify after re-signing" "$bin" verify bundle

# Refusals: what MANIFEST cannot hold stops bundle with the file named.
mkdir refuse1 && echo x > refuse1/a && ln -s /etc/passwd refuse1/link
expect 2 "bundle refuses a symbolic link" "$bin" bundle --key signer.key refuse1
check "refusal names the link" has "refuse1/link: a symbolic link"
check "nothing written after a refusal" test ! -e refuse1/MANIFEST
mkdir refuse2 && echo x > "refuse2/bad
name"
expect 2 "bundle refuses a name with a newline" "$bin" bundle --key signer.key refuse2
mkdir refuse3 && echo x > 'refuse3/back\slash'
expect 2 "bundle refuses a name with a backslash" "$bin" bundle --key signer.key refuse3
mkdir refuse4 && mkfifo refuse4/fifo
expect 2 "bundle refuses a fifo" "$bin" bundle --key signer.key refuse4
expect 2 "bundle without --key is a usage error" "$bin" bundle bundle
expect 2 "verify of a missing folder is a usage error" "$bin" verify nowhere

# ------------------------------------------------------------- tampering
fresh() { rm -rf t && cp -a bundle t; }
fresh; printf 'X' | dd of=t/report.xml bs=1 seek=1 conv=notrunc status=none
expect 4 "one byte changed: exit 4" "$bin" verify t
check "names the file 'changed'" has "report.xml: changed"
fresh; rm "t/sub/file with spaces.txt"
expect 4 "file removed: exit 4" "$bin" verify t
check "names the file 'missing'" has "sub/file with spaces.txt: missing"
fresh; echo extra > t/sub/extra.txt
expect 4 "file added: exit 4" "$bin" verify t
check "names the file 'added'" has "sub/extra.txt: added"
# Swap the first line's sum for another valid one: only the signature can tell.
fresh; sum=$(sha256sum t/findings.csv | cut -c1-64); other=$(printf 'forged\n' | sha256sum | cut -c1-64)
printf 'forged\n' > t/findings.csv; sed -i "s/^$sum/$other/" t/MANIFEST
expect 4 "MANIFEST edited to match a forged file: exit 4" "$bin" verify t
check "reports MANIFEST: bad signature" has "MANIFEST: bad signature"
check "the forged file itself matches the edited MANIFEST" bash -c '! grep -q "findings.csv" <<<"$0"' "$out"
fresh; "$bin" bundle --key other.key t >/dev/null 2>&1
expect 0 "a bundle re-signed by another key is whole without --pubkey" "$bin" verify t
expect 4 "key swapped: exit 4 with --pubkey of the original" "$bin" verify --pubkey signer.key.pub t
check "names pubkey.pem 'key swapped'" has "pubkey.pem: key swapped"
check "and the signature as bad under the original key" has "MANIFEST: bad signature"
fresh; cp other.key.pub t/pubkey.pem
expect 4 "pubkey.pem replaced alone: bad signature" "$bin" verify t
check "names it" has "MANIFEST: bad signature"
fresh; rm t/MANIFEST.sig
expect 4 "MANIFEST.sig removed: exit 4" "$bin" verify t
check "names MANIFEST.sig missing" has "MANIFEST.sig: missing"
fresh; printf 'hi\r\n' >> t/MANIFEST
expect 4 "CRLF line in MANIFEST: exit 4" "$bin" verify t
check "reports MANIFEST malformed" has "MANIFEST: malformed"

# A MANIFEST that points outside, properly signed: refused, never read.
mkdir -p evil outside && echo secret > outside/secret
cp signer.key.pub evil/pubkey.pem
printf '%s  ../outside/secret\n' "$(sha256sum outside/secret | cut -c1-64)" > evil/MANIFEST
openssl pkeyutl -sign -inkey signer.key -rawin -in evil/MANIFEST -out evil/MANIFEST.sig
expect 4 "signed MANIFEST naming ../: exit 4" "$bin" verify evil
check "reports the '..' component" has "'..' path component"

# ------------------------------------------------------------- RFC 3161
mkdir tsa
cat > tsa/ext.cnf <<'CNF'
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
[tsa]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = critical,timeStamping
CNF
mkca() { # NAME SUBJECT: a self-signed CA
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "tsa/$1.key" \
    -out "tsa/$1.pem" -subj "$2" -days 3 -config /dev/null -extensions ca -extfile tsa/ext.cnf 2>/dev/null \
  || openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "tsa/$1.key" \
    -out "tsa/$1.pem" -subj "$2" -days 3 -addext 'basicConstraints=critical,CA:TRUE' \
    -addext 'keyUsage=critical,keyCertSign,cRLSign' 2>/dev/null
}
mkca ca "/CN=vigie test TSA CA"
mkca otherca "/CN=another CA"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tsa/tsa.key \
  -out tsa/tsa.csr -subj "/CN=vigie test TSA" 2>/dev/null
openssl x509 -req -in tsa/tsa.csr -CA tsa/ca.pem -CAkey tsa/ca.key -set_serial 2 -days 3 \
  -extfile tsa/ext.cnf -extensions tsa -out tsa/tsa.pem 2>/dev/null
echo 01 > tsa/serial
cat > tsa/ts.cnf <<CNF
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = $work/tsa
serial = \$dir/serial
crypto_device = builtin
signer_cert = \$dir/tsa.pem
certs = \$dir/ca.pem
signer_key = \$dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
CNF
check "test TSA certificate made (EKU timeStamping, critical)" \
  bash -c 'openssl x509 -in tsa/tsa.pem -noout -text | grep -A1 "Extended Key Usage: critical" | grep -q "Time Stamping"'

python3 "$tsa_server" "$work/tsa/ts.cnf" "$work/tsa" > tsa/port &
tsa_pid=$!
for _ in $(seq 50); do [ -s tsa/port ] && break; sleep 0.1; done
port=$(cat tsa/port)
check "test TSA listening on 127.0.0.1" test -n "$port"
url="http://127.0.0.1:$port/"

rm -rf s && cp -a bundle s
expect 0 "bundle --tsa-url stamps the bundle" "$bin" bundle --key signer.key --tsa-url "$url" --tsa-ca tsa/ca.pem s
check "MANIFEST.tsr written" test -s s/MANIFEST.tsr
check "bundle says the TSA chain was checked" has "TSA signature and chain checked"
expect 0 "verify --tsa-ca: valid stamped bundle" "$bin" verify --tsa-ca tsa/ca.pem s
check "verify prints the token's time" has "timestamp: 20"
expect 0 "verify without --tsa-ca: valid, signer not checked" "$bin" verify s
check "says the signer was not checked" has "signer was not checked"
check "openssl ts -verify accepts MANIFEST.tsr" \
  openssl ts -verify -data s/MANIFEST -in s/MANIFEST.tsr -CAfile tsa/ca.pem
check "sha256sum -c still passes on a stamped bundle" bash -c 'cd s && sha256sum --quiet -c MANIFEST'
expect 4 "verify with another CA: exit 4" "$bin" verify --tsa-ca tsa/otherca.pem s
check "names MANIFEST.tsr" has "MANIFEST.tsr: timestamp mismatch"

rm -rf t && cp -a s t
size=$(stat -c %s t/MANIFEST.tsr)
printf '\xff' | dd of=t/MANIFEST.tsr bs=1 seek=$((size - 10)) conv=notrunc status=none
expect 4 "tampered .tsr: exit 4 with --tsa-ca" "$bin" verify --tsa-ca tsa/ca.pem t
check "names MANIFEST.tsr" has "MANIFEST.tsr: timestamp mismatch"
expect 4 "tampered .tsr: exit 4 without --tsa-ca too" "$bin" verify t

# A token for another MANIFEST.
mkdir other && echo other > other/x && "$bin" bundle --key signer.key --tsa-url "$url" other >/dev/null 2>&1
rm -rf t && cp -a s t && cp other/MANIFEST.tsr t/MANIFEST.tsr
expect 4 "token of another manifest: exit 4" "$bin" verify --tsa-ca tsa/ca.pem t
check "says timestamp mismatch" has "MANIFEST.tsr: timestamp mismatch"
expect 4 "timestamp --reply refuses another manifest's token" "$bin" timestamp --reply other/MANIFEST.tsr s
check "the good token is kept" "$bin" verify --tsa-ca tsa/ca.pem s

# Later, from another machine: only MANIFEST travels.
rm -rf late away && cp -a bundle late && mkdir away && cp late/MANIFEST away/
expect 0 "timestamp --tsa-url on a folder holding MANIFEST alone" "$bin" timestamp --tsa-url "$url" --tsa-ca tsa/ca.pem away
cp away/MANIFEST.tsr late/
expect 0 "the token brought back verifies" "$bin" verify --tsa-ca tsa/ca.pem late

# By hand: --query-out, openssl ts -reply offline, --reply.
rm -rf hand && cp -a bundle hand
expect 0 "timestamp --query-out writes a request" "$bin" timestamp --query-out hand.tsq hand
check "openssl reads it: SHA-256 imprint, nonce, certReq" bash -c \
  'openssl ts -query -in hand.tsq -text | grep -q "Hash Algorithm: sha256" &&
   openssl ts -query -in hand.tsq -text | grep -q "Certificate required: yes" &&
   openssl ts -query -in hand.tsq -text | grep -q "^Nonce: 0x"'
check "the request's imprint is SHA-256(MANIFEST)" bash -c \
  'openssl asn1parse -inform DER -in hand.tsq | grep -qi "HEX DUMP\]:$(sha256sum hand/MANIFEST | cut -c1-64)"'
openssl ts -reply -config tsa/ts.cnf -queryfile hand.tsq -out hand.tsr 2>/dev/null
expect 0 "timestamp --reply installs the offline answer" "$bin" timestamp --reply hand.tsr --tsa-ca tsa/ca.pem hand
expect 0 "verify --tsa-ca after --reply" "$bin" verify --tsa-ca tsa/ca.pem hand
check "openssl ts -verify after --reply" openssl ts -verify -data hand/MANIFEST -in hand/MANIFEST.tsr -CAfile tsa/ca.pem
echo garbage > junk.tsr
expect 76 "timestamp --reply refuses garbage" "$bin" timestamp --reply junk.tsr hand

# A dead TSA: exit 69, and the bundle is still signed.
kill "$tsa_pid"; wait "$tsa_pid" 2>/dev/null; tsa_pid=""
rm -rf dead && cp -a bundle dead && rm -f dead/MANIFEST*
expect 69 "dead TSA: exit 69" "$bin" bundle --key signer.key --tsa-url "$url" --tsa-timeout 2 dead
check "says it stays signed and how to stamp later" has "is signed but not timestamped"
check "no MANIFEST.tsr" test ! -e dead/MANIFEST.tsr
expect 0 "the bundle verifies" "$bin" verify dead
expect 69 "timestamp with a dead TSA: exit 69" "$bin" timestamp --tsa-url "$url" --tsa-timeout 2 dead
expect 2 "--tsa-timeout 0 is a usage error" "$bin" timestamp --tsa-url "$url" --tsa-timeout 0 dead

echo "1..$n"
[ "$failed" -eq 0 ]
