"""SPEC-httpx §3.7 (text encoding selection) and §3.8 (Content-Encoding decoders) as executable
examples, against faststream and httpx 0.28.1 (see test_spec_examples for the scheme).
39 statements checked.
"""

from __future__ import annotations

import decimal
from types import ModuleType
from typing import Any

import pytest

import _cstream
from tests._helpers import is_faststream
from tests.models._spec_helpers import alist, astreamed, compress, raises, run, streamed


def text_plain(charset: str) -> dict[str, str]:
    return {"Content-Type": f"text/plain; charset={charset}"}


class Detector:
    """A callable `default_encoding` that records the bodies it was given."""

    def __init__(self, answer: str | None) -> None:
        self.answer = answer
        self.calls: list[bytes] = []

    def __call__(self, content: bytes) -> str | None:
        self.calls.append(content)
        return self.answer


# ---------------------------------------------------------------------------------------------
# §3.7 text encoding selection


def test_3_7_1_assigned_encoding_wins(httpx: ModuleType) -> None:
    response = httpx.Response(200, content=b"\xe9", headers=text_plain("utf-8"))
    response.encoding = "latin-1"
    assert response.encoding == "latin-1"
    assert response.text == "é"
    streaming = streamed(httpx, [b"\xe9"], headers=text_plain("utf-8"))
    streaming.encoding = "latin-1"
    assert list(streaming.iter_text()) == ["é"]


def test_3_7_1_assigning_after_text_raises_value_error(httpx: ModuleType) -> None:
    response = httpx.Response(200, content=b"abc")
    assert response.text == "abc"
    with pytest.raises(ValueError) as error:
        response.encoding = "latin-1"
    assert str(error.value) == "Setting encoding after `text` has been accessed is not allowed."


def test_3_7_2_charset_parsed_like_email_message(httpx: ModuleType) -> None:
    headers = {"Content-Type": 'text/plain; charset="ISO-8859-1"'}
    response = httpx.Response(200, content=b"\xe9", headers=headers)
    assert response.encoding == "iso-8859-1"
    assert response.text == "é"


def test_3_7_2_charset_used_only_if_codecs_knows_it(httpx: ModuleType) -> None:
    assert httpx.Response(200, content=b"x", headers=text_plain("bogus")).encoding == "utf-8"
    response = httpx.Response(
        200, content=b"\xe9", headers=text_plain("bogus"), default_encoding="latin-1"
    )
    assert (response.encoding, response.text) == ("latin-1", "é")


def test_3_7_3_default_encoding_str_used_as_is(httpx: ModuleType) -> None:
    response = httpx.Response(200, content=b"\xe9", default_encoding="latin-1")
    assert (response.encoding, response.text) == ("latin-1", "é")
    assert httpx.Response(200, content=b"x", default_encoding="bogus").encoding == "bogus"
    assert streamed(httpx, [b"x"], default_encoding="cp1252").encoding == "cp1252"


def test_3_7_3_default_encoding_callable_called_only_if_read(httpx: ModuleType) -> None:
    detect = Detector("latin-1")
    response = httpx.Response(200, content=b"\xe9", default_encoding=detect)
    assert (response.encoding, response.text) == ("latin-1", "é")
    assert detect.calls == [b"\xe9"]
    unread = Detector("latin-1")
    streaming = streamed(httpx, [b"\xe9"], default_encoding=unread)
    assert streaming.encoding == "utf-8"
    assert unread.calls == []


def test_3_7_4_else_utf8(httpx: ModuleType) -> None:
    assert httpx.Response(200, content=b"x").encoding == "utf-8"
    assert httpx.Response(200, content=b"x", default_encoding=Detector(None)).encoding == "utf-8"


def test_3_7_first_access_caches(httpx: ModuleType) -> None:
    response = httpx.Response(200, content=b"\xe9", headers=text_plain("latin-1"))
    assert response.encoding == "latin-1"
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    assert response.encoding == "latin-1"
    assert response.text == "é"


def test_3_7_iter_text_unread_callable_default_always_utf8(httpx: ModuleType) -> None:
    detect = Detector("latin-1")
    response = streamed(httpx, [b"caf\xe9"], default_encoding=detect)
    assert list(response.iter_text()) == ["caf", "\ufffd"]
    assert response.encoding == "utf-8"  # and keeps using it
    assert detect.calls == []


