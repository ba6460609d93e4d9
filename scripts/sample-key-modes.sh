#!/usr/bin/env bash
# git records no file modes but the executable bit, so a fresh clone has the public sample keys in
# configs/sample-keys/ at 0644, and pqvpn (like OpenVPN) warns about, or refuses, readable secrets.
# `npm ci` runs this through `prepare` to give them the modes real keys must have.
set -euo pipefail
cd "$(dirname "$0")/../configs/sample-keys" 2>/dev/null || exit 0
chmod 600 ./*.key passdb client-passdb.auth 2>/dev/null || true
