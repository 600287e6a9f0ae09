#!/usr/bin/env bash
# Installs everything the build, the demo and the tests need, on a fresh Debian bookworm machine
# with the Swift toolchain. Idempotent: a second run checks and does nothing.
set -euo pipefail

APT_PACKAGES=(
  libssl-dev openssl                       # TLS, software crypto, dev PKI
  libsodium-dev                            # Ed25519 verification (half of OpenSSL's cost)
  libprotobuf-c-dev protobuf-c-compiler    # wire codec and its compiler
  libprotobuf-dev                          # google/protobuf/descriptor.proto for the generator
  protobuf-compiler                        # protoc: independent encoder/decoder in the interop tests
  libsofthsm2-dev softhsm2                 # the embedded default HSM
  libp11-kit-dev p11-kit p11-kit-modules   # PKCS#11 header; p11-kit server + client module: benchmark peer
  python3 python3-pip                      # interop checks
  make gcc pkg-config
)
PIP_PACKAGES=(cryptography jwcrypto jcs base58 pynacl)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: apt packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PY="${PYTHON:-python3}"
if ! "$PY" -c 'import cryptography, jwcrypto, jcs, base58, nacl' 2>/dev/null; then
  echo "install-deps: pip packages: ${PIP_PACKAGES[*]}"
  "$PY" -m pip install -q --disable-pip-version-check "${PIP_PACKAGES[@]}" 2>&1 \
    | grep -v "Running pip as the 'root' user" || true
  "$PY" -c 'import cryptography, jwcrypto, jcs, base58, nacl'
fi
command -v swift >/dev/null || { echo "install-deps: the Swift toolchain is not on PATH" >&2; exit 1; }
