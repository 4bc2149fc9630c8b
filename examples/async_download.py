"""Several downloads at once on an AsyncClient, each resumable and reported when done.

The hand-written version streams ``aiter_bytes()`` into an open file by hand for each URL,
with none of the safeguards of a download (no ``.part`` file, no resume, no checksum).
``await AsyncClient.download(...)`` is ``Client.download`` for asyncio and trio.

    python examples/async_download.py out/ http://127.0.0.1:8000/a.zip http://127.0.0.1:8000/b.zip
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import faststream


async def download_all(urls: list[str], directory: Path) -> list[faststream.DownloadResult]:
    directory.mkdir(parents=True, exist_ok=True)
    async with faststream.AsyncClient(follow_redirects=True) as client:
        # an existing directory as the target: each file takes the name the server gives
        # (Content-Disposition, else the URL's last segment), made safe
        return await asyncio.gather(*(client.download(url, directory) for url in urls))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("urls", nargs="+")
    args = parser.parse_args(argv)
    for result in asyncio.run(download_all(args.urls, args.directory)):
        print(f"{result.path.name}: {result.size} bytes, sha256 {result.sha256}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
