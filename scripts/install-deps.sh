#!/usr/bin/env bash
# Installs the Debian packages pqvpn's tests and tools use, when missing. Idempotent; needs root.
#   openssl   - the PKI tests check that OpenSSL parses every certificate, CRL and key we write
#   openvpn   - its sample configs are parsed by the config tests (and it is the benchmark peer later)
#   iproute2  - `ip` for TUN devices and network namespaces in the end-to-end tests
#   iputils-ping - end-to-end checks (the benchmark installs iperf3 itself)
#   g++, make, python3 - node-gyp builds the TUN addon (native/tun) during `npm ci`
set -euo pipefail
packages=(openssl openvpn iproute2 iputils-ping g++ make python3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all Debian packages present (${packages[*]})"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing ${missing[*]}; run as root to install them (tests that need them will skip)" >&2
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends: keeps the image small and avoids pulling unrelated services.
apt-get install -y -qq --no-install-recommends "${missing[@]}"
