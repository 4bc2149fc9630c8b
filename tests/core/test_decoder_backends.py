"""Every way of inflating gives the same result: each backend (isal, zlib-ng, zlib), both zlib
kernels of the compiled decoder (zlib's C API and zlib.decompressobj, the Windows one), and the
pure twin. On one corpus of gzip and deflate bodies (several members, trailing garbage,
truncation, corruption, unusual headers), split several ways:

* the same backend gives the same pieces, piece for piece, in C (either kernel) and in Python;
* every backend gives the same bytes, and on bad input the same error (DecodeError), with the
  same message where the check is ours (headers, truncation) and zlib's wording on zlib.
"""

from __future__ import annotations

import importlib
import random
import struct
import zlib
from collections.abc import Callable
from typing import Any

import pytest

from _cstream._codecs import INFLATE_BACKENDS
from _cstream._errors import DecodeError

from ._codings import every, gz, raw_deflate, sample, zlib_wrapped


def _flip(data: bytes, offset: int) -> bytes:
    out = bytearray(data)
    out[offset] ^= 0x10
    return bytes(out)


def _gzip_with_header_fields(data: bytes, flags: int) -> bytes:
    member = gz(data)
    header = bytearray(member[:10])
    header[3] = flags
    extra = b""
    if flags & 0x04:
        extra += struct.pack("<H", 4) + b"ab\x00c"
    if flags & 0x08:
        extra += b"file.jsonl\x00"
    if flags & 0x10:
        extra += b"a comment\x00"
    head = bytes(header) + extra
    if flags & 0x02:
        head += struct.pack("<H", zlib.crc32(head) & 0xFFFF)
    return head + member[10:]


TEXT = sample(30000, 7)
NOISE = random.Random(3).randbytes(5000)

GZIP_CORPUS: dict[str, bytes] = {
    "text": gz(TEXT),
    "stored": gz(TEXT[:5000], 0),
    "noise": gz(NOISE, 9),
    "members": gz(TEXT[:100]) + gz(b"") + gz(TEXT[100:], 1) + gz(b"x"),
    "zero-padding": gz(TEXT[:2000]) + bytes(512),
    "garbage": gz(b"abc") + b"garbage\x1f\x8b",
    "lone-1f": gz(b"abc") + b"\x1f",
    "fextra-fname-fcomment": _gzip_with_header_fields(TEXT[:3000], 0x1C),
    "fhcrc": _gzip_with_header_fields(TEXT[:3000], 0x02),
    "all-fields": gz(b"first ") + _gzip_with_header_fields(TEXT[:3000], 0x1E),
    "bad-fhcrc": _flip(_gzip_with_header_fields(b"abc", 0x02), 11),
    "truncated-header": gz(b"abc") + gz(b"def")[:7],
    "truncated-magic": gz(b"abc") + b"\x1f\x8b",
    "truncated-body": gz(TEXT)[:3000],
    "truncated-trailer": gz(TEXT)[:-4],
    "bad-crc": _flip(gz(TEXT), -6),
    "bad-isize": _flip(gz(TEXT), -2),
    "bad-block": gz(TEXT)[:10] + b"\xff" + gz(TEXT)[11:],
    "bad-method": gz(b"abc") + b"\x1f\x8b\x09\x00" + bytes(6),
    "reserved-flag": gz(b"abc") + b"\x1f\x8b\x08\x40" + bytes(6),
    "not-gzip": b"<html>not gzip</html>",
}

DEFLATE_CORPUS: dict[str, bytes] = {
    "zlib": zlib_wrapped(TEXT),
    "zlib-level0": zlib_wrapped(TEXT[:3000], 0),
    "raw": raw_deflate(TEXT),
    "raw-noise": raw_deflate(NOISE),
    "raw-78": b"\x78" + struct.pack("<HH", 3, 0xFFFC) + b"abc\x03\x00",
    "trailing": zlib_wrapped(b"abc") + b"trailing bytes",
    "raw-trailing": raw_deflate(b"abc") + b"\x00" * 9,
    "truncated-zlib": zlib_wrapped(TEXT)[:-1],
    "truncated-raw": raw_deflate(TEXT)[:2000],
    "one-byte": b"\x78",
    "bad-adler": _flip(zlib_wrapped(TEXT), -1),
    "preset-dictionary": b"\x78\xbb" + zlib_wrapped(b"x")[2:],
    "bad-block": b"\x78\x9c\xff\xff",
}


def _c_module(c_impl: Any) -> Any:
    return importlib.import_module(c_impl.GzipDecoder.__module__)


