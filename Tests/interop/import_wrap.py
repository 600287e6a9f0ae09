#!/usr/bin/env python3
"""Client side of PersonaHSM's ImportKey, written with pyca/cryptography only.

  import_wrap.py wrap <import-key.pem> <out-dir> <rsa|p256|ed25519> [bits] [sha256|sha1]
      Generates a private key, writes <out-dir>/key.pkcs8 (PKCS#8 DER, for the test's own checks),
      <out-dir>/public.der (SPKI DER) and <out-dir>/wrapped.bin: the PKCS#8 wrapped as
      CKM_RSA_AES_KEY_WRAP = RSA-OAEP(SHA-256 and MGF1-SHA-256 by default, or SHA-1 for HSMs whose
      OAEP has nothing else; no label)(fresh AES-256 key)
      || AES-KWP (RFC 5649)(that key, PKCS#8). Prints "wrapped <n> bytes".
"""
import os
import sys

from cryptography.hazmat.primitives import hashes, keywrap, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa


def main():
    if len(sys.argv) < 5 or sys.argv[1] != "wrap":
        print(__doc__)
        return 2
    import_key = serialization.load_pem_public_key(open(sys.argv[2], "rb").read())
    assert isinstance(import_key, rsa.RSAPublicKey) and import_key.key_size == 3072, "import key must be RSA-3072"
    out, kind = sys.argv[3], sys.argv[4]
    if kind == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=int(sys.argv[5]) if len(sys.argv) > 5 else 2048)
    elif kind == "p256":
        key = ec.generate_private_key(ec.SECP256R1())
    elif kind == "ed25519":
        key = ed25519.Ed25519PrivateKey.generate()
    else:
        print("unknown kind " + kind)
        return 2
    pkcs8 = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    aes = os.urandom(32)
    oaep_hash = hashes.SHA1() if len(sys.argv) > 6 and sys.argv[6] == "sha1" else hashes.SHA256()
    encrypted_aes = import_key.encrypt(aes, padding.OAEP(mgf=padding.MGF1(oaep_hash), algorithm=oaep_hash, label=None))
    wrapped = encrypted_aes + keywrap.aes_key_wrap_with_padding(aes, pkcs8)
    for name, data in (("key.pkcs8", pkcs8), ("public.der", spki), ("wrapped.bin", wrapped)):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print("wrapped %d bytes" % len(wrapped))
    return 0


if __name__ == "__main__":
    sys.exit(main())
