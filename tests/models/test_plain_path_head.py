"""A request head made from header bytes a transport kept from an earlier request is byte for
byte the head the serializer makes, with the same framing, the same `Connection: close` decision
and the same errors, with the compiled core and with its pure twin (h11)."""

from __future__ import annotations

import pytest

import _cstream
import faststream
from faststream._transports import _http11_exchange as exchange

DEFAULTS = [
    (b"Host", b"example.org"),
    (b"Accept", b"*/*"),
    (b"Accept-Encoding", b"gzip, deflate"),
    (b"Connection", b"keep-alive"),
    (b"User-Agent", b"python-faststream/0"),
]


FIELD_SETS = [
    DEFAULTS,
    [*DEFAULTS[:3], (b"Connection", b"Keep-Alive, close")],
    [(b"accept", b"text/html"), (b"X-Dup", b"1"), (b"x-dup", b"2"), (b"host", b"a:1")],
    [*DEFAULTS, (b"Content-Length", b"0")],
    [*DEFAULTS, (b"Content-Length", b"5")],
    [*DEFAULTS, (b"Transfer-Encoding", b"chunked")],
    [*DEFAULTS, (b"X-Utf8", "caf\xe9".encode())],
]


@pytest.mark.parametrize("fields", FIELD_SETS)
@pytest.mark.parametrize(
    ("method", "target"), [(b"GET", b"/"), (b"POST", b"/a/b?c=d&e"), (b"OPTIONS", b"*")]
)
def test_kept_fields_give_the_serializers_head(
    fields: list[tuple[bytes, bytes]], method: bytes, target: bytes
) -> None:
    head, framing = _cstream.serialize_request(method, target, fields)
    close = any(
        name.lower() == b"connection" and b"close" in value.lower() for name, value in fields
    )
    copy = exchange.KeptFields.kept(fields)  # as a transport keeps them
    for _ in range(2):  # serialised, then from the kept bytes
        # A streamed body: the head is written alone, the body framed as it declares.
        writes, body = exchange.request_writes(method, target, copy, iter(()))
        assert writes == [head]
        assert body is not None and (body.chunked, body.remaining) == (framing < 0, max(framing, 0))
        assert exchange.asks_close(copy) is close
        assert exchange.asks_close(fields) is close
    # Another method and target with the same fields: only the request line differs.
    other, _ = _cstream.serialize_request(b"DELETE", b"/x", fields)
    assert exchange.request_writes(b"DELETE", b"/x", copy, iter(()))[0] == [other]
    assert copy.encoded is not None


@pytest.mark.parametrize(
    ("method", "target", "message"),
    [
        (b"GE T", b"/", "Illegal method characters"),
        (b"", b"/", "Illegal method characters"),
        (b"G\x80T", b"/", "Illegal method characters"),
        (b"GET", b"/a b", "Illegal target characters"),
        (b"GET", b"", "Illegal target characters"),
        (b"GET", b"/\x7f", "Illegal target characters"),
        (b"GET", "/\xe9".encode(), "Illegal target characters"),
    ],
)
def test_a_bad_method_or_target_is_refused_with_kept_fields(
    method: bytes, target: bytes, message: str
) -> None:
    fields = exchange.KeptFields.kept(DEFAULTS)
    exchange.request_writes(b"GET", b"/", fields, None)
    assert fields.encoded is not None  # the next heads join the kept bytes
    for _ in range(2):
        with pytest.raises(faststream.LocalProtocolError, match=message):
            exchange.request_writes(method, target, fields, None)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ([(b"Accept", b"*/*")], "Missing mandatory Host: header"),
        ([*DEFAULTS, (b"Host", b"again")], "Found multiple Host: headers"),
        ([*DEFAULTS, (b"X-Bad", b" leading")], "Illegal header value"),
        ([*DEFAULTS, (b"Bad Name", b"v")], "Illegal header name"),
    ],
)
def test_bad_fields_are_refused_every_time(fields: list[tuple[bytes, bytes]], message: str) -> None:
    kept = exchange.KeptFields.kept(fields)
    for _ in range(2):
        with pytest.raises(faststream.LocalProtocolError, match=message):
            exchange.request_writes(b"GET", b"/", kept, None)
    assert kept.encoded is None


def test_fields_of_no_transport_are_serialised_each_time() -> None:
    head, _ = _cstream.serialize_request(b"GET", b"/", DEFAULTS)
    for _ in range(2):
        assert exchange.request_writes(b"GET", b"/", list(DEFAULTS), None)[0] == [head]
