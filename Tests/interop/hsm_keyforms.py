#!/usr/bin/env python3
"""Checks public-key export forms made by the HSM layer with pyca/cryptography and jwcrypto.

Each stdin line: "<spki hex> <base64 of PEM text> <JWK JSON>". The three must describe the same
key: PEM and DER load to equal keys, and the JWK's key equals them too. Prints "keys N".
"""
import base64
import json
import sys

from cryptography.hazmat.primitives import serialization
from jwcrypto import jwk


def main():
    n = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        spki_hex, pem_b64, jwk_json = line.strip().split(" ", 2)
        der = bytes.fromhex(spki_hex)
        k1 = serialization.load_der_public_key(der)
        k2 = serialization.load_pem_public_key(base64.b64decode(pem_b64))
        spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        assert k1.public_bytes(*spki) == der, "DER does not round-trip"
        assert k2.public_bytes(*spki) == der, "PEM and DER differ"
        key = jwk.JWK(**json.loads(jwk_json))
        from_jwk = serialization.load_pem_public_key(key.export_to_pem())
        assert from_jwk.public_bytes(*spki) == der, "JWK and DER differ"
        n += 1
    print(f"keys {n}")


if __name__ == "__main__":
    main()
