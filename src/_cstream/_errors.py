"""Exceptions raised by `_cstream`, shared by the compiled types and their pure twins.

Messages that both implementations of a type raise word for word are defined here too, so
neither twin imports the other. The core never raises anything from `faststream`: the library
maps these to `faststream.DecodingError` (and, for framing, `RemoteProtocolError`) with the
request attached.
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


class FramingError(DecodeError):
    """The response body breaks HTTP/1.1 framing (bad chunk syntax, truncation, over a cap)."""


# FramingError messages (h11's wording where h11 has one); formatted with str.format.
INCOMPLETE_CHUNKED = (
    "peer closed connection without sending complete message body (incomplete chunked read)"
)
INCOMPLETE_LENGTH = (
    "peer closed connection without sending complete message body (received {} bytes, expected {})"
)
BAD_FOOTER = "malformed chunk footer: chunk data must be followed by CRLF"
ILLEGAL_CHUNK_HEADER = "illegal chunk header: {!r}"
CHUNK_LINE_TOO_LONG = "chunk header line too long (over {} bytes)"
TRAILER_TOO_LONG = "trailer block too long (over {} bytes)"


class EventTooLargeError(DecodeError):
    """A server-sent event's data (or one of its lines) grew past the `max_event_size` the
    caller set."""


EVENT_TOO_LARGE = "server-sent event larger than max_event_size ({} bytes)"


class H2FrameError(ValueError):
    """Received HTTP/2 frames break the framing or flow-control rules: a connection error.
    `code` is the RFC 9113 error code for the GOAWAY (1 PROTOCOL_ERROR, 3 FLOW_CONTROL_ERROR,
    6 FRAME_SIZE_ERROR)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


# H2FrameError messages, formatted with str.format.
H2_FRAME_TOO_LARGE = "Received overlong frame: length {}, max {}"
H2_BAD_PADDING = "DATA frame padding ({}) is not shorter than the frame ({} bytes)"
H2_NO_PAD_LENGTH = "PADDED DATA frame too short for its pad length"
H2_CONNECTION_WINDOW = "DATA frame of {} bytes exceeds the connection flow control window ({})"
H2_STREAM_WINDOW = "DATA frame of {} bytes exceeds stream {}'s flow control window ({})"


class HpackError(ValueError):
    """A header block that breaks HPACK (RFC 7541) or a bound the decoder was given: the
    connection's compression context is lost (the library answers COMPRESSION_ERROR)."""


# HpackError messages, formatted with str.format.
HPACK_TRUNCATED = "HPACK block ends inside a field"
HPACK_INTEGER_TOO_LARGE = "HPACK integer larger than 2**28"
HPACK_INTEGER_OVERLONG = "HPACK integer has more continuation bytes than its value needs"
HPACK_BAD_INDEX = "HPACK index {} out of range (the dynamic table has {} entries)"
HPACK_HUFFMAN_EOS = "HPACK Huffman string contains EOS"
HPACK_HUFFMAN_PADDING = "HPACK Huffman string padding is longer than 7 bits or not all ones"
HPACK_LATE_SIZE_UPDATE = "HPACK dynamic table size update after a field of the block"
HPACK_SIZE_UPDATE_TOO_LARGE = "HPACK dynamic table size update to {} over the allowed maximum {}"
HPACK_SIZE_UPDATE_MISSING = (
    "HPACK block does not start with the dynamic table size update the lowered maximum {} needs"
)
HPACK_LIST_TOO_LARGE = "HPACK header list larger than max_header_list_size ({} bytes)"
HPACK_NOT_BYTES = "header names and values must be bytes"
