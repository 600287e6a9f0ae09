#!/usr/bin/env python3
"""Checks that a headless-browser screenshot of personahsm-load's HTML report shows its plots.

Decodes the PNG (8-bit RGB or RGBA, not interlaced: what Chromium writes) with the standard
library only, and counts the pixels drawn in each series colour of the report's SVG plots
(Sources/LoadHarness/HTMLReport.swift). Prints one BENCH line; exits 1 when the file is not such a
PNG or a series colour is missing (the plot did not render).

usage: png-plot-check.py report.png
"""
import struct
import sys
import zlib

# Series colours of the report: p50, p99, p99.9 (latency vs throughput) and the percentile curve.
SERIES = {"p50": (0x1F, 0x77, 0xB4), "p99": (0xD6, 0x27, 0x28), "p99_9": (0x94, 0x67, 0xBD),
          "curve": (0x2C, 0xA0, 0x2C)}


def decode(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace})")
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous, at = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[at], bytearray(raw[at + 1:at + 1 + stride])
        at += 1 + stride
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def main():
    path = sys.argv[1]
    try:
        width, height, channels, rows = decode(open(path, "rb").read())
    except (OSError, ValueError, zlib.error, TypeError) as error:
        print(f"BENCH name=service_report_png rendered=0 error={str(error).replace(' ', '_')}")
        return 1
    counts = {name: 0 for name in SERIES}
    for row in rows:
        for x in range(0, width * channels, channels):
            pixel = tuple(row[x:x + 3])
            for name, colour in SERIES.items():
                if all(abs(a - b) <= 24 for a, b in zip(pixel, colour)):
                    counts[name] += 1
    plotted = all(count >= 20 for count in counts.values())
    print(f"BENCH name=service_report_png rendered=1 width={width} height={height} "
          + " ".join(f"{name}_pixels={count}" for name, count in counts.items())
          + f" plot={'yes' if plotted else 'no'}")
    return 0 if plotted else 1


if __name__ == "__main__":
    sys.exit(main())
