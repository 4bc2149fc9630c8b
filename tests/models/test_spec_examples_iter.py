"""SPEC-httpx §3.2-§3.6 as executable examples: `iter_raw`, the byte re-chunker, `iter_bytes`,
`iter_text` and `iter_lines`, against faststream and httpx 0.28.1 (see test_spec_examples for
the scheme). 44 statements checked.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from tests._helpers import is_faststream
from tests.models._spec_helpers import alist, astreamed, compress, raises, run, streamed


def splits(data: bytes, parts: int) -> Iterator[list[bytes]]:
    """Every way to cut `data` into `parts` pieces (empty pieces included)."""
    for cuts in itertools.combinations_with_replacement(range(len(data) + 1), parts - 1):
        bounds = [0, *cuts, len(data)]
        yield [data[a:b] for a, b in itertools.pairwise(bounds)]


# ---------------------------------------------------------------------------------------------
# §3.2 iter_raw / aiter_raw


def test_3_2_iter_raw_yields_chunks_as_delivered_without_decoding(httpx: ModuleType) -> None:
    encoded = compress("gzip", b"hello " * 20)
    pieces = [encoded[:5], encoded[5:9], encoded[9:]]
    response = streamed(httpx, pieces, headers={"Content-Encoding": "gzip"})
    assert list(response.iter_raw()) == pieces


def test_3_2_aiter_raw_yields_chunks_as_delivered_without_decoding(httpx: ModuleType) -> None:
    encoded = compress("deflate", b"hello " * 20)
    pieces = [encoded[:5], encoded[5:]]
    response = astreamed(httpx, pieces, headers={"Content-Encoding": "deflate"})
    assert run(alist(response.aiter_raw())) == pieces


def test_3_2_sync_iterator_on_async_stream_runtime_error(httpx: ModuleType) -> None:
    for name in ("iter_raw", "iter_bytes", "iter_text", "iter_lines"):
        with pytest.raises(RuntimeError) as error:
            next(getattr(astreamed(httpx, [b"a"]), name)())
        assert str(error.value) == "Attempted to call a sync iterator on an async stream."


def test_3_2_async_iterator_on_sync_stream_runtime_error(httpx: ModuleType) -> None:
    for name in ("aiter_raw", "aiter_bytes", "aiter_text", "aiter_lines"):
        with pytest.raises(RuntimeError) as error:
            run(alist(getattr(streamed(httpx, [b"a"]), name)()))
        assert str(error.value) == "Attempted to call an async iterator on an sync stream."


def test_3_2_errors_raised_before_the_first_item_not_at_call(httpx: ModuleType) -> None:
    response = streamed(httpx, [b"a"])
    response.read()
    raw = response.iter_raw()  # a generator: nothing is checked until it is started
    assert raises(lambda: next(raw)) == "StreamConsumed"
    closed = streamed(httpx, [b"a"])
    closed.close()
    raw = closed.iter_raw()
    assert raises(lambda: next(raw)) == "StreamClosed"


def test_3_2_marks_consumed_at_start(httpx: ModuleType) -> None:
    response = streamed(httpx, [b"ab"])
    raw = response.iter_raw()
    assert not response.is_stream_consumed
    next(raw)
    assert response.is_stream_consumed


def test_3_2_num_bytes_downloaded_counted_before_yield(httpx: ModuleType) -> None:
    response = streamed(httpx, [b"ab", b"cdefg", b"h"])
    seen = [(chunk, response.num_bytes_downloaded) for chunk in response.iter_raw()]
    assert seen == [(b"ab", 2), (b"cdefg", 7), (b"h", 8)]
    # with a chunk size, a chunk is yielded once the chunks it is made of were counted
    response = streamed(httpx, [b"ab", b"cdefg", b"h"])
    seen = [(chunk, response.num_bytes_downloaded) for chunk in response.iter_raw(4)]
    assert seen == [(b"abcd", 7), (b"efgh", 8)]


def test_3_2_num_bytes_downloaded_counted_before_yield_async(httpx: ModuleType) -> None:
    response = astreamed(httpx, [b"ab", b"cdefg", b"h"])

    async def collect() -> list[tuple[bytes, int]]:
        return [(c, response.num_bytes_downloaded) async for c in response.aiter_raw(4)]

    assert run(collect()) == [(b"abcd", 7), (b"efgh", 8)]


def test_3_2_output_passes_through_rechunker(httpx: ModuleType) -> None:
    response = streamed(httpx, [b"ab", b"", b"cdefg"])
    assert list(response.iter_raw(3)) == [b"abc", b"def", b"g"]


def test_3_2_closes_only_when_item_after_last_is_asked(httpx: ModuleType) -> None:
    response = streamed(httpx, [b"ab", b"cd"])
    raw = response.iter_raw()
    assert [next(raw), next(raw)] == [b"ab", b"cd"]
    assert not response.is_closed  # stopping after the last chunk does not close
    assert response.stream.closes == 0
    with pytest.raises(StopIteration):
        next(raw)
    assert response.is_closed and response.stream.closes == 1
    looped = streamed(httpx, [b"ab", b"cd"])
    for _ in looped.iter_raw():
        pass
    assert looped.is_closed  # a for loop asks for it


def test_3_2_aclose_only_when_item_after_last_is_asked(httpx: ModuleType) -> None:
    response = astreamed(httpx, [b"ab", b"cd"])

    async def scenario() -> list[Any]:
        raw = response.aiter_raw()
        seen: list[Any] = [await raw.__anext__(), await raw.__anext__(), response.is_closed]
        with pytest.raises(StopAsyncIteration):
            await raw.__anext__()
        return [*seen, response.is_closed, response.stream.closes]

    assert run(scenario()) == [b"ab", b"cd", False, True, 1]


# ---------------------------------------------------------------------------------------------
# §3.3 the byte re-chunker


@pytest.mark.parametrize("row", ["iter_raw", "iter_bytes"])
def test_3_3_none_passes_chunks_unchanged_dropping_empty(httpx: ModuleType, row: str) -> None:
    response = streamed(httpx, [b"", b"ab", b"", b"", b"cdefg", b"h", b""])
    assert list(getattr(response, row)()) == [b"ab", b"cdefg", b"h"]


@pytest.mark.parametrize("row", ["iter_raw", "iter_bytes"])
def test_3_3_rechunk_example_ab_cdefg_h_ij(httpx: ModuleType, row: str) -> None:
    response = streamed(httpx, [b"ab", b"cdefg", b"h", b"", b"ij"])
    assert list(getattr(response, row)(3)) == [b"abc", b"def", b"ghi", b"j"]


def test_3_3_rechunk_example_ab_cdefg_h_ij_async(httpx: ModuleType) -> None:
    for row in ("aiter_raw", "aiter_bytes"):
        response = astreamed(httpx, [b"ab", b"cdefg", b"h", b"", b"ij"])
        assert run(alist(getattr(response, row)(3))) == [b"abc", b"def", b"ghi", b"j"]


def test_3_3_every_chunk_n_but_last_1_to_n_concatenation_equal(httpx: ModuleType) -> None:
    data = b"abcdefg"
    for parts in (1, 2, 3):
        for pieces in splits(data, parts):
            for n in (1, 2, 3, 4, 7, 8):
                chunks = list(streamed(httpx, pieces).iter_bytes(n))
                assert b"".join(chunks) == data
                assert all(len(chunk) == n for chunk in chunks[:-1])
                assert 1 <= len(chunks[-1]) <= n


@pytest.mark.parametrize("pieces", [[], [b""], [b"", b""]], ids=["none", "one-empty", "empties"])
@pytest.mark.parametrize("chunk_size", [None, 1, 3])
def test_3_3_empty_body_yields_nothing(
    httpx: ModuleType, pieces: list[bytes], chunk_size: int | None
) -> None:
    assert list(streamed(httpx, pieces).iter_raw(chunk_size)) == []
    assert list(streamed(httpx, pieces).iter_bytes(chunk_size)) == []


def test_3_3_body_shorter_than_n_yields_one_short_chunk(httpx: ModuleType) -> None:
    assert list(streamed(httpx, [b"a", b"b"]).iter_bytes(10)) == [b"ab"]
    assert list(streamed(httpx, [b"a", b"b"]).iter_raw(10)) == [b"ab"]


def test_3_3_chunk_size_zero_raises_value_error_when_streaming(httpx: ModuleType) -> None:
    # The SPEC says n <= 0 is not meaningful; only this part of it is pinned (both agree).
    assert raises(lambda: list(streamed(httpx, [b"abc"]).iter_bytes(0))) == "ValueError"


# ---------------------------------------------------------------------------------------------
# §3.4 iter_bytes / aiter_bytes


def test_3_4_read_response_none_whole_content_one_chunk(httpx: ModuleType) -> None:
    response = httpx.Response(200, content=b"abcdefg")
    assert list(response.iter_bytes()) == [b"abcdefg"]
    assert list(httpx.Response(200, content=b"").iter_bytes()) == []


def test_3_4_read_response_consecutive_slices_last_shorter(httpx: ModuleType) -> None:
    response = httpx.Response(200, content=b"abcdefg")
    assert list(response.iter_bytes(3)) == [b"abc", b"def", b"g"]
    assert run(alist(response.aiter_bytes(2))) == [b"ab", b"cd", b"ef", b"g"]


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "zstd"])
def test_3_4_raw_then_decoder_then_rechunker(httpx: ModuleType, coding: str) -> None:
    data = bytes(range(256)) * 8
    encoded = compress(coding, data)
    pieces = [encoded[i : i + 7] for i in range(0, len(encoded), 7)]
    response = streamed(httpx, pieces, headers={"Content-Encoding": coding})
    chunks = list(response.iter_bytes(100))
    assert b"".join(chunks) == data
    assert [len(c) for c in chunks] == [100] * 20 + [48]


def test_3_4_none_drops_empty_decoder_outputs(httpx: ModuleType) -> None:
    encoded = compress("gzip", b"payload " * 10)
    # the first raw chunk is the 10-byte gzip header alone: it decodes to b""
    pieces = [encoded[:10], encoded[10:12], encoded[12:]]
    response = streamed(httpx, pieces, headers={"Content-Encoding": "gzip"})
    chunks = list(response.iter_bytes())
    assert b"".join(chunks) == b"payload " * 10
    assert all(chunks)


def test_3_4_sizes_decoded_num_bytes_downloaded_raw(httpx: ModuleType) -> None:
    data = b"0123456789" * 100
    encoded = compress("gzip", data)
    response = streamed(httpx, [encoded], headers={"Content-Encoding": "gzip"})
    chunks = list(response.iter_bytes(250))
    assert [len(c) for c in chunks] == [250, 250, 250, 250]
    assert response.num_bytes_downloaded == len(encoded) < len(data)


def test_3_4_none_compressed_piece_size_bounded_decode_steps(httpx: ModuleType) -> None:
    data = bytes(1024 * 1024)
    response = streamed(httpx, [compress("gzip", data)], headers={"Content-Encoding": "gzip"})
    sizes = [len(c) for c in response.iter_bytes()]
    assert sum(sizes) == len(data)
    if is_faststream(httpx):
        # deviation "output of one decode step": at most max(chunk_size, 64 KiB) per step
        assert max(sizes) <= 64 * 1024
    else:
        assert sizes == [len(data)]  # httpx: one piece per raw chunk, whatever its size


# ---------------------------------------------------------------------------------------------
# §3.5 iter_text / aiter_text


def test_3_5_encoding_resolved_once_at_start(httpx: ModuleType) -> None:
    response = streamed(httpx, [b"\xc3\xa9", b"\xc3\xa9"])
    text = response.iter_text()
    assert next(text) == "é"
    response.encoding = "latin-1"  # too late for the iteration under way
    assert list(text) == ["é"]


def test_3_5_invalid_bytes_become_replacement_char(httpx: ModuleType) -> None:
    assert list(streamed(httpx, [b"a\xffb"]).iter_text()) == ["a\ufffdb"]


def test_3_5_split_multibyte_reassembled(httpx: ModuleType) -> None:
    assert list(streamed(httpx, [b"\xe2\x82", b"\xac!"]).iter_text()) == ["€!"]
    assert run(alist(astreamed(httpx, [b"\xe2\x82", b"\xac!"]).aiter_text())) == ["€!"]


def test_3_5_incomplete_at_end_one_replacement_in_final_piece(httpx: ModuleType) -> None:
    assert list(streamed(httpx, [b"ab\xe2\x82"]).iter_text()) == ["ab", "\ufffd"]


def test_3_5_no_bom_stripping_for_utf8(httpx: ModuleType) -> None:
    assert list(streamed(httpx, [b"\xef\xbb\xbfhi"]).iter_text()) == ["\ufeffhi"]
    headers = {"Content-Type": "text/plain; charset=utf-8"}
    assert httpx.Response(200, content=b"\xef\xbb\xbfhi", headers=headers).text == "\ufeffhi"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_3_5_utf16_utf32_codecs_handle_bom(httpx: ModuleType, encoding: str) -> None:
    encoded = "hi €".encode(encoding)  # with its BOM
    headers = {"Content-Type": f"text/plain; charset={encoding}"}
    pieces = [encoded[:3], encoded[3:]]
    assert "".join(streamed(httpx, pieces, headers=headers).iter_text()) == "hi €"
    assert httpx.Response(200, content=encoded, headers=headers).text == "hi €"


def test_3_5_text_rechunker_counts_characters(httpx: ModuleType) -> None:
    body = "€uro€".encode()
    pieces = [body[:2], body[2:6], body[6:]]
    assert list(streamed(httpx, pieces).iter_text(2)) == ["€u", "ro", "€"]
    assert list(streamed(httpx, pieces).iter_text(10)) == ["€uro€"]


def test_3_5_none_follows_byte_chunks_drops_empty_pieces(httpx: ModuleType) -> None:
    pieces = [b"ab", b"\xe2", b"\x82\xac", b"", b"cd"]
    assert list(streamed(httpx, pieces).iter_text()) == ["ab", "€", "cd"]


def test_3_5_read_response_decodes_stored_content_one_piece(httpx: ModuleType) -> None:
    response = streamed(httpx, [b"ab", b"c\xc3", b"\xa9"])
    response.read()
    assert list(response.iter_text()) == ["abcé"]
    assert list(response.iter_text(3)) == ["abc", "é"]


# ---------------------------------------------------------------------------------------------
# §3.6 iter_lines / aiter_lines

PLAIN = "one\ntwo\r\nthree\rfour\n\n\r\n\rlast"  # only the terminators both libraries split at


def test_3_6_output_is_splitlines_for_every_chunking(httpx: ModuleType) -> None:
    data = PLAIN.encode()
    for parts in (1, 2, 3):
        for pieces in splits(data, parts):
            assert list(streamed(httpx, pieces).iter_lines()) == PLAIN.splitlines()


@pytest.mark.parametrize(
    "sep", ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
)
def test_3_6_exotic_splitlines_boundaries(httpx: ModuleType, sep: str) -> None:
    lines = list(streamed(httpx, [f"a{sep}b\nc".encode()]).iter_lines())
    if is_faststream(httpx):
        # deviation "iter_lines boundaries": \n, \r\n and \r only
        assert lines == [f"a{sep}b", "c"]
    else:
        assert lines == ["a", "b", "c"]


def test_3_6_x85_from_latin1_bytes(httpx: ModuleType) -> None:
    headers = {"Content-Type": "text/plain; charset=latin-1"}
    lines = list(streamed(httpx, [b"a\x85b"], headers=headers).iter_lines())
    # deviation "iter_lines boundaries" for faststream
    assert lines == (["a\x85b"] if is_faststream(httpx) else ["a", "b"])


def test_3_6_terminators_removed_final_unterminated_line_yielded(httpx: ModuleType) -> None:
    assert list(streamed(httpx, [b"a\r\nb\rc\nd"]).iter_lines()) == ["a", "b", "c", "d"]


def test_3_6_trailing_terminator_no_extra_empty_line(httpx: ModuleType) -> None:
    assert list(streamed(httpx, [b"a\nb\n"]).iter_lines()) == ["a", "b"]


def test_3_6_empty_lines_yielded(httpx: ModuleType) -> None:
    assert list(streamed(httpx, [b"\n\na\n\n"]).iter_lines()) == ["", "", "a", ""]


def test_3_6_empty_body_yields_nothing(httpx: ModuleType) -> None:
    assert list(streamed(httpx, []).iter_lines()) == []
    assert list(streamed(httpx, [b""]).iter_lines()) == []
    assert list(httpx.Response(200, content=b"").iter_lines()) == []


def test_3_6_crlf_split_across_chunks_is_one_terminator(httpx: ModuleType) -> None:
    assert list(streamed(httpx, [b"a\r", b"\nb"]).iter_lines()) == ["a", "b"]
    assert run(alist(astreamed(httpx, [b"a\r", b"\nb"]).aiter_lines())) == ["a", "b"]


def test_3_6_held_cr_alone_flushes_as_final_line(httpx: ModuleType) -> None:
    assert list(streamed(httpx, [b"\r"]).iter_lines()) == [""]
    assert list(streamed(httpx, [b"a\n\r"]).iter_lines()) == ["a", ""]
    assert list(streamed(httpx, [b"a\n", b"\r"]).iter_lines()) == ["a", ""]


def test_3_6_partial_lines_buffered_across_chunks(httpx: ModuleType) -> None:
    assert list(streamed(httpx, [b"ab", b"cd", b"ef\ng"]).iter_lines()) == ["abcdef", "g"]


def test_3_6_lines_from_iter_text_decoding_first(httpx: ModuleType) -> None:
    encoded = "é\nü\r\nx".encode("utf-16")
    headers = {"Content-Type": "text/plain; charset=utf-16"}
    pieces = [encoded[:3], encoded[3:5], encoded[5:]]
    assert list(streamed(httpx, pieces, headers=headers).iter_lines()) == ["é", "ü", "x"]
    gz = compress("gzip", "é\nü".encode())
    response = streamed(httpx, [gz[:12], gz[12:]], headers={"Content-Encoding": "gzip"})
    assert list(response.iter_lines()) == ["é", "ü"]
