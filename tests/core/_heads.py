"""Hypothesis grammars of HTTP/1.1 heads, shared by the head tests and the fuzz targets.

`response_streams()`: 0-3 informational heads, a final head and body bytes; half of them clean,
the others with bad elements (status line, field names and values, line ends, obs-fold,
Content-Length lists, Transfer-Encoding) mixed in, and half of those mutated byte-wise.
`requests()`: (method, target, headers) for serialize_request, clean or with bad elements.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

__all__ = ["requests", "response_streams"]

# Bytes that matter to the grammar, plus a few ordinary ones.
EDGE = " \t\r\n\x00\x0b\x0c:,\x7f\x80\xff\x01\x1f"
# What a field value or reason may hold (no NUL, CR, LF, VT, FF), and everything.
GOOD_VALUE_ALPHABET = " \t:,\x7f\x80\xff\x01\x1faZ09-;=/\"'"
VALUE_ALPHABET = EDGE + "aZ09-;=/\"'"
TOKEN_ALPHABET = "aZ09-_!~.#$%&'*+^`|"
NAME_ALPHABET = TOKEN_ALPHABET + " \t:\x00\x7f\x80\r\n(,"


def edge_text(alphabet: str, max_size: int, min_size: int = 0) -> st.SearchStrategy[bytes]:
    return st.text(alphabet=alphabet, min_size=min_size, max_size=max_size).map(
        lambda s: s.encode("latin-1")
    )


class Picker:
    """Draws a good variant, or (in a damaged stream, one time in five) a bad one."""

    def __init__(self, draw: st.DrawFn, damaged: bool) -> None:
        self.draw = draw
        self.damaged = damaged

    def __call__(self, good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> Any:
        if self.damaged and self.draw(st.integers(0, 4)) == 0:
            return self.draw(bad)
        return self.draw(good)


GOOD_EOL = st.sampled_from([b"\r\n", b"\r\n", b"\n"])
BAD_EOL = st.sampled_from([b"\r\r\n", b"\n\r", b"\r", b""])
OWS = st.sampled_from([b"", b"", b" ", b"\t", b"  \t"])

GOOD_VALUES: dict[str, list[bytes]] = {
    "content-length": [b"5", b"5", b"5, 5", b" 5 ,5", b"0", b"007", b"9" * 20],
    "transfer-encoding": [b"chunked", b"Chunked", b"CHUNKED"],
    "connection": [b"close", b"keep-alive, Close", b"closed", b", close ,", b"keep-alive",
                   b"Upgrade", b"cl ose", b""],
}  # fmt: skip
BAD_VALUES: dict[str, list[bytes]] = {
    "content-length": [b"5,6", b"5,,5", b"", b"abc", b"1" * 21, b"-1", b"5 5", b"6"],
    "transfer-encoding": [b"gzip", b"chunked, chunked", b"gzip, chunked", b"", b"chunked;q=1"],
    "connection": [b"close\x00", b"a\x0bb"],
}


@st.composite
def field_lines(draw: st.DrawFn, damaged: bool) -> bytes:
    """One field line (without its line ending), maybe with obs-fold continuations."""
    pick = Picker(draw, damaged)
    kind = draw(
        st.sampled_from(["content-length", "transfer-encoding", "connection"] + ["other"] * 4)
    )
    if kind == "other":
        name = pick(
            st.one_of(
                st.sampled_from([b"X-A", b"Server", b"Link", b"Host", b"set-cookie"]),
                edge_text(TOKEN_ALPHABET, 6, min_size=1),
            ),
            edge_text(NAME_ALPHABET, 6),
        )
        value = pick(
            st.one_of(
                st.sampled_from([b"v", b"a b", b"\x80\xff"]), edge_text(GOOD_VALUE_ALPHABET, 12)
            ),
            edge_text(VALUE_ALPHABET, 12),
        )
    else:
        name = draw(st.sampled_from([kind.title(), kind, kind.upper()])).encode()
        value = pick(
            st.sampled_from(GOOD_VALUES[kind]),
            st.one_of(st.sampled_from(BAD_VALUES[kind]), edge_text(VALUE_ALPHABET, 8)),
        )
    sep = pick(st.just(b":"), st.sampled_from([b" :", b"", b"::", b"\t:"]))
    line: bytes = name + sep + draw(OWS) + value + draw(OWS)
    folds = draw(st.integers(1, 2)) if draw(st.integers(0, 4)) == 0 else 0
    if kind in ("content-length", "transfer-encoding") and not damaged:
        folds = 0  # folded text would make the value bad
    for _ in range(folds):
        lead = draw(st.sampled_from([b" ", b"\t", b" \t ", b"  "]))
        more = pick(edge_text(GOOD_VALUE_ALPHABET, 8), edge_text(VALUE_ALPHABET, 8))
        line += pick(GOOD_EOL, BAD_EOL) + lead + more
    return line


@st.composite
def response_heads(draw: st.DrawFn, damaged: bool, informational: bool) -> bytes:
    """A status line (1xx if `informational`, else >= 200), fields, the empty line."""
    pick = Picker(draw, damaged)
    proto = pick(st.just(b"HTTP/"), st.sampled_from([b"http/", b"HTTP ", b"", b"\x16\x03", b"H"]))
    version = pick(
        st.sampled_from([b"1.1", b"1.1", b"1.0", b"0.9", b"2.7"]),
        st.sampled_from([b"1.x", b"11", b"1.10", b"1.", b"1,1"]),
    )
    sp = pick(st.just(b" "), st.sampled_from([b"  ", b"\t", b""]))
    good_codes = [b"100", b"102", b"103", b"199"] if informational else [b"200", b"204", b"999"]
    code = pick(
        st.sampled_from(good_codes),
        st.one_of(
            st.sampled_from([b"101", b"099", b"000", b"20", b"2000", b"2x0"]),
            edge_text("0123456789 x", 4),
        ),
    )
    reason = pick(
        st.one_of(
            st.sampled_from([b"", b" OK", b" ", b" Not Found", b"  two"]),
            edge_text(GOOD_VALUE_ALPHABET, 12).map(lambda r: b" " + r),
        ),
        st.one_of(st.just(b"\tOK"), edge_text(VALUE_ALPHABET, 12).map(lambda r: b" " + r)),
    )
    head: bytes = proto + version + sp + code + reason + pick(GOOD_EOL, BAD_EOL)
    if damaged and draw(st.integers(0, 9)) == 0:
        head = draw(st.sampled_from([b"\r\n", b"\n", b" ", b"\t"])) + head
    for field in draw(st.lists(field_lines(damaged), max_size=5)):
        head += field + pick(GOOD_EOL, BAD_EOL)
    end: bytes = pick(GOOD_EOL, BAD_EOL)
    return head + end


@st.composite
def response_streams(draw: st.DrawFn) -> bytes:
    """0-3 informational heads, a final head, body bytes. Half the streams are clean; the
    others have bad elements mixed in, and half of those random byte mutations as well."""
    damaged = draw(st.booleans())
    data = b"".join(draw(st.lists(response_heads(damaged, True), max_size=3)))
    data += draw(response_heads(damaged, False))
    data += draw(edge_text(VALUE_ALPHABET, 10))
    if damaged and draw(st.booleans()):
        kinds = st.integers(0, 2)
        positions = st.integers(0)
        values = st.integers(0, 255)
        mutations = draw(st.lists(st.tuples(kinds, positions, values), min_size=1, max_size=3))
    else:
        mutations = []
    for kind, where, byte in mutations:
        at = where % (len(data) + 1)
        byte = EDGE.encode("latin-1")[byte % len(EDGE)] if byte < 200 else byte
        if kind == 0:
            data = data[:at] + bytes([byte]) + data[at:]
        elif kind == 1:
            data = data[:at] + data[at + 1 :]
        else:
            data = data[:at] + bytes([byte]) + data[at + 1 :]
    return data


GOOD_METHODS = st.one_of(
    st.sampled_from([b"GET", b"POST", b"M-SEARCH", b"CONNECT", b"!#$%&'*+-.^_`|~"]),
    edge_text(TOKEN_ALPHABET, 6, min_size=1),
)
BAD_METHODS = st.one_of(
    st.sampled_from([b"", b"G T", b"GET\r", b"P\x00", b"G:T", b"\x80"]),
    edge_text("GETaz09-" + EDGE, 6),
)
GOOD_TARGETS = st.one_of(
    st.sampled_from([b"/", b"*", b"/a?b=c&d=%20", b"http://h/x", b"example.com:443", b"/~!$"]),
    edge_text("/az09?=&%:,\x7e\x21", 10, min_size=1),
)
BAD_TARGETS = st.one_of(
    st.sampled_from([b"", b"/a b", b"/\x7f", b"/\x80", b"/\r\n", b"/\t"]),
    edge_text("/az09?=&%" + EDGE, 10),
)
REQUEST_NAMES = [b"Accept", b"X-A", b"Connection", b"Upgrade", b"Expect"]
GOOD_REQUEST_VALUES = st.one_of(
    st.sampled_from([b"", b"3", b"chunked", b"a  b", b"\x80\xff", b"close", b"a\tb"]),
    edge_text(GOOD_VALUE_ALPHABET, 10).map(lambda v: v.strip(b" \t")),
)  # fmt: skip
BAD_REQUEST_VALUES = st.one_of(
    st.sampled_from([b"3, 4", b"4", b"gzip", b"1" * 21, b" a", b"a\t", b"a\r\nB: c"]),
    edge_text(VALUE_ALPHABET, 10),
)


@st.composite
def requests(draw: st.DrawFn) -> tuple[bytes, bytes, list[tuple[bytes, bytes]]]:
    """(method, target, headers): clean half the time (then only Content-Length fields that
    disagree or a repeated Transfer-Encoding make them fail), else with bad elements mixed in."""
    pick = Picker(draw, draw(st.booleans()))
    method = pick(GOOD_METHODS, BAD_METHODS)
    target = pick(GOOD_TARGETS, BAD_TARGETS)
    headers = []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["content-length", "transfer-encoding"] + ["other"] * 3))
        if kind == "other":
            name = pick(
                st.one_of(st.sampled_from(REQUEST_NAMES), edge_text(TOKEN_ALPHABET, 6, 1)),
                st.one_of(st.sampled_from([b"Host", b"HOST", b""]), edge_text(NAME_ALPHABET, 6)),
            )
            value = pick(GOOD_REQUEST_VALUES, BAD_REQUEST_VALUES)
        else:
            name = draw(st.sampled_from([kind.title(), kind, kind.upper()])).encode()
            value = pick(
                st.sampled_from(GOOD_VALUES[kind]),
                st.one_of(st.sampled_from(BAD_VALUES[kind]), BAD_REQUEST_VALUES),
            )
        headers.append((name, value))
    host = pick(st.sampled_from([b"Host", b"host"]), st.sampled_from([None, b"Host\x00"]))
    if host is not None:
        value = pick(st.sampled_from([b"example.com", b"h:1", b""]), BAD_REQUEST_VALUES)
        headers.insert(draw(st.integers(0, len(headers))), (host, value))
    return method, target, headers
