"""Hash (or otherwise consume) a body of any size through one reused buffer.

The hand-written version loops over ``iter_bytes()``, which allocates a new bytes object for
every piece. ``Response.readinto(buffer)`` fills the caller's buffer instead, and with no
content coding the socket receives straight into it: memory is the buffer, whatever the size.

    python examples/readinto_hash.py http://127.0.0.1:8000/big.bin
"""

from __future__ import annotations

import argparse
import hashlib
import sys

import faststream


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--buffer", type=int, default=256 * 1024, help="buffer size in bytes")
    args = parser.parse_args(argv)
    digest = hashlib.sha256()
    buffer = bytearray(args.buffer)
    view = memoryview(buffer)
    total = 0
    with faststream.Client() as client, client.stream("GET", args.url) as response:
        response.raise_for_status()
        while n := response.readinto(buffer):
            digest.update(view[:n])
            total += n
    print(f"{total} bytes, sha256 {digest.hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
