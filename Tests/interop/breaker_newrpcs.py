"""Abuse cases for the newer RPCs (ImportKey, digest_sha256 signing, per-credential DERIVE keys)
against a running personahsmd --dev on 127.0.0.1. Prints one line per case (verdict | case |
observed | after) and exits 1 if any case fails.

usage: breaker_newrpcs.py DEV_ROOT PORT SERVER_PID [case-prefix ...]
After each case a fresh connection must still get Health/Check (SERVING, every backend healthy,
i.e. nothing was ejected from rotation) and a Sign answered.
"""
import hashlib
import os
import random
import sys
import threading
import time

from cryptography.hazmat.primitives import hashes, keywrap, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: F401  (import check only)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from breaker_wire import (CALL_OPEN, END, MESSAGE, END_STREAM, Conn, call_open_payload, frame,  # noqa: E402
                          method_id, parse_end, pb_bytes, pb_read, pb_varint)

DEV, PORT, PID = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ONLY = sys.argv[4:]
RUN = f"{os.getpid()}-{int(time.time())}"
rng = random.Random(4321)
results = []

ED25519, P256, RSA2048, RSA3072, PSS2048, AES = 1, 2, 3, 4, 5, 7
SIGN_VERIFY, ENCRYPT_DECRYPT, DERIVE = 1, 2, 3


# ── crc32c (Castagnoli), for input_crc32c ─────────────────────────────────────
def _crc_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC_TABLE = _crc_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


# ── connection helpers ────────────────────────────────────────────────────────
def conn(role="admin"):
    c = Conn(DEV, port=PORT, role=role)
    c.recv_frame(timeout=5)  # server SETTINGS
    return c


def call(service, method, request, role="admin", timeout=30):
    c = conn(role)
    try:
        st, m, msgs = c.call(service, method, request)
        return st, m, (pb_read(msgs[0]) if msgs else {})
    finally:
        c.close()


def pipelined(c, calls, timeout=120):
    """Sends every (service, method, request) on `c` at once; returns [(status, message, fields)] in order."""
    sids, out = [], b""
    for service, method, request in calls:
        sid = c.next_stream
        c.next_stream += 2
        sids.append(sid)
        out += frame(CALL_OPEN, sid, call_open_payload(method_id(service, method), 60_000_000)) \
            + frame(MESSAGE, sid, request, flags=END_STREAM)
    c.send(out)
    got, msgs = {}, {}
    deadline = time.monotonic() + timeout
    while len(got) < len(sids) and time.monotonic() < deadline:
        f = c.recv_frame(timeout=max(0.1, deadline - time.monotonic()))
        if f is None:
            break
        if f == "TIMEOUT":
            continue
        t, _, sid, p = f
        if t == MESSAGE:
            msgs[sid] = p
        elif t == END:
            got[sid] = parse_end(p)
    return [(*got.get(s, ("TIMEOUT", "")), pb_read(msgs[s]) if s in msgs else {}) for s in sids]


def proc_alive():
    try:
        with open(f"/proc/{PID}/status") as f:
            return any(line.startswith("VmRSS") for line in f)
    except FileNotFoundError:
        return False


def health():
    """(serving status, [(backend, healthy, last_error)])."""
    st, m, r = call("HealthService", "Check", b"")
    if st != "OK":
        return st, []
    backends = []
    for b in r.get(2, []):
        f = pb_read(b)
        backends.append((f.get(1, [b""])[0].decode(), f.get(3, [0])[0] == 1, f.get(7, [b""])[0].decode()))
    return r.get(1, [0])[0], backends


def sanity():
    """The process lives, Health is SERVING with every backend healthy, and a fresh client signs."""
    if not proc_alive():
        return "SERVER DEAD"
    try:
        status, backends = health()
        bad = [b for b in backends if not b[1]]
        if status != 1 or bad or not backends:
            return f"health status={status} unhealthy={bad}"
        st, m, _ = call("SigningService", "Sign", pb_bytes(1, "ed1") + pb_bytes(3, b"sanity"))
        return "ok" if st == "OK" else f"sign={st} {m}"
    except Exception as e:  # noqa: BLE001
        return f"sanity error {e!r}"


def case(name, expect):
    """Decorator: runs fn() -> observed string; `expect(observed)` decides pass/fail."""
    def wrap(fn):
        if ONLY and not any(name.startswith(p) for p in ONLY):
            return fn
        try:
            observed = fn()
        except Exception as e:  # noqa: BLE001
            observed = f"EXC {e!r}"
        ok = expect(observed)
        s = sanity()
        verdict = "PASS" if ok and s == "ok" else "FAIL"
        results.append((name, verdict))
        print(f"{verdict} | {name} | {observed} | after: {s}", flush=True)
        return fn
    return wrap


def status_in(*codes):
    return lambda obs: any(str(obs).startswith(c) for c in codes)


def st_msg(r):
    return f"{r[0]}: {r[1][:140]}"


# ── key material ─────────────────────────────────────────────────────────────
def pkcs8(key):
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def rsa_key(bits=2048, e=65537):
    return rsa.generate_private_key(public_exponent=e, key_size=bits)


