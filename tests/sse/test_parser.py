"""The WHATWG event-stream rules, one test each, on the compiled parser and its twin.

Every stream is also fed cut at every point and one byte at a time, with the same result.
"""

from __future__ import annotations

import gc
import pickle
import tracemalloc
import types
import typing

import pytest

from _cstream._errors import EventTooLargeError

from ._helpers import outcome, parse, splits

M = "message"


def test_lf_crlf_and_cr_end_lines(sse: types.ModuleType) -> None:
    stream = b"data: a\n\ndata: b\r\n\r\ndata: c\r\rdata: d\r\ndata: e\n\r"
    assert parse(sse, stream) == [
        (M, "a", "", None),
        (M, "b", "", None),
        (M, "c", "", None),
        (M, "d\ne", "", None),
    ]


def test_cr_dispatches_at_once(sse: types.ModuleType) -> None:
    # a CR is a whole terminator: the event is out before the next byte arrives
    decoder = sse.SSEDecoder()
    assert [e.data for e in decoder.decode(b"data: x\r\r")] == ["x"]
    # and an LF opening the next piece completes that CRLF, not a blank line
    assert decoder.decode(b"\ndata: y\r") == []
    assert decoder.decode(b"\n") == []
    assert [e.data for e in decoder.decode(b"\r\n")] == ["y"]


def test_one_leading_bom_is_dropped(sse: types.ModuleType) -> None:
    bom = "\ufeff".encode()
    assert parse(sse, bom + b"data: a\n\n") == [(M, "a", "", None)]
    # only one: a second BOM starts the field name, which is then unknown
    assert parse(sse, bom + bom + b"data: a\n\ndata: b\n\n") == [(M, "b", "", None)]
    # mid-stream it is an ordinary character
    assert parse(sse, b"data: a\n\n" + bom + b"data: b\n\n") == [(M, "a", "", None)]
    assert parse(sse, b"data: " + bom + b"\n\n") == [(M, "\ufeff", "", None)]


def test_a_bom_prefix_is_not_dropped(sse: types.ModuleType) -> None:
    assert parse(sse, b"\xef\xbbdata: a\n\ndata: b\n\n") == [(M, "b", "", None)]
    assert parse(sse, b"\xefdata:x\n\n") == []
    assert parse(sse, b"\xef\n\ndata:x\n\n") == [(M, "x", "", None)]


def test_comments_are_ignored(sse: types.ModuleType) -> None:
    assert parse(sse, b": hello\ndata: a\n:\n\n:only a comment\n\n") == [(M, "a", "", None)]


def test_one_leading_space_is_removed(sse: types.ModuleType) -> None:
    assert parse(sse, b"data:a\n\ndata: b\n\ndata:  c\n\ndata:\td\n\n") == [
        (M, "a", "", None),
        (M, "b", "", None),
        (M, " c", "", None),
        (M, "\td", "", None),
    ]


def test_a_line_without_colon_is_a_field_with_an_empty_value(sse: types.ModuleType) -> None:
    assert parse(sse, b"data\n\n") == [(M, "", "", None)]
    assert parse(sse, b"data\ndata\n\n") == [(M, "\n", "", None)]
    assert parse(sse, b"event\ndata: x\n\n") == [(M, "x", "", None)]


def test_value_keeps_later_colons(sse: types.ModuleType) -> None:
    assert parse(sse, b"data: a: b:c\n\n") == [(M, "a: b:c", "", None)]


def test_data_lines_join_with_lf(sse: types.ModuleType) -> None:
    assert parse(sse, b"data: a\ndata:\ndata: b\n\n") == [(M, "a\n\nb", "", None)]
    assert parse(sse, b"data:\n\n") == [(M, "", "", None)]


def test_event_type(sse: types.ModuleType) -> None:
    stream = b"event: add\ndata: 1\n\ndata: 2\n\nevent:\ndata: 3\n\nevent: a\nevent: b\ndata: 4\n\n"
    assert parse(sse, stream) == [
        ("add", "1", "", None),
        (M, "2", "", None),
        (M, "3", "", None),
        ("b", "4", "", None),
    ]


def test_empty_data_dispatches_nothing_and_resets_the_type(sse: types.ModuleType) -> None:
    assert parse(sse, b"event: x\n\ndata: a\n\n") == [(M, "a", "", None)]
    assert parse(sse, b"retry: 5\n\ndata: a\n\n") == [(M, "a", "", None)]


def test_id_carries_over_and_an_empty_id_resets_it(sse: types.ModuleType) -> None:
    stream = b"id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 2\ndata: d\n\nid:\ndata: e\n\n"
    assert parse(sse, stream) == [
        (M, "a", "1", None),
        (M, "b", "1", None),
        (M, "c", "", None),
        (M, "d", "2", None),
        (M, "e", "", None),
    ]


