"""Exceptions raised by `_cstream`, shared by the compiled types and their pure twins.

The core never raises anything from `faststream`: the library maps these to
`faststream.DecodingError` (and, for framing, `RemoteProtocolError`) with the request attached.
"""

from __future__ import annotations


class DecodeError(ValueError):
    """Malformed, truncated or over-limit encoded data (content coding, text, lines)."""


class LineTooLongError(DecodeError):
    """A line grew past the `max_line_length` the caller set."""


class HeadError(ValueError):
    """A malformed HTTP/1.1 message head: a response head that cannot be parsed, or a request
    head that must not be sent. The library maps it to `RemoteProtocolError` or
    `LocalProtocolError`."""
