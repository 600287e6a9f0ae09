#!/usr/bin/env python3
"""Independent verification of credentials issued by `personahsm issue`.

usage: issue_verify.py OUTPUT.jsonl PUBLIC_KEY_HEX [--expect N] [--audit AUDIT.log]

The did:key is derived here from the HSM's raw Ed25519 public key (multicodec 0xed01,
base58btc, 'z' multibase prefix). Every line's `jwt` is checked with jwcrypto (EdDSA over
the JWS signing input, kid = the did:key verification method, issuer = the DID) and every
`di` proof per eddsa-jcs-2022 with `jcs` + `cryptography`: hashData = SHA-256(JCS(proof
config with the document's @context)) || SHA-256(JCS(document without proof)). With
--audit, each signature's SHA-256 must appear as an audit record's signature_sha256.
Prints "verified N credentials" and exits 0 when all verify (and N == --expect).
"""
import argparse
import base64
import hashlib
import json
import sys

import base58
import jcs
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from jwcrypto import jwk, jws


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def did_key(raw):
    multibase = "z" + base58.b58encode(b"\xed\x01" + raw).decode("ascii")
    return "did:key:" + multibase, "did:key:" + multibase + "#" + multibase


def issuer_of(credential):
    issuer = credential.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def check_jwt(compact, raw, did, method):
    key = jwk.JWK(kty="OKP", crv="Ed25519", x=base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii"))
    token = jws.JWS()
    token.deserialize(compact)
    token.verify(key, alg="EdDSA")
    header = json.loads(b64url_decode(compact.split(".")[0]))
    if header.get("alg") != "EdDSA" or header.get("kid") != method:
        raise ValueError("header %r does not name EdDSA and %s" % (header, method))
    claims = json.loads(token.payload)
    credential = claims.get("vc", claims)  # VCDM 1.1 JWTs carry the credential in `vc`
    if issuer_of(credential) != did and claims.get("iss") != did:
        raise ValueError("issuer is not %s" % did)
    return b64url_decode(compact.split(".")[2])


def check_di(document, raw, did, method):
    document = dict(document)
    proof = dict(document.pop("proof"))
    if (proof.get("type"), proof.get("cryptosuite"), proof.get("proofPurpose"), proof.get("verificationMethod")) != (
            "DataIntegrityProof", "eddsa-jcs-2022", "assertionMethod", method):
        raise ValueError("unexpected proof %r" % proof)
    if issuer_of(document) != did:
        raise ValueError("issuer is not %s" % did)
    value = proof.pop("proofValue")
    if not value.startswith("z"):
        raise ValueError("proofValue is not base58btc multibase")
    signature = base58.b58decode(value[1:])
    if "@context" in document:
        proof["@context"] = document["@context"]
    hash_data = hashlib.sha256(jcs.canonicalize(proof)).digest() + hashlib.sha256(jcs.canonicalize(document)).digest()
    Ed25519PublicKey.from_public_bytes(raw).verify(signature, hash_data)
    return signature


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    parser.add_argument("public_key_hex")
    parser.add_argument("--expect", type=int)
    parser.add_argument("--audit")
    args = parser.parse_args()
    raw = bytes.fromhex(args.public_key_hex.strip())
    did, method = did_key(raw)
    audited = None
    if args.audit:
        audited = set()
        with open(args.audit, encoding="utf-8") as log:
            for line in log:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # a torn tail after a crash
                digest = record.get("extra", {}).get("signature_sha256")
                if digest:
                    audited.add(digest)
    verified, failures = 0, []
    with open(args.output, encoding="utf-8") as output:
        for number, line in enumerate(output, 1):
            record = json.loads(line)
            for name, check in (("jwt", check_jwt), ("di", check_di)):
                if name not in record:
                    continue
                try:
                    signature = check(record[name], raw, did, method)
                    if audited is not None and hashlib.sha256(signature).hexdigest() not in audited:
                        raise ValueError("signature not in the audit log")
                    verified += 1
                except (ValueError, KeyError, InvalidSignature, jws.InvalidJWSSignature, jws.InvalidJWSObject) as error:
                    failures.append("line %d %s: %s" % (number, name, str(error) or type(error).__name__))
    for failure in failures[:20]:
        print(failure)
    print("verified %d credentials, %d failed, issuer %s" % (verified, len(failures), did))
    if failures or (args.expect is not None and verified != args.expect):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
