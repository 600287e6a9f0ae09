#!/usr/bin/env bash
# Fails when committed generated code (C codec or Swift wrappers) differs from a fresh
# regeneration from Protos/. Set GENERATED_ROOT to check another tree (used by the test suite).
set -euo pipefail
cd "$(dirname "$0")/.."
root="${GENERATED_ROOT:-.}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
Tools/generate-c.sh "$tmp/c"
Tools/generate-swift.sh "$tmp/swift"
status=0
diff -r "$tmp/c" "$root/Sources/C/CPersonaProtos" || status=1
diff -r "$tmp/swift" "$root/Sources/PersonaProtos/Generated" || status=1
if [ $status -ne 0 ]; then
  echo "check-generated: generated code is stale or was edited by hand; run 'make generate'" >&2
  exit 1
fi
echo "check-generated: generated code is current"
