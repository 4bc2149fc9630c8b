"""br pieces with a library that bounds its output (brotli/brotlicffi >= 1.2): each output the
library returns that fits in `max_length` is handed out whole (the same object, not a copy);
longer ones are cut into full pieces; no piece is longer than `max_length`; the bytes are the
body's. A spy around the installed library records what each call was given and returned.
Through `Client.stream(...).iter_bytes()` from a loopback server: without chunk_size the
chunks are those pieces (at most 64 KiB), with one every chunk has the size asked for.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import brotli
import pytest

import faststream
from _cstream import _codecs
from _cstream._codecs import BrotliDecoder
from tests.servers.app import AppServer, Exchange

from ._codings import every, feed, sample

BOUNDED = [name for name in _codecs.BROTLI_BACKENDS if _codecs.brotli_library(name).bounded]
if not BOUNDED:  # pragma: no cover - brotli >= 1.2 is a test dependency
    pytest.fail("a brotli library with an output limit (>= 1.2) is a test dependency")


def _jsonl(n: int, seed: int = 5) -> bytes:
    rnd = random.Random(seed)
    return b"".join(
        b'{"id": %d, "user": "u%d", "score": %d, "tags": ["a", "b"]}\n'
        % (i, rnd.randrange(5000), rnd.randrange(1000))
        for i in range(n)
    )


class _Calls:
    """What each `process` call of the spied library got and returned."""

    def __init__(self) -> None:
        self.inputs: list[int] = []
        self.outputs: list[bytes] = []


@pytest.fixture(params=BOUNDED)
def spied(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[_Calls]:
    """The library `request.param`, wrapped under its own name (the decoder's choices depend on
    the name) so every output it returns is recorded."""
    lib = _codecs.brotli_library(request.param)
    calls = _Calls()
    real = lib.module.Decompressor

    class Decompressor:
        def __init__(self) -> None:
            self._d = real()

        def process(self, data: Any, **kwargs: Any) -> bytes:
            out: bytes = self._d.process(data, **kwargs)
            calls.inputs.append(len(data))
            calls.outputs.append(out)
            return out

        def __getattr__(self, name: str) -> Any:
            return getattr(self._d, name)

    module = type("M", (), {"Decompressor": Decompressor, "error": lib.module.error})
    monkeypatch.setitem(_codecs._BROTLI, lib.name, lib._replace(module=module))
    monkeypatch.setenv(_codecs.BROTLI_ENV, lib.name)
    yield calls


@pytest.mark.parametrize("max_length", [65536, 131072])
def test_outputs_that_fit_are_the_pieces(spied: _Calls, max_length: int) -> None:
    data = _jsonl(60000)
    body = brotli.compress(data, quality=5)
    pieces = feed(BrotliDecoder(max_length), every(body, 65536))
    assert b"".join(pieces) == data
    assert all(0 < len(p) <= max_length for p in pieces)
    whole = [out for out in spied.outputs if 0 < len(out) <= max_length]
    handed = {id(p) for p in pieces}
    # every output that fits is a piece itself, not copied into one
    assert all(id(out) in handed for out in whole)
    # outputs longer than max_length (brotli's binding rounds its limit up to its blocks)
    # are few: after one, the decoder asks for less until the outputs fit
    assert sum(len(out) > max_length for out in spied.outputs) <= 3
    # a call gets at most SLICE_CAP bytes of new input, whatever was queued
    assert max(spied.inputs) <= _codecs.SLICE_CAP


def test_small_max_length_still_gives_full_pieces(spied: _Calls) -> None:
    data = sample(200000)
    body = brotli.compress(data, quality=5)
    for chunks in ([body], every(body, 1000)):
        pieces = feed(BrotliDecoder(1000), chunks)
        assert b"".join(pieces) == data
        assert all(0 < len(p) <= 1000 for p in pieces)
        # pieces are cut from outputs longer than 1000 bytes: all full but where an input
        # entry or an output ran out
        assert sum(len(p) < 1000 for p in pieces) <= len(chunks) + len(spied.outputs)


def test_compressible_data_does_not_hold_more_than_a_slice(spied: _Calls) -> None:
    # 20 MB of one repeated line (~3000:1): each call decodes at most a bounded output and
    # the decoder never holds more than a slice of input plus one output
    data = b'{"event": "tick", "ok": true}\n' * 700000
    body = brotli.compress(data, quality=5)
    d = BrotliDecoder(65536)
    total = 0
    for piece in d.decode(body):
        assert 0 < len(piece) <= 65536
        total += len(piece)
    total += sum(len(p) for p in d.flush())
    assert total == len(data)
    assert max(len(out) for out in spied.outputs) <= 2 * 65536
    assert max(spied.inputs) <= _codecs.SLICE_CAP


def test_incompressible_data_gets_larger_slices(spied: _Calls) -> None:
    # random bytes decode to about their own size: the input slices grow so that the pieces
    # do not shrink to the slice size
    data = random.Random(9).randbytes(1 << 20)
    body = brotli.compress(data, quality=1)
    pieces = feed(BrotliDecoder(65536), [body])
    assert b"".join(pieces) == data
    assert all(0 < len(p) <= 65536 for p in pieces)
    assert len(pieces) <= 2 * (len(data) // 65536) + 4


def _drained(module: Any, body: bytes) -> bytes:
    """All that `body` (a prefix of a stream) decodes to: the library called until it returns
    nothing more."""
    d = module.Decompressor()
    outs = [d.process(body, output_buffer_limit=1 << 20)]
    while outs[-1]:
        outs.append(d.process(b"", output_buffer_limit=1 << 20))
    return b"".join(outs)


@pytest.mark.parametrize("library", BOUNDED)
def test_a_decode_call_hands_out_all_its_input_decodes_to(
    monkeypatch: pytest.MonkeyPatch, library: str
) -> None:
    # what the library has decoded but not yet returned (in its window, while it accepts more
    # input) comes out before the iterator stops: a body paused mid-stream is not held back
    monkeypatch.setenv(_codecs.BROTLI_ENV, library)
    module = _codecs.brotli_library(library).module
    data = _jsonl(60000, seed=3)
    body = brotli.compress(data, quality=5)
    for cut in (5000, 16384, 30000, len(body) // 2):
        got = b"".join(BrotliDecoder(65536).decode(body[:cut]))
        assert data.startswith(got)
        assert got == _drained(module, body[:cut])
        d = BrotliDecoder(65536)
        first = b"".join(d.decode(body[:cut]))
        assert first == got
        assert first + b"".join(d.decode(body[cut:])) + b"".join(d.flush()) == data


def _br_route(body: bytes) -> Any:
    def route(ex: Exchange) -> None:
        ex.respond(200, body, headers=[("Content-Encoding", "br")])

    return route


@pytest.mark.parametrize("library", BOUNDED)
def test_client_iter_bytes(monkeypatch: pytest.MonkeyPatch, library: str) -> None:
    monkeypatch.setenv(_codecs.BROTLI_ENV, library)
    data = _jsonl(80000, seed=11)
    body = brotli.compress(data, quality=5)
    with AppServer() as server:
        server.add_route("/br", _br_route(body))
        with faststream.Client() as client:
            with client.stream("GET", server.url + "/br") as response:
                chunks = list(response.iter_bytes())
            assert b"".join(chunks) == data
            assert all(0 < len(c) <= 65536 for c in chunks)
            with client.stream("GET", server.url + "/br") as response:
                sized = list(response.iter_bytes(10000))
            assert b"".join(sized) == data
            assert [len(c) for c in sized[:-1]] == [10000] * (len(sized) - 1)
            assert 0 < len(sized[-1]) <= 10000
