#!/usr/bin/env python3
"""Independent verifier for credentials issued by PersonaHSM's Credentials module.

stdin: {"publicKeyHex": "<32-byte Ed25519 public key>",
        "items": [{"kind": "jwt" | "di", "value": <compact JWS string | secured document object>,
                   "expect": "valid" | "invalid"}]}

It derives the did:key from the raw public key itself (multicodec 0xed01 + base58btc, 'z'
prefix), then verifies each item with cryptography / jwcrypto / jcs / base58 only:
  jwt: header alg EdDSA, kid == <did>#<multibase key>, JWS signature (jwcrypto), and the issuer
       (typ vc+jwt: payload issuer; typ JWT: iss claim and vc.issuer) == the derived DID.
  di:  eddsa-jcs-2022 - proof type/cryptosuite/purpose, verificationMethod == derived one,
       SHA-256(JCS(proof config)) || SHA-256(JCS(document without proof)) signed with Ed25519,
       proofValue base58btc multibase, issuer == derived DID.
Prints "ok <n>" and exits 0 when every verdict matches "expect"; otherwise lists mismatches, exit 1.
"""
import base64
import hashlib
import json
import sys

import base58
import jcs
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from jwcrypto import jwk, jws


def did_key(public_key: bytes):
    multibase = "z" + base58.b58encode(b"\xed\x01" + public_key).decode()
    did = "did:key:" + multibase
    return did, did + "#" + multibase


def issuer_id(credential):
    issuer = credential.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def b64url_json(segment: str):
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def verify_jwt(token: str, public_key: bytes, did: str, method: str):
    header_segment, payload_segment, _ = token.split(".")
    header = b64url_json(header_segment)
    if header.get("alg") != "EdDSA":
        raise ValueError("alg is not EdDSA")
    if header.get("kid") != method:
        raise ValueError("kid %r is not the derived did:key method" % header.get("kid"))
    key = jwk.JWK(kty="OKP", crv="Ed25519", x=base64.urlsafe_b64encode(public_key).rstrip(b"=").decode())
    token_object = jws.JWS()
    token_object.deserialize(token)
    token_object.verify(key, alg="EdDSA")  # raises on a bad signature
    payload = json.loads(token_object.payload)
    if header.get("typ") == "vc+jwt":
        if "vc" in payload or issuer_id(payload) != did:
            raise ValueError("vc+jwt payload issuer mismatch")
        if payload["@context"][0] != "https://www.w3.org/ns/credentials/v2":
            raise ValueError("vc+jwt payload is not VCDM 2.0")
    elif header.get("typ") == "JWT":
        if payload.get("iss") != did or issuer_id(payload["vc"]) != did:
            raise ValueError("JWT iss / vc.issuer mismatch")
    else:
        raise ValueError("unexpected typ %r" % header.get("typ"))


def verify_di(document, public_key: bytes, did: str, method: str):
    unsecured = dict(document)
    proof = dict(unsecured.pop("proof"))
    proof_value = proof.pop("proofValue")
    if (proof.get("type"), proof.get("cryptosuite"), proof.get("proofPurpose")) != (
            "DataIntegrityProof", "eddsa-jcs-2022", "assertionMethod"):
        raise ValueError("not an eddsa-jcs-2022 assertion proof")
    if proof.get("verificationMethod") != method:
        raise ValueError("verificationMethod is not the derived did:key method")
    if not proof_value.startswith("z"):
        raise ValueError("proofValue is not base58btc multibase")
    if "@context" in proof:
        context = proof["@context"]
        if unsecured.get("@context", [])[:len(context)] != context:
            raise ValueError("@context prefix mismatch")
        unsecured["@context"] = context
    config = dict(proof)
    if "@context" in unsecured:
        config["@context"] = unsecured["@context"]
    hash_data = hashlib.sha256(jcs.canonicalize(config)).digest() + hashlib.sha256(jcs.canonicalize(unsecured)).digest()
    Ed25519PublicKey.from_public_bytes(public_key).verify(base58.b58decode(proof_value[1:]), hash_data)
    if issuer_id(document) != did:
        raise ValueError("issuer is not the derived DID")


def main():
    request = json.load(sys.stdin)
    public_key = bytes.fromhex(request["publicKeyHex"])
    did, method = did_key(public_key)
    mismatches = []
    for index, item in enumerate(request["items"]):
        try:
            if item["kind"] == "jwt":
                verify_jwt(item["value"], public_key, did, method)
            else:
                verify_di(item["value"], public_key, did, method)
            verdict, reason = "valid", ""
        except Exception as error:  # any failure is an invalid verdict
            verdict, reason = "invalid", "%s: %s" % (type(error).__name__, error)
        if verdict != item["expect"]:
            mismatches.append("item %d (%s) expected %s, got %s %s" % (index, item["kind"], item["expect"], verdict, reason))
    if mismatches:
        print("\n".join(mismatches), file=sys.stderr)
        return 1
    print("ok %d %s" % (len(request["items"]), did))
    return 0


if __name__ == "__main__":
    sys.exit(main())
