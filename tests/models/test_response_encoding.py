"""`Response` text: how the encoding is chosen (SPEC-httpx §3.7, every rule and quirk), how
`text`/`iter_text`/`iter_lines` decode with it, and what codec failures look like."""

from __future__ import annotations

import codecs
import gzip
import json
from typing import Any

import pytest

from faststream._exceptions import DecodingError
from faststream._response import Response
from tests.models._response_helpers import Pieces, alist, run, sync_response


def read_response(content: bytes, content_type: str | None = None, **kwargs: Any) -> Response:
    headers = {} if content_type is None else {"Content-Type": content_type}
    return Response(200, headers=headers, content=content, **kwargs)


# ---------------------------------------------------------------------------------------------
# rule 1: an assigned encoding


def test_assigned_encoding_wins_over_everything() -> None:
    r = read_response("é".encode("latin-1"), "text/plain; charset=utf-8", default_encoding="ascii")
    r.encoding = "latin-1"
    assert r.encoding == "latin-1" and r.text == "é"


def test_assigning_after_text_raises() -> None:
    r = read_response(b"abc")
    assert r.text == "abc"
    with pytest.raises(ValueError) as info:
        r.encoding = "latin-1"
    assert str(info.value) == "Setting encoding after `text` has been accessed is not allowed."


def test_assigning_after_encoding_was_resolved_replaces_it() -> None:
    r = read_response("é".encode("latin-1"))
    assert r.encoding == "utf-8"
    r.encoding = "latin-1"
    assert r.text == "é"


def test_assigned_encoding_applies_to_iterators_at_their_first_item() -> None:
    r = sync_response(["é".encode("cp1252")])
    texts = r.iter_text()
    r.encoding = "cp1252"  # before the first next(): still taken into account
    assert list(texts) == ["é"]


def test_assigned_unknown_encoding_raises_lookup_error_as_httpx() -> None:
    r = read_response(b"abc")
    r.encoding = "no-such-codec"
    with pytest.raises(LookupError):
        r.text  # noqa: B018
    r = sync_response([b"abc"])
    r.encoding = "no-such-codec"
    with pytest.raises(LookupError):
        list(r.iter_lines())
    assert not r.is_stream_consumed  # the encoding is resolved before the stream is touched


def test_text_of_an_empty_body_never_uses_the_encoding() -> None:
    r = Response(200)
    r.encoding = "no-such-codec"
    assert r.text == ""


# ---------------------------------------------------------------------------------------------
# rule 2: the Content-Type charset


@pytest.mark.parametrize(
    "content_type, charset",
    [
        ('text/plain; charset="ISO-8859-1"', "iso-8859-1"),
        ("text/html; charset=UTF-8", "utf-8"),
        ("text/plain;charset=latin-1", "latin-1"),
        ("application/json", None),
        ("text/plain; charset=no-such-codec", "no-such-codec"),
        ("text/plain; format=flowed; charset='cp1252'", "'cp1252'"),
    ],
)
def test_charset_encoding(content_type: str, charset: str | None) -> None:
    assert read_response(b"", content_type).charset_encoding == charset


def test_no_content_type_has_no_charset() -> None:
    assert Response(200).charset_encoding is None


def test_known_charset_is_used() -> None:
    r = read_response("é".encode("latin-1"), 'text/plain; charset="ISO-8859-1"')
    assert r.encoding == "iso-8859-1" and r.text == "é"


# ---------------------------------------------------------------------------------------------
# rules 3 and 4: default_encoding, then utf-8


def test_unknown_charset_falls_back_to_the_default() -> None:
    r = read_response(b"\xe9", "text/plain; charset=no-such-codec", default_encoding="latin-1")
    assert r.encoding == "latin-1" and r.text == "é"


def test_non_text_types_still_default_to_utf8() -> None:
    assert read_response(b"x", "image/png").encoding == "utf-8"
    assert Response(200).encoding == "utf-8"


def test_default_encoding_string_is_used_as_is() -> None:
    r = read_response("é".encode("utf-16"), default_encoding="utf-16")
    assert r.encoding == "utf-16" and r.text == "é"


def test_callable_default_gets_the_read_body() -> None:
    seen: list[bytes] = []

    def detect(content: bytes) -> str:
        seen.append(content)
        return "cp1252"

    r = read_response(b"\x80", default_encoding=detect)
    assert r.encoding == "cp1252" and r.text == "€"
    assert seen == [b"\x80"]
    assert r.encoding == "cp1252" and len(seen) == 1  # cached


def test_callable_default_returning_none_means_utf8() -> None:
    assert read_response(b"x", default_encoding=lambda content: None).encoding == "utf-8"


def test_callable_default_is_not_called_for_an_unread_body() -> None:
    calls: list[bytes] = []

    def detect(content: bytes) -> str:
        calls.append(content)
        return "cp1252"

    r = sync_response([b"\x80"], default_encoding=detect)
    assert list(r.iter_text()) == ["\ufffd"]  # utf-8, as httpx
    assert calls == []
    assert r.encoding == "utf-8"  # and it stays: the first resolution is cached


