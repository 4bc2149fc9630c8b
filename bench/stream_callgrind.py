"""Instruction counts per streaming row (bench/BUDGET-streaming.md): one case per process.

Each case runs one body loop over a cached corpus from `_data` (built once, outside valgrind:
run ``python bench/core.py --size-mb 64 --runs 1`` first); the `none-*` cases only prepare the
same input, so subtracting them leaves the loop. Under valgrind:

    valgrind --tool=callgrind --callgrind-out-file=OUT python bench/stream_callgrind.py CASE
    callgrind_annotate OUT

Cases: none-lines lines-bytes lines-httpx | none-gzip gzip-bare-zlib gzip-zlib gzip-bare-isal
gzip-isal | none-chunked chunked none-chunked-into chunked-into none-identity identity | none-br
br-bare br.

``chunked`` feeds the reader 256 KiB reads of one reused buffer (it cuts each chunk's data out);
``chunked-into`` is the transport's big-chunk path: each chunk's data arrives as a bytes object
of its own (the kernel received it there) and is counted with ``advance``, and only the framing
(CRLF, size line) is fed. ``CHUNK_KIB`` in the environment sets the chunk size (default 16).
"""

from __future__ import annotations

import os
import sys
import zlib
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _data  # noqa: E402
from _cstream import _codecs  # noqa: E402
from _cstream._framing import ChunkedReader, ContentLengthReader  # noqa: E402 - compiled
from _cstream._lines import ByteLineDecoder  # noqa: E402 - compiled
from _cstream._zlib import GzipDecoder  # noqa: E402 - compiled

LINES_BYTES = 16_000_000  # of the 256 MiB JSONL: ~88,000 lines
GZIP_BYTES = 4_000_000  # of the 64 MiB JSONL's gzip: ~21 MB out
BROTLI_BYTES = 1_500_000  # of the 32 MB JSONL's brotli (quality 5): ~5 MB out
CHUNK = int(os.environ.get("CHUNK_KIB", "16")) * 1024
CHUNKS = 16 * 2**20 // CHUNK  # 16 MiB of body
READ = 256 * 1024  # one receive into the connection's reused buffer


def _lines(case: str) -> int:
    pieces = _data.pieces(_data.jsonl(256)[:LINES_BYTES])
    n = 0
    if case == "lines-bytes":
        decoder = ByteLineDecoder("utf-8")
        for piece in pieces:
            n += len(decoder.decode(piece))
        n += len(decoder.flush())
    elif case == "lines-httpx":
        import httpx._decoders as hx

        text, lines = hx.TextDecoder("utf-8"), hx.LineDecoder()
        for piece in pieces:
            n += len(lines.decode(text.decode(piece)))
    return n


def _gzip(case: str) -> int:
    pieces = _data.pieces(_data.gzipped(64)[:GZIP_BYTES], low=512, high=64 * 1024)
    n = 0
    if case.startswith("gzip-bare-"):
        module: Any = zlib
        if case == "gzip-bare-isal":
            from isal import isal_zlib

            module = isal_zlib
        d = module.decompressobj(31)
        for piece in pieces:
            n += len(d.decompress(piece))
    elif case in ("gzip-zlib", "gzip-isal"):
        decoder = GzipDecoder(65536, backend=case.removeprefix("gzip-"))
        for piece in pieces:
            for out in decoder.decode(piece):
                n += len(out)
    return n


def _chunked(case: str) -> int:
    data = bytes(range(256)) * (CHUNK // 256)
    n = 0
    if case in ("none-chunked", "chunked"):
        wire = (b"%x\r\n" % CHUNK + data + b"\r\n") * CHUNKS + b"0\r\n\r\n"
        buffer = bytearray(READ)
        view = memoryview(buffer)
        reader = ChunkedReader()
        for i in range(0, len(wire), READ):
            part = wire[i : i + READ]
            buffer[: len(part)] = part
            if case == "chunked":
                for piece in reader.feed(view[: len(part)]):
                    n += len(piece)
    elif case in ("none-chunked-into", "chunked-into"):
        # each chunk's data as the object recv made for it (made outside the count, as the
        # identity case's pieces are)
        pieces = [data] * CHUNKS
        framing = [b"%x\r\n" % CHUNK] + [b"\r\n%x\r\n" % CHUNK] * (CHUNKS - 1)
        if case == "chunked-into":
            reader = ChunkedReader()
            for size_line, piece in zip(framing, pieces, strict=True):
                reader.feed(size_line)
                if reader.remaining >= len(piece):
                    reader.advance(len(piece))
                    n += len(piece)
            reader.feed(b"\r\n0\r\n\r\n")
            assert reader.done
    else:
        body = data * CHUNKS
        pieces = [body[i : i + READ] for i in range(0, len(body), READ)]
        if case == "identity":
            length_reader = ContentLengthReader(len(body))
            for received in pieces:
                for piece in length_reader.feed(received):
                    n += len(piece)
    return n


def _brotli(case: str) -> int:
    import brotli

    raw = _data.jsonl(64)[:32_000_000]
    cache = _data.DATA_DIR / "jsonl-32mb-q5.br"
    if not cache.exists():
        cache.write_bytes(brotli.compress(raw, quality=5))
    pieces = _data.pieces(cache.read_bytes()[:BROTLI_BYTES], low=512, high=64 * 1024)
    n = 0
    if case == "br-bare":
        d = brotli.Decompressor()
        for piece in pieces:
            n += len(d.process(piece))
    elif case == "br":
        decoder = _codecs.BrotliDecoder(65536)
        for piece in pieces:
            for out in decoder.decode(piece):
                n += len(out)
    return n


def main(case: str) -> int:
    if "lines" in case:
        n = _lines(case)
    elif "gzip" in case:
        n = _gzip(case)
    elif "chunked" in case or "identity" in case:
        n = _chunked(case)
    elif "br" in case:
        n = _brotli(case)
    else:
        raise SystemExit(f"unknown case {case!r} (see the docstring)")
    print(case, n)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else ""))