def _variants(c_impl: Any, py_impl: Any, kind: str) -> dict[tuple[str, str], Callable[..., Any]]:
    """(backend, implementation) -> a factory `make(max_length)`."""
    c_module = _c_module(c_impl)

    def compiled(backend: str, c_api: bool) -> Callable[..., Any]:
        def make(max_length: int) -> Any:
            c_module._use_zlib_c_api(c_api)
            try:
                return getattr(c_impl, kind)(max_length, backend)
            finally:
                c_module._use_zlib_c_api(True)

        return make

    def pure(backend: str) -> Callable[..., Any]:
        return lambda max_length: getattr(py_impl, kind)(max_length, backend)

    variants: dict[tuple[str, str], Callable[..., Any]] = {}
    for backend in INFLATE_BACKENDS:
        variants[backend, "c"] = compiled(backend, True)
        if backend == "zlib":
            variants[backend, "c/decompressobj"] = compiled(backend, False)
        variants[backend, "python"] = pure(backend)
    return variants


def _run(make: Callable[..., Any], max_length: int, chunks: list[bytes]) -> tuple[Any, Any]:
    """(pieces per call, error message or None)."""
    d = make(max_length)
    pieces: list[list[bytes]] = []
    try:
        for chunk in chunks:
            pieces.append(list(d.decode(chunk)))
        pieces.append(list(d.flush()))
    except DecodeError as exc:
        return pieces, str(exc)
    return pieces, None


def _splits(body: bytes) -> list[list[bytes]]:
    rnd = random.Random(len(body))
    cuts = sorted(rnd.sample(range(1, len(body)), min(len(body) - 1, 6))) if len(body) > 1 else []
    points = [0, *cuts, len(body)]
    return [
        [body],
        [body[a:b] for a, b in zip(points, points[1:], strict=False)],
        every(body, 7),
        every(body, 1) if len(body) < 4000 else every(body, 3),
    ]


def _check(c_impl: Any, py_impl: Any, kind: str, body: bytes) -> None:
    variants = _variants(c_impl, py_impl, kind)
    for max_length in (7, 1000, 65536):
        for chunks in _splits(body):
            results = {key: _run(make, max_length, chunks) for key, make in variants.items()}
            outputs = {key: b"".join(b"".join(p) for p in r[0]) for key, r in results.items()}
            errors = {key: r[1] for key, r in results.items()}
            if all(e is None for e in errors.values()):
                assert len(set(outputs.values())) == 1, {k: len(v) for k, v in outputs.items()}
            else:
                # every backend fails, and no one returned output another did not
                assert all(e is not None for e in errors.values()), errors
                longest = max(outputs.values(), key=len)
                assert all(longest.startswith(out) for out in outputs.values())
            for backend in INFLATE_BACKENDS:
                same = [r for (b, _), r in results.items() if b == backend]
                if backend == "zlib" and any(e is not None for e in errors.values()):
                    # zlib's C API sees a whole entry per call, decompressobj a slice: an error
                    # can surface one piece apart, with the same message
                    assert len({r[1] for r in same}) == 1, same
                else:
                    assert all(r == same[0] for r in same), backend
            ours = {e for e in errors.values() if e is not None and not e.startswith("Error -")}
            if ours:  # our own checks (headers, truncation) word the error the same everywhere
                assert len(set(errors.values())) == 1, errors


@pytest.mark.parametrize("name", list(GZIP_CORPUS))
def test_gzip_backends_agree(c_impl: Any, py_impl: Any, name: str) -> None:
    _check(c_impl, py_impl, "GzipDecoder", GZIP_CORPUS[name])


@pytest.mark.parametrize("name", list(DEFLATE_CORPUS))
def test_deflate_backends_agree(c_impl: Any, py_impl: Any, name: str) -> None:
    _check(c_impl, py_impl, "DeflateDecoder", DEFLATE_CORPUS[name])


def test_corpus_outcomes(c_impl: Any) -> None:
    """What the corpus entries are meant to exercise really happens (on the default backend)."""
    expected_gzip = {
        "text": TEXT,
        "members": TEXT + b"x",
        "zero-padding": TEXT[:2000],
        "garbage": b"abc",
        "lone-1f": b"abc",
        "all-fields": b"first " + TEXT[:3000],
        "fhcrc": TEXT[:3000],
    }
    for name, body in GZIP_CORPUS.items():
        pieces, error = _run(lambda n: c_impl.GzipDecoder(n), 65536, [body])
        if name in expected_gzip:
            assert error is None and b"".join(b"".join(p) for p in pieces) == expected_gzip[name]
        elif name.startswith("truncated"):
            assert error == "gzip data is incomplete", name
        elif name in ("stored", "noise", "fextra-fname-fcomment"):
            assert error is None, name
        else:
            assert error is not None, name
    for name, body in DEFLATE_CORPUS.items():
        pieces, error = _run(lambda n: c_impl.DeflateDecoder(n), 65536, [body])
        ok = name in ("zlib", "zlib-level0", "raw", "raw-noise", "raw-78", "trailing")
        ok = ok or name == "raw-trailing"
        assert (error is None) == ok, (name, error)
        if name.startswith("truncated") or name == "one-byte":
            assert error == "deflate data is incomplete"
