"""Error handling around a streamed download, with a deadline for the whole transfer.

The hand-written version sets no overall limit: a server that sends one byte every few
seconds never trips the read timeout and holds the script forever, and a failure leaves a
truncated file under the final name.

``Timeout(total=...)`` bounds the whole exchange, streaming included (``ReadTimeout`` at the
first read past it); ``min_rate=(bytes, seconds)`` gives up on a transfer slower than that.
``Client.download`` keeps a failed transfer in ``<file>.part``, never under the final name.

    python examples/safe_download.py http://127.0.0.1:8000/file.zip file.zip --total 60
"""

from __future__ import annotations

import argparse
import sys

import faststream


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("path")
    parser.add_argument("--total", type=float, default=300.0, help="seconds for everything")
    parser.add_argument("--min-rate", type=int, default=1024, help="bytes/s over 10 s, at least")
    args = parser.parse_args(argv)
    timeout = faststream.Timeout(10.0, total=args.total, min_rate=(args.min_rate * 10, 10.0))
    try:
        with faststream.Client(timeout=timeout) as client:
            result = client.download(args.url, args.path, retries=0)
    except faststream.HTTPStatusError as exc:
        print(f"HTTP error {exc.response.status_code}")
        return 1
    except faststream.TimeoutException as exc:
        print(f"Timed out: {exc}")
        return 1
    except faststream.RequestError as exc:
        print(f"Request error: {exc!r}")
        return 1
    except OSError as exc:
        print(f"File error: {exc}")
        return 1
    print(f"Successfully downloaded {result.path} ({result.size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
