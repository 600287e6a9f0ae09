#!/usr/bin/env bash
# Fails when committed generated code differs from a fresh regeneration: the protoc-c C codec,
# the Swift wrappers and test samples of PersonaProtos, and the generator's kitchen-sink fixture
# (descriptor set, C codec, golden Swift). Set GENERATED_ROOT to check another tree (the test
# suite does) and PROTOGEN to use an already built protogen-swift.
set -euo pipefail
cd "$(dirname "$0")/.."
root="${GENERATED_ROOT:-.}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
if [ -z "${PROTOGEN:-}" ]; then
  swift build --product protogen-swift -q
  PROTOGEN="$(swift build --show-bin-path)/protogen-swift"
fi
export PROTOGEN
Tools/generate-c.sh "$tmp/Sources/C/CPersonaProtos"
Tools/generate-swift.sh "$tmp/Sources/PersonaProtos/Generated" "$tmp/Tests/PersonaProtosTests/Generated"
Tools/generate-fixture.sh "$tmp" >/dev/null
status=0
for path in Sources/C/CPersonaProtos Sources/PersonaProtos/Generated Tests/PersonaProtosTests/Generated \
            Tests/ProtoGenKitTests/Fixtures/kitchen_sink.pb Tests/ProtoGenKitTests/Golden \
            Tests/Fixtures/CKitchenSinkProtos; do
  diff -r "$tmp/$path" "$root/$path" || status=1
done
if [ $status -ne 0 ]; then
  echo "check-generated: generated code is stale or was edited by hand; run 'make generate'" >&2
  exit 1
fi
echo "check-generated: generated code is current"