def test_id_with_nul_is_ignored(sse: types.ModuleType) -> None:
    assert parse(sse, b"id: 1\n\nid: 2\x003\ndata: a\n\n") == [(M, "a", "1", None)]


def test_id_updates_last_event_id_without_an_event(sse: types.ModuleType) -> None:
    decoder = sse.SSEDecoder()
    assert decoder.decode(b"id: 7\n") == []
    assert decoder.last_event_id == ""  # not before the blank line
    assert decoder.decode(b"\n") == []
    assert decoder.last_event_id == "7"
    assert [e.id for e in decoder.decode(b"data: x\n\n")] == ["7"]


@pytest.mark.parametrize(
    "value, expected",
    [
        (b"0", 0),
        (b"3000", 3000),
        (b"007", 7),
        (b"18446744073709551615", 2**64 - 1),
        (b"000000000000000000000000018446744073709551615", 2**64 - 1),
        (b"18446744073709551616", None),  # past 64 bits: ignored, as browsers do
        (b"", None),
        (b" 5", None),  # one space is removed by the field rule; two are not digits
        (b"5 ", None),
        (b"+5", None),
        (b"-5", None),
        (b"1_000", None),
        (b"1.5", None),
        ("\u0665".encode(), None),  # an Arabic-Indic digit is not an ASCII digit
    ],
)
def test_retry_takes_ascii_digits_only(
    sse: types.ModuleType, value: bytes, expected: int | None
) -> None:
    events = parse(sse, b"retry: " + value + b"\ndata: a\n\n")
    assert events == [(M, "a", "", expected)]
    decoder = sse.SSEDecoder()
    decoder.decode(b"retry: " + value + b"\n")
    assert decoder.retry == expected


def test_retry_belongs_to_its_block_and_the_stream_keeps_the_last(sse: types.ModuleType) -> None:
    decoder = sse.SSEDecoder()
    events = decoder.decode(b"retry: 10\ndata: a\n\ndata: b\n\nretry: 20\n\nretry: x\n\n")
    assert [e.retry for e in events] == [10, None]
    assert decoder.retry == 20


def test_unknown_fields_are_ignored(sse: types.ModuleType) -> None:
    assert parse(sse, b"Data: x\nfoo: bar\ndata : y\nDATA\ndata: z\n\n") == [(M, "z", "", None)]


def test_incomplete_event_at_the_end_is_dropped(sse: types.ModuleType) -> None:
    assert parse(sse, b"data: a\n\ndata: b\n") == [(M, "a", "", None)]
    assert parse(sse, b"data: a\n\ndata: b") == [(M, "a", "", None)]


def test_utf8_with_replacement(sse: types.ModuleType) -> None:
    stream = "data: é€😀\nevent: ü\nid: ✓\n\n".encode() + b"data: \xff\xe2\x82:\xed\xa0\x80\n\n"
    assert parse(sse, stream) == [
        ("ü", "é€😀", "✓", None),
        (M, "\ufffd\ufffd:\ufffd\ufffd\ufffd", "✓", None),
    ]


def test_flush_keeps_last_event_id_and_retry_for_the_next_stream(sse: types.ModuleType) -> None:
    decoder = sse.SSEDecoder()
    decoder.decode(b"id: 5\nretry: 100\ndata: a\n\nid: 6\ndata: half")
    decoder.flush()
    assert (decoder.last_event_id, decoder.retry) == ("5", 100)
    # a new stream: a BOM is dropped again, the half event is gone, the id buffer is "5"
    events = decoder.decode("\ufeffdata: b\n\n".encode())
    assert [(e.data, e.id, e.retry) for e in events] == [("b", "5", None)]


def test_pieces_of_any_kind(sse: types.ModuleType) -> None:
    decoder = sse.SSEDecoder()
    assert decoder.decode(bytearray(b"data: a")) == []
    assert decoder.decode(memoryview(b"\n\n")) == [sse.ServerSentEvent(data="a")]
    assert decoder.decode(b"") == []
    with pytest.raises(TypeError):
        decoder.decode("data: text\n\n")


# --- bounds ---------------------------------------------------------------------------------


def test_event_data_up_to_the_cap_passes(sse: types.ModuleType) -> None:
    # 4 + 1 + 3 = 8 bytes of data: the LF between lines counts, the last one does not
    assert parse(sse, b"data: abcd\ndata: efg\n\n", max_event_size=8) == [
        (M, "abcd\nefg", "", None)
    ]