def der_int(n):
    b = n.to_bytes((n.bit_length() + 8) // 8 or 1, "big")
    return b"\x02" + der_len(len(b)) + b


def der_len(n):
    if n < 128:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def der_seq(*parts):
    body = b"".join(parts)
    return b"\x30" + der_len(len(body)) + body


def rsa_pkcs8_from_numbers(n, e, d, p, q, dp, dq, qi):
    """PKCS#8 of arbitrary (possibly inconsistent) RSA numbers."""
    rsa_private = der_seq(der_int(0), *(der_int(x) for x in (n, e, d, p, q, dp, dq, qi)))
    alg = der_seq(b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01", b"\x05\x00")
    return der_seq(der_int(0), alg, b"\x04" + der_len(len(rsa_private)) + rsa_private)


def p256_pkcs8_with_point(scalar, point):
    """PKCS#8 of a P-256 key whose embedded public point is `point` (may belong to another key)."""
    ec_private = der_seq(der_int(1), b"\x04\x20" + scalar.to_bytes(32, "big"),
                         b"\xa1" + der_len(len(point) + 3) + b"\x03" + der_len(len(point) + 1) + b"\x00" + point)
    alg = der_seq(b"\x06\x07\x2a\x86\x48\xce\x3d\x02\x01", b"\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07")
    return der_seq(der_int(0), alg, b"\x04" + der_len(len(ec_private)) + ec_private)


def import_req(name, alg, plaintext=None, wrapped=None, purpose=SIGN_VERIFY):
    r = pb_bytes(1, name) + pb_varint(2, purpose) + pb_varint(3, alg)
    if wrapped is not None:
        r += pb_bytes(4, wrapped)
    if plaintext is not None:
        r += pb_bytes(5, plaintext)
    return r


def import_key(name, alg, plaintext=None, wrapped=None, purpose=SIGN_VERIFY, role="admin"):
    return call("KeyService", "ImportKey", import_req(name, alg, plaintext, wrapped, purpose), role=role)


def public_key(name):
    st, m, r = call("KeyService", "GetPublicKey", pb_bytes(1, name) + pb_varint(3, 1))
    if st != "OK":
        raise RuntimeError(f"GetPublicKey {name}: {st} {m}")
    return serialization.load_der_public_key(r[5][0])


_import_public = []


def import_public():
    if not _import_public:
        _import_public.append(public_key("personahsm-import-key"))
    return _import_public[0]


def wrap(pkcs8_der, oaep_hash=None, aes=None):
    """CKM_RSA_AES_KEY_WRAP of `pkcs8_der` under the server's import key."""
    aes = aes or os.urandom(32)
    h = oaep_hash or hashes.SHA1()  # SoftHSM2 2.6.1 does OAEP with SHA-1 only
    return import_public().encrypt(aes, padding.OAEP(mgf=padding.MGF1(h), algorithm=h, label=None)) \
        + keywrap.aes_key_wrap_with_padding(aes, pkcs8_der)


def sign(name, data=None, digest=None, crc=None, encoding=0, role="admin"):
    r = pb_bytes(1, name)
    if data is not None:
        r += pb_bytes(3, data)
    if digest is not None:
        r += pb_bytes(4, digest)
    if crc is not None:
        r += pb_varint(5, crc)
    if encoding:
        r += pb_varint(6, encoding)
    return call("SigningService", "Sign", r, role=role)


def verifies(pub, signature, message, alg):
    """Python's own verdict on `signature` over `message` (the message behind a digest)."""
    try:
        if alg == ED25519:
            pub.verify(signature, message)
        elif alg == P256:
            r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            pub.verify(utils.encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
        elif alg in (RSA2048, RSA3072):
            pub.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        elif alg == PSS2048:
            pub.verify(signature, message, padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                                        salt_length=padding.PSS.AUTO), hashes.SHA256())
        return True
    except Exception:  # noqa: BLE001
        return False


def imported_key_works(name, alg, key):
    """The imported key signs, the signature verifies under the imported key's own public key, and
    GetPublicKey returns that public key."""
    st, m, r = sign(name, data=b"imported key check")
    if st != "OK":
        return f"sign {st}: {m[:100]}"
    mine = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    theirs = public_key(name).public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if mine != theirs:
        return "GetPublicKey differs from the imported key"
    if not verifies(key.public_key(), r[4][0], b"imported key check", alg):
        return "signature does not verify under the imported key"
    return "works"


def setup_keys():
    for name, purpose, alg in (("ed1", SIGN_VERIFY, ED25519), ("ec1", SIGN_VERIFY, P256),
                               ("rsa1", SIGN_VERIFY, RSA2048), ("pss1", SIGN_VERIFY, PSS2048),
                               ("aes1", ENCRYPT_DECRYPT, AES), ("der1", DERIVE, AES), ("der2", DERIVE, AES)):
        st, m, _ = call("KeyService", "CreateKey", pb_bytes(1, name) + pb_varint(2, purpose) + pb_varint(3, alg))
        if st not in ("OK", "ALREADY_EXISTS"):
            sys.exit(f"setup: CreateKey {name} -> {st} {m}")


setup_keys()


def n(prefix):
    """A key name unique to this run."""
    return f"{prefix}-{RUN}-{rng.randrange(10**9)}"


# ── ImportKey: plaintext PKCS#8 (dev mode) ────────────────────────────────────
INVALID = status_in("INVALID_ARGUMENT")

case("import/plain-empty", INVALID)(lambda: st_msg(import_key(n("e"), P256, plaintext=b"")))
case("import/plain-random-500", INVALID)(lambda: st_msg(import_key(n("r"), P256, plaintext=rng.randbytes(500))))
case("import/plain-3MiB", status_in("INVALID_ARGUMENT", "RESOURCE_EXHAUSTED"))(
    lambda: st_msg(import_key(n("h"), RSA2048, plaintext=b"\x30\x83\x30\x00\x00" + rng.randbytes(3 << 20))))
case("import/plain-trailing-byte", INVALID)(
    lambda: st_msg(import_key(n("t"), P256, plaintext=pkcs8(ec.generate_private_key(ec.SECP256R1())) + b"\x00")))


@case("import/plain-every-truncation", lambda o: o.startswith("all INVALID_ARGUMENT"))
def _():
    bad = []
    for alg, key in ((ED25519, ed25519.Ed25519PrivateKey.generate()), (P256, ec.generate_private_key(ec.SECP256R1())),
                     (RSA2048, rsa_key())):
        der = pkcs8(key)
        cuts = range(len(der)) if len(der) < 200 else sorted(rng.sample(range(len(der)), 40))
        c = conn()
        res = pipelined(c, [("KeyService", "ImportKey", import_req(n("cut"), alg, plaintext=der[:k]))
                            for k in cuts if k > 0])
        c.close()
        bad += [f"{alg}:{r[0]}" for r in res if r[0] != "INVALID_ARGUMENT"]
    return "all INVALID_ARGUMENT" if not bad else f"not refused: {bad[:8]}"


@case("import/plain-bit-flips", lambda o: o.startswith("no broken key"))
def _():
    """Random bit flips in a P-256 PKCS#8: each is refused, or imported as a key that signs and
    whose public key is the one the flipped PKCS#8 describes."""
    key = ec.generate_private_key(ec.SECP256R1())
    der = bytearray(pkcs8(key))
    broken = []
    for i in range(30):
        flipped = bytearray(der)
        pos = rng.randrange(len(flipped))
        flipped[pos] ^= 1 << rng.randrange(8)
        name = n("flip")
        st, m, _ = import_key(name, P256, plaintext=bytes(flipped))
        if st == "OK":
            s, sm, _ = sign(name, data=b"x")
            if s != "OK":
                broken.append(f"byte {pos}: imported but sign {s}")
        elif st != "INVALID_ARGUMENT":
            broken.append(f"byte {pos}: {st} {m[:60]}")
    return "no broken key" if not broken else "; ".join(broken[:5])


for label, make in (("rsa-1024", lambda: rsa_key(1024)), ("rsa-4096", lambda: rsa_key(4096)),
                    ("rsa-3072-as-2048", lambda: rsa_key(3072))):
    case(f"import/plain-{label}", INVALID)(lambda make=make: st_msg(import_key(n("rsa"), RSA2048, plaintext=pkcs8(make()))))


@case("import/plain-rsa-2048-e3", lambda o: o in ("OK: works",) or o.startswith("INVALID_ARGUMENT"))
def _():
    key = rsa_key(2048, e=3)
    name = n("e3")
    st, m, _ = import_key(name, RSA2048, plaintext=pkcs8(key))
    return f"OK: {imported_key_works(name, RSA2048, key)}" if st == "OK" else st_msg((st, m))


for label, alg, make in (("p384-as-p256", P256, lambda: ec.generate_private_key(ec.SECP384R1())),
                         ("secp256k1-as-p256", P256, lambda: ec.generate_private_key(ec.SECP256K1())),
                         ("ed25519-as-p256", P256, ed25519.Ed25519PrivateKey.generate),
                         ("p256-as-ed25519", ED25519, lambda: ec.generate_private_key(ec.SECP256R1())),
                         ("x25519-as-ed25519", ED25519, x25519.X25519PrivateKey.generate),
                         ("rsa-as-p256", P256, rsa_key),
                         ("p256-as-rsa", RSA2048, lambda: ec.generate_private_key(ec.SECP256R1())),
                         ("p256-as-aes", AES, lambda: ec.generate_private_key(ec.SECP256R1())),
                         ("p256-as-unknown-alg", 99, lambda: ec.generate_private_key(ec.SECP256R1())),
                         ("p256-as-unspecified-alg", 0, lambda: ec.generate_private_key(ec.SECP256R1()))):
    case(f"import/plain-{label}", INVALID)(lambda alg=alg, make=make: st_msg(import_key(n("mis"), alg, plaintext=pkcs8(make()))))

case("import/plain-purpose-derive", INVALID)(
    lambda: st_msg(import_key(n("pd"), AES, plaintext=os.urandom(32), purpose=DERIVE)))
case("import/plain-purpose-encrypt-with-p256", INVALID)(
    lambda: st_msg(import_key(n("pe"), P256, plaintext=pkcs8(ec.generate_private_key(ec.SECP256R1())),
                              purpose=ENCRYPT_DECRYPT)))
case("import/plain-unknown-purpose", INVALID)(
    lambda: st_msg(import_key(n("pu"), P256, plaintext=pkcs8(ec.generate_private_key(ec.SECP256R1())), purpose=77)))
case("import/no-material", INVALID)(lambda: st_msg(import_key(n("nm"), P256)))
case("import/reserved-name", INVALID)(
    lambda: st_msg(import_key("personahsm-import-key", P256, plaintext=pkcs8(ec.generate_private_key(ec.SECP256R1())))))
case("import/bad-name", INVALID)(
    lambda: st_msg(import_key("../etc/passwd", P256, plaintext=pkcs8(ec.generate_private_key(ec.SECP256R1())))))
case("import/empty-name", INVALID)(
    lambda: st_msg(import_key("", P256, plaintext=pkcs8(ec.generate_private_key(ec.SECP256R1())))))


@case("import/existing-name-keeps-old-key", lambda o: o.startswith("ALREADY_EXISTS") and o.endswith("old key intact"))
def _():
    st, m, _ = import_key("ec1", P256, plaintext=pkcs8(ec.generate_private_key(ec.SECP256R1())))
    before = public_key("ec1")
    s, sm, r = sign("ec1", data=b"still mine")
    intact = s == "OK" and verifies(before, r[4][0], b"still mine", P256)
    return f"{st}: {m[:80]} / {'old key intact' if intact else 'OLD KEY BROKEN ' + s}"


@case("import/p256-point-of-another-key", lambda o: o.startswith("INVALID_ARGUMENT"))
def _():
    """A P-256 PKCS#8 whose embedded public point belongs to a different key: accepting it stores
    a public key that does not match the private key, so every later Sign of that key fails."""
    key, other = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    point = other.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    name = n("pt")
    st, m, _ = import_key(name, P256, plaintext=p256_pkcs8_with_point(key.private_numbers().private_value, point))
    if st == "OK":
        s, sm, _ = sign(name, data=b"x")
        return f"OK (imported; then sign {s}: {sm[:80]})"
    return st_msg((st, m))


@case("import/rsa-inconsistent-crt", lambda o: o.startswith("INVALID_ARGUMENT") or o.startswith("OK (imported; then sign OK"))
def _():
    """RSA numbers whose CRT values do not belong to n/d: the token signs with CRT, so an accepted
    key returns signatures that never verify."""
    nums = rsa_key().private_numbers()
    name = n("crt")
    pk = rsa_pkcs8_from_numbers(nums.public_numbers.n, nums.public_numbers.e, nums.d, nums.p, nums.q,
                                nums.dmp1 ^ 2, nums.dmq1, nums.iqmp)
    st, m, _ = import_key(name, RSA2048, plaintext=pk)
    if st == "OK":
        s, sm, _ = sign(name, data=b"x")
        return f"OK (imported; then sign {s}: {sm[:80]})"
    return st_msg((st, m))


@case("import/rsa-zero-factors", lambda o: o.startswith("INVALID_ARGUMENT") or o.startswith("OK (imported; then sign OK"))
def _():
    nums = rsa_key().private_numbers()
    pk = rsa_pkcs8_from_numbers(nums.public_numbers.n, nums.public_numbers.e, nums.d, 0, 0, 0, 0, 0)
    name = n("zero")
    st, m, _ = import_key(name, RSA2048, plaintext=pk)
    if st == "OK":
        s, sm, _ = sign(name, data=b"x")
        return f"OK (imported; then sign {s}: {sm[:80]})"
    return st_msg((st, m))


@case("import/rsa-wrong-d-and-crt", lambda o: o.startswith("INVALID_ARGUMENT"))
def _():
    """RSA numbers that can never sign (d and the CRT exponents do not belong to n): accepting
    them makes a key whose every Sign fails."""
    nums = rsa_key().private_numbers()
    name = n("dcrt")
    pk = rsa_pkcs8_from_numbers(nums.public_numbers.n, nums.public_numbers.e, nums.d ^ 2, nums.p, nums.q,
                                nums.dmp1 ^ 2, nums.dmq1 ^ 2, nums.iqmp)
    st, m, _ = import_key(name, RSA2048, plaintext=pk)
    if st == "OK":
        s, sm, _ = sign(name, data=b"x")
        return f"OK (imported; then sign {s}: {sm[:80]})"
    return st_msg((st, m))


@case("import/plain-good-each-algorithm", lambda o: o == "works works works works")
def _():
    out = []
    for alg, key in ((ED25519, ed25519.Ed25519PrivateKey.generate()), (P256, ec.generate_private_key(ec.SECP256R1())),
                     (RSA2048, rsa_key()), (PSS2048, rsa_key())):
        name = n("good")
        st, m, _ = import_key(name, alg, plaintext=pkcs8(key))
        out.append(imported_key_works(name, alg, key) if st == "OK" else f"{st}:{m[:60]}")
    return " ".join(out)


# ── ImportKey: wrapped PKCS#8 ────────────────────────────────────────────────
case("wrapped/empty", INVALID)(lambda: st_msg(import_key(n("w"), P256, wrapped=b"")))
case("wrapped/1-byte", INVALID)(lambda: st_msg(import_key(n("w"), P256, wrapped=b"\x01")))
case("wrapped/383-bytes", INVALID)(lambda: st_msg(import_key(n("w"), RSA2048, wrapped=rng.randbytes(383))))
case("wrapped/384-bytes-rsa-part-only", INVALID)(lambda: st_msg(import_key(n("w"), RSA2048, wrapped=wrap(b"\x00")[:384])))
case("wrapped/random-2000", INVALID)(lambda: st_msg(import_key(n("w"), RSA2048, wrapped=rng.randbytes(2000))))
case("wrapped/3MiB", status_in("INVALID_ARGUMENT", "RESOURCE_EXHAUSTED"))(
    lambda: st_msg(import_key(n("w"), RSA2048, wrapped=rng.randbytes(3 << 20))))


@case("wrapped/good-rsa-part-garbage-kwp", INVALID)
def _():
    return st_msg(import_key(n("w"), RSA2048, wrapped=wrap(b"\x00")[:384] + rng.randbytes(1200)))


@case("wrapped/kwp-truncated", INVALID)
def _():
    w = wrap(pkcs8(rsa_key()))
    return st_msg(import_key(n("w"), RSA2048, wrapped=w[:-8]))


@case("wrapped/kwp-extended", INVALID)
def _():
    w = wrap(pkcs8(rsa_key()))
    return st_msg(import_key(n("w"), RSA2048, wrapped=w + b"\x00" * 8))


@case("wrapped/tampered-kwp", INVALID)
def _():
    w = bytearray(wrap(pkcs8(rsa_key())))
    w[500] ^= 0x10
    return st_msg(import_key(n("w"), RSA2048, wrapped=bytes(w)))


@case("wrapped/rsa-wrong-d-and-crt", lambda o: o.startswith("INVALID_ARGUMENT") and o.endswith("name free"))
def _():
    """The token unwraps inconsistent RSA numbers without complaint; the server's pairwise test
    must refuse them and leave nothing behind."""
    nums = rsa_key().private_numbers()
    pk = rsa_pkcs8_from_numbers(nums.public_numbers.n, nums.public_numbers.e, nums.d ^ 2, nums.p, nums.q,
                                nums.dmp1 ^ 2, nums.dmq1 ^ 2, nums.iqmp)
    name = n("wdcrt")
    st, m, _ = import_key(name, RSA2048, wrapped=wrap(pk))
    good = ec.generate_private_key(ec.SECP256R1())
    st2, m2, _ = import_key(name, P256, plaintext=pkcs8(good))
    free = st2 == "OK" and imported_key_works(name, P256, good) == "works"
    return f"{st}: {m[:100]} / {'name free' if free else 'NAME TAKEN ' + st2 + ' ' + m2[:60]}"


@case("wrapped/wrapped-garbage-not-pkcs8", INVALID)
def _():
    return st_msg(import_key(n("w"), RSA2048, wrapped=wrap(rng.randbytes(1200))))


for label, alg, make in (("rsa-1024", RSA2048, lambda: rsa_key(1024)), ("rsa-4096", RSA2048, lambda: rsa_key(4096)),
                         ("rsa-3072-as-2048", RSA2048, lambda: rsa_key(3072)),
                         ("p384-as-p256", P256, lambda: ec.generate_private_key(ec.SECP384R1())),
                         ("secp256k1-as-p256", P256, lambda: ec.generate_private_key(ec.SECP256K1())),
                         ("rsa-as-p256", P256, rsa_key),
                         ("p256-as-rsa", RSA2048, lambda: ec.generate_private_key(ec.SECP256R1()))):
    @case(f"wrapped/{label}", lambda o: o.startswith("INVALID_ARGUMENT") and o.endswith("name free"))
    def _(alg=alg, make=make):
        name = n("wm")
        st, m, _ = import_key(name, alg, wrapped=wrap(pkcs8(make())))
        # Nothing of the refused import may remain: the name is still free for a good key.
        good = ec.generate_private_key(ec.SECP256R1())
        st2, m2, _ = import_key(name, P256, plaintext=pkcs8(good))
        free = st2 == "OK" and imported_key_works(name, P256, good) == "works"
        return f"{st}: {m[:100]} / {'name free' if free else 'NAME TAKEN ' + st2 + ' ' + m2[:60]}"


case("wrapped/ed25519", status_in("FAILED_PRECONDITION", "INVALID_ARGUMENT"))(
    lambda: st_msg(import_key(n("we"), ED25519, wrapped=wrap(pkcs8(ed25519.Ed25519PrivateKey.generate())))))


@case("wrapped/good-rsa-and-p256", lambda o: o == "works works")
def _():
    out = []
    for alg, key in ((RSA2048, rsa_key()), (P256, ec.generate_private_key(ec.SECP256R1()))):
        name = n("wg")
        st, m, _ = import_key(name, alg, wrapped=wrap(pkcs8(key)))
        out.append(imported_key_works(name, alg, key) if st == "OK" else f"{st}:{m[:80]}")
    return " ".join(out)


@case("wrapped/rsa-2048-e3", lambda o: o == "OK: works" or o.startswith("INVALID_ARGUMENT"))
def _():
    key = rsa_key(2048, e=3)
    name = n("we3")
    st, m, _ = import_key(name, RSA2048, wrapped=wrap(pkcs8(key)))
    return f"OK: {imported_key_works(name, RSA2048, key)}" if st == "OK" else st_msg((st, m))


@case("wrapped/plaintext-and-wrapped-both", lambda o: o.startswith("OK") or o.startswith("INVALID_ARGUMENT"))
def _():
    # protobuf: the last member of a oneof on the wire wins. Either a clear refusal or the last one.
    key = ec.generate_private_key(ec.SECP256R1())
    name = n("both")
    req = import_req(name, P256, wrapped=rng.randbytes(600)) + pb_bytes(5, pkcs8(key))
    st, m, _ = call("KeyService", "ImportKey", req)
    return f"OK: {imported_key_works(name, P256, key)}" if st == "OK" else st_msg((st, m))


for role in ("issuer", "verifier", "auditor"):
    case(f"roles/import-as-{role}", status_in("PERMISSION_DENIED"))(
        lambda role=role: st_msg(import_key(n("role"), P256, plaintext=pkcs8(ec.generate_private_key(ec.SECP256R1())),
                                            role=role)))


# ── digest_sha256 ─────────────────────────────────────────────────────────────
MSG = b"the document behind the digest"
DIGEST = hashlib.sha256(MSG).digest()
for size in (0, 1, 31, 33, 64, 1 << 20):
    case(f"digest/len-{size}", INVALID)(lambda size=size: st_msg(sign("ec1", digest=rng.randbytes(size))))
case("digest/ed25519", INVALID)(lambda: st_msg(sign("ed1", digest=DIGEST)))
case("digest/aes-key", status_in("FAILED_PRECONDITION"))(lambda: st_msg(sign("aes1", digest=DIGEST)))
case("digest/derive-key", status_in("FAILED_PRECONDITION"))(lambda: st_msg(sign("der1", digest=DIGEST)))
case("digest/crc-mismatch", status_in("DATA_LOSS"))(lambda: st_msg(sign("ec1", digest=DIGEST, crc=crc32c(DIGEST) ^ 1)))
case("digest/crc-of-message-not-digest", status_in("DATA_LOSS"))(lambda: st_msg(sign("ec1", digest=DIGEST, crc=crc32c(MSG))))
case("digest/unknown-encoding", INVALID)(lambda: st_msg(sign("ec1", digest=DIGEST, encoding=9)))
case("digest/der-encoding-on-rsa", INVALID)(lambda: st_msg(sign("rsa1", digest=DIGEST, encoding=2)))
case("roles/digest-sign-as-verifier", status_in("PERMISSION_DENIED"))(lambda: st_msg(sign("ec1", digest=DIGEST, role="verifier")))
case("roles/digest-sign-as-auditor", status_in("PERMISSION_DENIED"))(lambda: st_msg(sign("ec1", digest=DIGEST, role="auditor")))


@case("digest/good-every-algorithm-verifies-over-message", lambda o: o == "ec1 rsa1 pss1 ok")
def _():
    out = []
    for name, alg in (("ec1", P256), ("rsa1", RSA2048), ("pss1", PSS2048)):
        st, m, r = sign(name, digest=DIGEST, crc=crc32c(DIGEST))
        if st != "OK" or r.get(5, [0])[0] != 1 or not verifies(public_key(name), r[4][0], MSG, alg):
            return f"{name}: {st} {m[:80]}"
        out.append(name)
    return " ".join(out) + " ok"


@case("digest/data-and-digest-both", lambda o: o.startswith("OK: over digest") or o.startswith("INVALID_ARGUMENT"))
def _():
    # Both oneof members on the wire: protobuf says the last wins (the digest here).
    req = pb_bytes(1, "ec1") + pb_bytes(3, b"some other message") + pb_bytes(4, DIGEST)
    st, m, r = call("SigningService", "Sign", req)
    if st != "OK":
        return st_msg((st, m))
    return "OK: over digest" if verifies(public_key("ec1"), r[4][0], MSG, P256) else "OK: BUT NOT OVER THE DIGEST"


@case("digest/data-then-digest-then-data", lambda o: o.startswith("OK: over data") or o.startswith("INVALID_ARGUMENT"))
def _():
    req = pb_bytes(1, "ec1") + pb_bytes(4, DIGEST) + pb_bytes(3, MSG + b"!") + pb_bytes(4, DIGEST) + pb_bytes(3, MSG)
    st, m, r = call("SigningService", "Sign", req)
    if st != "OK":
        return st_msg((st, m))
    return "OK: over data" if verifies(public_key("ec1"), r[4][0], MSG, P256) else "OK: BUT NOT OVER THE LAST DATA"


def sign_item(name, data=None, digest=None, crc=None, rid=""):
    r = pb_bytes(1, name)
    if data is not None:
        r += pb_bytes(3, data)
    if digest is not None:
        r += pb_bytes(4, digest)
    if crc is not None:
        r += pb_varint(5, crc)
    return pb_bytes(7, rid) + r


def batch_results(resp):
    out = []
    for raw in resp.get(1, []):
        f = pb_read(raw)
        if 1 in f:
            out.append(("OK", pb_read(f[1][0])))
        else:
            err = pb_read(f[2][0])
            from breaker_wire import STATUS
            code = err.get(1, [0])[0]
            out.append((STATUS[code] if code < len(STATUS) else str(code), err.get(2, [b""])[0].decode(errors="replace")))
    return out


@case("batch/mixed-good-and-bad-items", lambda o: o == "per-item ok")
def _():
    items = [
        (sign_item("ec1", digest=DIGEST, rid="good-digest"), "OK"),
        (sign_item("ec1", digest=DIGEST[:31], rid="short"), "INVALID_ARGUMENT"),
        (sign_item("ed1", data=MSG, rid="good-ed"), "OK"),
        (sign_item("ed1", digest=DIGEST, rid="ed-digest"), "INVALID_ARGUMENT"),
        (sign_item("rsa1", digest=DIGEST, crc=crc32c(DIGEST) ^ 7, rid="crc"), "DATA_LOSS"),
        (sign_item("rsa1", digest=DIGEST, rid="good-rsa"), "OK"),
        (sign_item("nosuchkey", digest=DIGEST, rid="missing"), "NOT_FOUND"),
        (sign_item("aes1", digest=DIGEST, rid="aes"), "FAILED_PRECONDITION"),
        (sign_item("ec1", digest=rng.randbytes(100_000), rid="big"), "INVALID_ARGUMENT"),
        (sign_item("pss1", digest=DIGEST, rid="good-pss"), "OK"),
        (sign_item("ec1", data=MSG, rid="good-ec-data"), "OK"),
    ]
    st, m, r = call("SigningService", "SignBatch", b"".join(pb_bytes(1, it) for it, _ in items))
    if st != "OK":
        return st_msg((st, m))
    got = batch_results(r)
    if len(got) != len(items):
        return f"{len(got)} results for {len(items)} items"
    wrong = []
    keys = {"ec1": (public_key("ec1"), P256), "ed1": (public_key("ed1"), ED25519),
            "rsa1": (public_key("rsa1"), RSA2048), "pss1": (public_key("pss1"), PSS2048)}
    for i, ((_, want), (have, detail)) in enumerate(zip(items, got)):
        if have != want:
            wrong.append(f"#{i} want {want} got {have} {str(detail)[:60]}")
        elif have == "OK":
            name = detail[1][0].decode()
            pub, alg = keys[name]
            if not verifies(pub, detail[4][0], MSG, alg):
                wrong.append(f"#{i} signature does not verify")
    return "per-item ok" if not wrong else "; ".join(wrong[:6])


@case("batch/1024-bad-digests", lambda o: o == "1024 x INVALID_ARGUMENT")
def _():
    items = [sign_item("ec1", digest=rng.randbytes(rng.choice((0, 1, 31, 33, 64))), rid=str(i)) for i in range(1024)]
    st, m, r = call("SigningService", "SignBatch", b"".join(pb_bytes(1, it) for it in items))
    if st != "OK":
        return st_msg((st, m))
    codes = {c for c, _ in batch_results(r)}
    return f"{len(batch_results(r))} x {','.join(sorted(codes))}"


@case("batch/verify-digest-bad-lengths", lambda o: o.startswith("INVALID_ARGUMENT") or o.startswith("OK: all invalid"))
def _():
    items = [pb_bytes(1, pb_bytes(1, "ec1") + pb_bytes(4, rng.randbytes(k)) + pb_bytes(5, b"\x00" * 64))
             for k in (0, 31, 33, 1000)]
    st, m, r = call("SigningService", "VerifyBatch", b"".join(items))
    if st != "OK":
        return st_msg((st, m))
    res = []
    for raw in r.get(1, []):
        f = pb_read(raw)
        res.append("err" if 2 in f else ("valid" if pb_read(f[1][0]).get(1, [0])[0] else "invalid"))
    return "OK: all invalid/err" if "valid" not in res else f"OK: {res}"


# ── credential_id on DERIVE keys ─────────────────────────────────────────────
def enc_req(key, plaintext, cred=None, aad=b"", crc=None):
    r = pb_bytes(1, key) + pb_bytes(2, plaintext)
    if aad:
        r += pb_bytes(3, aad)
    if cred is not None:
        r += pb_bytes(4, cred)
    if crc is not None:
        r += pb_varint(5, crc)
    return r


def dec_req(key, iv, ct, cred=None, aad=b"", version=0):
    r = pb_bytes(1, key) + pb_bytes(3, iv) + pb_bytes(4, ct)
    if version:
        r += pb_varint(2, version)
    if aad:
        r += pb_bytes(5, aad)
    if cred is not None:
        r += pb_bytes(6, cred)
    return r


def encrypt(key, plaintext, cred=None, aad=b"", role="admin"):
    st, m, r = call("CryptoService", "Encrypt", enc_req(key, plaintext, cred, aad), role=role)
    if st != "OK":
        raise RuntimeError(f"Encrypt {key}/{cred!r}: {st} {m}")
    return r[3][0], r[4][0]


def decrypt(key, iv, ct, cred=None, aad=b""):
    st, m, r = call("CryptoService", "Decrypt", dec_req(key, iv, ct, cred, aad))
    return st, m, r.get(1, [b""])[0]


NOT_OK = lambda o: not str(o).startswith("OK") and not str(o).startswith("EXC")  # noqa: E731
case("cred/derive-key-without-credential", INVALID)(lambda: st_msg(call("CryptoService", "Encrypt", enc_req("der1", b"x"))))
case("cred/derive-key-empty-credential", INVALID)(lambda: st_msg(call("CryptoService", "Encrypt", enc_req("der1", b"x", b""))))
case("cred/aes-key-with-credential", INVALID)(lambda: st_msg(call("CryptoService", "Encrypt", enc_req("aes1", b"x", b"c1"))))
case("cred/signing-key-with-credential", status_in("FAILED_PRECONDITION"))(
    lambda: st_msg(call("CryptoService", "Encrypt", enc_req("ed1", b"x", b"c1"))))
case("cred/257-bytes", INVALID)(lambda: st_msg(call("CryptoService", "Encrypt", enc_req("der1", b"x", b"c" * 257))))
case("cred/1MiB", INVALID)(lambda: st_msg(call("CryptoService", "Encrypt", enc_req("der1", b"x", b"c" * (1 << 20)))))
case("cred/decrypt-1MiB", INVALID)(
    lambda: st_msg(call("CryptoService", "Decrypt", dec_req("der1", b"\0" * 12, b"\0" * 32, b"c" * (1 << 20)))))
case("cred/gdk-1MiB", INVALID)(
    lambda: st_msg(call("CryptoService", "GenerateDataKey", pb_bytes(1, "der1") + pb_bytes(2, b"c" * (1 << 20)))))
case("cred/gdk-derive-without-credential", INVALID)(
    lambda: st_msg(call("CryptoService", "GenerateDataKey", pb_bytes(1, "der1"))))
case("cred/crc-mismatch", status_in("DATA_LOSS"))(
    lambda: st_msg(call("CryptoService", "Encrypt", enc_req("der1", b"payload", b"c1", crc=crc32c(b"payload") ^ 1))))
for role in ("verifier", "auditor"):
    case(f"roles/derived-encrypt-as-{role}", status_in("PERMISSION_DENIED"))(
        lambda role=role: st_msg(call("CryptoService", "Encrypt", enc_req("der1", b"x", b"c1"), role=role)))
    case(f"roles/gdk-as-{role}", status_in("PERMISSION_DENIED"))(
        lambda role=role: st_msg(call("CryptoService", "GenerateDataKey", pb_bytes(1, "der1") + pb_bytes(2, "c1"),
                                      role=role)))


@case("cred/non-utf8-ids-do-not-share-a-key", lambda o: o.startswith("INVALID_ARGUMENT") or o == "distinct keys")
def _():
    """Two credential ids that are different bytes must never decrypt each other's data. Invalid
    UTF-8 (or an embedded NUL) must be refused, not folded into one string."""
    pairs = [(b"\xff", b"\xfe"), (b"cred\xc0", b"cred\xc1"), (b"abc\x00x", b"abc"), (b"\xed\xa0\x80", b"\xed\xa0\x81")]
    for a, b in pairs:
        st, m, r = call("CryptoService", "Encrypt", enc_req("der1", b"secret of a", a))
        if st != "OK":
            if st != "INVALID_ARGUMENT":
                return st_msg((st, m))
            continue
        ds, dm, plain = decrypt("der1", r[3][0], r[4][0], b)
        if ds == "OK":
            return f"OK: credential {b!r} decrypted data of credential {a!r}"
    return "distinct keys" if st == "OK" else "INVALID_ARGUMENT for every non-UTF-8 id"


@case("cred/tampering", lambda o: o == "all refused; original decrypts")
def _():
    pt, aad = b"per-credential secret", b"context"
    iv, ct = encrypt("der1", pt, b"alice", aad)
    wrong = []
    attempts = {
        "tag": ("der1", iv, ct[:-1] + bytes([ct[-1] ^ 1]), b"alice", aad),
        "iv": ("der1", bytes([iv[0] ^ 1]) + iv[1:], ct, b"alice", aad),
        "ciphertext": ("der1", iv, bytes([ct[0] ^ 1]) + ct[1:], b"alice", aad),
        "aad": ("der1", iv, ct, b"alice", b"other"),
        "other-credential": ("der1", iv, ct, b"bob", aad),
        "credential-prefix": ("der1", iv, ct, b"alic", aad),
        "other-master": ("der2", iv, ct, b"alice", aad),
        "no-credential": ("der1", iv, ct, None, aad),
        "plain-aes-key": ("aes1", iv, ct, None, aad),
        "short-iv": ("der1", iv[:11], ct, b"alice", aad),
        "short-ct": ("der1", iv, ct[:15], b"alice", aad),
    }
    for label, args in attempts.items():
        st, m, plain = decrypt(*args)
        if st == "OK" or st not in ("INVALID_ARGUMENT", "FAILED_PRECONDITION", "PERMISSION_DENIED"):
            wrong.append(f"{label}: {st} {m[:60]}")
    st, m, plain = decrypt("der1", iv, ct, b"alice", aad)
    if st != "OK" or plain != pt:
        wrong.append(f"original: {st} {m[:60]}")
    return "all refused; original decrypts" if not wrong else "; ".join(wrong)


@case("cred/generate-data-key-roundtrip", lambda o: o == "data key recovered; plaintext withheld")
def _():
    st, m, r = call("CryptoService", "GenerateDataKey", pb_bytes(1, "der1") + pb_bytes(2, "carol") + pb_bytes(3, b"ad"))
    if st != "OK":
        return st_msg((st, m))
    key = r[1][0]
    w = pb_read(r[2][0])
    ds, dm, plain = decrypt("der1", w[3][0], w[4][0], b"carol", b"ad")
    if ds != "OK" or plain != key or len(key) != 32:
        return f"decrypt {ds} {dm[:60]} match={plain == key}"
    st, m, r = call("CryptoService", "GenerateDataKey", pb_bytes(1, "der1") + pb_bytes(2, "carol") + pb_varint(4, 1))
    if st != "OK" or r.get(1, [b""])[0]:
        return f"without_plaintext: {st} plaintext={r.get(1)}"
    return "data key recovered; plaintext withheld"


@case("cred/1000-credentials-concurrent", lambda o: o.startswith("1000 ok"))
def _():
    """1000 distinct credential ids (4x the per-session LRU) from 4 connections at once, then
    every ciphertext decrypted in another order (evicted keys are derived again) and a sample
    checked against a neighbour's id."""
    ids = [f"user-{RUN}-{i}".encode() for i in range(1000)]
    plains = {c: os.urandom(24) + c for c in ids}
    boxes, errors = {}, []
    lock = threading.Lock()

    def worker(chunk):
        try:
            c = conn()
            res = pipelined(c, [("CryptoService", "Encrypt", enc_req("der1", plains[x], x, aad=x)) for x in chunk])
            c.close()
            with lock:
                for x, (st, m, r) in zip(chunk, res):
                    if st == "OK":
                        boxes[x] = (r[3][0], r[4][0])
                    else:
                        errors.append(f"enc {st} {m[:60]}")
        except Exception as e:  # noqa: BLE001
            with lock:
                errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(ids[k::4],)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        return f"encrypt errors: {errors[:3]}"
    order = ids[::-1]
    c = conn()
    res = pipelined(c, [("CryptoService", "Decrypt", dec_req("der1", *boxes[x], x, aad=x)) for x in order])
    bad = [f"{x!r}: {st} {m[:40]}" for x, (st, m, r) in zip(order, res) if st != "OK" or r.get(1, [b""])[0] != plains[x]]
    # A neighbour's id (and the same AAD, so only the key differs) must not open the box.
    sample = rng.sample(range(1000), 50)
    cross = pipelined(c, [("CryptoService", "Decrypt", dec_req("der1", *boxes[ids[i]], ids[(i + 1) % 1000], aad=ids[i]))
                          for i in sample])
    c.close()
    opened = [ids[i] for i, (st, _, _) in zip(sample, cross) if st == "OK"]
    if bad or opened:
        return f"wrong decrypts: {bad[:3]} cross-opened: {opened[:3]}"
    return "1000 ok, 0 cross-opened"


# ── summary ──────────────────────────────────────────────────────────────────
failed = [r for r in results if r[1] != "PASS"]
print(f"\n{len(results) - len(failed)}/{len(results)} passed")
sys.exit(1 if failed else 0)