def test_3_7_unknown_charset_callable_default_unread_lookup_error(httpx: ModuleType) -> None:
    # SPEC: "An unknown charset plus a callable default on an unread response leaves the unknown
    # name in place -> LookupError from iter_text (httpx bug; safer to fall back to utf-8)".
    # faststream takes the SPEC's safer reading: it falls back to utf-8 (recorded in the issue
    # note and the README's list of differences).
    response = streamed(httpx, [b"x"], headers=text_plain("bogus"), default_encoding=Detector("a"))
    if is_faststream(httpx):
        assert response.encoding == "utf-8"
        assert list(response.iter_text()) == ["x"]
        return
    assert response.encoding == "bogus"
    with pytest.raises(LookupError):
        list(response.iter_text())


def test_3_7_non_text_types_default_utf8(httpx: ModuleType) -> None:
    response = httpx.Response(200, content=b"\x89PNG", headers={"Content-Type": "image/png"})
    assert response.encoding == "utf-8"


def test_3_7_charset_encoding_is_step_2_without_validity_check(httpx: ModuleType) -> None:
    assert httpx.Response(200, headers=text_plain("Bogus")).charset_encoding == "bogus"
    headers = {"Content-Type": 'text/html; charset="UTF-8"'}
    assert httpx.Response(200, headers=headers).charset_encoding == "utf-8"
    assert httpx.Response(200, headers={"Content-Type": "text/plain"}).charset_encoding is None
    assert httpx.Response(200).charset_encoding is None


def test_3_7_text_is_whole_content_decoded_empty_if_empty(httpx: ModuleType) -> None:
    assert httpx.Response(200, content=b"a\xffb\xe2\x82").text == "a\ufffdb\ufffd"
    assert httpx.Response(200, content=b"").text == ""
    assert httpx.Response(200, content="€uro".encode()).text == "€uro"


@pytest.mark.parametrize("codec", ["utf-8", "utf-16", "utf-32"])
def test_3_7_json_loads_bytes_autodetects_ignores_charset(httpx: ModuleType, codec: str) -> None:
    body = '{"a": "é", "n": 1.5}'.encode(codec)
    response = httpx.Response(
        200, content=body, headers={"Content-Type": "text/plain; charset=latin-1"}
    )
    assert response.json() == {"a": "é", "n": 1.5}
    assert response.json(parse_float=decimal.Decimal) == {"a": "é", "n": decimal.Decimal("1.5")}


# ---------------------------------------------------------------------------------------------
# §3.8 Content-Encoding decoders


def decoded(httpx: ModuleType, headers: Any, body: bytes) -> bytes:
    """The body as a streaming response decodes it, and as an in-memory one does (same)."""
    streaming = b"".join(streamed(httpx, [body[:3], body[3:]], headers=headers).iter_bytes())
    assert httpx.Response(200, headers=headers, content=body).content == streaming
    return streaming


def test_3_8_decoders_from_all_header_lines_comma_split_strip_lower(httpx: ModuleType) -> None:
    # zstd stays out of chains: httpx 0.28.1 cannot decode a zstd layer in a chain at all
    # ("cannot use a decompressobj multiple times"; not a SPEC statement)
    body = compress("deflate", compress("br", compress("gzip", b"data")))
    headers = [("Content-Encoding", " GZIP ,Br"), ("content-encoding", "  DEFLATE")]
    assert decoded(httpx, headers, body) == b"data"


def test_3_8_unknown_codings_silently_skipped(httpx: ModuleType) -> None:
    body = compress("gzip", b"data")
    assert decoded(httpx, {"Content-Encoding": "x-gzip, gzip"}, body) == b"data"
    assert decoded(httpx, {"Content-Encoding": "gzip, compress"}, body) == b"data"


def test_3_8_none_known_is_identity(httpx: ModuleType) -> None:
    body = compress("gzip", b"data")
    for header in ("identity", "compress", "x-gzip, x-foo", ""):
        assert decoded(httpx, {"Content-Encoding": header}, body) == body


@pytest.mark.parametrize(
    "header", ["gzip, br", "br, gzip", "deflate, br", "br, deflate, gzip", "identity, br"]
)
def test_3_8_several_applied_in_reverse_header_order(httpx: ModuleType, header: str) -> None:
    body = b"some body " * 20
    for coding in header.split(","):  # applied in header order ...
        if coding.strip() != "identity":
            body = compress(coding.strip(), body)
    assert decoded(httpx, {"Content-Encoding": header}, body) == b"some body " * 20  # ... undone


@pytest.mark.parametrize("coding", ["identity", "gzip", "deflate", "br", "zstd"])
def test_3_8_supported_codings(httpx: ModuleType, coding: str) -> None:
    data = bytes(range(256)) * 4
    body = data if coding == "identity" else compress(coding, data)
    assert decoded(httpx, {"Content-Encoding": coding}, body) == data


