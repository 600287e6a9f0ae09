#!/usr/bin/env python3
"""Independent check of signatures made by the HSM layer, with pyca/cryptography.

Reads JSON lines on stdin, one signature each:
  {"alg": "ed25519"|"ecdsaP256SHA256"|"ecdsaP256SHA256DER"|"rsaPKCS1SHA256"|"rsaPSSSHA256",
   "spki": "<hex DER SubjectPublicKeyInfo>", "msg": "<hex>", "sig": "<hex>", "expect": true|false}
Prints "verified N" and exits 0 when every line's outcome matches "expect" (default true);
otherwise prints each mismatch and exits 1.
"""
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def verify(alg, key, msg, sig):
    if alg == "ed25519":
        assert isinstance(key, ed25519.Ed25519PublicKey)
        key.verify(sig, msg)
    elif alg in ("ecdsaP256SHA256", "ecdsaP256SHA256DER"):
        assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
        if alg == "ecdsaP256SHA256":
            if len(sig) != 64:
                raise InvalidSignature()
            sig = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
        key.verify(sig, msg, ec.ECDSA(hashes.SHA256()))
    elif alg == "rsaPKCS1SHA256":
        assert isinstance(key, rsa.RSAPublicKey)
        key.verify(sig, msg, padding.PKCS1v15(), hashes.SHA256())
    elif alg == "rsaPSSSHA256":
        assert isinstance(key, rsa.RSAPublicKey)
        key.verify(sig, msg, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
    else:
        raise ValueError("unknown alg " + alg)


def main():
    count, failures = 0, []
    for line_no, line in enumerate(sys.stdin, 1):
        line = line.strip()
        if not line:
            continue
        item = json.loads(line)
        expect = item.get("expect", True)
        try:
            key = serialization.load_der_public_key(bytes.fromhex(item["spki"]))
            verify(item["alg"], key, bytes.fromhex(item["msg"]), bytes.fromhex(item["sig"]))
            ok = True
        except InvalidSignature:
            ok = False
        if ok != expect:
            failures.append(f"line {line_no}: {item['alg']} verified={ok} expected={expect}")
        count += 1
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"verified {count}")


if __name__ == "__main__":
    main()
