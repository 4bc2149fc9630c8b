"""The server's SETTINGS_MAX_CONCURRENT_STREAMS holds however the streams ended: the exchange
counts the streams it holds (a stream is held until its consumer releases or resets it), so
the server never sees more open streams than it allows, and a late frame on a forgotten stream
changes nothing."""

from __future__ import annotations

import h2.errors
import h2.settings
import hyperframe.frame
import pytest

from faststream._transports import _http2_exchange as h2x
from tests.wire.test_http2_exchange import Server


def _release_finished(server: Server) -> None:
    for sid, stream in list(server.client.streams.items()):
        if stream.finished:
            server.client.take(sid)
            server.client.release(sid)
    server.flush()


def _refused(server: Server) -> None:
    """One more stream is refused before anything reaches the server."""
    assert not server.client.accepts_streams
    with pytest.raises(h2x.StreamRefused):
        server.client.start_request(b"GET", b"https", b"a", b"/", [], end_stream=True)


def test_count_follows_every_way_a_stream_ends_and_the_limit_holds() -> None:
    server = Server({h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 3})
    ended = server.request()
    reset_by_us = server.request()
    reset_by_server = server.request()
    assert server.conn.open_inbound_streams == 3
    _refused(server)
    server.respond(ended, b"done")  # response ended after the request had ended
    server.client.reset(reset_by_us)  # RST_STREAM CANCEL from the client
    server.conn.reset_stream(reset_by_server, h2.errors.ErrorCodes.REFUSED_STREAM)
    server.flush()
    _release_finished(server)
    assert not server.client.streams
    assert server.conn.open_inbound_streams == 0
    # a request whose body ends after its response did: held until its consumer releases it
    posting = server.request(b"POST", end=False)
    server.respond(posting, b"early")
    server.client.end_request(posting)
    _release_finished(server)
    assert not server.client.streams
    # three may be open again, and not four
    for _ in range(3):
        server.request()
    _refused(server)
    assert server.conn.open_inbound_streams == 3
    assert server.client.error is None
    assert not server.of(h2.events.StreamReset)[1:]  # only the one the client cancelled


def test_late_frames_on_forgotten_streams_do_not_change_the_count() -> None:
    server = Server({h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 2})
    first = server.request()
    server.client.reset(first)
    server.flush()
    second = server.request()
    server.raw(hyperframe.frame.DataFrame(first, data=b"late").serialize())
    assert server.client.error is None and list(server.client.streams) == [second]
    server.request()
    _refused(server)
    server.respond(second, b"ok")
    _release_finished(server)
    assert len(server.client.streams) == 1 and server.client.accepts_streams
    assert server.client.error is None