def test_event_data_past_the_cap_raises_after_earlier_events(sse: types.ModuleType) -> None:
    stream = b"data: ok\n\ndata: abcd\ndata: efgh\n\ndata: never\n\n"
    expected = (
        "raise",
        [(M, "ok", "", None)],
        "EventTooLargeError",
        "server-sent event larger than max_event_size (8 bytes)",
    )
    for pieces in splits(stream):
        assert outcome(sse, pieces, max_event_size=8) == expected


def test_a_broken_decoder_keeps_raising(sse: types.ModuleType) -> None:
    decoder = sse.SSEDecoder(max_event_size=2)
    assert decoder.decode(b"data: abc\n\n") == []
    for _ in range(2):
        with pytest.raises(EventTooLargeError):
            decoder.decode(b"data: a\n\n")
        with pytest.raises(EventTooLargeError):
            decoder.flush()


def test_endless_data_lines_raise_with_bounded_memory(sse: types.ModuleType) -> None:
    decoder = sse.SSEDecoder(max_event_size=1 << 20)
    line = b"data: " + b"x" * 1000 + b"\n"
    with pytest.raises(EventTooLargeError):
        for _ in range(2000):  # 2 MB of data, never a blank line
            decoder.decode(line * 10)


def test_an_endless_line_raises(sse: types.ModuleType) -> None:
    decoder = sse.SSEDecoder(max_event_size=1000)
    decoder.decode(b"data: a\n\nevent: ")
    with pytest.raises(EventTooLargeError):
        for _ in range(100):
            decoder.decode(b"x" * 100)
    assert outcome(sse, [b"data:" + b"x" * 1060 + b"\n\n"], max_event_size=1000)[0] == "raise"
    # a non-data line may exceed the cap by 64 bytes
    assert outcome(sse, [b"event:" + b"x" * 1058 + b"\ndata\n\n"], max_event_size=1000) == (
        "ok",
        [("x" * 1058, "", "", None)],
        "",
        None,
    )


def test_comment_lines_are_not_bounded(sse: types.ModuleType) -> None:
    comment = b":" + b"x" * 5000 + b"\n"
    for pieces in ([comment + b"data: a\n\n"], [comment[:100], comment[100:], b"data: a\n\n"]):
        assert outcome(sse, pieces, max_event_size=10) == ("ok", [(M, "a", "", None)], "", None)


def test_no_cap(sse: types.ModuleType) -> None:
    assert parse(sse, b"data: " + b"x" * 100 + b"\n\n", max_event_size=None) == [
        (M, "x" * 100, "", None)
    ]


