#!/usr/bin/env bash
# Regenerates the generator's kitchen-sink fixture (Tests/ProtoGenKitTests/Fixtures): its
# descriptor set, its protoc-c C codec (test-only target CKitchenSinkProtos) and the golden Swift
# the golden-file tests compare against (compiled as KitchenSinkProtos and its test samples).
# Run it after an intended change to the generator, review `git diff`, commit.
#   Tools/generate-fixture.sh [ROOT]   (default: the repository; check-generated passes a temp dir)
# Set PROTOGEN to an already built protogen-swift to skip `swift build`.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(mkdir -p "${1:-.}" && cd "${1:-.}" && pwd)"
fixtures=Tests/ProtoGenKitTests/Fixtures
proto=kitchen/v1/kitchen_sink.proto
golden="$root/Tests/ProtoGenKitTests/Golden"
c_out="$root/Tests/Fixtures/CKitchenSinkProtos"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT

mkdir -p "$root/$fixtures"
(cd "$fixtures" && protoc-c -I. --include_source_info --descriptor_set_out="$root/$fixtures/kitchen_sink.pb" "$proto")

(cd "$fixtures" && protoc-c -I. --c_out="$tmp" "$proto")
mkdir -p "$c_out/include/kitchen/v1"
find "$c_out" -name '*.pb-c.[ch]' -delete
cp "$tmp/kitchen/v1/kitchen_sink.pb-c.h" "$c_out/include/kitchen/v1/"
cp "$tmp/kitchen/v1/kitchen_sink.pb-c.c" "$c_out/kitchen_v1_kitchen_sink.pb-c.c"

if [ -z "${PROTOGEN:-}" ]; then
  swift build --product protogen-swift -q
  PROTOGEN="$(swift build --show-bin-path)/protogen-swift"
fi
mkdir -p "$golden/KitchenSinkProtos" "$golden/KitchenSinkProtosTests"
find "$golden" -name '*.swift' -delete
"$PROTOGEN" --descriptor-set "$root/$fixtures/kitchen_sink.pb" --out "$golden/KitchenSinkProtos" \
  --test-support-out "$golden/KitchenSinkProtosTests" \
  --c-module CKitchenSinkProtos --module KitchenSinkProtos "$proto"
