"""Keep a small body in memory and send a large one to disk, with memory bounded either way.

The hand-written version trusts ``Content-Length``: with none (a chunked response) or with a
compressed one, it reads a body of any size into memory (a small gzip body can decode to
gigabytes), and its "large" branch writes a half file under the final name on an error.

Here a cap does the deciding: ``max_decoded_bytes`` stops reading the moment the decoded body
passes the limit (``ResponseTooLarge``), whatever the headers said, having held no more than
the limit; the body then goes to disk with ``Client.download``, which stores it through a
``.part`` file and bounded memory.

    python examples/size_decision.py http://127.0.0.1:8000/unknown-size file.dat --limit 10000000
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import faststream


def fetch(client: faststream.Client, url: str, path: str, limit: int) -> str:
    """Write the body of `url` to `path`; returns "memory" or "disk", the way it went."""
    try:
        response = client.get(url, extensions={"max_decoded_bytes": limit})
        response.raise_for_status()
    except faststream.ResponseTooLarge:
        client.download(url, path, decode=True)
        return "disk"
    Path(path).write_bytes(response.content)
    return "memory"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("path")
    parser.add_argument("--limit", type=int, default=10_000_000, help="bytes kept in memory")
    args = parser.parse_args(argv)
    with faststream.Client(follow_redirects=True) as client:
        way = fetch(client, args.url, args.path, args.limit)
    size = Path(args.path).stat().st_size
    if way == "memory":
        print(f"Small file, read in memory: {size} bytes")
    else:
        print(f"Large file, streamed to disk: {size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
