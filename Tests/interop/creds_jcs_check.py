#!/usr/bin/env python3
"""Independent check of PersonaHSM's JCS (RFC 8785) output with the Python `jcs` package.

stdin: {"bits": [hex IEEE-754 bit patterns], "keys": ["hex scalars separated by spaces"], "ours": "<our JCS text>"}
The document is rebuilt from the raw inputs (numbers from their bits, keys from scalar values,
key i mapped to the number i), canonicalized by `jcs`, and compared byte for byte with ours.
Prints "ok" and exits 0 on agreement; otherwise prints the first difference and exits 1.
"""
import json
import struct
import sys

import jcs


def main():
    request = json.load(sys.stdin)
    numbers = [struct.unpack(">d", int(b, 16).to_bytes(8, "big"))[0] for b in request["bits"]]
    keys = ["".join(chr(int(s, 16)) for s in k.split(" ")) for k in request["keys"]]
    document = [numbers, {key: index for index, key in enumerate(keys)}]
    theirs = jcs.canonicalize(document)
    ours = request["ours"].encode("utf-8")
    if theirs != ours:
        at = next((i for i in range(min(len(ours), len(theirs))) if ours[i] != theirs[i]), min(len(ours), len(theirs)))
        print("mismatch at byte %d: ours %r theirs %r" % (at, ours[max(0, at - 40):at + 40], theirs[max(0, at - 40):at + 40]))
        return 1
    print("ok %d numbers %d keys" % (len(numbers), len(keys)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