def test_callable_default_with_unknown_charset_on_an_unread_body_uses_utf8() -> None:
    # httpx 0.28.1 keeps the unknown charset name here and iter_text() raises LookupError;
    # faststream falls back to utf-8 (nothing can be detected before the body is read).
    r = sync_response(
        ["€".encode()],
        headers={"Content-Type": "text/plain; charset=no-such-codec"},
        default_encoding=lambda content: "cp1252",
    )
    assert list(r.iter_text()) == ["€"]
    assert r.encoding == "utf-8"


def test_callable_default_with_unknown_charset_on_a_read_body_is_called() -> None:
    r = read_response(
        b"\x80", "text/plain; charset=no-such-codec", default_encoding=lambda content: "cp1252"
    )
    assert r.text == "€"


def test_charset_known_to_python_beats_the_callable() -> None:
    called: list[bytes] = []

    def detect(content: bytes) -> str:
        called.append(content)
        return "cp1252"

    r = read_response(b"\xe9", "text/plain; charset=latin-1", default_encoding=detect)
    assert r.text == "é" and called == []


# ---------------------------------------------------------------------------------------------
# json: on bytes, whatever the charset


@pytest.mark.parametrize("codec", ["utf-8", "utf-16", "utf-16-le", "utf-32", "utf-32-be"])
def test_json_detects_the_unicode_encoding_and_ignores_the_charset(codec: str) -> None:
    body = json.dumps({"a": "é€"}, ensure_ascii=False).encode(codec)
    r = read_response(body, "application/json; charset=latin-1")
    assert r.json() == {"a": "é€"}


def test_json_passes_keyword_arguments() -> None:
    assert read_response(b'{"a": 1.5}').json(parse_float=str) == {"a": "1.5"}


def test_json_of_an_empty_body_raises() -> None:
    with pytest.raises(json.JSONDecodeError):
        Response(200).json()


# ---------------------------------------------------------------------------------------------
# decoding with the chosen encoding


@pytest.mark.parametrize(
    "encoding", ["utf-8", "UTF8", "ascii", "latin-1", "cp1252", "cp1251", "utf-16", "shift_jis"]
)
def test_iter_text_and_iter_lines_match_whole_text_decoding(encoding: str) -> None:
    second = "два" if encoding in ("utf-8", "UTF8", "cp1251", "utf-16", "shift_jis") else "two"
    text = f"line one\r\n{second}\rthree\n\nend"
    body = text.encode(encoding)
    pieces = [body[i : i + 3] for i in range(0, len(body), 3)]
    headers = {"Content-Type": f"text/plain; charset={encoding}"}
    assert "".join(sync_response(pieces, headers=headers).iter_text()) == text
    assert list(sync_response(pieces, headers=headers).iter_text(4)) == [
        text[i : i + 4] for i in range(0, len(text), 4)
    ]
    lines = ["line one", second, "three", "", "end"]
    assert list(sync_response(pieces, headers=headers).iter_lines()) == lines
    assert run(alist(Response(200, headers=headers, content=body).aiter_lines())) == lines
    assert read_response(body, headers["Content-Type"]).text == text


def test_text_on_compressed_body_with_charset() -> None:
    body = "grüße\nzwei".encode("latin-1")
    r = Response(
        200,
        headers={"Content-Encoding": "gzip", "Content-Type": "text/plain; charset=latin-1"},
        stream=Pieces([gzip.compress(body)]),
    )
    assert list(r.iter_lines()) == ["grüße", "zwei"]


def test_text_replaces_invalid_bytes() -> None:
    assert read_response(b"a\xffb\xe2\x82").text == "a\ufffdb\ufffd"


def test_bom_is_kept_for_utf8_and_consumed_by_utf16() -> None:
    assert read_response(codecs.BOM_UTF8 + b"hi").text == "\ufeffhi"
    assert read_response("hi".encode("utf-16"), "text/plain; charset=utf-16").text == "hi"


# ---------------------------------------------------------------------------------------------
# codec failures surface unchanged (as in httpx); a streaming response is closed first


@pytest.mark.parametrize(
    "charset, body, message",
    [
        ("utf-16", b"a\x00b", "UTF-16 stream does not start with BOM"),
        ("utf-32", b"\xff\xff\xff\xff", "UTF-32 stream does not start with BOM"),
        ("idna", b"abc", "Unsupported error handling replace"),
    ],
)
@pytest.mark.parametrize("how", ["text", "iter_text", "iter_lines"])
def test_unicode_errors_surface_as_in_httpx(
    how: str, charset: str, body: bytes, message: str
) -> None:
    content_type = f"text/plain; charset={charset}"
    if how == "text":
        with pytest.raises(UnicodeError) as info:
            read_response(body, content_type).text  # noqa: B018
    else:
        stream = Pieces([body])
        r = Response(200, headers={"Content-Type": content_type}, stream=stream)
        with pytest.raises(UnicodeError) as info:
            list(getattr(r, how)())
        assert r.is_closed and stream.closes == 1
    assert not isinstance(info.value, DecodingError)
    assert str(info.value) == message
