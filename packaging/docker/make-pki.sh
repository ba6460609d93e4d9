#!/bin/sh
# Throwaway PKI for the compose loopback test (compose.yaml, service "pki"):
# a CA, one server and one client certificate (ML-DSA-44: the fastest level,
# enough for a test) and a tls-crypt key, in DIR (default /pki). Does nothing
# when the PKI is already there, so `docker compose up` can run it every time.
# Not for real use: the keys live in a Docker volume.
set -eu
dir="${1:-/pki}"
if [ -f "$dir/tls-crypt.key" ]; then
  echo "PKI already in $dir"
  exit 0
fi
pqvpn pki --pki "$dir" init --cn "pqvpn compose test CA" --algo ml-dsa-44 --days 30
pqvpn pki --pki "$dir" issue server server --days 30
pqvpn pki --pki "$dir" issue client client --days 30
# Written last: its presence means the PKI is complete.
pqvpn genkey tls-crypt "$dir/tls-crypt.key"
