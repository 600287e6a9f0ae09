#!/usr/bin/env python3
"""Independent check of a PersonaHSM audit log, written from docs/AUDIT.md alone.

Uses the `jcs` package (RFC 8785) for canonical bytes, hashlib for the chain and `cryptography`
for Ed25519 checkpoint signatures, so it shares no code with the Swift writer or verifier.

usage: audit_chain_check.py <log> [<ed25519-public-key-hex>]
Prints one JSON summary line; exit status 0 if the log verifies, 1 with the first broken line.
"""
import calendar
import datetime
import hashlib
import json
import struct
import sys

import jcs
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

PREFIX = b"PersonaHSM audit checkpoint v1\x00"


def millis(text):
    parsed = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    return calendar.timegm(parsed.timetuple()) * 1000 + parsed.microsecond // 1000


def broken(line, reason):
    print(json.dumps({"ok": False, "line": line, "reason": reason}))
    sys.exit(1)


def main():
    path = sys.argv[1]
    public_key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(sys.argv[2])) if len(sys.argv) > 2 else None
    data = open(path, "rb").read()
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline; otherwise the torn tail
    prev = bytes(32)
    hashes = {}
    counts = {"call": 0, "checkpoint": 0, "recovery": 0}
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
        except ValueError as error:
            broken(number, f"not JSON: {error}")
        if jcs.canonicalize(record) != line:
            broken(number, "line is not the JCS serialization of its record")
        claimed = bytes.fromhex(record.pop("hash"))
        if record["seq"] != number:
            broken(number, f"seq {record['seq']} at line {number}")
        if bytes.fromhex(record["prev"]) != prev:
            broken(number, "prev does not match")
        if hashlib.sha256(prev + jcs.canonicalize(record)).digest() != claimed:
            broken(number, "hash does not match")
        if record["type"] == "checkpoint":
            covered = record["covers_seq"]
            if hashes.get(covered) != bytes.fromhex(record["covers_hash"]):
                broken(number, "covers_hash does not match")
            message = (PREFIX + struct.pack(">Q", covered) + bytes.fromhex(record["covers_hash"])
                       + struct.pack(">q", millis(record["time"])))
            if public_key is not None:
                try:
                    public_key.verify(bytes.fromhex(record["signature"]), message)
                except InvalidSignature:
                    broken(number, "checkpoint signature invalid")
        counts[record["type"]] += 1
        hashes[number] = claimed
        prev = claimed
    print(json.dumps({"ok": True, "records": len(lines), "calls": counts["call"],
                      "checkpoints": counts["checkpoint"], "recoveries": counts["recovery"],
                      "torn_tail_bytes": len(tail), "last_hash": prev.hex()}))


if __name__ == "__main__":
    main()
