"""Is it a PNG? The signature, every chunk's CRC, IHDR first and IEND last (the
PNG specification, section 5), with the standard library."""

from __future__ import annotations

import struct
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a valid PNG; AssertionError naming what is wrong otherwise."""
    assert data.startswith(SIGNATURE), f"not a PNG: starts with {data[:8]!r}"
    pos, kinds = len(SIGNATURE), []
    size = (0, 0)
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"chunk {kind!r} at {pos}: bad CRC"
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        kinds.append(kind)
        pos += 12 + length
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"IDAT" in kinds, kinds
    assert pos == len(data), "bytes after IEND"
    return size
