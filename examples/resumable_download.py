"""A resumable download that stays correct when the file changes on the server.

The hand-written version appends to whatever file is on disk after sending
``Range: bytes=<size>-``. If the resource changed in between, the result is half old and half
new; if the server ignores ``Range`` (200), the whole body is appended to the part already
there; a dropped connection means starting the script again.

``Client.download`` keeps the partial body in ``<file>.part`` with the server's validator
(ETag or Last-Modified) beside it, resumes with ``Range`` and ``If-Range`` (a changed resource
comes back whole and the download starts over), checks ``Content-Range``, resumes by itself
after a dropped connection (``retries``), and with ``checksum=`` verifies the file before
giving it its name.

    python examples/resumable_download.py http://127.0.0.1:8000/big.iso big.iso [sha256:<hex>]
"""

from __future__ import annotations

import argparse
import sys

import faststream


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("path")
    parser.add_argument("checksum", nargs="?", help="e.g. sha256:<hex>: verified before rename")
    parser.add_argument("--retries", type=int, default=5, help="resumes after a dropped link")
    args = parser.parse_args(argv)
    try:
        result = faststream.download(
            args.url, args.path, resume=True, retries=args.retries, checksum=args.checksum
        )
    except faststream.ChecksumMismatch as exc:
        print(f"Checksum mismatch, nothing kept: {exc}")
        return 1
    except faststream.TransportError as exc:
        print(f"Interrupted ({exc!r}); run again to resume from the .part file")
        return 1
    if result.resumed_from:
        print(f"Resumed from byte {result.resumed_from}")
    print(f"Download completed: {result.path} ({result.size} bytes, sha256 {result.sha256})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