@pytest.mark.parametrize("bad, error", [(-1, ValueError), ("10", TypeError), (1.5, TypeError)])
def test_bad_caps(sse: types.ModuleType, bad: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        sse.SSEDecoder(max_event_size=bad)


def test_the_default_cap_is_16_mib(sse: types.ModuleType) -> None:
    data = b"x" * (16 * 1024 * 1024)
    assert outcome(sse, [b"data:", data, b"\n\n"])[1] == [(M, data.decode(), "", None)]
    assert outcome(sse, [b"data:", data, b"x\n\n"])[0] == "raise"


# --- the event type ---------------------------------------------------------------------------


def test_event_defaults_and_fields(sse: types.ModuleType) -> None:
    event = sse.ServerSentEvent()
    assert (event.event, event.data, event.id, event.retry) == (M, "", "", None)
    assert sse.ServerSentEvent(event="", data=None, id=None).event == M
    event = sse.ServerSentEvent("tick", '{"n": [1, 2]}', "9", 1500)
    assert (event.event, event.data, event.id, event.retry) == ("tick", '{"n": [1, 2]}', "9", 1500)
    assert event.json() == {"n": [1, 2]}


def test_event_is_immutable(sse: types.ModuleType) -> None:
    event = sse.ServerSentEvent(data="a")
    for name in ("event", "data", "id", "retry"):
        with pytest.raises(AttributeError):
            setattr(event, name, "x")
    assert event.data == "a"


def test_event_equality_hash_repr_pickle(sse: types.ModuleType) -> None:
    a = sse.ServerSentEvent(data="x", id="1")
    assert a == sse.ServerSentEvent("message", "x", "1", None)
    assert a != sse.ServerSentEvent(data="x", id="2")
    assert a != ("message", "x", "1", None)
    assert hash(a) == hash(sse.ServerSentEvent(data="x", id="1"))
    assert len({a, sse.ServerSentEvent(data="x", id="1")}) == 1
    assert repr(a) == "ServerSentEvent(event='message', data='x', id='1')"
    assert repr(sse.ServerSentEvent()) == "ServerSentEvent(event='message')"
    assert repr(sse.ServerSentEvent("e", retry=5)) == "ServerSentEvent(event='e', retry=5)"
    assert pickle.loads(pickle.dumps(a)) == a


@pytest.mark.parametrize(
    "kwargs", [{"event": 1}, {"data": b"x"}, {"id": 3}, {"retry": "5"}, {"retry": True}]
)
def test_event_rejects_wrong_types(sse: types.ModuleType, kwargs: dict[str, object]) -> None:
    with pytest.raises(TypeError):
        sse.ServerSentEvent(**kwargs)


def test_decoded_events_are_the_module_type(sse: types.ModuleType) -> None:
    [event] = sse.SSEDecoder().decode(b"data: a\n\n")
    assert type(event) is sse.ServerSentEvent
    assert event == sse.ServerSentEvent(data="a")


def test_event_type_makes_subclass_instances(sse: types.ModuleType) -> None:
    class Tick(sse.ServerSentEvent):  # type: ignore[name-defined,misc]
        __slots__ = ()

        def __init__(self) -> None:
            raise AssertionError("the decoder does not call __init__")

    [event] = sse.SSEDecoder(event_type=Tick).decode(b"event: t\ndata: 1\nid: 2\nretry: 3\n\n")
    assert type(event) is Tick
    assert (event.event, event.data, event.id, event.retry) == ("t", "1", "2", 3)
    assert event == sse.ServerSentEvent("t", "1", "2", 3)
    with pytest.raises(AttributeError):
        event.data = "x"


@pytest.mark.parametrize("bad", [object, dict, "ServerSentEvent", None])
def test_event_type_must_be_a_subclass(sse: types.ModuleType, bad: object) -> None:
    with pytest.raises(TypeError):
        sse.SSEDecoder(event_type=bad)


def test_starting_last_event_id(sse: types.ModuleType) -> None:
    decoder = sse.SSEDecoder(last_event_id="41")
    assert decoder.last_event_id == "41"
    events = decoder.decode(b"data: a\n\nid: 42\ndata: b\n\nid\ndata: c\n\n")
    assert [e.id for e in events] == ["41", "42", ""]
    assert sse.SSEDecoder(last_event_id=None).last_event_id == ""
    with pytest.raises(TypeError):
        sse.SSEDecoder(last_event_id=41)


# --- memory -------------------------------------------------------------------------------------


def _peak_while(fn: typing.Callable[[], object]) -> int:
    """Peak traced bytes above the start while `fn` runs (the compiled buffers are PyMem's, so
    tracemalloc sees them too)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def test_memory_is_bounded_by_the_cap_not_the_stream(sse: types.ModuleType) -> None:
    # E10: 20 MB of data lines and never a blank line, under a 1 MiB cap
    piece = (b"data: " + b"x" * 1000 + b"\n") * 64

    def run() -> None:
        decoder = sse.SSEDecoder(max_event_size=1 << 20)
        with pytest.raises(EventTooLargeError):
            for _ in range(300):
                decoder.decode(piece)

    assert _peak_while(run) < 4 << 20


def test_a_large_event_is_not_held_after_dispatch(sse: types.ModuleType) -> None:
    decoder = sse.SSEDecoder()
    big = b"data: " + b"x" * (4 << 20) + b"\n\n"

    def run() -> None:
        [event] = decoder.decode(big)
        assert len(event.data) == 4 << 20
        del event
        for _ in range(10):
            assert len(decoder.decode(b"data: small\n\n")) == 1

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        run()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 256 << 10


def test_a_reentrant_call_is_refused(sse: types.ModuleType) -> None:
    # a finalizer or GC callback run while the decoder allocates must not touch its buffers
    decoder = sse.SSEDecoder()
    inner: list[object] = []

    def callback(phase: str, info: dict[str, int]) -> None:
        # an empty piece changes nothing when the call is allowed (the GC also runs between
        # the test's own calls); inside decode it must be refused
        if phase == "start" and not inner:
            try:
                decoder.decode(b"")
            except RuntimeError as exc:
                inner.append(str(exc))

    stream = b"data: " + b"y" * 100 + b"\n\n"
    old = gc.get_threshold()
    gc.callbacks.append(callback)
    gc.set_threshold(1)
    try:
        for _ in range(200):
            events = decoder.decode(stream[:50])
            events += decoder.decode(stream[50:])
            assert [e.data for e in events] == ["y" * 100]
            if inner:
                break
    finally:
        gc.set_threshold(*old)
        gc.callbacks.remove(callback)
    assert inner == ["SSEDecoder is already decoding (a re-entrant call)"]
