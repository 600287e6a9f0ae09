#!/usr/bin/env bash
# Regenerates the Swift wrappers, method descriptors and stubs for Protos/ with our own generator
# (Tools/protogen-swift), plus the test samples PersonaProtosTests iterates.
#   Tools/generate-swift.sh [SOURCES_DIR] [TEST_SUPPORT_DIR]
# Defaults: Sources/PersonaProtos/Generated and Tests/PersonaProtosTests/Generated.
# Set PROTOGEN to an already built protogen-swift to skip `swift build` (the test suite does).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-Sources/PersonaProtos/Generated}"
tests_out="${2:-Tests/PersonaProtosTests/Generated}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
protos=$(cd Protos && find persona -name '*.proto' | LC_ALL=C sort)
(cd Protos && protoc-c -I. --include_source_info --descriptor_set_out="$tmp/schema.pb" $protos)
if [ -z "${PROTOGEN:-}" ]; then
  swift build --product protogen-swift -q
  PROTOGEN="$(swift build --show-bin-path)/protogen-swift"
fi
mkdir -p "$out" "$tests_out"
find "$out" "$tests_out" -name '*.swift' -delete
"$PROTOGEN" --descriptor-set "$tmp/schema.pb" --out "$out" --test-support-out "$tests_out" \
  --c-module CPersonaProtos --module PersonaProtos $protos
