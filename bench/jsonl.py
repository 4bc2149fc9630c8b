"""JSON lines benchmark: parsed values/s reading one JSONL body over loopback.

The body is ``_data.jsonl(--size-mb)`` (realistic ~200-byte records, Content-Length), served by
``_server.serve`` from its own process. Each client reads the whole body in its own child
process, parsing every line, and checks the count and the last record; runs are interleaved
round-robin and the table gives the median of ``--runs``:

* ``faststream iter_json``: ``response.iter_json()`` (orjson when installed, as by default);
* ``faststream iter_json json-only``: the same with ``FASTSTREAM_JSON=json`` (stdlib parser only,
  what users without orjson get);
* ``httpx iter_lines+json.loads``: what httpx users write, the reference of the ratios;
* ``httpx iter_lines+orjson.loads``: the same with orjson, the best one can do by hand;
* ``faststream iter_lines+json.loads``: the line path alone swapped;
* the async pairs on asyncio: ``aiter_json()`` vs httpx ``aiter_lines()`` + ``json.loads``.

Usage: ``python bench/jsonl.py [--size-mb 50] [--runs 5] [--only NAME,...] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _data  # noqa: E402
import _server  # noqa: E402

CHILD_TIMEOUT = 900.0
REFERENCE = "httpx iter_lines+json.loads"
ASYNC_REFERENCE = "httpx async aiter_lines+json.loads"
JSON_ONLY = "faststream iter_json json-only"
CASES = [
    "faststream iter_json",
    JSON_ONLY,
    REFERENCE,
    "httpx iter_lines+orjson.loads",
    "faststream iter_lines+json.loads",
    "faststream async aiter_json",
    ASYNC_REFERENCE,
]


def _sync(case: str, url: str) -> tuple[int, Any]:
    import httpx

    import faststream

    count, last = 0, None
    if case.startswith("faststream"):
        with faststream.Client(timeout=60) as client, client.stream("GET", url) as r:
            if "iter_json" in case:
                for value in r.iter_json():
                    last = value
                    count += 1
            else:
                for line in r.iter_lines():
                    last = json.loads(line)
                    count += 1
        return count, last
    import orjson

    loads: Callable[[str], Any] = orjson.loads if "orjson" in case else json.loads
    with httpx.Client(timeout=60) as hclient, hclient.stream("GET", url) as hr:
        for line in hr.iter_lines():
            last = loads(line)
            count += 1
    return count, last


async def _async(case: str, url: str) -> tuple[int, Any]:
    import httpx

    import faststream

    count, last = 0, None
    if case.startswith("faststream"):
        async with faststream.AsyncClient(timeout=60) as client:
            async with client.stream("GET", url) as r:
                async for value in r.aiter_json():
                    last = value
                    count += 1
        return count, last
    async with httpx.AsyncClient(timeout=60) as hclient:
        async with hclient.stream("GET", url) as hr:
            async for line in hr.aiter_lines():
                last = json.loads(line)
                count += 1
    return count, last


def _child(case: str, url: str) -> None:
    import asyncio

    import httpx  # noqa: F401  (imports are not timed)
    import orjson  # noqa: F401

    import faststream  # noqa: F401

    start = time.perf_counter()
    if "async" in case:
        count, last = asyncio.run(_async(case, url))
    else:
        count, last = _sync(case, url)
    seconds = time.perf_counter() - start
    print(json.dumps({"count": count, "last_id": last["id"], "seconds": seconds}))


def _run_child(case: str, url: str) -> dict[str, Any]:
    env = dict(os.environ)
    env.pop("FASTSTREAM_JSON", None)
    if case == JSON_ONLY:
        env["FASTSTREAM_JSON"] = "json"
    out = subprocess.run(
        [sys.executable, __file__, "--child", case, url],
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{case}: {out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout.splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=50, help="JSONL body size")
    parser.add_argument("--runs", type=int, default=5, help="runs per case (median)")
    parser.add_argument("--only", default="", help="comma-separated case names")
    parser.add_argument("--json", default="", help="write the results here")
    parser.add_argument("--child", nargs=2, metavar=("CASE", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0
    if args.runs < 1 or args.size_mb < 1:
        parser.error("--runs and --size-mb must be positive")
    cases = [c for c in CASES if not args.only or c in args.only.split(",")]
    body = _data.jsonl(args.size_mb)
    lines = body.count(b"\n")
    last_id = json.loads(body[body.rindex(b"\n", 0, len(body) - 1) + 1 :])["id"]
    target = f"/jsonl?size_mb={args.size_mb}"
    runs: dict[str, list[float]] = {case: [] for case in cases}
    with _server.serve(preload=[target]) as server:
        url = server.base_url + target
        for _ in range(args.runs):
            for case in cases:
                result = _run_child(case, url)
                assert result["count"] == lines and result["last_id"] == last_id, (case, result)
                runs[case].append(result["seconds"])
    print(
        f"JSONL {args.size_mb} MiB, {lines:,} lines of ~{len(body) // lines} bytes over "
        f"loopback, median of {args.runs} runs (python {sys.version.split()[0]})"
    )
    print(f"{'case':40} {'k values/s':>11} {'seconds':>8} {'vs reference':>13}")
    report: dict[str, Any] = {}
    for case in cases:
        seconds = statistics.median(runs[case])
        reference = ASYNC_REFERENCE if "async" in case else REFERENCE
        ratio = ""
        if reference in runs and runs[reference]:
            ratio = f"{statistics.median(runs[reference]) / seconds:.2f}x"
        print(f"{case:40} {lines / seconds / 1e3:11.0f} {seconds:8.3f} {ratio:>13}")
        report[case] = {"seconds": runs[case], "median": seconds, "values": lines}
    if JSON_ONLY in runs and REFERENCE in runs:
        # the ratio without orjson, from the medians of this run (the target: >= 2x)
        json_only = statistics.median(runs[REFERENCE]) / statistics.median(runs[JSON_ONLY])
        print(f"json-only iter_json vs httpx iter_lines+json.loads: {json_only:.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