def test_3_8_deflate_zlib_wrapped(httpx: ModuleType) -> None:
    assert decoded(httpx, {"Content-Encoding": "deflate"}, compress("deflate", b"x" * 50)) == (
        b"x" * 50
    )


def test_3_8_deflate_raw_fallback(httpx: ModuleType) -> None:
    body = compress("deflate-raw", b"raw deflate " * 10)
    assert decoded(httpx, {"Content-Encoding": "deflate"}, body) == b"raw deflate " * 10


def test_3_8_deflate_later_errors_decoding_error(httpx: ModuleType) -> None:
    # the zlib header decodes (to nothing) on the first call; the next chunk is a bad block
    response = streamed(
        httpx, [b"\x78\x9c", b"\xff\xff\xff"], headers={"Content-Encoding": "deflate"}
    )
    with pytest.raises(httpx.DecodingError) as error:
        list(response.iter_bytes())
    # "All codec errors become DecodingError(str(original))": zlib's words, as httpx gives
    # them, when faststream inflates with the stdlib's zlib; a faster backend (isal, zlib-ng)
    # words its errors its own way, so there only the type is the same.
    if not is_faststream(httpx) or _cstream.default_inflate_backend() == "zlib":
        assert str(error.value) == "Error -3 while decompressing data: invalid block type"


def test_3_8_deflate_quirk_one_byte_first_chunk_not_detected_raw(httpx: ModuleType) -> None:
    # SPEC quirk (probed): a 1-byte first chunk of raw deflate does not fail, so raw deflate is
    # not detected and the next chunk raises. faststream picks zlib-wrapped or raw deflate from
    # the first two bytes, however the body is split, so it decodes the body (recorded in the
    # issue note and the README's list of differences).
    data = b"raw deflate " * 10
    body = compress("deflate-raw", data)
    response = streamed(httpx, [body[:1], body[1:]], headers={"Content-Encoding": "deflate"})
    if is_faststream(httpx):
        assert b"".join(response.iter_bytes()) == data
    else:
        assert raises(lambda: list(response.iter_bytes())) == "DecodingError"


def test_3_8_gzip_first_member_only(httpx: ModuleType) -> None:
    body = compress("gzip", b"one") + compress("gzip", b"two")
    result = decoded(httpx, {"Content-Encoding": "gzip"}, body)
    # deviation "gzip with several members": faststream decodes every member
    assert result == (b"onetwo" if is_faststream(httpx) else b"one")


def test_3_8_gzip_trailing_garbage_ignored(httpx: ModuleType) -> None:
    body = compress("gzip", b"one") + b"garbage"
    assert decoded(httpx, {"Content-Encoding": "gzip"}, body) == b"one"


@pytest.mark.parametrize("cut", [4, 8, 20])
def test_3_8_gzip_truncated_yields_decoded_no_error(httpx: ModuleType, cut: int) -> None:
    data = b"abcdefghij" * 3
    body = compress("gzip", data)[:-cut]
    response = streamed(httpx, [body], headers={"Content-Encoding": "gzip"})
    if is_faststream(httpx):
        # deviation "compressed stream cut short": DecodingError
        with pytest.raises(httpx.DecodingError):
            list(response.iter_bytes())
    else:
        assert data.startswith(b"".join(response.iter_bytes()))


def test_3_8_br_empty_chunks_ignored(httpx: ModuleType) -> None:
    body = compress("br", b"brotli body")
    pieces = [b"", body[:3], b"", b"", body[3:], b""]
    response = streamed(httpx, pieces, headers={"Content-Encoding": "br"})
    assert b"".join(response.iter_bytes()) == b"brotli body"


def test_3_8_br_invalid_decoding_error(httpx: ModuleType) -> None:
    with pytest.raises(httpx.DecodingError) as error:
        httpx.Response(200, headers={"Content-Encoding": "br"}, content=b"\xff\xff\xff\xff")
    # the library's wording: brotli 1.2, then 1.1 (httpx passes it on the same way)
    assert str(error.value) in (
        "brotli: decoder failed",
        "BrotliDecoderDecompressStream failed while processing the stream",
    )


def test_3_8_br_truncated_no_error_with_brotli(httpx: ModuleType) -> None:
    data = b"hello brotli " * 5
    body = compress("br", data)[:-2]
    response = streamed(httpx, [body], headers={"Content-Encoding": "br"})
    if is_faststream(httpx):
        # deviation "compressed stream cut short": DecodingError
        assert raises(lambda: list(response.iter_bytes())) == "DecodingError"
    else:
        assert data.startswith(b"".join(response.iter_bytes()))


