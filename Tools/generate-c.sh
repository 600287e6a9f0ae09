#!/usr/bin/env bash
# Regenerates the protoc-c C codec for Protos/ into $1 (default: Sources/C/CPersonaProtos) and the
# descriptor set the Swift generator reads. Headers go under include/ so SwiftPM exposes them.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-Sources/C/CPersonaProtos}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
protos=$(cd Protos && find persona -name '*.proto' | LC_ALL=C sort)
(cd Protos && protoc-c -I. --c_out="$tmp" $protos)
mkdir -p "$out/include"
find "$out" -name '*.pb-c.[ch]' -delete
while IFS= read -r f; do
  rel="${f#$tmp/}"
  case "$f" in
    *.h) mkdir -p "$out/include/$(dirname "$rel")"; cp "$f" "$out/include/$rel" ;;
    *.c) cp "$f" "$out/$(echo "$rel" | tr '/' '_')" ;;
  esac
done < <(find "$tmp" -name '*.pb-c.[ch]' | LC_ALL=C sort)
