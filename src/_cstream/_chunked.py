"""The chunked transfer coding's grammar, shared by both framing readers (pure Python).

The compiled reader (`_framing.pyx`) parses well-formed chunk-size lines itself and calls
`parse_chunk_size` only to word the error for a bad one; trailer blocks are rare and are parsed
here for both implementations. The rules are h11 0.16's:

* A chunk-size line (without its CRLF) is 1-20 hex digits, then either ``;`` and any bytes but
  LF (a chunk extension) or only spaces and tabs.
* A trailer block ends at the first empty line; lines end in LF with one optional CR before
  it; a line starting with SP or HTAB continues the previous one (joined with one space); each
  line is ``token ":" OWS value OWS`` with value bytes other than NUL and whitespace except
  inner SP/HTAB. Names are lowercased; a ``Content-Length`` or ``Transfer-Encoding`` trailer is
  held to the header rules (digits only and all equal; only ``chunked``, once).
"""

from __future__ import annotations

import re

from ._errors import ILLEGAL_CHUNK_HEADER, FramingError

__all__ = ["parse_chunk_size", "parse_trailers", "trailer_block_end"]

_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,20})(;[^\n]*)?[ \t]*")
_TOKEN = rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+"
_FIELD_VALUE = rb"(?:[^\x00\s]+(?:[ \t]+[^\x00\s]+)*)?"
_HEADER_LINE = re.compile(rb"(" + _TOKEN + rb"):[ \t]*(" + _FIELD_VALUE + rb")[ \t]*")
_BLANK_LINE = re.compile(rb"\n\r?\n")
_DIGITS = re.compile(rb"[0-9]{1,20}")


def parse_chunk_size(line: bytes) -> tuple[int, bool]:
    """(size, has_extension) for a chunk-size line without its CRLF, or raise FramingError."""
    m = _CHUNK_SIZE.fullmatch(line)
    if m is None:
        raise FramingError(ILLEGAL_CHUNK_HEADER.format(line + b"\r\n"))
    return int(m.group(1), 16), m.group(2) is not None


def trailer_block_end(buf: bytes | bytearray, start: int) -> int:
    """End (exclusive) of the trailer block at the start of `buf`, or -1 if not complete.

    Searching resumes at `start` (callers pass ``max(0, searched - 2)``, the length of the
    terminator minus one before where the last search stopped), so a block fed a byte at a
    time is searched in linear time.
    """
    if buf[:1] == b"\n":
        return 1
    if buf[:2] == b"\r\n":
        return 2
    m = _BLANK_LINE.search(buf, start)
    return -1 if m is None else m.end()


def parse_trailers(block: bytes) -> list[tuple[bytes, bytes]]:
    """The (lowercased name, value) pairs of a complete trailer block, or raise FramingError."""
    lines = block.split(b"\n")[:-2]
    unfolded: list[bytes] = []
    for line in lines:
        if line.endswith(b"\r"):
            line = line[:-1]
        if line[:1] in (b" ", b"\t"):
            if not unfolded:
                raise FramingError("continuation line at start of headers")
            unfolded[-1] += b" " + line.lstrip(b" \t")
        else:
            unfolded.append(line)
    out: list[tuple[bytes, bytes]] = []
    lengths: list[bytes] = []
    seen_te = False
    for line in unfolded:
        m = _HEADER_LINE.fullmatch(line)
        if m is None:
            raise FramingError(f"illegal header line: {line!r}")
        name, value = m.group(1).lower(), m.group(2)
        if name == b"content-length":
            if _DIGITS.fullmatch(value) is None:
                raise FramingError("bad Content-Length")
            if lengths and value != lengths[0]:
                raise FramingError("conflicting Content-Length headers")
            if lengths:
                continue
            lengths.append(value)
        elif name == b"transfer-encoding":
            if seen_te:
                raise FramingError("multiple Transfer-Encoding headers")
            if value.lower() != b"chunked":
                raise FramingError("Only Transfer-Encoding: chunked is supported")
            seen_te = True
            value = value.lower()
        out.append((name, value))
    return out
