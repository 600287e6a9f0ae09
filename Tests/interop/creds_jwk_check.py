#!/usr/bin/env python3
"""Independent check of PersonaHSM's JWK export (SoftCrypto PublicKey.jwk).

Reads a JSON array on stdin; each item has:
  jwk         - the JWK text our Swift code produced
  spki_hex    - the SubjectPublicKeyInfo DER our code produced for the same key
  thumbprint  - our RFC 7638 SHA-256 thumbprint, base64url
  msg_hex, sig_hex, alg (optional) - a signature our software key made
jwcrypto parses the JWK, exports it, and cryptography compares the key with the SPKI, recomputes
the thumbprint, and verifies the signature. Prints "ok <n>" and exits 0 only if all agree.
"""
import json
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwcrypto import jwk as jwk_module


def check(item):
    key = jwk_module.JWK.from_json(item["jwk"])
    if key.has_private:
        raise ValueError("JWK unexpectedly contains private material")
    ours = serialization.load_der_public_key(bytes.fromhex(item["spki_hex"]))
    theirs = serialization.load_pem_public_key(key.export_to_pem())
    fmt = serialization.PublicFormat.SubjectPublicKeyInfo
    enc = serialization.Encoding.DER
    if ours.public_bytes(enc, fmt) != theirs.public_bytes(enc, fmt):
        raise ValueError("JWK and SPKI describe different keys")
    if key.thumbprint() != item["thumbprint"]:
        raise ValueError("thumbprint mismatch: jwcrypto %s, ours %s" % (key.thumbprint(), item["thumbprint"]))
    alg = item.get("alg")
    if alg:
        msg = bytes.fromhex(item["msg_hex"])
        sig = bytes.fromhex(item["sig_hex"])
        if alg == "Ed25519":
            assert isinstance(theirs, ed25519.Ed25519PublicKey)
            theirs.verify(sig, msg)
        elif alg == "ES256-DER":
            theirs.verify(sig, msg, ec.ECDSA(hashes.SHA256()))
        else:
            raise ValueError("unknown alg " + alg)


def main():
    items = json.load(sys.stdin)
    for index, item in enumerate(items):
        try:
            check(item)
        except Exception as error:  # report which item failed and why
            print("item %d (%s): %s" % (index, item.get("jwk"), error), file=sys.stderr)
            return 1
    print("ok %d" % len(items))
    return 0


if __name__ == "__main__":
    sys.exit(main())
