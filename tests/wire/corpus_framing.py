"""THREATS.md section B (framing and parsing), T8-T24, as wire corpus cases.

Most cases are built by `pair()`: the first request gets the reply under test, then a second
request on the same client gets `second`. Whether the server saw one connection or two tells
whether the connection of the first reply went back to the pool; after an error it also shows
that the pool is still usable.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Sequence

import brotli

from ._raw_server import Close, Recv, Script, Send, Step, chunked, response
from .corpus_model import Case, Expect, Ok, Outcome, Raises, Req

SECOND = response(body=b"second")
PEER_CLOSED = r"^peer closed connection without sending complete message body"

# a compressible body, and its encodings
TEXT = b"".join(b"line %04d of the wire corpus\n" % i for i in range(300))
GZ = gzip.compress(TEXT, mtime=0)
DEFLATE = zlib.compress(TEXT)
BR = brotli.compress(TEXT)


def _partial_gzip(data: bytes) -> bytes:
    """What a decoder that never checks for the end of the stream makes of `data` (httpx)."""
    d = zlib.decompressobj(zlib.MAX_WBITS | 16)
    return d.decompress(data) + d.flush()


def _partial_deflate(data: bytes) -> bytes:
    d = zlib.decompressobj()
    return d.decompress(data) + d.flush()


def pair(
    id: str,
    row: str,
    reply: bytes | Sequence[Step],
    first: Outcome,
    *,
    reused: bool,
    fs_first: Outcome | None = None,
    fs_reused: bool | None = None,
    deviation: str = "",
    read: str = "iter_bytes",
    method: str = "GET",
) -> Case:
    """Request 1 gets `reply` (bytes, or the steps played after reading the request); request 2
    (a plain GET) gets `second`, on the same connection if the client pooled it (`reused`)."""
    steps: tuple[Step, ...] = (Send(reply),) if isinstance(reply, bytes) else tuple(reply)
    conn1: Script = (Recv(), *steps, Recv(), Send(SECOND))
    conn2: Script = (Recv(), Send(SECOND))
    requests = (Req(method=method, read=read), Req(path="/second", read="read"))

    def expect(first: Outcome, reused: bool) -> Expect:
        return Expect((first, Ok(b"second")), connections=1 if reused else 2)

    fs = None
    if fs_first is not None or fs_reused is not None:
        fs = expect(
            fs_first if fs_first is not None else first,
            fs_reused if fs_reused is not None else reused,
        )
    return Case(id, row, (conn1, conn2), requests, expect(first, reused), fs, deviation=deviation)


def head(*lines: str) -> bytes:
    return ("\r\n".join(("HTTP/1.1 200 OK", *lines)) + "\r\n\r\n").encode("latin-1")


def rpe(match: str | None = None) -> Raises:
    return Raises("RemoteProtocolError", match)


NOT_POOLED = "THREATS §4: a connection that saw anything suspicious is closed, never pooled"
# faststream widens "an odd chunk extension" to any chunk extension, and adds trailers
# (_transports/_connection.py docstring, item 3); DESIGN.md's table does not list it yet
NOT_POOLED_ANY = "faststream _connection.py: any chunk extension or trailer -> not pooled"
SURPLUS = "DESIGN: bytes after the end of a message -> connection closed, not pooled"
TRUNCATED = "DESIGN: compressed stream cut short -> DecodingError"
HEADER_CAP = "THREATS §4 / DESIGN principle 3: header count capped (T20)"
ONE_XX_CAP = "THREATS §4: 1xx floods are capped (T23)"

TE_CHUNKED = "Transfer-Encoding: chunked"
HELLO_WORLD = chunked(b"hello", b" world")

FRAMING_CASES: list[Case] = [
    # -- T8: TE and CL together: chunked framing wins; faststream does not pool ------------
    pair(
        "T8-te-then-cl",
        "T8",
        head(TE_CHUNKED, "Content-Length: 3") + HELLO_WORLD,
        Ok(b"hello world"),
        reused=True,
        fs_reused=False,
        deviation=NOT_POOLED,
    ),
    pair(
        "T8-cl-then-te",
        "T8",
        head("Content-Length: 200", TE_CHUNKED) + HELLO_WORLD,
        Ok(b"hello world"),
        reused=True,
        fs_reused=False,
        deviation=NOT_POOLED,
        read="read",
    ),
    pair(
        "T8-te-and-cl-lines",
        "T8",
        head(TE_CHUNKED, "Content-Length: 4") + chunked(b"a\nb", b"\nc\n"),
        Ok(("a", "b", "c")),
        reused=True,
        fs_reused=False,
        deviation=NOT_POOLED,
        read="iter_lines",
    ),
    # -- T9: Content-Length values that disagree ------------------------------------------
    pair(
        "T9-two-content-lengths",
        "T9",
        head("Content-Length: 5", "Content-Length: 6") + b"hello!",
        rpe("conflicting Content-Length headers"),
        reused=False,
    ),
    pair(
        "T9-content-length-list",
        "T9",
        head("Content-Length: 5, 6") + b"hello!",
        rpe("conflicting Content-Length headers"),
        reused=False,
    ),
    pair(
        "T9-same-content-length-twice",
        "T9",
        head("Content-Length: 5", "Content-Length: 5") + b"hello",
        Ok(b"hello"),
        reused=True,
    ),
    # -- T10: Content-Length must be digits only -----------------------------------------
    *[
        pair(
            f"T10-content-length-{name}",
            "T10",
            head(f"Content-Length: {v}") + b"hello",
            rpe(),
            reused=False,
        )
        for name, v in [
            ("plus", "+5"),
            ("minus", "-5"),
            ("hex", "0x5"),
            ("junk", "5abc"),
            ("21-digits", "1" * 21),
            ("empty", ""),
        ]
    ],
    # -- T11: chunk sizes must be 1-20 hex digits -----------------------------------------
    *[
        pair(
            f"T11-chunk-size-{name}",
            "T11",
            head(TE_CHUNKED) + size + b"\r\nhello\r\n0\r\n\r\n",
            rpe("illegal chunk header"),
            reused=False,
        )
        for name, size in [
            ("0x-prefix", b"0x5"),
            ("plus", b"+5"),
            ("leading-space", b" 5"),
            ("21-digits", b"0" * 20 + b"5"),
            ("empty", b""),
            ("not-hex", b"g"),
        ]
    ],
    # the bad size line arrives in the same read as a good chunk: the good data, then the error
    pair(
        "T11-bad-second-chunk-size",
        "T11",
        head(TE_CHUNKED) + b"5\r\nhello\r\n0x5\r\nworld\r\n0\r\n\r\n",
        rpe("illegal chunk header"),
        reused=False,
    ),
    pair(
        "T11-chunk-size-20-digits",
        "T11",
        head(TE_CHUNKED) + b"0" * 19 + b"5\r\nhello\r\n0\r\n\r\n",
        Ok(b"hello"),
        reused=True,
    ),
    pair(
        "T11-chunk-size-trailing-space",
        "T11",
        head(TE_CHUNKED) + b"5 \r\nhello\r\n0\r\n\r\n",
        Ok(b"hello"),
        reused=True,
    ),
    # -- T12: chunk extensions --------------------------------------------------------------
    pair(
        "T12-chunk-extension-token",
        "T12",
        head(TE_CHUNKED) + b"5;name=value\r\nhello\r\n0;last\r\n\r\n",
        Ok(b"hello"),
        reused=True,
        fs_reused=False,
        deviation=NOT_POOLED_ANY,
    ),
    pair(
        "T12-chunk-extension-control-bytes",
        "T12",
        head(TE_CHUNKED) + b'5;\x01\x7f"x=\r\nhello\r\n0\r\n\r\n',
        Ok(b"hello"),
        reused=True,
        fs_reused=False,
        deviation=NOT_POOLED,
    ),
    pair(
        "T12-chunk-extension-bare-cr",
        "T12",
        head(TE_CHUNKED) + b"5;a\rb\r\nhello\r\n0\r\n\r\n",
        Ok(b"hello"),
        reused=True,
        fs_reused=False,
        deviation=NOT_POOLED,
    ),
    # -- T13: the CRLF after chunk data is exact --------------------------------------------
    pair(
        "T13-chunk-footer-junk",
        "T13",
        head(TE_CHUNKED) + b"5\r\nhelloXX0\r\n\r\n",
        rpe("malformed chunk footer"),
        reused=False,
    ),
    pair(
        "T13-chunk-footer-bare-lf",
        "T13",
        head(TE_CHUNKED) + b"5\r\nhello\n0\r\n\r\n",
        rpe("malformed chunk footer"),
        reused=False,
    ),
    # -- T14: the peer closes before the end of the message ---------------------------------
    pair(
        "T14-short-content-length",
        "T14",
        (Send(head("Content-Length: 10") + b"hello"), Close()),
        rpe(PEER_CLOSED + r".*received 5 bytes, expected 10"),
        reused=False,
    ),
    pair(
        "T14-short-content-length-read",
        "T14",
        (Send(head("Content-Length: 10") + b"hello"), Close()),
        rpe(PEER_CLOSED),
        reused=False,
        read="read",
    ),
    pair(
        "T14-close-mid-chunk",
        "T14",
        (Send(head(TE_CHUNKED) + b"a\r\nhello"), Close()),
        rpe(PEER_CLOSED),
        reused=False,
    ),
    pair(
        "T14-close-before-last-chunk",
        "T14",
        (Send(head(TE_CHUNKED) + b"5\r\nhello\r\n"), Close()),
        rpe(PEER_CLOSED),
        reused=False,
    ),
    pair(
        "T14-close-in-head",
        "T14",
        (Send(b"HTTP/1.1 200 OK\r\nContent-Le"), Close()),
        rpe(),
        reused=False,
    ),
    # -- T15: gzip (and deflate, br) cut short inside Content-Length framing -------------
    pair(
        "T15-gzip-no-trailer",
        "T15",
        head("Content-Encoding: gzip", f"Content-Length: {len(GZ) - 8}") + GZ[:-8],
        Ok(TEXT),
        reused=True,
        fs_first=Raises("DecodingError"),
        fs_reused=True,
        deviation=TRUNCATED,
    ),
    pair(
        "T15-gzip-cut-in-half",
        "T15",
        head("Content-Encoding: gzip", f"Content-Length: {len(GZ) // 2}") + GZ[: len(GZ) // 2],
        Ok(_partial_gzip(GZ[: len(GZ) // 2])),
        reused=True,
        fs_first=Raises("DecodingError"),
        fs_reused=True,
        deviation=TRUNCATED,
        read="read",
    ),
    pair(
        "T15-deflate-cut-in-half",
        "T15",
        head("Content-Encoding: deflate", f"Content-Length: {len(DEFLATE) // 2}")
        + DEFLATE[: len(DEFLATE) // 2],
        Ok(_partial_deflate(DEFLATE[: len(DEFLATE) // 2])),
        reused=True,
        fs_first=Raises("DecodingError"),
        fs_reused=True,
        deviation=TRUNCATED,
    ),
    pair(
        "T15-br-cut-in-half",
        "T15",
        head("Content-Encoding: br", f"Content-Length: {len(BR) // 2}") + BR[: len(BR) // 2],
        Ok(None),
        reused=True,
        fs_first=Raises("DecodingError"),
        fs_reused=True,
        deviation=TRUNCATED,
    ),
    # iter_raw does not decode: the raw bytes, as sent, and no error in either library
    pair(
        "T15-gzip-no-trailer-iter-raw",
        "T15",
        head("Content-Encoding: gzip", f"Content-Length: {len(GZ) - 8}") + GZ[:-8],
        Ok(GZ[:-8]),
        reused=True,
        read="iter_raw",
    ),
    pair(
        "T15-gzip-complete",
        "T15",
        head("Content-Encoding: gzip", f"Content-Length: {len(GZ)}") + GZ,
        Ok(TEXT),
        reused=True,
    ),
    # -- T16: close-delimited bodies: the codec trailer is the only integrity check --------
    pair(
        "T16-close-delimited-gzip-cut",
        "T16",
        (Send(head("Content-Encoding: gzip") + GZ[: len(GZ) // 2]), Close()),
        Ok(_partial_gzip(GZ[: len(GZ) // 2])),
        reused=False,
        fs_first=Raises("DecodingError"),
        deviation=TRUNCATED,
    ),
    pair(
        "T16-close-delimited-gzip-complete",
        "T16",
        (Send(head("Content-Encoding: gzip") + GZ), Close()),
        Ok(TEXT),
        reused=False,
    ),
    pair(
        "T16-close-delimited-gzip-cut-lines",
        "T16",
        (Send(head("Content-Encoding: gzip") + GZ[: len(GZ) // 2]), Close()),
        Ok(tuple(_partial_gzip(GZ[: len(GZ) // 2]).decode().splitlines())),
        reused=False,
        fs_first=Raises("DecodingError"),
        deviation=TRUNCATED,
        read="iter_lines",
    ),
    pair(
        "T16-close-delimited-identity",
        "T16",
        (Send(head() + TEXT), Close()),
        Ok(TEXT),
        reused=False,
        read="read",
    ),
    # -- T17: bare LF is accepted in the head; the chunk footer needs CRLF ----------------
    pair(
        "T17-bare-lf-head",
        "T17",
        b"HTTP/1.1 200 OK\nContent-Length: 5\nX-A: b\n\nhello",
        Ok(b"hello", headers=(("x-a", "b"),)),
        reused=True,
    ),
    pair(
        "T17-bare-cr-in-head",
        "T17",
        b"HTTP/1.1 200 OK\rX-A: b\r\nContent-Length: 5\r\n\r\nhello",
        rpe(),
        reused=False,
    ),
    # h11 finds chunk-size lines by CRLF only: a bare-LF chunked body is never a chunk header
    pair(
        "T17-bare-lf-chunked",
        "T17",
        (Send(head(TE_CHUNKED) + b"5\nhello\n0\n\n"), Close()),
        rpe(),  # httpx: "peer unexpectedly closed connection"; a parser may reject at the LF
        reused=False,
    ),
    pair(
        "T17-bare-lf-chunk-size-line",
        "T17",
        head(TE_CHUNKED) + b"5\nhello\r\n0\r\n\r\n",
        rpe("illegal chunk header"),
        reused=False,
    ),
    # -- T18: obs-fold is unfolded into one value ------------------------------------------
    pair(
        "T18-obs-fold",
        "T18",
        b"HTTP/1.1 200 OK\r\nX-Folded: a\r\n  b\r\n\tc\r\nContent-Length: 5\r\n\r\nhello",
        Ok(b"hello", headers=(("x-folded", "a b c"),)),
        reused=True,
    ),
    pair(
        "T18-fold-before-first-header",
        "T18",
        b"HTTP/1.1 200 OK\r\n  x\r\nContent-Length: 5\r\n\r\nhello",
        rpe(),
        reused=False,
    ),
    # -- T19: a head over the byte limit ----------------------------------------------------
    pair(
        "T19-200k-header-line",
        "T19",
        head("X-Big: " + "a" * 200_000, "Content-Length: 5") + b"hello",
        rpe(),
        reused=False,
    ),
    # -- T20: header count ------------------------------------------------------------------
    pair(
        "T20-100-headers",
        "T20",
        head(*[f"X-H{i}: v" for i in range(99)], "Content-Length: 5") + b"hello",
        Ok(b"hello"),
        reused=True,
    ),
    pair(
        "T20-101-headers",
        "T20",
        head(*[f"X-H{i}: v" for i in range(100)], "Content-Length: 5") + b"hello",
        Ok(b"hello"),
        reused=True,
        fs_first=rpe(),
        fs_reused=False,
        deviation=HEADER_CAP,
    ),
    pair(
        "T20-500-headers",
        "T20",
        head(*[f"X-H{i}: v" for i in range(499)], "Content-Length: 5") + b"hello",
        Ok(b"hello"),
        reused=True,
        fs_first=rpe(),
        fs_reused=False,
        deviation=HEADER_CAP,
    ),
    # -- T21: Transfer-Encoding other than chunked -----------------------------------------
    pair(
        "T21-te-gzip-chunked",
        "T21",
        head("Transfer-Encoding: gzip, chunked") + HELLO_WORLD,
        rpe("Transfer-Encoding"),
        reused=False,
    ),
    pair(
        "T21-te-identity",
        "T21",
        head("Transfer-Encoding: identity", "Content-Length: 5") + b"hello",
        rpe("Transfer-Encoding"),
        reused=False,
    ),
    pair(
        "T21-te-chunked-twice",
        "T21",
        head(TE_CHUNKED, TE_CHUNKED) + HELLO_WORLD,
        rpe(),
        reused=False,
    ),
    # -- T22: trailers are never merged into response.headers ----------------------------
    pair(
        "T22-trailers",
        "T22",
        head(TE_CHUNKED, "X-A: head")
        + chunked(b"hello", trailer=b"X-Trailer: evil\r\nX-A: trailer\r\n"),
        Ok(b"hello", headers=(("x-a", "head"),), absent=("x-trailer",)),
        reused=True,
        fs_reused=False,
        deviation=NOT_POOLED_ANY,
    ),
    # -- T23: 1xx responses before the final one -------------------------------------------
    pair(
        "T23-one-100-continue",
        "T23",
        b"HTTP/1.1 100 Continue\r\n\r\n" + response(body=b"hello"),
        Ok(b"hello", status=200),
        reused=True,
    ),
    pair(
        "T23-100-informational",
        "T23",
        b"HTTP/1.1 100 Continue\r\n\r\n" * 99
        + b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
        + response(body=b"hello"),
        Ok(b"hello", status=200, absent=("link",)),
        reused=True,
    ),
    pair(
        "T23-101-informational",
        "T23",
        b"HTTP/1.1 100 Continue\r\n\r\n" * 101 + response(body=b"hello"),
        Ok(b"hello", status=200),
        reused=True,
        fs_first=rpe(),
        fs_reused=False,
        deviation=ONE_XX_CAP,
    ),
    pair(
        "T23-2000-100-continue",
        "T23",
        b"HTTP/1.1 100 Continue\r\n\r\n" * 2000 + response(body=b"hello"),
        Ok(b"hello", status=200),
        reused=True,
        fs_first=rpe(),
        fs_reused=False,
        deviation=ONE_XX_CAP,
    ),
]

# -- T24: bytes past the end of a message on a keep-alive connection -------------------------
POISON = response(body=b"POISONED")


def poison(id: str, reply: bytes, first: Outcome, method: str = "GET") -> Case:
    """Request 1 gets `reply` (which carries a whole extra response past its end); httpx answers
    request 2 from those bytes, faststream closes the connection and gets `second`."""
    return Case(
        id,
        "T24",
        ((Recv(), Send(reply), Recv(), Send(SECOND)), (Recv(), Send(SECOND))),
        (Req(method=method, read="read"), Req(path="/second", read="read")),
        Expect((first, Ok(b"POISONED")), connections=1),
        Expect((first, Ok(b"second")), connections=2),
        deviation=SURPLUS,
    )


FRAMING_CASES += [
    poison(
        "T24-204-then-response", b"HTTP/1.1 204 No Content\r\n\r\n" + POISON, Ok(b"", status=204)
    ),
    poison(
        "T24-304-then-response",
        b"HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n" + POISON,
        Ok(b"", status=304),
    ),
    poison(
        "T24-head-then-response",
        head("Content-Length: 8") + POISON,
        Ok(b"", status=200),
        method="HEAD",
    ),
    poison(
        "T24-content-length-surplus", head("Content-Length: 5") + b"hello" + POISON, Ok(b"hello")
    ),
    poison("T24-chunked-surplus", head(TE_CHUNKED) + chunked(b"hello") + POISON, Ok(b"hello")),
    Case(
        "T24-junk-surplus",
        "T24",
        (
            (Recv(), Send(head("Content-Length: 5") + b"hellojunk"), Recv(), Send(SECOND)),
            (Recv(), Send(SECOND)),
        ),
        (Req(read="read"), Req(path="/second", read="read")),
        Expect((Ok(b"hello"), rpe("illegal status line")), connections=1),
        Expect((Ok(b"hello"), Ok(b"second")), connections=2),
        deviation=SURPLUS,
    ),
]


# -- chunks big enough to be received outside the framing reader (sync sockets, trio): the
# framing after each is read on its own; every check and outcome is the one of small chunks
BIG_A = bytes(range(256)) * 1200  # 307,200 bytes: reads ending early in it leave a big rest
BIG_B = bytes(range(255, -1, -1)) * 800  # 204,800 bytes


def big_chunk(data: bytes, size_format: bytes = b"%x") -> bytes:
    return size_format % len(data) + b"\r\n" + data + b"\r\n"


FRAMING_CASES += [
    pair(
        "T8-big-chunks",
        "T8",
        head(TE_CHUNKED)
        + big_chunk(BIG_A)
        + b"3\r\nabc\r\n"
        + big_chunk(BIG_B, b"%08X")
        + b"0\r\n\r\n",
        Ok(BIG_A + b"abc" + BIG_B),
        reused=True,
    ),
    pair(
        "T8-big-chunks-read",
        "T8",
        head(TE_CHUNKED) + big_chunk(BIG_A) + big_chunk(BIG_B) + b"0\r\n\r\n",
        Ok(BIG_A + BIG_B),
        reused=True,
        read="read",
    ),
    pair(
        "T11-bad-size-after-big-chunk",
        "T11",
        head(TE_CHUNKED) + big_chunk(BIG_A) + b"zz\r\n" + BIG_B + b"\r\n0\r\n\r\n",
        rpe("illegal chunk header"),
        reused=False,
    ),
    pair(
        "T13-big-chunk-footer-junk",
        "T13",
        head(TE_CHUNKED) + big_chunk(BIG_A)[:-2] + b"XX0\r\n\r\n",
        rpe("malformed chunk footer"),
        reused=False,
    ),
    pair(
        "T14-close-mid-big-chunk",
        "T14",
        (Send(head(TE_CHUNKED) + big_chunk(BIG_A) + b"%x\r\n" % (2 * len(BIG_B)) + BIG_B), Close()),
        rpe(PEER_CLOSED),
        reused=False,
    ),
    pair(
        "T22-trailers-after-big-chunk",
        "T22",
        head(TE_CHUNKED) + big_chunk(BIG_A) + b"0\r\nX-Trailer: t\r\n\r\n",
        Ok(BIG_A, absent=("x-trailer",)),
        reused=True,
        fs_reused=False,
        deviation=NOT_POOLED_ANY,
    ),
    poison(
        "T24-big-chunked-surplus",
        head(TE_CHUNKED) + big_chunk(BIG_A) + big_chunk(BIG_B) + b"0\r\n\r\n" + POISON,
        Ok(BIG_A + BIG_B),
    ),
]
