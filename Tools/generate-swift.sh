#!/usr/bin/env bash
# Regenerates the Swift wrappers, method descriptors and stubs for Protos/ into $1
# (default: Sources/PersonaProtos/Generated) with our own generator (Tools/protogen-swift).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-Sources/PersonaProtos/Generated}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
protos=$(cd Protos && find persona -name '*.proto' | LC_ALL=C sort)
(cd Protos && protoc-c -I. --include_source_info --descriptor_set_out="$tmp/schema.pb" $protos)
swift build --product protogen-swift -q
mkdir -p "$out"
find "$out" -name '*.swift' -delete
.build/debug/protogen-swift --descriptor-set "$tmp/schema.pb" --out "$out" $protos