def test_3_8_zstd_multiple_frames_all_decoded(httpx: ModuleType) -> None:
    body = compress("zstd", b"frame one, ") + compress("zstd", b"frame two")
    assert decoded(httpx, {"Content-Encoding": "zstd"}, body) == b"frame one, frame two"


def test_3_8_zstd_invalid_decoding_error(httpx: ModuleType) -> None:
    with pytest.raises(httpx.DecodingError) as error:
        httpx.Response(200, headers={"Content-Encoding": "zstd"}, content=b"not zstd at all")
    # str(original): each library's zstd binding words it its own way; the cause is the same
    assert "Unknown frame descriptor" in str(error.value)


def test_3_8_zstd_incomplete_decoding_error(httpx: ModuleType) -> None:
    body = compress("zstd", b"a zstd body that is cut short")[:-3]
    response = streamed(httpx, [body[:5], body[5:]], headers={"Content-Encoding": "zstd"})
    with pytest.raises(httpx.DecodingError) as error:
        list(response.iter_bytes())
    assert str(error.value) == "Zstandard data is incomplete"


def test_3_8_zstd_empty_body(httpx: ModuleType) -> None:
    assert httpx.Response(200, headers={"Content-Encoding": "zstd"}, content=b"").content == b""


@pytest.mark.parametrize("coding", ["identity", "gzip", "deflate", "br", "zstd", "gzip, br"])
def test_3_8_empty_bodies_decode_to_empty(httpx: ModuleType, coding: str) -> None:
    headers = {"Content-Encoding": coding}
    assert httpx.Response(200, headers=headers, content=b"").content == b""
    for pieces in ([], [b""]):
        assert list(streamed(httpx, pieces, headers=headers).iter_bytes()) == []
        assert run(alist(astreamed(httpx, pieces, headers=headers).aiter_bytes())) == []


def test_3_8_codec_errors_become_decoding_error_str_original(httpx: ModuleType) -> None:
    with pytest.raises(httpx.DecodingError) as error:
        list(streamed(httpx, [b"bad"], headers={"Content-Encoding": "gzip"}).iter_bytes())
    assert str(error.value) == "Error -3 while decompressing data: incorrect header check"
    assert isinstance(error.value, httpx.RequestError)


def test_3_8_raised_at_iteration_time_for_streams(httpx: ModuleType) -> None:
    body = compress("gzip", b"x" * 100)
    bad = body[:20] + b"\x00" * 8 + body[28:]  # corrupt after the header
    response = streamed(httpx, [body[:10], bad[10:]], headers={"Content-Encoding": "gzip"})
    chunks = response.iter_bytes()  # constructing and starting raise nothing yet
    with pytest.raises(httpx.DecodingError):
        list(chunks)
    aresponse = astreamed(httpx, [b"bad"], headers={"Content-Encoding": "gzip"})
    assert raises(lambda: run(alist(aresponse.aiter_bytes()))) == "DecodingError"


def test_3_8_constructor_raises_for_in_memory_bad_gzip(httpx: ModuleType) -> None:
    with pytest.raises(httpx.DecodingError):
        httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=b"bad")


def test_3_8_decoding_error_request_set_when_response_has_one(httpx: ModuleType) -> None:
    request = httpx.Request("GET", "https://example.org/")
    response = streamed(httpx, [b"bad"], headers={"Content-Encoding": "gzip"}, request=request)
    with pytest.raises(httpx.DecodingError) as error:
        response.read()
    assert error.value.request is request
    with pytest.raises(httpx.DecodingError) as no_request:
        httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=b"bad")
    with pytest.raises(RuntimeError):
        _ = no_request.value.request


def test_3_8_chain_length_more_than_5_codings(httpx: ModuleType) -> None:
    body = b"x"
    for _ in range(5):
        body = compress("gzip", body)
    five = {"Content-Encoding": ", ".join(["gzip"] * 5)}
    assert httpx.Response(200, headers=five, content=body).content == b"x"  # 5: fine in both
    body = compress("gzip", body)
    six = {"Content-Encoding": ", ".join(["gzip"] * 6)}
    if is_faststream(httpx):
        # deviation "Content-Encoding chain": more than 5 codings raise DecodingError
        with pytest.raises(httpx.DecodingError) as error:
            httpx.Response(200, headers=six, content=body)
        assert str(error.value) == "Too many content encodings in the chain: 6 > 5"
    else:
        assert httpx.Response(200, headers=six, content=body).content == b"x"
