"""Give a streamed body to code that reads files: csv, json.load, tarfile, shutil.

The hand-written version reads the whole body (``response.read()``) and wraps it in
``io.BytesIO``, or writes it to a temporary file first. ``Response.as_file()`` is a readable
binary file over the body as it arrives, so a parser made for files streams a body of any
size in bounded memory.

    python examples/as_file_csv.py http://127.0.0.1:8000/table.csv
"""

from __future__ import annotations

import argparse
import csv
import io
import sys

import faststream


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--column", default=None, help="sum this column (else count the rows)")
    args = parser.parse_args(argv)
    rows, total = 0, 0.0
    with faststream.Client() as client, client.stream("GET", args.url) as response:
        response.raise_for_status()
        with io.TextIOWrapper(response.as_file(), encoding="utf-8", newline="") as text:
            for row in csv.DictReader(text):
                rows += 1
                if args.column is not None:
                    total += float(row[args.column])
    print(f"{rows} rows" + (f", {args.column} sums to {total:g}" if args.column else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
