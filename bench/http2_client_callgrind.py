"""The sync client's own instructions per MiB of a large download, over h2 and over HTTP/1.1,
from bench/_h2_server.py (h2c with DATA frames as large as the client allows; HTTP/1.1 on the
same port), for bench/BUDGET-http2.md. Wall clock on a loaded machine is noise; this is not.

    python bench/http2_client_callgrind.py [--mib 64]

runs, for each protocol, `Client.stream("GET", ...)` read with `iter_bytes()` under
`valgrind --tool=callgrind` (the client process only: the server is a child valgrind does not
trace) twice, for 1 MiB and for `--mib` MiB, and prints (count(mib) - count(1)) / (mib - 1):
the client's user-space instructions per MiB, the connection's set-up subtracted. The
kernel's work (the socket copies) is not counted, so a copy the client no longer makes shows
in full.

    python bench/http2_client_callgrind.py --run h2 64      # one download, no valgrind
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def download(protocol: str, mib: int) -> None:
    """Reads `mib` MiB with the sync client (started and stopped with its own server)."""
    import faststream
    import http2  # bench/http2.py: its server and its large-download case

    size = mib << 20
    with http2.custom_server(size) as target:
        url = (target.h2_url if protocol == "h2" else target.h11_url) + target.large
        http2.large(faststream, url, size, protocol == "h2")


def count(protocol: str, mib: int) -> int:
    """Instructions of one download run under callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                __file__,
                "--run",
                protocol,
                str(mib),
            ],
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        match = re.search(r"^summary: (\d+)", out.read_text(), re.MULTILINE)
        assert match is not None, "no summary line in callgrind's output"
        return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--mib", type=int, default=64)
    parser.add_argument("--run", nargs=2, metavar=("PROTOCOL", "MIB"), default=None)
    args = parser.parse_args()
    if args.run:
        download(args.run[0], int(args.run[1]))
        return
    per_mib = {}
    for protocol in ("h2", "h1"):
        small, large = count(protocol, 1), count(protocol, args.mib)
        per_mib[protocol] = (large - small) / (args.mib - 1)
        print(f"{protocol}: {per_mib[protocol] / 1e6:.3f} M instructions per MiB")
    print(f"h2 / h1: {per_mib['h2'] / per_mib['h1']:.2f}")


if __name__ == "__main__":
    main()
