"""Walk a paginated JSON API with every page bounded in size and time.

The hand-written version reads each page whole with no bound (``json.loads(response.read())``),
has no deadline for a page, and stops at the first status other than 200, so a server error
on page 5 looks like the end of the data.

Here each page is read under a cap (``max_decoded_bytes``: ``ResponseTooLarge`` past it,
having held no more) and a deadline for the whole exchange (``Timeout(total=...)``), and an
error status raises instead of passing for the end.

    python examples/paginated_api.py http://127.0.0.1:8000/items --max-page-bytes 1000000
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import Any

import faststream


def items(client: faststream.Client, url: str, max_page_bytes: int) -> Iterator[Any]:
    """Every item of every page, until a page has none."""
    page = 1
    while True:
        response = client.get(
            url, params={"page": page}, extensions={"max_decoded_bytes": max_page_bytes}
        )
        response.raise_for_status()
        found = response.json().get("items")
        if not found:
            return
        yield from found
        page += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--max-page-bytes", type=int, default=10_000_000)
    parser.add_argument("--page-seconds", type=float, default=30.0, help="deadline per page")
    args = parser.parse_args(argv)
    count = 0
    timeout = faststream.Timeout(10.0, total=args.page_seconds)
    with faststream.Client(timeout=timeout) as client:
        try:
            for item in items(client, args.url, args.max_page_bytes):
                count += 1
                print(f"Item: {item}")
        except faststream.ResponseTooLarge as exc:
            print(f"Stopped after {count} items: {exc}")
            return 1
        except faststream.HTTPStatusError as exc:
            print(f"Stopped after {count} items: HTTP {exc.response.status_code}")
            return 1
    print(f"{count} items")
    return 0


if __name__ == "__main__":
    sys.exit(main())
