"""`Timeout(total=..., min_rate=...)` through the client against scripted loopback servers, with
`Client` and with `AsyncClient` on asyncio, uvloop and trio (`client_mode`).

The servers stall for much longer than the deadline under test (their stop cuts the stall
short), so each deadline fires whatever the machine's load; durations are only checked against
generous upper bounds that a loaded machine still meets.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.client._helpers import FASTSTREAM
from tests.servers.h2_raw import H2Server
from tests.wire._raw_server import RawServer, Recv, Script, Send, Sleep, response

pytestmark = [pytest.mark.timeout(60), pytest.mark.usefixtures("client_mode")]

HEAD_10 = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"


def drip(pieces: int, every: float) -> list[Send | Sleep]:
    """One body byte every `every` seconds, `pieces` times."""
    steps: list[Send | Sleep] = []
    for _ in range(pieces):
        steps += [Sleep(every), Send(b"x")]
    return steps


@pytest.fixture
def slow_drip() -> Iterator[RawServer]:
    """A 10-byte body dripped one byte every 0.4 s: each read finishes within 0.5 s."""
    with RawServer([[Recv(), Send(HEAD_10), *drip(10, 0.4)]]) as server:
        yield server


def test_total_deadline_stops_a_slow_drip_that_each_read_timeout_allows(
    slow_drip: RawServer,
) -> None:
    lib = FASTSTREAM
    timeout = lib.Timeout(0.5, total=1.5)
    start = time.monotonic()
    with lib.Client(timeout=timeout) as client, pytest.raises(lib.ReadTimeout) as info:
        client.get(slow_drip.url)
    elapsed = time.monotonic() - start
    assert str(info.value) == "total deadline of 1.5 s exceeded"
    assert 1.4 <= elapsed < 3.5  # the body would have taken 4 s


def test_without_total_the_slow_drip_completes(slow_drip: RawServer) -> None:
    lib = FASTSTREAM
    with lib.Client(timeout=lib.Timeout(2.0)) as client:
        assert client.get(slow_drip.url).content == b"x" * 10


def test_e19_one_byte_every_4s_under_5s_read_timeout_and_total_10(client_mode: str) -> None:
    if client_mode not in ("sync", "trio"):
        pytest.skip("the 10 s scenario runs once per client kind; asyncio is covered scaled down")
    lib = FASTSTREAM
    with RawServer([[Recv(), Send(HEAD_10), *drip(5, 4.0)]]) as server:
        start = time.monotonic()
        with lib.Client(timeout=lib.Timeout(5.0, total=10)) as client:
            with pytest.raises(lib.ReadTimeout, match="total deadline of 10 s exceeded"):
                client.get(server.url)
        assert 9.9 <= time.monotonic() - start < 14.0


def test_a_stream_loop_that_runs_past_the_deadline_fails_at_the_next_read() -> None:
    lib = FASTSTREAM
    script: Script = [Recv(), Send(HEAD_10 + b"12345"), Sleep(0.1), Send(b"67890"), Sleep(5.0)]
    with RawServer([script]) as server, lib.Client(timeout=lib.Timeout(5.0, total=0.5)) as client:
        with client.stream("GET", server.url) as streamed:
            pieces = streamed.iter_raw()
            assert next(pieces) == b"12345"
            time.sleep(0.7)  # the rest has arrived by now, but the deadline has passed
            with pytest.raises(lib.ReadTimeout, match=r"total deadline of 0\.5 s exceeded"):
                next(pieces)


def test_a_stream_read_in_time_is_unaffected() -> None:
    lib = FASTSTREAM
    script: Script = [Recv(), Send(HEAD_10 + b"12345"), Sleep(0.1), Send(b"67890")]
    with RawServer([script]) as server, lib.Client(timeout=lib.Timeout(5.0, total=30)) as client:
        with client.stream("GET", server.url) as streamed:
            assert b"".join(streamed.iter_raw()) == b"1234567890"


def test_redirects_share_one_deadline() -> None:
    lib = FASTSTREAM
    redirect = response("302 Found", [("Location", "/next")])
    hop: Script = [
        Recv(),
        Sleep(0.7),
        Send(redirect),
        Recv(),
        Sleep(0.7),
        Send(response(body=b"done")),
    ]
    with RawServer([hop]) as server:
        # Each hop alone is within the deadline; the two together are not.
        client = lib.Client(timeout=lib.Timeout(5.0, total=1.0), follow_redirects=True)
        with client, pytest.raises(lib.ReadTimeout, match=r"total deadline of 1 s exceeded"):
            client.get(server.url)
    with RawServer([hop]) as server:
        client = lib.Client(timeout=lib.Timeout(5.0, total=5.0), follow_redirects=True)
        with client:
            answer = client.get(server.url)
        assert (answer.content, len(answer.history)) == (b"done", 1)


def test_min_rate_stops_a_stalled_body() -> None:
    lib = FASTSTREAM
    script: Script = [Recv(), Send(HEAD_10 + b"12"), Sleep(5.0), Send(b"34567890")]
    start = time.monotonic()
    with RawServer([script]) as server:
        with lib.Client(timeout=lib.Timeout(5.0, min_rate=(5, 0.5))) as client:
            with pytest.raises(lib.ReadTimeout, match=r"transfer rate below 5 bytes in 0\.5 s"):
                client.get(server.url)
    assert time.monotonic() - start < 3.0  # not the 5 s read timeout


def test_min_rate_met_by_a_steady_body() -> None:
    lib = FASTSTREAM
    body: Script = [Send(HEAD_10)] + [step for _ in range(5) for step in (Sleep(0.2), Send(b"ab"))]
    with RawServer([[Recv(), *body]]) as server:
        with lib.Client(timeout=lib.Timeout(5.0, min_rate=(2, 1.0))) as client:
            assert client.get(server.url).content == b"ab" * 5


def test_total_covers_waiting_for_the_response_head() -> None:
    lib = FASTSTREAM
    with RawServer([[Recv(), Sleep(5.0), Send(response(body=b"late"))]]) as server:
        with lib.Client(timeout=lib.Timeout(5.0, total=0.5)) as client:
            with pytest.raises(lib.ReadTimeout, match=r"total deadline of 0\.5 s exceeded"):
                client.get(server.url)


@pytest.mark.parametrize(
    ("timeout", "message"),
    [
        ({"total": 0.5}, r"total deadline of 0\.5 s exceeded"),
        ({"min_rate": (2, 0.5)}, r"transfer rate below 2 bytes in 0\.5 s"),
    ],
)
def test_http2_body_that_stalls_past_a_deadline(timeout: dict[str, object], message: str) -> None:
    lib = FASTSTREAM
    start = time.monotonic()
    with H2Server() as server:  # /hold: one byte of body, then nothing
        url = f"http://127.0.0.1:{server.port}/hold"
        client = lib.Client(http1=False, http2=True, timeout=lib.Timeout(5.0, **timeout))
        with client, pytest.raises(lib.ReadTimeout, match=message):
            client.get(url)
    assert time.monotonic() - start < 3.0  # not the 5 s read timeout


def test_min_rate_window_slides_over_a_burst_then_a_stall() -> None:
    # 9 bytes at once, 1 more at 1.8 s (10 within the first 2 s), then nothing until 3 s:
    # the window (0.2 s, 2.2 s] holds only the 1 byte, so the check fails at about 2.1 s,
    # before the last 10 bytes come (a window that restarted when the 10th byte arrived
    # would have let the stall pass).
    lib = FASTSTREAM
    script: Script = [
        Recv(),
        Send(b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n" + b"x" * 9),
        Sleep(1.8),
        Send(b"x"),
        Sleep(1.2),
        Send(b"x" * 10),
    ]
    start = time.monotonic()
    with RawServer([script]) as server:
        with lib.Client(timeout=lib.Timeout(10.0, min_rate=(10, 2.0))) as client:
            with pytest.raises(lib.ReadTimeout, match=r"transfer rate below 10 bytes in 2 s"):
                client.get(server.url)
        elapsed = time.monotonic() - start
    assert 1.9 <= elapsed < 2.95


def test_min_rate_counts_every_window_from_the_head_of_a_body_read_in_small_steps() -> None:
    # 20 bytes a second in 40 reads of 1 byte: every 1 s window holds about 20, the rate
    # asks for 4 (room for a loaded machine's stalls), so the body completes: the buckets
    # add the reads up, they never drop one.
    lib = FASTSTREAM
    steps: Script = [
        Recv(),
        Send(b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n"),
        *drip(40, 0.05),
    ]
    with RawServer([steps]) as server:
        with lib.Client(timeout=lib.Timeout(10.0, min_rate=(4, 1.0))) as client:
            assert client.get(server.url).content == b"x" * 40


def test_total_covers_the_wait_for_a_pool_slot() -> None:
    # one connection, held by an open stream: the second request waits for the pool, and the
    # total deadline ends that wait, not the much longer pool timeout
    lib = FASTSTREAM
    script: Script = [Recv(), Send(HEAD_10 + b"12345"), Sleep(5.0)]
    limits = lib.Limits(max_connections=1)
    with RawServer([script, script]) as server:
        with lib.Client(timeout=lib.Timeout(5.0), limits=limits) as client:
            with client.stream("GET", server.url):
                start = time.monotonic()
                with pytest.raises(lib.ReadTimeout, match=r"total deadline of 0\.5 s exceeded"):
                    client.get(server.url, timeout=lib.Timeout(5.0, total=0.5))
                assert time.monotonic() - start < 3.0


@pytest.mark.parametrize(
    ("timeout", "message"),
    [
        ({"read": 5.0, "total": 0.5}, r"total deadline of 0\.5 s exceeded"),
        ({"total": 0.5}, r"total deadline of 0\.5 s exceeded"),
        ({"read": 5.0, "min_rate": (2, 0.5)}, r"transfer rate below 2 bytes in 0\.5 s"),
    ],
)
def test_a_timeout_extension_with_fewer_keys_still_sets_deadlines(
    timeout: dict[str, object], message: str
) -> None:
    # a hand-written extension names only some of httpx's four phases
    lib = FASTSTREAM
    with RawServer([[Recv(), Send(HEAD_10), Send(b"x"), Sleep(5.0)]]) as server:
        with lib.Client() as client, pytest.raises(lib.ReadTimeout, match=message):
            client.get(server.url, extensions={"timeout": timeout})
