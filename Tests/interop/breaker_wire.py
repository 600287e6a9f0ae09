"""Hand-made PersonaHSM wire client for abuse tests (frames of RPCCore/Wire, TLS 1.3 + ALPN).

Deliberately independent of the Swift client: it can send what the Swift client never would
(bad lengths, unknown frame types, out-of-order streams, garbage payloads). Only talks to 127.0.0.1.
"""
import os
import socket
import ssl
import struct
import time

ALPN = "personahsm/1"
CALL_OPEN, MESSAGE, END, CANCEL, PING, PONG, GOAWAY, SETTINGS = range(1, 9)
END_STREAM = 0x01

STATUS = ["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
          "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
          "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"]


def method_id(service, method):
    h = 0x811C9DC5
    for b in f"/persona.hsm.v1.{service}/{method}".encode():
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


# ── protobuf encoding (just enough to build requests) ─────────────────────────
def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_varint(field, n):
    return varint(field << 3) + varint(n)


def pb_bytes(field, data):
    if isinstance(data, str):
        data = data.encode()
    return varint(field << 3 | 2) + varint(len(data)) + data


def pb_read(data):
    """Decodes one protobuf message level into {field: [values]} (bytes for LEN, int for VARINT)."""
    out, i = {}, 0
    while i < len(data):
        key, i = _read_varint(data, i)
        field, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _read_varint(data, i)
        elif wt == 2:
            n, i = _read_varint(data, i)
            v, i = data[i:i + n], i + n
        elif wt == 5:
            v, i = data[i:i + 4], i + 4
        elif wt == 1:
            v, i = data[i:i + 8], i + 8
        else:
            raise ValueError("bad wire type")
        out.setdefault(field, []).append(v)
    return out


def _read_varint(data, i):
    shift = n = 0
    while True:
        b = data[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


# ── frames ────────────────────────────────────────────────────────────────────
def frame(ftype, stream, payload=b"", flags=0, version=1, reserved=0, length=None):
    n = len(payload) if length is None else length
    return struct.pack(">BBBBII", version, ftype, flags, reserved, stream, n) + payload


def short_str(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack(">H", len(b)) + b


def call_open_payload(mid, timeout_us=0, idem="", trace="", metadata=()):
    p = struct.pack(">IQ", mid, timeout_us) + short_str(idem) + short_str(trace)
    p += struct.pack(">H", len(metadata))
    for k, v in metadata:
        p += short_str(k) + struct.pack(">I", len(v)) + v
    return p


def parse_end(payload):
    code = payload[0]
    (n,) = struct.unpack(">H", payload[1:3])
    return STATUS[code] if code < len(STATUS) else f"?{code}", payload[3:3 + n].decode(errors="replace")


class Conn:
    def __init__(self, dev_root, role="admin", port=27443, alpn=True, cert=True, timeout=10):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.load_verify_locations(os.path.join(dev_root, "pki", "ca.pem"))
        ctx.check_hostname = False
        if cert:
            ctx.load_cert_chain(os.path.join(dev_root, "pki", f"{role}.pem"),
                                os.path.join(dev_root, "pki", f"{role}.key"))
        if alpn:
            ctx.set_alpn_protocols([ALPN])
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock = ctx.wrap_socket(raw, server_hostname="localhost")
        self.buf = b""
        self.next_stream = 1

    def send(self, data):
        self.sock.sendall(data)

    def recv_frame(self, timeout=10):
        """One frame as (type, flags, stream, payload), None when the peer closed, "TIMEOUT" if silent."""
        self.sock.settimeout(timeout)
        while True:
            if len(self.buf) >= 12:
                _, t, fl, _, sid, n = struct.unpack(">BBBBII", self.buf[:12])
                if len(self.buf) >= 12 + n:
                    payload, self.buf = self.buf[12:12 + n], self.buf[12 + n:]
                    return t, fl, sid, payload
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                return "TIMEOUT"
            except (ConnectionResetError, ssl.SSLError, BrokenPipeError, OSError):
                return None
            if not chunk:
                return None
            self.buf += chunk

    def wait_end(self, stream, timeout=15):
        """Reads until END on `stream` (returns (status, message, messages)), GOAWAY or close."""
        msgs = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            f = self.recv_frame(timeout=max(0.1, deadline - time.monotonic()))
            if f is None:
                return ("CLOSED", "", msgs)
            if f == "TIMEOUT":
                continue
            t, fl, sid, p = f
            if t == GOAWAY:
                code = p[4] if len(p) > 4 else 0
                msg = p[7:].decode(errors="replace") if len(p) > 7 else ""
                return ("GOAWAY:" + STATUS[code], msg, msgs)
            if sid != stream:
                continue
            if t == MESSAGE:
                msgs.append(p)
            elif t == END:
                s, m = parse_end(p)
                return (s, m, msgs)
        return ("TIMEOUT", "", msgs)

    def call(self, service, method, request=b"", timeout_us=30_000_000, idem="", metadata=(), mid=None):
        sid = self.next_stream
        self.next_stream += 2
        m = method_id(service, method) if mid is None else mid
        self.send(frame(CALL_OPEN, sid, call_open_payload(m, timeout_us, idem, "", metadata))
                  + frame(MESSAGE, sid, request, flags=END_STREAM))
        return self.wait_end(sid)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
