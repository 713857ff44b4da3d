#!/usr/bin/env bash
# Regenerates the certificate fixtures of tests/unit/test_scan_tls.c with
# fixed validity dates (openssl ca -startdate/-enddate), so the expected
# facts never move. The keys are throwaway test keys. Run from this folder.
set -euo pipefail
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/new"; : > "$work/index.txt"; echo 01 > "$work/serial"
cat > "$work/ca.cnf" <<CNF
[ca]
default_ca = d
[d]
dir = $work
database = $work/index.txt
new_certs_dir = $work/new
serial = $work/serial
default_md = sha256
policy = p
copy_extensions = copy
unique_subject = no
[p]
commonName = supplied
organizationName = optional
[v3_ca]
basicConstraints = critical,CA:true
keyUsage = keyCertSign,cRLSign
[v3_leaf]
basicConstraints = CA:false
CNF
sign() { # csr out extensions signer_cert signer_key start end [selfsign]
  local extra=(-cert "$4" -keyfile "$5")
  [ "${8:-}" = self ] && extra=(-selfsign -keyfile "$5")
  openssl ca -batch -config "$work/ca.cnf" -in "$1" -out "$2" -extensions "$3" \
    "${extra[@]}" -startdate "$6" -enddate "$7" -notext 2>/dev/null
}
# A throwaway CA (P-256) and a leaf it signed (P-256) with DNS, wildcard and IP SANs.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/ca.key"
openssl req -new -key "$work/ca.key" -subj "/O=Vigie Test/CN=Vigie Test CA" -out "$work/ca.csr"
sign "$work/ca.csr" ca.pem v3_ca x "$work/ca.key" 20250101000000Z 20350101000000Z self
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/leaf.key"
openssl req -new -key "$work/leaf.key" -subj "/O=Vigie Test/CN=www.example.test" \
  -addext "subjectAltName=DNS:www.example.test,DNS:*.apps.example.test,IP:198.18.0.10,IP:2001:db8::1" \
  -out "$work/leaf.csr"
sign "$work/leaf.csr" leaf.pem v3_leaf ca.pem "$work/ca.key" 20250301120000Z 20300301120000Z
# An expired self-signed RSA 1024 certificate with SHA-1 and no SAN (CN only).
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$work/old.key"
openssl req -new -key "$work/old.key" -subj "/CN=old.example.test" -out "$work/old.csr"
sed -i 's/default_md = sha256/default_md = sha1/' "$work/ca.cnf"
sign "$work/old.csr" old.pem v3_leaf x "$work/old.key" 20200101000000Z 20210101000000Z self
# A self-signed Ed25519 certificate.
openssl genpkey -algorithm ED25519 -out "$work/ed.key"
openssl req -x509 -new -key "$work/ed.key" -subj "/CN=ed.example.test" -days 3650 -out ed.pem
