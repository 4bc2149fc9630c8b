"""Benchmark inputs: realistic JSONL (~200-byte lines), its gzip (~5:1), socket-like pieces.

Inputs are generated once, deterministically, into bench/.data/ (ignored by git).
"""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Iterator
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / ".data"

_WORDS = (
    "alpha beta gamma delta status ok error user event click view purchase cart search "
    "login logout session region europe asia america mobile desktop tablet chrome firefox"
).split()


def _records(seed: int) -> Iterator[bytes]:
    rnd = random.Random(seed)
    i = 0
    while True:
        record = {
            "id": i,
            "ts": 1_700_000_000 + i * 13,
            "user": f"u{rnd.randrange(50_000):05d}",
            "event": rnd.choice(_WORDS),
            "tags": rnd.sample(_WORDS, 3),
            "value": round(rnd.random() * 1000, 3),
            "msg": " ".join(rnd.choice(_WORDS) for _ in range(rnd.randrange(4, 12))),
        }
        yield json.dumps(record).encode() + b"\n"
        i += 1


def jsonl(size_mb: int) -> bytes:
    """At least `size_mb` MiB of JSONL, whole lines, cached on disk."""
    path = DATA_DIR / f"jsonl-{size_mb}mb.jsonl"
    if path.exists():
        return path.read_bytes()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    target = size_mb * 1024 * 1024
    parts: list[bytes] = []
    total = 0
    for line in _records(seed=size_mb):
        parts.append(line)
        total += len(line)
        if total >= target:
            break
    data = b"".join(parts)
    path.write_bytes(data)
    return data


def gzipped(size_mb: int) -> bytes:
    """The JSONL of `jsonl(size_mb)` as one gzip member (zlib level 6), cached on disk."""
    path = DATA_DIR / f"jsonl-{size_mb}mb.jsonl.gz"
    if path.exists():
        return path.read_bytes()
    raw = jsonl(size_mb)
    comp = zlib.compressobj(6, zlib.DEFLATED, 31)
    data = comp.compress(raw) + comp.flush()
    path.write_bytes(data)
    return data


def pieces(data: bytes, seed: int = 7, low: int = 512, high: int = 128 * 1024) -> list[bytes]:
    """Split `data` into random-size pieces, as a socket's reads would deliver it."""
    rnd = random.Random(seed)
    out: list[bytes] = []
    pos = 0
    while pos < len(data):
        n = rnd.randint(low, high)
        out.append(data[pos : pos + n])
        pos += n
    return out
