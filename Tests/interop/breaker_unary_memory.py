"""Unary requests parked without END_STREAM must count against the per-connection memory bound.

usage: breaker_unary_memory.py DEV_ROOT PORT SERVER_PID STREAMS
Opens STREAMS Sign calls on one connection, each with a ~4 MiB MESSAGE and no half-close, then
reports the server's RSS growth (MiB). With a bound of 16 MiB buffered per connection the growth
must stay far below STREAMS * 4 MiB: the server should stop reading or refuse the streams.
Prints "growth_mb=<n> sent=<n>" and exits 0; the caller asserts.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from breaker_wire import CALL_OPEN, MESSAGE, Conn, call_open_payload, frame, method_id  # noqa: E402

dev, port, pid, streams = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])


def rss_mb():
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) // 1024


c = Conn(dev, port=port)
c.recv_frame(timeout=5)
base = rss_mb()
sign = method_id("SigningService", "Sign")
body = b"\x0a\x03ed1\x1a" + b"\x80\x80\xff\x01" + b"A" * (4 * 1024 * 1024 - 64)  # field 3, ~4 MiB
body = body[:4 * 1024 * 1024]
sent = 0
c.sock.settimeout(2)
deadline = time.monotonic() + 60
for i in range(streams):
    if time.monotonic() > deadline:
        break
    try:
        c.send(frame(CALL_OPEN, 2 * i + 1, call_open_payload(sign)) + frame(MESSAGE, 2 * i + 1, body))
        sent += 1
    except OSError:
        break  # the server stopped reading (back-pressure) or closed: both are fine
time.sleep(1.5)
peak = rss_mb()
print(f"growth_mb={peak - base} sent={sent}", flush=True)
c.close()
