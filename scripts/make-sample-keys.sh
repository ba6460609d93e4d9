#!/usr/bin/env bash
# Regenerates configs/sample-keys/: the keys, certificates and password database that the example configs
# in configs/ refer to, so `pqvpn config check configs/*.ovpn` works on a fresh clone.
#
# Like OpenVPN's sample-keys, these are PUBLIC test keys: anyone can read them in this repository.
# Never use them for a real VPN; make your own with `pqvpn pki init` (see README).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
pqvpn() { node "$here/bin/pqvpn.js" "$@"; }
out="$here/configs/sample-keys"
work="$(mktemp -d -t pqvpn-sample-keys.XXXXXX)"
trap 'rm -rf "$work"' EXIT INT TERM

pqvpn pki --pki "$work/pki" init --cn "pqvpn SAMPLE CA - public test key, do not use"
pqvpn pki --pki "$work/pki" issue server server
pqvpn pki --pki "$work/pki" issue client client
rm -rf "$out"
mkdir -p "$out"
cp "$work/pki/ca.crt" "$work/pki/crl.pem" "$work/pki/issued/server.crt" "$work/pki/issued/client.crt" "$out/"
cp "$work/pki/private/server.key" "$work/pki/private/client.key" "$out/"
pqvpn genkey tls-crypt "$out/tls-crypt.key"
printf 'sample-password\n' | pqvpn passwd add alice --db "$out/passdb" --stdin
printf 'alice\nsample-password\n' > "$out/client-passdb.auth"
cat > "$out/README.md" <<'TXT'
# Sample keys: public, for examples and tests only

Everything here is published in the pqvpn repository, so it protects nothing. The example configs in
`configs/` use these files so that `pqvpn config check configs/server.ovpn` works out of the box.
Make your own keys for any real use: `pqvpn pki init`, `pqvpn pki issue …`, `pqvpn genkey tls-crypt …`,
`pqvpn passwd add …` (see the README). Regenerate these with `scripts/make-sample-keys.sh`.

The sample user in `passdb` is `alice` with password `sample-password` (also in `client-passdb.auth`).
TXT
# git does not keep file modes beyond the executable bit, so a fresh clone has these at 0644 and pqvpn
# warns about readable private keys, as OpenVPN does. Keep them 0600 here all the same.
chmod 600 "$out"/*.key "$out/passdb" "$out/client-passdb.auth"
ls -l "$out"
