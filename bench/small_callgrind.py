"""Instructions per small request: faststream's Client vs httpx's, and one bare h11 exchange.

Sequential small requests are too noisy on a shared 2-core machine to compare small changes
by wall clock or CPU time. Callgrind counts the user-space instructions a client executes,
the same on every run (the kernel's share, about the same for every client, is not counted).
This script starts the loopback server of bench/e2e.py, runs itself under valgrind with 0 and
with N requests for each case, and prints (count(N) - count(0)) / N:

    python bench/small_callgrind.py [--requests 300] [--async] [--cases faststream,build]

Cases: `faststream` (Client.get), `httpx` (httpx.Client.get), `h11` (a fresh h11 connection
serialising a GET and parsing a canned response head, no network: what h11 costs a request),
`head` (the same with faststream's compiled `serialize_request` and `ResponseHeadParser`, which
replaced h11 on that path with the same strictness). With `--async`, also `faststream-asyncio`
and `faststream-trio` (AsyncClient.get; the event loop's own instructions included).
`build` is `Client.build_request` alone (Request, URL and header building, no network): with
`head`, it splits a request's budget (bench/BUDGET-small.md). `--cases` picks cases by name.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

_HEADERS = [
    (b"Host", b"127.0.0.1:8000"),
    (b"Accept", b"*/*"),
    (b"Accept-Encoding", b"gzip, deflate, br, zstd"),
    (b"Connection", b"keep-alive"),
    (b"User-Agent", b"python-faststream/0"),
]
_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"


def _run_case(case: str, url: str, count: int) -> None:
    if case == "h11":
        import h11

        for _ in range(count):
            state = h11.Connection(h11.CLIENT, max_incomplete_event_size=100 * 1024)
            state.send(h11.Request(method=b"GET", target=b"/small", headers=_HEADERS))
            state.receive_data(_RESPONSE)
            while not isinstance(state.next_event(), h11.Response):
                pass
        return
    if case == "build":
        import e2e

        e2e._import_faststream()
        import faststream

        with faststream.Client(timeout=60) as client:
            client.build_request("GET", url)
            for _ in range(count):
                client.build_request("GET", url)
        return
    if case == "head":
        import e2e

        e2e._import_faststream()
        import _cstream

        for _ in range(count):
            _cstream.serialize_request(b"GET", b"/small", _HEADERS)
            parser = _cstream.ResponseHeadParser(100 * 1024)
            parser.feed(_RESPONSE)
            parser.next_head()
        return
    import importlib

    if case.startswith("faststream"):
        import e2e

        e2e._import_faststream()
    if case in ("faststream-asyncio", "faststream-trio"):
        _run_async(case, url, count)
        return
    lib = importlib.import_module("faststream" if case == "faststream" else "httpx")
    with lib.Client(timeout=60) as client:
        client.get(url)  # the connection is opened outside the count, in both runs
        for _ in range(count):
            client.get(url)


def _run_async(case: str, url: str, count: int) -> None:
    import faststream

    async def requests() -> None:
        async with faststream.AsyncClient(timeout=60) as client:
            await client.get(url)  # the connection is opened outside the count
            for _ in range(count):
                await client.get(url)

    if case == "faststream-trio":
        import trio

        trio.run(requests)
    else:
        import asyncio

        asyncio.run(requests())


def _instructions(case: str, url: str, count: int) -> int:
    out = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--child",
            case,
            url,
            str(count),
        ],
        capture_output=True,
        text=True,
        timeout=1800,
        check=True,
    )
    found = re.search(r"Collected : (\d+)", out.stderr)
    if found is None:
        raise SystemExit(f"no callgrind total for {case}:\n{out.stderr[-2000:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument(
        "--async",
        dest="async_cases",
        action="store_true",
        help="also count AsyncClient on asyncio (and on trio, when installed)",
    )
    parser.add_argument(
        "--cases", help="comma-separated cases to count (default: all that apply)", default=None
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        case, url, count = args.child
        _run_case(case, url, int(count))
        return 0
    import _server

    with _server.serve() as server:
        url = server.base_url + "/small"
        per_request: dict[str, float] = {}
        cases = ["faststream", "httpx", "h11", "head", "build"]
        if args.async_cases:
            cases.append("faststream-asyncio")
            if importlib.util.find_spec("trio") is not None:
                cases.append("faststream-trio")
        if args.cases is not None:
            cases = args.cases.split(",")
        for case in cases:
            base = _instructions(case, url, 0)
            total = _instructions(case, url, args.requests)
            per_request[case] = (total - base) / args.requests
            print(f"{case:<18} {per_request[case] / 1000:8.1f} K instructions per request")
    if not {"httpx", "faststream", "head", "h11"} <= per_request.keys():
        return 0
    print(
        f"httpx / faststream: {per_request['httpx'] / per_request['faststream']:.2f}x; "
        f"the compiled head path costs {per_request['head'] / per_request['faststream']:.0%} of a "
        f"faststream request; h11 would cost {per_request['h11'] / per_request['faststream']:.0%} "
        "on top of it"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
