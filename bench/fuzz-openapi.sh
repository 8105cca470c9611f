#!/usr/bin/env bash
# Fuzzes the sandbox against sandbox/openapi.yaml with schemathesis: server errors, responses that
# break the document, schema-valid requests the server rejects and schema-invalid ones it accepts.
# Loopback only: the sandbox binds 127.0.0.1 on a free port and is the only target.
# Creates the venv outside the clone on first use (schemathesis is never installed into the repo).
# Usage: bench/fuzz-openapi.sh [--max-examples N] [--max-time SECONDS] [--seed N] [--report-dir DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="4.32.5"
venv="${CLOUDDIGIT_FUZZ_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/clouddigit-operator/venv-schemathesis}"
if [ ! -x "$venv/bin/st" ] || ! "$venv/bin/st" --version 2>/dev/null | grep -q "$version"; then
  echo "creating $venv with schemathesis==$version" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis==$version"
fi
cd "$root"
exec scripts/with-node --import tsx bench/fuzz-openapi.ts --st "$venv/bin/st" "$@"
