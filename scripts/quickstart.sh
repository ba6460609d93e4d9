#!/usr/bin/env bash
# The quickest real thing pqvpn does today: build a throwaway post-quantum PKI, a password database
# and a tls-crypt key in a temporary folder, then check the four shipped example configs against them.
# Everything happens in a fresh temporary directory that is removed at the end, even on Ctrl-C.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
pqvpn() { node "$here/bin/pqvpn.js" "$@"; }
work="$(mktemp -d -t pqvpn-quickstart.XXXXXX)"
trap 'rm -rf "$work"' EXIT INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "A certificate authority with ML-DSA-65 keys"
pqvpn pki --pki "$work/pki" init --cn "pqvpn quickstart CA"
step "A server and a client certificate"
pqvpn pki --pki "$work/pki" issue server server
pqvpn pki --pki "$work/pki" issue client client
pqvpn pki --pki "$work/pki" list
step "What OpenSSL 3.0 (which does not know ML-DSA) makes of the server certificate"
openssl x509 -in "$work/pki/issued/server.crt" -noout -subject -issuer -ext extendedKeyUsage 2>/dev/null \
  && openssl x509 -in "$work/pki/issued/server.crt" -noout -text | grep -m2 -E 'Signature Algorithm|Public Key Algorithm' \
  || echo "(openssl not installed)"
step "A tls-crypt key and a password database user"
keys="$work/configs/sample-keys"
mkdir -p "$keys"
pqvpn genkey tls-crypt "$keys/tls-crypt.key"
printf 'quickstart-password\n' | pqvpn passwd add alice --db "$keys/passdb" --stdin
printf 'quickstart-password\n' | pqvpn passwd check alice --db "$keys/passdb" --stdin
printf 'alice\nquickstart-password\n' > "$keys/client-passdb.auth"
chmod 600 "$keys/client-passdb.auth"
cp "$work/pki/ca.crt" "$work/pki/issued/server.crt" "$work/pki/issued/client.crt" "$keys/"
cp "$work/pki/private/server.key" "$work/pki/private/client.key" "$keys/"
cp "$here"/configs/*.ovpn "$work/configs/"
for conf in server client server-passdb client-passdb; do
  step "pqvpn config check configs/$conf.ovpn"
  pqvpn config check "$work/configs/$conf.ovpn"
done
step "Done: every file above was real and is now removed ($work)"
