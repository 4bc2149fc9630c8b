"""Helpers shared by the test_response* modules: bodies that count their closes (`Pieces`,
`APieces`), the codings (`compress`, `encode`, `header_for`), faststream's line-splitting rule
(`lines_of`), `expected_chunks`, `splits` (ways a transport may cut a body), `run`, `alist`,
responses over either body kind, a request to attach (`REQUEST`), and the resident-set
measurement of the bomb tests (`MEASURE_RSS`, `run_measured`)."""

from __future__ import annotations

import asyncio
import gzip
import os
import random
import re
import subprocess
import sys
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import brotli
import zstandard

from faststream._request import Request
from faststream._response import Response
from faststream._streams import AsyncByteStream, SyncByteStream


class Pieces(SyncByteStream):
    """A sync body yielding the given pieces (empty ones included); counts its closes."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces
        self.closes = 0

    def __iter__(self) -> Iterator[bytes]:
        yield from self.pieces

    def close(self) -> None:
        self.closes += 1


class APieces(AsyncByteStream):
    """`Pieces` for async code."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces
        self.closes = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece

    async def aclose(self) -> None:
        self.closes += 1


def compress(coding: str, data: bytes) -> bytes:
    """`data` under one content coding ("deflate-raw": deflate without the zlib wrapper)."""
    if coding == "gzip":
        return gzip.compress(data, mtime=0)
    if coding == "deflate":
        return zlib.compress(data)
    if coding == "deflate-raw":
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        return c.compress(data) + c.flush()
    if coding == "br":
        return bytes(brotli.compress(data))
    if coding == "zstd":
        return bytes(zstandard.compress(data))  # installed with every zstd library we test
    assert coding == "identity"
    return data


def encode(header: str, data: bytes) -> bytes:
    """`data` as sent under the Content-Encoding `header` (codings applied in header order)."""
    for coding in header.split(","):
        coding = coding.strip()
        data = compress("deflate" if coding == "deflate-raw" else coding, data)
    return data


def header_for(coding: str) -> dict[str, str]:
    name = "deflate" if coding == "deflate-raw" else coding
    return {} if coding == "identity" else {"Content-Encoding": name}


def lines_of(text: str) -> list[str]:
    """faststream's iter_lines contract: split at \\r\\n, \\r, \\n only; no final empty line."""
    lines = re.split(r"\r\n|\r|\n", text)
    if lines[-1] == "":
        lines.pop()
    return lines


def expected_chunks(data: Any, chunk_size: int | None, pieces: list[Any]) -> list[Any]:
    """What a re-chunker gives: the non-empty pieces for None, else exact-size cuts."""
    if chunk_size is None:
        return [p for p in pieces if p]
    return [data[i : i + chunk_size] for i in range(0, len(data), chunk_size)]


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def alist(iterator: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in iterator]


def sync_response(pieces: list[bytes], **kwargs: Any) -> Response:
    return Response(200, stream=Pieces(pieces), **kwargs)


def async_response(pieces: list[bytes], **kwargs: Any) -> Response:
    return Response(200, stream=APieces(pieces), **kwargs)


REQUEST = Request("GET", "https://example.org/data")
ROOT = Path(__file__).resolve().parents[2]


def splits(data: bytes) -> dict[str, list[bytes]]:
    """Ways a transport may cut `data` (empty pieces included)."""
    rnd = random.Random(len(data))
    cuts = sorted(rnd.sample(range(1, len(data)), min(12, len(data) - 1)))
    points = [0, *cuts, len(data)]
    random_pieces = [data[a:b] for a, b in zip(points, points[1:], strict=False)]
    sevens: list[bytes] = []
    for i in range(0, len(data), 7):
        sevens += [data[i : i + 7], b""]
    return {
        "whole": [data],
        "bytewise": [data[i : i + 1] for i in range(len(data))],
        "sevens-with-empties": [b"", *sevens],
        "random": random_pieces,
    }


# The resident-set measurement the bomb tests run in a fresh interpreter: `measure(run)` calls
# `run()` and returns its result, the growth of ru_maxrss over the call and, on Linux, the
# growth of VmHWM over the resident set just before it (-1 elsewhere). Transients before the
# call can hide a small growth from ru_maxrss, so where /proc/self/clear_refs is writable the
# high-water mark is reset first and VmHWM is the peak of the call alone.
MEASURE_RSS = """
import resource, sys


def _status_kib(key):
    with open("/proc/self/status") as f:
        return int(next(line for line in f if line.startswith(key)).split()[1])


def _reset_high_water_mark():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # VmHWM := the current resident set
        return True
    except OSError:
        return False


def measure(run):
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    hwm = _reset_high_water_mark()
    rss_before = _status_kib("VmRSS") * 1024 if hwm else 0
    result = run()
    growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale - before
    hwm_growth = _status_kib("VmHWM") * 1024 - rss_before if hwm else -1
    return result, growth, hwm_growth
"""


def run_measured(code: str, args: list[str], env: dict[str, str | None]) -> list[str]:
    """Run `MEASURE_RSS` followed by `code` with `args` in a fresh interpreter that imports
    what this one does (the installed package in CI, the in-place build in a dev tree), from
    the repository root, with `env` on top of this environment (None: unset); its stdout,
    split."""
    full_env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    for key, value in env.items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    child = subprocess.run(
        [sys.executable, "-c", MEASURE_RSS + code, *args],
        env=full_env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert child.returncode == 0, child.stderr
    return child.stdout.split()
