"""Client instructions per small HTTP/2 GET with N in flight, under callgrind (deterministic
enough to compare small changes on a shared machine, where CPU time per request swings 2x).

    python bench/http2_small_callgrind.py [--inflight 1,32,256] [--requests 1000]

Starts bench/_h2_server.py (custom, h2c) in its own process, then runs itself under valgrind
with 0 and with `--requests` GETs of a 100-byte body for each in-flight count, as
bench/http2.py's `small` case does (`AsyncClient(http1=False, http2=True)` on asyncio, one
connection opened first, N tasks each looping), and prints (count(N) - count(0)) / N: the
client process's user-space instructions per request, the event loop's included. The kernel's
share (system calls, waking the server) is not counted: `strace -c -f` on the same run shows
those. How responses batch depends a little on timing, so figures move by about 1 %.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

SMALL = 100  # bytes in the response body


def _client(url: str, requests: int, inflight: int) -> None:
    import faststream

    async def main() -> None:
        async with faststream.AsyncClient(http1=False, http2=True, timeout=60) as client:
            assert (await client.get(url)).http_version == "HTTP/2"  # connection opened
            left = requests

            async def worker() -> None:
                nonlocal left
                while left > 0:
                    left -= 1
                    response = await client.get(url)
                    assert response.status_code == 200 and len(response.content) == SMALL

            await asyncio.gather(*(worker() for _ in range(inflight)))

    asyncio.run(main())


def _count(url: str, requests: int, inflight: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                __file__,
                "--client",
                url,
                str(requests),
                str(inflight),
            ],
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        text = Path(out).read_text()
    found = re.search(r"^(?:summary|totals): (\d+)", text, re.MULTILINE)
    assert found is not None, "no instruction total in callgrind's output"
    return int(found.group(1))


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--client":
        _client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--inflight", default="1,32,256")
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    import http2

    with http2.custom_server(1 << 20) as target:
        url = target.h2_url + target.small
        for inflight in (int(n) for n in args.inflight.split(",")):
            base = _count(url, 0, inflight)
            total = _count(url, args.requests, inflight)
            per = (total - base) / args.requests / 1000
            print(f"{inflight:>4} in flight: {per:8.1f} k instructions per request")


if __name__ == "__main__":
    main()
