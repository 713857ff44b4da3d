#!/usr/bin/env bash
# Installs every build and test dependency of vigie from Debian 12's packages.
# Idempotent: packages already present are left alone; running it twice is cheap.
# Daemons are installed but never started system-wide: the test lab starts its own
# copies inside network namespaces.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: must run as root (it calls apt-get)" >&2
  exit 77
fi

build_pkgs=(
  build-essential meson ninja-build pkg-config clang llvm libclang-rt-dev
  libpcap-dev libldap-dev libc-ares-dev libssl-dev libxml2-dev
)
tool_pkgs=(
  libxml2-utils xsltproc openssl iproute2 nftables procps psmisc netcat-openbsd
  curl ldap-utils python3 nmap ndiff sslscan dnsmasq-base
  chromium fonts-dejavu-core
)
daemon_pkgs=(
  nginx-light openssh-server postfix vsftpd slapd postgresql samba dcmtk
  xrdp redis-server mariadb-server inetutils-telnetd tigervnc-standalone-server
)
# The directory auditor's labs (tests/lab/slapd_audit.sh, tests/lab/samba_ad.sh): a Samba
# AD DC (samba-ad-dc pulls winbind and the DSDB modules; samba-ad-provision holds the
# schema files `samba-tool domain provision` reads) and the ldb tools that seed it.
# kinit and the SASL GSSAPI module let the collector's test bind with Kerberos.
ad_pkgs=(samba-ad-dc samba-ad-provision ldb-tools krb5-user libsasl2-modules-gssapi-mit)
# The benchmarks compare vigie with these; only `install-deps.sh --bench` adds them.
bench_pkgs=(masscan zmap time python3-ldapdomaindump)
pkgs=("${build_pkgs[@]}" "${tool_pkgs[@]}" "${daemon_pkgs[@]}" "${ad_pkgs[@]}")
if [ "${1:-}" = "--bench" ]; then pkgs+=("${bench_pkgs[@]}"); fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages already installed"
  exit 0
fi

# Keep apt from starting the daemons in the host namespace: the lab runs its own.
made_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  made_policy=1
fi
cleanup() { if [ "$made_policy" -eq 1 ]; then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
# Postfix and slapd ask questions at install time; answer them so the install never waits.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "slapd slapd/no_configuration boolean true" | debconf-set-selections

echo "install-deps: installing ${missing[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
