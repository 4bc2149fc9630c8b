"""Memory of a stalled consumer: 100 HTTP/2 streams open on one connection, each read once
and then left unread while the server pushes as fast as it may. The client (a fresh process,
bench/http2_rss.py) grows by at most one stream window per stream plus 16 MiB, and the server
gets out at most one window per stream: flow control holds it back."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import h2  # noqa: F401  # the http2 extra, installed wherever these tests run: missing is an error
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "http2_rss.py"
MIB = 1024 * 1024
STREAMS = 100


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux only")
def test_stalled_streams_hold_at_most_a_window_each() -> None:
    spec = importlib.util.spec_from_file_location("http2_rss", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.measure(STREAMS, 0.5)
    window = result["window"]
    assert result["streams"] == STREAMS
    assert result["peak"] - result["before"] <= STREAMS * window + 16 * MIB
    # one window per stream, and the 3 bytes of the request opening the connection
    assert result["server_sent"] <= STREAMS * window + 3
