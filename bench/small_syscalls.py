"""System calls per small request: `strace -c` of the client process, with 0 and with N
sequential GETs on one keep-alive connection (after one that opens it), per system call:
(count(N) - count(0)) / N. The kernel's share of a request's CPU follows from these; it is
outside the instruction counts of bench/small_callgrind.py.

    python bench/small_syscalls.py [--requests 1000] [--cases faststream,faststream-asyncio]

Cases are bench/small_callgrind.py's (`faststream`, `httpx`, `faststream-asyncio`,
`faststream-trio`), against the loopback server of bench/e2e.py. Needs `strace`.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import small_callgrind  # noqa: E402

_ROW = re.compile(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$")


def _calls(case: str, url: str, count: int) -> dict[str, int]:
    with tempfile.NamedTemporaryFile(suffix=".strace") as out:
        subprocess.run(
            ["strace", "-c", "-o", out.name, sys.executable, small_callgrind.__file__]
            + ["--child", case, url, str(count)],
            capture_output=True,
            timeout=600,
            check=True,
        )
        text = Path(out.name).read_text()
    calls: dict[str, int] = {}
    for line in text.splitlines():
        found = _ROW.match(line)
        if found is not None and found.group(2) != "total":
            calls[found.group(2)] = int(found.group(1))
    return calls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--cases", default="faststream,faststream-asyncio")
    args = parser.parse_args(argv)
    import _server

    with _server.serve() as server:
        url = server.base_url + "/small"
        for case in args.cases.split(","):
            empty = _calls(case, url, 0)
            full = _calls(case, url, args.requests)
            per = {
                name: (n - empty.get(name, 0)) / args.requests
                for name, n in full.items()
                if (n - empty.get(name, 0)) / args.requests >= 0.05
            }
            listed = ", ".join(f"{name} {v:.2f}" for name, v in sorted(per.items()))
            print(f"{case:<20} {sum(per.values()):5.2f} system calls per request: {listed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
