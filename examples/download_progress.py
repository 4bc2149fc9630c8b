"""A download with a progress display: one call instead of a hand-written loop.

The hand-written version streams ``iter_bytes()`` into a file and divides the bytes written
by ``Content-Length``. That goes wrong when the body is compressed (``iter_bytes`` counts
decoded bytes, ``Content-Length`` counts coded ones, so the bar passes 100 %), when there is
no ``Content-Length``, and a half-written file is left under the final name on an error.

``Client.download`` stores the body as sent, counts the stored bytes against their own total,
calls ``progress`` at most every 100 ms and once at the end, and renames ``<file>.part`` to
the file only once it is complete. ``progress=True`` draws a bar on a terminal instead.

    python examples/download_progress.py http://127.0.0.1:8000/file.zip file.zip
"""

from __future__ import annotations

import argparse
import sys

import faststream


def show(progress: faststream.DownloadProgress) -> None:
    if progress.total:
        percent = progress.downloaded / progress.total * 100
        print(f"Progress: {percent:.1f}% ({progress.downloaded}/{progress.total} bytes)")
    else:  # the server did not say how long the body is
        print(f"Progress: {progress.downloaded} bytes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("path", help="a file name, or a directory to take the server's name in")
    args = parser.parse_args(argv)
    with faststream.Client(follow_redirects=True) as client:
        result = client.download(args.url, args.path, progress=show)
    print(f"Downloaded {result.size} bytes to {result.path} (sha256 {result.sha256})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
