"""The open-stream count h2 checks before every new stream, kept without walking every stream:
it must match the streams really open, forget closed streams as h2 does, and hold the server's
SETTINGS_MAX_CONCURRENT_STREAMS however the streams ended."""

from __future__ import annotations

import h2.errors
import h2.exceptions
import h2.settings
import hyperframe.frame
import pytest

from tests.wire.test_http2_exchange import Server


def _over_the_limit(server: Server) -> None:
    """One more stream straight through h2, past the exchange's own check."""
    conn = server.client._conn
    head = [(b":method", b"GET"), (b":authority", b"a"), (b":scheme", b"https"), (b":path", b"/")]
    with pytest.raises(h2.exceptions.TooManyStreamsError):
        conn.send_headers(conn.get_next_available_stream_id(), head, end_stream=True)


def _release_finished(server: Server) -> None:
    for sid, stream in list(server.client.streams.items()):
        if stream.finished:
            server.client.take(sid)
            server.client.release(sid)
    server.flush()


def _walked(server: Server) -> int:
    """The count by h2's own definition: every held stream that is open in any sense."""
    return sum(1 for stream in server.client._conn.streams.values() if stream.open)


def test_count_follows_every_way_a_stream_ends_and_the_limit_holds() -> None:
    server = Server({h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 3})
    conn = server.client._conn
    ended = server.request()
    reset_by_us = server.request()
    reset_by_server = server.request()
    assert conn.open_outbound_streams == 3 == _walked(server)
    _over_the_limit(server)
    server.respond(ended, b"done")  # response ended after the request had ended
    server.client.reset(reset_by_us)  # RST_STREAM CANCEL from the client
    server.conn.reset_stream(reset_by_server, h2.errors.ErrorCodes.REFUSED_STREAM)
    _release_finished(server)
    assert conn.open_outbound_streams == 0 == _walked(server)
    # closed streams are forgotten at the count, as h2 forgets them
    assert not set(conn.streams) & {ended, reset_by_us, reset_by_server}
    # a request whose body ends after its response did: closed only by the client's end
    posting = server.request(b"POST", end=False)
    server.respond(posting, b"early")
    assert conn.open_outbound_streams == 1 == _walked(server)
    server.client.end_request(posting)
    _release_finished(server)
    assert conn.open_outbound_streams == 0 == _walked(server)
    assert posting not in conn.streams
    # three may be open again, and not four
    for _ in range(3):
        server.request()
    _over_the_limit(server)
    assert server.client.error is None


def test_late_frames_on_forgotten_streams_do_not_change_the_count() -> None:
    server = Server({h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 2})
    conn = server.client._conn
    first = server.request()
    server.client.reset(first)
    server.flush()
    second = server.request()
    assert conn.open_outbound_streams == 1 == _walked(server)
    server.raw(hyperframe.frame.DataFrame(first, data=b"late").serialize())
    assert conn.open_outbound_streams == 1 == _walked(server)
    server.request()
    _over_the_limit(server)
    server.respond(second, b"ok")
    _release_finished(server)
    assert conn.open_outbound_streams == 1 == _walked(server)
    assert server.client.error is None
