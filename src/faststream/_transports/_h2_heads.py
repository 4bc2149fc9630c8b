"""Received HTTP/2 header blocks, checked as RFC 9113 8.2-8.3 requires of a client.

`response_fields` turns a decoded response head, 1xx head or trailer block into its `:status`
value, its regular fields and its Content-Length, or raises `MalformedHead` naming the first
rule the block breaks. The wording of each rule follows h2's, which the tests and the HTTP/1.1
path's users already see; the exchange makes every one a connection error (PROTOCOL_ERROR), as
h2 did.
"""

from __future__ import annotations

import re

__all__ = ["MalformedHead", "response_fields"]

# A regular field name: no control, space, uppercase, non-ASCII or colon byte; a pseudo-header
# is the same behind one colon. Checked whole first, byte by byte only to word an error.
_NAME = re.compile(rb":?[!-9;-@\[-~]+")
# A value: no NUL, LF or CR anywhere, no space or tab at either end.
_BAD_VALUE = re.compile(rb"[\x00\n\r]|\A[ \t]|[ \t]\Z")
_CONNECTION_FIELDS = frozenset(
    {b"connection", b"proxy-connection", b"keep-alive", b"transfer-encoding", b"upgrade"}
)
_PSEUDO = frozenset({b":method", b":scheme", b":authority", b":path", b":status", b":protocol"})
_REQUEST_ONLY = _PSEUDO - {b":status"}


class MalformedHead(Exception):
    """A received header block breaks RFC 9113's field rules."""


def _name_error(name: bytes) -> MalformedHead:
    for byte in name:
        if 0x41 <= byte <= 0x5A:
            return MalformedHead(f"Received uppercase header name {name!r}.")
        if byte <= 0x20 or byte >= 0x7F:
            return MalformedHead(f"Illegal character '{chr(byte)}' in header name: {name!r}")
    if not name:
        return MalformedHead("Received header name with zero length.")
    return MalformedHead(f"Illegal character ':' in header name: {name!r}")


def _value_error(value: bytes) -> MalformedHead:
    for byte in value:
        if byte in (0, 0x0A, 0x0D):
            return MalformedHead(f"Illegal character '{chr(byte)}' in header value: {value!r}")
    return MalformedHead(f"Received header value surrounded by whitespace {value!r}")


def response_fields(
    fields: list[tuple[bytes, bytes]], trailer: bool, lengths: bool = True
) -> tuple[bytes | None, list[tuple[bytes, bytes, bytes]], int | None]:
    """The `:status` value (None in a trailer), the regular fields as (raw name, name, value)
    and the Content-Length (None without one, or when `lengths` is false: the answer to a HEAD
    request, whose Content-Length describes a body not sent) of a decoded block;
    `MalformedHead` when a field or the block breaks a rule (the first one found, in h2's
    order)."""
    status = None
    seen: set[bytes] = set()
    regular: list[tuple[bytes, bytes, bytes]] = []
    length: int | None = None
    for name, value in fields:
        if _NAME.fullmatch(name) is None:
            raise _name_error(name)
        if value and _BAD_VALUE.search(value) is not None:
            raise _value_error(value)
        if name[0] == 0x3A:  # ":"
            if name in seen:
                raise MalformedHead(f"Received duplicate pseudo-header field {name!r}")
            seen.add(name)
            if regular:
                raise MalformedHead(f"Received pseudo-header field out of sequence: {name!r}")
            if name not in _PSEUDO:
                raise MalformedHead(f"Received custom pseudo-header field {name!r}")
            if name == b":status":
                status = value
            continue
        if name == b"te" and value.lower() != b"trailers":
            raise MalformedHead(f"Invalid value for TE header: {value!r}")
        if name in _CONNECTION_FIELDS:
            raise MalformedHead(f"Connection-specific header field present: {name!r}.")
        if name == b"content-length" and lengths:
            if not value.isdigit():
                raise MalformedHead(f"Invalid content-length header: {value!r}")
            parsed = int(value)
            if length is not None and parsed != length:
                raise MalformedHead(f"Conflicting content-length headers: {length} and {parsed}")
            length = parsed
        regular.append((name, name, value))
    if trailer:
        if seen:
            raise MalformedHead(f"Received pseudo-header in trailer {seen}")
    else:
        if status is None:
            raise MalformedHead("Header block missing mandatory b':status' header")
        if len(seen) > 1:
            raise MalformedHead(f"Encountered request-only headers {seen & _REQUEST_ONLY}")
    return status, regular, length
