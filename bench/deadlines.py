"""What the deadline checks cost on a big body: 1 GiB identity with `Timeout()` unset, with
`Timeout(total=...)`, and with `Timeout(total=..., min_rate=...)`, interleaved in one run.

    python bench/deadlines.py --size-mb 1024 --runs 21

Each round reads the body once per setting (``iter_raw``, nothing kept), in a rotating order so
drift on a shared machine falls on every setting alike; the medians of wall time and of the
client's CPU time (steadier when the machine is shared) and each setting's ratio to the unset one
are printed (a ratio above 1.0 is the checks' cost).
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


def _read(
    client: faststream.Client, url: str, timeout: faststream.Timeout, size: int
) -> tuple[float, float]:
    """(wall seconds, client CPU seconds) of one read of the body."""
    started = time.perf_counter()
    cpu = time.process_time()
    got = 0
    with client.stream("GET", url, timeout=timeout) as response:
        for piece in response.iter_raw():
            got += len(piece)
    elapsed = time.perf_counter() - started, time.process_time() - cpu
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
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    with _server.serve() as server, faststream.Client() as client:
        url = f"{server.base_url}/identity?size={size}"
        _read(client, url, SETTINGS["unset"], size)  # warm the connection and the server
        for round_ in range(args.runs):
            shift = round_ % len(names)
            for name in names[shift:] + names[:shift]:
                times[name].append(_read(client, url, SETTINGS[name], size))
    wall = {name: statistics.median(t[0] for t in times[name]) for name in names}
    cpu = {name: statistics.median(t[1] for t in times[name]) for name in names}
    print(f"{args.size_mb} MiB identity, iter_raw, medians of {args.runs} rounds")
    for name in names:
        rate = size / wall[name] / 1e6
        wall_ratio = wall[name] / wall["unset"]
        cpu_ratio = cpu[name] / cpu["unset"]
        print(
            f"  {name:<16} wall {wall[name]:7.4f} s {rate:8.1f} MB/s x{wall_ratio:.3f}"
            f"   client CPU {cpu[name]:7.4f} s x{cpu_ratio:.3f}   (of unset)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
