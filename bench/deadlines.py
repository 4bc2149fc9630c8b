"""What the deadline checks cost on a big body: 1 GiB identity with `Timeout()` unset, with
`Timeout(total=...)`, and with `Timeout(total=..., min_rate=...)`, interleaved in one run.

    python bench/deadlines.py --size-mb 1024 --runs 21

Each round reads the body once per setting (``iter_raw``, nothing kept), in a rotating order so
drift on a shared machine falls on every setting alike; the medians and each setting's ratio
to the unset one are printed (a ratio above 1.0 is the checks' cost).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _server  # noqa: E402
import faststream  # noqa: E402

SETTINGS: dict[str, faststream.Timeout] = {
    "unset": faststream.Timeout(60.0),
    "total": faststream.Timeout(60.0, total=600.0),
    "total+min_rate": faststream.Timeout(60.0, total=600.0, min_rate=(1 << 20, 5.0)),
}


def _read(client: faststream.Client, url: str, timeout: faststream.Timeout, size: int) -> float:
    started = time.perf_counter()
    got = 0
    with client.stream("GET", url, timeout=timeout) as response:
        for piece in response.iter_raw():
            got += len(piece)
    elapsed = time.perf_counter() - started
    if got != size:
        raise RuntimeError(f"read {got} bytes, expected {size}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="identity body (MiB)")
    parser.add_argument("--runs", type=int, default=21, help="rounds (median)")
    args = parser.parse_args(argv)
    size = args.size_mb << 20
    names = list(SETTINGS)
    times: dict[str, list[float]] = {name: [] for name in names}
    with _server.serve() as server, faststream.Client() as client:
        url = f"{server.base_url}/identity?size={size}"
        _read(client, url, SETTINGS["unset"], size)  # warm the connection and the server
        for round_ in range(args.runs):
            shift = round_ % len(names)
            for name in names[shift:] + names[:shift]:
                times[name].append(_read(client, url, SETTINGS[name], size))
    base = statistics.median(times["unset"])
    print(f"{args.size_mb} MiB identity, iter_raw, medians of {args.runs} rounds")
    for name in names:
        median = statistics.median(times[name])
        rate = size / median / 1e6
        print(f"  {name:<16} {median:8.4f} s  {rate:8.1f} MB/s  x{median / base:.3f} of unset")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
