"""Peak RSS of an HTTP/2 client whose consumer stalls on many open streams.

    python bench/http2_rss.py [--streams 100] [--settle 1.0]

A scripted h2 server (tests/servers/h2_raw.py) in this process sends every stream an endless
body as fast as the client's windows allow; the client runs in a fresh subprocess (so its RSS
is its own): `AsyncClient(http1=False, http2=True)` opens `--streams` streams on one
connection, reads one piece of each, then reads nothing for `--settle` seconds while the
server pushes. With windows reopened only as the consumer reads, each stream holds at most
one window (`STREAM_WINDOW`), so the client's peak RSS must stay within
`streams x STREAM_WINDOW + 16 MiB` of what it was before the streams were opened.

Printed: the client's RSS before and at peak, the growth, the bound, and the bytes the server
got out (at most about one window per stream).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024


def _peak_rss() -> int:
    """This process's peak RSS in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


async def _client(url: str, streams: int, settle: float) -> dict[str, int]:
    import faststream
    from faststream._transports._http2_exchange import STREAM_WINDOW

    async with faststream.AsyncClient(http1=False, http2=True, timeout=30.0) as client:
        await client.get(f"{url}/bytes/3")  # the connection is open before the baseline
        before = _peak_rss()
        opened = 0
        all_open = asyncio.Event()
        release = asyncio.Event()

        async def stall() -> None:
            nonlocal opened
            async with client.stream("GET", f"{url}/endless") as response:
                async for _ in response.aiter_raw():  # one piece, then nothing read
                    opened += 1
                    if opened == streams:
                        all_open.set()
                    await release.wait()
                    break

        tasks = [asyncio.ensure_future(stall()) for _ in range(streams)]
        await asyncio.wait_for(all_open.wait(), 60)
        await asyncio.sleep(settle)  # the server fills every window meanwhile
        peak = _peak_rss()
        release.set()
        await asyncio.gather(*tasks)
    return {"before": before, "peak": peak, "window": STREAM_WINDOW, "streams": streams}


def measure(streams: int, settle: float) -> dict[str, int]:
    """Runs the client in a subprocess against a scripted server in this process."""
    sys.path.insert(0, str(ROOT))
    from tests.servers.h2_raw import H2Server

    with H2Server(max_concurrent_streams=streams + 1) as server:
        url = f"http://127.0.0.1:{server.port}"
        args = [sys.executable, __file__, "--client", url, "--streams", str(streams)]
        args += ["--settle", str(settle)]
        done = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        result: dict[str, int] = json.loads(done.stdout)
        result["server_sent"] = server.body_bytes_sent
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=100)
    parser.add_argument("--settle", type=float, default=1.0)
    parser.add_argument("--client", help=argparse.SUPPRESS)  # the subprocess: the server URL
    options = parser.parse_args()
    if options.client:
        print(json.dumps(asyncio.run(_client(options.client, options.streams, options.settle))))
        return
    result = measure(options.streams, options.settle)
    growth = result["peak"] - result["before"]
    bound = result["streams"] * result["window"] + 16 * MIB
    print(f"streams              {result['streams']}")
    print(f"stream window        {result['window'] / MIB:.1f} MiB")
    print(f"client RSS before    {result['before'] / MIB:.1f} MiB")
    print(f"client RSS peak      {result['peak'] / MIB:.1f} MiB")
    print(f"growth               {growth / MIB:.1f} MiB (bound {bound / MIB:.1f} MiB)")
    print(f"server sent          {result['server_sent'] / MIB:.1f} MiB")
    print("within bound" if growth <= bound else "OVER BOUND")


if __name__ == "__main__":
    main()
