"""Chunked vs identity over loopback, one source tree against another, in the same run.

Each measurement is a fresh child process (``PYTHONPATH`` set to the tree's ``src``) that
streams one body from `_server.py` (``sendfile=True``: bodies framed ahead of time and sent
from a memfd by the kernel, so the server is not what limits the rate) with ``iter_bytes()``
(or ``readinto`` into a 1 MiB buffer, ``--into``) and reports its wall time, its CPU time (user
+ system) and its system time. Trees and chunk sizes are interleaved round after round; the
table gives medians, and each chunked rate as a share of the identity rate of the same round
(identity is read with the first tree). On a loaded machine the client CPU seconds per GiB are
the steadier figure.

Usage: ``python bench/chunked_ab.py --tree before=/path/to/old/src --tree after=src
[--size-mb 256] [--chunk-kb 16,64,256] [--rounds 5] [--into]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _server  # noqa: E402

CHILD = r"""
import json, resource, sys, time
import faststream
url, mode = sys.argv[1], sys.argv[2]
with faststream.Client(timeout=60) as client:
    sys0 = resource.getrusage(resource.RUSAGE_SELF).ru_stime
    cpu0, t0, n = time.process_time(), time.perf_counter(), 0
    with client.stream("GET", url) as response:
        if mode == "into":
            buffer = bytearray(1 << 20)
            while count := response.readinto(buffer):
                n += count
        else:
            for piece in response.iter_bytes():
                n += len(piece)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    system = resource.getrusage(resource.RUSAGE_SELF).ru_stime - sys0
print(json.dumps([n, wall, cpu, system]))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", action="append", required=True, help="NAME=SRC_DIR")
    parser.add_argument("--size-mb", type=int, default=256)
    parser.add_argument("--chunk-kb", default="16,64,256")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--into", action="store_true", help="readinto instead of iter_bytes")
    args = parser.parse_args()
    trees = dict(item.split("=", 1) for item in args.tree)
    size = args.size_mb << 20
    cases = [("identity", f"/identity?size={size}")] + [
        (f"chunked-{kb}k", f"/chunked?size={size}&chunk={int(kb) * 1024}")
        for kb in args.chunk_kb.split(",")
    ]
    first = next(iter(trees))
    results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    with _server.serve(preload=[target for _, target in cases], sendfile=True) as server:
        for _ in range(args.rounds):
            for tree, src in trees.items():
                for name, target in cases:
                    if name == "identity" and tree != first:
                        continue
                    env = dict(os.environ, PYTHONPATH=str(Path(src).resolve()))
                    mode = "into" if args.into else "iter"
                    out = subprocess.run(
                        [sys.executable, "-c", CHILD, server.base_url + target, mode],
                        env=env,
                        capture_output=True,
                        text=True,
                        timeout=600,
                        cwd="/",
                        check=True,
                    )
                    n, wall, cpu, system = json.loads(out.stdout)
                    if n != size:
                        raise SystemExit(f"{tree} {name}: {n} bytes, expected {size}")
                    results.setdefault((tree, name), []).append((size / wall / 1e6, cpu, system))
    gib = size / 2**30
    identity = results[(first, "identity")]
    print(
        f"{args.size_mb} MiB, {args.rounds} rounds interleaved, "
        f"{'readinto' if args.into else 'iter_bytes'}; medians"
    )
    print(f"{'tree':8} {'case':14} {'MB/s':>8} {'/identity':>9} {'CPU s/GiB':>9} {'sys s/GiB':>9}")
    for (tree, name), runs in results.items():
        pairs = zip(runs, identity, strict=True)
        share = statistics.median(run[0] / base[0] for run, base in pairs)
        print(
            f"{tree:8} {name:14} {statistics.median(r[0] for r in runs):8.1f} {share:9.3f}"
            f" {statistics.median(r[1] for r in runs) / gib:9.3f}"
            f" {statistics.median(r[2] for r in runs) / gib:9.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
